/// What becomes of a request that found no free slot.
public enum NoFreeSlotDecision: Sendable, Equatable {
    /// Wait in the model's FIFO queue (subject to its limit), for whichever slot frees first.
    case queue
    /// Turn the request away.
    case reject(RejectReason)
    /// Wait for this (starting) instance alone, which serves it first when ready — a Lambda
    /// environment started for a request serves that request.
    case waitFor(InstanceID)
}

/// The choice half of the scheduler: when to add or remove capacity.
///
/// The scheduler core keeps the books (queues, instances, nodes, placement) in `Cluster`; a
/// policy only decides, by calling the cluster's mechanics (`startInstance`, `stopInstance`,
/// `startNode`, `stopNode`, `armKeepAlive`) and by setting its own timers. Policies are value
/// types and the core is generic over them, so the hot path has no existential dispatch.
public protocol ScalingPolicy: Sendable {
    /// A short name for reports ("traditional", "elastic", "serverless").
    var family: String { get }

    /// Provisions the initial capacity and arms the policy's periodic timers.
    mutating func start(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction])

    /// A request for `model` found no free slot. The policy may start capacity; it says
    /// whether the request queues, is turned away, or waits for an instance started for it.
    mutating func noFreeSlot(for model: ModelID, _ cluster: inout Cluster, now: TimePoint,
                             into actions: inout [SchedulerAction]) -> NoFreeSlotDecision

    /// A request (or a pipeline's next stage) for `model` is about to be placed: the policy may
    /// learn from the arrival (the hybrid histogram records idle times). Called before the
    /// core looks for a free slot.
    mutating func requestArrived(for model: ModelID, _ cluster: inout Cluster, now: TimePoint)

    /// An instance has just become idle (no request in flight).
    mutating func instanceIdle(_ instance: InstanceID, _ cluster: inout Cluster, now: TimePoint,
                               into actions: inout [SchedulerAction])

    /// A timer the policy (or a keep-alive it armed) asked for has fired.
    mutating func timerFired(_ timer: TimerID, _ cluster: inout Cluster, now: TimePoint,
                             into actions: inout [SchedulerAction])

    /// A training job lacks `count` nodes of `type`: the policy may start nodes and claim
    /// them for the job (`Cluster.claim`).
    mutating func provideNodes(forJob job: JobID, type: NodeTypeID, count: Int, _ cluster: inout Cluster,
                               now: TimePoint, into actions: inout [SchedulerAction])

    /// A training job finished and gave its nodes back.
    mutating func nodesReturned(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction])

    /// The traffic split of `model`'s version group changed (a rollout step): the policy
    /// resizes the versions; those now at weight 0 must be retired.
    mutating func trafficShifted(_ model: ModelID, _ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction])

    /// A rollout step will give version `model` `weight` per mille of its group's traffic
    /// (blue-green: all of it). The policy starts what that needs and returns how many of the
    /// version's instances must be ready before the weight takes effect (0: at once).
    mutating func prepareShift(_ model: ModelID, weight: Int, blueGreen: Bool, _ cluster: inout Cluster, now: TimePoint,
                               into actions: inout [SchedulerAction]) -> Int

    /// A (spot) node will be reclaimed soon; the core has cordoned it. The policy moves or
    /// stops its instances and may start a replacement node.
    mutating func nodeInterruptionNotice(_ node: NodeID, _ cluster: inout Cluster, now: TimePoint,
                                         into actions: inout [SchedulerAction])

    /// An instance of `model` failed (its worker exited, or never became ready) and the
    /// cluster has removed it. `wasWanted` is false when it was already draining (then nothing
    /// is missing).
    mutating func instanceFailed(model: ModelID, wasWanted: Bool, _ cluster: inout Cluster, now: TimePoint,
                                 into actions: inout [SchedulerAction])

    /// A node of `type` was reclaimed and is gone.
    mutating func nodeReclaimed(type: NodeTypeID, _ cluster: inout Cluster, now: TimePoint,
                                into actions: inout [SchedulerAction])
}

extension ScalingPolicy {
    /// By default the node's instances are replaced elsewhere, as a node termination handler's
    /// cordon-and-drain does: their replicas are recreated and wait for room (the node layer
    /// adds nodes for them as for any pending instance).
    public mutating func nodeInterruptionNotice(_ node: NodeID, _ cluster: inout Cluster, now: TimePoint,
                                                into actions: inout [SchedulerAction]) {
        cluster.replaceInstances(onNode: node, now: now, into: &actions)
    }

