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
        for m in 0..<instances.count {
            if let count = instances[m] {
                for _ in 0..<count { cluster.startInstance(ModelID(m), warm: true, now: now, into: &actions) }
            }
        }
        var progress = true
        while progress {
            progress = false
            for m in 0..<instances.count where instances[m] == nil && packable[m] {
                if cluster.hasRoom(for: ModelID(m)) {
                    cluster.startInstance(ModelID(m), warm: true, now: now, into: &actions)
                    progress = true
                }
            }
        }
        baseline = cluster.models.map(\.replicas)
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

    public mutating func instanceIdle(_ instance: InstanceID, _ cluster: inout Cluster, now: TimePoint,
                                      into actions: inout [SchedulerAction]) {}

    public mutating func timerFired(_ timer: TimerID, _ cluster: inout Cluster, now: TimePoint,
                                    into actions: inout [SchedulerAction]) {}
}

extension Cluster {
    /// Whether some live node has room for one more instance of the model.
    public func hasRoom(for model: ModelID) -> Bool {
        let spec = configuration.models[model.index]
        for node in nodes where node.state != .free && node.heldBy < 0 {
            if spec.allowedNodeTypes.contains(node.type) && node.free.fits(spec.requires) { return true }
        }
        return false
    }
}
