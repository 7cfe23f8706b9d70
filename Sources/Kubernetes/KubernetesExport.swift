import Scenario
import Planning

/// The kind of objects a plan is exported as (`--as`).
public enum ExportFormat: String, Sendable, CaseIterable {
    /// Deployments, with HorizontalPodAutoscalers for an elastic plan.
    case deployment
    /// Knative Services (the KPA; the HPA class for an elastic plan) and config-autoscaler.
    case knative
    /// KServe InferenceServices: serverless mode for a KPA plan, raw for an elastic one.
    case kserve
    /// Deployments with KEDA ScaledObjects.
    case keda
}

/// One file `export` writes.
public struct ExportedFile: Sendable, Equatable {
    public var name: String
    public var text: String
}

public struct ExportResult: Sendable {
    public var files: [ExportedFile] = []
    /// What the export could not put into an object, each with why.
    public var notes: [String] = []
}

/// A plan → the Kubernetes objects that run it, one JSON file per object, and a commented
/// companion file (`cluster.flags`) with what no object holds: the cluster autoscaler's node
/// groups and timing, the HPA controller's flags, prices and commitments. See
/// docs/kubernetes.md for the mapping, field by field.
public struct KubernetesExport {
    let scenario: Scenario
    let plan: Plan
    let format: ExportFormat
    /// `--prometheus-url`: the server KEDA's prometheus triggers query.
    let prometheus: String?
    var result = ExportResult()

    /// Exports plan `planIndex` of `scenario`; `format` nil: the plan's natural kind
    /// (Deployments for traditional and elastic plans, Knative for KPA plans).
    public static func export(_ scenario: Scenario, planIndex: Int, as format: ExportFormat?, prometheus: String? = nil) throws -> ExportResult {
        let scenario = scenario.forPlan(planIndex)
        let plan = scenario.plans[planIndex]
        var natural = ExportFormat.deployment
        if case let .serverless(sv) = plan.policy, sv.kpa != nil { natural = .knative }
        var e = KubernetesExport(scenario: scenario, plan: plan, format: format ?? natural, prometheus: prometheus)
        try e.run()
        return e.result
    }

    func fail(_ message: String, suggestion: String? = nil, raisedIn f: String = #fileID, at l: Int = #line) -> ScenarioError {
        ScenarioError(file: scenario.file, path: plan.jsonPath, message: message, suggestion: suggestion, raisedIn: f, at: l)
    }

    /// The models the plan runs: those the workload reaches, without versions.
    var models: [Int] {
        let used = PlanBuilder.usedModels(scenario)
        return scenario.models.indices.filter { used[$0] && scenario.models[$0].variantOf == nil }
    }

    mutating func run() throws {
        var names: [String: Int] = [:]
        for m in models {
            let k = Self.objectName(scenario.models[m].name)
            if let other = names[k] {
                throw fail("models \"\(scenario.models[other].name)\" and \"\(scenario.models[m].name)\" would both be named \"\(k)\" in Kubernetes",
                           suggestion: "rename one so their lower-case forms differ")
            }
            names[k] = m
        }
        if scenario.models.contains(where: { $0.variantOf != nil }) {
            result.notes.append("model versions and rollouts are not exported: a rollout is a Deployment's strategy or a Knative traffic split, set by hand")
        }
        if !plan.commitments.isEmpty {
            result.notes.append("commitments (reserved nodes) are billing, not cluster objects: written as comments in cluster.flags, not read back")
        }
        switch plan.policy {
        case let .traditional(nodes, instances):
            guard format == .deployment else { throw fail("a traditional plan is exported as Deployments, not \(format.rawValue)", suggestion: "use --as deployment") }
            let counts = PlanReplicas.traditional(scenario, nodes: nodes, instances: instances)
            for m in models { add(deployment(m, replicas: counts[m])) }
            flags(nodes: scenario.hardware.indices.filter { nodes[$0] > 0 }.map { (scenario.hardware[$0].name, nodes[$0], nodes[$0]) },
                  scan: nil, unneeded: nil, delay: nil, quota: NodeQuota(), hpa: nil)
        case let .elastic(e):
            try elastic(e)
        case let .serverless(sv):
            guard sv.hosting == .self else {
                throw fail("a provider-hosted serverless plan (Lambda-like) runs on the provider's capacity: Kubernetes has no object for it",
                           suggestion: "a self-hosted plan with \"scaler\": \"kpa\" is Knative's equivalent")
            }
            guard let kpa = sv.kpa else {
                throw fail("the keep-alive scaler (an instance per request, kept warm) has no Kubernetes counterpart",
                           suggestion: "Knative's autoscaler is \"scaler\": \"kpa\"; export that plan instead")
            }
            try serverless(sv, kpa)
        }
    }

