/// Capacity reserved for the anticipated peak: the listed nodes exist from t = 0 with their
/// instances loaded, and nothing ever changes.
public struct TraditionalPolicy: ScalingPolicy {
    public var family: String { "traditional" }

    /// Nodes per node type.
    public var nodes: [Int]
    /// Instances per model: a count pins it, `nil` packs the model onto the room left.
    public var instances: [Int?]
    /// Models that serve no target get no instance when packing.
    public var packable: [Bool]
    /// Instances per model once started: what the plan restores when a training job gives
    /// back the nodes it took.
    public private(set) var baseline: [Int] = []
    /// Per model: its version group's instance count at the start (what a rollout divides).
    var groupSize: [Int] = []

    public init(nodes: [Int], instances: [Int?], packable: [Bool]) {
        self.nodes = nodes
        self.instances = instances
        self.packable = packable
    }

    /// Starts the nodes, the pinned instances, then packs the other models round-robin, one
    /// instance each per round, until none fits any more.
    public mutating func start(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        for t in 0..<nodes.count {
            for _ in 0..<nodes[t] { cluster.startNode(NodeTypeID(t), warm: true, now: now, into: &actions) }
        }
        for m in 0..<instances.count where !cluster.isRetired(ModelID(m)) {
            if let count = instances[m] {
                for _ in 0..<count { cluster.startInstance(ModelID(m), warm: true, now: now, into: &actions) }
            }
        }
        var progress = true
        while progress {
            progress = false
            for m in 0..<instances.count where instances[m] == nil && packable[m] && !cluster.isRetired(ModelID(m)) {
                if cluster.hasRoom(for: ModelID(m)) {
                    cluster.startInstance(ModelID(m), warm: true, now: now, into: &actions)
                    progress = true
                }
            }
        }
        baseline = cluster.models.map(\.replicas)
        groupSize = (0..<baseline.count).map { m in cluster.members(ofGroupOf: ModelID(m)).reduce(0) { $0 + baseline[$1.index] } }
    }

    /// The timer that stops surge nodes once they are empty again.
    public static let surgeTimer = TimerID(2)
    /// The timer that gives up on nodes the cloud does not deliver (surge or replacement).
    public static let launchTimer = TimerID(5)
    /// How long a node launched after the start may take before it is given up and launched
    /// again, as an Auto Scaling group retries a failed launch: the cluster autoscaler's
    /// `max-node-provision-time` default, 15 min (autoscalers.md §2.2), for one yardstick
    /// across plans.
    public static let maxLaunchTime = TimeSpan.seconds(900)
    /// How often empty surge nodes are looked for.
    static let surgeSweep = TimeSpan.seconds(10)

    /// A rollout step on reserved capacity, the way a Deployment's rolling update with surge
    /// does it: the new version gets its share of the group's reserved instance count (at
    /// least one; all of it for blue-green), started cold beside the old ones — on surge nodes
    /// of the model's first node type when the reserved nodes are full (temporary double
    /// capacity, billed). The weight takes effect when they are ready.
    public mutating func prepareShift(_ model: ModelID, weight: Int, blueGreen: Bool, _ cluster: inout Cluster, now: TimePoint,
                                      into actions: inout [SchedulerAction]) -> Int {
        let size = groupSize[model.index]
        let want = blueGreen ? Swift.max(1, size) : Swift.max(1, (weight * size + 999) / 1000)
        while cluster.models[model.index].replicas < want { cluster.startInstance(model, warm: false, now: now, into: &actions) }
        baseline[model.index] = Swift.max(baseline[model.index], want)
        surge(&cluster, now: now, into: &actions)
        return want
    }

    /// Versions left without traffic are retired; surge nodes are released once empty, back
    /// down to the reserved count.
    public mutating func trafficShifted(_ model: ModelID, _ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        for m in cluster.members(ofGroupOf: model) where cluster.isRetired(m) {
            cluster.stopAll(m, now: now, into: &actions)
            baseline[m.index] = 0
        }
        actions.append(.setTimer(Self.surgeTimer, at: now + Self.surgeSweep))
    }

