/// Instances spun up as requests arrive, kept alive for a while after their last request, and
/// scaled to zero.
///
/// Provider-hosted (Lambda-like): instances run on capacity the plan never sees, one request
/// per instance (the host configures concurrency 1), within an account concurrency limit
/// beyond which requests are throttled. Self-hosted: instances run on the plan's own nodes,
/// which the cluster-autoscaler node layer adds and removes.
///
/// A request that finds no free slot starts a new instance. Provider-hosted, the request waits
/// for that instance and is served by it (Lambda). Self-hosted, no instance is started while
/// the instances already starting have a slot for it, and the request waits in the model's
/// FIFO queue for whichever slot frees first (Knative's activator). An idle instance picked for a request is the most recently
/// used one (the choice SimFaaS's "newest" makes equivalent; see shared/peers/README.md).
public struct ServerlessPolicy: ScalingPolicy {
    public var family: String { "serverless" }

    public struct Parameters: Sendable, Equatable {
        /// Idle time after which an instance is stopped. AWS does not document Lambda's; the
        /// default 10 min is the figure observed in 2019 and used by the Serverless-in-the-Wild
        /// baseline (shared/reference/autoscalers.md §4.3, observed range 5–60 min).
        public var keepAlive: TimeSpan
        /// Instances that may exist at once over all models (0: no limit). Lambda's default
        /// account concurrency limit is 1,000 per Region [P-doc lambda-concurrency.html].
        public var concurrencyLimit: Int
        /// The node layer of a self-hosted plan; `nil` for provider hosting.
        public var nodes: NodeAutoscaler.Parameters?
        /// Whether the request that starts an instance is served by that instance (Lambda:
        /// "for each concurrent request, Lambda provisions a separate instance of your
        /// execution environment", autoscalers.md §4.1) rather than by whichever slot frees
        /// first (Knative's activator buffer). Default: provider hosting binds.
        public var bindsRequests: Bool
        /// The keep-alive window's source: fixed, or learned per model by the hybrid
        /// histogram policy (`nil`: fixed `keepAlive`).
        public var hybridHistogram: HybridHistogram.Parameters?
        /// New environments a model (function) may start per 10 s, refilled continuously, with
        /// no accrual beyond one period's worth (0: no limit). Lambda since Nov 2023: 1,000 per
        /// 10 s per function [P-doc scaling-behavior.html, autoscalers.md §4.2].
        public var scaleRatePer10s = 0
        /// Provisioned concurrency by model: environments started warm at t = 0 that never
        /// expire (Lambda provisioned concurrency).
        public var provisioned: [Int] = []

        public init(keepAlive: TimeSpan, concurrencyLimit: Int, nodes: NodeAutoscaler.Parameters?, bindsRequests: Bool? = nil) {
            self.keepAlive = keepAlive
            self.concurrencyLimit = concurrencyLimit
            self.nodes = nodes
            self.bindsRequests = bindsRequests ?? (nodes == nil)
        }
    }

    public var parameters: Parameters
    public var nodeScaler: NodeAutoscaler?

    // The hybrid histogram keep-alive, per model (empty with a fixed keep-alive).
    public private(set) var histograms: [HybridHistogram] = []
    /// When the model's last execution ended while nothing else of it ran (nil: never).
    var lastEnd: [TimePoint?] = []
    /// Until when idle instances of the model stay loaded.
    var loadedUntil: [TimePoint] = []
    /// Per model: a pre-warmed instance was started and no request has come since.
    var preWarmed: [Bool] = []
    /// Pre-warms due: when, for which model, and until when the pre-warmed instance stays.
    var preWarms: [(at: TimePoint, model: Int, until: TimePoint)] = []
    /// The timer of the earliest pre-warm.
    public static let preWarmTimer = TimerID(3)

    /// Per model: scale tokens left (new environments) and when they were last refilled.
    var tokens: [Double] = []
    var tokensAt: [TimePoint] = []
    /// Instance slots below this are provisioned environments (started first, never freed).
    public private(set) var provisionedSlots = 0

    public init(parameters: Parameters) {
        self.parameters = parameters
        nodeScaler = parameters.nodes.map { NodeAutoscaler(parameters: $0) }
    }

    public mutating func start(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        nodeScaler?.start(&cluster, now: now, into: &actions)
        for (m, n) in parameters.provisioned.enumerated() {
            for _ in 0..<n { cluster.startInstance(ModelID(m), warm: true, now: now, into: &actions) }
        }
        provisionedSlots = parameters.provisioned.reduce(0, +)
        if parameters.scaleRatePer10s > 0 {
            tokens = [Double](repeating: Double(parameters.scaleRatePer10s), count: cluster.configuration.models.count)
            tokensAt = [TimePoint](repeating: now, count: cluster.configuration.models.count)
        }
        if let h = parameters.hybridHistogram {
            let n = cluster.configuration.models.count
            histograms = [HybridHistogram](repeating: HybridHistogram(parameters: h), count: n)
            lastEnd = [TimePoint?](repeating: nil, count: n)
            loadedUntil = [TimePoint](repeating: now, count: n)
            preWarmed = [Bool](repeating: false, count: n)
        }
    }

