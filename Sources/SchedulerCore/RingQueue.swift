/// A first-in, first-out queue of request slots in a growable ring buffer.
///
/// Storage grows by doubling and is never shrunk, so a queue that has reached its working size
/// no longer allocates.
public struct RingQueue: Sendable {
    @usableFromInline var storage: [Int32]
    @usableFromInline var head = 0
    @usableFromInline var size = 0

    public init(capacity: Int = 16) {
        storage = [Int32](repeating: -1, count: Swift.max(4, capacity))
    }

    /// The number of elements.
    @inlinable public var count: Int { size }
    @inlinable public var isEmpty: Bool { size == 0 }

    /// Appends an element at the back.
    ///
    /// - Complexity: O(1) amortized.
    @inlinable @inline(__always) public mutating func append(_ value: Int32) {
        if size == storage.count { grow() }
        var tail = head + size
        if tail >= storage.count { tail -= storage.count }
        storage[tail] = value
        size += 1
    }

    /// Removes and returns the front element, or `nil` when empty.
    ///
    /// - Complexity: O(1).
    @inlinable public mutating func popFirst() -> Int32? {
        if size == 0 { return nil }
        let value = storage[head]
        head += 1
        if head == storage.count { head = 0 }
        size -= 1
        return value
    }

    /// The front element, or `nil` when empty.
    ///
    /// - Complexity: O(1).
    @inlinable public var first: Int32? { size == 0 ? nil : storage[head] }

    /// Removes every element, keeping the storage.
    ///
    /// - Complexity: O(1).
    @inlinable public mutating func removeAll() {
        head = 0
        size = 0
    }

    @usableFromInline mutating func grow() {
        var bigger = [Int32](repeating: -1, count: storage.count * 2)
        for i in 0..<size {
            var j = head + i
            if j >= storage.count { j -= storage.count }
            bigger[i] = storage[j]
        }
        storage = bigger
        head = 0
    }
}
