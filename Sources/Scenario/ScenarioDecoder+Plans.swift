// Decoding `plans`: the three policy families, their scalers, node pools and behaviours.

extension ScenarioDecoder {
    // MARK: Plans

    func nodeRanges(_ node: JSONNode, _ path: String, hardwareNames: [String]) throws -> [NodeRange] {
        let members = try namedMembers(node, path, what: "node pools ({\"min\": m, \"max\": n})")
        guard !members.isEmpty else { throw v.error(node, path, "define at least one node pool") }
        return try members.map { m in
            let p = ObjectReader.join(path, m.key)
            let h = try resolve(m.key, in: hardwareNames, node: m.value, path: p, what: "node type")
            var o = try ObjectReader(m.value, path: p, file: file, what: "an object {\"min\": m, \"max\": n}")
            let min = try o.optional("min").map { try v.integer($0, o.childPath("min"), max: ValueReader.largestCount) } ?? 0
            let maxNode = try o.required("max", expected: "the most nodes of this type")
            let max = try v.integer(maxNode, o.childPath("max"), min: 1, max: ValueReader.largestCount)
            guard max >= min else { throw v.error(maxNode, o.childPath("max"), "expected max ≥ min (\(min)), found \(max)") }
            try o.finish()
            return NodeRange(hardware: h, min: min, max: max)
        }
    }

