/// A FIFO on a ring buffer: O(1) append and removeFirst.
struct Deque<Element> {
    private var ring: [Element?] = Array(repeating: nil, count: 16)
    private var head = 0
    private(set) var count = 0

    var first: Element? { count > 0 ? ring[head] : nil }

    /// - Complexity: O(1) amortized.
    mutating func append(_ e: Element) {
        if count == ring.count {
            var grown: [Element?] = Array(repeating: nil, count: ring.count * 2)
            for k in 0..<count { grown[k] = ring[(head + k) % ring.count] }
            ring = grown
            head = 0
        }
        ring[(head + count) % ring.count] = e
        count += 1
    }

    /// Keeps the elements for which `keep` is true, in order, and drops the others.
    ///
    /// - Complexity: O(n).
    mutating func keep(where keep: (Element) -> Bool) {
        var kept = 0
        for k in 0..<count {
            let e = ring[(head + k) % ring.count]!
            if keep(e) {
                ring[(head + kept) % ring.count] = e
                kept += 1
            }
        }
        for k in kept..<count { ring[(head + k) % ring.count] = nil }
        count = kept
    }

    /// - Complexity: O(1).
    @discardableResult mutating func removeFirst() -> Element {
        let e = ring[head]!
        ring[head] = nil
        head = (head + 1) % ring.count
        count -= 1
        return e
    }
}
