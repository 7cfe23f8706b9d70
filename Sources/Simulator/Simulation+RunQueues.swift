// Run queues per core (`hardware.<t>.contention.runQueues: "per-core"`). The kernel does not
// share a node's cores as one fluid: each core has a run queue, a task that becomes runnable
// is put on one, and it shares that core only until the balancer moves it. Where few tasks
// share few cores the difference shows: three tasks on two cores leave one a core to itself
// and give the other two half a core each (fluid: two thirds each). Measured with a cgroup
// per worker, as a container runtime runs pods, by `Scripts/core-sharing.py --cgroups`:
// a request beside h busy loops on two cores comes out +33 % at h = 2 (the model: +33 %),
// +25 % at h = 4 (+20 %), +29 % at h = 6 (+14 %), and as fluid sharing at odd h
// (docs/accuracy.md).
//
// A task is an activity (a request's CPU part, a start-up's), except that all of an instance's
// activities are one task when the instance is held to one core (`cpu.instanceThreads` ≤ 1: a
// Python process's GIL lets one of its threads run at a time). The decoder refuses an
// activity of several threads on such a node type (`ScenarioDecoder.checkRunQueues`).

extension Simulation {
    /// Whether node `n`'s cores have a run queue each (the scalar first: most runs have none).
    @inline(__always) func hasRunQueuePerCore(_ n: Int) -> Bool {
        anyPerCore && nodePerCore[Int(nodeType[n])]
    }

    /// Whether instance `i`'s activities are one task (its model is held to one core).
    @inline(__always) func oneTask(_ i: Int32) -> Bool {
        modelInstanceThreads[Int(inst[Int(i)].model)] <= 1
    }

    /// The core a new `activity` on node `n` waits on: its instance's, when its instance is one
    /// task already on a core; else the core with the fewest tasks (the lowest such), as the
    /// kernel puts a waking task on an idle core, or the least loaded.
    ///
    /// - Complexity: O(a²) for a activities on the node.
    @inline(never)
    func shareCore(_ n: Int, for activity: ShareActivity) -> Int32 {
        let cores = Int(nodeCores[Int(nodeType[n])])
        let single = oneTask(activity.instance)
        let instances = inst, bounds = modelInstanceThreads
        return shares[n].activities.withUnsafeBufferPointer { a in
            if single, let same = a.first(where: { $0.instance == activity.instance }) { return same.core }
            return withUnsafeTemporaryAllocation(of: Int32.self, capacity: cores) { counts in
                Simulation.taskCounts(a, instances: instances, bounds: bounds, into: counts)
                var best = 0
                for c in 1..<cores where counts[c] < counts[best] { best = c }
                return Int32(best)
            }
        }
    }

    /// Counts the tasks on each core of `counts` (its size is the node's cores).
    static func taskCounts(_ a: UnsafeBufferPointer<ShareActivity>, instances: SlotTable<InstanceSlot>, bounds: [Double],
                           into counts: UnsafeMutableBufferPointer<Int32>) {
        counts.initialize(repeating: 0)
        for x in a.indices {
            // An instance that is one task counts once on its core (at its first activity).
            if bounds[Int(instances[Int(a[x].instance)].model)] <= 1,
               a[..<x].contains(where: { $0.instance == a[x].instance && $0.core == a[x].core }) { continue }
            counts[Int(a[x].core)] += 1
        }
    }

    /// Evens node `n`'s run queues after tasks have left: while the fullest core has two tasks
    /// more than the emptiest, the task placed last on it moves (all of an instance's
    /// activities when it is one task). A difference of one is left, as the kernel's balancer
    /// leaves it: a move would only swap which core is the fuller.
    ///
    /// - Complexity: O(m · a²) for m moves and a activities on the node.
    @inline(never)
    mutating func shareBalance(_ n: Int) {
        let cores = Int(nodeCores[Int(nodeType[n])])
        guard cores > 1, shares[n].activities.count > 1 else { return }
        let instances = inst, bounds = modelInstanceThreads
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: cores) { counts in
            shares[n].activities.withUnsafeMutableBufferPointer { a in
                for _ in a.indices {
                    Simulation.taskCounts(UnsafeBufferPointer(a), instances: instances, bounds: bounds, into: counts)
                    var most = 0, least = 0
                    for c in 1..<cores {
                        if counts[c] > counts[most] { most = c }
                        if counts[c] < counts[least] { least = c }
                    }
                    guard counts[most] - counts[least] >= 2 else { return }
                    // The task placed last on the fullest core: its latest-begun activity.
                    var last = -1
                    for x in a.indices where Int(a[x].core) == most && (last < 0 || a[x].began >= a[last].began) { last = x }
                    let i = a[last].instance
                    let single = bounds[Int(instances[Int(i)].model)] <= 1
                    for x in a.indices where x == last || (single && a[x].instance == i && Int(a[x].core) == most) {
                        a[x].core = Int32(least)
                    }
                }
            }
        }
    }
}