    /// Hybrid histogram: an invocation of an idle model records its idle time and cancels a
    /// pre-warm still due.
    @inlinable public mutating func requestArrived(for model: ModelID, _ cluster: inout Cluster, now: TimePoint) {
        if !histograms.isEmpty { learnArrival(model, &cluster, now: now) }   // nothing to do with a fixed keep-alive
    }

    @usableFromInline mutating func learnArrival(_ model: ModelID, _ cluster: inout Cluster, now: TimePoint) {
        let m = model.index
        if cluster.models[m].busySlots == 0, let end = lastEnd[m] {
            histograms[m].record(idle: now - end)
            lastEnd[m] = nil
        }
        preWarmed[m] = false
        preWarms.removeAll { $0.model == m }   // its timer may still fire: nothing is due then
    }

    public mutating func noFreeSlot(for model: ModelID, _ cluster: inout Cluster, now: TimePoint,
                                    into actions: inout [SchedulerAction]) -> NoFreeSlotDecision {
        if !parameters.bindsRequests && cluster.models[model.index].queued < cluster.comingSlots(model) { return .queue }
        if parameters.concurrencyLimit > 0 && cluster.liveInstances >= parameters.concurrencyLimit { return .reject(.throttled) }
        if !tokens.isEmpty {
            // The function's scaling rate: a token per new environment (HTTP 429 without one).
            let m = model.index
            let rate = Double(parameters.scaleRatePer10s)
            tokens[m] = Swift.min(rate, tokens[m] + rate * (now - tokensAt[m]).seconds / 10)
            tokensAt[m] = now
            guard tokens[m] >= 1 else { return .reject(.throttled) }
            tokens[m] -= 1
        }
        let instance = cluster.startInstance(model, warm: false, now: now, into: &actions)
        return parameters.bindsRequests ? .waitFor(instance) : .queue
    }

    public mutating func instanceIdle(_ instance: InstanceID, _ cluster: inout Cluster, now: TimePoint,
                                      into actions: inout [SchedulerAction]) {
        if instance.index < provisionedSlots { return }   // provisioned: kept for the whole run
        guard !histograms.isEmpty else {
            if !cluster.instances[instance.index].keepAliveArmed {
                cluster.armKeepAlive(instance, at: now + parameters.keepAlive, into: &actions)
            }
            return
        }
        let m = cluster.instances[instance.index].model.index
        if preWarmed[m] {
            // The pre-warmed instance is ready: it stays until its window ends.
        } else if cluster.models[m].busySlots == 0 {
            // The model's last execution ended: its windows decide what stays loaded.
            lastEnd[m] = now
            let (preWarm, keepAlive) = histograms[m].windows()
            if preWarm > .zero {
                loadedUntil[m] = now                                  // unload now ...
                schedulePreWarm(at: now + preWarm, model: m, until: now + preWarm + keepAlive, into: &actions)
            } else {
                loadedUntil[m] = now + keepAlive
            }
        } else {
            // Other executions still run: an idle instance stays for the keep-alive window.
            loadedUntil[m] = Swift.max(loadedUntil[m], now + histograms[m].windows().keepAlive)
        }
        if loadedUntil[m] <= now {
            cluster.stopInstance(instance, now: now, into: &actions)
        } else {
            cluster.armKeepAlive(instance, at: loadedUntil[m], into: &actions)
        }
    }

    mutating func schedulePreWarm(at time: TimePoint, model m: Int, until: TimePoint, into actions: inout [SchedulerAction]) {
        preWarms.removeAll { $0.model == m }
        preWarms.append((time, m, until))
        armPreWarmTimer(into: &actions)
    }

    mutating func armPreWarmTimer(into actions: inout [SchedulerAction]) {
        guard let next = preWarms.min(by: { $0.at < $1.at }) else {
            actions.append(.cancelTimer(Self.preWarmTimer))
            return
        }
        actions.append(.setTimer(Self.preWarmTimer, at: next.at))
    }

    /// Loads the models whose pre-warm is due: one instance each, kept until its window ends.
    mutating func firePreWarms(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        let due = preWarms.filter { $0.at <= now }
        preWarms.removeAll { $0.at <= now }
        for p in due where cluster.models[p.model].replicas == 0 {
            loadedUntil[p.model] = p.until
            preWarmed[p.model] = true
            cluster.startInstance(ModelID(p.model), warm: false, now: now, into: &actions)
        }
        armPreWarmTimer(into: &actions)
    }

