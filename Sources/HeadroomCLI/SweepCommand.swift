import Foundation
import Scenario
import Simulator
import Reports
import Sweep

/// `headroom sweep FILE --vary 'PATH=SPEC' ...`.
struct SweepCommand {
    /// The command line as given, for the report folder's manifest.
    var invocation: [String] = []
    var file = ""
    var vary: [String] = []
    var sample: String?
    var seed: UInt64?
    var out: String?
    var shard: (Int, Int)?
    var sequential = false
    var budget = RunBudget()

    static let options = ["--vary", "--sample", "--seed", "--out", "-o", "--shard", "--sequential", "--max-requests", "--help", "-h"]

    static func usage(_ message: String, raisedIn f: String = #fileID, at l: Int = #line) -> UsageError {
        UsageError(message: message, usage: Help.sweep.usage, subcommand: "sweep", raisedIn: f, at: l)
    }

    static func parse(_ arguments: [String]) throws -> SweepCommand {
        var c = SweepCommand()
        var positional: [String] = []
        var k = 0
        func value(_ name: String) throws -> String {
            k += 1
            guard k < arguments.count, !arguments[k].hasPrefix("--") else { throw usage("Missing value for '\(name)'") }
            return arguments[k]
        }
        while k < arguments.count {
            var argument = arguments[k]
            var inline: String?
            if argument.hasPrefix("--"), let eq = argument.firstIndex(of: "="), !argument.hasPrefix("--vary") {
                inline = String(argument[argument.index(after: eq)...])
                argument = String(argument[..<eq])
            }
            switch argument {
            case "--vary": c.vary.append(try value(argument))
            case "--sample": c.sample = try inline ?? value(argument)
            case "--seed":
                let text = try inline ?? value(argument)
                guard let s = UInt64(text) else { throw usage("The value '\(text)' is invalid for '--seed': expected a whole number ≥ 0") }
                c.seed = s
            case "--out", "-o": c.out = try inline ?? value(argument)
            case "--shard":
                let text = try inline ?? value(argument)
                let parts = text.split(separator: "/")
                guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 1, i <= n else {
                    throw usage("The value '\(text)' is invalid for '--shard': expected I/N with 1 ≤ I ≤ N, e.g. 2/8")
                }
                c.shard = (i, n)
            case "--sequential": c.sequential = true
            case "--max-requests":
                let text = try inline ?? value(argument)
                guard let x = RunBudget.parse(text) else {
                    throw usage("The value '\(text)' is invalid for '--max-requests': expected a whole number ≥ 1, such as 5000000000 or 5e9")
                }
                c.budget.maxRequests = x
            default:
                if argument.hasPrefix("-") { throw usage("Unknown option '\(argument)'" + Headroom.suggestion(argument, options)) }
                positional.append(argument)
            }
            k += 1
        }
        guard let file = positional.first else { throw usage("Missing expected argument '<file>'") }
        if positional.count > 1 { throw usage("Unexpected argument '\(positional[1])'") }
        guard !c.vary.isEmpty else { throw usage("Missing '--vary': name at least one field to vary, e.g. --vary 'plans.autoscaled.target=0.4..0.8 step 0.1'") }
        c.file = file
        return c
    }

