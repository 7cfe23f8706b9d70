/// The core's table of records by dense slot index (its requests, instances and models): value
/// semantics, copy on write, like an array, but with the copy-on-write check made once per
/// input instead of on every write.
///
/// An array checks that its buffer is uniquely referenced on every element write, out of
/// line. The core's request path writes the request, instance and model tables a dozen times
/// per request; those checks and their calls were about a tenth of the simulator's instructions
/// per request (callgrind, M/M/10). Here a write through `subscript(slot:)` is a bounds check
/// and a store: the core makes its tables unique when an input arrives (`makeUnique`, which
/// `Cluster.prepareToChange` calls for every table), and nothing shares them until it returns.
///
/// Reads are public (`Cluster.instances`, `Cluster.models`); writes are the core's own. Debug
/// builds check on every write that the table is not shared, so a path that forgot
/// `prepareToChange` fails in the tests rather than writing into a copy.
public struct RecordTable<Element>: @unchecked Sendable {
    // Sendable as an array is: copies share `owner` until one of them is written, and writes
    // happen only after `makeUnique`.

    /// Owns the memory and the records in it; its identity is what the copy-on-write check
    /// looks at.
    @usableFromInline final class Owner {
        @usableFromInline let base: UnsafeMutablePointer<Element>
        /// The records initialised in `base` (kept here for `deinit`; the table's own `_count`
        /// is what reads use).
        @usableFromInline var count = 0

        @usableFromInline init(capacity: Int) {
            base = .allocate(capacity: capacity)
        }

        deinit {
            base.deinitialize(count: count)
            base.deallocate()
        }
    }

    @usableFromInline var owner: Owner
    /// `owner.base`, kept here so an access is one load.
    @usableFromInline var base: UnsafeMutablePointer<Element>
    @usableFromInline var _count = 0
    @usableFromInline var capacity: Int
    /// What a read-only view handed out by its owner keeps alive, so the owner can tell that
    /// one exists (`Cluster.instances`, `Cluster.models`; nil in the owner's own tables).
    @usableFromInline var pin: AnyObject?

    /// An empty table.
    public init() {
        pin = nil
        capacity = 16
        owner = Owner(capacity: capacity)
        base = owner.base
    }

    /// A table of `count` copies of `element`.
    init(repeating element: Element, count: Int) {
        self.init()
        append(element, times: count)
    }

    /// The record in `slot`, to read or change in place. The core's own writes come through
    /// here, after `makeUnique`.
    ///
    /// - Complexity: O(1).
    @inlinable subscript(slot i: Int) -> Element {
        @inline(__always) get {
            precondition(UInt(bitPattern: i) < UInt(bitPattern: _count), "record \(i) out of range 0..<\(_count)")
            return base[i]
        }
        @inline(__always) _modify {
            precondition(UInt(bitPattern: i) < UInt(bitPattern: _count), "record \(i) out of range 0..<\(_count)")
            #if DEBUG
            precondition(isKnownUniquelyReferenced(&owner), "a shared record table written without makeUnique()")
            #endif
            yield &base[i]
        }
    }

    /// Gives this table storage of its own if a copy shares it. The core calls it (through
    /// `Cluster.prepareToChange`) before it writes on an input.
    ///
    /// - Complexity: O(1); O(n) when the storage is shared.
    @inlinable @inline(__always) mutating func makeUnique() {
        if _slowPath(!isKnownUniquelyReferenced(&owner)) { moveStorage(capacity: capacity) }
    }

    /// This table as a read-only view that keeps `token` alive while it lives.
    ///
    /// - Complexity: O(1).
    @inlinable func pinned(by token: AnyObject) -> RecordTable {
        var view = self
        view.pin = token
        return view
    }

    /// Appends a record.
    ///
    /// - Complexity: O(1) amortized.
    @usableFromInline mutating func append(_ element: Element) {
        append(element, times: 1)
    }

    /// Appends `times` copies of `element`.
    ///
    /// - Complexity: O(times) amortized.
    @usableFromInline mutating func append(_ element: Element, times: Int) {
        if _count + times > capacity || !isKnownUniquelyReferenced(&owner) {
            var grown = capacity
            while grown < _count + times { grown *= 2 }
            moveStorage(capacity: grown)
        }
        (base + _count).initialize(repeating: element, count: times)
        _count += times
        owner.count = _count
    }

    /// Copies the records into fresh storage of `capacity` (the old storage keeps its own
    /// until its last table lets it go).
    @usableFromInline mutating func moveStorage(capacity: Int) {
        let fresh = Owner(capacity: capacity)
        fresh.base.initialize(from: base, count: _count)
        fresh.count = _count
        owner = fresh
        base = fresh.base
        self.capacity = capacity
    }
}

extension RecordTable: RandomAccessCollection {
    public typealias Index = Int
    public typealias Indices = Range<Int>

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { _count }
    @inlinable public var count: Int { _count }

    /// - Complexity: O(1).
    @inlinable public subscript(position: Int) -> Element {
        @inline(__always) get { self[slot: position] }
    }
}