    /// Starts a node for each instance that fits nowhere, and arms the sweep that releases
    /// surge nodes once they are empty.
    mutating func surge(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        if cluster.placePending(now: now, into: &actions) > 0 {
            for i in 0..<cluster.instances.count where cluster.instances[i].state == .pending {
                let spec = cluster.configuration.models[cluster.instances[i].model.index]
                guard let type = spec.allowedNodeTypes.first(where: { cluster.configuration.nodeTypes[$0.index].capacity.fits(spec.requires) }) else { continue }
                launch(type, &cluster, now: now, into: &actions)
                cluster.placePending(now: now, into: &actions)
            }
        }
        actions.append(.setTimer(Self.surgeTimer, at: now + Self.surgeSweep))
    }

    /// Launches a node after the start (surge or replacement) and arms the launch watchdog.
    mutating func launch(_ type: NodeTypeID, _ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        cluster.startNode(type, warm: false, now: now, into: &actions)
        actions.append(.setTimer(Self.launchTimer, at: now + Self.maxLaunchTime))
    }

    /// The launch watchdog: a node still booting `maxLaunchTime` after it was requested is
    /// given up (its placed instances wait for a node again) and launched anew; the watchdog
    /// is re-armed for the earliest launch still under way.
    mutating func watchLaunches(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        for node in cluster.nodesBooting(requestedBy: now - Self.maxLaunchTime) {
            let type = cluster.nodes[node.index].type
            cluster.abandonNode(node, now: now, into: &actions)
            cluster.startNode(type, warm: false, now: now, into: &actions)
            cluster.placePending(now: now, into: &actions)
        }
        let launches = cluster.nodes.filter { $0.state == .booting }.map(\.requestedAt)
        if let earliest = launches.min() { actions.append(.setTimer(Self.launchTimer, at: earliest + Self.maxLaunchTime)) }
    }

    public mutating func timerFired(_ timer: TimerID, _ cluster: inout Cluster, now: TimePoint,
                                    into actions: inout [SchedulerAction]) {
        if timer == Self.launchTimer { return watchLaunches(&cluster, now: now, into: &actions) }
        guard timer == Self.surgeTimer else { return }
        var surplus = false
        for n in 0..<cluster.nodes.count {
            let node = cluster.nodes[n]
            guard node.state != .free, cluster.liveNodes[node.type.index] > nodes[node.type.index] else { continue }
            if node.state == .ready && node.instances == 0 && node.heldBy < 0 {
                cluster.stopNode(NodeID(n), into: &actions)
            } else {
                surplus = true
            }
        }
        if surplus { actions.append(.setTimer(Self.surgeTimer, at: now + Self.surgeSweep)) }
    }

    /// Restarts (cold) the instances a training job evicted, round-robin over the models
    /// below their baseline, while they fit.
    public mutating func nodesReturned(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        var progress = true
        while progress {
            progress = false
            for m in 0..<baseline.count where cluster.models[m].replicas < baseline[m] && cluster.hasRoom(for: ModelID(m)) {
                cluster.startInstance(ModelID(m), warm: false, now: now, into: &actions)
                progress = true
            }
        }
    }

    public mutating func noFreeSlot(for model: ModelID, _ cluster: inout Cluster, now: TimePoint,
                                    into actions: inout [SchedulerAction]) -> NoFreeSlotDecision {
        cluster.models[model.index].replicas == 0 ? .reject(.noCapacity) : .queue
    }

    /// A reserved spot node will go: a replacement node of its type is launched at once (an
    /// Auto Scaling group with Capacity Rebalancing), and the node's instances restart on it
    /// cold (or wherever there is room).
    public mutating func nodeInterruptionNotice(_ node: NodeID, _ cluster: inout Cluster, now: TimePoint,
                                                into actions: inout [SchedulerAction]) {
        launch(cluster.nodes[node.index].type, &cluster, now: now, into: &actions)
        cluster.replaceInstances(onNode: node, now: now, into: &actions)
    }

    public mutating func instanceIdle(_ instance: InstanceID, _ cluster: inout Cluster, now: TimePoint,
                                      into actions: inout [SchedulerAction]) {}

}

extension Cluster {
    /// Whether some live node has room for one more instance of the model. Mutating: it
    /// asks the placement index, which drops stale entries as it looks.
    ///
    /// - Complexity: O(groups · log n).
    public mutating func hasRoom(for model: ModelID) -> Bool {
        bestNode(for: model.index) >= 0
    }
}
