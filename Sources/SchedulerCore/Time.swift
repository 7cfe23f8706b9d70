/// A point on a timeline, in whole nanoseconds since the timeline's origin.
///
/// The scheduler core never reads a clock: every input carries the `now` it happened at. The
/// simulator's origin is the start of the scenario; a real runtime's origin is its start-up.
/// Points and spans are distinct types so that "a time" and "a duration" cannot be mixed up.
public struct TimePoint: Hashable, Comparable, Sendable {
    /// Nanoseconds since the origin.
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The origin of the timeline.
    public static let zero = TimePoint(nanoseconds: 0)
    /// A point later than any reachable time, used for "never".
    public static let distantFuture = TimePoint(nanoseconds: Int64.max / 2)

    /// Seconds since the origin, for reports.
    @inlinable public var seconds: Double { Double(nanoseconds) / 1e9 }

    @inlinable public static func < (a: TimePoint, b: TimePoint) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (a: TimePoint, b: TimeSpan) -> TimePoint {
        TimePoint(nanoseconds: a.nanoseconds &+ b.nanoseconds)
    }
    @inlinable public static func - (a: TimePoint, b: TimeSpan) -> TimePoint {
        TimePoint(nanoseconds: a.nanoseconds &- b.nanoseconds)
    }
    @inlinable public static func - (a: TimePoint, b: TimePoint) -> TimeSpan {
        TimeSpan(nanoseconds: a.nanoseconds &- b.nanoseconds)
    }
}

/// A length of time, in whole nanoseconds (may be negative only as an intermediate value).
public struct TimeSpan: Hashable, Comparable, Sendable {
    /// Nanoseconds.
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// A span of `seconds` seconds, rounded to the nearest nanosecond.
    @inlinable public static func seconds(_ seconds: Double) -> TimeSpan {
        TimeSpan(nanoseconds: Int64((seconds * 1e9).rounded()))
    }

    public static let zero = TimeSpan(nanoseconds: 0)

    /// The span in seconds, for arithmetic and reports.
    @inlinable public var seconds: Double { Double(nanoseconds) / 1e9 }

    @inlinable public static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (a: TimeSpan, b: TimeSpan) -> TimeSpan {
        TimeSpan(nanoseconds: a.nanoseconds &+ b.nanoseconds)
    }
    @inlinable public static func - (a: TimeSpan, b: TimeSpan) -> TimeSpan {
        TimeSpan(nanoseconds: a.nanoseconds &- b.nanoseconds)
    }
    @inlinable public static func * (a: TimeSpan, k: Int64) -> TimeSpan {
        TimeSpan(nanoseconds: a.nanoseconds &* k)
    }
}
