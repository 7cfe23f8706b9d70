import Scenario
import SchedulerCore
import Planning

/// A traditional plan's instance counts: pinned ones as written, packed ones as the core
/// packs them at the start (the same core `run` and `serve` build).
enum PlanReplicas {
    static func traditional(_ s: Scenario, nodes: [Int], instances: [Int?]) -> [Int] {
        let core = PlanBuilder.startedTraditional(s, nodes: nodes, instances: instances)
        return s.models.indices.map { core.cluster.models[$0].replicas }
    }
}

extension KubernetesExport {
    /// A fraction as a percentage string, to a millionth ("70", "35.5").
    static func percent(_ x: Double) -> String { number(x * 100) }

    static func number(_ x: Double) -> String {
        let r = (x * 1e6).rounded() / 1e6
        return r == r.rounded() && abs(r) < 1e15 ? "\(Int64(r))" : "\(r)"
    }

    /// A duration in whole seconds, or an error naming the key.
    func wholeSeconds(_ s: Double, _ key: String, max: Double) throws -> Int {
        guard s == s.rounded(), s >= 0, s <= max else {
            throw fail("\(key) of \(ValueReaderBridge.seconds(s)): expected whole seconds from 0 to \(Int(max)), as Kubernetes takes them")
        }
        return Int(s)
    }

    // MARK: Elastic