    func execute(out: TextSink, err: TextSink) throws -> Int32 {
        let started = Date()
        var spec: SweepSpec
        do {
            spec = SweepSpec(scenarioPath: file, dimensions: try vary.map(Dimension.init))
            if let sample { spec.design = try SweepDesign(sample) }
        } catch let e as SweepError {
            throw UsageError(message: e.description, usage: Help.sweep.usage, subcommand: "sweep", raisedAt: e.raisedAt)
        }
        spec.seed = seed
        spec.shard = shard.map { (index: $0.0, count: $0.1) }
        spec.parallel = !sequential
        let scenario = try ScenarioLoader.load(path: file)
        // The whole sweep's work (the base scenario's, times the variants this shard runs),
        // before a variant is made: ten million variants must not be materialised to be refused.
        let variantCount = spec.design.count(spec.dimensions) / Double(shard?.1 ?? 1)
        var estimate = WorkEstimate.of(scenario, plans: scenario.plans.count, interval: 0)
        estimate.requestsPerPlan *= variantCount
        estimate.drawsPerPlan *= variantCount
        try budget.check(estimate, scenario: scenario, what: "the sweep (\(RunBudget.show(variantCount)) variants)")
        let progress = err.isTerminal ? Progress(sink: err, style: .count("variants")) : nil
        var callback: (@Sendable (Int, Int) -> Void)?
        if let progress { callback = { done, total in progress.update(done, total) } }
        let table: SweepTable
        do {
            table = try SweepRunner.run(spec, progress: callback)
        } catch let e as SweepError {
            progress?.finish()
            if e.kind == .usage { throw UsageError(message: e.description, usage: Help.sweep.usage, subcommand: "sweep", raisedAt: e.raisedAt) }
            throw e
        }
        progress?.finish()
        let directory = self.out ?? "Reports/" + RunCommand.folderName(scenario.name) + "-sweep"
        let wall = Date().timeIntervalSince(started)
        let manifest = Manifest(headroom: Help.version, command: invocation, scenario: file, overrides: vary, seed: seed ?? scenario.seed,
                                plans: scenario.plans.map(\.name), started: started)
        let variantsRun = Set(table.rows.map(\.variant)).count
        var text = "\(scenario.name): sweep of \(table.totalVariants) variant\(table.totalVariants == 1 ? "" : "s") × \(scenario.plans.count) plans"
        if let shard { text += ", shard \(shard.0)/\(shard.1): \(variantsRun) variants" }
        text += ", \(table.rows.count) runs in \(CSVNumber.fixed(wall, 2)) s\n\n"
        var files: [(name: String, contents: String)] = []
        if let shard {
            files.append(("sweep.shard-\(shard.0)-of-\(shard.1).csv", table.shardFile(index: shard.0, count: shard.1)))
        } else {
            let marked = table.markingPareto()
            text += SweepSummary.describe(marked, dimensions: spec.dimensions.count)
            files += [("sweep.csv", marked.csv()), ("report.html", SweepReport.html(marked, manifest: manifest.html))]
        }
        files.append(("manifest.json", manifest.json))
        // As with `run`: a folder that cannot be written still gets the summary printed.
        do {
            let staging = try ReportStaging(directory: directory)
            let interrupt = SignalHub.shared.exitDiscarding(staging, err: err)
            defer { SignalHub.shared.unregister(interrupt) }
            for f in files { try staging.write(f.name, f.contents) }
            try staging.commit()
        } catch {
            out.write(text)
            throw ReportsNotWritten(what: "the sweep's files were not written (the summary above is complete)", underlying: error)
        }
        text += "wrote " + files.map(\.name).joined(separator: ", ") + " to \(directory)/"
        text += shard.map { " — combine all \($0.1) shards with 'headroom merge'" } ?? ""
        out.write(text + "\n")
        return 0
    }
}

