import Foundation
import Scenario
import Kubernetes
import Sweep

/// `headroom export kubernetes SCENARIO --plan NAME --out DIR [--as KIND] [--prometheus-url URL]
/// [--force]`: the manifests that run a plan, and the companion flags file.
enum ExportCommand {
    static func usage(_ message: String, _ f: String = #fileID, _ l: Int = #line) -> UsageError {
        UsageError(message: message, usage: Help.exportCommand.usage, subcommand: "export", raisedAt: "\(f):\(l)")
    }

    static func execute(_ arguments: [String], out: TextSink) throws -> Int32 {
        guard let target = arguments.first else { throw usage("Missing expected argument '<target>' (kubernetes)") }
        guard target == "kubernetes" else {
            throw usage("Unknown target '\(target)'" + Headroom.suggestion(target, ["kubernetes"]) + "; expected kubernetes")
        }
        var file: String?
        var planName: String?
        var dir: String?
        var format: ExportFormat?
        var prometheus: String?
        var force = false
        var vary: [String] = []
        var sample: String?
        var shards: Int?
        var image: String?
        var claim: String?
        var k = 1
        let options = ["--plan", "--out", "--as", "--prometheus-url", "--force", "--sweep", "--vary", "--sample", "--image", "--results-claim"]
        while k < arguments.count {
            let a = arguments[k]
            k += 1
            if a == "--force" { force = true; continue }
            guard a.hasPrefix("-") else {
                guard file == nil else { throw usage("Unexpected argument '\(a)'") }
                file = a
                continue
            }
            guard options.contains(a) || a == "-o" else { throw usage("Unknown option '\(a)'" + Headroom.suggestion(a, options)) }
            guard k < arguments.count else { throw usage("Missing value for '\(a)'") }
            let value = arguments[k]
            k += 1
            switch a {
            case "--plan": planName = value
            case "--sweep": shards = try OptionValue.whole(value, option: "--sweep", in: 1...10_000) { usage($0, $1, $2) }
            case "--vary": vary.append(value)
            case "--sample": sample = value
            case "--image": image = value
            case "--results-claim": claim = value
            case "--out", "-o": dir = value
            case "--prometheus-url":
                guard value.hasPrefix("http://") || value.hasPrefix("https://") else {
                    throw usage("The value '\(value)' is invalid for '--prometheus-url': expected an http:// or https:// address")
                }
                prometheus = value
            default:
                guard let f = ExportFormat(rawValue: value) else {
                    let names = ExportFormat.allCases.map(\.rawValue)
                    throw usage("The value '\(value)' is invalid for '--as'" + Headroom.suggestion(value, names) + "; expected one of " + names.joined(separator: ", "))
                }
                format = f
            }
        }
        guard let file else { throw usage("Missing expected argument '<scenario>'") }
        guard let dir else { throw usage("Missing '--out <dir>': the folder the manifests go to") }
        let scenario = try ScenarioLoader.load(path: file)
        let result: ExportResult
        let what: String
        if let shards {
            guard !vary.isEmpty else { throw usage("Missing '--vary': a sweep job varies at least one field, as headroom sweep does") }
            guard let image else { throw usage("Missing '--image': the container image with the headroom binary the pods run") }
            guard let claim else { throw usage("Missing '--results-claim': the PersistentVolumeClaim the shards are written to (ReadWriteMany)") }
            guard planName == nil, format == nil else { throw usage("Unexpected '\(planName != nil ? "--plan" : "--as")' with '--sweep': a sweep job runs every plan") }
            // The fields and values are read as `headroom sweep` reads them, before anything is written.
            do {
                _ = try vary.map(Sweep.Dimension.init)
                if let sample { _ = try SweepDesign(sample) }
            } catch let e as SweepError {
                throw UsageError(message: e.description, usage: Help.exportCommand.usage, subcommand: "export", raisedAt: e.raisedAt)
            }
            let text = try ScenarioLoader.text(path: file)
            result = try SweepJob.export(scenario, text: text, fileName: (file as NSString).lastPathComponent, vary: vary, sample: sample,
                                         shards: shards, image: image, resultsClaim: claim)
            what = "the sweep of \(file) as an Indexed Job of \(shards) pods"
        } else {
            if let stray = [("--vary", !vary.isEmpty), ("--sample", sample != nil), ("--image", image != nil), ("--results-claim", claim != nil)].first(where: { $0.1 }) {
                throw usage("Unexpected '\(stray.0)' without '--sweep N': it belongs to a sweep job")
            }
            let index = try OptionValue.plan(planName, in: scenario) { usage($0, $1, $2) }
            result = try KubernetesExport.export(scenario, planIndex: index, as: format, prometheus: prometheus)
            let plan = scenario.plans[index]
            what = "plan \"\(plan.name)\" (\(plan.policy.family))"
        }

        // A folder of one plan's manifests: an earlier export's files would be applied with them.
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: dir, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ScenarioError(file: dir, message: "is a file, expected a folder for the manifests") }
            let present = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted()
            if !present.isEmpty {
                guard force else {
                    throw ScenarioError(file: dir, message: "is not empty (\(present.prefix(3).joined(separator: ", "))\(present.count > 3 ? ", …" : "")): not written",
                                        suggestion: "choose an empty folder, or add --force to replace its .json and .flags files")
                }
                for name in present where name.hasSuffix(".json") || name.hasSuffix(".flags") {
                    do { try fm.removeItem(atPath: dir + "/" + name) } catch {
                        throw ScenarioError(file: dir + "/" + name, message: "cannot be removed: \(error.localizedDescription)")
                    }
                }
            }
        } else if let why = FileSystem.create(dir) {
            throw ScenarioError(file: dir, message: "cannot be created: \(why)")
        }
        for f in result.files {
            if let why = FileSystem.writeWhole(Array(f.text.utf8), to: dir + "/" + f.name) {
                throw ScenarioError(file: dir + "/" + f.name, message: "cannot be written: \(why)")
            }
        }
        var text = "\(what) in \(dir)/:\n"
        for f in result.files { text += "  \(f.name)\n" }
        if !result.notes.isEmpty {
            text += "notes:\n"
            for n in result.notes { text += "  \(n)\n" }
        }
        text += "apply with: kubectl apply -f \(dir)/" + (shards == nil ? "   (cluster.flags is for the cluster autoscaler and kube-controller-manager)" : "") + "\n"
        out.write(text)
        return 0
    }
}
