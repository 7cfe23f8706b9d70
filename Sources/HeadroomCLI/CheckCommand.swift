import Foundation
import Digest
import Scenario
import Planning
import Simulator
import Reports

/// `headroom check [PATH...]`: every scenario's gates, as a CI step.
struct CheckCommand {
    /// The command line as given, recorded in the JUnit report's properties.
    var invocation: [String] = []
    var paths: [String] = []
    var junit: String?
    var sequential = false

    var budget = RunBudget()

    static let options = ["--junit", "--sequential", "--max-requests", "--help", "-h"]

    static func parse(_ arguments: [String]) throws -> CheckCommand {
        var command = CheckCommand()
        var k = 0
        func usage(_ message: String, raisedIn f: String = #fileID, at l: Int = #line) -> UsageError {
            UsageError(message: message, usage: Help.check.usage, subcommand: "check", raisedIn: f, at: l)
        }
        while k < arguments.count {
            let argument = arguments[k]
            if argument == "--junit" {
                k += 1
                guard k < arguments.count, !arguments[k].hasPrefix("--") else { throw usage("Missing value for '--junit'") }
                command.junit = arguments[k]
            } else if argument.hasPrefix("--junit=") {
                command.junit = String(argument.dropFirst("--junit=".count))
            } else if argument == "--sequential" {
                command.sequential = true
            } else if argument == "--max-requests" {
                k += 1
                guard k < arguments.count, let x = RunBudget.parse(arguments[k]) else {
                    throw usage("The value '\(k < arguments.count ? arguments[k] : "")' is invalid for '--max-requests': expected a whole number ≥ 1, such as 5e9")
                }
                command.budget.maxRequests = x
            } else if argument.hasPrefix("-") {
                throw usage("Unknown option '\(argument)'" + Headroom.suggestion(argument, options))
            } else {
                command.paths.append(argument)
            }
            k += 1
        }
        if command.paths.isEmpty { command.paths = ["Scenarios"] }
        return command
    }

