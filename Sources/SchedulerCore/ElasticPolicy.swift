/// Capacity that follows load: instance counts by target tracking on instance utilisation the
/// Kubernetes HPA way, nodes by the cluster-autoscaler node layer.
///
/// Sources (shared/reference/autoscalers.md §1): kubernetes/kubernetes
/// `pkg/controller/podautoscaler/horizontal.go`, `replica_calculator.go` and
/// `config/v1alpha1/defaults.go` — sync period 15 s, tolerance 0.1, downscale stabilisation
/// 300 s, legacy scale-up limit max(2 × current, 4) per reconcile, utilisation as a truncated
/// integer percentage, instances still starting counted as idle on scale-up.
///
/// Utilisation is the time-average fraction of busy request slots of the model's ready
/// instances over the last sync period (the analogue of CPU usage ÷ request from
/// metrics-server).
public struct ElasticPolicy: InstanceRangePolicy {
    public var family: String { "elastic" }

    public struct Parameters: Sendable, Equatable {
        /// Target utilisation, in (0, 1].
        public var target: Double
        /// `--horizontal-pod-autoscaler-tolerance`, default 0.1 [P-code defaults.go].
        public var tolerance = 0.1
        /// `--horizontal-pod-autoscaler-sync-period`, default 15 s [P-code defaults.go].
        public var syncPeriod = TimeSpan.seconds(15)
        /// `--horizontal-pod-autoscaler-downscale-stabilization`, default 300 s [P-code defaults.go].
        public var downscaleStabilization = TimeSpan.seconds(300)
        /// Instances per model: at least (`minReplicas`, API default 1) and at most.
        public var minInstances: [Int]
        public var maxInstances: [Int]
        /// The node layer.
        public var nodes: NodeAutoscaler.Parameters
        /// What `target` is a target of: instance utilisation (a fraction; the HPA's resource
        /// metric), requests in service per instance, or requests waiting per instance (an
        /// AverageValue pods or external metric).
        public var metric = Metric.utilisation
        /// autoscaling/v2 `behavior` (nil: the legacy normalisation without it).
        public var behavior: HPABehavior?
        /// KEDA in front of the HPA: models with a minimum of 0 scale to and from zero on
        /// its activation (nil: the HPA alone, which never goes below 1).
        public var keda: KEDASettings?

        public init(target: Double, minInstances: [Int], maxInstances: [Int], nodes: NodeAutoscaler.Parameters) {
            self.target = target
            self.minInstances = minInstances
            self.maxInstances = maxInstances
            self.nodes = nodes
        }
    }

    /// The timer of the HPA reconcile loop.
    public static let syncTimer = TimerID(0)
    /// The timer of KEDA's polling loop.
    public static let kedaTimer = TimerID(6)

    /// Legacy scale-up limit: `scaleUpLimitFactor` 2 and `scaleUpLimitMinimum` 4 [P-code horizontal.go].
    static let scaleUpLimitFactor = 2
    static let scaleUpLimitMinimum = 4

    struct Recommendation: Sendable {
        var replicas: Int
        var at: TimePoint
    }

    /// What the HPA scales on.
    public enum Metric: String, Sendable, Equatable {
        case utilisation
        case concurrency
        case queueLength = "queue-length"
        /// The share of the KV cache in use on an LLM model's instances (vLLM's
        /// `vllm:kv_cache_usage_perc`, averaged over them), as an AverageValue target.
        case kvCacheUsage = "kv-cache-usage"
        /// Output tokens per second per ready instance of an LLM model (the rate of vLLM's
        /// `vllm:generation_tokens_total`), as an AverageValue target: the throughput signal
        /// KServe with KEDA and llm-d's workload-variant autoscaler scale on.
        case tokensPerSecond = "tokens-per-second"
    }

    public var parameters: Parameters
    public var nodeScaler: NodeAutoscaler
    var histories: [HPAHistory]
    var recommendations: [[Recommendation]]
    var lastBusy: [Double]
    var lastReady: [Double]
    /// Per model: when KEDA last saw its trigger active.
    var lastActive: [TimePoint]