    func decodePlans(_ node: JSONNode, hardwareNames: [String], modelNames: [String], targetNames: [String] = []) throws -> [Plan] {
        let members = try namedMembers(node, "$.plans", what: "plans")
        guard !members.isEmpty else { throw v.error(node, "$.plans", "define at least one plan") }
        let families = ["traditional", "elastic", "serverless"]
        return try members.map { m in
            let path = ObjectReader.join("$.plans", m.key)
            var o = try ObjectReader(m.value, path: path, file: file)
            let pNode = try o.required("policy", expected: families.joined(separator: ", "))
            let family = try v.string(pNode, o.childPath("policy"))
            var policy: PlanPolicy
            switch family {
            case "traditional":
                let nNode = try o.required("nodes", expected: "node counts by type, e.g. {\"gpu.t4\": 10}")
                var nodes = [Int](repeating: 0, count: hardwareNames.count)
                for nm in try namedMembers(nNode, o.childPath("nodes"), what: "node counts") {
                    let p = ObjectReader.join(o.childPath("nodes"), nm.key)
                    nodes[try resolve(nm.key, in: hardwareNames, node: nm.value, path: p, what: "node type")] = try v.integer(nm.value, p, max: ValueReader.largestCount)
                }
                var instances = [Int?](repeating: nil, count: modelNames.count)
                if let iNode = o.optional("instances") {
                    for im in try namedMembers(iNode, o.childPath("instances"), what: "instance counts") {
                        let p = ObjectReader.join(o.childPath("instances"), im.key)
                        instances[try resolve(im.key, in: modelNames, node: im.value, path: p, what: "model")] = try v.integer(im.value, p, max: ValueReader.largestCount)
                    }
                }
                policy = .traditional(nodes: nodes, instances: instances)
            case "elastic":
                let scalers = ["target-tracking", "step", "simple"]
                let scaler = try o.optional("scaler").map { s -> String in
                    let name = try v.string(s, o.childPath("scaler"))
                    guard scalers.contains(name) else {
                        throw v.error(s, o.childPath("scaler"), "unknown scaler \"\(name)\"", suggestion: Suggest.hint(for: name, in: scalers))
                    }
                    return name
                } ?? "target-tracking"
                let metrics = ["utilisation", "concurrency", "queue-length", "kv-cache-usage", "tokens-per-second"]
                let metricNode = o.optional("metric")
                let metric = try metricNode.map { try v.string($0, o.childPath("metric")) } ?? "utilisation"
                guard metrics.contains(metric) else {
                    throw v.error(metricNode!, o.childPath("metric"), "unknown metric \"\(metric)\"", suggestion: Suggest.hint(for: metric, in: metrics))
                }
                // Default target 0.8: the HPA's default CPU AverageUtilization of 80 %
                // (autoscalers.md §1.5; value marked unconfirmed there). For the AverageValue
                // metrics the target is a count per instance and has no default.
                let target: Double
                if metric == "utilisation" {
                    target = try o.optional("target").map { try v.number($0, o.childPath("target"), min: 0, exclusiveMin: true, max: 1) } ?? 0.8
                } else if metric == "kv-cache-usage" {
                    // A share of the KV cache, with no default: llm-d's workload-variant
                    // autoscaler counts an instance saturated at 0.8 (llm-landscape.md:
                    // its configmap-saturation-scaling.yaml, v0.7.0).
                    target = try v.number(try o.required("target", expected: "the share of the KV cache in use to hold, 0-1 (llm-d counts 0.8 as saturated)"),
                                          o.childPath("target"), min: 0, exclusiveMin: true, max: 1)
                } else if metric == "tokens-per-second" {
                    target = try v.number(try o.required("target", expected: "output tokens per second per instance to hold"), o.childPath("target"), min: 0, exclusiveMin: true)
                } else {
                    target = try v.number(try o.required("target", expected: metric == "concurrency" ? "requests in service per instance" : "requests waiting per instance"),
                                          o.childPath("target"), min: 0, exclusiveMin: true)
                }
                var behavior: BehaviorSpec?
                var step: StepSpec?
                if scaler == "step" || scaler == "simple" {
                    step = try decodeStep(&o, simple: scaler == "simple")
                } else if let bNode = o.optional("behavior") {
                    behavior = try decodeBehavior(bNode, path: o.childPath("behavior"))
                }
                let nodes = try nodeRanges(try o.required("nodes", expected: "node pools by type, {\"min\": m, \"max\": n}"),
                                           o.childPath("nodes"), hardwareNames: hardwareNames)
                // KEDA in front of the HPA (so with target tracking only; for step scaling the key
                // is unknown): scaling to and from zero on its trigger's activation. KEDA's cpu
                // trigger cannot take a workload to zero (keda.sh, "CPU" scaler: scaling to zero
                // needs another trigger).
                var keda: KEDASpec?
                let kedaNode = scaler == "target-tracking" ? o.optional("keda") : nil
                if let kNode = kedaNode {
                    guard metric != "utilisation" else {
                        throw v.error(kNode, o.childPath("keda"), "KEDA cannot scale to zero on CPU utilisation (its cpu trigger is inactive at zero instances), and this plan's metric is utilisation",
                                      suggestion: "scale on \"concurrency\", \"queue-length\", \"kv-cache-usage\" or \"tokens-per-second\"")
                    }
                    var ko = try ObjectReader(kNode, path: o.childPath("keda"), file: file)
                    var k = KEDASpec()
                    k.pollingInterval = try ko.optional("pollingInterval").map { try v.duration($0, ko.childPath("pollingInterval"), positive: true) }
                    k.cooldownPeriod = try ko.optional("cooldownPeriod").map { try v.duration($0, ko.childPath("cooldownPeriod")) }
                    k.activationThreshold = try ko.optional("activationThreshold").map { try v.number($0, ko.childPath("activationThreshold"), min: 0) }
                    try ko.finish()
                    keda = k
                }
                var instances: [InstanceRange] = []
                if let iNode = o.optional("instances") {
                    for im in try namedMembers(iNode, o.childPath("instances"), what: "instance ranges") {
                        let p = ObjectReader.join(o.childPath("instances"), im.key)
                        let model = try resolve(im.key, in: modelNames, node: im.value, path: p, what: "model")
                        var io = try ObjectReader(im.value, path: p, file: file, what: "an object {\"min\": m, \"max\": n}")
                        let minNode = io.optional("min")
                        let min = try minNode.map { try v.integer($0, io.childPath("min"), min: 0, max: ValueReader.largestCount) } ?? 1
                        if min == 0 && keda == nil {
                            throw v.error(minNode!, io.childPath("min"), "expected min ≥ 1: an HPA keeps at least one instance, and only KEDA scales to zero",
                                          suggestion: scaler == "target-tracking" ? "add \"keda\": {} to the plan to scale this model to and from zero"
                                                                                  : "KEDA drives the HPA: use \"scaler\": \"target-tracking\" with \"keda\": {}, or keep min ≥ 1")
                        }
                        // At zero instances no engine reports a KV cache or a token rate, so a
                        // trigger on them would never wake the model again.
                        if min == 0 && (metric == "kv-cache-usage" || metric == "tokens-per-second") {
                            throw v.error(minNode!, io.childPath("min"), "a model scaled to zero on \(metric) would never scale up again: at zero instances no engine reports it",
                                          suggestion: "scale on \"queue-length\" (requests waiting, which the gateway counts at zero too) or \"concurrency\", or keep min ≥ 1")
                        }
                        let max = try io.optional("max").map { try v.integer($0, io.childPath("max"), min: 1, max: ValueReader.largestCount) } ?? 1000
                        guard max >= min else { throw v.error(im.value, p, "expected max ≥ min (\(min)), found max \(max)") }
                        try io.finish()
                        instances.append(InstanceRange(model: model, min: min, max: max))
                    }
                }
                if let kNode = kedaNode, !instances.contains(where: { $0.min == 0 }) {
                    throw v.error(kNode, o.childPath("keda"), "KEDA's settings apply to scaling to and from zero, but no model of this plan has instances.min 0",
                                  suggestion: "set \"instances\": {\"<model>\": {\"min\": 0, \"max\": …}} for the models that scale to zero, or remove keda")
                }
                policy = .elastic(ElasticPlan(
                    scaler: scaler, target: target, nodes: nodes, instances: instances,
                    tolerance: try o.optional("tolerance").map { try v.number($0, o.childPath("tolerance"), min: 0, max: 1) },
                    syncPeriod: try o.optional("syncPeriod").map { try v.duration($0, o.childPath("syncPeriod"), positive: true) },
                    downscaleStabilization: try o.optional("downscaleStabilization").map { try v.duration($0, o.childPath("downscaleStabilization")) },
                    nodeScanInterval: try o.optional("nodeScanInterval").map { try v.duration($0, o.childPath("nodeScanInterval"), positive: true) },
                    nodeUnneededTime: try o.optional("nodeUnneededTime").map { try v.duration($0, o.childPath("nodeUnneededTime")) },
                    scaleDownDelayAfterAdd: try o.optional("scaleDownDelayAfterAdd").map { try v.duration($0, o.childPath("scaleDownDelayAfterAdd")) },
                    metric: metric, behavior: behavior, step: step, keda: keda))
            case "serverless":
                let hostingNames = ServerlessPlan.Hosting.allCases.map(\.rawValue)
                let hostingNode = try o.required("hosting", expected: "\"provider\" (Lambda-like) or \"self\" (on the plan's own nodes)")
                let hostingName = try v.string(hostingNode, o.childPath("hosting"))
                guard let hosting = ServerlessPlan.Hosting(rawValue: hostingName) else {
                    throw v.error(hostingNode, o.childPath("hosting"), "unknown hosting \"\(hostingName)\"", suggestion: Suggest.hint(for: hostingName, in: hostingNames))
                }
                let keepAlive = try o.optional("keepAlive").map { try v.duration($0, o.childPath("keepAlive")) } ?? 600
                var nodes: [NodeRange] = []
                if hosting == .self {
                    nodes = try nodeRanges(try o.required("nodes", expected: "node pools for self-hosting, {\"min\": m, \"max\": n}"),
                                           o.childPath("nodes"), hardwareNames: hardwareNames)
                } else if o.has("nodes"), let n = o.optional("nodes") {
                    throw v.error(n, o.childPath("nodes"), "provider-hosted serverless runs on the provider's capacity, not on nodes",
                                  suggestion: "use \"hosting\": \"self\" to run on your own node pools")
                }
                let limit = try o.optional("concurrencyLimit").map { try v.integer($0, o.childPath("concurrencyLimit")) } ?? (hosting == .provider ? 1000 : 0)
                var pricing = ProviderPricing.lambda
                if hosting == .provider, let pr = o.optional("pricing") {
                    var po = try ObjectReader(pr, path: o.childPath("pricing"), file: file)
                    if let x = po.optional("perGBSecond") { pricing.perGBSecond = try v.number(x, po.childPath("perGBSecond"), min: 0) }
                    if let x = po.optional("perRequest") { pricing.perRequest = try v.number(x, po.childPath("perRequest"), min: 0) }
                    if let x = po.optional("perGPUSecond") { pricing.perGPUSecond = try v.number(x, po.childPath("perGPUSecond"), min: 0) }
                    if let x = po.optional("granularity") { pricing.granularity = try v.duration(x, po.childPath("granularity"), positive: true) }
                    if let x = po.optional("provisionedPerGBSecond") { pricing.provisionedPerGBSecond = try v.number(x, po.childPath("provisionedPerGBSecond"), min: 0) }
                    if let x = po.optional("provisionedDurationPerGBSecond") {
                        pricing.provisionedDurationPerGBSecond = try v.number(x, po.childPath("provisionedDurationPerGBSecond"), min: 0)
                    }
                    try po.finish()
                }
                // The node layer's knobs exist only with nodes of one's own.
                let selfHosted = hosting == .self
                var kpa: KPASettings?
                if let sc = o.optional("scaler") {
                    let name = try v.string(sc, o.childPath("scaler"))
                    guard ["keep-alive", "kpa"].contains(name) else {
                        throw v.error(sc, o.childPath("scaler"), "unknown serverless scaler \"\(name)\"", suggestion: Suggest.hint(for: name, in: ["keep-alive", "kpa"]))
                    }
                    if name == "kpa" {
                        guard selfHosted else {
                            throw v.error(sc, o.childPath("scaler"), "the Knative Pod Autoscaler needs nodes of one's own, not provider hosting", suggestion: "use \"hosting\": \"self\"")
                        }
                        kpa = KPASettings()
                    }
                }
                if selfHosted, let k = o.optional("kpa") {
                    guard kpa != nil else { throw v.error(k, o.childPath("kpa"), "\"kpa\" settings need \"scaler\": \"kpa\"") }
                    var ko = try ObjectReader(k, path: o.childPath("kpa"), file: file)
                    if let x = ko.optional("targetUtilisation") { kpa!.targetUtilisation = try v.number(x, ko.childPath("targetUtilisation"), min: 0, exclusiveMin: true, max: 1) }
                    if let x = ko.optional("stableWindow") {
                        let w = try v.duration(x, ko.childPath("stableWindow"))
                        guard w >= 6, w <= 3600, w == w.rounded() else {
                            throw v.error(x, ko.childPath("stableWindow"), "expected a stable window of whole seconds from 6 s to 1 h (Knative's limits), found \(ValueReader.show(w)) s")
                        }
                        kpa!.stableWindow = w
                    }
                    if let x = ko.optional("panicWindowPercentage") { kpa!.panicWindowPercentage = try v.number(x, ko.childPath("panicWindowPercentage"), min: 1, max: 100) }
                    if let x = ko.optional("panicThreshold") { kpa!.panicThreshold = try v.number(x, ko.childPath("panicThreshold"), min: 1) }
                    if let x = ko.optional("maxScaleUpRate") { kpa!.maxScaleUpRate = try v.number(x, ko.childPath("maxScaleUpRate"), min: 1, exclusiveMin: true, max: 1e6) }
                    if let x = ko.optional("maxScaleDownRate") { kpa!.maxScaleDownRate = try v.number(x, ko.childPath("maxScaleDownRate"), min: 1, exclusiveMin: true, max: 1e6) }
                    if let x = ko.optional("scaleToZeroGrace") { kpa!.scaleToZeroGrace = try v.duration(x, ko.childPath("scaleToZeroGrace"), positive: true) }
                    try ko.finish()
                }
                // Lambda's per-function scaling rate since Nov 2023: 1,000 new environments per
                // 10 s (autoscalers.md §4.2); self-hosted scaling has no such token bucket.
                let scaleRate = try o.optional("scaleRate").map { try v.integer($0, o.childPath("scaleRate")) } ?? (hosting == .provider ? 1000 : 0)
                var provisioned = [Int](repeating: 0, count: modelNames.count)
                if hosting == .provider, let pc = o.optional("provisionedConcurrency") {
                    for m in try namedMembers(pc, o.childPath("provisionedConcurrency"), what: "environments by model") {
                        let p = ObjectReader.join(o.childPath("provisionedConcurrency"), m.key)
                        let k = try resolve(m.key, in: modelNames, node: m.value, path: p, what: "model")
                        provisioned[k] = try v.integer(m.value, p, max: ValueReader.largestCount)
                    }
                }
                var hybrid = false
                if let kp = o.optional("keepAlivePolicy") {
                    let name = try v.string(kp, o.childPath("keepAlivePolicy"))
                    guard ["fixed", "hybrid-histogram"].contains(name) else {
                        throw v.error(kp, o.childPath("keepAlivePolicy"), "unknown keep-alive policy \"\(name)\"",
                                      suggestion: Suggest.hint(for: name, in: ["fixed", "hybrid-histogram"]))
                    }
                    if name == "hybrid-histogram" && kpa != nil {
                        throw v.error(kp, o.childPath("keepAlivePolicy"), "the Knative Pod Autoscaler decides scale-down itself, so a keep-alive policy cannot apply: expected no keepAlivePolicy with \"scaler\": \"kpa\"")
                    }
                    hybrid = name == "hybrid-histogram"
                }
                policy = .serverless(ServerlessPlan(
                    hosting: hosting, keepAlive: keepAlive, nodes: nodes, concurrencyLimit: limit, pricing: pricing,
                    nodeScanInterval: selfHosted ? try o.optional("nodeScanInterval").map { try v.duration($0, o.childPath("nodeScanInterval"), positive: true) } : nil,
                    nodeUnneededTime: selfHosted ? try o.optional("nodeUnneededTime").map { try v.duration($0, o.childPath("nodeUnneededTime")) } : nil,
                    scaleDownDelayAfterAdd: selfHosted ? try o.optional("scaleDownDelayAfterAdd").map { try v.duration($0, o.childPath("scaleDownDelayAfterAdd")) } : nil,
                    kpa: kpa, hybridKeepAlive: hybrid, scaleRatePer10s: scaleRate, provisioned: provisioned))
            default:
                throw v.error(pNode, o.childPath("policy"), "unknown policy \"\(family)\"", suggestion: Suggest.hint(for: family, in: families))
            }
            var commitments: [Commitment] = []
            var providerHosted = false
            if case let .serverless(sv) = policy, sv.hosting == .provider { providerHosted = true }
            // Provider hosting has no nodes to commit to (provisionedConcurrency is its reserve).
            if !providerHosted, let c = o.optional("commitments") {
                for cm in try namedMembers(c, o.childPath("commitments"), what: "commitments by node type") {
                    let p = ObjectReader.join(o.childPath("commitments"), cm.key)
                    let h = try resolve(cm.key, in: hardwareNames, node: cm.value, path: p, what: "node type")
                    var co = try ObjectReader(cm.value, path: p, file: file)
                    let n = try v.integer(try co.required("nodes", expected: "nodes committed for the whole run"), co.childPath("nodes"), min: 1, max: ValueReader.largestCount)
                    let price = try v.number(try co.required("pricePerHour", expected: "USD per committed node-hour"), co.childPath("pricePerHour"), min: 0, max: 1e6)
                    try co.finish()
                    commitments.append(Commitment(hardware: h, nodes: n, pricePerHour: price))
                }
            }
            // Only plans that add nodes can run into an account quota.
            func quota() throws -> NodeQuota {
                var quota = NodeQuota()
                guard let q = o.optional("quota") else { return quota }
                var qo = try ObjectReader(q, path: o.childPath("quota"), file: file)
                quota.vcpus = try qo.optional("vcpus").map { try v.integer($0, qo.childPath("vcpus"), min: 1, max: Int(Bounds.vcpus) * 1_000_000) } ?? 0
                quota.gpus = try qo.optional("gpus").map { try v.integer($0, qo.childPath("gpus"), min: 1, max: Bounds.gpus * 1_000_000) } ?? 0
                try qo.finish()
                return quota
            }
            switch policy {
            case var .elastic(e):
                e.quota = try quota()
                policy = .elastic(e)
            case var .serverless(sv) where sv.hosting == .self:
                sv.quota = try quota()
                policy = .serverless(sv)
            default: break
            }
            // The balancer in front of an LLM model's instances, for this plan (checked against
            // the models' engines with the other cross-references).
            var routing = [EngineSpec.Routing?](repeating: nil, count: modelNames.count)
            if let r = o.optional("routing") {
                for rm in try namedMembers(r, o.childPath("routing"), what: "balancers by model") {
                    let p = ObjectReader.join(o.childPath("routing"), rm.key)
                    let model = try resolve(rm.key, in: modelNames, node: rm.value, path: p, what: "model")
                    let text = try v.string(rm.value, p)
                    switch text {
                    case "least-loaded": routing[model] = .leastLoaded
                    case "cache-aware": routing[model] = .cacheAware(cacheThreshold: 0.3, balanceAbsThreshold: 64, balanceRelThreshold: 1.5)
                    case "session-affinity": routing[model] = .sessionAffinity
                    default:
                        throw v.error(rm.value, p, "unknown routing \"\(text)\"", suggestion: Suggest.hint(for: text, in: EngineSpec.Routing.names))
                    }
                }
            }
            // Traffic this plan serves as another target's (checked with the cross-references).
            var serve: [ServeAs] = []
            if let r = o.optional("serve") {
                for rm in try namedMembers(r, o.childPath("serve"), what: "targets by target") {
                    let p = ObjectReader.join(o.childPath("serve"), rm.key)
                    let from = try resolve(rm.key, in: targetNames, node: rm.value, path: p, what: "target")
                    let to = try resolve(try v.string(rm.value, p), in: targetNames, node: rm.value, path: p, what: "target")
                    guard from != to else {
                        throw v.error(rm.value, p, "\"\(rm.key)\" is served as itself: expected another target", suggestion: "remove it, or name the pipeline that serves it here")
                    }
                    serve.append(ServeAs(from: from, to: to))
                }
            }
            try o.finish()
            var plan = Plan(name: m.key, policy: policy, jsonPath: path)
            plan.routing = routing
            plan.serve = serve
            plan.commitments = commitments
            return plan
        }
    }

