import Foundation
import Glibc
import Scenario
import Runtime
import Reports

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
        let names = scenario.plans.map(\.name)
        let planIndex: Int
        if let plan {
            guard let k = names.firstIndex(of: plan) else {
                throw UsageError(message: "Unknown plan '\(plan)'" + Headroom.suggestion(plan, names) + "; plans are " + names.joined(separator: ", "),
                                 usage: Help.serve.usage, subcommand: "serve")
            }
            planIndex = k
        } else if names.count == 1 {
            planIndex = 0
        } else {
            throw UsageError(message: "Missing '--plan': the scenario has \(names.count) plans (\(names.joined(separator: ", ")))",
                             usage: Help.serve.usage, subcommand: "serve")
        }
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

        // SIGINT and SIGTERM start a drain; the signal is taken by a dispatch source, not the
        // default handler.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        let stop = DispatchSemaphore(value: 0)
        let sources = [SIGINT, SIGTERM].map { s -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            return source
        }
        let server = try RuntimeServer.start(scenario, planIndex: planIndex, options: options)
        stop.wait()
        options.say("stopping: draining \(server.inFlight) request(s) in flight (at most \(Int(drain)) s)")
        server.stop()
        for s in sources { s.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        options.say("stopped")
        return 0
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

/// The audit HMAC key: a file of random bytes kept apart from the log.
enum AuditKeyFile {
    /// Reads the key, or creates the file with 32 random bytes (mode 0600) when it does not exist.
    static func loadOrCreate(_ path: String, say: (String) -> Void) throws -> [UInt8] {
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count >= 16 else { throw RuntimeError("\(path): an audit key needs at least 16 bytes; this file has \(data.count)") }
            return [UInt8](data)
        }
        guard !FileManager.default.fileExists(atPath: path) else { throw RuntimeError("\(path): cannot read the audit key") }
        var random = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        guard FileManager.default.createFile(atPath: path, contents: Data(key), attributes: [.posixPermissions: 0o600]) else {
            throw RuntimeError("\(path): cannot create the audit key")
        }
        say("created audit key \(path) (32 random bytes, mode 0600): keep it apart from the log")
        return key
    }

    static func load(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 16 else {
            throw RuntimeError("\(path): cannot read an audit key (at least 16 bytes)")
        }
        return [UInt8](data)
    }
}

