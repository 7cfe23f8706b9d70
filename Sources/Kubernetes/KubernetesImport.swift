import Scenario

/// What `headroom import kubernetes` was asked: the plan to write and how to fill what the
/// manifests do not say.
public struct ImportOptions: Sendable {
    public var planName: String
    /// Every workload maps to this model instead of the model of its own name.
    public var model: String?
    /// `--nodes TYPE=MIN:MAX`: node pools when the manifests (and their companion flags) do not
    /// say; a traditional plan takes MAX nodes of each.
    public var nodes: [(type: String, min: Int, max: Int)]

    public init(planName: String, model: String? = nil, nodes: [(type: String, min: Int, max: Int)] = []) {
        self.planName = planName
        self.model = model
        self.nodes = nodes
    }
}

/// A change the import makes to a model of the scenario, from its workload's pod spec.
public struct ModelChange: Sendable {
    /// Keys from the scenario's root (`models`, name, `requires`, `vcpus`); nil value: removed.
    public var path: [String]
    public var value: JSONNode?
    /// "models.chat.requires.vcpus: 1 → 2 (Deployment/chat …requests.cpu)".
    public var description: String
}

/// The plan read from a set of Kubernetes objects, ready to be put into a scenario.
public struct ImportResult: Sendable {
    public var planName: String
    public var family: String
    /// The plan as scenario JSON.
    public var plan: JSONNode
    public var modelChanges: [ModelChange] = []
    /// Settings read that Headroom cannot honour, each with where it is and why.
    public var notHonoured: [String] = []
    /// Objects of kinds Headroom does not map, each with a line saying so.
    public var skipped: [String] = []
    /// The objects the plan was read from (`Kind/name`).
    public var read: [String] = []

    /// The scenario's JSON with the plan added (or put in the place of the plan of its name)
    /// and the model changes made.
    public func applied(to root: JSONNode) -> JSONNode {
        var out = root.setting(plan, at: ["plans", planName])
        for c in modelChanges {
            out = c.value.map { out.setting($0, at: c.path[...]) } ?? out.removing(at: c.path[...])
        }
        return out
    }
}

/// Kubernetes objects → a Headroom plan. See docs/kubernetes.md for the mapping, field by field.
///
/// One plan is one policy family: Deployments alone give a `traditional` plan (their replica
/// counts pinned); Deployments with HorizontalPodAutoscalers or KEDA ScaledObjects, Knative
/// Services of the HPA class and KServe InferenceServices in raw mode give an `elastic` plan;
/// Knative Services of the KPA class and KServe InferenceServices in serverless mode give a
/// self-hosted `serverless` plan with the KPA. Settings the plan has one of (the target, the
/// behavior) come from the first object; another object that disagrees is listed as not
/// honoured. Node pools come from the companion flags (cluster-autoscaler `--nodes`), or
/// `--nodes`, or the plan being replaced.
public struct KubernetesImport {
    let scenario: Scenario
    let root: JSONNode
    let options: ImportOptions
    var objects: [ManifestObject] = []
    var flags = ClusterFlags()
    var result: ImportResult

    /// Imports `objects` (and the companion `flags`, when given) into a plan of `scenario`,
    /// whose JSON is `root`.
    public static func plan(objects: [ManifestObject], flags: [ClusterFlags], scenario: Scenario, root: JSONNode,
                            options: ImportOptions) throws -> ImportResult {
        var importer = KubernetesImport(scenario: scenario, root: root, options: options,
                                        result: ImportResult(planName: options.planName, family: "", plan: JSONNode.object([])))
        for f in flags { try importer.merge(f) }
        try importer.run(objects)
        return importer.result
    }

    /// The kinds mapped, each with the API versions read: other versions are an error.
    static let kinds: [(kind: String, versions: [String])] = [
        ("Deployment", ["apps/v1"]),
        ("HorizontalPodAutoscaler", ["autoscaling/v2", "autoscaling/v1"]),
        ("Service", ["serving.knative.dev/v1"]),
        ("InferenceService", ["serving.kserve.io/v1beta1"]),
        ("ScaledObject", ["keda.sh/v1alpha1"]),
        ("ConfigMap", ["v1"]),
    ]

