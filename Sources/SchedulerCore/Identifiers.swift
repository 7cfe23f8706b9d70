// Dense integer identifiers. Every table in the core is an array indexed by one of these, so
// the hot path never hashes. Slots of instances, nodes and requests are reused after release.

/// A dense index into one kind of table. `Kind` is a phantom type: a `ModelID` cannot be
/// passed where a `NodeID` is expected.
public struct DenseID<Kind>: Hashable, Comparable, Sendable {
    public let raw: Int32
    @inlinable public init(_ index: Int) { raw = Int32(truncatingIfNeeded: index) }
    @inlinable public var index: Int { Int(raw) }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
}

public enum NodeTypeKind {}
public enum ModelKind {}
public enum TargetKind {}
public enum NodeKind {}
public enum InstanceKind {}
public enum RequestKind {}
public enum TimerKind {}
public enum CallerKind {}
public enum JobKind {}

/// A node (hardware) type, indexing `ClusterConfiguration.nodeTypes`.
public typealias NodeTypeID = DenseID<NodeTypeKind>
/// A model, indexing `ClusterConfiguration.models`.
public typealias ModelID = DenseID<ModelKind>
/// A target (a model or a pipeline of models), indexing `ClusterConfiguration.targets`.
public typealias TargetID = DenseID<TargetKind>
/// A node slot. The core allocates it with `startNode`; the slot is reused after `stopNode`.
public typealias NodeID = DenseID<NodeKind>
/// An instance slot (a loaded copy of a model). Allocated by the core; reused after `stopInstance`.
public typealias InstanceID = DenseID<InstanceKind>
/// A request slot, allocated by the host (simulator or runtime) and reused once the core has
/// let go of it (`SchedulerAction.complete`, `.reject` or `.release`).
public typealias RequestID = DenseID<RequestKind>
/// A caller (team, tenant). Id 0 is "no caller"; quotas are indexed by caller id.
public typealias CallerID = DenseID<CallerKind>
/// A training job, indexing `ClusterConfiguration.jobs`: one submission of a job (a job
/// repeated nightly is one id per night).
public typealias JobID = DenseID<JobKind>
/// A timer the core asked the host to run; the host echoes it back in `.timerFired`.
///
/// Timers `0 ..< TimerID.firstInstanceTimer` belong to the policy (its periodic ticks); timer
/// `firstInstanceTimer + i` is the keep-alive timer of instance slot `i`.
public typealias TimerID = DenseID<TimerKind>

extension DenseID where Kind == TimerKind {
    /// Number of timer ids reserved for policy ticks.
    public static var firstInstanceTimer: Int { 8 }
    /// The keep-alive timer of an instance slot.
    @inlinable public static func keepAlive(_ instance: InstanceID) -> TimerID {
        TimerID(firstInstanceTimer + instance.index)
    }
}
