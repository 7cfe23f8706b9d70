import Foundation
import Scenario
import Planning
import Simulator
import Reports
import Sweep
import Runtime
import Measurement

/// A usage error: wrong arguments. Exit status 64 (EX_USAGE), as swift-argument-parser does.
struct UsageError: RaisedError {
    let message: String
    let usage: String
    let subcommand: String?
    /// Where it was raised (see `RaisedError`).
    let raisedAt: String

    init(message: String, usage: String, subcommand: String?, raisedIn sourceFile: String = #fileID, at sourceLine: Int = #line) {
        self.message = message
        self.usage = usage
        self.subcommand = subcommand
        raisedAt = "\(sourceFile):\(sourceLine)"
    }

    /// A usage error made from another module's error about the command line, keeping where
    /// that one was raised.
    init(message: String, usage: String, subcommand: String?, raisedAt: String) {
        self.message = message
        self.usage = usage
        self.subcommand = subcommand
        self.raisedAt = raisedAt
    }
}

/// A command finished its work and printed its results, but could not write its files
/// (exit 73). Carries the error that stopped the writing.
struct ReportsNotWritten: RaisedError, CustomStringConvertible {
    /// What was not written and what was printed: "the report files were not written (the
    /// table and gates above are complete)".
    let what: String
    let underlying: Error
    var raisedAt: String { (underlying as? RaisedError)?.raisedAt ?? "" }
    var description: String { "\(what): \(underlying)" }
}

/// The `headroom` command line.
public enum Headroom {
    public static let exitUsage: Int32 = 64
    /// The report files could not be written (EX_CANTCREAT in sysexits.h); the run's table
    /// and gates were printed.
    public static let exitCannotWrite: Int32 = 73

    /// Runs the command with `arguments` (without the program name); returns the exit status.
    public static func main(_ arguments: [String], out: TextSink = StandardStream.output,
                            err: TextSink = StandardStream.error) -> Int32 {
        main(arguments, out: out, err: err, raised: nil)
    }

    /// `main`, handing the error that ended the command (if any) to `raised` before it is
    /// printed: the error-message audit test reads where each was raised.
    static func main(_ arguments: [String], out: TextSink, err: TextSink, raised: ((Error) -> Void)?) -> Int32 {
        do {
            return try dispatch(arguments, out: out, err: err)
        } catch {
            raised?(error)
            return report(error, err: err)
        }
    }

    /// Prints `error` on `err` and returns the exit status: 64 for usage errors (with the
    /// usage line), 73 when results were printed but their files not written, 1 otherwise.
    /// Every error type says what was wrong and where in its description.
    static func report(_ error: Error, err: TextSink) -> Int32 {
        switch error {
        case let e as UsageError:
            err.write("Error: \(e.message)\nUsage: \(e.usage)\n")
            err.write("  See 'headroom \(e.subcommand.map { "help \($0)" } ?? "--help")' for more information.\n")
            return exitUsage
        case is ReportsNotWritten:
            err.write("Error: \(error)\n")
            return exitCannotWrite
        default:
            err.write("Error: \(error)\n")
            return 1
        }
    }