    public init(parameters: Parameters) {
        self.parameters = parameters
        nodeScaler = NodeAutoscaler(parameters: parameters.nodes)
        let n = parameters.minInstances.count
        recommendations = [[Recommendation]](repeating: [], count: n)
        lastBusy = [Double](repeating: 0, count: n)
        lastReady = [Double](repeating: 0, count: n)
        histories = [HPAHistory](repeating: HPAHistory(), count: n)
        lastActive = [TimePoint](repeating: .zero, count: n)
    }

    public mutating func start(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        startMinimum(parameters.minInstances, &cluster, now: now, into: &actions)
        actions.append(.setTimer(Self.syncTimer, at: now + parameters.syncPeriod))
        if let keda = parameters.keda {
            for m in lastActive.indices { lastActive[m] = now }
            actions.append(.setTimer(Self.kedaTimer, at: now + keda.pollingInterval))
        }
    }

    /// The fewest instances the HPA keeps: its `minReplicas`, at least 1 under KEDA (which
    /// alone takes a model to zero and back).
    func hpaMinimum(_ m: Int) -> Int {
        parameters.keda == nil ? parameters.minInstances[m] : Swift.max(1, parameters.minInstances[m])
    }

    /// The model's instance ceiling (a request for a model allowed none is turned away).
    public var maxInstances: [Int] { parameters.maxInstances }

    public mutating func timerFired(_ timer: TimerID, _ cluster: inout Cluster, now: TimePoint,
                                    into actions: inout [SchedulerAction]) {
        if timer == NodeAutoscaler.scanTimer {
            nodeScaler.scan(&cluster, now: now, into: &actions)
        } else if timer == Self.syncTimer {
            for m in 0..<parameters.minInstances.count {
                let desired = reconcile(ModelID(m), &cluster, now: now)
                apply(desired, to: ModelID(m), &cluster, now: now, into: &actions)
            }
            actions.append(.setTimer(Self.syncTimer, at: now + parameters.syncPeriod))
        } else if timer == Self.kedaTimer, let keda = parameters.keda {
            for m in 0..<parameters.minInstances.count where parameters.minInstances[m] == 0 && parameters.maxInstances[m] > 0 {
                poll(ModelID(m), keda, &cluster, now: now, into: &actions)
            }
            actions.append(.setTimer(Self.kedaTimer, at: now + keda.pollingInterval))
        }
    }

    /// One KEDA poll of a model that may scale to zero (keda.sh, "ScaledObject
    /// specification"): the trigger is active when its value, all instances together, exceeds
    /// `activationThreshold`. The values are the gateway's, which sees a request from arrival:
    /// requests in flight (in service or waiting for an instance) for `concurrency`, requests
    /// waiting (for an instance, or in an engine's line) for `queue-length` — so at zero
    /// instances the requests held for the model wake it. Active at zero: one instance starts
    /// and the HPA takes over. Inactive for `cooldownPeriod` since last active: the model goes
    /// to zero. (The engines' KV cache and token rate have no value at zero instances; the
    /// scenario decoder refuses them for a model that may scale to zero.)
    mutating func poll(_ model: ModelID, _ keda: KEDASettings, _ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        let m = model.index
        if cluster.isRetired(model) { return }
        let value: Double
        switch parameters.metric {
        case .utilisation, .concurrency: value = Double(cluster.models[m].busySlots + cluster.models[m].queued)
        case .queueLength: value = Double(cluster.models[m].queued + cluster.engineMetrics[m].waiting)
        case .kvCacheUsage: value = cluster.models[m].ready > 0 ? cluster.engineMetrics[m].kvCacheUsage : 0
        case .tokensPerSecond: value = cluster.models[m].ready > 0 ? cluster.engineMetrics[m].tokensPerSecond : 0
        }
        let current = cluster.models[m].replicas
        if value > keda.activationThreshold {
            lastActive[m] = now
            if current == 0 { apply(1, to: model, &cluster, now: now, into: &actions) }
        } else if current > 0 && now - lastActive[m] >= keda.cooldownPeriod {
            apply(0, to: model, &cluster, now: now, into: &actions)
            recommendations[m].removeAll()
        }
    }