    mutating func elastic(_ e: ElasticPlan) throws {
        guard e.scaler == "target-tracking" else {
            throw fail("\(e.scaler) scaling (EC2 Auto Scaling's CloudWatch alarms) has no Kubernetes object; the HPA tracks a target",
                       suggestion: "export a target-tracking plan, whose behavior block can limit the steps")
        }
        var ranges: [Int: (Int, Int)] = [:]
        for r in e.instances { ranges[r.model] = (r.min, r.max) }
        let pct = Int((e.target * 100).rounded())
        if e.metric == "utilisation" && abs(Double(pct) - e.target * 100) > 1e-9 {
            throw fail("a utilisation target of \(e.target): expected a whole percentage, as the HPA's averageUtilization is", suggestion: "use \(Double(pct) / 100)")
        }
        if e.metric != "utilisation" && abs((e.target * 1000).rounded() / 1000 - e.target) > 1e-12 {
            throw fail("a \(e.metric) target of \(e.target): expected thousandths at most, as a Kubernetes quantity holds", suggestion: "round it to \((e.target * 1000).rounded() / 1000)")
        }
        let behavior = try e.behavior.map(behaviorJSON)
        let gauge = e.metric == "concurrency" ? KubernetesImport.concurrencyMetrics[0]
            : e.metric == "kv-cache-usage" ? KubernetesImport.kvCacheMetrics[0]
            : e.metric == "tokens-per-second" ? KubernetesImport.tokenMetrics[0] : KubernetesImport.queueMetrics[0]
        for m in models {
            let name = scenario.models[m].name
            let k = Self.objectName(name)
            let (lo, hi) = ranges[m] ?? (1, 1000)        // the plan's defaults (PlanBuilder.elastic)
            switch format {
            case .deployment:
                guard e.keda == nil else {
                    throw fail("the plan scales models to and from zero with KEDA; an HPA alone keeps at least one replica", suggestion: "use --as keda")
                }
                add(deployment(m, replicas: nil))
                let metric: JSONNode
                if e.metric == "utilisation" {
                    metric = JSONNode.object([("type", JSONNode.string("Resource")), ("resource", JSONNode.object([
                        ("name", JSONNode.string("cpu")), ("target", JSONNode.object([("type", JSONNode.string("Utilization")), ("averageUtilization", JSONNode.int(pct))]))]))])
                } else {
                    metric = JSONNode.object([("type", JSONNode.string("Pods")), ("pods", JSONNode.object([
                        ("metric", JSONNode.object([("name", JSONNode.string(gauge))])),
                        ("target", JSONNode.object([("type", JSONNode.string("AverageValue")), ("averageValue", JSONNode.string(Quantity.value(e.target)))]))]))])
                }
                add(JSONNode.object([
                    ("apiVersion", JSONNode.string("autoscaling/v2")), ("kind", JSONNode.string("HorizontalPodAutoscaler")), ("metadata", metadata(m)),
                    ("spec", JSONNode.object([("scaleTargetRef", JSONNode.object([("apiVersion", JSONNode.string("apps/v1")), ("kind", JSONNode.string("Deployment")), ("name", JSONNode.string(k))])),
                                       ("minReplicas", JSONNode.int(lo)), ("maxReplicas", JSONNode.int(hi)), ("metrics", JSONNode.array([metric])), ("behavior", behavior)])),
                ]))
            case .keda:
                add(deployment(m, replicas: nil))
                let trigger: JSONNode
                if e.metric == "utilisation" {
                    trigger = JSONNode.object([("type", JSONNode.string("cpu")), ("metricType", JSONNode.string("Utilization")), ("metadata", JSONNode.object([("value", JSONNode.string("\(pct)"))]))])
                } else {
                    guard let prometheus else {
                        throw fail("a \(e.metric) plan becomes a KEDA prometheus trigger, which needs the Prometheus server's address",
                                   suggestion: "give --prometheus-url http://prometheus.monitoring:9090 (your server)")
                    }
                    let selector = e.metric == "queue-length" ? "{model=\(JSONText.quote(name))}" : ""
                    // A model that scales to zero carries the plan's activation threshold.
                    let activation = lo == 0 ? e.keda?.activationThreshold.map { JSONNode.string(Self.number($0)) } : nil
                    trigger = JSONNode.object([("type", JSONNode.string("prometheus")), ("metricType", JSONNode.string("AverageValue")), ("metadata", JSONNode.object([
                        ("serverAddress", JSONNode.string(prometheus)), ("query", JSONNode.string("sum(\(gauge)\(selector))")), ("threshold", JSONNode.string(Self.number(e.target))),
                        ("activationThreshold", activation)]))])
                }
                // KEDA's polling and cooldown, on the models that scale to zero.
                let polling = lo == 0 ? try e.keda?.pollingInterval.map { JSONNode.int(try wholeSeconds($0, "keda.pollingInterval", max: 31_536_000)) } : nil
                let cooldown = lo == 0 ? try e.keda?.cooldownPeriod.map { JSONNode.int(try wholeSeconds($0, "keda.cooldownPeriod", max: 31_536_000)) } : nil
                add(JSONNode.object([
                    ("apiVersion", JSONNode.string("keda.sh/v1alpha1")), ("kind", JSONNode.string("ScaledObject")), ("metadata", metadata(m, labels: false)),
                    ("spec", JSONNode.object([("scaleTargetRef", JSONNode.object([("name", JSONNode.string(k))])), ("pollingInterval", polling), ("cooldownPeriod", cooldown),
                                       ("minReplicaCount", JSONNode.int(lo)), ("maxReplicaCount", JSONNode.int(hi)),
                                       ("advanced", behavior.map { JSONNode.object([("horizontalPodAutoscalerConfig", JSONNode.object([("behavior", $0)]))]) }),
                                       ("triggers", JSONNode.array([trigger]))])),
                ]))
            case .knative, .kserve:
                guard e.metric == "utilisation" else {
                    throw fail("\(format.rawValue) scales an elastic plan with an HPA on CPU only; this plan scales on \(e.metric)", suggestion: "use --as deployment or --as keda")
                }
                guard e.behavior == nil else {
                    throw fail("\(format.rawValue) has no field for the HPA's behavior, which this plan sets", suggestion: "use --as deployment or --as keda")
                }
                if format == .knative {
                    let annotations: [(String, JSONNode?)] = [
                        ("autoscaling.knative.dev/class", JSONNode.string("hpa.autoscaling.knative.dev")), ("autoscaling.knative.dev/metric", JSONNode.string("cpu")),
                        ("autoscaling.knative.dev/target", JSONNode.string("\(pct)")),
                        ("autoscaling.knative.dev/min-scale", JSONNode.string("\(lo)")), ("autoscaling.knative.dev/max-scale", JSONNode.string("\(hi)"))]
                    add(knativeService(m, annotations: annotations, containerConcurrency: nil))
                } else {
                    add(inferenceService(m, annotations: [("serving.kserve.io/deploymentMode", JSONNode.string("RawDeployment")),
                                                          ("serving.kserve.io/autoscalerClass", JSONNode.string("hpa"))],
                                         predictor: [("minReplicas", JSONNode.int(lo)), ("maxReplicas", JSONNode.int(hi)), ("scaleMetric", JSONNode.string("cpu")), ("scaleTarget", JSONNode.int(pct))]))
                }
            }
        }
        flags(nodes: e.nodes.map { (scenario.hardware[$0.hardware].name, $0.min, $0.max) }, scan: e.nodeScanInterval, unneeded: e.nodeUnneededTime,
              delay: e.scaleDownDelayAfterAdd, quota: e.quota, hpa: (e.syncPeriod, e.tolerance, e.downscaleStabilization))
    }

