import Scenario

/// A sweep as a Kubernetes Indexed Job: N pods, each running `headroom sweep --shard I/N` on
/// the scenario from a ConfigMap and writing its shard to a shared volume; `headroom merge`
/// then joins the shards (k8s-and-batch.md §2: `completionMode: Indexed`, the 0-based
/// `JOB_COMPLETION_INDEX` [K3]; Headroom's shards count from 1).
public enum SweepJob {
    /// ConfigMaps hold at most 1 MiB (the API server's limit on an object's data).
    public static let configMapLimit = 1 << 20

    /// A string quoted for `sh`: single quotes, each inner one as '\''.
    static func shellQuoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// The ConfigMap with the scenario and the Job; `notes` say what the Job does not carry.
    public static func export(_ scenario: Scenario, text: String, fileName: String, vary: [String], sample: String?, shards: Int,
                              image: String, resultsClaim: String) throws -> ExportResult {
        guard text.utf8.count <= configMapLimit else {
            throw ScenarioError(file: scenario.file, path: "$", message: "is \(text.utf8.count) bytes: expected at most 1 MiB, what a ConfigMap holds",
                                suggestion: "build the scenario into the image and drop the ConfigMap volume")
        }
        let name = String(("headroom-sweep-" + KubernetesExport.objectName(scenario.name)).prefix(52))   // Job names leave room for pod suffixes
        var command = "exec headroom sweep " + shellQuoted("/scenario/" + fileName)
        for v in vary { command += " --vary " + shellQuoted(v) }
        if let sample { command += " --sample " + shellQuoted(sample) }
        command += " --shard $((JOB_COMPLETION_INDEX + 1))/\(shards) --out /results"
        let annotations = JSONNode.object([("headroom/scenario", .string(scenario.file))])
        let configMap = JSONNode.object([
            ("apiVersion", .string("v1")), ("kind", .string("ConfigMap")),
            ("metadata", .object([("name", .string(name)), ("annotations", annotations)])),
            ("data", .object([(fileName, .string(text))])),
        ])
        let job = JSONNode.object([
            ("apiVersion", .string("batch/v1")), ("kind", .string("Job")),
            ("metadata", .object([("name", .string(name)), ("annotations", annotations)])),
            ("spec", .object([
                ("completions", .number(Double(shards))), ("parallelism", .number(Double(shards))), ("completionMode", .string("Indexed")),
                ("template", .object([("spec", .object([
                    ("restartPolicy", .string("Never")),
                    ("containers", .array([.object([
                        ("name", .string("sweep")), ("image", .string(image)),
                        ("command", .array([.string("sh"), .string("-c")])), ("args", .array([.string(command)])),
                        ("volumeMounts", .array([.object([("name", .string("scenario")), ("mountPath", .string("/scenario")), ("readOnly", JSONNode(value: .bool(true), line: 0, column: 0))]),
                                                 .object([("name", .string("results")), ("mountPath", .string("/results"))])])),
                    ])])),
                    ("volumes", .array([.object([("name", .string("scenario")), ("configMap", .object([("name", .string(name))]))]),
                                        .object([("name", .string("results")), ("persistentVolumeClaim", .object([("claimName", .string(resultsClaim))]))])])),
                ]))])),
            ])),
        ])
        var result = ExportResult()
        result.files = [ExportedFile(name: "\(name)-configmap.json", text: configMap.text() + "\n"),
                        ExportedFile(name: "\(name)-job.json", text: job.text() + "\n")]
        result.notes.append("when all \(shards) pods have completed: headroom merge /results/sweep.shard-*-of-\(shards).csv --out /results")
        for source in scenario.workload {
            if case let .trace(spec) = source.kind, !spec.path.hasPrefix("/") {
                result.notes.append("the trace \(spec.path) is not in the ConfigMap: put it in the image beside /scenario/\(fileName) or on a volume there")
            }
        }
        return result
    }
}
