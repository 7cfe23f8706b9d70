import Scenario
import SchedulerCore

// Automatic prefix caching inside an engine instance (see PrefixCache.swift for the rules).
//
// A sequence holds its KV blocks in two parts: the cached prefix blocks on the path from the
// root to `held` (shared with other sequences, counted once), and `blocks` of its own past
// them. Admission looks up the longest cached path of the prompt, holds it, and takes blocks
// for the rest; when the prompt's prefill ends, its blocks past the path are cached (or, when
// another sequence cached the same block meanwhile, given back and the cached one held). A
// sequence that ends or is preempted lets go of both: its own blocks are free, its cached
// ones evictable once no sequence holds them. Taking blocks evicts the least recently freed
// cached blocks when no free one is left; a held block is never evicted.

extension Simulation {
    /// KV blocks of prefix node `n`: those its tokens add to its parent's.
    @inline(__always) func nodeBlocks(_ n: Int32, _ engine: EngineModel) -> Int {
        let p = prefixes.parent[Int(n)]
        return engine.blocks(Int(prefixes.end[Int(n)])) - (p >= 0 ? engine.blocks(Int(prefixes.end[Int(p)])) : 0)
    }

    /// Fills `prefixPath` with request `r`'s prompt blocks, root first, up to the last that ends
    /// within `prompt` tokens; returns how many. 0 without caching or a known prefix.
    mutating func loadPrefixPath(_ r: Int, prompt: Int, _ engine: EngineModel) -> Int {
        guard engine.prefixCaching else {
            prefixPath.removeAll(keepingCapacity: true)
            return 0
        }
        fillPrefixPath(req[r].prefix)
        var count = prefixPath.count
        while count > 0 && Int(prefixes.end[Int(prefixPath[count - 1])]) > prompt { count -= 1 }
        return count
    }

    /// Fills `prefixPath` with the blocks from the root to `leaf` (none for -1).
    mutating func fillPrefixPath(_ leaf: Int32) {
        prefixPath.removeAll(keepingCapacity: true)
        var n = leaf
        while n >= 0 {
            prefixPath.append(n)
            n = prefixes.parent[Int(n)]
        }
        prefixPath.reverse()
    }

    /// Takes `need` blocks for instance `e`'s sequences, evicting the least recently freed
    /// cached blocks when free ones run out. There must be enough free and evictable ones.
    @inline(__always) mutating func takeBlocks(_ e: EngineInstance, _ need: Int, _ engine: EngineModel) {
        while e.freeBlocks < need {
            e.freeBlocks += e.cache.evictOldest { nodeBlocks($0, engine) }.blocks
        }
        e.freeBlocks -= need
        kvUsed += need
    }

    /// Sequence `r` lets go of its blocks: its own become free, its cached prefix blocks
    /// evictable where no other sequence holds them (its last block first, so it is evicted
    /// before the blocks it follows).
    mutating func releaseBlocks(_ e: EngineInstance, _ r: Int, _ engine: EngineModel) {
        let s = seq.pointer(r)
        e.freeBlocks += Int(s.pointee.blocks)
        kvUsed -= Int(s.pointee.blocks)
        s.pointee.blocks = 0
        var n = s.pointee.held
        while n >= 0 {
            let b = nodeBlocks(n, engine)
            if e.cache.release(n, blocks: b) { kvUsed -= b }
            n = prefixes.parent[Int(n)]
        }
        s.pointee.held = -1
        s.pointee.heldBlocks = 0
    }

    /// Holds the first `count` blocks of `prefixPath` (cached in `e`) for sequence `r`.
    mutating func holdPrefix(_ e: EngineInstance, _ r: Int, count: Int, _ engine: EngineModel) {
        guard count > 0 else { return }
        var held = 0
        for k in 0..<count {
            let n = prefixPath[k], b = nodeBlocks(n, engine)
            if e.cache.acquire(n, blocks: b) { kvUsed += b }
            held += b
        }
        let s = seq.pointer(r)
        s.pointee.held = prefixPath[count - 1]
        s.pointee.heldBlocks = Int32(held)
    }

    /// Sequence `r`'s prompt is prefilled: its blocks past its held path are cached (its own
    /// blocks become the cache's), or, where the instance cached the same block meanwhile,
    /// its own copy is given back and the cached one held.
    mutating func cachePrompt(_ e: EngineInstance, _ r: Int, _ engine: EngineModel) {
        let s = seq.pointer(r)
        let count = loadPrefixPath(r, prompt: Int(s.pointee.prompt), engine)
        let from = s.pointee.held >= 0 ? Int(prefixes.depth[Int(s.pointee.held)]) + 1 : 0
        guard count > from else { return }
        var moved = 0
        for k in from..<count {
            let n = prefixPath[k], b = nodeBlocks(n, engine)
            if e.cache.contains(n) {
                if e.cache.acquire(n, blocks: b) { kvUsed += b }
                e.freeBlocks += b
                kvUsed -= b
            } else {
                e.cache.insert(n)
            }
            moved += b
        }
        s.pointee.blocks -= Int32(moved)
        s.pointee.heldBlocks += Int32(moved)
        s.pointee.held = prefixPath[count - 1]
    }
}

extension Simulation {
    /// Hands request `r` to the core with its prompt's blocks, for a cache-aware balancer
    /// (`ModelSpec.Routing.cacheAware`), which routes by them.
    mutating func arriveWithPrefix(_ r: Int, target: Int32, caller: Int32, session: Int32, at: TimePoint) {
        fillPrefixPath(req[r].prefix)
        let path = prefixPath
        path.withUnsafeBufferPointer { blocks in
            core.requestArrived(RequestID(r), target: TargetID(Int(target)), caller: CallerID(Int(caller)), prefix: blocks, session: session,
                                at: at, into: &actions)
        }
    }
}
