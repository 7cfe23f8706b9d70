/// What a pending event is about. Small and trivial, so the heap moves plain bytes.
public enum EventKind: UInt8, Sendable {
    case arrival
    case serviceDone
    case instanceReady
    case nodeReady
    case timer
    case sample
}

/// A scheduled event: `kind` about `subject` (a source, request, instance, node or timer slot),
/// valid while the subject's generation still equals `generation`.
public struct Event: Sendable {
    public var time: Int64
    public var sequence: UInt64
    public var subject: Int32
    public var generation: UInt32
    public var kind: EventKind

    func precedes(_ other: Event) -> Bool {
        time < other.time || (time == other.time && sequence < other.sequence)
    }
}

/// The pending events, ordered by (time, insertion sequence): a 4-ary min-heap in one array.
///
/// Equal times come out in insertion order, so runs are deterministic. A 4-ary heap halves
/// the depth of a binary one and keeps a node's children in one cache line.
public struct EventQueue: Sendable {
    @usableFromInline var heap: [Event] = []
    @usableFromInline var nextSequence: UInt64 = 0

    public init() { heap.reserveCapacity(1024) }

    public var count: Int { heap.count }
    public var isEmpty: Bool { heap.isEmpty }

    /// The time of the earliest event, or `Int64.max` when empty.
    ///
    /// - Complexity: O(1).
    public var nextTime: Int64 { heap.isEmpty ? Int64.max : heap[0].time }

    /// Schedules an event.
    ///
    /// - Complexity: O(log₄ n).
    public mutating func push(time: Int64, kind: EventKind, subject: Int32, generation: UInt32 = 0) {
        let event = Event(time: time, sequence: nextSequence, subject: subject, generation: generation, kind: kind)
        nextSequence &+= 1
        heap.append(event)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) >> 2
            if !event.precedes(heap[parent]) { break }
            heap[i] = heap[parent]
            i = parent
        }
        heap[i] = event
    }

    /// Removes and returns the earliest event.
    ///
    /// - Precondition: the queue is not empty.
    /// - Complexity: O(log₄ n).
    public mutating func pop() -> Event {
        let top = heap[0]
        let last = heap.removeLast()
        let n = heap.count
        if n > 0 {
            var i = 0
            while true {
                let first = 4 * i + 1
                if first >= n { break }
                var best = first
                let end = Swift.min(first + 4, n)
                var c = first + 1
                while c < end {
                    if heap[c].precedes(heap[best]) { best = c }
                    c += 1
                }
                if !heap[best].precedes(last) { break }
                heap[i] = heap[best]
                i = best
            }
            heap[i] = last
        }
        return top
    }
}