    mutating func merge(_ f: ClusterFlags) throws {
        for g in f.nodeGroups {
            guard scenario.hardware.contains(where: { $0.name == g.type }) else {
                throw ScenarioError(file: f.file, line: g.line, column: 1, message: "--nodes names node group \"\(g.type)\", which is no node type of \(scenario.file)",
                                    suggestion: Suggest.hint(for: g.type, in: scenario.hardware.map(\.name), noun: "its node types are"))
            }
        }
        flags.nodeGroups += f.nodeGroups
        flags.scanInterval = f.scanInterval ?? flags.scanInterval
        flags.unneededTime = f.unneededTime ?? flags.unneededTime
        flags.delayAfterAdd = f.delayAfterAdd ?? flags.delayAfterAdd
        flags.coresTotal = f.coresTotal ?? flags.coresTotal
        flags.gpusTotal = f.gpusTotal ?? flags.gpusTotal
        flags.syncPeriod = f.syncPeriod ?? flags.syncPeriod
        flags.tolerance = f.tolerance ?? flags.tolerance
        flags.downscaleStabilization = f.downscaleStabilization ?? flags.downscaleStabilization
        result.notHonoured += f.notHonoured
    }

    mutating func run(_ all: [ManifestObject]) throws {
        for o in all {
            guard let entry = Self.kinds.first(where: { $0.kind == o.kind && ($0.kind != "Service" || o.group != "") }) else {
                if o.kind == "Service" && o.group == "" {
                    result.skipped.append("\(o.title) (\(o.apiVersion)): a core Service routes traffic; Headroom's routing is the plan's own — skipped")
                } else {
                    result.skipped.append("\(o.title) (\(o.apiVersion)): a kind Headroom does not map — skipped")
                }
                continue
            }
            guard entry.versions.contains(o.apiVersion) else {
                throw o.error("apiVersion", "unknown API version \"\(o.apiVersion)\" for a \(o.kind)",
                              suggestion: "expected \(entry.versions.joined(separator: " or ")); re-read the object with `kubectl get \(o.kind.lowercased()) \(o.name) -o json`")
            }
            if o.kind == "ConfigMap" && o.name != "config-autoscaler" {
                result.skipped.append("\(o.title): only Knative's config-autoscaler ConfigMap is read — skipped")
                continue
            }
            objects.append(o)
        }
        let kept = objects
        func has(_ kind: String) -> Bool { kept.contains { $0.kind == kind } }
        let knative = objects.filter { $0.kind == "Service" }
        let kserve = objects.filter { $0.kind == "InferenceService" }
        let kpaServices = try knative.filter { try knativeClass($0, annotations: "spec.template.metadata.annotations") == .kpa }
        let kpaInference = try kserve.filter { try kserveMode($0) == .serverless }
        let serverless = !kpaServices.isEmpty || !kpaInference.isEmpty
        let elastic = has("HorizontalPodAutoscaler") || has("ScaledObject") || kpaServices.count < knative.count || kpaInference.count < kserve.count
        guard !(serverless && elastic) else {
            let a = (kpaServices + kpaInference)[0]
            let b = objects.first { ["HorizontalPodAutoscaler", "ScaledObject"].contains($0.kind) }
                ?? (knative + kserve).first { o in !(kpaServices + kpaInference).contains { $0.title == o.title } }!
            throw ScenarioError(file: b.file, line: b.node.line, column: b.node.column, path: b.title,
                                message: "one plan is one policy family: \(a.title) scales with Knative's KPA (a serverless plan) but \(b.title) with the HPA (an elastic plan)",
                                suggestion: "import them separately, each into a plan of its own (--plan)")
        }
        if serverless {
            try importServerless(knative: kpaServices, kserve: kpaInference)
        } else if elastic {
            try importElastic()
        } else if has("Deployment") {
            try importTraditional()
        } else {
            throw ScenarioError(file: all.first?.file ?? "(no files)", line: all.first?.node.line, column: all.first?.node.column,
                                message: "no workload to import: expected a Deployment, a Knative Service or a KServe InferenceService among \(all.count) object\(all.count == 1 ? "" : "s")",
                                suggestion: "export them with `kubectl get deploy,hpa -o json > plan.json` (or ksvc, inferenceservice, scaledobject)")
        }
        try importRouting()
        try importServe()
        if let unused = objects.first(where: { o in o.kind == "ConfigMap" && result.family != "serverless" }) {
            result.notHonoured.append("\(unused.title): Knative's cluster-wide settings apply to KPA plans only; this plan is \(result.family)")
        }
    }

    // MARK: Models

    /// The model a workload object maps to: `--model`, the `headroom/model` annotation that
    /// export writes when a name had to change, or the object's own name.
    func model(for o: ManifestObject) throws -> Int {
        let names = scenario.models.map(\.name)
        let wanted = options.model ?? o.field("metadata.annotations")?.member(Annotation.model).flatMap { n -> String? in
            if case let .string(s) = n.value { return s }
            return nil
        } ?? o.name
        if let k = names.firstIndex(of: wanted) { return k }
        throw o.error("metadata.name", "\(o.title) maps to no model of \(scenario.file): no model \"\(wanted)\"",
                      suggestion: options.model == nil ? "name the model with --model NAME (\(Suggest.hint(for: wanted, in: names, noun: "the models are")))"
                                                        : Suggest.hint(for: wanted, in: names, noun: "the models are"))
    }

