/// Growable storage addressed by dense slot index, without copy-on-write checks.
///
/// A Swift array checks that its buffer is uniquely referenced on every element write; in the
/// simulator's per-request path those checks were the largest single cost. A simulation owns
/// its tables and never shares them, so reference semantics are safe here.
final class SlotTable<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 64) {
        self.capacity = Swift.max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// - Complexity: O(1).
    @inline(__always) subscript(i: Int) -> Element {
        get {
            assert(i >= 0 && i < count, "slot \(i) out of range")
            return base[i]
        }
        _modify {
            assert(i >= 0 && i < count, "slot \(i) out of range")
            yield &base[i]
        }
    }

    /// The slot's address, valid until the next `append` (which may move the storage).
    ///
    /// - Complexity: O(1).
    @inline(__always) func pointer(_ i: Int) -> UnsafeMutablePointer<Element> {
        assert(i >= 0 && i < count, "slot \(i) out of range")
        return base + i
    }

    /// Removes and returns the last slot's element, or nil when empty (the table as a stack).
    ///
    /// - Complexity: O(1).
    @inline(__always) func popLast() -> Element? {
        guard count > 0 else { return nil }
        count -= 1
        return (base + count).move()
    }

    /// Appends a slot.
    ///
    /// - Complexity: O(1) amortized.
    @inline(__always) func append(_ element: Element) {
        if count == capacity { grow() }
        (base + count).initialize(to: element)
        count += 1
    }

    /// Doubles the storage (kept out of line: `append` is on the per-request path).
    func grow() {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }
}
