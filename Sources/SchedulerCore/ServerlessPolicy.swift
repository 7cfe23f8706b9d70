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

        public init(keepAlive: TimeSpan, concurrencyLimit: Int, nodes: NodeAutoscaler.Parameters?, bindsRequests: Bool? = nil) {
            self.keepAlive = keepAlive
            self.concurrencyLimit = concurrencyLimit
            self.nodes = nodes
            self.bindsRequests = bindsRequests ?? (nodes == nil)
        }
    }

    public var parameters: Parameters
    public var nodeScaler: NodeAutoscaler?

    public init(parameters: Parameters) {
        self.parameters = parameters
        nodeScaler = parameters.nodes.map { NodeAutoscaler(parameters: $0) }
    }

    public mutating func start(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        nodeScaler?.start(&cluster, now: now, into: &actions)
    }

    public mutating func noFreeSlot(for model: ModelID, _ cluster: inout Cluster, now: TimePoint,
                                    into actions: inout [SchedulerAction]) -> NoFreeSlotDecision {
        if !parameters.bindsRequests && cluster.models[model.index].queued < cluster.comingSlots(model) { return .queue }
        if parameters.concurrencyLimit > 0 && cluster.liveInstances >= parameters.concurrencyLimit { return .reject(.throttled) }
        let instance = cluster.startInstance(model, warm: false, now: now, into: &actions)
        return parameters.bindsRequests ? .waitFor(instance) : .queue
    }

    public mutating func instanceIdle(_ instance: InstanceID, _ cluster: inout Cluster, now: TimePoint,
                                      into actions: inout [SchedulerAction]) {
        if !cluster.instances[instance.index].keepAliveArmed {
            cluster.armKeepAlive(instance, at: now + parameters.keepAlive, into: &actions)
        }
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

    public mutating func timerFired(_ timer: TimerID, _ cluster: inout Cluster, now: TimePoint,
                                    into actions: inout [SchedulerAction]) {
        if timer == NodeAutoscaler.scanTimer {
            nodeScaler?.scan(&cluster, now: now, into: &actions)
            return
        }
        guard timer.index >= TimerID.firstInstanceTimer else { return }
        let instance = InstanceID(timer.index - TimerID.firstInstanceTimer)
        let record = cluster.instances[instance.index]
        guard record.state == .ready, record.inFlight == 0 else { return }   // re-armed when idle again
        let expiry = record.idleSince + parameters.keepAlive
        if expiry <= now {
            cluster.stopInstance(instance, now: now, into: &actions)
        } else {
            cluster.armKeepAlive(instance, at: expiry, into: &actions)
        }
    }
}