    /// Reads a workload's pod resources (the sum over its containers, as the scheduler adds
    /// them) into changes to its model's `requires` and `limits`. `paths` are the containers'
    /// `resources` objects.
    mutating func readResources(_ o: ManifestObject, resources paths: [String], model m: Int) throws {
        guard !paths.isEmpty else {
            result.notHonoured.append("\(o.title): no containers, so no resource requests; model \"\(scenario.models[m].name)\" keeps its own")
            return
        }
        var sums: [String: Double] = [:]
        var cpuLimits = 0
        for path in paths {
            for section in ["requests", "limits"] {
                let p = "\(path).\(section)"
                for member in try o.members(p) {
                    let field = "\(p).\(member.key)"
                    var parsed: Double?
                    switch member.value.value {
                    case let .number(x): parsed = x
                    case let .string(text): parsed = Quantity.parse(text)
                    default: parsed = nil
                    }
                    guard let q = parsed else {
                        throw ScenarioError(file: o.file, line: member.value.line, column: member.value.column, path: "\(o.title) \(field)",
                                            message: "expected a quantity such as 500m, 2 or 4Gi, found \(member.value.value.kindDescription)",
                                            suggestion: "quantities are a number with one suffix: m (milli), k/M/G, Ki/Mi/Gi or an exponent e3")
                    }
                    guard q >= 0 else {
                        throw ScenarioError(file: o.file, line: member.value.line, column: member.value.column, path: "\(o.title) \(field)",
                                            message: "expected a non-negative quantity, found \(member.value.value.kindDescription)")
                    }
                    sums["\(section).\(member.key)", default: 0] += q
                    if section == "limits" && member.key == "cpu" { cpuLimits += 1 }
                    if !["cpu", "memory", "nvidia.com/gpu", "amd.com/gpu"].contains(member.key) {
                        result.notHonoured.append("\(o.title) \(field): Headroom models CPU, memory and GPUs only")
                    } else if section == "limits" && member.key == "memory" {
                        result.notHonoured.append("\(o.title) \(field): memory limits (OOM kills) are not modelled; the request places the pod")
                    }
                }
            }
        }
        let model = scenario.models[m]
        let name = model.name
        func change(_ keys: [String], _ value: JSONNode?, _ text: String) {
            result.modelChanges.append(ModelChange(path: ["models", name] + keys, value: value, description: "models.\(name).\(keys.joined(separator: ".")): \(text) (\(o.title))"))
        }
        if let cpu = sums["requests.cpu"], abs(cpu - model.requires.vcpus) > 1e-9 {
            change(["requires", "vcpus"], JSONNode.number(cpu), "\(show(model.requires.vcpus)) → \(show(cpu))")
        }
        if let mem = sums["requests.memory"].map({ $0 / 0x1p30 }), abs(mem - model.requires.memoryGiB) > 1e-9 {
            change(["requires", "memoryGiB"], JSONNode.number(mem), "\(show(model.requires.memoryGiB)) → \(show(mem)) GiB")
        }
        // Extended resources (GPUs) are requested in limits; requests, when given, must equal them.
        if let gpus = sums["limits.nvidia.com/gpu"] ?? sums["limits.amd.com/gpu"] ?? sums["requests.nvidia.com/gpu"] ?? sums["requests.amd.com/gpu"] {
            guard gpus == gpus.rounded() else {
                throw o.error(paths[0], "expected whole GPUs, found \(show(gpus))", suggestion: "GPU sharing is a node type's gpuSharing in the scenario, not a fraction here")
            }
            if Int(gpus) != model.requires.gpus { change(["requires", "gpus"], JSONNode.int(Int(gpus)), "\(model.requires.gpus) → \(Int(gpus))") }
        }
        if cpuLimits == paths.count, let limit = sums["limits.cpu"] {
            if model.limitVCPUs.map({ abs($0 - limit) > 1e-9 }) ?? true {
                change(["limits", "vcpus"], JSONNode.number(limit), "\(model.limitVCPUs.map(show) ?? "none") → \(show(limit))")
            }
        } else {
            if cpuLimits > 0 {
                result.notHonoured.append("\(o.title): \(cpuLimits) of \(paths.count) containers have a CPU limit; a pod-wide limit needs all of them, so none is read")
            }
            if model.limitVCPUs != nil { change(["limits"], nil, "the CPU limit goes, as the pod has none") }
        }
    }