    static func dispatch(_ arguments: [String], out: TextSink, err: TextSink) throws -> Int32 {
        guard let first = arguments.first else {
            out.write(Help.main)
            return 0
        }
        let rest = Array(arguments.dropFirst())
        // `headroom SUB -h` / `--help` anywhere: that subcommand's help.
        if let sub = Help.subcommands.first(where: { $0.name == first }), rest.contains("-h") || rest.contains("--help") {
            out.write(sub.text)
            return 0
        }
        switch first {
        case "-h", "--help":
            out.write(Help.main)
            return 0
        case "--version":
            out.write(Help.version + "\n")
            return 0
        case "help":
            guard let name = rest.first else { out.write(Help.main); return 0 }
            guard let sub = Help.subcommands.first(where: { $0.name == name }) else {
                throw UsageError(message: "Unknown subcommand '\(name)'" + suggestion(name, Help.subcommands.map(\.name)),
                                 usage: "headroom help <subcommand>", subcommand: nil)
            }
            out.write(sub.text)
            return 0
        case "run":
            var command = try RunCommand.parse(rest)
            command.invocation = ["headroom"] + arguments
            return try command.execute(out: out, err: err)
        case "check":
            var command = try CheckCommand.parse(rest)
            command.invocation = ["headroom"] + arguments
            return try command.execute(out: out, err: err)
        case "sweep":
            var command = try SweepCommand.parse(rest)
            command.invocation = ["headroom"] + arguments
            return try command.execute(out: out, err: err)
        case "merge":
            return try MergeCommand.execute(rest, out: out)
        case "compare":
            return try CompareCommand.execute(rest, out: out)
        case "init":
            return try InitCommand.execute(rest, out: out)
        case "import":
            return try ImportCommand.execute(rest, out: out)
        case "export":
            return try ExportCommand.execute(rest, out: out)
        case "trace":
            return try TraceCommand.execute(rest, out: out)
        case "validate":
            return try validate(rest, out: out, err: err)
        case "explain-plan":
            return try explainPlan(rest, out: out)
        case "serve":
            return try ServeCommand.parse(rest).execute(out: out, err: err)
        case "replay":
            return try ReplayCommand.execute(rest, out: out)
        case "keys":
            return try KeysCommand.execute(rest, out: out)
        case "audit":
            return try AuditCommand.execute(rest, out: out, err: err)
        case "loadgen":
            var command = try LoadgenCommand.parse(rest)
            command.invocation = ["headroom"] + arguments
            return try command.execute(out: out, err: err)
        case "calibrate":
            var command = try CalibrateCommand.parse(rest)
            command.invocation = ["headroom"] + arguments
            return try command.execute(out: out, err: err)
        default:
            let hint = suggestion(first, Help.subcommands.map(\.name) + ["help"])
            if first.hasPrefix("-") {
                throw UsageError(message: "Unknown option '\(first)'" + hint, usage: "headroom <subcommand>", subcommand: nil)
            }
            throw UsageError(message: "Unknown subcommand '\(first)'" + hint, usage: "headroom <subcommand>", subcommand: nil)
        }
    }

