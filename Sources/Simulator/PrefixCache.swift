// Automatic prefix caching, as vLLM does it (docs/design/prefix_caching.md; V1's
// KVCacheManager): a prompt's KV blocks are identified by the hash of their whole prefix, a
// new request is prefilled only past its longest prefix whose blocks its instance still holds,
// and a block no running sequence holds stays cached until the cache needs room; then the
// least recently freed goes first, and of one request's blocks the last one first (V1 frees a
// request's blocks in reverse order).

/// One engine instance's cached prefix blocks: which tree nodes it holds, how many running
/// sequences hold each, and the evictable ones (held by none) in least-recently-freed order.
///
/// Arrays are indexed by tree node and grow as nodes are cached; an entry counts only when
/// its stamp is the cache's epoch, so emptying the cache (the instance stopped) is O(1).
struct PrefixCache {
    /// By node: the sequences holding it, while cached.
    private(set) var refs: [Int32] = []
    private var stamps: [UInt32] = []
    /// The evictable nodes as a doubly linked list, oldest first.
    private var previous: [Int32] = []
    private var following: [Int32] = []
    private(set) var oldest: Int32 = -1
    private var newest: Int32 = -1
    private var epoch: UInt32 = 1
    /// KV blocks of the evictable nodes.
    private(set) var evictableBlocks = 0
    /// Nodes cached (held or evictable).
    private(set) var entries = 0

    /// Whether node `n` is cached.
    ///
    /// - Complexity: O(1).
    @inline(__always) func contains(_ n: Int32) -> Bool {
        Int(n) < stamps.count && stamps[Int(n)] == epoch
    }

    /// Caches node `n`, held by one sequence. It must not be cached.
    ///
    /// - Complexity: O(1) amortized (the arrays grow to the tree's size).
    mutating func insert(_ n: Int32) {
        let i = Int(n)
        if i >= stamps.count {
            let grow = Swift.max(i + 1, stamps.count * 2) - stamps.count
            stamps.append(contentsOf: repeatElement(0, count: grow))
            refs.append(contentsOf: repeatElement(0, count: grow))
            previous.append(contentsOf: repeatElement(-1, count: grow))
            following.append(contentsOf: repeatElement(-1, count: grow))
        }
        assert(stamps[i] != epoch, "a cached node inserted again")
        stamps[i] = epoch
        refs[i] = 1
        entries += 1
    }

    /// One more sequence holds cached node `n`; true when it was evictable (its `blocks` are
    /// then in use again).
    ///
    /// - Complexity: O(1).
    mutating func acquire(_ n: Int32, blocks: Int) -> Bool {
        let i = Int(n)
        refs[i] += 1
        guard refs[i] == 1 else { return false }
        unlink(n)
        evictableBlocks -= blocks
        return true
    }

    /// One sequence fewer holds cached node `n`; true when none does now: it becomes the
    /// newest evictable node, with its `blocks`.
    ///
    /// - Complexity: O(1).
    mutating func release(_ n: Int32, blocks: Int) -> Bool {
        let i = Int(n)
        assert(refs[i] > 0, "a cached node released more often than held")
        refs[i] -= 1
        guard refs[i] == 0 else { return false }
        previous[i] = newest
        following[i] = -1
        if newest >= 0 { following[Int(newest)] = n } else { oldest = n }
        newest = n
        evictableBlocks += blocks
        return true
    }

    /// Evicts the least recently freed node and returns it with its KV blocks (`blocks` of
    /// it), which the caller takes back. There must be one.
    ///
    /// - Complexity: O(1).
    mutating func evictOldest(blocks: (Int32) -> Int) -> (node: Int32, blocks: Int) {
        let n = oldest
        precondition(n >= 0, "no evictable prefix block")
        unlink(n)
        stamps[Int(n)] = 0
        let b = blocks(n)
        evictableBlocks -= b
        entries -= 1
        return (n, b)
    }

    /// Empties the cache (the instance stopped).
    ///
    /// - Complexity: O(1).
    mutating func removeAll() {
        epoch &+= 1
        if epoch == 0 {
            // After 2³² emptyings a stale stamp could match again: start the stamps afresh.
            for k in stamps.indices { stamps[k] = 0 }
            epoch = 1
        }
        oldest = -1
        newest = -1
        evictableBlocks = 0
        entries = 0
    }

    private mutating func unlink(_ n: Int32) {
        let i = Int(n)
        let p = previous[i], f = following[i]
        if p >= 0 { following[Int(p)] = f } else { oldest = f }
        if f >= 0 { previous[Int(f)] = p } else { newest = p }
        previous[i] = -1
        following[i] = -1
    }
}