    /// The `resources` objects of a pod spec's containers; the settings of the pod that shape
    /// capacity but are not read (probes, a rollout strategy) are listed.
    mutating func containerResources(_ o: ManifestObject, _ containers: String) throws -> [String] {
        let items = try o.items(containers)
        for k in items.indices {
            for probe in ["startupProbe", "readinessProbe"] where o.field("\(containers)[\(k)].\(probe)") != nil {
                result.notHonoured.append("\(o.title) \(containers)[\(k)].\(probe): a cold start is the model's init, load and warmup in the scenario, not a probe")
            }
        }
        if o.kind == "Deployment", o.field("spec.strategy.rollingUpdate") != nil {
            result.notHonoured.append("\(o.title) spec.strategy: rolling updates are the scenario's rollout (models.<m>.rollout), not read from here")
        }
        return items.indices.map { "\(containers)[\($0)].resources" }
    }

    func show(_ x: Double) -> String { ValueReaderBridge.show(x) }

    // MARK: Nodes

    /// The plan's node pools: `--nodes`, else the companion flags, else the plan being
    /// replaced; nil when none says.
    func nodePools() throws -> JSONNode? {
        let hardware = scenario.hardware.map(\.name)
        if !options.nodes.isEmpty {
            for n in options.nodes where !hardware.contains(n.type) {
                throw ScenarioError(file: scenario.file, path: "--nodes \(n.type)", message: "unknown node type \"\(n.type)\"",
                                    suggestion: Suggest.hint(for: n.type, in: hardware, noun: "the node types are"))
            }
            return JSONNode.object(options.nodes.map { ($0.type, JSONNode.object([("min", JSONNode.int($0.min)), ("max", JSONNode.int($0.max))])) })
        }
        if !flags.nodeGroups.isEmpty {
            return JSONNode.object(flags.nodeGroups.map { ($0.type, JSONNode.object([("min", JSONNode.int($0.min)), ("max", JSONNode.int($0.max))])) })
        }
        return nil
    }

    /// The node pools, or an error saying where they could come from.
    func requiredNodePools(_ family: String) throws -> JSONNode {
        if let n = try nodePools() { return n }
        if let n = root.member("plans")?.member(options.planName)?.member("nodes"),
           case .object = n.value {
            return n
        }
        throw ScenarioError(file: scenario.file, path: "$.plans.\(options.planName).nodes",
                            message: "the manifests do not say which nodes the \(family) plan runs on (node groups are cloud configuration, not Kubernetes objects)",
                            suggestion: "give --nodes TYPE=MIN:MAX (e.g. --nodes \(scenario.hardware[0].name)=1:4), or the cluster.flags file that `headroom export kubernetes` writes")
    }

    /// The cluster autoscaler's settings as plan keys.
    func nodeLayerKeys() -> [(String, JSONNode?)] {
        var quota: JSONNode?
        if flags.coresTotal != nil || flags.gpusTotal != nil {
            quota = JSONNode.object([("vcpus", flags.coresTotal.map(JSONNode.int)), ("gpus", flags.gpusTotal.map(JSONNode.int))])
        }
        return [("nodeScanInterval", flags.scanInterval.map { JSONNode.string(ValueReaderBridge.seconds($0)) }),
                ("nodeUnneededTime", flags.unneededTime.map { JSONNode.string(ValueReaderBridge.seconds($0)) }),
                ("scaleDownDelayAfterAdd", flags.delayAfterAdd.map { JSONNode.string(ValueReaderBridge.seconds($0)) }),
                ("quota", quota)]
    }

    // MARK: Traditional