/// `headroom merge SHARD... [--out DIR]`.
struct MergeCommand {
    static func execute(_ arguments: [String], out: TextSink) throws -> Int32 {
        var files: [String] = []
        var outDir: String?
        var k = 0
        while k < arguments.count {
            let a = arguments[k]
            if a == "--out" || a == "-o" {
                k += 1
                guard k < arguments.count else { throw UsageError(message: "Missing value for '--out'", usage: Help.merge.usage, subcommand: "merge") }
                outDir = arguments[k]
            } else if a.hasPrefix("--out=") {
                outDir = String(a.dropFirst(6))
            } else if a.hasPrefix("-") {
                throw UsageError(message: "Unknown option '\(a)'" + Headroom.suggestion(a, ["--out"]), usage: Help.merge.usage, subcommand: "merge")
            } else {
                files.append(a)
            }
            k += 1
        }
        guard !files.isEmpty else { throw UsageError(message: "Missing expected argument '<shard>'", usage: Help.merge.usage, subcommand: "merge") }
        var texts: [(name: String, text: String)] = []
        for f in files {
            guard let data = FileManager.default.contents(atPath: f), let text = String(data: data, encoding: .utf8) else {
                throw ScenarioError(file: f, message: "no such file, or not readable: expected a sweep shard file written by 'headroom sweep --shard'")
            }
            texts.append((f, text))
        }
        let table = try SweepTable.merge(texts)
        let directory = outDir ?? ((files[0] as NSString).deletingLastPathComponent.isEmpty ? "." : (files[0] as NSString).deletingLastPathComponent)
        let staging = try ReportStaging(directory: directory)
        try staging.write("sweep.csv", table.csv())
        try staging.write("report.html", SweepReport.html(table))
        try staging.commit()
        let dimensions = table.header.firstIndex(of: "plan")! - 1
        out.write("\(table.scenario): merged \(files.count) shard\(files.count == 1 ? "" : "s"), \(table.totalVariants) variants, \(table.rows.count) runs\n\n"
                  + SweepSummary.describe(table, dimensions: dimensions) + "wrote sweep.csv, report.html to \(directory)/\n")
        return 0
    }
}

/// The terminal view of a sweep: the cost/p99 Pareto front and the cheapest variant meeting
/// the SLO.
enum SweepSummary {
    static func describe(_ table: SweepTable, dimensions: Int) -> String {
        let h = table.header
        let col = { (name: String) in h.firstIndex(of: name)! }
        let cost = col("cost_usd"), p99 = col("latency_p99_s"), plan = col("plan"), meets = col("meets_slo"), front = col("pareto_cost_p99")
        let varied = h[1...dimensions].map(SweepTable.unquoted)
        var rows: [[String]] = [["variant"] + varied + ["plan", "cost", "p99"]]
        let frontRows = table.rows.filter { $0.fields[front] == "1" }
            .sorted { (Double($0.fields[cost]) ?? 0, $0.variant) < (Double($1.fields[cost]) ?? 0, $1.variant) }
        for r in frontRows.prefix(20) {
            rows.append([String(r.variant)] + r.fields[1...dimensions].map(SweepTable.unquoted) + [SweepTable.unquoted(r.fields[plan]),
                        TerminalTable.money(Double(r.fields[cost])), TerminalTable.duration(Double(r.fields[p99]))])
        }
        var text = "Pareto front, cost vs p99 latency (\(frontRows.count) of \(table.rows.count) runs\(frontRows.count > 20 ? "; the 20 cheapest" : "")):\n"
        text += TerminalTable.render(rows, rightAligned: Set(rows[0].indices.dropFirst(rows[0].count - 2)))
        let meeting = table.rows.filter { $0.fields[meets] == "1" }
        if let best = meeting.min(by: { (Double($0.fields[cost]) ?? .infinity, $0.variant) < (Double($1.fields[cost]) ?? .infinity, $1.variant) }) {
            let values = zip(varied, best.fields[1...dimensions]).map { "\($0)=\(SweepTable.unquoted($1))" }.joined(separator: ", ")
            text += "\ncheapest meeting the SLO: variant \(best.variant) (\(values)), plan \(SweepTable.unquoted(best.fields[plan])), \(TerminalTable.money(Double(best.fields[cost]))), p99 \(TerminalTable.duration(Double(best.fields[p99])))\n\n"
        } else if table.rows.contains(where: { !$0.fields[meets].isEmpty }) {
            text += "\nno variant meets the SLO\n\n"
        } else {
            text += "\n(the scenario has no slo.latency, so no variant is judged against an SLO)\n\n"
        }
        return text
    }
}
