import Scenario
import Planning

/// One model's autoscaling as an object describes it.
struct Scaling {
    var source: ManifestObject
    var model: Int
    var min: Int
    var max: Int
    var metric: String
    var target: Double
    var behavior: JSONNode?
    /// "CPU at 60 %", for messages.
    var describe: String
    /// A ScaledObject that takes its model to zero: the plan's `keda` block.
    var keda: JSONNode? = nil
}

/// What an HPA metric measures, in Headroom's terms, or why Headroom cannot follow it.
enum MetricReading {
    case signal(metric: String, target: Double, describe: String)
    case unsupported(String)
}

extension KubernetesImport {
    /// Metric names (a Pods or External metric, or a name inside a KEDA Prometheus query)
    /// read as requests in service per instance, as requests waiting per instance, or as the
    /// share of the KV cache in use: the
    /// runtime's own gauges and vLLM's (`vllm:num_requests_running`, `…_waiting`; with
    /// prometheus-adapter's usual renaming of colons).
    static let concurrencyMetrics = ["headroom_requests_in_flight", "vllm:num_requests_running", "vllm_num_requests_running"]
    static let queueMetrics = ["headroom_queue_depth", "vllm:num_requests_waiting", "vllm_num_requests_waiting"]
    /// vLLM's share of the KV cache in use (V1's name, then V0's), read as `kv-cache-usage`.
    static let kvCacheMetrics = ["vllm:kv_cache_usage_perc", "vllm_kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", "vllm_gpu_cache_usage_perc"]
    /// vLLM's output tokens per second, as prometheus-adapter's default rules serve the rate of
    /// the counter `vllm:generation_tokens_total` (its `_total` dropped), read as
    /// `tokens-per-second`.
    static let tokenMetrics = ["vllm:generation_tokens", "vllm_generation_tokens"]

    /// The signal a metric name stands for, by the lists above.
    static func signal(named name: String) -> String? {
        if concurrencyMetrics.contains(name) { return "concurrency" }
        if queueMetrics.contains(name) { return "queue-length" }
        if kvCacheMetrics.contains(name) { return "kv-cache-usage" }
        if tokenMetrics.contains(name) { return "tokens-per-second" }
        return nil
    }

    // MARK: Elastic

    mutating func importElastic() throws {
        result.family = "elastic"
        var scalings: [Scaling] = []
        let deployments = objects.filter { $0.kind == "Deployment" }
        var scaled: Set<String> = []
        for o in objects where o.kind == "HorizontalPodAutoscaler" || o.kind == "ScaledObject" {
            let refKind = try o.string("spec.scaleTargetRef.kind") ?? "Deployment"
            guard refKind == "Deployment" else {
                throw o.error("spec.scaleTargetRef.kind", "\(o.title) scales a \(refKind): expected a Deployment, the workload Headroom maps autoscalers of",
                              suggestion: "point it at the Deployment that serves the model")
            }
            guard let target = try o.string("spec.scaleTargetRef.name") else {
                throw o.error("spec.scaleTargetRef", "expected spec.scaleTargetRef.name, the Deployment it scales")
            }
            guard let d = deployments.first(where: { $0.name == target }) else {
                throw o.error("spec.scaleTargetRef.name", "\(o.title) scales Deployment/\(target), which is not among the objects given",
                              suggestion: deployments.isEmpty ? "add the Deployment (kubectl get deploy,hpa -o json)"
                                                              : Suggest.hint(for: target, in: deployments.map(\.name), noun: "the Deployments given are"))
            }
            guard !scaled.contains(d.name) else {
                throw o.error("spec.scaleTargetRef.name", "Deployment/\(d.name) is scaled by two autoscalers; Kubernetes lets only one act on it",
                              suggestion: "give one HPA or ScaledObject per Deployment (a ScaledObject makes its own HPA)")
            }
            scaled.insert(d.name)
            let m = try model(for: d)
            try readResources(d, resources: try containerResources(d, "spec.template.spec.containers"), model: m)
            scalings.append(o.kind == "ScaledObject" ? try scaledObject(o, model: m) : try hpa(o, model: m))
            result.read += [d.title, o.title]
        }
        // A Deployment without an autoscaler keeps its replica count: min = max.
        for d in deployments where !scaled.contains(d.name) {
            let m = try model(for: d)
            try readResources(d, resources: try containerResources(d, "spec.template.spec.containers"), model: m)
            let r = try d.integer("spec.replicas") ?? 1
            guard r >= 1 else { throw d.error("spec.replicas", "expected at least 1 replica in an elastic plan, found 0", suggestion: "leave the Deployment out of the import") }
            result.read.append(d.title)
            result.notHonoured.append("\(d.title): no autoscaler; its \(r) replica\(r == 1 ? "" : "s") become the model's instance range \(r)…\(r)")
            scalings.append(Scaling(source: d, model: m, min: r, max: r, metric: "", target: 0, behavior: nil, describe: "fixed at \(r)"))
        }
        for o in objects where o.kind == "Service" { scalings.append(try knativeHPA(o)) }
        for o in objects where o.kind == "InferenceService" { scalings.append(try kserveRaw(o)) }
        try finishElastic(scalings)
    }