    /// Step scaling's keys of an elastic plan: `period`, `warmup`, `scaleOut`, `scaleIn`; for
    /// simple scaling `period`, `cooldown` (default 300 s, EC2 Auto Scaling's `DefaultCooldown`,
    /// autoscalers.md §6.1) and alarms with one adjustment each, no steps.
    func decodeStep(_ o: inout ObjectReader, simple: Bool) throws -> StepSpec {
        var spec = StepSpec()
        if let x = o.optional("period") { spec.period = try v.duration(x, o.childPath("period"), positive: true) }
        if simple {
            spec.cooldown = try o.optional("cooldown").map { try v.duration($0, o.childPath("cooldown")) } ?? 300
        } else if let x = o.optional("warmup") {
            spec.warmup = try v.duration(x, o.childPath("warmup"))
        }
        /// The one adjustment of a step (or of a simple-scaling alarm): its kind and value.
        func adjustment(_ r: inout ObjectReader, _ node: JSONNode, message: String, suggestion: String) throws -> (String, Double) {
            let given = ["change", "percent", "exact"].compactMap { key in r.optional(key).map { (key, $0) } }
            guard given.count == 1 else { throw v.error(node, r.path, message + ", found \(given.isEmpty ? "none" : given.map { "\"\($0.0)\"" }.joined(separator: " and "))", suggestion: suggestion) }
            // Instance counts and percentages of them: a million either way (largestCount).
            let bound = Double(ValueReader.largestCount)
            return (given[0].0, try v.number(given[0].1, r.childPath(given[0].0), min: -bound, max: bound))
        }
        func alarm(_ key: String) throws -> StepSpec.Alarm? {
            guard let n = o.optional(key) else { return nil }
            var a = try ObjectReader(n, path: o.childPath(key), file: file)
            let threshold = try v.number(try a.required("threshold", expected: "the alarm's threshold on the metric"), a.childPath("threshold"), min: 0)
            let periods = try a.optional("evaluationPeriods").map { try v.integer($0, a.childPath("evaluationPeriods"), min: 1) } ?? 1
            if simple {
                let (kind, value) = try adjustment(&a, n, message: "a simple-scaling alarm needs exactly one adjustment of \"change\", \"percent\" or \"exact\"",
                                                   suggestion: "e.g. {\"threshold\": 0.7, \"change\": 2}; steps need \"scaler\": \"step\"")
                try a.finish()
                return StepSpec.Alarm(threshold: threshold, evaluationPeriods: periods,
                                      steps: [StepSpec.Step(lower: nil, upper: nil, kind: kind, value: value)])
            }
            let sNode = try a.required("steps", expected: "the steps: [{\"lower\", \"upper\", \"change\" | \"percent\" | \"exact\"}]")
            guard case let .array(items) = sNode.value, !items.isEmpty else {
                throw v.error(sNode, a.childPath("steps"), "expected a non-empty array of steps")
            }
            let steps = try items.enumerated().map { k, item -> StepSpec.Step in
                var so = try ObjectReader(item, path: a.childPath("steps") + "[\(k)]", file: file)
                let lower = try so.optional("lower").map { try v.number($0, so.childPath("lower")) }
                let upper = try so.optional("upper").map { try v.number($0, so.childPath("upper")) }
                let (kind, value) = try adjustment(&so, item, message: "a step needs exactly one of \"change\", \"percent\" or \"exact\"",
                                                   suggestion: "e.g. {\"lower\": 0, \"change\": 2}")
                try so.finish()
                return StepSpec.Step(lower: lower, upper: upper, kind: kind, value: value)
            }
            try a.finish()
            return StepSpec.Alarm(threshold: threshold, evaluationPeriods: periods, steps: steps)
        }
        spec.scaleOut = try alarm("scaleOut")
        spec.scaleIn = try alarm("scaleIn")
        guard spec.scaleOut != nil || spec.scaleIn != nil else {
            throw ScenarioError(file: file, path: o.path, message: "a \(simple ? "simple" : "step")-scaling plan needs a scaleOut or a scaleIn alarm",
                                suggestion: simple ? "add \"scaleOut\": {\"threshold\": 0.7, \"change\": 1}"
                                    : "add \"scaleOut\": {\"threshold\": 0.7, \"steps\": [{\"lower\": 0, \"change\": 1}]}")
        }
        return spec
    }

