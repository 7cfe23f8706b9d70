/// The nodes an instance may be placed on, grouped by everything the best-fit choice looks
/// at: node type, room left and readiness.
///
/// Placement wants, among the nodes that can take the instance, a ready one before a booting
/// one, then the least room left, then the lowest index. Nodes with the same type, room and
/// readiness score the same, so only each group's lowest index needs looking at: a choice
/// costs O(groups) instead of O(nodes), and a cluster has few groups (a node type's room
/// takes few values). A reserved plan of 30,000 nodes spent 18 s placing its instances one
/// full scan at a time.
///
/// Each group keeps a min-heap of node indices. A node that changes group is pushed onto
/// its new group's heap and left in the old one, where it is recognised as stale (its
/// `group` is no longer that one) and dropped when it reaches the top.
@usableFromInline struct RoomIndex: Sendable {
    @usableFromInline struct Key: Equatable, Sendable {
        var type: Int32
        var free: Resources
        var ready: Bool
    }
    var keys: [Key] = []
    var heaps: [[Int32]] = []
    /// Per node: its group, or -1 when nothing may be placed on it.
    var group: [Int32] = []

    @usableFromInline init() {}

    /// Files node `n` under its current key (or under none).
    ///
    /// - Complexity: O(groups + log n).
    mutating func update(_ n: Int, _ node: NodeRecord) {
        while group.count <= n { group.append(-1) }
        guard node.state != .free, node.heldBy < 0, !node.cordoned else { group[n] = -1; return }
        let key = Key(type: node.type.raw, free: node.free, ready: node.state == .ready)
        var g = keys.firstIndex(of: key) ?? -1
        if g < 0 {
            keys.append(key)
            heaps.append([])
            g = keys.count - 1
        }
        guard group[n] != Int32(g) else { return }
        group[n] = Int32(g)
        Self.push(&heaps[g], Int32(n))
    }

    /// The lowest node index still in group `g`, dropping stale entries on the way.
    ///
    /// - Complexity: O(log n) amortised.
    mutating func top(_ g: Int) -> Int? {
        while let first = heaps[g].first {
            if group[Int(first)] == Int32(g) { return Int(first) }
            Self.popMin(&heaps[g])
        }
        return nil
    }

    static func push(_ heap: inout [Int32], _ x: Int32) {
        heap.append(x)
        var i = heap.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if heap[p] <= x { break }
            heap[i] = heap[p]
            i = p
        }
        heap[i] = x
    }

    static func popMin(_ heap: inout [Int32]) {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        var i = 0
        let n = heap.count
        while true {
            let l = 2 * i + 1
            if l >= n { break }
            var c = l
            if l + 1 < n && heap[l + 1] < heap[l] { c = l + 1 }
            if last <= heap[c] { break }
            heap[i] = heap[c]
            i = c
        }
        heap[i] = last
    }
}

extension Cluster {
    /// Re-files node `n` in the placement index after its room, state, claim or cordon
    /// changed. Every change to those goes through here.
    @usableFromInline mutating func nodeChanged(_ n: Int) {
        roomIndex.update(n, nodes[n])
    }

    /// The best-fit score of room `left` on a node of type `type`: room left as a sum of
    /// fractions of its capacity, in parts per million, so the choice is exact.
    func fitScore(_ left: Resources, type: Int) -> Int64 {
        let cap = configuration.nodeTypes[type].capacity
        var score = left.milliCPU * 1_000_000 / Swift.max(cap.milliCPU, 1) + left.memoryMiB * 1_000_000 / Swift.max(cap.memoryMiB, 1)
        if cap.gpus > 0 { score += left.gpus * 1_000_000 / cap.gpus }
        return score
    }

    /// The node a new instance of `model` goes on: ready before booting, then the least
    /// room left, then the lowest index; -1 when none can take it.
    ///
    /// - Complexity: O(groups · log n), from the placement index.
    mutating func bestNode(for model: Int) -> Int {
        let spec = configuration.models[model]
        var best = -1, bestScore = Int64.max, bestReady = false
        for g in roomIndex.keys.indices {
            let key = roomIndex.keys[g]
            guard spec.allowedNodeTypes.contains(NodeTypeID(Int(key.type))), key.free.fits(spec.requires), let n = roomIndex.top(g) else { continue }
            let score = fitScore(key.free - spec.requires, type: Int(key.type))
            let better = (key.ready && !bestReady) || (key.ready == bestReady && (score < bestScore || (score == bestScore && n < best)))
            if best < 0 || better {
                best = n
                bestScore = score
                bestReady = key.ready
            }
        }
        return best
    }

    /// The same choice by scanning every node: the reference the index is checked against
    /// (tests, and invariant checks when built with HEADROOM_INVARIANTS).
    ///
    /// - Complexity: O(nodes).
    func bestNodeByScan(for model: Int) -> Int {
        let spec = configuration.models[model]
        var best = -1, bestScore = Int64.max, bestReady = false
        for n in 0..<nodes.count where nodes[n].state != .free && nodes[n].heldBy < 0 && !nodes[n].cordoned {
            guard spec.allowedNodeTypes.contains(nodes[n].type), nodes[n].free.fits(spec.requires) else { continue }
            let isReady = nodes[n].state == .ready
            let score = fitScore(nodes[n].free - spec.requires, type: nodes[n].type.index)
            if (isReady && !bestReady) || (isReady == bestReady && score < bestScore) {
                best = n
                bestScore = score
                bestReady = isReady
            }
        }
        return best
    }
}
