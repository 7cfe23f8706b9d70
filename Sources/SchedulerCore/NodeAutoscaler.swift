/// The node layer of elastic and self-hosted plans, in the way of the Kubernetes Cluster
/// Autoscaler: a periodic scan adds nodes for instances that fit nowhere and removes nodes
/// that have been unneeded for long enough.
///
/// Source for every default: kubernetes/autoscaler `cluster-autoscaler/FAQ.md` @ 55c37cd
/// (flag table), as summarised in shared/reference/autoscalers.md §2.2.
///
/// A node is unneeded while it holds no instance, or while its requested share is under the
/// utilisation threshold and its instances fit elsewhere (then it is drained, one at a
/// time). Nodes not ready within the provisioning deadline are given up, with backoff.
public struct NodeAutoscaler: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// Nodes per type that always exist (started warm at t = 0).
        public var minNodes: [Int]
        /// Nodes per type that may exist at once.
        public var maxNodes: [Int]
        /// `scan-interval`, default 10 s [CA FAQ].
        public var scanInterval = TimeSpan.seconds(10)
        /// `scale-down-unneeded-time`, default 10 min [CA FAQ].
        public var unneededTime = TimeSpan.seconds(600)
        /// `scale-down-delay-after-add`, default 10 min [CA FAQ].
        public var delayAfterAdd = TimeSpan.seconds(600)
        /// `max-node-provision-time`, default 15 min: a node not ready by then is given up
        /// and its type backs off [CA FAQ].
        public var maxProvisionTime = TimeSpan.seconds(900)
        /// `initial-node-group-backoff-duration` 5 min, doubling up to
        /// `max-node-group-backoff-duration` 30 min, reset after 3 h without failure [CA FAQ].
        public var initialBackoff = TimeSpan.seconds(300)
        public var maxBackoff = TimeSpan.seconds(1800)
        public var backoffReset = TimeSpan.seconds(10_800)
        /// Limits over all pools, like a cloud account's quota or the CA's `cores-total` and
        /// `gpu-total` flags (0: none): new nodes that would exceed them are not started.
        public var maxVCPUsTotal = 0
        public var maxGPUsTotal = 0
        /// `scale-down-utilization-threshold` (and the GPU one), default 0.5: a node whose
        /// requested share is below it, and whose instances fit elsewhere, is unneeded [CA FAQ].
        public var utilisationThreshold = 0.5

        public init(minNodes: [Int], maxNodes: [Int]) {
            self.minNodes = minNodes
            self.maxNodes = maxNodes
        }
    }

    /// The timer of the periodic scan.
    public static let scanTimer = TimerID(1)

    public var parameters: Parameters
    /// When the last node was added.
    public private(set) var lastScaleUp = TimePoint(nanoseconds: Int64.min / 4)
    /// Per node type: backed off until, the current backoff, and the last failure.
    public private(set) var backoffUntil: [TimePoint] = []
    var backoff: [TimeSpan] = []
    var lastFailure: [TimePoint] = []
    /// Nodes given up after `maxProvisionTime`.
    public private(set) var failedNodes = 0
    /// Per node slot: since when it has been under-used with its instances movable (nil: not).
    var underusedSince: [TimePoint?] = []
    /// Nodes drained because they were under-used.
    public private(set) var drainedNodes = 0

    public init(parameters: Parameters) { self.parameters = parameters }

    /// Starts the minimum nodes of each pool, warm, and arms the scan.
    public mutating func start(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        for t in 0..<parameters.minNodes.count {
            for _ in 0..<parameters.minNodes[t] { cluster.startNode(NodeTypeID(t), warm: true, now: now, into: &actions) }
        }
        actions.append(.setTimer(Self.scanTimer, at: now + parameters.scanInterval))
    }

    /// One scan: place pending instances, add nodes for those that still fit nowhere, remove
    /// nodes unneeded for `unneededTime` (never within `delayAfterAdd` of a scale-up), re-arm.
    public mutating func scan(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        watchProvisioning(&cluster, now: now, into: &actions)
        var scaledUp = false
        if cluster.placePending(now: now, into: &actions) > 0 {
            var i = 0
            while i < cluster.instances.count {
                if cluster.instances[i].state == .pending, let type = leastWaste(for: cluster.instances[i].model, in: cluster, now: now) {
                    cluster.startNode(type, warm: false, now: now, into: &actions)
                    lastScaleUp = now
                    scaledUp = true
                    cluster.placePending(now: now, into: &actions)
                }
                i += 1
            }
        }
        if !scaledUp, now >= lastScaleUp + parameters.delayAfterAdd {
            for n in 0..<cluster.nodes.count {
                let node = cluster.nodes[n]
                guard node.state == .ready, node.instances == 0, node.heldBy < 0,
                      node.cordoned || now - node.emptySince >= parameters.unneededTime,
                      cluster.liveNodes[node.type.index] > parameters.minNodes[node.type.index] else { continue }
                cluster.stopNode(NodeID(n), into: &actions)
            }
            drainUnderused(&cluster, now: now, into: &actions)
        }
        actions.append(.setTimer(Self.scanTimer, at: now + parameters.scanInterval))
    }

    /// Starts nodes of the type (cold) while its pool is below its minimum: a reclaimed node's
    /// pool is refilled as an Auto Scaling group keeps its minimum size.
    public mutating func restoreMinimum(_ type: NodeTypeID, _ cluster: inout Cluster, now: TimePoint,
                                        into actions: inout [SchedulerAction]) {
        while cluster.liveNodes[type.index] < parameters.minNodes[type.index] {
            cluster.startNode(type, warm: false, now: now, into: &actions)
            cluster.placePending(now: now, into: &actions)
        }
    }

    /// Starts up to `count` nodes of `type` for a training job, within the pool's maximum,
    /// and claims them for it. Counts as a scale-up (it delays scale-down like any other).
    public mutating func provideNodes(forJob job: JobID, type: NodeTypeID, count: Int, _ cluster: inout Cluster,
                                      now: TimePoint, into actions: inout [SchedulerAction]) {
        let room = Swift.max(0, parameters.maxNodes[type.index] - cluster.liveNodes[type.index])
        for _ in 0..<Swift.min(count, room) where withinQuota(adding: type, cluster) {
            cluster.claim(cluster.startNode(type, warm: false, now: now, into: &actions), for: job)
            lastScaleUp = now
        }
    }

    /// Scale-down of under-used nodes: a ready node whose requested share of its most used
    /// resource (GPUs only, on GPU nodes) is below the threshold, and whose instances would all
    /// fit on the other nodes, is unneeded; after `unneededTime` it is drained — cordoned, a
    /// replacement started elsewhere for each instance (a new pod: a cold start), its
    /// instances stopped (busy ones finish first) — one node at a time
    /// (`max-drain-parallelism` 1), and removed once empty.
    mutating func drainUnderused(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        if underusedSince.count < cluster.nodes.count {
            underusedSince.append(contentsOf: repeatElement(nil, count: cluster.nodes.count - underusedSince.count))
        }
        if cluster.nodes.contains(where: { $0.cordoned && $0.state != .free }) { return }   // one drain at a time
        for n in 0..<cluster.nodes.count {
            let node = cluster.nodes[n]
            guard node.state == .ready, node.instances > 0, node.heldBy < 0,
                  cluster.liveNodes[node.type.index] > parameters.minNodes[node.type.index],
                  utilisation(node, cluster) < parameters.utilisationThreshold, fitsElsewhere(n, cluster) else {
                underusedSince[n] = nil
                continue
            }
            guard let since = underusedSince[n] else { underusedSince[n] = now; continue }
            guard now - since >= parameters.unneededTime else { continue }
            cluster.cordon(NodeID(n))
            drainedNodes += 1
            underusedSince[n] = nil
            cluster.replaceInstances(onNode: NodeID(n), now: now, into: &actions)
            return
        }
    }

    /// The node's requested share: of GPUs on a GPU node, else the larger of CPU and memory.
    func utilisation(_ node: NodeRecord, _ cluster: Cluster) -> Double {
        let cap = cluster.configuration.nodeTypes[node.type.index].capacity
        if cap.gpus > 0 { return Double(cap.gpus - node.free.gpus) / Double(cap.gpus) }
        let cpu = Double(cap.milliCPU - node.free.milliCPU) / Double(Swift.max(cap.milliCPU, 1))
        let memory = Double(cap.memoryMiB - node.free.memoryMiB) / Double(Swift.max(cap.memoryMiB, 1))
        return Swift.max(cpu, memory)
    }

    /// Whether every instance on node `n` fits on the other ready, uncordoned nodes (first
    /// fit over their free room, as the CA's simulation does).
    func fitsElsewhere(_ n: Int, _ cluster: Cluster) -> Bool {
        var room = cluster.nodes.enumerated().map { k, node in
            k != n && node.state == .ready && node.heldBy < 0 && !node.cordoned ? node.free : Resources.zero
        }
        for instance in cluster.instances where Int(instance.node) == n && instance.state != .free {
            let spec = cluster.configuration.models[instance.model.index]
            guard let k = room.indices.first(where: { spec.allowedNodeTypes.contains(cluster.nodes[$0].type) && room[$0].fits(spec.requires) }) else {
                return false
            }
            room[k] = room[k] - spec.requires
        }
        return true
    }

    /// The provisioning watchdog: nodes requested more than `maxProvisionTime` ago and still
    /// not ready are given up, and their type backs off (5 min, doubling to 30 min).
    mutating func watchProvisioning(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        if backoffUntil.isEmpty {
            let types = cluster.configuration.nodeTypes.count
            backoffUntil = [TimePoint](repeating: TimePoint(nanoseconds: Int64.min / 4), count: types)
            backoff = [TimeSpan](repeating: parameters.initialBackoff, count: types)
            lastFailure = [TimePoint](repeating: TimePoint(nanoseconds: Int64.min / 4), count: types)
        }
        for node in cluster.nodesBooting(requestedBy: now - parameters.maxProvisionTime) {
            let t = cluster.nodes[node.index].type.index
            if now - lastFailure[t] >= parameters.backoffReset { backoff[t] = parameters.initialBackoff }
            backoffUntil[t] = now + backoff[t]
            backoff[t] = Swift.min(parameters.maxBackoff, TimeSpan(nanoseconds: backoff[t].nanoseconds * 2))
            lastFailure[t] = now
            failedNodes += 1
            cluster.abandonNode(node, now: now, into: &actions)
        }
    }

    /// Whether one more node of the type keeps the plan within its total vCPU and GPU quota.
    public func withinQuota(adding type: NodeTypeID, _ cluster: Cluster) -> Bool {
        guard parameters.maxVCPUsTotal > 0 || parameters.maxGPUsTotal > 0 else { return true }
        var milliCPU: Int64 = 0, gpus: Int64 = 0
        for (t, count) in cluster.liveNodes.enumerated() {
            milliCPU += Int64(count) * cluster.configuration.nodeTypes[t].capacity.milliCPU
            gpus += Int64(count) * cluster.configuration.nodeTypes[t].capacity.gpus
        }
        let cap = cluster.configuration.nodeTypes[type.index].capacity
        if parameters.maxVCPUsTotal > 0 && milliCPU + cap.milliCPU > Int64(parameters.maxVCPUsTotal) * 1000 { return false }
        if parameters.maxGPUsTotal > 0 && gpus + cap.gpus > Int64(parameters.maxGPUsTotal) { return false }
        return true
    }

    /// Whether the node type is backed off after a failed scale-up.
    public func backedOff(_ type: NodeTypeID, now: TimePoint) -> Bool {
        type.index < backoffUntil.count && now < backoffUntil[type.index]
    }

    /// The least-waste expander (the CA default): among the node types the model may use whose
    /// pool is below its maximum, the one leaving the least idle CPU, then memory, after placing
    /// the instance. `nil` when every allowed pool is at its maximum.
    public func leastWaste(for model: ModelID, in cluster: Cluster, now: TimePoint = .zero) -> NodeTypeID? {
        let spec = cluster.configuration.models[model.index]
        var best: NodeTypeID?
        var bestCPU = Int64.max, bestMemory = Int64.max
        for type in spec.allowedNodeTypes {
            let cap = cluster.configuration.nodeTypes[type.index].capacity
            guard cluster.liveNodes[type.index] < parameters.maxNodes[type.index], cap.fits(spec.requires),
                  !backedOff(type, now: now), withinQuota(adding: type, cluster) else { continue }
            let cpu = (cap.milliCPU - spec.requires.milliCPU) * 1_000_000 / Swift.max(cap.milliCPU, 1)
            let memory = (cap.memoryMiB - spec.requires.memoryMiB) * 1_000_000 / Swift.max(cap.memoryMiB, 1)
            if cpu < bestCPU || (cpu == bestCPU && memory < bestMemory) {
                best = type
                bestCPU = cpu
                bestMemory = memory
            }
        }
        return best
    }
}
