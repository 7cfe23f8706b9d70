import Foundation
import Glibc
import Scenario
import Simulator
import Reports
import Runtime
import Measurement

/// `headroom loadgen URL (--scenario FILE | --trace FILE) [options]`.
struct LoadgenCommand {
    var url = ""
    var scenarioFile: String?
    var traceFile: String?
    var format: TraceSpec.Format?
    var defaultTarget: String?
    var plan = "measured"
    var seed: UInt64?
    var options = LoadGenerator.Options()
    var timeout: Double?
    var api = LoadTarget.API.kserve
    var bodyFile: String?
    var interval = 1.0
    var out: String?
    var invocation: [String] = []

    static func usage(_ m: String, raisedIn f: String = #fileID, at l: Int = #line) -> UsageError {
        UsageError(message: m, usage: Help.loadgen.usage, subcommand: "loadgen", raisedIn: f, at: l)
    }

    static func parse(_ arguments: [String]) throws -> LoadgenCommand {
        var c = LoadgenCommand()
        var positional: [String] = []
        var k = 0
        func value(_ option: String) throws -> String {
            k += 1
            guard k < arguments.count else { throw usage("Missing value for '\(option)'") }
            return arguments[k]
        }
        func duration(_ option: String) throws -> Double { try OptionValue.duration(try value(option), option: option, usage: usage) }
        let known = ["--scenario", "--trace", "--format", "--target", "--plan", "--seed", "--speed", "--duration", "--max-in-flight",
                     "--timeout", "--api", "--key", "--body", "--interval", "--out"]
        while k < arguments.count {
            let a = arguments[k]
            switch a {
            case "--scenario": c.scenarioFile = try value(a)
            case "--trace": c.traceFile = try value(a)
            case "--format":
                let text = try value(a)
                guard let f = TraceSpec.Format(rawValue: text), f != .azureFunctions2019 else {
                    throw usage("The value '\(text)' is invalid for '--format': expected csv, azure-llm, azure-functions-2021 or mooncake")
                }
                c.format = f
            case "--target": c.defaultTarget = try value(a)
            case "--plan": c.plan = try value(a)
            case "--seed": c.seed = try OptionValue.seed(try value(a), usage: usage)
            case "--speed": c.options.speed = try OptionValue.speed(try value(a), usage: usage)
            case "--duration": c.options.duration = try duration(a)
            case "--max-in-flight": c.options.maxInFlight = try OptionValue.whole(try value(a), option: a, in: 1...4096, usage: usage)
            case "--timeout": c.timeout = try duration(a)
            case "--api":
                let text = try value(a)
                guard let x = LoadTarget.API(rawValue: text) else { throw usage("The value '\(text)' is invalid for '--api': expected kserve, lambda or openai") }
                c.api = x
            case "--key":
                let text = try value(a)
                guard let eq = text.firstIndex(of: "="), eq != text.startIndex, text.index(after: eq) != text.endIndex else {
                    throw usage("The value '\(text)' is invalid for '--key': expected CALLER=KEY")
                }
                c.options.keys[String(text[..<eq])] = String(text[text.index(after: eq)...])
            case "--body": c.bodyFile = try value(a)
            case "--interval": c.interval = try duration(a)
            case "--out": c.out = try value(a)
            default:
                if a.hasPrefix("-") { throw usage("Unknown option '\(a)'" + Headroom.suggestion(a, known)) }
                positional.append(a)
            }
            k += 1
        }
        guard let url = positional.first else { throw usage("Missing expected argument '<url>'") }
        if positional.count > 1 { throw usage("Unexpected argument '\(positional[1])'") }
        c.url = url
        switch (c.scenarioFile, c.traceFile) {
        case (nil, nil): throw usage("Missing '--scenario <file>' or '--trace <file>': the workload to send")
        case (_?, _?): throw usage("Give '--scenario' or '--trace', not both")
        default: break
        }
        if c.traceFile == nil && (c.format != nil || c.defaultTarget != nil) {
            throw usage("'--format' and '--target' go with '--trace'")
        }
        return c
    }

