import Foundation
import Scenario
import Planning
import Kubernetes
import Measurement

/// `headroom import kubernetes FILE... --into SCENARIO [--plan NAME] [--out FILE] [--model NAME]
/// [--nodes TYPE=MIN:MAX ...]`: a plan from the objects a cluster runs.
enum ImportCommand {
    static func usage(_ message: String, _ f: String = #fileID, _ l: Int = #line) -> UsageError {
        UsageError(message: message, usage: Help.importCommand.usage, subcommand: "import", raisedAt: "\(f):\(l)")
    }

    static func execute(_ arguments: [String], out: TextSink) throws -> Int32 {
        guard let source = arguments.first else { throw usage("Missing expected argument '<source>' (kubernetes or prometheus)") }
        if source == "prometheus" { return try prometheus(Array(arguments.dropFirst()), out: out) }
        guard source == "kubernetes" else {
            throw usage("Unknown source '\(source)'" + Headroom.suggestion(source, ["kubernetes", "prometheus"]) + "; expected kubernetes or prometheus")
        }
        let parsed = try OptionPairs.parse(arguments.dropFirst(), options: ["--into", "--plan", "--out", "--model", "--nodes"]) { usage($0, $1, $2) }
        var nodes: [(type: String, min: Int, max: Int)] = []
        for value in parsed.all("--nodes") {
            // TYPE=MIN:MAX, or TYPE=N for a fixed count.
            guard let eq = value.lastIndex(of: "="), eq != value.startIndex else {
                throw usage("The value '\(value)' is invalid for '--nodes': expected TYPE=MIN:MAX, e.g. cpu.m5xl=1:4")
            }
            let type = String(value[..<eq])
            let range = value[value.index(after: eq)...].split(separator: ":", omittingEmptySubsequences: false)
            guard (1...2).contains(range.count), let lo = Int(range[0]), let hi = Int(range.last!), lo >= 0, hi >= max(lo, 1), hi <= 1_000_000 else {
                throw usage("The value '\(value)' is invalid for '--nodes': expected TYPE=MIN:MAX with 0 ≤ MIN ≤ MAX and MAX ≥ 1, e.g. cpu.m5xl=1:4")
            }
            nodes.append((type, lo, hi))
        }
        let files = parsed.positional, into = parsed.last("--into"), outFile = parsed.last("--out")
        let planName = parsed.last("--plan"), model = parsed.last("--model")
        guard let into else { throw usage("Missing '--into <scenario>': the scenario the plan goes into") }
        guard !files.isEmpty else { throw usage("Missing expected argument '<file>': the objects, as `kubectl get deploy,hpa -o json` prints them") }
        let name = planName ?? "imported"
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw usage("The value '' is invalid for '--plan': expected a plan name") }

        let (root, directory) = try ScenarioLoader.read(path: into)
        let scenario = try ScenarioLoader.decode(root: root, file: into, directory: directory)
        var objects: [ManifestObject] = []
        var flags: [ClusterFlags] = []
        for file in files {
            let bytes: [UInt8]
            switch FileSystem.readWhole(file) {
            case let .success(b): bytes = b
            case let .failure(e):
                throw ScenarioError(file: file, message: e.code == ENOENT ? "no such file" : "cannot be read (\(e.reason))")
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw ScenarioError(file: file, message: "is not UTF-8 text, expected JSON (kubectl get … -o json) or a cluster.flags file")
            }
            if ClusterFlags.looksLikeFlags(bytes) {
                flags.append(try ClusterFlags.parse(text, file: file))
            } else {
                objects += try Manifest.objects(in: try JSONReader.parse(text, file: file), file: file)
            }
        }
        let result = try KubernetesImport.plan(objects: objects, flags: flags, scenario: scenario, root: root,
                                               options: ImportOptions(planName: name, model: model, nodes: nodes))
        let target = outFile ?? into
        let updated = result.applied(to: root)
        // The scenario must still be one, with the plan's capacity making sense, before anything is written.
        let decoded = try ScenarioLoader.decode(root: updated, file: target, directory: directory)
        try PlanBuilder.checkPlan(decoded, planIndex: decoded.plans.firstIndex { $0.name == name }!)

