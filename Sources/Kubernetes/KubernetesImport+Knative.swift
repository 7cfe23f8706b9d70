import Scenario
import Planning

/// One `autoscaling.knative.dev/…` annotation, with where it stands.
struct AnnotationValue {
    var key: String
    var text: String
    var node: JSONNode

    func fail(_ o: ManifestObject, _ path: String, _ message: String, suggestion: String? = nil,
              raisedIn f: String = #fileID, at l: Int = #line) -> ScenarioError {
        ScenarioError(file: o.file, line: node.line, column: node.column, path: "\(o.title) \(path) autoscaling.knative.dev/\(key)",
                      message: message, suggestion: suggestion, raisedIn: f, at: l)
    }

    func integer(_ o: ManifestObject, _ path: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let n = Int(text), range.contains(n) else {
            throw fail(o, path, "expected a whole number from \(range.lowerBound) to \(range.upperBound) (as a string), found \"\(text)\"")
        }
        return n
    }

    /// A number in `range` (Knative's percentages are floats written as strings: "10.0").
    func number(_ o: ManifestObject, _ path: String, _ range: ClosedRange<Double>, what: String) throws -> Double {
        guard let x = Double(text), x.isFinite, range.contains(x) else {
            throw fail(o, path, "expected \(what) from \(show(range.lowerBound)) to \(show(range.upperBound)) (Knative's limits), found \"\(text)\"")
        }
        return x
    }

    /// A Go duration ("60s", "1m30s") in `range` seconds.
    func duration(_ o: ManifestObject, _ path: String, _ range: ClosedRange<Double>) throws -> Double {
        guard let d = ValueReaderBridge.duration(text), range.contains(d) else {
            throw fail(o, path, "expected a duration from \(ValueReaderBridge.seconds(range.lowerBound)) to \(ValueReaderBridge.seconds(range.upperBound)) (Knative's limits), found \"\(text)\"",
                       suggestion: "Go durations: 6s, 60s, 1m30s, 1h")
        }
        return d
    }

    func show(_ x: Double) -> String { ValueReaderBridge.show(x) }
}

/// The Knative Pod Autoscaler's settings as one Service (or the cluster) sets them.
struct KPAReading: Equatable {
    var targetUtilisation: Double?
    var stableWindow: Double?
    var panicWindowPercentage: Double?
    var panicThreshold: Double?
}

enum KnativeClass { case kpa, hpa }
enum KServeMode { case serverless, raw }

extension KubernetesImport {
    /// Per-revision annotation keys (without `autoscaling.knative.dev/`), k8s-and-batch.md §1.
    static let knativeKeys = ["class", "metric", "target", "target-utilization-percentage", "window", "panic-window-percentage",
                              "panic-threshold-percentage", "min-scale", "max-scale", "initial-scale", "activation-scale",
                              "scale-down-delay", "scale-to-zero-pod-retention-period", "metric-aggregation-algorithm"]

    /// The `autoscaling.knative.dev/…` annotations at `path`, by short key.
    func knativeAnnotations(_ o: ManifestObject, _ path: String) throws -> [String: AnnotationValue] {
        var out: [String: AnnotationValue] = [:]
        let prefix = "autoscaling.knative.dev/"
        for m in try o.members(path) where m.key.hasPrefix(prefix) {
            let key = String(m.key.dropFirst(prefix.count))
            guard Self.knativeKeys.contains(key) else {
                throw ScenarioError(file: o.file, line: m.line, column: m.column, path: "\(o.title) \(path)",
                                    message: "unknown annotation \(m.key)", suggestion: Suggest.hint(for: key, in: Self.knativeKeys, noun: "Knative's per-revision keys are"))
            }
            guard case let .string(text) = m.value.value else {
                throw ScenarioError(file: o.file, line: m.value.line, column: m.value.column, path: "\(o.title) \(path) \(m.key)",
                                    message: "expected the annotation's value as a string (annotations are strings), found \(m.value.value.kindDescription)",
                                    suggestion: "quote it: \"\(m.value.value.kindDescription)\"")
            }
            out[key] = AnnotationValue(key: key, text: text, node: m.value)
        }
        return out
    }

