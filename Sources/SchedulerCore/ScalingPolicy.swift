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

    /// A request for `model` found no free slot. The policy may start capacity; it returns a
    /// reason to turn the request away, or `nil` to let it queue (subject to the queue limit).
    mutating func noFreeSlot(for model: ModelID, _ cluster: inout Cluster, now: TimePoint,
                             into actions: inout [SchedulerAction]) -> RejectReason?

    /// An instance has just become idle (no request in flight).
    mutating func instanceIdle(_ instance: InstanceID, _ cluster: inout Cluster, now: TimePoint,
                               into actions: inout [SchedulerAction])

    /// A timer the policy (or a keep-alive it armed) asked for has fired.
    mutating func timerFired(_ timer: TimerID, _ cluster: inout Cluster, now: TimePoint,
                             into actions: inout [SchedulerAction])
}
