// Dense integer identifiers. Every table in the core is an array indexed by one of these, so
// the hot path never hashes. Slots of instances, nodes and requests are reused after release.

/// A node (hardware) type, indexing `ClusterConfiguration.nodeTypes`.
public struct NodeTypeID: Hashable, Comparable, Sendable {
    public let raw: Int32
    @inlinable public init(_ index: Int) { raw = Int32(truncatingIfNeeded: index) }
    @inlinable public var index: Int { Int(raw) }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
}

/// A model, indexing `ClusterConfiguration.models`.
public struct ModelID: Hashable, Comparable, Sendable {
    public let raw: Int32
    @inlinable public init(_ index: Int) { raw = Int32(truncatingIfNeeded: index) }
    @inlinable public var index: Int { Int(raw) }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
}

/// A target (a model or a pipeline of models), indexing `ClusterConfiguration.targets`.
public struct TargetID: Hashable, Comparable, Sendable {
    public let raw: Int32
    @inlinable public init(_ index: Int) { raw = Int32(truncatingIfNeeded: index) }
    @inlinable public var index: Int { Int(raw) }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
}

/// A node slot. The core allocates it with `startNode`; the slot is reused after `stopNode`.
public struct NodeID: Hashable, Comparable, Sendable {
    public let raw: Int32
    @inlinable public init(_ index: Int) { raw = Int32(truncatingIfNeeded: index) }
    @inlinable public var index: Int { Int(raw) }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
}

/// An instance slot (a loaded copy of a model). Allocated by the core; reused after `stopInstance`.
public struct InstanceID: Hashable, Comparable, Sendable {
    public let raw: Int32
    @inlinable public init(_ index: Int) { raw = Int32(truncatingIfNeeded: index) }
    @inlinable public var index: Int { Int(raw) }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
}

/// A request slot, allocated by the host (simulator or runtime) and reused once the request
/// has ended and the core no longer holds it (see `SchedulerAction.release`).
public struct RequestID: Hashable, Comparable, Sendable {
    public let raw: Int32
    @inlinable public init(_ index: Int) { raw = Int32(truncatingIfNeeded: index) }
    @inlinable public var index: Int { Int(raw) }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
}

/// A timer the core asked the host to run. The host echoes it back in `.timerFired`.
///
/// Timers `0 ..< TimerID.firstInstanceTimer` belong to the policy (its periodic ticks); timer
/// `firstInstanceTimer + i` is the keep-alive timer of instance slot `i`.
public struct TimerID: Hashable, Comparable, Sendable {
    public let raw: Int32
    @inlinable public init(_ index: Int) { raw = Int32(truncatingIfNeeded: index) }
    @inlinable public var index: Int { Int(raw) }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }

    /// Number of timer ids reserved for policy ticks.
    public static let firstInstanceTimer = 8
    /// The keep-alive timer of an instance slot.
    @inlinable public static func keepAlive(_ instance: InstanceID) -> TimerID {
        TimerID(firstInstanceTimer + instance.index)
    }
}