    mutating func finishElastic(_ scalings: [Scaling]) throws {
        let models = scalings.map(\.model)
        if let dup = models.enumerated().first(where: { k, m in models[..<k].contains(m) }) {
            let o = scalings[dup.offset].source
            throw o.error("metadata.name", "model \"\(scenario.models[dup.element].name)\" is served by two workloads (\(scalings.first { $0.model == dup.element }!.source.title) and \(o.title))",
                          suggestion: "import each into a plan of its own, or map one to another model with --model")
        }
        // The plan's one metric, target and behavior: the first autoscaled workload's.
        let lead = scalings.first { !$0.metric.isEmpty } ?? Scaling(source: scalings[0].source, model: 0, min: 1, max: 1, metric: "utilisation", target: 0.8,
                                                                    behavior: nil, describe: "CPU at 80 %")
        for s in scalings where !s.metric.isEmpty && s.source.title != lead.source.title {
            if s.metric != lead.metric || abs(s.target - lead.target) > 1e-9 {
                result.notHonoured.append("\(s.source.title): scales on \(s.describe), but a Headroom elastic plan has one metric and target: every model takes \(lead.source.title)'s \(lead.describe)")
            }
            if s.behavior != lead.behavior {
                result.notHonoured.append("\(s.source.title): its behavior differs from \(lead.source.title)'s, whose behavior the plan takes for every model")
            }
        }
        // KEDA's settings are the plan's, from the first workload that scales to zero.
        let kedaLead = scalings.first { $0.keda != nil }
        for s in scalings where s.keda != nil && s.source.title != kedaLead!.source.title && s.keda != kedaLead!.keda {
            result.notHonoured.append("\(s.source.title): its polling, cooldown or activation threshold differ from \(kedaLead!.source.title)'s, which the plan takes for every model")
        }
        var instances: [(String, JSONNode?)] = []
        for s in scalings.sorted(by: { $0.model < $1.model }) where !(s.min == 1 && s.max == 1000) {
            instances.append((scenario.models[s.model].name, JSONNode.object([("min", JSONNode.int(s.min)), ("max", JSONNode.int(s.max))])))
        }
        let used = PlanBuilder.usedModels(scenario)
        for m in scenario.models.indices where used[m] && !models.contains(m) && scenario.models[m].variantOf == nil {
            result.notHonoured.append("model \"\(scenario.models[m].name)\": the workload sends it requests but no manifest serves it; it gets the elastic defaults (1 to 1000 instances)")
        }
        let nodes = try requiredNodePools("elastic")
        var keys: [(String, JSONNode?)] = [("policy", JSONNode.string("elastic"))]
        if lead.metric != "utilisation" { keys.append(("metric", JSONNode.string(lead.metric))) }
        keys += [("target", JSONNode.number(lead.target)), ("behavior", lead.behavior),
                 ("tolerance", flags.tolerance.map(JSONNode.number)),
                 ("syncPeriod", flags.syncPeriod.map { JSONNode.string(ValueReaderBridge.seconds($0)) }),
                 ("downscaleStabilization", flags.downscaleStabilization.map { JSONNode.string(ValueReaderBridge.seconds($0)) }),
                 ("nodes", nodes)]
        keys += nodeLayerKeys()
        keys.append(("instances", instances.isEmpty ? nil : JSONNode.object(instances)))
        keys.append(("keda", kedaLead?.keda))
        result.plan = JSONNode.object(keys)
    }