    static func suggestion(_ word: String, _ candidates: [String]) -> String {
        Suggest.closest(to: word, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    static func explainPlan(_ arguments: [String], out: TextSink) throws -> Int32 {
        if let option = arguments.first(where: { $0.hasPrefix("-") }) {
            throw UsageError(message: "Unknown option '\(option)'", usage: Help.explainPlan.usage, subcommand: "explain-plan")
        }
        guard let file = arguments.first else {
            throw UsageError(message: "Missing expected argument '<file>'", usage: Help.explainPlan.usage, subcommand: "explain-plan")
        }
        let scenario = try ScenarioLoader.load(path: file)
        let names = scenario.plans.map(\.name)
        var indices: [Int] = []
        for name in arguments.dropFirst() {
            guard let k = names.firstIndex(of: name) else {
                throw UsageError(message: "Unknown plan '\(name)'" + suggestion(name, names) + "; plans are " + names.joined(separator: ", "),
                                 usage: Help.explainPlan.usage, subcommand: "explain-plan")
            }
            indices.append(k)
        }
        if indices.isEmpty { indices = Array(names.indices) }
        var text = ""
        for k in indices {
            let e = try PlanBuilder.explain(scenario, planIndex: k)
            text += "plan \(e.plan) (\(e.family))\n"
            var rows: [[String]] = [["section", "parameter", "value", "from"]]
            for line in e.lines { rows.append([line.section, line.name, line.value, line.origin]) }
            text += TerminalTable.render(rows, rightAligned: []) + "\n"
        }
        out.write(text)
        return 0
    }

    static func validate(_ files: [String], out: TextSink, err: TextSink) throws -> Int32 {
        if let option = files.first(where: { $0.hasPrefix("-") }) {
            throw UsageError(message: "Unknown option '\(option)'", usage: Help.validate.usage, subcommand: "validate")
        }
        guard !files.isEmpty else {
            throw UsageError(message: "Missing expected argument '<file>'", usage: Help.validate.usage, subcommand: "validate")
        }
        var failed = 0
        for file in files {
            if let what = JSONSchemaFile.notAScenario(file) {
                out.write("\(file): skipped — \(what), not a scenario\n")
                continue
            }
            do {
                let scenario = try ScenarioLoader.load(path: file)
                let rows = try Runner.validate(scenario)
                let traceNote = rows > 0 ? ", \(rows) trace rows" : ""
                let e = WorkEstimate.of(scenario, plans: scenario.plans.count, interval: 60)
                let work = "; a run simulates about \(RunBudget.show(e.requests)) requests (\(RunBudget.show(e.requestsPerPlan)) per plan)"
                    + " and keeps \(RunBudget.show(e.timeseriesRows)) timeseries.csv rows at the default interval"
                    + (e.uncounted.isEmpty ? "" : " (not counted: \(e.uncounted.joined(separator: ", ")))")
                    + ((try? RunBudget().check(e, scenario: scenario)) == nil ? ", over the default budget (see --max-requests, --max-rows)" : "")
                out.write("\(file): valid — \(scenario.plans.count) plans, \(scenario.models.count) models, \(scenario.workload.count) workload sources\(traceNote)\(work)\n")
            } catch let e as ScenarioError {
                err.write("Error: \(e.description)\n")
                failed += 1
            }
        }
        return failed == 0 ? 0 : 1
    }
}

/// `headroom run`.
struct RunCommand {
    /// The command line as given, for the report folder's manifest.
    var invocation: [String] = []
    var file = ""
    var out: String?
    var plans: [String] = []
    var seed: UInt64?
    var requests = false
    var interval = 60.0
    var sequential = false
    var overrides: [String] = []
    var budget = RunBudget()

    static let options = ["--out", "-o", "--plan", "--seed", "--requests", "--interval", "--sequential", "--set", "--max-requests", "--max-rows",
                          "--help", "-h"]

    static func parse(_ arguments: [String]) throws -> RunCommand {
        var command = RunCommand()
        var positional: [String] = []
        var k = 0
        func usage(_ message: String, raisedIn f: String = #fileID, at l: Int = #line) -> UsageError {
            UsageError(message: message, usage: Help.run.usage, subcommand: "run", raisedIn: f, at: l)
        }
        func value(_ name: String, inline: String?) throws -> String {
            if let inline { return inline }
            k += 1
            guard k < arguments.count, !arguments[k].hasPrefix("--") else { throw usage("Missing value for '\(name)'") }
            return arguments[k]
        }
        while k < arguments.count {
            let argument = arguments[k]
            var name = argument
            var inline: String?
            if argument.hasPrefix("--"), let eq = argument.firstIndex(of: "=") {
                name = String(argument[..<eq])
                inline = String(argument[argument.index(after: eq)...])
            }
            switch name {
            case "--out", "-o": command.out = try value(name, inline: inline)
            case "--plan": command.plans.append(try value(name, inline: inline))
            case "--seed":
                let text = try value(name, inline: inline)
                guard let seed = UInt64(text) else { throw usage("The value '\(text)' is invalid for '--seed': expected a whole number ≥ 0") }
                command.seed = seed
            case "--requests": command.requests = true
            case "--sequential": command.sequential = true
            case "--max-requests", "--max-rows":
                let text = try value(name, inline: inline)
                guard let x = RunBudget.parse(text) else {
                    throw usage("The value '\(text)' is invalid for '\(name)': expected a whole number ≥ 1, such as 5000000000 or 5e9")
                }
                if name == "--max-requests" { command.budget.maxRequests = x } else { command.budget.maxRows = x }
            case "--set": command.overrides.append(try value(name, inline: inline))
            case "--interval":
                let text = try value(name, inline: inline)
                guard let seconds = ValueReaderBridge.duration(text), seconds > 0 else {
                    throw usage("The value '\(text)' is invalid for '--interval': expected a positive duration such as 30s or 5m")
                }
                command.interval = seconds
            default:
                if argument.hasPrefix("-") && argument != "-" {
                    throw usage("Unknown option '\(name)'" + Headroom.suggestion(name, options))
                }
                positional.append(argument)
            }
            k += 1
        }
        guard let file = positional.first else { throw usage("Missing expected argument '<file>'") }
        if positional.count > 1 { throw usage("Unexpected argument '\(positional[1])'") }
        command.file = file
        return command
    }

    func execute(out: TextSink, err: TextSink) throws -> Int32 {
        let started = Date()
        let scenario = try Self.load(file, overrides: overrides)
        let selected = try Runner.selectPlans(scenario, names: plans)
        // Before anything is written: a run over its budget stops here, saying by how much.
        let estimate = WorkEstimate.of(scenario, plans: selected.count, interval: interval)
        try budget.check(estimate, scenario: scenario)
        let directory = self.out ?? "Reports/" + Self.folderName(scenario.name)
        // A folder that cannot be written does not cost the user the comparison: the run goes
        // ahead, prints its table and gates, then says the files were not written (exit 73).
        // The request log streams into the staging folder, so --requests needs it first.
        var staging: ReportStaging?
        var unwritable: Error?
        do { staging = try ReportStaging(directory: directory) } catch {
            if requests { throw error }
            unwritable = error
        }
        let interrupt = staging.map { SignalHub.shared.exitDiscarding($0, err: err) }
        defer { if let interrupt { SignalHub.shared.unregister(interrupt) } }
        var options = RunOptions()
        options.seed = seed
        options.planNames = plans
        options.interval = interval
        options.parallel = !sequential
        options.drawAhead = true
        if requests { options.requestLogDirectory = staging?.stagingDirectory }
        let display = err.isTerminal ? Progress(sink: err, style: .percent("simulated")) : nil
        if let display {
            let fractions = FractionBoard(count: selected.count)
            options.progress = { plan, fraction in
                let mean = fractions.set(plan, fraction)
                display.update(Int(mean * 1000), 1000)
            }
        } else if estimate.requests > 5e7 {
            // A long run in a log: a line every 5 s.
            let fractions = FractionBoard(count: selected.count)
            let lines = LogLines(sink: err)
            let total = RunBudget.show(estimate.requests)
            options.progress = { plan, fraction in
                let mean = fractions.set(plan, fraction)
                lines.write { "run: \(Int(mean * 100)) % simulated of about \(total) requests" }
            }
        }
        let run: RunResult
        do { run = try Runner.run(scenario, options: options) } catch { display?.finish(); throw error }
        display?.finish()
        let manifest = Manifest(headroom: Help.version, command: invocation, scenario: file, overrides: overrides, seed: run.seed,
                                plans: run.plans.map(\.plan), started: started)
        var written: [String] = []
        if let staging {
            do { written = try ReportFiles.write(run, staging: staging, interval: interval, manifest: manifest) } catch { unwritable = error }
        }
        let wall = Date().timeIntervalSince(started)

        var text = "\(scenario.name): \(run.plans.count) plan\(run.plans.count == 1 ? "" : "s"), seed \(run.seed), arrivals for \(TerminalTable.duration(scenario.duration))\n\n"
        text += TerminalTable.plans(run) + "\n"
        let gates = Gates.evaluate(run)
        if !gates.isEmpty { text += TerminalTable.gates(gates, scenario: scenario.name) + "\n" }
        if unwritable == nil {
            text += "wrote " + written.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ") + " to \(directory)/\n"
        }
        let simulated = run.plans.reduce(Int64(0)) { $0 + $1.totals.requests }
        text += "simulated \(simulated) requests in \(CSVNumber.fixed(wall, 2)) s wall time\n"
        out.write(text)
        if let unwritable { throw ReportsNotWritten(what: "the report files were not written (the table and gates above are complete)", underlying: unwritable) }
        return gates.contains { $0.verdict == .fail } ? 1 : 0
    }

    /// Loads the scenario with `PATH=VALUE` overrides applied (values: numbers, durations as
    /// written, true/false, or text).
    static func load(_ file: String, overrides: [String]) throws -> Scenario {
        if overrides.isEmpty { return try ScenarioLoader.load(path: file) }
        var (root, directory) = try ScenarioLoader.read(path: file)
        for o in overrides {
            guard let eq = o.firstIndex(of: "=") else {
                throw UsageError(message: "The value '\(o)' is invalid for '--set': expected PATH=VALUE, e.g. 'workload[0].path=/data/conv.csv'",
                                 usage: Help.run.usage, subcommand: "run")
            }
            let text = String(o[o.index(after: eq)...])
            let value: JSONValue
            if let n = Double(text) {
                // The JSON reader rejects NaN and infinities; so does --set (NaN passes every
                // range check, so it would run silently wrong).
                guard n.isFinite else {
                    throw UsageError(message: "The value '\(text)' is invalid for '--set \(o[..<eq])': expected a finite number, found \(n.isNaN ? "NaN" : "an infinity")",
                                     usage: Help.run.usage, subcommand: "run")
                }
                value = .number(n)
            }
            else if text == "true" || text == "false" { value = .bool(text == "true") }
            else { value = .string(text) }
            do {
                root = try JSONPath(String(o[..<eq])).setting(value, in: root)
            } catch let e as SweepError {
                throw UsageError(message: "--set: \(e.description)", usage: Help.run.usage, subcommand: "run")
            }
        }
        return try ScenarioLoader.decode(root: root, file: file, directory: directory)
    }

    /// A folder name from a scenario name: letters, digits, '.', '_' and '-' kept, others '-'.
    static func folderName(_ name: String) -> String {
        let mapped = name.unicodeScalars.map { c -> Character in
            (c.properties.isAlphabetic && c.isASCII) || ("0"..."9").contains(c) || c == "." || c == "_" || c == "-" ? Character(c) : "-"
        }
        let s = String(mapped)
        return s.isEmpty || s == "." || s == ".." ? "scenario" : s
    }
}


/// `headroom trace stats FILE`.
enum TraceCommand {
    static func execute(_ arguments: [String], out: TextSink) throws -> Int32 {
        func usage(_ m: String, raisedIn f: String = #fileID, at l: Int = #line) -> UsageError {
            UsageError(message: m, usage: Help.trace.usage, subcommand: "trace", raisedIn: f, at: l)
        }
        guard arguments.first == "stats" else {
            throw usage(arguments.isEmpty ? "Missing expected argument 'stats'" : "Unknown trace subcommand '\(arguments[0])' (expected 'stats')")
        }
        var files: [String] = []
        var format: TraceSpec.Format?
        var k = 1
        while k < arguments.count {
            let a = arguments[k]
            if a == "--format" || a.hasPrefix("--format=") {
                var value = String(a.dropFirst("--format=".count))
                if a == "--format" {
                    k += 1
                    guard k < arguments.count else { throw usage("Missing value for '--format'") }
                    value = arguments[k]
                }
                guard let f = TraceSpec.Format(rawValue: value), f != .azureFunctions2019 else {
                    throw usage("The value '\(value)' is invalid for '--format': expected csv, azure-llm, azure-functions-2021 or mooncake")
                }
                format = f
            } else if a.hasPrefix("-") {
                throw usage("Unknown option '\(a)'" + Headroom.suggestion(a, ["--format"]))
            } else {
                files.append(a)
            }
            k += 1
        }
        guard files.count == 1 else { throw usage(files.isEmpty ? "Missing expected argument '<file>'" : "Unexpected argument '\(files[1])'") }
        let file = files[0]
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ScenarioError(file: file, message: "is a folder, not a trace file", suggestion: "name one CSV file in it")
        }
        let chosen = try format ?? guessFormat(file)
        out.write(try TraceStats.read(path: file, format: chosen).describe(file: file))
        return 0
    }

    /// The Azure format whose header the file starts with, csv otherwise.
    static func guessFormat(_ file: String) throws -> TraceSpec.Format {
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw ScenarioError(file: file, message: "cannot open trace file (\(String(cString: strerror(errno))))")
        }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 256) else {
            throw ScenarioError(file: file, message: "cannot read the trace file: \(String(cString: strerror(errno)))")
        }
        let head = String(decoding: data, as: UTF8.self).lowercased()
        if head.hasPrefix("timestamp,contexttokens,generatedtokens") { return .azureLLM }
        if head.hasPrefix("app,func,end_timestamp,duration") { return .azureFunctions2021 }
        if head.hasPrefix("{"), head.contains("\"input_length\"") { return .mooncake }
        return .csv
    }
}