    /// The scenario's `behavior` as autoscaling/v2's.
    func behaviorJSON(_ b: BehaviorSpec) throws -> JSONNode {
        func rules(_ r: BehaviorSpec.Rules?, _ side: String) throws -> JSONNode? {
            guard let r else { return nil }
            return JSONNode.object([
                ("stabilizationWindowSeconds", try r.stabilizationWindow.map { JSONNode.int(try wholeSeconds($0, "behavior.\(side).stabilizationWindow", max: 3600)) }),
                ("selectPolicy", r.selectPolicy.map(JSONNode.string)),
                ("policies", try r.policies.map { ps in JSONNode.array(try ps.map { p in
                    JSONNode.object([("type", JSONNode.string(p.type)), ("value", JSONNode.int(p.value)),
                              ("periodSeconds", JSONNode.int(try wholeSeconds(p.period, "behavior.\(side) policy period", max: 1800)))])
                }) }),
            ])
        }
        return JSONNode.object([("scaleUp", try rules(b.scaleUp, "scaleUp")), ("scaleDown", try rules(b.scaleDown, "scaleDown"))])
    }

    // MARK: Serverless (KPA)

    mutating func serverless(_ sv: ServerlessPlan, _ kpa: KPASettings) throws {
        guard format == .knative || format == .kserve else {
            throw fail("a KPA plan is exported as Knative Services or KServe InferenceServices, not \(format.rawValue)", suggestion: "use --as knative or --as kserve")
        }
        if sv.keepAlive != 600 {
            result.notes.append("keepAlive \(ValueReaderBridge.seconds(sv.keepAlive)): the KPA decides scale-down itself, so the plan's keepAlive has no effect and is not exported")
        }
        var annotations: [(String, JSONNode?)] = [("autoscaling.knative.dev/class", JSONNode.string("kpa.autoscaling.knative.dev")),
                                                  ("autoscaling.knative.dev/metric", JSONNode.string("concurrency"))]
        if let u = kpa.targetUtilisation {
            guard u * 100 >= 1 else { throw fail("a KPA targetUtilisation of \(u): expected 0.01 to 1, as Knative's target-utilization-percentage is 1 to 100") }
            annotations.append(("autoscaling.knative.dev/target-utilization-percentage", JSONNode.string(Self.percent(u))))
        }
        if let w = kpa.stableWindow { annotations.append(("autoscaling.knative.dev/window", JSONNode.string(ValueReaderBridge.seconds(w)))) }
        if let p = kpa.panicWindowPercentage { annotations.append(("autoscaling.knative.dev/panic-window-percentage", JSONNode.string(Self.number(p)))) }
        if let t = kpa.panicThreshold {
            // Knative accepts 110 % to 1000 % (k8s-and-batch.md §1, [N1]).
            guard t >= 1.1 - 1e-12, t <= 10 + 1e-12 else {
                throw fail("a panic threshold of \(Self.percent(t)) %: expected 110 to 1000 %, Knative's panic-threshold-percentage range", suggestion: "set kpa.panicThreshold from 1.1 to 10")
            }
            annotations.append(("autoscaling.knative.dev/panic-threshold-percentage", JSONNode.string(Self.percent(t))))
        }
        for m in models {
            let cc = scenario.models[m].concurrency
            guard cc <= 1000 else { throw fail("model \"\(scenario.models[m].name)\" has concurrency \(cc): Knative's containerConcurrency is at most 1000") }
            if format == .knative {
                add(knativeService(m, annotations: annotations, containerConcurrency: cc))
            } else {
                add(inferenceService(m, annotations: [("serving.kserve.io/deploymentMode", JSONNode.string("Serverless"))] + annotations,
                                     predictor: [("minReplicas", JSONNode.int(0)), ("scaleMetric", JSONNode.string("concurrency")), ("containerConcurrency", JSONNode.int(cc))]))
            }
        }
        // Global only (config-autoscaler), k8s-and-batch.md §1 [N1, N4].
        let data: [(String, JSONNode?)] = [
            ("max-scale-up-rate", kpa.maxScaleUpRate.map { JSONNode.string(Self.number($0)) }),
            ("max-scale-down-rate", kpa.maxScaleDownRate.map { JSONNode.string(Self.number($0)) }),
            ("scale-to-zero-grace-period", kpa.scaleToZeroGrace.map { JSONNode.string(ValueReaderBridge.seconds($0)) }),
        ]
        if data.contains(where: { $0.1 != nil }) {
            add(JSONNode.object([("apiVersion", JSONNode.string("v1")), ("kind", JSONNode.string("ConfigMap")),
                          ("metadata", JSONNode.object([("name", JSONNode.string("config-autoscaler")), ("namespace", JSONNode.string("knative-serving")),
                                                 ("annotations", JSONNode.object([(Annotation.plan, JSONNode.string(plan.name))]))])),
                          ("data", JSONNode.object(data))]))
            result.notes.append("config-autoscaler (namespace knative-serving) is cluster-wide: it sets max-scale-up-rate, max-scale-down-rate and scale-to-zero-grace-period for every Knative Service")
        }
        flags(nodes: sv.nodes.map { (scenario.hardware[$0.hardware].name, $0.min, $0.max) }, scan: sv.nodeScanInterval, unneeded: sv.nodeUnneededTime,
              delay: sv.scaleDownDelayAfterAdd, quota: sv.quota, hpa: nil)
    }