    // MARK: HorizontalPodAutoscaler

    /// Lists the keys of the object at `path` that the import does not read, with why.
    mutating func listUnread(_ o: ManifestObject, _ path: String, read: [String], why: String) throws {
        for m in try o.members(path) where !read.contains(m.key) {
            result.notHonoured.append("\(o.title) \(path).\(m.key): \(why)")
        }
    }

    mutating func hpa(_ o: ManifestObject, model m: Int) throws -> Scaling {
        try listUnread(o, "spec", read: ["scaleTargetRef", "minReplicas", "maxReplicas", "metrics", "behavior", "targetCPUUtilizationPercentage"],
                       why: "not a field of the HPA Headroom models")
        var minR = try o.integer("spec.minReplicas") ?? 1       // API default 1 [K1]
        if minR == 0 {
            result.notHonoured.append("\(o.title) spec.minReplicas 0: scale to zero needs the HPAScaleToZero alpha gate; Headroom's elastic plans keep at least 1")
            minR = 1
        }
        guard let maxR = try o.integer("spec.maxReplicas", in: 1...1_000_000) else {
            throw o.error("spec", "expected spec.maxReplicas, which every HPA has", suggestion: "add \"maxReplicas\": N")
        }
        guard maxR >= minR else { throw o.error("spec.maxReplicas", "expected maxReplicas ≥ minReplicas (\(minR)), found \(maxR)") }
        // No metrics: CPU at 80 % (the API server's default, k8s-and-batch.md §1).
        var (metric, target, describe) = ("utilisation", 0.8, "CPU at 80 % (the default)")
        if o.apiVersion == "autoscaling/v1" {
            let pct = try o.integer("spec.targetCPUUtilizationPercentage", in: 1...100) ?? 80
            (metric, target, describe) = ("utilisation", Double(pct) / 100, "CPU at \(pct) %")
        } else {
            let metrics = try o.items("spec.metrics")
            var chosen: Int?
            var reasons: [String] = []
            for k in metrics.indices {
                switch try hpaMetric(o, "spec.metrics[\(k)]") {
                case let .signal(m, t, d):
                    if let c = chosen {
                        result.notHonoured.append("\(o.title) spec.metrics[\(k)]: the HPA scales to the largest of its metrics' proposals; Headroom scales on one, spec.metrics[\(c)]")
                    } else {
                        chosen = k
                        (metric, target, describe) = (m, t, d)
                    }
                case let .unsupported(why):
                    reasons.append("spec.metrics[\(k)]: \(why)")
                }
            }
            if chosen == nil && !metrics.isEmpty {
                throw o.error("spec.metrics", "no metric of \(o.title) is one Headroom can model — " + reasons.joined(separator: "; "),
                              suggestion: "Headroom scales on CPU utilisation (Resource cpu, Utilization) or on a Pods/External AverageValue metric named one of \((Self.concurrencyMetrics + Self.queueMetrics).joined(separator: ", "))")
            }
            if chosen != nil { for r in reasons { result.notHonoured.append("\(o.title) \(r)") } }
        }
        let behavior = try behaviorJSON(o, "spec.behavior")
        return Scaling(source: o, model: m, min: minR, max: maxR, metric: metric, target: target, behavior: behavior, describe: describe)
    }