    func knativeClass(_ o: ManifestObject, annotations path: String) throws -> KnativeClass {
        guard o.kind == "Service" else { return .kpa }
        let a = try knativeAnnotations(o, path)
        switch a["class"]?.text ?? "kpa.autoscaling.knative.dev" {
        case "kpa.autoscaling.knative.dev": return .kpa
        case "hpa.autoscaling.knative.dev": return .hpa
        case let other:
            throw a["class"]!.fail(o, path, "unknown autoscaler class \"\(other)\"",
                                   suggestion: "expected kpa.autoscaling.knative.dev (the default) or hpa.autoscaling.knative.dev")
        }
    }

    func kserveMode(_ o: ManifestObject) throws -> KServeMode {
        let key = "serving.kserve.io/deploymentMode"
        guard let n = o.field("metadata.annotations")?.member(key) else { return .serverless }
        guard case let .string(mode) = n.value else { throw o.error("metadata.annotations", "expected \(key) as a string, found \(n.value.kindDescription)") }
        switch mode {
        case "Serverless": return .serverless
        case "RawDeployment", "Standard": return .raw
        default:
            throw o.error("metadata.annotations", "unknown \(key) \"\(mode)\"", suggestion: "expected Serverless (Knative) or RawDeployment/Standard (an HPA)")
        }
    }

    /// A `containerConcurrency` into the model's concurrency (0, unlimited, keeps the model's).
    mutating func readConcurrency(_ o: ManifestObject, _ path: String, model m: Int) throws {
        guard let cc = try o.integer(path, in: 0...1000) else { return }   // the schema's range
        let model = scenario.models[m]
        if cc == 0 {
            result.notHonoured.append("\(o.title) \(path) 0 (unlimited): Headroom needs a finite concurrency; model \"\(model.name)\" keeps its \(model.concurrency)")
        } else if cc != model.concurrency {
            result.modelChanges.append(ModelChange(path: ["models", model.name, "concurrency"], value: JSONNode.int(cc),
                                                   description: "models.\(model.name).concurrency: \(model.concurrency) → \(cc) (\(o.title))"))
        }
    }

    /// The model's concurrency after the changes read so far.
    func concurrency(of m: Int) -> Int {
        let model = scenario.models[m]
        for c in result.modelChanges.reversed() where c.path == ["models", model.name, "concurrency"] {
            if case let .number(x)? = c.value?.value { return Int(x) }
        }
        return model.concurrency
    }

    // MARK: Serverless (KPA)

