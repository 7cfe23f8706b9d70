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
        let parsed = try OptionPairs.parse(arguments.dropFirst(), options: ["--plan", "--out", "--as", "--prometheus-url", "--sweep", "--vary", "--sample", "--image", "--results-claim"],
                                           flags: ["--force"]) { usage($0, $1, $2) }
        if parsed.positional.count > 1 { throw usage("Unexpected argument '\(parsed.positional[1])'") }
        let file = parsed.positional.first, planName = parsed.last("--plan"), dir = parsed.last("--out")
        let vary = parsed.all("--vary"), sample = parsed.last("--sample"), image = parsed.last("--image"), claim = parsed.last("--results-claim")
        let force = parsed.flags.contains("--force")
        let shards = try parsed.last("--sweep").map { try OptionValue.whole($0, option: "--sweep", in: 1...10_000) { usage($0, $1, $2) } }
        let prometheus = try parsed.last("--prometheus-url").map { value -> String in
            guard value.hasPrefix("http://") || value.hasPrefix("https://") else {
                throw usage("The value '\(value)' is invalid for '--prometheus-url': expected an http:// or https:// address")
            }
            return value
        }
        let format = try parsed.last("--as").map { value -> ExportFormat in
            guard let f = ExportFormat(rawValue: value) else {
                let names = ExportFormat.allCases.map(\.rawValue)
                throw usage("The value '\(value)' is invalid for '--as'" + Headroom.suggestion(value, names) + "; expected one of " + names.joined(separator: ", "))
            }
            return f
        }
        guard let file else { throw usage("Missing expected argument '<scenario>'") }
        guard let dir else { throw usage("Missing '--out <dir>': the folder the manifests go to") }
        let text = try ScenarioLoader.text(path: file)
        let scenario = try ScenarioLoader.decode(text, file: file, directory: (file as NSString).deletingLastPathComponent)
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
        var report = "\(what) in \(dir)/:\n"
        for f in result.files { report += "  \(f.name)\n" }
        if !result.notes.isEmpty {
            report += "notes:\n"
            for n in result.notes { report += "  \(n)\n" }
        }
        report += "apply with: kubectl apply -f \(dir)/" + (shards == nil ? "   (cluster.flags is for the cluster autoscaler and kube-controller-manager)" : "") + "\n"
        out.write(report)
        return 0
    }
}