    /// A rollout step the way Argo Rollouts does it: the new version is scaled to its
    /// weight's share of the group's replicas (at least its minimum; blue-green: the size of
    /// the live versions) and the weight is set once those are ready. The HPA then scales each
    /// version on its own utilisation.
    public mutating func prepareShift(_ model: ModelID, weight: Int, blueGreen: Bool, _ cluster: inout Cluster, now: TimePoint,
                                      into actions: inout [SchedulerAction]) -> Int {
        let m = model.index
        let live = cluster.liveReplicas(ofGroupOf: model)
        let share = blueGreen ? live : (weight * live + 999) / 1000
        let want = Swift.min(parameters.maxInstances[m], Swift.max(parameters.minInstances[m], share, 1))
        if cluster.models[m].replicas < want { apply(want, to: model, &cluster, now: now, into: &actions) }
        return want
    }

    /// Versions left without traffic are scaled to zero.
    public mutating func trafficShifted(_ model: ModelID, _ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        for m in cluster.members(ofGroupOf: model) where cluster.isRetired(m) {
            apply(0, to: m, &cluster, now: now, into: &actions)
            recommendations[m.index].removeAll()
        }
    }


    /// One HPA reconcile of a model: the replica count it should have now.
    public mutating func reconcile(_ model: ModelID, _ cluster: inout Cluster, now: TimePoint) -> Int {
        let m = model.index
        cluster.integrate(m, now: now)
        let busy = cluster.models[m].busySlotTime - lastBusy[m]
        let readySlots = cluster.models[m].readySlotTime - lastReady[m]
        lastBusy[m] = cluster.models[m].busySlotTime
        lastReady[m] = cluster.models[m].readySlotTime

        let current = cluster.models[m].replicas
        if cluster.isRetired(model) { return 0 }   // a version without traffic has no instance
        if cluster.preparing[m] { return current }  // sized for a rollout step that waits for it
        if parameters.keda != nil && current == 0 { return 0 }   // at zero, KEDA decides
        let minR = hpaMinimum(m), maxR = parameters.maxInstances[m]
        if current > maxR { return maxR }
        if current < minR { return minR }
        // No metric (nothing was ready during the period, or nothing is ready now): keep the count.
        guard readySlots > 0, cluster.models[m].ready > 0 else { return current }

        let readyCount = cluster.models[m].ready
        let unready = current - readyCount
        let desired: Int
        switch parameters.metric {
        case .utilisation:
            desired = Self.replicas(usage: busy, request: readySlots, ready: readyCount, unready: unready,
                                    current: current, target: parameters.target, tolerance: parameters.tolerance)
        case .concurrency:
            // Requests in service per ready instance, averaged over the sync period.
            let perInstance = busy / Double(parameters.syncPeriod.nanoseconds) / Double(readyCount)
            desired = Self.averageValueReplicas(ratio: perInstance / parameters.target, ready: readyCount, current: current, tolerance: parameters.tolerance)
        case .queueLength:
            // Waiting in the model's queue and, for an LLM model, in its engines' waiting
            // lines (vLLM's `vllm:num_requests_waiting`).
            let queued = Double(cluster.models[m].queued + cluster.engineMetrics[m].waiting)
            desired = Self.averageValueReplicas(ratio: queued / (parameters.target * Double(current)), ready: current, current: current,
                                                tolerance: parameters.tolerance)
        case .kvCacheUsage:
            desired = Self.averageValueReplicas(ratio: cluster.engineMetrics[m].kvCacheUsage / parameters.target, ready: readyCount, current: current,
                                                tolerance: parameters.tolerance)
        case .tokensPerSecond:
            let perInstance = cluster.engineMetrics[m].tokensPerSecond / Double(readyCount)
            desired = Self.averageValueReplicas(ratio: perInstance / parameters.target, ready: readyCount, current: current, tolerance: parameters.tolerance)
        }
        if let behavior = parameters.behavior {
            return histories[m].normalize(behavior, current: current, desired: desired, minReplicas: minR, maxReplicas: maxR, now: now)
        }
        return normalize(m, current: current, desired: desired, now: now)
    }