    /// One entry of an HPA's `metrics`.
    func hpaMetric(_ o: ManifestObject, _ p: String) throws -> MetricReading {
        let type = try o.string("\(p).type") ?? ""
        switch type {
        case "Resource", "ContainerResource":
            let key = type == "Resource" ? "resource" : "containerResource"
            let name = try o.string("\(p).\(key).name") ?? ""
            let targetType = try o.string("\(p).\(key).target.type") ?? ""
            guard name == "cpu" else { return .unsupported("\(type) \(name.isEmpty ? "(no name)" : name): Headroom does not model \(name == "memory" ? "memory use" : "this resource")") }
            guard targetType == "Utilization" else {
                return .unsupported("\(type) cpu with a \(targetType.isEmpty ? "missing" : targetType) target: Headroom's utilisation is a share of the request (Utilization)")
            }
            let pct = try o.integer("\(p).\(key).target.averageUtilization", in: 1...1000) ?? 0
            guard pct > 0 else { return .unsupported("\(type) cpu Utilization without averageUtilization") }
            guard pct <= 100 else { return .unsupported("CPU at \(pct) %: Headroom's utilisation target is at most 100 % of the request") }
            return .signal(metric: "utilisation", target: Double(pct) / 100, describe: "CPU at \(pct) %")
        case "Pods", "External":
            let key = type == "Pods" ? "pods" : "external"
            let name = try o.string("\(p).\(key).metric.name") ?? ""
            guard let signal = Self.signal(named: name) else {
                return .unsupported("\(type) metric \"\(name)\": Headroom cannot tell what it measures")
            }
            let targetType = try o.string("\(p).\(key).target.type") ?? ""
            guard targetType == "AverageValue" else {
                return .unsupported("\(type) metric \(name) with a \(targetType.isEmpty ? "missing" : targetType) target: Headroom's \(signal) is a per-instance average (AverageValue)")
            }
            guard let q = try quantity(o, "\(p).\(key).target.averageValue"), q > 0 else {
                return .unsupported("\(type) metric \(name) without a positive averageValue")
            }
            return .signal(metric: signal, target: q, describe: "\(name) at \(show(q)) per pod")
        case "Object":
            return .unsupported("an Object metric describes another object (an Ingress's request rate, say); Headroom has no such signal")
        default:
            return .unsupported("unknown metric type \"\(type)\" (expected Resource, ContainerResource, Pods, Object or External)")
        }
    }

    /// A quantity field (string or number), nil when absent; an error when malformed.
    func quantity(_ o: ManifestObject, _ p: String) throws -> Double? {
        guard let n = o.field(p) else { return nil }
        if case let .number(x) = n.value { return x }
        if case let .string(s) = n.value, let x = Quantity.parse(s) { return x }
        throw o.error(p, "expected a quantity such as 500m, 2 or 4Gi, found \(n.value.kindDescription)",
                      suggestion: "quantities are a number with one suffix: m (milli), k/M/G, Ki/Mi/Gi or an exponent e3")
    }

    /// An autoscaling/v2 `behavior` object as the scenario's `behavior`.
    mutating func behaviorJSON(_ o: ManifestObject, _ p: String) throws -> JSONNode? {
        guard o.field(p) != nil else { return nil }
        var sides: [(String, JSONNode?)] = []
        for side in ["scaleUp", "scaleDown"] {
            let sp = "\(p).\(side)"
            guard o.field(sp) != nil else { continue }
            let window = try o.integer("\(sp).stabilizationWindowSeconds", in: 0...3600)
            var select: String?
            if let s = try o.string("\(sp).selectPolicy") {
                guard ["Max", "Min", "Disabled"].contains(s) else {
                    throw o.error("\(sp).selectPolicy", "unknown selectPolicy \"\(s)\"", suggestion: Suggest.hint(for: s, in: ["Max", "Min", "Disabled"]))
                }
                select = s
            }
            if o.field("\(sp).tolerance") != nil {
                result.notHonoured.append("\(o.title) \(sp).tolerance: needs the HPAConfigurableTolerance gate; Headroom's tolerance is one for both directions (--horizontal-pod-autoscaler-tolerance)")
            }
            var policies: JSONNode?
            if o.field("\(sp).policies") != nil {
                policies = JSONNode.array(try o.items("\(sp).policies").indices.map { k in
                    let pp = "\(sp).policies[\(k)]"
                    let type = try o.string("\(pp).type") ?? ""
                    guard ["Pods", "Percent"].contains(type) else {
                        throw o.error("\(pp).type", "unknown policy type \"\(type)\"", suggestion: Suggest.hint(for: type, in: ["Pods", "Percent"]))
                    }
                    guard let value = try o.integer("\(pp).value", in: 1...1_000_000) else { throw o.error(pp, "expected a value, pods or percent per period") }
                    // periodSeconds is at most 1800 (k8s-and-batch.md §1).
                    guard let period = try o.integer("\(pp).periodSeconds", in: 1...1800) else { throw o.error(pp, "expected periodSeconds, 1 to 1800") }
                    return JSONNode.object([("type", JSONNode.string(type)), ("value", JSONNode.int(value)), ("period", JSONNode.string("\(period)s"))])
                })
            }
            sides.append((side, JSONNode.object([("stabilizationWindow", window.map { JSONNode.string("\($0)s") }), ("selectPolicy", select.map(JSONNode.string)), ("policies", policies)])))
        }
        return JSONNode.object(sides)
    }