    /// `behavior`: `{"scaleUp": rules, "scaleDown": rules}`, each `{"stabilizationWindow": d,
    /// "selectPolicy": "Max"|"Min"|"Disabled", "policies": [{"type": "Pods"|"Percent",
    /// "value": n, "period": d}]}`; what is left out keeps the API server's default.
    func decodeBehavior(_ node: JSONNode, path: String) throws -> BehaviorSpec {
        var o = try ObjectReader(node, path: path, file: file)
        var spec = BehaviorSpec()
        func rules(_ key: String) throws -> BehaviorSpec.Rules? {
            guard let n = o.optional(key) else { return nil }
            var r = try ObjectReader(n, path: o.childPath(key), file: file)
            var out = BehaviorSpec.Rules()
            out.stabilizationWindow = try r.optional("stabilizationWindow").map { try v.duration($0, r.childPath("stabilizationWindow")) }
            if let s = r.optional("selectPolicy") {
                let name = try v.string(s, r.childPath("selectPolicy"))
                guard ["Max", "Min", "Disabled"].contains(name) else {
                    throw v.error(s, r.childPath("selectPolicy"), "unknown selectPolicy \"\(name)\"", suggestion: Suggest.hint(for: name, in: ["Max", "Min", "Disabled"]))
                }
                out.selectPolicy = name
            }
            if let ps = r.optional("policies") {
                guard case let .array(items) = ps.value else { throw v.error(ps, r.childPath("policies"), "expected an array of {\"type\", \"value\", \"period\"}") }
                out.policies = try items.enumerated().map { k, item in
                    var po = try ObjectReader(item, path: r.childPath("policies") + "[\(k)]", file: file)
                    let tNode = try po.required("type", expected: "Pods or Percent")
                    let type = try v.string(tNode, po.childPath("type"))
                    guard ["Pods", "Percent"].contains(type) else {
                        throw v.error(tNode, po.childPath("type"), "unknown policy type \"\(type)\"", suggestion: Suggest.hint(for: type, in: ["Pods", "Percent"]))
                    }
                    let value = try v.integer(try po.required("value", expected: "pods or percent per period"), po.childPath("value"), min: 1)
                    let period = try v.duration(try po.required("period", expected: "the policy's period, 1 s to 30 min"), po.childPath("period"), positive: true)
                    try po.finish()
                    return BehaviorSpec.Policy(type: type, value: value, period: period)
                }
            }
            try r.finish()
            return out
        }
        spec.scaleUp = try rules("scaleUp")
        spec.scaleDown = try rules("scaleDown")
        try o.finish()
        return spec
    }
}