    mutating func importTraditional() throws {
        result.family = "traditional"
        var instances: [(String, JSONNode?)] = []
        for o in objects where o.kind == "Deployment" {
            let m = try model(for: o)
            try readResources(o, resources: try containerResources(o, "spec.template.spec.containers"), model: m)
            // spec.replicas defaults to 1 (k8s-and-batch.md §1, [K1]).
            instances.append((scenario.models[m].name, JSONNode.int(try o.integer("spec.replicas") ?? 1)))
            result.read.append(o.title)
        }
        var nodes: JSONNode
        if !options.nodes.isEmpty || !flags.nodeGroups.isEmpty {
            let pools = options.nodes.isEmpty ? flags.nodeGroups.map { ($0.type, $0.min, $0.max) } : options.nodes.map { ($0.type, $0.min, $0.max) }
            _ = try nodePools()    // checks the names
            for p in pools where p.1 != p.2 {
                result.notHonoured.append("node group \(p.0) \(p.1):\(p.2): a traditional plan has a fixed node count; it takes the maximum, \(p.2)")
            }
            nodes = JSONNode.object(pools.map { ($0.0, JSONNode.int($0.2)) })
        } else if let n = root.member("plans")?.member(options.planName)?.member("nodes") {
            nodes = n
        } else {
            throw ScenarioError(file: scenario.file, path: "$.plans.\(options.planName).nodes",
                                message: "the manifests do not say how many nodes the traditional plan has (node groups are cloud configuration, not Kubernetes objects)",
                                suggestion: "give --nodes TYPE=N:N (e.g. --nodes \(scenario.hardware[0].name)=3:3), or the cluster.flags file that `headroom export kubernetes` writes")
        }
        result.plan = JSONNode.object([("policy", JSONNode.string("traditional")), ("nodes", nodes), ("instances", JSONNode.object(instances))])
    }
}

extension KubernetesImport {
    /// The balancer a plan puts in front of an LLM model (`plans.<p>.routing`), from the
    /// `headroom/routing` annotation export writes on its workload: a gateway's choice, which
    /// no Kubernetes object of the workload holds.
    mutating func importRouting() throws {
        var routing: [(String, JSONNode?)] = []
        for o in objects where ["Deployment", "Service", "InferenceService"].contains(o.kind) {
            guard let node = o.field("metadata.annotations")?.member(Annotation.routing) else { continue }
            guard case let .string(name) = node.value, EngineSpec.Routing.names.contains(name) else {
                var found = node.value.kindDescription
                if case let .string(text) = node.value { found = "\"\(text)\"" }
                throw o.error("metadata.annotations", "expected \"least-loaded\", \"cache-aware\" or \"session-affinity\" in the \(Annotation.routing) annotation, found \(found)",
                              suggestion: "remove the annotation, or give one of the three")
            }
            let m = try model(for: o)
            guard scenario.models[m].engine != nil else {
                result.notHonoured.append("\(o.title) \(Annotation.routing): model \"\(scenario.models[m].name)\" has no engine, so no balancer to choose")
                continue
            }
            routing.append((scenario.models[m].name, JSONNode.string(name)))
        }
        if !routing.isEmpty { result.plan = result.plan.setting(JSONNode.object(routing), at: ["routing"]) }
    }
}

/// Annotation keys Headroom writes and reads.
enum Annotation {
    /// The balancer the plan puts in front of an LLM model (`plans.<p>.routing`).
    static let routing = "headroom/routing"
    /// The scenario's model a workload runs, when its name is not a valid Kubernetes name.
    static let model = "headroom/model"
    /// The plan an object was exported from.
    static let plan = "headroom/plan"
    /// Targets the plan serves as the pipeline whose first stage the object runs
    /// (`plans.<p>.serve`): "chat=chat-pd", several comma-separated.
    static let serve = "headroom/serve"
}

extension KubernetesImport {
    /// The targets a plan serves as others (`plans.<p>.serve`), from the `headroom/serve`
    /// annotation export writes on the workload of a pipeline's first stage: where a
    /// gateway sends a model's traffic, which no Kubernetes object of the workloads holds.
    mutating func importServe() throws {
        var serve: [(String, JSONNode?)] = []
        let targets = scenario.targetNames
        for o in objects where ["Deployment", "Service", "InferenceService"].contains(o.kind) {
            guard let node = o.field("metadata.annotations")?.member(Annotation.serve) else { continue }
            guard case let .string(text) = node.value else {
                throw o.error("metadata.annotations", "expected \"target=target\" in the \(Annotation.serve) annotation, found \(node.value.kindDescription)",
                              suggestion: "give a string such as \"chat=chat-pd\", or remove the annotation")
            }
            for pair in text.split(separator: ",", omittingEmptySubsequences: false) {
                let sides = pair.split(separator: "=", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                guard sides.count == 2, let from = sides.first, let to = sides.last, targets.contains(from), targets.contains(to) else {
                    throw o.error("metadata.annotations", "expected two targets of \(scenario.file) as \"from=to\" in the \(Annotation.serve) annotation, found \"\(pair)\"",
                                  suggestion: Suggest.hint(for: String(pair.split(separator: "=").first ?? ""), in: targets, noun: "the targets are"))
                }
                if !serve.contains(where: { $0.0 == from }) { serve.append((from, JSONNode.string(to))) }
            }
        }
        if !serve.isEmpty { result.plan = result.plan.setting(JSONNode.object(serve), at: ["serve"]) }
    }
}