    /// Scenario files under the paths: directories are searched recursively for `.json`
    /// files, in path order; JSON Schema documents and model configs (recognised by their
    /// content, not their name) are left out and listed in `skipped`. Finding no scenario is an error: a check
    /// that checks nothing must not pass.
    static func scenarioFiles(_ paths: [String], skipped: inout [String]) throws -> [String] {
        var files: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ScenarioError(file: path, message: "no such file or folder")
            }
            if isDirectory.boolValue {
                let found = (fm.enumerator(atPath: path)?.allObjects as? [String] ?? [])
                    .filter { $0.hasSuffix(".json") && !$0.split(separator: "/").contains { $0.hasPrefix(".") } }
                    .sorted()
                    .map { path.hasSuffix("/") ? path + $0 : path + "/" + $0 }
                for file in found {
                    if JSONSchemaFile.isSchema(file) { skipped.append(file) } else { files.append(file) }
                }
            } else if JSONSchemaFile.isSchema(path) {
                skipped.append(path)
            } else {
                files.append(path)
            }
        }
        guard !files.isEmpty else {
            throw ScenarioError(file: paths.joined(separator: ", "), message: "no scenario file found (\(skipped.isEmpty ? "no .json file" : "only " + skipped.map { "\(JSONSchemaFile.kind($0) ?? "a file that is not a scenario") \($0)" }.joined(separator: ", "))): nothing would be checked",
                                suggestion: "name a scenario file or a folder that holds some")
        }
        return files
    }

    struct Outcome {
        var file: String
        var scenario: String
        var gates: [GateResult] = []
        var error: String?
    }

    func execute(out: TextSink, err: TextSink) throws -> Int32 {
        let started = Date()
        var skipped: [String] = []
        let files = try Self.scenarioFiles(paths, skipped: &skipped)
        var outcomes = files.map { Outcome(file: $0, scenario: $0) }
        var scenarios: [Scenario?] = []
        for (k, file) in files.enumerated() {
            do {
                let s = try ScenarioLoader.load(path: file)
                for p in s.plans.indices { try PlanBuilder.checkPlan(s, planIndex: p) }
                // A scenario over the run budget is an error of its own, before any plan runs.
                try budget.check(WorkEstimate.of(s, plans: s.plans.count, interval: 0), scenario: s, what: "checking it")
                outcomes[k].scenario = s.name
                scenarios.append(s)
            } catch {
                outcomes[k].error = "\(error)"
                scenarios.append(nil)
            }
        }
        // Every (scenario, plan) is one task; tasks run on all cores, results land by index.
        var tasks: [(scenario: Int, plan: Int)] = []
        for (k, s) in scenarios.enumerated() { if let s { for p in s.plans.indices { tasks.append((k, p)) } } }
        var options = RunOptions()
        options.interval = 0
        options.parallel = false
        // One plan at a time (--sequential), or fewer plans than cores: the free core draws ahead.
        options.drawAhead = Runner.leavesCoreIdle(simulations: tasks.count, parallel: !sequential)
        let fixed = options, loaded = scenarios, work = tasks
        // A plan that fails to run marks its scenario as an error; the others still report.
        let results = try ParallelWork.map(tasks.count, parallel: !sequential) { j -> Result<PlanResult, Error> in
            let s = loaded[work[j].scenario]!
            return Result { try Runner.runPlan(s, index: work[j].plan, seed: s.seed, options: fixed) }
        }
        for (k, s) in scenarios.enumerated() {
            guard let s else { continue }
            var plans: [PlanResult] = []
            for (j, task) in tasks.enumerated() where task.scenario == k {
                switch results[j] {
                case let .success(r): plans.append(r)
                case let .failure(e): outcomes[k].error = outcomes[k].error ?? "\(e)"
                }
            }
            if outcomes[k].error == nil {
                let run = RunResult(scenario: s, seed: s.seed, plans: plans, planIndices: Array(s.plans.indices),
                                    requestLogs: [], callers: plans.first?.callers ?? [""], versions: plans.first?.versions ?? [""])
                outcomes[k].gates = Gates.evaluate(run)
            }
        }

        var rows: [[String]] = [["gate", "scenario", "plan", "metric", "measured", "bound", "note"]]
        var errors: [String] = []
        for o in outcomes {
            if let error = o.error {
                rows.append(["ERROR", o.scenario, "", "", "", "", "does not load or run (below)"])
                errors.append("Error: \(error)")
                continue
            }
            if o.gates.isEmpty { rows.append(["–", o.scenario, "", "", "", "", "no gates"]) }
            for g in o.gates {
                rows.append([g.verdict.rawValue, o.scenario, g.plan, g.metric,
                             g.shownMeasured, g.bound, g.note])
            }
        }
        if !rows.dropFirst().contains(where: { !$0[6].isEmpty }) { rows = rows.map { Array($0.prefix(6)) } }
        let passed = outcomes.reduce(0) { $0 + $1.gates.filter { $0.verdict == .pass }.count }
        let failed = outcomes.reduce(0) { $0 + $1.gates.filter { $0.verdict == .fail }.count + ($1.error == nil ? 0 : 1) }
        var text = TerminalTable.render(rows, rightAligned: [4])
        if !errors.isEmpty { text += "\n" + errors.joined(separator: "\n") + "\n" }
        let wall = Date().timeIntervalSince(started)
        text += "\n\(files.count) scenario\(files.count == 1 ? "" : "s"), \(tasks.count) plan runs in \(CSVNumber.fixed(wall, 2)) s\n"
        for file in skipped { text += "skipped \(file): \(JSONSchemaFile.kind(file) ?? "a file"), not a scenario\n" }
        text += "\(passed) passed, \(failed) failed\n"
        out.write(text)
        if let junit { try JUnitReport.write(outcomes, to: junit, seconds: wall, command: invocation) }
        return failed == 0 ? 0 : 1
    }
}