    // MARK: KEDA

    mutating func scaledObject(_ o: ManifestObject, model m: Int) throws -> Scaling {
        try listUnread(o, "spec", read: ["scaleTargetRef", "pollingInterval", "cooldownPeriod", "initialCooldownPeriod", "idleReplicaCount",
                                          "minReplicaCount", "maxReplicaCount", "fallback", "advanced", "triggers"],
                       why: "not a field of the ScaledObject Headroom models")
        try listUnread(o, "spec.advanced", read: ["horizontalPodAutoscalerConfig"],
                       why: "KEDA's own scaling options (restoring replicas, formulas over triggers) are not modelled")
        // Defaults: minReplicaCount 0, maxReplicaCount 100 (k8s-and-batch.md §1, [E1]).
        var minR = try o.integer("spec.minReplicaCount") ?? 0
        let maxR = try o.integer("spec.maxReplicaCount", in: 1...1_000_000) ?? 100
        guard maxR >= minR else { throw o.error("spec.maxReplicaCount", "expected maxReplicaCount ≥ minReplicaCount (\(minR)), found \(maxR)") }
        for k in ["idleReplicaCount", "fallback"] where o.field("spec.\(k)") != nil {
            result.notHonoured.append("\(o.title) spec.\(k): \(k == "fallback" ? "what to do when the metric source fails" : "an idle count between zero and the minimum") is not modelled")
        }
        let triggers = try o.items("spec.triggers")
        guard !triggers.isEmpty else { throw o.error("spec", "expected spec.triggers, at least one", suggestion: "add a cpu or prometheus trigger") }
        var chosen: (Int, MetricReading)?
        var reasons: [String] = []
        for k in triggers.indices {
            let p = "spec.triggers[\(k)]"
            let r = try kedaTrigger(o, p)
            if case .signal = r {
                if chosen == nil { chosen = (k, r) } else {
                    result.notHonoured.append("\(o.title) \(p): the HPA KEDA makes scales to the largest of its triggers' proposals; Headroom scales on one, spec.triggers[\(chosen!.0)]")
                }
            } else if case let .unsupported(why) = r { reasons.append("\(p): \(why)") }
        }
        guard let (index, reading) = chosen, case let .signal(metric, target, describe) = reading else {
            throw o.error("spec.triggers", "no trigger of \(o.title) is one Headroom can model — " + reasons.joined(separator: "; "),
                          suggestion: "Headroom reads a cpu trigger (Utilization) or a prometheus trigger whose query names one of \((Self.concurrencyMetrics + Self.queueMetrics).joined(separator: ", "))")
        }
        for r in reasons { result.notHonoured.append("\(o.title) \(r)") }
        // Scaling to and from zero: KEDA's activation, on the gateway's counts of requests in
        // flight or waiting (the signals with a value at zero instances; ElasticPolicy.poll).
        let activationPath = "spec.triggers[\(index)].metadata.activationThreshold"
        var keda: JSONNode?
        if minR == 0 && (metric == "concurrency" || metric == "queue-length") {
            var k: [(String, JSONNode?)] = []
            if let x = try o.integer("spec.pollingInterval", in: 1...31_536_000) { k.append(("pollingInterval", JSONNode.string("\(x)s"))) }
            if let x = try o.integer("spec.cooldownPeriod", in: 0...31_536_000) { k.append(("cooldownPeriod", JSONNode.string("\(x)s"))) }
            if let text = try o.string(activationPath) {
                guard let a = Quantity.parse(text), a >= 0 else {
                    throw o.error(activationPath, "expected the activation threshold as a string holding a number ≥ 0 (KEDA's metadata values are strings)")
                }
                k.append(("activationThreshold", JSONNode.number(a)))
            }
            if o.field("spec.initialCooldownPeriod") != nil {
                result.notHonoured.append("\(o.title) spec.initialCooldownPeriod: the wait before the first scale to zero is not modelled (the cooldown counts from the start)")
            }
            keda = JSONNode.object(k)
        } else {
            if minR == 0 {
                result.notHonoured.append("\(o.title) spec.minReplicaCount \(o.field("spec.minReplicaCount") == nil ? "(default 0)" : "0"): KEDA scales to zero on its triggers' activation; Headroom scales a model to zero on requests in flight or waiting only (at zero instances \(describe) has no value), so the model keeps at least 1")
                minR = 1
            }
            for k in ["pollingInterval", "cooldownPeriod", "initialCooldownPeriod"] where o.field("spec.\(k)") != nil {
                result.notHonoured.append("\(o.title) spec.\(k): applies to scaling to and from zero only, which the plan does not do")
            }
            if o.field(activationPath) != nil {
                result.notHonoured.append("\(o.title) \(activationPath): decides 0 ↔ 1 only, which the plan does not do")
            }
        }
        let behavior = try behaviorJSON(o, "spec.advanced.horizontalPodAutoscalerConfig.behavior")
        return Scaling(source: o, model: m, min: minR, max: maxR, metric: metric, target: target, behavior: behavior, describe: describe, keda: keda)
    }