    /// A Kubernetes object name for a model name: DNS-1123 (lower case, digits, '-'; at most
    /// 63 characters, starting and ending alphanumeric).
    public static func objectName(_ name: String) -> String {
        var out = ""
        for u in name.lowercased().unicodeScalars {
            let ok = ("a"..."z").contains(u) || ("0"..."9").contains(u)
            out.append(ok ? Character(u) : "-")
        }
        while out.hasPrefix("-") { out.removeFirst() }
        while out.hasSuffix("-") { out.removeLast() }
        if out.count > 63 { out = String(out.prefix(63)); while out.hasSuffix("-") { out.removeLast() } }
        return out.isEmpty ? "model" : out
    }

    mutating func add(_ object: JSONNode) {
        let kind: String
        if case let .string(k)? = object.member("kind")?.value { kind = k } else { kind = "object" }
        var name = "object"
        if case let .string(n)? = Manifest.lookup(object, "metadata.name")?.value { name = n }
        // kubectl's short names for the kinds (`kubectl api-resources`).
        let short = ["Deployment": "deployment", "HorizontalPodAutoscaler": "hpa", "Service": "ksvc", "InferenceService": "isvc",
                     "ScaledObject": "scaledobject", "ConfigMap": "configmap"][kind] ?? kind.lowercased()
        result.files.append(ExportedFile(name: "\(name)-\(short).json", text: object.text() + "\n"))
    }

    /// metadata for a model's object: its name, the plan, and the model's own name when the
    /// object's name had to differ from it.
    func metadata(_ m: Int, extra: [(String, JSONNode?)] = [], labels: Bool = true) -> JSONNode {
        let name = scenario.models[m].name
        let k = Self.objectName(name)
        var annotations: [(String, JSONNode?)] = [(Annotation.plan, JSONNode.string(plan.name))]
        if k != name { annotations.append((Annotation.model, JSONNode.string(name))) }
        if m < plan.routing.count, let r = plan.routing[m] { annotations.append((Annotation.routing, JSONNode.string(r.name))) }
        // Traffic the plan serves as the pipeline this model is the first stage of.
        let names = scenario.targetNames
        let serves = plan.serve.filter { scenario.stages(of: TargetRef(index: $0.to)).first == m }
        if !serves.isEmpty { annotations.append((Annotation.serve, JSONNode.string(serves.map { "\(names[$0.from])=\(names[$0.to])" }.joined(separator: ",")))) }
        annotations += extra
        return JSONNode.object([("name", JSONNode.string(k)),
                         ("labels", labels ? JSONNode.object([("app.kubernetes.io/name", JSONNode.string(k))]) : nil),
                         ("annotations", JSONNode.object(annotations))])
    }

    /// The model's container: its image when the scenario names one, and its resources.
    mutating func container(_ m: Int, name: String) -> JSONNode {
        let model = scenario.models[m]
        if model.image == nil {
            result.notes.append("model \"\(model.name)\" names no image: its container has none; set one before applying")
        }
        var requests: [(String, JSONNode?)] = []
        var limits: [(String, JSONNode?)] = []
        if model.requires.vcpus > 0 { requests.append(("cpu", JSONNode.string(Quantity.cpu(model.requires.vcpus)))) }
        if model.requires.memoryGiB > 0 { requests.append(("memory", JSONNode.string(Quantity.memory(gib: model.requires.memoryGiB)))) }
        if let l = model.limitVCPUs { limits.append(("cpu", JSONNode.string(Quantity.cpu(l)))) }
        if model.limitVCPUs != nil && abs(model.limitPeriod - 0.1) > 1e-12 {
            result.notes.append("model \"\(model.name)\": its CFS period of \(ValueReaderBridge.seconds(model.limitPeriod)) is the kubelet's --cpu-cfs-quota-period, not a pod field")
        }
        if model.requires.gpus > 0 {
            // Extended resources go in limits (requests default to them). AMD's device plugin
            // names amd.com/gpu; NVIDIA's nvidia.com/gpu.
            let amd = model.runsOn.contains { scenario.hardware[$0].gpuModel?.name.hasPrefix("mi") == true }
            limits.append((amd ? "amd.com/gpu" : "nvidia.com/gpu", JSONNode.int(model.requires.gpus)))
        }
        return JSONNode.object([("name", JSONNode.string(name)), ("image", model.image.map { JSONNode.string($0.name) }),
                         ("resources", JSONNode.object([("requests", requests.isEmpty ? nil : JSONNode.object(requests)),
                                                 ("limits", limits.isEmpty ? nil : JSONNode.object(limits))]))])
    }

    mutating func deployment(_ m: Int, replicas: Int?) -> JSONNode {
        let k = Self.objectName(scenario.models[m].name)
        let labels = JSONNode.object([("app.kubernetes.io/name", JSONNode.string(k))])
        return JSONNode.object([
            ("apiVersion", JSONNode.string("apps/v1")), ("kind", JSONNode.string("Deployment")), ("metadata", metadata(m)),
            ("spec", JSONNode.object([("replicas", replicas.map(JSONNode.int)), ("selector", JSONNode.object([("matchLabels", labels)])),
                               ("template", JSONNode.object([("metadata", JSONNode.object([("labels", labels)])),
                                                      ("spec", JSONNode.object([("containers", JSONNode.array([container(m, name: k)]))]))]))])),
        ])
    }
}