    func execute(out: TextSink, err: TextSink) throws -> Int32 {
        let started = Date()
        var target: LoadTarget
        do { target = try LoadTarget(url: url) } catch let e as LoadError {
            throw UsageError(message: e.description, usage: Help.loadgen.usage, subcommand: "loadgen", raisedAt: e.raisedAt)
        }
        target.api = api
        var options = self.options
        options.scrapeInterval = interval
        if let bodyFile {
            guard let data = FileManager.default.contents(atPath: bodyFile) else {
                throw ScenarioError(file: bodyFile, message: "cannot read the request body file", suggestion: "check the path")
            }
            options.body = [UInt8](data)
        }
        // The workload, checked whole before anything is sent.
        let stream: ArrivalStream
        let scenario: Scenario?
        var preflightTargets: [String] = []
        if let scenarioFile {
            let s = try ScenarioLoader.load(path: scenarioFile)
            stream = try ArrivalStream(scenario: s, seed: seed)
            scenario = s
            for source in s.workload {
                if let t = source.target { preflightTargets.append(s.targetNames[t.index]) }
                for entry in source.mix { preflightTargets.append(s.targetNames[entry.target.index]) }
            }
            options.timeout = timeout ?? (s.slo.timeout + 5)
            options.runLength = min(options.duration ?? s.duration, s.duration)
        } else {
            let file = traceFile!
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
                throw ScenarioError(file: file, message: "is a folder, not a trace file", suggestion: "name one CSV file in it")
            }
            let spec = TraceSpec(format: try format ?? TraceCommand.guessFormat(file), path: file, resolvedPath: file)
            stream = try ArrivalStream(trace: spec, defaultTarget: defaultTarget, duration: nil)
            scenario = nil
            if let defaultTarget { preflightTargets.append(defaultTarget) }
            options.timeout = timeout ?? 60
        }
        var seen = Set<String>()
        preflightTargets = preflightTargets.filter { seen.insert($0).inserted }
        let generator = LoadGenerator(target: target, options: options)
        try generator.preflight(targets: preflightTargets)
        let name = scenario?.name ?? ((traceFile! as NSString).lastPathComponent as NSString).deletingPathExtension
        let directory = self.out ?? "Reports/" + RunCommand.folderName(name) + "-measured"
        let existed = FileManager.default.fileExists(atPath: directory)
        let staging = try ReportStaging(directory: directory)

        let interrupt = InterruptWatch { generator.stop() }
        defer { interrupt.cancel() }
        var lastLine = Date()
        let load = try generator.run(stream, targetName: { stream.targetName($0) }) { sent, at in
            // A line every few seconds, terminal or not (CI logs).
            if Date().timeIntervalSince(lastLine) >= 5 {
                lastLine = Date()
                err.write("loadgen: \(sent) sent, \(TerminalTable.duration(at)) into the schedule\n")
            }
        }
        if load.interrupted || interrupt.fired {
            staging.discard()
            // A folder this run created is removed again: an interrupted run leaves nothing.
            if !existed { try? FileManager.default.removeItem(atPath: directory) }
            err.write("loadgen: interrupted after \(load.requests.count) requests; no report written\n")
            return 128 + (interrupt.signalNumber == 0 ? SIGINT : interrupt.signalNumber)
        }
        let reportScenario = try scenario ?? MeasuredRun.traceScenario(name: name, targets: load.targetNames, file: traceFile!)
        var run = MeasuredRun.result(load, scenario: reportScenario, plan: plan, policy: "measured", interval: interval)
        try MeasuredRun.stageRequests(load, plan: plan, in: staging.stagingDirectory, into: &run)
        let manifest = Manifest(headroom: Help.version, command: invocation, scenario: scenarioFile ?? traceFile!, seed: scenario == nil ? nil : run.seed,
                                plans: [plan], started: started)
        let written = try ReportFiles.write(run, staging: staging, interval: interval, manifest: manifest)
        var text = "\(name): sent \(load.requests.count) requests to \(url) in \(TerminalTable.duration(Double(load.end) / 1e9))"
            + (options.speed != 1 ? " at speed \(Gates.show(options.speed))" : "") + "\n\n"
        text += TerminalTable.plans(run) + "\n"
        text += Self.lateness(load) + "\n"
        text += "wrote " + written.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ") + " to \(directory)/\n"
        out.write(text)
        return 0
    }

    /// Send-time precision: how late requests went out, and how many past the threshold.
    static func lateness(_ load: LoadRun) -> String {
        let lates = load.requests.map { Double($0.sent - $0.due) / 1e6 }.sorted()
        guard !lates.isEmpty else { return "no request was sent" }
        func q(_ p: Double) -> String { CSVNumber.fixed(lates[min(lates.count - 1, Int(p / 100 * Double(lates.count - 1)))], 3) }
        return "send lateness (ms): p50 \(q(50)), p99 \(q(99)), max \(q(100)); "
            + "\(load.late) of \(load.requests.count) sent more than \(Gates.show(Double(load.lateThreshold) / 1e6)) ms late"
    }
}

/// SIGINT and SIGTERM call `action` once, through `SignalHub`.
final class InterruptWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var signalled: Int32 = 0
    private var registration = 0
    var fired: Bool { lock.withLock { signalled != 0 } }
    var signalNumber: Int32 { lock.withLock { signalled } }

    init(_ action: @escaping @Sendable () -> Void) {
        registration = SignalHub.shared.register { [self] s in
            let first = lock.withLock { () -> Bool in
                guard signalled == 0 else { return false }
                signalled = s
                return true
            }
            if first { action() }
        }
    }

    func cancel() { SignalHub.shared.unregister(registration) }
}