    /// `GetResourceReplicas` for a utilisation target [P-code replica_calculator.go]: the
    /// utilisation is an integer percentage, truncated; inside the tolerance band nothing
    /// changes; on a scale-up with instances still starting, those count as idle and the
    /// decision is re-checked.
    public static func replicas(usage: Double, request: Double, ready: Int, unready: Int,
                                current: Int, target: Double, tolerance: Double) -> Int {
        let targetPercent = (target * 100).rounded()
        let utilisation = (100 * usage / request).rounded(.down)
        let ratio = utilisation / targetPercent
        if !(unready > 0 && ratio > 1) {
            if ratio >= 1 - tolerance && ratio <= 1 + tolerance { return current }
            return Int((ratio * Double(ready)).rounded(.up))
        }
        // Starting instances add their request (their slots) but no usage.
        let totalRequest = request * Double(ready + unready) / Double(Swift.max(ready, 1))
        let newRatio = (100 * usage / totalRequest).rounded(.down) / targetPercent
        if (newRatio >= 1 - tolerance && newRatio <= 1 + tolerance) || newRatio <= 1 { return current }
        let n = Int((newRatio * Double(ready + unready)).rounded(.up))
        return n < current ? current : n
    }

    /// An AverageValue metric (`GetMetricReplicas`): inside the tolerance band nothing
    /// changes, else ceil(ratio × pods).
    public static func averageValueReplicas(ratio: Double, ready: Int, current: Int, tolerance: Double) -> Int {
        if ratio >= 1 - tolerance && ratio <= 1 + tolerance { return current }
        return Int((ratio * Double(ready)).rounded(.up))
    }

    /// `normalizeDesiredReplicas` without `behavior` [P-code horizontal.go]: the highest
    /// recommendation of the stabilisation window holds scale-downs; scale-up is limited to
    /// max(2 × current, 4); the result is clamped to [min, max].
    mutating func normalize(_ m: Int, current: Int, desired: Int, now: TimePoint) -> Int {
        let windowStart = now - parameters.downscaleStabilization
        recommendations[m].removeAll { $0.at <= windowStart }
        var recommendation = desired
        for r in recommendations[m] where r.replicas > recommendation { recommendation = r.replicas }
        recommendations[m].append(Recommendation(replicas: desired, at: now))
        let upLimit = Swift.max(Self.scaleUpLimitFactor * current, Self.scaleUpLimitMinimum)
        let upper = Swift.min(parameters.maxInstances[m], upLimit)
        return Swift.max(hpaMinimum(m), Swift.min(recommendation, upper))
    }

    /// Starts or stops instances so the model has `desired` replicas. Scale-down removes
    /// instances that are not yet serving first, then idle ones, then the least busy (which
    /// drain), newest first within each group.
    mutating func apply(_ desired: Int, to model: ModelID, _ cluster: inout Cluster, now: TimePoint,
                        into actions: inout [SchedulerAction]) {
        let current = cluster.models[model.index].replicas
        if parameters.behavior != nil { histories[model.index].record(change: desired - current, at: now) }
        if desired > current {
            for _ in current..<desired { cluster.startInstance(model, warm: false, now: now, into: &actions) }
        } else if desired < current {
            cluster.scaleDown(model, by: current - desired, now: now, into: &actions)
        }
    }
}

/// KEDA's activation layer (keda.sh/v1alpha1 `ScaledObject`): it polls the trigger and moves a
/// workload between zero and one instance; the HPA it creates scales from one up.
///
/// Defaults from KEDA's ScaledObject specification (shared/reference/k8s-and-batch.md §1 [E1],
/// [E2]): `pollingInterval` 30 s, `cooldownPeriod` 300 s (applies to scaling to zero only), a
/// trigger's `activationThreshold` 0.
public struct KEDASettings: Sendable, Equatable {
    /// How often the trigger is polled.
    public var pollingInterval = TimeSpan.seconds(30)
    /// How long the trigger must have been inactive before the workload goes to zero.
    public var cooldownPeriod = TimeSpan.seconds(300)
    /// The trigger's value (all instances together) above which the workload is active.
    public var activationThreshold = 0.0

    public init() {}
}