        let replaced = scenario.plans.contains { $0.name == name }
        var text = "\(replaced ? "replaced" : "added") plan \"\(name)\" (\(result.family)) from \(result.read.count) object\(result.read.count == 1 ? "" : "s"): \(result.read.joined(separator: ", "))\n"
        for s in result.skipped { text += "skipped \(s)\n" }
        if !result.modelChanges.isEmpty {
            text += "model changes, from the pod specs:\n"
            for c in result.modelChanges { text += "  \(c.description)\n" }
        }
        if !result.notHonoured.isEmpty {
            text += "not honoured (\(result.notHonoured.count)):\n"
            for n in result.notHonoured { text += "  \(n)\n" }
        }
        if let why = FileSystem.writeWhole(Array((updated.text() + "\n").utf8), to: target) {
            throw ScenarioError(file: target, message: "cannot be written: \(why)")
        }
        text += "wrote \(target) — try: headroom explain-plan \(target) \(name)\n"
        out.write(text)
        return 0
    }

    /// `headroom import prometheus URL --target NAME --requests PROMQL [--latency PROMQL]
    /// --start T --end T [--step D] [--spread uniform|random] --into SCENARIO [--out FILE]`.
    static func prometheus(_ arguments: [String], out: TextSink) throws -> Int32 {
        let parsed = try OptionPairs.parse(arguments[...], options: ["--target", "--requests", "--latency", "--start", "--end", "--step", "--spread", "--into", "--out"]) {
            usage($0, $1, $2)
        }
        if parsed.positional.count > 1 { throw usage("Unexpected argument '\(parsed.positional[1])'") }
        let url = parsed.positional.first
        var values: [String: String] = [:]
        for (option, value) in parsed.values { values[option] = value }
        guard let url else { throw usage("Missing expected argument '<url>': the Prometheus server, e.g. http://127.0.0.1:9090") }
        for required in ["--target", "--requests", "--start", "--end", "--into"] where values[required] == nil {
            throw usage("Missing '\(required)'" + ["--target": ": the model or pipeline whose traffic this is", "--requests": ": a PromQL query of its requests per second",
                                                  "--start": ": the range's start (RFC 3339 or Unix seconds)", "--end": ": the range's end",
                                                  "--into": ": the scenario the traffic goes into"][required]!)
        }
        guard let start = PrometheusImport.time(values["--start"]!) else {
            throw usage("The value '\(values["--start"]!)' is invalid for '--start': expected an RFC 3339 time (2026-12-01T09:00:00Z) or Unix seconds")
        }
        guard let end = PrometheusImport.time(values["--end"]!), end > start else {
            throw usage("The value '\(values["--end"]!)' is invalid for '--end': expected an RFC 3339 time or Unix seconds after --start")
        }
        let step = try values["--step"].map { try OptionValue.duration($0, option: "--step") { usage($0, $1, $2) } } ?? 60
        guard step == step.rounded(), (end - start) >= step else {
            throw usage("The value '\(values["--step"] ?? "60s")' is invalid for '--step': expected whole seconds, at most the range (\(Int(end - start)) s)")
        }
        let points = Int(((end - start) / step).rounded(.down)) + 1
        guard points <= PrometheusImport.maxPoints else {
            throw usage("The value '\(values["--step"] ?? "60s")' is invalid for '--step': over \(Int(end - start)) s it asks Prometheus for \(points) points, and it answers at most \(PrometheusImport.maxPoints) per series; expected a longer step")
        }
        let spread = values["--spread"] ?? "random"
        guard ["uniform", "random"].contains(spread) else {
            throw usage("The value '\(spread)' is invalid for '--spread'" + Headroom.suggestion(spread, ["uniform", "random"]) + "; expected uniform or random")
        }
        let into = values["--into"]!, target = values["--target"]!
        let (root, directory) = try ScenarioLoader.read(path: into)
        let scenario = try ScenarioLoader.decode(root: root, file: into, directory: directory)
        guard let targetRef = scenario.target(named: target) else {
            throw usage("Unknown target '\(target)'" + Headroom.suggestion(target, scenario.targetNames) + "; \(into) has " + scenario.targetNames.joined(separator: ", "))
        }
        // Everything is read and checked before anything is written.
        let prometheus = try PrometheusImport(url: url)
        let series = try prometheus.queryRange(values["--requests"]!, start: start, end: end, step: step, what: "--requests")
        guard series.count == 1 else {
            throw LoadError.data(series.isEmpty ? "the --requests query returned no series from \(url) between \(values["--start"]!) and \(values["--end"]!): check its metric name and labels"
                                                : "the --requests query to \(url) returned \(series.count) series where one was expected: aggregate them, e.g. sum(rate(x_total[1m]))")
        }
        let (counts, missing) = PrometheusImport.counts(series[0], start: start, end: end, step: step)
        var latency: [EmpiricalPoint]?
        if let q = values["--latency"] {
            let buckets = try prometheus.queryRange(q, start: start, end: end, step: step, what: "--latency")
            guard !buckets.isEmpty else { throw LoadError.data("the --latency query returned no series from \(url): expected a histogram's _bucket series summed by le") }
            latency = try PrometheusImport.distribution(buckets, what: "--latency (\(url))")
        }
        var edit = try PrometheusImport.edit(root, scenario: scenario, target: targetRef, counts: counts, step: step, spread: spread, latency: latency)
        if missing > 0 { edit.notes.append("\(missing) of \(counts.count) steps had no value (a gap or NaN): counted as 0 requests") }
        let output = values["--out"] ?? into
        _ = try ScenarioLoader.decode(root: edit.root, file: output, directory: directory)
        let total = counts.reduce(0, +)
        var text = "imported \(total) requests of \(target) in \(counts.count) steps of \(Int(step)) s (mean \(String(format: "%.3g", Double(total) / (Double(counts.count) * step))) req/s, busiest step \(counts.max() ?? 0)) from \(url)\n"
        for c in edit.changes { text += "  \(c)\n" }
        for n in edit.notes { text += "note: \(n)\n" }
        if let why = FileSystem.writeWhole(Array((edit.root.text() + "\n").utf8), to: output) {
            throw ScenarioError(file: output, message: "cannot be written: \(why)")
        }
        text += "wrote \(output) — try: headroom run \(output)\n"
        out.write(text)
        return 0
    }
}