/// JUnit XML for CI systems that render test results: one test suite per scenario, one test
/// case per gate.
enum JUnitReport {
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if c.value < 0x20 && c != "\n" && c != "\t" { continue }
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func xml(_ outcomes: [CheckCommand.Outcome], seconds: Double, command: [String] = []) -> String {
        let tests = outcomes.reduce(0) { $0 + max($1.gates.count, $1.error == nil ? 0 : 1) }
        let failures = outcomes.reduce(0) { $0 + $1.gates.filter { $0.verdict == .fail }.count }
        let errors = outcomes.filter { $0.error != nil }.count
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites name=\"headroom check\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\" time=\"\(CSVNumber.fixed(seconds, 3))\">\n"
        for o in outcomes {
            let suite = escape(o.scenario)
            if let error = o.error {
                x += "  <testsuite name=\"\(suite)\" tests=\"1\" failures=\"0\" errors=\"1\">\n"
                x += "    <testcase classname=\"\(suite)\" name=\"load \(escape(o.file))\">\n"
                x += "      <error message=\"\(escape(error))\"/>\n    </testcase>\n  </testsuite>\n"
                continue
            }
            let f = o.gates.filter { $0.verdict == .fail }.count
            let skipped = o.gates.filter { $0.verdict == .skipped }.count
            x += "  <testsuite name=\"\(suite)\" tests=\"\(o.gates.count)\" failures=\"\(f)\" errors=\"0\" skipped=\"\(skipped)\">\n"
            // Provenance: how this result was made (the manifest of a run's report folder).
            let sha = FileManager.default.contents(atPath: o.file).map { SHA256.hex([UInt8]($0)) } ?? ""
            x += "    <properties>\n"
            for (name, value) in [("headroom", Help.version), ("scenario", o.file), ("scenario_sha256", sha), ("command", command.joined(separator: " "))] {
                x += "      <property name=\"\(name)\" value=\"\(escape(value))\"/>\n"
            }
            x += "    </properties>\n"
            for g in o.gates {
                x += "    <testcase classname=\"\(suite).\(escape(g.plan))\" name=\"\(escape(g.metric)) \(escape(g.bound))\">"
                let measured = (g.measured.map { $0.isFinite ? Gates.show($0) : "inf" } ?? "none") + g.measuredUnit
                switch g.verdict {
                case .pass: x += "</testcase>\n"
                case .skipped: x += "\n      <skipped message=\"\(escape(g.note))\"/>\n    </testcase>\n"
                case .fail:
                    x += "\n      <failure message=\"measured \(escape(measured)), expected \(escape(g.bound))\(g.note.isEmpty ? "" : "; " + escape(g.note))\"/>\n    </testcase>\n"
                }
            }
            x += "  </testsuite>\n"
        }
        x += "</testsuites>\n"
        return x
    }

    /// Writes the file whole or not at all (temporary file, then rename).
    static func write(_ outcomes: [CheckCommand.Outcome], to path: String, seconds: Double, command: [String]) throws {
        if let why = FileSystem.writeWhole(Array(xml(outcomes, seconds: seconds, command: command).utf8), to: path) {
            throw SimulationError.io("cannot write the JUnit report \(path): \(why)")
        }
    }
}

/// Recognises a JSON Schema document by its content: a top-level `$schema` naming a
/// json-schema.org meta-schema. (A scenario's own `$schema` points at the schema file,
/// e.g. "schema.json", so a scenario is never mistaken for one, whatever its name.)
enum JSONSchemaFile {
    static func isSchema(_ path: String) -> Bool { notAScenario(path) != nil }

    /// The short name of what `notAScenario` found.
    static func kind(_ path: String) -> String? {
        notAScenario(path).map { $0.hasPrefix("a JSON Schema") ? "a JSON Schema document" : "a model config" }
    }

    /// What a JSON file beside the scenarios is when it is not one, recognised by its content
    /// (never its name): a JSON Schema document (its `$schema` a json-schema.org
    /// meta-schema), or a Hugging Face model config an engine's `model` names (layers and a
    /// hidden size, and no `models`). Nil for anything else, scenarios and broken files alike.
    static func notAScenario(_ path: String) -> String? {
        // Only regular files: a folder is not a schema, and a pipe must not be consumed here.
        guard let head = FileSystem.head(of: path, limit: 1 << 20),
              let object = try? JSONSerialization.jsonObject(with: Data(head)) as? [String: Any] else { return nil }
        if let schema = object["$schema"] as? String, schema.contains("json-schema.org/") {
            return "a JSON Schema document (its $schema is a json-schema.org meta-schema)"
        }
        if object["num_hidden_layers"] != nil, object["hidden_size"] != nil, object["models"] == nil {
            return "a model config (a Hugging Face config.json, for an engine's model)"
        }
        return nil
    }
}
