/// The Knative Pod Autoscaler's decider for one revision (model): concurrency averaged over a
/// stable and a panic window, panic mode, scale-up and scale-down rate limits.
///
/// Source for the algorithm and every default: knative/serving @ 98e5ef90
/// `pkg/autoscaler/scaling/autoscaler.go` (`Scale`), `pkg/autoscaler/aggregation/bucketing.go`,
/// `pkg/autoscaler/config/config.go`, as summarised in shared/reference/autoscalers.md §3.
/// Time is in whole seconds: one bucket per second (`BucketSize = 1s`).
public struct KPADecider: Sendable, Equatable {
    public struct Parameters: Sendable, Equatable {
        /// `container-concurrency-target-percentage`, default 70 % [autoscalers.md §3.4].
        public var targetUtilisation = 0.7
        /// `stable-window`, default 60 s.
        public var stableWindow = 60
        /// `panic-window-percentage`, default 10 % of the stable window (6 s).
        public var panicWindowPercentage = 10.0
        /// `panic-threshold-percentage`, default 200 %.
        public var panicThreshold = 2.0
        /// `max-scale-up-rate`, default 1000; `max-scale-down-rate`, default 2.
        public var maxScaleUpRate = 1000.0
        public var maxScaleDownRate = 2.0
        /// `scale-to-zero-grace-period`, default 30 s.
        public var scaleToZeroGrace = 30
        /// Decision tick (`tickInterval`, 2 s in multiscaler.go).
        public var tick = 2

        public init() {}

        /// The panic window in seconds: round(stable × percentage), at least 1.
        public var panicWindow: Int { Swift.max(1, Int((Double(stableWindow) * panicWindowPercentage / 100).rounded())) }
    }

    public let parameters: Parameters
    /// Per-second concurrency, a ring over the stable window.
    var buckets: [Double]
    var firstSecond = -1
    var lastSecond = -1
    public private(set) var panicking = false
    var panicTime = 0
    var maxPanicPods = 0

    public init(parameters: Parameters) {
        self.parameters = parameters
        buckets = [Double](repeating: 0, count: parameters.stableWindow)
    }

    /// Records the average concurrency of second `second` (seconds count up by one).
    public mutating func record(_ concurrency: Double, second: Int) {
        if firstSecond < 0 { firstSecond = second }
        buckets[second % buckets.count] = concurrency
        lastSecond = second
    }

    /// The average over the last `window` seconds up to `now`, counting only seconds since the
    /// first record (before a full window has passed).
    func average(window: Int, now: Int) -> Double {
        let from = Swift.max(firstSecond, now - window + 1)
        guard from <= now else { return 0 }
        var sum = 0.0
        for s in from...now { sum += buckets[s % buckets.count] }
        return sum / Double(now - from + 1)
    }

    /// One decision at `now` with `ready` pods and a per-pod target concurrency: the desired
    /// pod count, or nil before any data.
    ///
    /// - Complexity: O(stable window).
    public mutating func decide(now: Int, ready: Int, target: Double) -> Int? {
        guard firstSecond >= 0 else { return nil }
        let p = parameters
        let r = Swift.max(1, ready)
        let stable = average(window: p.stableWindow, now: lastSecond)
        let panic = average(window: p.panicWindow, now: lastSecond)
        let maxUp = Int((p.maxScaleUpRate * Double(r)).rounded(.up))
        let maxDown = Int((Double(r) / p.maxScaleDownRate).rounded(.down))
        let dspc = Int((stable / target).rounded(.up))
        let dppc = Int((panic / target).rounded(.up))
        let dStable = Swift.min(Swift.max(dspc, maxDown), maxUp)
        let dPanic = Swift.min(Swift.max(dppc, maxDown), maxUp)
        let over = Double(dppc) / Double(r) >= p.panicThreshold     // the unclamped panic count
        if !panicking && over {
            panicking = true
            panicTime = now
        } else if over {
            panicTime = now
        } else if panicking && panicTime + p.stableWindow < now {
            panicking = false
            maxPanicPods = 0
        }
        var desired = dStable
        if panicking {
            desired = Swift.max(dStable, dPanic)
            maxPanicPods = Swift.max(maxPanicPods, desired)
            desired = maxPanicPods                                   // never scales down while panicking
        }
        return desired
    }
}