    mutating func kedaTrigger(_ o: ManifestObject, _ p: String) throws -> MetricReading {
        let type = try o.string("\(p).type") ?? ""
        let metricType = try o.string("\(p).metricType")
        switch type {
        case "cpu":
            // KEDA's cpu scaler: metricType Utilization or AverageValue, metadata.value a string.
            guard (metricType ?? "Utilization") == "Utilization" else {
                return .unsupported("cpu trigger with metricType \(metricType!): Headroom's utilisation is a share of the request (Utilization)")
            }
            guard let text = try o.string("\(p).metadata.value"), let pct = Double(text), pct > 0, pct <= 100 else {
                return .unsupported("cpu trigger without metadata.value, a percentage from 1 to 100 (as a string)")
            }
            return .signal(metric: "utilisation", target: pct / 100, describe: "CPU at \(show(pct)) %")
        case "prometheus":
            // metricType defaults to AverageValue (k8s-and-batch.md §1, [E2]).
            guard (metricType ?? "AverageValue") == "AverageValue" else {
                return .unsupported("prometheus trigger with metricType \(metricType!): Headroom's signals are per-instance averages (AverageValue)")
            }
            let query = try o.string("\(p).metadata.query") ?? ""
            let names = Self.identifiers(in: query)
            guard let signal = names.lazy.compactMap(Self.signal(named:)).first else {
                return .unsupported("prometheus query \"\(query)\": Headroom cannot tell what it measures")
            }
            guard let text = try o.string("\(p).metadata.threshold"), let threshold = Quantity.parse(text), threshold > 0 else {
                throw o.error("\(p).metadata.threshold", "expected the threshold as a string holding a positive number (KEDA's metadata values are strings)")
            }
            return .signal(metric: signal, target: threshold, describe: "\(query) at \(show(threshold)) per pod")
        default:
            return .unsupported("a \(type.isEmpty ? "trigger without a type" : "\(type) trigger"): Headroom reads cpu and prometheus triggers")
        }
    }

    /// The metric names in a PromQL query: identifiers not followed by `(` (functions) and not
    /// inside braces (labels) or quotes.
    static func identifiers(in query: String) -> [String] {
        var out: [String] = []
        var current = ""
        var braces = 0
        var quoted = false
        for ch in query + " " {
            if quoted { if ch == "\"" { quoted = false }; continue }
            if ch == "\"" { quoted = true; continue }
            if ch.isLetter || ch.isNumber || ch == "_" || ch == ":" { current.append(ch); continue }
            if !current.isEmpty {
                if braces == 0 && ch != "(" && !(current.first!.isNumber) { out.append(current) }
                current = ""
            }
            if ch == "{" { braces += 1 } else if ch == "}" { braces = Swift.max(0, braces - 1) }
        }
        return out
    }

