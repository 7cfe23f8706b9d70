/// What a pending event is about. Small and trivial, so the heap moves plain bytes.
public enum EventKind: UInt8, Sendable {
    case arrival
    case serviceDone
    case instanceReady
    case nodeReady
    case timer
    case sample
    case jobSubmitted
    case jobDone
    case rolloutStep
    /// A spot node's interruption notice, and the interruption itself (subject: node).
    case interruptionNotice
    case interruption
    /// Every spot node of a type is reclaimed (subject: node type).
    case interruptionWave
    /// An engine instance's iteration ended, or it has work to start (subject: instance).
    case engineStep
    /// The next CPU activity on a node's shared cores is done (subject: node; generation: the
    /// node's share version), and a start-up's next segment begins (subject: instance).
    case shareDone
    case startupSegment
    /// The next GPU part on a shared GPU is done (subject: the GPU's slot; generation: its
    /// version).
    case gpuDone
}

/// An element of a binary min-heap: `precedes` is a strict total order.
protocol HeapElement {
    func precedes(_ other: Self) -> Bool
}

/// Binary min-heap steps over raw storage, shared by the event queue and the trace reader's
/// reorder heap.
enum BinaryHeap {
    /// Places `element` in slot `i` (of a heap whose other slots are valid) and lets it rise.
    ///
    /// - Complexity: O(log n).
    @inline(__always) static func siftUp<T: HeapElement>(_ element: T, from i: Int, in h: UnsafeMutablePointer<T>) {
        var i = i
        while i > 0 {
            let parent = (i - 1) >> 1
            if !element.precedes(h[parent]) { break }
            h[i] = h[parent]
            i = parent
        }
        h[i] = element
    }

    /// Places `element` at the root of the heap `h[0..<n]` (whose root slot is free) and lets
    /// it sink.
    ///
    /// - Complexity: O(log n).
    @inline(__always) static func siftDown<T: HeapElement>(_ element: T, in h: UnsafeMutablePointer<T>, count n: Int) {
        var i = 0
        while true {
            var c = 2 * i + 1
            if c >= n { break }
            if c + 1 < n && h[c + 1].precedes(h[c]) { c += 1 }
            if !h[c].precedes(element) { break }
            h[i] = h[c]
            i = c
        }
        h[i] = element
    }
}

/// A scheduled event: `kind` about `subject` (a source, request, instance, node or timer slot),
/// valid while the subject's generation still equals `generation`.
public struct Event: Sendable, HeapElement {
    public var time: Int64
    public var sequence: UInt64
    public var subject: Int32
    public var generation: UInt32
    public var kind: EventKind

    func precedes(_ other: Event) -> Bool {
        time < other.time || (time == other.time && sequence < other.sequence)
    }
}

/// The pending events, ordered by (time, insertion sequence): a binary min-heap in one
/// buffer.
///
/// Equal times come out in insertion order, so runs are deterministic. (A 4-ary heap was
/// measured too, on the M/M/10 and serverless benchmarks: it was no faster.)
///
/// A reference type over raw storage, like `SlotTable`: an array would check that its buffer
/// is uniquely referenced on every push and pop (four checks per request on the M/M/10
/// benchmark). A simulation owns its queues and never shares them. Several queues can share
/// one insertion order (`push(…, sequence:)` with `takeSequence()` of the main queue), so a
/// host may keep some events apart — arrivals, one per source — and still merge them in the
/// exact (time, sequence) order of a single queue.
public final class EventQueue {
    /// The queue's state lives behind a constant pointer: a class's `var` properties would be
    /// checked for exclusive access at run time on every push and pop.
    @usableFromInline struct State {
        var base: UnsafeMutablePointer<Event>
        var capacity: Int
        var count: Int
        var nextSequence: UInt64
    }
    @usableFromInline let state: UnsafeMutablePointer<State>

    public init(capacity: Int = 1024) {
        let capacity = Swift.max(capacity, 1)
        state = .allocate(capacity: 1)
        state.initialize(to: State(base: .allocate(capacity: capacity), capacity: capacity, count: 0, nextSequence: 0))
    }

    deinit {
        state.pointee.base.deallocate()   // Event is trivial: nothing to deinitialise
        state.deallocate()
    }

    public var count: Int { state.pointee.count }
    public var isEmpty: Bool { state.pointee.count == 0 }

    /// The time of the earliest event, or `Int64.max` when empty.
    ///
    /// - Complexity: O(1).
    @inline(__always) public var nextTime: Int64 {
        state.pointee.count > 0 ? state.pointee.base[0].time : Int64.max
    }

    /// Whether this queue's earliest event comes before `other`'s (an empty queue's never does;
    /// before any event of an empty `other`).
    ///
    /// - Complexity: O(1).
    @inline(__always) public func headPrecedes(_ other: EventQueue) -> Bool {
        state.pointee.count > 0 && (other.state.pointee.count == 0 || state.pointee.base[0].precedes(other.state.pointee.base[0]))
    }

    /// The next insertion sequence number, consumed.
    ///
    /// - Complexity: O(1).
    @inline(__always) public func takeSequence() -> UInt64 {
        let sequence = state.pointee.nextSequence
        state.pointee.nextSequence = sequence &+ 1
        return sequence
    }

    /// Schedules an event, in this queue's own insertion order.
    ///
    /// - Complexity: O(log n).
    @inline(__always) public func push(time: Int64, kind: EventKind, subject: Int32, generation: UInt32 = 0) {
        push(time: time, kind: kind, subject: subject, generation: generation, sequence: takeSequence())
    }

    /// Schedules an event with a sequence number taken from another queue (`takeSequence`).
    ///
    /// - Complexity: O(log n).
    public func push(time: Int64, kind: EventKind, subject: Int32, generation: UInt32, sequence: UInt64) {
        if state.pointee.count == state.pointee.capacity { grow() }
        let event = Event(time: time, sequence: sequence, subject: subject, generation: generation, kind: kind)
        let i = state.pointee.count
        state.pointee.count = i + 1
        BinaryHeap.siftUp(event, from: i, in: state.pointee.base)
    }

    /// Removes and returns the earliest event.
    ///
    /// - Precondition: the queue is not empty.
    /// - Complexity: O(log n).
    public func pop() -> Event {
        let n = state.pointee.count - 1
        precondition(n >= 0, "pop from an empty event queue")
        state.pointee.count = n
        let h = state.pointee.base
        let top = h[0]
        if n == 0 { return top }
        BinaryHeap.siftDown(h[n], in: h, count: n)
        return top
    }

    func grow() {
        let capacity = state.pointee.capacity
        let bigger = UnsafeMutablePointer<Event>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: state.pointee.base, count: state.pointee.count)
        state.pointee.base.deallocate()
        state.pointee.base = bigger
        state.pointee.capacity = capacity * 2
    }
}