/// `headroom keys add CALLER --targets a,b [--versions v,w] --file KEYS.json`.
enum KeysCommand {
    static func execute(_ arguments: [String], out: TextSink) throws -> Int32 {
        guard arguments.first == "add" else {
            throw UsageError(message: arguments.isEmpty ? "Missing subcommand 'add'" : "Unknown subcommand '\(arguments[0])' (did you mean 'add'?)",
                             usage: Help.keys.usage, subcommand: "keys")
        }
        var caller: String?, targets: [String]?, versions: [String]?, file: String?
        var k = 1
        func value(_ option: String) throws -> String {
            k += 1
            guard k < arguments.count else { throw UsageError(message: "Missing value for '\(option)'", usage: Help.keys.usage, subcommand: "keys") }
            return arguments[k]
        }
        func list(_ text: String) -> [String] { text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        while k < arguments.count {
            let a = arguments[k]
            switch a {
            case "--targets": targets = list(try value(a))
            case "--versions": versions = list(try value(a))
            case "--file": file = try value(a)
            default:
                if a.hasPrefix("-") {
                    throw UsageError(message: "Unknown option '\(a)'" + Headroom.suggestion(a, ["--targets", "--versions", "--file"]), usage: Help.keys.usage, subcommand: "keys")
                }
                guard caller == nil else { throw UsageError(message: "Expected one caller name, got '\(caller!)' and '\(a)'", usage: Help.keys.usage, subcommand: "keys") }
                caller = a
            }
            k += 1
        }
        guard let caller, !caller.isEmpty else { throw UsageError(message: "Missing expected argument '<caller>'", usage: Help.keys.usage, subcommand: "keys") }
        guard let targets, !targets.isEmpty else { throw UsageError(message: "Missing '--targets' (target names, comma-separated, or '*')", usage: Help.keys.usage, subcommand: "keys") }
        guard let file else { throw UsageError(message: "Missing '--file' (the keys file to add to)", usage: Help.keys.usage, subcommand: "keys") }
        let key = try AccessKeys.add(caller: caller, targets: targets, versions: versions, file: file)
        out.write(key + "\n")
        return 0
    }
}

/// `headroom audit verify PATH… [--audit-key FILE]` and `headroom audit query PATH… [filters] [--csv]`.
enum AuditCommand {
    static func execute(_ arguments: [String], out: TextSink, err: TextSink) throws -> Int32 {
        guard let sub = arguments.first, sub == "verify" || sub == "query" else {
            throw UsageError(message: arguments.isEmpty ? "Missing subcommand: 'verify' or 'query'" : "Unknown subcommand '\(arguments[0])'; expected 'verify' or 'query'",
                             usage: Help.audit.usage, subcommand: "audit")
        }
        var paths: [String] = []
        var keyFile: String?
        var filter = AuditQuery.Filter()
        var csv = false
        var k = 1
        func value(_ option: String) throws -> String {
            k += 1
            guard k < arguments.count else { throw UsageError(message: "Missing value for '\(option)'", usage: Help.audit.usage, subcommand: "audit") }
            return arguments[k]
        }
        while k < arguments.count {
            let a = arguments[k]
            switch (sub, a) {
            case ("verify", "--audit-key"): keyFile = try value(a)
            case ("query", "--caller"): filter.caller = try value(a)
            case ("query", "--target"): filter.target = try value(a)
            case ("query", "--version"): filter.version = try value(a)
            case ("query", "--outcome"): filter.outcome = try value(a)
            case ("query", "--from"): filter.from = try value(a)
            case ("query", "--to"): filter.to = try value(a)
            case ("query", "--csv"): csv = true
            default:
                if a.hasPrefix("-") { throw UsageError(message: "Unknown option '\(a)' for 'audit \(sub)'", usage: Help.audit.usage, subcommand: "audit") }
                paths.append(a)
            }
            k += 1
        }
        guard !paths.isEmpty else { throw UsageError(message: "Missing expected argument '<path>'", usage: Help.audit.usage, subcommand: "audit") }
        if sub == "verify" {
            let report = try AuditVerifier.verify(paths, key: try keyFile.map { try AuditKeyFile.load($0) })
            if let f = report.failure {
                out.write("\(f.file):\(f.line): \(f.message)\n")
                out.write("verification failed after \(report.records) good records\n")
                return 1
            }
            var line = "verified \(report.records) records in \(report.files) file\(report.files == 1 ? "" : "s")"
            if keyFile != nil { line += ", \(report.digests) digest\(report.digests == 1 ? "" : "s") authenticated" }
            out.write(line + "\n")
            if let t = report.truncated {
                out.write("note: \(t.file):\(t.line) is an incomplete last line (the writer stopped mid-write, e.g. killed): records up to it verified\n")
            }
            if keyFile != nil && report.unauthenticated > 0 {
                out.write("note: the last \(report.unauthenticated) record\(report.unauthenticated == 1 ? " is" : "s are") after the last digest: chained, not authenticated by the key\n")
            }
            if keyFile == nil { out.write("note: without --audit-key the digests were not checked: a log rewritten whole would pass\n") }
            return 0
        }
        let rows = try AuditQuery.rows(paths, filter: filter)
        if csv {
            var text = AuditQuery.columns.joined(separator: ",") + "\n"
            for r in rows { text += r.map(CSVField.quote).joined(separator: ",") + "\n" }
            out.write(text)
        } else {
            let shown = ["arrival", "caller", "target", "model", "version", "status", "outcome", "cold", "id"]
            let index = shown.map { AuditQuery.columns.firstIndex(of: $0)! }
            out.write(TerminalTable.render([shown] + rows.map { r in index.map { r[$0] } }, rightAligned: [5]))
            out.write("\(rows.count) request\(rows.count == 1 ? "" : "s")\n")
        }
        return 0
    }
}

/// A CSV field, quoted when it needs to be (RFC 4180).
enum CSVField {
    static func quote(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