    // MARK: Knative HPA class, KServe raw

    /// A Knative Service of the HPA class (`class: hpa.autoscaling.knative.dev`, metric cpu).
    mutating func knativeHPA(_ o: ManifestObject) throws -> Scaling {
        let ann = "spec.template.metadata.annotations"
        let m = try model(for: o)
        try readResources(o, resources: try containerResources(o, "spec.template.spec.containers"), model: m)
        try readConcurrency(o, "spec.template.spec.containerConcurrency", model: m)
        let a = try knativeAnnotations(o, ann)
        let metric = a["metric"]?.text ?? "cpu"
        guard metric == "cpu" else {
            throw o.error(ann, "the HPA class scaling on \(metric): expected cpu, the utilisation Headroom models", suggestion: "use \"autoscaling.knative.dev/metric\": \"cpu\"")
        }
        guard let t = a["target"], let pct = Double(t.text), pct > 0, pct <= 100 else {
            throw o.error(ann, "expected autoscaling.knative.dev/target, the CPU percentage the HPA class aims at (1 to 100)")
        }
        let minR = try a["min-scale"].map { try $0.integer(o, ann, 0...1_000_000) } ?? 1
        let maxScale = try a["max-scale"].map { try $0.integer(o, ann, 0...1_000_000) } ?? 0
        for k in ["window", "panic-window-percentage", "panic-threshold-percentage", "target-utilization-percentage", "scale-down-delay",
                  "scale-to-zero-pod-retention-period", "initial-scale", "activation-scale"] where a[k] != nil {
            result.notHonoured.append("\(o.title) \(ann) autoscaling.knative.dev/\(k): a KPA setting; the HPA class does not read it")
        }
        result.read.append(o.title)
        return Scaling(source: o, model: m, min: Swift.max(1, minR), max: maxScale == 0 ? 1000 : maxScale, metric: "utilisation", target: pct / 100,
                       behavior: nil, describe: "CPU at \(show(pct)) %")
    }

    /// A KServe InferenceService in raw-deployment mode, scaled by an HPA.
    mutating func kserveRaw(_ o: ManifestObject) throws -> Scaling {
        let m = try model(for: o)
        try readResources(o, resources: try predictorResources(o), model: m)
        let minR = try o.integer("spec.predictor.minReplicas") ?? 1     // default 1 [S1]
        guard let maxR = try o.integer("spec.predictor.maxReplicas", in: 1...1_000_000) else {
            throw o.error("spec.predictor", "expected spec.predictor.maxReplicas: KServe documents no default, and an elastic plan needs a ceiling")
        }
        let metric = try o.string("spec.predictor.scaleMetric") ?? "cpu"
        guard metric == "cpu" else {
            throw o.error("spec.predictor.scaleMetric", "raw deployment scaling on \(metric): expected cpu (the HPA KServe makes scales on cpu or memory, and Headroom models CPU)",
                          suggestion: metric == "concurrency" || metric == "rps" ? "serverless mode scales on \(metric) with Knative" : "use \"scaleMetric\": \"cpu\"")
        }
        let pct = try o.integer("spec.predictor.scaleTarget", in: 1...100) ?? 80
        if let cls = o.field("metadata.annotations")?.member("serving.kserve.io/autoscalerClass"), case let .string(c) = cls.value, c != "hpa" {
            result.notHonoured.append("\(o.title) serving.kserve.io/autoscalerClass \(c): read as the HPA KServe makes by default")
        }
        result.read.append(o.title)
        return Scaling(source: o, model: m, min: Swift.max(1, minR), max: maxR, metric: "utilisation", target: Double(pct) / 100,
                       behavior: nil, describe: "CPU at \(pct) %")
    }

    /// The predictor's container resources: `model.resources` (a model format) or its containers'.
    mutating func predictorResources(_ o: ManifestObject) throws -> [String] {
        if o.field("spec.predictor.model") != nil { return ["spec.predictor.model.resources"] }
        return try containerResources(o, "spec.predictor.containers")
    }
}
