import SchedulerCore
import Scenario

// Shared GPUs: on a node type with `gpuSharing` (time-slicing or MPS), several instances that
// each require one GPU are placed on one physical GPU, and the GPU part of their requests'
// service (`models.<m>.gpu.fraction`) progresses at the speed the sharing mode gives while k
// instances on that GPU have GPU work in progress (`GPUSharing.speed`). A request's service
// is its CPU part (shared cores), then its GPU part, then the rest. As with the cores, each
// GPU has one pending completion event at most, made stale by a newer version. MIG slices are
// isolated: nothing of theirs is shared, so they never come here. Runs in which no model
// declares GPU work on a shared GPU never come here.

/// A physical GPU's shared time.
struct GPUShare {
    /// Requests' GPU parts in progress (`ShareActivity` as on the cores; `remaining` is in
    /// nanoseconds at the GPU's full speed, `rest` follows; cap and rate are unused: every
    /// activity on a GPU progresses at the GPU's one `speed`).
    var activities: [ShareActivity] = []
    var since: Int64 = 0
    var version: UInt32 = 0
    var pendingAt = Int64.max
    /// Progress per nanosecond of every activity on it (one speed: the sharing is by instance
    /// and every instance with work gets the same).
    var speed = 1.0
    var nodeGeneration: UInt32 = 0
    /// Instances placed on it.
    var occupants: Int32 = 0
}

extension Simulation {
    /// The slot of node `n`'s GPU `g` in `gpuShares`.
    @inline(__always) func gpuSlot(_ n: Int, _ g: Int) -> Int { n * gpusPerNodeMax + g }

    /// Makes node `n`'s GPUs' state fresh for its current generation.
    mutating func gpuOpen(_ n: Int) {
        let end = gpuSlot(n + 1, 0)
        if end > gpuShares.count { gpuShares.append(contentsOf: repeatElement(GPUShare(), count: end - gpuShares.count)) }
        for g in 0..<gpusPerNodeMax where gpuShares[gpuSlot(n, g)].nodeGeneration != nodeGeneration[n] {
            let k = gpuSlot(n, g)
            gpuShares[k].activities.removeAll(keepingCapacity: true)
            gpuShares[k].nodeGeneration = nodeGeneration[n]
            gpuShares[k].since = now
            gpuShares[k].version &+= 1
            gpuShares[k].pendingAt = Int64.max
            gpuShares[k].speed = 1
            gpuShares[k].occupants = 0
        }
    }

    /// Instance `i` of model `m` starts on node `n`: a shared GPU for it, the least occupied
    /// (the lowest of those), or none when its node type does not share GPUs.
    mutating func gpuPlace(_ i: Int, model m: Int, node n: Int) {
        while i >= instanceGPU.count { instanceGPU.append(-1) }
        instanceGPU[i] = -1
        guard n >= 0, modelGPUs[m] > 0, let sharing = gpuSharing[Int(nodeType[n])], sharing.mode != .mig else { return }
        gpuOpen(n)
        let gpus = physics.hardware[Int(nodeType[n])].gpus
        var best = 0
        for g in 1..<gpus where gpuShares[gpuSlot(n, g)].occupants < gpuShares[gpuSlot(n, best)].occupants { best = g }
        gpuShares[gpuSlot(n, best)].occupants += 1
        instanceGPU[i] = Int32(gpuSlot(n, best))
    }

    /// Instance `i` stops: its GPU share is free again.
    mutating func gpuRelease(_ i: Int) {
        guard i < instanceGPU.count, instanceGPU[i] >= 0 else { return }
        let k = Int(instanceGPU[i])
        let n = Int(inst[i].node)
        if n >= 0, gpuShares[k].nodeGeneration == nodeGeneration[n], gpuShares[k].occupants > 0 { gpuShares[k].occupants -= 1 }
        instanceGPU[i] = -1
    }

    /// Request `r` on instance `i` begins its GPU part of `part` ns, followed by `rest` ns.
    /// False when its instance has no shared GPU (its service then goes on unshared).
    mutating func gpuRequest(_ r: Int, on i: Int, part: Int64, rest: Int64) -> Bool {
        guard part > 0, i < instanceGPU.count, instanceGPU[i] >= 0 else { return false }
        let k = Int(instanceGPU[i])
        gpuAdvance(k)
        req[r].serviceEnd = Int64.max
        gpuShares[k].activities.append(ShareActivity(instance: Int32(i), request: Int32(r), generation: req[r].generation,
                                                     remaining: Double(part), cap: 1, rest: rest, began: now, nominal: part))
        gpuSolve(k)
        return true
    }