    mutating func importServerless(knative: [ManifestObject], kserve: [ManifestObject]) throws {
        result.family = "serverless"
        // Cluster-wide defaults, from config-autoscaler (k8s-and-batch.md §1, [N4]).
        var cluster = KPAReading()
        var rates: [(String, JSONNode?)] = []
        var defaultTarget = 100.0      // container-concurrency-target-default
        if let cm = objects.first(where: { $0.kind == "ConfigMap" }) {
            result.read.append(cm.title)
            for m in try cm.members("data") {
                guard case let .string(text) = m.value.value else {
                    throw cm.error("data", "expected \(m.key) as a string (ConfigMap data are strings), found \(m.value.value.kindDescription)")
                }
                let v = AnnotationValue(key: m.key, text: text, node: m.value)
                switch m.key {
                case "max-scale-up-rate": rates.append(("maxScaleUpRate", JSONNode.number(try configNumber(cm, v, 1.000001...1e6))))
                case "max-scale-down-rate": rates.append(("maxScaleDownRate", JSONNode.number(try configNumber(cm, v, 1.000001...1e6))))
                case "scale-to-zero-grace-period":
                    guard let d = ValueReaderBridge.duration(text), d > 0 else { throw cm.error("data", "scale-to-zero-grace-period: expected a positive duration such as 30s, found \"\(text)\"") }
                    rates.append(("scaleToZeroGrace", JSONNode.string(ValueReaderBridge.seconds(d))))
                case "stable-window": cluster.stableWindow = try v.duration(cm, "data", 6...3600)
                case "panic-window-percentage": cluster.panicWindowPercentage = try v.number(cm, "data", 1...100, what: "a panic window percentage")
                case "panic-threshold-percentage": cluster.panicThreshold = try v.number(cm, "data", 110...1000, what: "a panic threshold percentage") / 100
                case "container-concurrency-target-percentage": cluster.targetUtilisation = try v.number(cm, "data", 1...100, what: "a target utilisation percentage") / 100
                case "container-concurrency-target-default": defaultTarget = try v.number(cm, "data", 0.01...1e6, what: "a default concurrency target")
                case "enable-scale-to-zero" where text == "true": break
                case "tick-interval" where ValueReaderBridge.duration(text) == 2: break
                case "_example": break     // the ConfigMap's commented documentation
                default:
                    result.notHonoured.append("\(cm.title) data.\(m.key) \"\(text)\": not modelled by Headroom's KPA")
                }
            }
        }
        var readings: [(ManifestObject, KPAReading)] = []
        var served: [Int] = []
        for o in knative + kserve {
            let isKServe = o.kind == "InferenceService"
            let ann = isKServe ? "metadata.annotations" : "spec.template.metadata.annotations"
            let m = try model(for: o)
            if served.contains(m) {
                throw o.error("metadata.name", "model \"\(scenario.models[m].name)\" is served by two workloads", suggestion: "import each into a plan of its own, or map one to another model with --model")
            }
            served.append(m)
            try readResources(o, resources: isKServe ? try predictorResources(o) : try containerResources(o, "spec.template.spec.containers"), model: m)
            try readConcurrency(o, isKServe ? "spec.predictor.containerConcurrency" : "spec.template.spec.containerConcurrency", model: m)
            let a = try knativeAnnotations(o, ann)
            if !isKServe, !(try knativeAnnotations(o, "metadata.annotations")).isEmpty {
                result.notHonoured.append("\(o.title) metadata.annotations: Knative reads autoscaling annotations from spec.template.metadata.annotations; these are ignored")
            }
            var metric = a["metric"]?.text ?? "concurrency"
            var target = try a["target"].map { try $0.number(o, ann, 0.01...1e6, what: "a concurrency target") }
            if isKServe {
                metric = try o.string("spec.predictor.scaleMetric") ?? metric
                if let t = try o.integer("spec.predictor.scaleTarget", in: 1...1_000_000) { target = Double(t) }
                let minR = try o.integer("spec.predictor.minReplicas") ?? 1     // KServe's default 1 [S1]
                if minR > 0 {
                    result.notHonoured.append("\(o.title) spec.predictor.minReplicas \(minR)\(o.field("spec.predictor.minReplicas") == nil ? " (the default)" : ""): Headroom's KPA plans scale every model to zero when idle")
                }
                if let maxR = try o.integer("spec.predictor.maxReplicas"), maxR > 0 {
                    result.notHonoured.append("\(o.title) spec.predictor.maxReplicas \(maxR): Headroom's KPA plans have no per-model ceiling (the node pools bound them)")
                }
            }
            guard metric == "concurrency" else {
                throw o.error(ann, "\(o.title) scales on \(metric): expected concurrency, which Headroom's KPA scales on",
                              suggestion: "use the concurrency metric (with containerConcurrency), or import an elastic plan with CPU")
            }
            var reading = cluster
            if let u = a["target-utilization-percentage"] { reading.targetUtilisation = try u.number(o, ann, 1...100, what: "a target utilisation percentage") / 100 }
            if let w = a["window"] {
                let d = try w.duration(o, ann, 6...3600)
                guard d == d.rounded() else { throw w.fail(o, ann, "expected whole seconds, found \"\(w.text)\"") }
                reading.stableWindow = d
            }
            if let p = a["panic-window-percentage"] { reading.panicWindowPercentage = try p.number(o, ann, 1...100, what: "a panic window percentage") }
            if let p = a["panic-threshold-percentage"] { reading.panicThreshold = try p.number(o, ann, 110...1000, what: "a panic threshold percentage") / 100 }
            // Knative's per-pod target is (target, else containerConcurrency, else the default
            // 100) × utilisation; Headroom's is the model's concurrency × targetUtilisation.
            let cc = try o.integer(isKServe ? "spec.predictor.containerConcurrency" : "spec.template.spec.containerConcurrency", in: 0...1000) ?? 0
            let modelConcurrency = concurrency(of: m)
            if target != nil || cc == 0 {
                let base = target ?? defaultTarget
                // To 1e-9: a target read back from an export is the same number, not 0.4800000000000001.
                let effective = (base * (reading.targetUtilisation ?? 0.7) / Double(modelConcurrency) * 1e9).rounded() / 1e9
                guard effective > 0, effective <= 1 else {
                    throw o.error(ann, "a per-pod target of \(show(base)) × \(show((reading.targetUtilisation ?? 0.7) * 100)) % is above the model's concurrency of \(modelConcurrency), which Headroom's KPA cannot express",
                                  suggestion: "set containerConcurrency to at least the target, or lower the target")
                }
                if abs(effective - (reading.targetUtilisation ?? 0.7)) > 1e-9 {
                    result.notHonoured.append("\(o.title): a target of \(show(base)) at \(show((reading.targetUtilisation ?? 0.7) * 100)) % is read as targetUtilisation \(show(effective)) of the model's concurrency \(modelConcurrency) (the same per-pod target)")
                    reading.targetUtilisation = effective
                }
            }
            let floors: [(String, String)] = [("min-scale", "a per-revision floor"), ("max-scale", "a per-revision ceiling (the node pools bound the plan)"),
                                              ("initial-scale", "the pod count at deployment"), ("activation-scale", "a minimum when scaling from zero"),
                                              ("scale-down-delay", "a delay before scaling down"), ("scale-to-zero-pod-retention-period", "a last-pod retention"),
                                              ("metric-aggregation-algorithm", "the weighted window average")]
            for (k, what) in floors {
                guard let v = a[k] else { continue }
                let neutral = ["min-scale": "0", "max-scale": "0", "initial-scale": "1", "activation-scale": "1", "scale-down-delay": "0s",
                               "scale-to-zero-pod-retention-period": "0s", "metric-aggregation-algorithm": "linear"][k]
                if v.text != neutral { result.notHonoured.append("\(o.title) autoscaling.knative.dev/\(k) \"\(v.text)\": \(what) is not modelled by Headroom's KPA") }
            }
            readings.append((o, reading))
            result.read.append(o.title)
        }
        let lead = readings[0]
        for (o, r) in readings.dropFirst() where r != lead.1 {
            result.notHonoured.append("\(o.title): its KPA settings differ from \(lead.0.title)'s, which the plan takes for every model")
        }
        let used = PlanBuilder.usedModels(scenario)
        for m in scenario.models.indices where used[m] && !served.contains(m) && scenario.models[m].variantOf == nil {
            result.notHonoured.append("model \"\(scenario.models[m].name)\": the workload sends it requests but no manifest serves it; the plan scales it with the same KPA")
        }
        let k = lead.1
        let kpaKeys: [(String, JSONNode?)] = [
            ("targetUtilisation", k.targetUtilisation.map(JSONNode.number)),
            ("stableWindow", k.stableWindow.map { JSONNode.string(ValueReaderBridge.seconds($0)) }),
            ("panicWindowPercentage", k.panicWindowPercentage.map(JSONNode.number)),
            ("panicThreshold", k.panicThreshold.map(JSONNode.number)),
        ] + rates
        var keys: [(String, JSONNode?)] = [("policy", JSONNode.string("serverless")), ("hosting", JSONNode.string("self")), ("scaler", JSONNode.string("kpa"))]
        if kpaKeys.contains(where: { $0.1 != nil }) { keys.append(("kpa", JSONNode.object(kpaKeys))) }
        keys.append(("nodes", try requiredNodePools("serverless")))
        keys += nodeLayerKeys()
        result.plan = JSONNode.object(keys)
    }

    func configNumber(_ cm: ManifestObject, _ v: AnnotationValue, _ range: ClosedRange<Double>) throws -> Double {
        guard let x = Double(v.text), x.isFinite, range.contains(x) else {
            throw cm.error("data", "\(v.key): expected a number above 1, found \"\(v.text)\"")
        }
        return x
    }
}
