import Foundation
import Glibc
import Scenario
import Runtime


/// `headroom serve FILE --plan NAME [--listen HOST:PORT] [--decision-log PATH]`.
struct ServeCommand {
    var file: String
    var plan: String?
    var listen = SocketAddress(host: "127.0.0.1", port: 8080)
    var decisionLog: String?
    var drain = 30.0
    var keys: String?
    var auditLog: String?
    var auditKey: String?
    var auditPayloads = false

    static func parse(_ arguments: [String]) throws -> ServeCommand {
        var command = ServeCommand(file: "")
        var files: [String] = []
        var k = 0
        func value(_ option: String) throws -> String {
            k += 1
            guard k < arguments.count else {
                throw UsageError(message: "Missing value for '\(option)'", usage: Help.serve.usage, subcommand: "serve")
            }
            return arguments[k]
        }
        while k < arguments.count {
            let a = arguments[k]
            switch a {
            case "--plan": command.plan = try value(a)
            case "--listen":
                let text = try value(a)
                guard let address = SocketAddress(parsing: text) else {
                    throw UsageError(message: "'\(text)' is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080 or :8080)", usage: Help.serve.usage, subcommand: "serve")
                }
                command.listen = address
            case "--decision-log": command.decisionLog = try value(a)
            case "--keys": command.keys = try value(a)
            case "--audit-log": command.auditLog = try value(a)
            case "--audit-key": command.auditKey = try value(a)
            case "--audit-payloads": command.auditPayloads = true
            case "--drain-timeout":
                let text = try value(a)
                guard let d = ValueReaderBridge.duration(text) else {
                    throw UsageError(message: "'\(text)' is not a duration (e.g. 30s)", usage: Help.serve.usage, subcommand: "serve")
                }
                command.drain = d
            default:
                if a.hasPrefix("-") {
                    throw UsageError(message: "Unknown option '\(a)'" + Headroom.suggestion(a, ["--plan", "--listen", "--decision-log", "--drain-timeout", "--keys", "--audit-log", "--audit-key", "--audit-payloads"]),
                                     usage: Help.serve.usage, subcommand: "serve")
                }
                files.append(a)
            }
            k += 1
        }
        guard files.count == 1 else {
            throw UsageError(message: files.isEmpty ? "Missing expected argument '<file>'" : "Expected one scenario file, got \(files.count)",
                             usage: Help.serve.usage, subcommand: "serve")
        }
        command.file = files[0]
        if command.auditLog == nil && (command.auditKey != nil || command.auditPayloads) {
            throw UsageError(message: "'--audit-key' and '--audit-payloads' go with '--audit-log'", usage: Help.serve.usage, subcommand: "serve")
        }
        return command
    }

    func execute(out: TextSink, err: TextSink) throws -> Int32 {
        let scenario = try ScenarioLoader.load(path: file)
        let planIndex = try OptionValue.plan(plan, in: scenario) { UsageError(message: $0, usage: Help.serve.usage, subcommand: "serve", raisedIn: $1, at: $2) }
        var options = ServeOptions()
        options.listen = listen
        options.decisionLog = decisionLog
        options.drainGrace = drain
        options.version = Help.version
        options.keys = try keys.map { try AccessKeys.load($0) }
        if let auditLog {
            var audit = AuditLog.Options(path: auditLog, key: try auditKey.map { try AuditKeyFile.loadOrCreate($0, say: { out.write($0 + "\n") }) })
            audit.payloads = auditPayloads
            options.audit = audit
            if auditKey == nil {
                err.write("warning: --audit-log without --audit-key: the hash chain shows edits, but a log rewritten whole cannot be told from the original (no HMAC digests)\n")
            }
        }
        let sink = LockedSink(out)
        options.say = { line in sink.write(line + "\n") }

        // SIGINT and SIGTERM start a drain.
        signal(SIGPIPE, SIG_IGN)
        let stop = DispatchSemaphore(value: 0)
        let watch = InterruptWatch { stop.signal() }
        defer { watch.cancel() }
        let server = try RuntimeServer.start(scenario, planIndex: planIndex, options: options)
        stop.wait()
        options.say("stopping: draining \(server.inFlight) request(s) in flight (at most \(Int(drain)) s)")
        server.stop()
        options.say("stopped")
        let losses = server.logLosses
        for loss in losses { err.write("Error: \(loss)\n") }
        return losses.isEmpty ? 0 : 1
    }
}

/// `headroom replay LOG [--scenario FILE]`.
enum ReplayCommand {
    static func execute(_ arguments: [String], out: TextSink) throws -> Int32 {
        var scenarioPath: String?
        var logs: [String] = []
        var k = 0
        while k < arguments.count {
            let a = arguments[k]
            if a == "--scenario" {
                k += 1
                guard k < arguments.count else { throw UsageError(message: "Missing value for '--scenario'", usage: Help.replay.usage, subcommand: "replay") }
                scenarioPath = arguments[k]
            } else if a.hasPrefix("-") {
                throw UsageError(message: "Unknown option '\(a)'", usage: Help.replay.usage, subcommand: "replay")
            } else {
                logs.append(a)
            }
            k += 1
        }
        guard logs.count == 1 else {
            throw UsageError(message: logs.isEmpty ? "Missing expected argument '<log>'" : "Expected one decision log", usage: Help.replay.usage, subcommand: "replay")
        }
        let header = try DecisionReplay.header(of: logs[0])
        let scenario = try ScenarioLoader.load(path: scenarioPath ?? header.scenario)
        let outcome = try DecisionReplay.replay(logs[0], scenario: scenario)
        if let d = outcome.firstDifference {
            out.write("replayed \(outcome.inputs) inputs: line \(d.line) differs\n  input:    \(d.input)\n  recorded: \(d.recorded)\n  replayed: \(d.replayed)\n")
            return 1
        }
        out.write("replayed \(outcome.inputs) inputs, \(outcome.actions) actions: identical\n")
        return 0
    }
}

/// A text sink shared by the runtime's threads: one line at a time.
final class LockedSink: @unchecked Sendable {
    private let sink: TextSink
    private let lock = NSLock()
    init(_ sink: TextSink) { self.sink = sink }
    func write(_ text: String) {
        lock.lock()
        sink.write(text)
        lock.unlock()
    }
}