/// Serverless on the plan's own nodes the Knative way: the KPA decides each model's pod count
/// every 2 s from the concurrency it observed (requests in service plus those buffered by the
/// activator); a request for a model at zero pokes the decider at once (scale from zero), and
/// requests wait in the activator's queue meanwhile. A model scales to zero after its stable
/// window averages to zero and the scale-to-zero grace period has passed. Nodes come from the
/// cluster-autoscaler node layer.
public struct KnativePolicy: NodeLayerPolicy {
    public var family: String { "serverless" }

    public static let tickTimer = TimerID(2)

    public var parameters: KPADecider.Parameters
    public var nodeScaler: NodeAutoscaler
    /// Per model: the decider, and whether the model serves any target (others get no pod).
    public private(set) var deciders: [KPADecider]
    let used: [Bool]
    var second = 0
    var lastBusy: [Double]
    /// Per model: since when the decision has been zero (-1: it is not).
    var zeroSince: [Int]

    public init(parameters: KPADecider.Parameters, nodes: NodeAutoscaler.Parameters, used: [Bool]) {
        self.parameters = parameters
        nodeScaler = NodeAutoscaler(parameters: nodes)
        deciders = used.map { _ in KPADecider(parameters: parameters) }
        self.used = used
        lastBusy = used.map { _ in 0 }
        zeroSince = used.map { _ in -1 }
    }

    /// The per-pod target: container concurrency × target utilisation, at least 0.01
    /// (`ResolveMetricTarget`, autoscalers.md §3.2).
    public func target(_ model: ModelID, _ cluster: Cluster) -> Double {
        Swift.max(0.01, Double(cluster.configuration.models[model.index].concurrency) * parameters.targetUtilisation)
    }

    public mutating func start(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        nodeScaler.start(&cluster, now: now, into: &actions)
        actions.append(.setTimer(Self.tickTimer, at: now + .seconds(1)))
    }

    /// At zero pods the activator pokes the decider: ceil(1 / target) pods start at once
    /// (`Poke`, autoscalers.md §3.3); the request waits in the activator's queue.
    public mutating func noFreeSlot(for model: ModelID, _ cluster: inout Cluster, now: TimePoint,
                                    into actions: inout [SchedulerAction]) -> NoFreeSlotDecision {
        if cluster.models[model.index].replicas == 0 && !cluster.isRetired(model) {
            let pods = Swift.max(1, Int((1 / target(model, cluster)).rounded(.up)))
            for _ in 0..<pods { cluster.startInstance(model, warm: false, now: now, into: &actions) }
            zeroSince[model.index] = -1
        }
        return .queue
    }

    public mutating func timerFired(_ timer: TimerID, _ cluster: inout Cluster, now: TimePoint,
                                    into actions: inout [SchedulerAction]) {
        if timer == NodeAutoscaler.scanTimer {
            nodeScaler.scan(&cluster, now: now, into: &actions)
            return
        }
        guard timer == Self.tickTimer else { return }
        second += 1
        // Scrape: the second's average concurrency (busy slots, from the core's integrals) plus
        // the requests the activator buffers.
        for m in used.indices where used[m] {
            cluster.integrate(m, now: now)
            let busy = cluster.models[m].busySlotTime
            let concurrency = (busy - lastBusy[m]) / 1e9 + Double(cluster.models[m].queued)
            lastBusy[m] = busy
            deciders[m].record(concurrency, second: second)
        }
        if second % parameters.tick == 0 {
            for m in used.indices where used[m] { decide(ModelID(m), &cluster, now: now, into: &actions) }
        }
        actions.append(.setTimer(Self.tickTimer, at: now + .seconds(1)))
    }

    /// One decision for a model, applied: pods started, or stopped (idle first); to zero only
    /// after the grace period.
    mutating func decide(_ model: ModelID, _ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        let m = model.index
        if cluster.isRetired(model) {
            if cluster.models[m].replicas > 0 { cluster.stopAll(model, now: now, into: &actions) }
            return
        }
        guard var desired = deciders[m].decide(now: second, ready: cluster.models[m].ready, target: target(model, cluster)) else { return }
        let current = cluster.models[m].replicas
        if desired == 0 {
            if zeroSince[m] < 0 { zeroSince[m] = second }
            if second - zeroSince[m] < parameters.scaleToZeroGrace || cluster.models[m].queued > 0 { desired = Swift.min(current, 1) }
        } else {
            zeroSince[m] = -1
        }
        if desired > current {
            for _ in current..<desired { cluster.startInstance(model, warm: false, now: now, into: &actions) }
        } else if desired < current {
            cluster.scaleDown(model, by: current - desired, now: now, into: &actions)
        }
    }

}
