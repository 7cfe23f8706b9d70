import Foundation
import Scenario
import Planning
import Kubernetes

/// `headroom import kubernetes FILE... --into SCENARIO [--plan NAME] [--out FILE] [--model NAME]
/// [--nodes TYPE=MIN:MAX ...]`: a plan from the objects a cluster runs.
enum ImportCommand {
    static func usage(_ message: String, _ f: String = #fileID, _ l: Int = #line) -> UsageError {
        UsageError(message: message, usage: Help.importCommand.usage, subcommand: "import", raisedAt: "\(f):\(l)")
    }

    static func execute(_ arguments: [String], out: TextSink) throws -> Int32 {
        guard let source = arguments.first else { throw usage("Missing expected argument '<source>' (kubernetes)") }
        guard source == "kubernetes" else {
            throw usage("Unknown source '\(source)'" + Headroom.suggestion(source, ["kubernetes"]) + "; expected kubernetes")
        }
        var files: [String] = []
        var into: String?
        var outFile: String?
        var planName: String?
        var model: String?
        var nodes: [(type: String, min: Int, max: Int)] = []
        var k = 1
        let options = ["--into", "--plan", "--out", "--model", "--nodes"]
        while k < arguments.count {
            let a = arguments[k]
            k += 1
            guard a.hasPrefix("-") else { files.append(a); continue }
            guard options.contains(a) || a == "-o" else { throw usage("Unknown option '\(a)'" + Headroom.suggestion(a, options)) }
            guard k < arguments.count else { throw usage("Missing value for '\(a)'") }
            let value = arguments[k]
            k += 1
            switch a {
            case "--into": into = value
            case "--plan": planName = value
            case "--out", "-o": outFile = value
            case "--model": model = value
            default:
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
        }
        guard let into else { throw usage("Missing '--into <scenario>': the scenario the plan goes into") }
        guard !files.isEmpty else { throw usage("Missing expected argument '<file>': the objects, as `kubectl get deploy,hpa -o json` prints them") }
        let name = planName ?? "imported"
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw usage("The value '' is invalid for '--plan': expected a plan name") }

        let scenario = try ScenarioLoader.load(path: into)
        let (root, directory) = try ScenarioLoader.read(path: into)
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
}