    /// Self-hosted, training jobs get nodes from the node layer within each pool's maximum.
    /// Provider-hosted plans have no pool of their own: a job gets on-demand nodes started
    /// for it, which stop when it ends.
    public mutating func provideNodes(forJob job: JobID, type: NodeTypeID, count: Int, _ cluster: inout Cluster,
                                      now: TimePoint, into actions: inout [SchedulerAction]) {
        if nodeScaler != nil {
            nodeScaler!.provideNodes(forJob: job, type: type, count: count, &cluster, now: now, into: &actions)
        } else {
            for _ in 0..<count { cluster.claim(cluster.startNode(type, warm: false, now: now, into: &actions), for: job) }
        }
    }

    /// Instances here live per request: those on a node about to be reclaimed stop (busy ones
    /// finish first) and are not replaced; later requests start instances elsewhere.
    public mutating func nodeInterruptionNotice(_ node: NodeID, _ cluster: inout Cluster, now: TimePoint,
                                                into actions: inout [SchedulerAction]) {
        cluster.stopInstances(onNode: node, now: now, into: &actions)
    }

    /// Instances here live per request: a failed one is replaced only when requests wait
    /// that the instances on their way cannot take (the one it was started for queued again),
    /// or when it was a provisioned environment (kept for the whole run).
    public mutating func instanceFailed(model: ModelID, wasWanted: Bool, _ cluster: inout Cluster, now: TimePoint,
                                        into actions: inout [SchedulerAction]) {
        guard wasWanted else { return }
        let needed = cluster.models[model.index].queued > cluster.comingSlots(model)
        let provisioned = cluster.models[model.index].replicas < (parameters.provisioned.indices.contains(model.index) ? parameters.provisioned[model.index] : 0)
        if needed || provisioned { cluster.startInstance(model, warm: false, now: now, into: &actions) }
    }

    public mutating func nodeReclaimed(type: NodeTypeID, _ cluster: inout Cluster, now: TimePoint,
                                       into actions: inout [SchedulerAction]) {
        nodeScaler?.restoreMinimum(type, &cluster, now: now, into: &actions)
    }

    public mutating func nodesReturned(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        if nodeScaler != nil {
            cluster.placePending(now: now, into: &actions)
            return
        }
        for n in 0..<cluster.nodes.count {
            let node = cluster.nodes[n]
            if node.state != .free && node.heldBy < 0 && node.instances == 0 { cluster.stopNode(NodeID(n), into: &actions) }
        }
    }

    /// Drops instances still pending (no node had room) that no request needs any more.
    ///
    /// A request that finds no free slot asks for an instance; when no node has room the
    /// instance waits for the node autoscaler's next scan. By then the burst that asked for
    /// it may have been served by instances that became free, and placing it would start a
    /// worker nobody is waiting for (measured by `headroom calibrate`: such instances, started
    /// up to 10 s after their burst, served the next burst warm). Knative's autoscaler lowers
    /// the revision's desired scale as its demand falls, and a ReplicaSet scale-down deletes
    /// unscheduled pods first; likewise an instance is dropped while the model's queued
    /// requests fit in the slots still coming without it.
    ///
    /// - Complexity: O(i) for i instance slots, only when instances are pending.
    mutating func dropUnwantedPending(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        guard cluster.pendingInstances > 0 else { return }
        var i = cluster.instances.count - 1
        while i >= 0 {
            if cluster.instances[i].state == .pending {
                let model = cluster.instances[i].model
                let concurrency = cluster.configuration.models[model.index].concurrency
                if cluster.models[model.index].queued <= cluster.comingSlots(model) - concurrency {
                    cluster.stopInstance(InstanceID(i), now: now, into: &actions)
                }
            }
            i -= 1
        }
    }

    public mutating func timerFired(_ timer: TimerID, _ cluster: inout Cluster, now: TimePoint,
                                    into actions: inout [SchedulerAction]) {
        if timer == NodeAutoscaler.scanTimer {
            if !parameters.bindsRequests { dropUnwantedPending(&cluster, now: now, into: &actions) }
            nodeScaler?.scan(&cluster, now: now, into: &actions)
            return
        }
        if timer == Self.preWarmTimer {
            firePreWarms(&cluster, now: now, into: &actions)
            return
        }
        guard timer.index >= TimerID.firstInstanceTimer else { return }
        let instance = InstanceID(timer.index - TimerID.firstInstanceTimer)
        let record = cluster.instances[instance.index]
        guard record.state == .ready, record.inFlight == 0 else { return }   // re-armed when idle again
        let expiry = histograms.isEmpty ? record.idleSince + parameters.keepAlive : loadedUntil[record.model.index]
        if expiry <= now {
            cluster.stopInstance(instance, now: now, into: &actions)
        } else {
            cluster.armKeepAlive(instance, at: expiry, into: &actions)
        }
    }
}