    mutating func knativeService(_ m: Int, annotations: [(String, JSONNode?)], containerConcurrency: Int?) -> JSONNode {
        let k = Self.objectName(scenario.models[m].name)
        return JSONNode.object([
            ("apiVersion", JSONNode.string("serving.knative.dev/v1")), ("kind", JSONNode.string("Service")), ("metadata", metadata(m)),
            ("spec", JSONNode.object([("template", JSONNode.object([
                ("metadata", JSONNode.object([("annotations", JSONNode.object(annotations))])),
                ("spec", JSONNode.object([("containerConcurrency", containerConcurrency.map(JSONNode.int)), ("containers", JSONNode.array([container(m, name: k)]))])),
            ]))])),
        ])
    }

    mutating func inferenceService(_ m: Int, annotations: [(String, JSONNode?)], predictor: [(String, JSONNode?)]) -> JSONNode {
        JSONNode.object([
            ("apiVersion", JSONNode.string("serving.kserve.io/v1beta1")), ("kind", JSONNode.string("InferenceService")), ("metadata", metadata(m, extra: annotations)),
            ("spec", JSONNode.object([("predictor", JSONNode.object(predictor + [("containers", JSONNode.array([container(m, name: "kserve-container")]))]))])),
        ])
    }

    // MARK: cluster.flags

    /// The companion file: cluster-autoscaler and kube-controller-manager flags, prices and
    /// commitments as comments.
    mutating func flags(nodes: [(String, Int, Int)], scan: Double?, unneeded: Double?, delay: Double?, quota: NodeQuota,
                        hpa: (sync: Double?, tolerance: Double?, stabilization: Double?)?) {
        var t = """
        # Plan "\(plan.name)" of \(scenario.file) (\(plan.policy.family)), exported by `headroom export kubernetes`:
        # what no Kubernetes object holds. `headroom import kubernetes` reads it back beside the manifests.
        #
        # Cluster autoscaler flags (kubernetes/autoscaler cluster-autoscaler). Node groups are cloud
        # configuration (an EKS managed node group, a GKE node pool, a Karpenter NodePool); each is
        # named here by the Headroom node type it is made of.

        """
        for n in nodes { t += "--nodes=\(n.1):\(n.2):\(n.0)\n" }
        if let scan { t += "--scan-interval=\(ValueReaderBridge.seconds(scan))\n" }
        if let unneeded { t += "--scale-down-unneeded-time=\(ValueReaderBridge.seconds(unneeded))\n" }
        if let delay { t += "--scale-down-delay-after-add=\(ValueReaderBridge.seconds(delay))\n" }
        if quota.vcpus > 0 { t += "--cores-total=0:\(quota.vcpus)\n" }
        if quota.gpus > 0 {
            t += "# --gpu-total's first field is the GPU type label of your nodes; Headroom's quota counts all GPUs.\n"
            t += "--gpu-total=gpu:0:\(quota.gpus)\n"
        }
        if let hpa, hpa.sync != nil || hpa.tolerance != nil || hpa.stabilization != nil {
            t += "\n# kube-controller-manager flags of the HPA controller (cluster-wide).\n"
            if let s = hpa.sync { t += "--horizontal-pod-autoscaler-sync-period=\(ValueReaderBridge.seconds(s))\n" }
            if let x = hpa.tolerance { t += "--horizontal-pod-autoscaler-tolerance=\(Self.number(x))\n" }
            if let d = hpa.stabilization { t += "--horizontal-pod-autoscaler-downscale-stabilization=\(ValueReaderBridge.seconds(d))\n" }
        }
        t += "\n# Prices, from the scenario (USD per node-hour, on demand); for the record, not read back.\n"
        for n in nodes {
            let hw = scenario.hardware.first { $0.name == n.0 }!
            t += "#   \(n.0): \(hw.vcpus) vCPU, \(hw.memoryGiB) GiB\(hw.gpus > 0 ? ", \(hw.gpus) GPU" : ""), $\(hw.pricePerHour)\n"
        }
        for c in plan.commitments {
            t += "#   committed: \(c.nodes) × \(scenario.hardware[c.hardware].name) at $\(c.pricePerHour) per node-hour for the whole run\n"
        }
        result.files.append(ExportedFile(name: "cluster.flags", text: t))
    }
}