    /// Books progress on GPU slot `k` up to now.
    @inline(__always) mutating func gpuAdvance(_ k: Int) {
        let dt = now - gpuShares[k].since
        guard dt > 0 else { return }
        let d = gpuShares[k].speed * Double(dt)
        gpuShares[k].activities.withUnsafeMutableBufferPointer { a in
            for x in a.indices { a[x].remaining -= d }
        }
        gpuShares[k].since = now
    }

    /// The speed on GPU slot `k` for the instances with work on it, and its next completion.
    ///
    /// - Complexity: O(a²) for a activities (a is at most the GPU's replicas times their
    ///   concurrency, and counting distinct instances this way allocates nothing).
    mutating func gpuSolve(_ k: Int) {
        let n = k / gpusPerNodeMax
        guard let sharing = gpuSharing[Int(nodeType[n])] else { return }
        var instances = 0
        var shortest = Double.infinity
        gpuShares[k].activities.withUnsafeBufferPointer { a in
            for x in a.indices {
                var seen = false
                for y in 0..<x where a[y].instance == a[x].instance { seen = true; break }
                if !seen { instances += 1 }
                shortest = Swift.min(shortest, a[x].remaining)
            }
        }
        gpuShares[k].speed = sharing.speed(active: instances)
        guard instances > 0 else { return }
        let next = now + Int64((Swift.max(0, shortest) / gpuShares[k].speed).rounded(.up))
        guard next < gpuShares[k].pendingAt else { return }
        if gpuShares[k].pendingAt != Int64.max { gpuShares[k].version &+= 1 }
        gpuShares[k].pendingAt = next
        events.push(time: next, kind: .gpuDone, subject: Int32(k), generation: gpuShares[k].version)
    }

    /// GPU slot `k`'s next completion came: the GPU parts that are done leave, and their
    /// requests' rest of service follows.
    mutating func gpuDone(_ event: Event) throws {
        let k = Int(event.subject)
        guard k < gpuShares.count, gpuShares[k].version == event.generation, gpuShares[k].pendingAt == event.time else { return }
        let n = k / gpusPerNodeMax
        guard gpuShares[k].nodeGeneration == nodeGeneration[n] else { return }
        gpuShares[k].pendingAt = Int64.max
        gpuAdvance(k)
        var done = shareScratch.done
        shareScratch.done = []
        defer { shareScratch.done = done }
        done.removeAll(keepingCapacity: true)
        let speed = gpuShares[k].speed
        var x = 0
        while x < gpuShares[k].activities.count {
            if gpuShares[k].activities[x].remaining <= speed {
                done.append(gpuShares[k].activities.remove(at: x))
            } else {
                x += 1
            }
        }
        gpuSolve(k)
        let t = Int(nodeType[n])
        for a in done {
            let r = Int(a.request)
            guard req[r].generation == a.generation, req[r].serviceEnd == Int64.max, req[r].instance == a.instance else { continue }
            contention[t].gpuNominal += Double(a.nominal) / 1e9
            contention[t].gpuActual += Double(now - a.began) / 1e9
            if a.rest > 0 {
                req[r].serviceEnd = now + a.rest
                events.push(time: now + a.rest, kind: .serviceDone, subject: Int32(r), generation: req[r].generation)
            } else {
                req[r].serviceEnd = now
                try endService(r)
            }
        }
    }

    /// Takes request `r`'s GPU part off its GPU (its service was cut off); returns the
    /// service it did not get (ns), or nil when it had no GPU part in progress.
    mutating func gpuDrop(request r: Int) -> Int64? {
        let i = Int(req[r].instance)
        guard i < instanceGPU.count, instanceGPU[i] >= 0 else { return nil }
        let k = Int(instanceGPU[i])
        guard let x = gpuShares[k].activities.firstIndex(where: { $0.request == Int32(r) && $0.generation == req[r].generation }) else { return nil }
        gpuAdvance(k)
        let a = gpuShares[k].activities.remove(at: x)
        gpuSolve(k)
        return Int64(Swift.max(0, a.remaining).rounded()) + a.rest
    }
}

extension Simulation {
    /// Takes request `r`'s shared part in progress (on a GPU, or on the cores) off its
    /// resource; returns the service it did not get (ns).
    mutating func dropShared(request r: Int) -> Int64 {
        if sharesGPU, let left = gpuDrop(request: r) { return left }
        return sharesCPU ? shareDrop(request: r) : 0
    }
}