/// Weighted max-min fair sharing of a node's cores, each with a run queue of its own.
enum PerCoreShare {
    /// Rates on a node whose cores have a run queue each: on each core, the instances with tasks
    /// on it (and the background, spread evenly over the cores) share it by weight (an
    /// instance's split over its cores by its tasks' caps on each), each up to
    /// its cap there (its activities' caps on that core, at most the core, at most its group's
    /// cap: its bound, 0 while throttled); within an instance's part of a core, its activities
    /// share it equally up to their caps. `groupRate[g]` is each instance's rate over its cores
    /// (what a CPU limit's quota counts).
    ///
    /// - Complexity: O(a·(a + cores) + a log a) for a activities.
    @inline(never)
    static func fill(_ a: UnsafeMutableBufferPointer<ShareActivity>, groupOf: UnsafePointer<Int32>, groups: Int,
                            groupCap: UnsafePointer<Double>, groupWeight: UnsafePointer<Double>, groupRate: UnsafeMutablePointer<Double>,
                            cores: Int, background: Double, factor: Double, startupFactor: Double) {
        let count = a.count
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 6 * (count + 1)) { d in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 5 * (count + 1)) { k in
                let slotCap = d.baseAddress!, slotWeight = slotCap + count + 1, slotRate = slotWeight + count + 1
                let caps = slotRate + count + 1, weights = caps + count + 1, rates = weights + count + 1
                let slotCore = k.baseAddress!, slotGroup = slotCore + count + 1, slotOf = slotGroup + count + 1
                let members = slotOf + count + 1, order = members + count + 1
                // Slots: an instance's part of one core.
                var slots = 0
                for x in 0..<count {
                    let c = a[x].core, g = groupOf[x]
                    var s = 0
                    while s < slots && (slotCore[s] != c || slotGroup[s] != g) { s += 1 }
                    if s == slots {
                        slotCore[s] = c
                        slotGroup[s] = g
                        slotCap[s] = 0
                        slotWeight[s] = groupWeight[Int(g)]
                        slots += 1
                    }
                    slotCap[s] += a[x].cap
                    slotOf[x] = Int32(s)
                }
                // An instance's weight is split over the cores it has tasks on, by its tasks'
                // caps there, as the kernel splits a group's shares over its per-core entities
                // by their load (calc_group_shares).
                for g in 0..<groups { groupRate[g] = 0 }
                for s in 0..<slots { groupRate[Int(slotGroup[s])] += slotCap[s] }
                for s in 0..<slots {
                    let g = Int(slotGroup[s])
                    if groupRate[g] > 0 { slotWeight[s] *= slotCap[s] / groupRate[g] }
                    slotCap[s] = Swift.min(slotCap[s], 1, groupCap[g])
                }
                // Each core shared by its slots (and its part of the background).
                let spread = background / Double(cores)
                for c in 0..<cores {
                    var m = 0
                    for s in 0..<slots where Int(slotCore[s]) == c {
                        members[m] = Int32(s)
                        caps[m] = slotCap[s]
                        weights[m] = slotWeight[s]
                        m += 1
                    }
                    guard m > 0 else { continue }
                    var total = m
                    if spread > 0 {
                        caps[total] = spread
                        weights[total] = spread
                        total += 1
                    }
                    FairShare.fill(capacity: 1, count: total, caps: caps, weights: weights, rates: rates, order: order)
                    for j in 0..<m { slotRate[Int(members[j])] = rates[j] }
                }
                for g in 0..<groups { groupRate[g] = 0 }
                for s in 0..<slots { groupRate[Int(slotGroup[s])] += slotRate[s] }
                // Within a slot, its activities equally.
                for s in 0..<slots {
                    ShareActivity.shareEqually(a, partOf: slotOf, part: s, capacity: slotRate[s], factor: factor, startupFactor: startupFactor,
                                               members: members, caps: caps, ones: weights, rates: rates, order: order)
                }
            }
        }
    }
}