    /// By default a failed replica is recreated at once, as a ReplicaSet recreates a pod whose
    /// container died: the replica count the policy chose is kept. (The host may delay the
    /// replacement's start, as the kubelet's crash-loop back-off does.)
    public mutating func instanceFailed(model: ModelID, wasWanted: Bool, _ cluster: inout Cluster, now: TimePoint,
                                        into actions: inout [SchedulerAction]) {
        guard wasWanted, !cluster.isRetired(model) else { return }
        cluster.startInstance(model, warm: false, now: now, into: &actions)
    }

    /// By default nothing more happens when a reclaimed node is gone.
    public mutating func nodeReclaimed(type: NodeTypeID, _ cluster: inout Cluster, now: TimePoint,
                                       into actions: inout [SchedulerAction]) {}

    /// By default arrivals teach the policy nothing.
    @inlinable public mutating func requestArrived(for model: ModelID, _ cluster: inout Cluster, now: TimePoint) {}

    /// By default a policy adds no node for training (reserved capacity is all there is).
    public mutating func provideNodes(forJob job: JobID, type: NodeTypeID, count: Int, _ cluster: inout Cluster,
                                      now: TimePoint, into actions: inout [SchedulerAction]) {}

    /// By default, instances waiting for room are placed on the returned nodes.
    public mutating func nodesReturned(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        cluster.placePending(now: now, into: &actions)
    }

    /// By default versions left without traffic are retired (their busy instances drain);
    /// the others grow with their traffic as the policy scales anyway.
    public mutating func trafficShifted(_ model: ModelID, _ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        for m in cluster.members(ofGroupOf: model) where cluster.isRetired(m) { cluster.stopAll(m, now: now, into: &actions) }
    }

    /// By default a canary weight takes effect at once (instances start as requests need
    /// them: serverless); blue-green starts the new version at the size of the live ones and
    /// waits for all of it.
    public mutating func prepareShift(_ model: ModelID, weight: Int, blueGreen: Bool, _ cluster: inout Cluster, now: TimePoint,
                                      into actions: inout [SchedulerAction]) -> Int {
        guard blueGreen else { return 0 }
        let needed = Swift.max(1, cluster.liveReplicas(ofGroupOf: model))
        while cluster.models[model.index].replicas < needed { cluster.startInstance(model, warm: false, now: now, into: &actions) }
        return needed
    }
}

/// A policy whose nodes come from the cluster-autoscaler node layer (elastic plans, step
/// scaling, Knative): training jobs get their nodes from it, and its minimum instances start
/// warm with the pools' minimum nodes.
public protocol NodeLayerPolicy: ScalingPolicy {
    var nodeScaler: NodeAutoscaler { get set }
}

extension NodeLayerPolicy {
    /// Training jobs get new nodes from the node layer, within each pool's maximum and quota.
    public mutating func provideNodes(forJob job: JobID, type: NodeTypeID, count: Int, _ cluster: inout Cluster,
                                      now: TimePoint, into actions: inout [SchedulerAction]) {
        nodeScaler.provideNodes(forJob: job, type: type, count: count, &cluster, now: now, into: &actions)
    }

    /// A pool that lost a reclaimed node below its minimum gets a new one (the node group's
    /// minimum size is kept, as an Auto Scaling group does).
    public mutating func nodeReclaimed(type: NodeTypeID, _ cluster: inout Cluster, now: TimePoint,
                                       into actions: inout [SchedulerAction]) {
        nodeScaler.restoreMinimum(type, &cluster, now: now, into: &actions)
    }

    /// Scaling decides on timers here: an idle instance asks for nothing.
    public mutating func instanceIdle(_ instance: InstanceID, _ cluster: inout Cluster, now: TimePoint,
                                      into actions: inout [SchedulerAction]) {}

    /// Starts the pools' minimum nodes and each model's minimum instances (warm: capacity that
    /// exists from the start), except versions that take no traffic yet.
    mutating func startMinimum(_ minInstances: [Int], _ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        nodeScaler.start(&cluster, now: now, into: &actions)
        for m in 0..<minInstances.count where !cluster.isRetired(ModelID(m)) {
            for _ in 0..<minInstances[m] { cluster.startInstance(ModelID(m), warm: true, now: now, into: &actions) }
        }
    }
}

/// A node-layer policy with instance ranges per model (the HPA, step scaling): a request finds
/// no free slot and waits in the queue for the capacity the policy adds, unless its model may
/// have no instance at all.
public protocol InstanceRangePolicy: NodeLayerPolicy {
    var maxInstances: [Int] { get }
}

extension InstanceRangePolicy {
    public mutating func noFreeSlot(for model: ModelID, _ cluster: inout Cluster, now: TimePoint,
                                    into actions: inout [SchedulerAction]) -> NoFreeSlotDecision {
        maxInstances[model.index] == 0 ? .reject(.noCapacity) : .queue
    }
}
