import SchedulerCore
import Scenario

// Shared cores: the CPU work in progress on a node — requests' CPU parts, instances' start-ups,
// background load — shares the node's vCPUs by weighted max-min fairness, two levels deep as
// CFS group scheduling does: instances (containers) by their CPU request, capped by their CPU
// limit; within an instance, its activities equally, each capped by its threads
// (`../shared/reference/contention.md`, "Recommended model"). Rates are piecewise constant
// and change only when a node's set of activities does: each node has one pending completion
// event at most (a newer version makes older ones stale), and a change touches that node
// only. Runs in which no model declares `cpu` never come here.

/// A piece of CPU work in progress on a node.
struct ShareActivity {
    /// The instance slot it runs in: its group (the container whose weight and limit it shares).
    var instance: Int32
    /// The request slot of a request's CPU part, or -1 for the instance's start-up.
    var request: Int32
    /// The request's (or, for a start-up, the instance's) generation when it began.
    var generation: UInt32
    /// The core whose run queue it waits on (node types with run queues per core only); in
    /// the padding after `generation`, so the activity stays 80 bytes.
    var core: Int32 = 0
    /// Work left, in nanoseconds at its cap: an activity that is never held back takes
    /// exactly the time the scenario gives.
    var remaining: Double
    /// Cores it can use at once.
    var cap: Double
    /// Progress per nanosecond: its rate ÷ its cap, times the interference factor.
    var speed: Double = 1
    /// Cores it uses (what a CPU limit's quota counts).
    var rate: Double = 0
    /// The service time's GPU part, which follows the CPU part (0: none shared), and the
    /// part that uses neither, which follows that.
    var gpu: Int64 = 0
    var rest: Int64
    /// When it began, and its CPU part's uncontended length (for the contention figures).
    var began: Int64
    var nominal: Int64
}

extension ShareActivity {
    /// Shares `capacity` equally among the activities whose `partOf` is `part` (an instance,
    /// or its part of one core), each up to its cap, and sets their rates and speeds (times
    /// the interference factor of an activity's kind). `members`, `caps`, `ones`, `rates` and
    /// `order` are scratch space of at least `a.count` entries.
    ///
    /// - Complexity: O(a + m log m) for m members.
    @inline(__always)
    static func shareEqually(_ a: UnsafeMutableBufferPointer<ShareActivity>, partOf: UnsafePointer<Int32>, part: Int, capacity: Double,
                             factor: Double, startupFactor: Double, members: UnsafeMutablePointer<Int32>, caps: UnsafeMutablePointer<Double>,
                             ones: UnsafeMutablePointer<Double>, rates: UnsafeMutablePointer<Double>, order: UnsafeMutablePointer<Int32>) {
        var m = 0
        for x in 0..<a.count where Int(partOf[x]) == part {
            members[m] = Int32(x)
            caps[m] = a[x].cap
            ones[m] = 1
            m += 1
        }
        FairShare.fill(capacity: capacity, count: m, caps: caps, weights: ones, rates: rates, order: order)
        for j in 0..<m {
            let x = Int(members[j])
            a[x].rate = rates[j]
            a[x].speed = (rates[j] >= caps[j] ? 1 : rates[j] / caps[j]) * (a[x].request < 0 ? startupFactor : factor)
        }
    }
}

/// A node's shared cores.
struct NodeShare {
    var activities: [ShareActivity] = []
    /// Progress is booked up to here.
    var since: Int64 = 0
    /// The version of the one live completion event: events of other versions are stale.
    var version: UInt32 = 0
    /// When the live completion event is due (Int64.max: none). A change that only moves the
    /// next completion later keeps it (it then wakes early and finds nothing done), so most
    /// changes push no event.
    var pendingAt = Int64.max
    /// The node generation this state belongs to.
    var nodeGeneration: UInt32 = 0
    /// Demand in force since `since` (Σ of the groups' caps, background included), in cores.
    var demand: Double = 0
    /// When the rates change other than by an activity's completion: a limited instance's
    /// quota spent or its period ending, a boost ending (Int64.max: never).
    var changeAt = Int64.max
    /// Instances throttled since `since`, and whether any instance on it has a CPU limit.
    var throttled: Int32 = 0
    var metered = false
}

/// The activities a completion event found done, reused between events.
final class ShareScratch {
    var done: [ShareActivity] = []
}

/// What contention did on one node type over a run.
public struct ContentionStats: Sendable, Equatable {
    /// ∫ demand dt and ∫ cores dt over the nodes' live time (core-seconds).
    public var demandCoreSeconds = 0.0
    public var capacityCoreSeconds = 0.0
    /// Requests' CPU parts: their uncontended and actual time, and the requests' whole
    /// uncontended service time (seconds).
    public var requestCPUNominal = 0.0
    public var requestCPUActual = 0.0
    public var requestService = 0.0
    /// Start-ups' CPU parts: uncontended and actual (seconds).
    public var startupCPUNominal = 0.0
    public var startupCPUActual = 0.0
    /// Time instances with work in progress were throttled by their CPU limit (instance-
    /// seconds, cgroup `cpu.stat`'s throttled time), and in how many periods.
    public var throttledSeconds = 0.0
    public var throttledPeriods = 0
    /// Requests' GPU parts on shared GPUs: uncontended and actual (seconds).
    public var gpuNominal = 0.0
    public var gpuActual = 0.0

    public init() {}

    /// Time-average demand over capacity.
    public var demandOverCapacity: Double { capacityCoreSeconds > 0 ? demandCoreSeconds / capacityCoreSeconds : 0 }
    /// Share of the requests' service time lost to contention: the time their CPU parts took
    /// beyond the uncontended, over the uncontended service time.
    public var serviceLostShare: Double { requestService > 0 ? (requestCPUActual - requestCPUNominal) / requestService : 0 }
    /// How much longer start-ups' CPU parts took than uncontended (0: not at all).
    public var startupStretch: Double { startupCPUNominal > 0 ? startupCPUActual / startupCPUNominal - 1 : 0 }
    /// How much longer requests' GPU parts took on shared GPUs than on a GPU of their own.
    public var gpuStretch: Double { gpuNominal > 0 ? gpuActual / gpuNominal - 1 : 0 }
}

extension Simulation {
    /// Makes node `n`'s share state fresh for the node's current generation (its cores count
    /// from now).
    @inline(__always) mutating func shareOpen(_ n: Int) {
        if n >= shares.count { shares.append(contentsOf: repeatElement(NodeShare(), count: n + 1 - shares.count)) }
        if shares[n].nodeGeneration != nodeGeneration[n] {
            shares[n].activities.removeAll(keepingCapacity: true)
            shares[n].nodeGeneration = nodeGeneration[n]
            shares[n].since = now
            shares[n].version &+= 1
            shares[n].pendingAt = Int64.max
            shares[n].demand = nodeBackground[Int(nodeType[n])]
        }
    }

    /// Books progress and the node's figures up to now.
    @inline(__always) mutating func shareAdvance(_ n: Int) {
        let dt = now - shares[n].since
        guard dt > 0 else { return }
        let t = Int(nodeType[n])
        contention[t].demandCoreSeconds += shares[n].demand * Double(dt) / 1e9
        contention[t].capacityCoreSeconds += nodeCores[t] * Double(dt) / 1e9
        let d = Double(dt)
        shares[n].activities.withUnsafeMutableBufferPointer { a in
            for k in a.indices { a[k].remaining -= a[k].speed * d }
        }
        if shares[n].metered {
            quotaSpend(n)
            contention[t].throttledSeconds += Double(shares[n].throttled) * Double(dt) / 1e9
        }
        shares[n].since = now
    }

    /// Adds an activity to node `n` (brought up to date first) and re-solves it.
    mutating func shareAdd(_ n: Int, _ activity: ShareActivity) {
        shareOpen(n)
        shareAdvance(n)
        var activity = activity
        if hasRunQueuePerCore(n) { activity.core = shareCore(n, for: activity) }
        shares[n].activities.append(activity)
        shareSolve(n)
    }

    /// Request `r` starts its service of `service` ns on instance `i` of node `n`: its CPU part
    /// goes to the node's cores, the rest follows it. False when it has no CPU part (its end
    /// of service is then scheduled as without sharing).
    mutating func shareRequest(_ r: Int, on i: Int, node n: Int, service: Int64, cpu: CPUWork) -> Bool {
        let part = Int64((Double(service) * cpu.fraction).rounded())
        contention[Int(nodeType[n])].requestService += Double(service) / 1e9
        guard part > 0 else { return false }
        let gpu = sharesGPU ? gpuPart(service, on: i) : 0
        // Until its CPU part is done, no end of service is known (and none is pending).
        req[r].serviceEnd = Int64.max
        // Its cap is its threads: the time given is its time at that many cores. A CPU limit
        // holds the instance as a whole (its group), not each request.
        shareAdd(n, ShareActivity(instance: Int32(i), request: Int32(r), generation: req[r].generation, remaining: Double(part),
                                  cap: cpu.threads, gpu: gpu, rest: service - part - gpu, began: now, nominal: part))
        return true
    }

    /// Solves node `n`'s rates and schedules its next completion.
    ///
    /// An instance's group cap is its activities' caps together, held to its `instanceThreads`
    /// (a steady bound). A CPU limit is not a steady cap: it is CFS bandwidth control, a quota
    /// of limit × period core-time per period that the group may spend at any pace; once it
    /// is spent, the group is throttled (rate 0) until the period ends (sched-bwc.rst,
    /// contention.md §2). So a group under a limit runs uncapped while it has quota, and the
    /// node's next change is the earliest of a group spending its quota and a throttled (or
    /// over-limit) group's period ending. A start-up boost multiplies the instance's weight
    /// and limit while it lasts.
    ///
    /// Scratch space is on the stack for the solve (`withUnsafeTemporaryAllocation`): no
    /// allocation, retain or exclusivity check per element, which a class or struct of arrays
    /// cost (29 % and 28 % of a contended run's time when tried).
    ///
    /// - Complexity: O(a·g + a log a) for a activities in g instances on the node.
    mutating func shareSolve(_ n: Int) {
        let type = Int(nodeType[n])
        let capacity = nodeCores[type]
        let background = nodeBackground[type]
        let count = shares[n].activities.count
        shares[n].changeAt = Int64.max
        shares[n].throttled = 0
        shares[n].metered = false
        guard count > 0 else {
            shares[n].demand = background
            return
        }
        let interference = nodeInterference[type]
        let startupInterference = nodeStartupInterference[type]
        let perCore = hasRunQueuePerCore(n)
        let limits = modelCPULimit, weights = modelCPUWeight, bounds = modelInstanceThreads
        let periods = modelCPUPeriod, boostFactor = modelBoostFactor, quotaModels = self.quotaModels
        let instances = inst
        var demand = background
        var changeAt = Int64.max
        var throttled: Int32 = 0
        var metered = false
        var newlyThrottled = 0
        let now = self.now
        quotas.withUnsafeMutableBufferPointer { q in
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 7 * count + 3) { d in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 4 * count + 1) { k in
                let groupCap = d.baseAddress!, groupWeight = groupCap + count + 1, groupRate = groupWeight + count + 1
                let caps = groupRate + count + 1, ones = caps + count, rates = ones + count, groupLimit = rates + count
                let groupOf = k.baseAddress!, groupInstance = groupOf + count, order = groupInstance + count, members = order + count + 1
                shares[n].activities.withUnsafeMutableBufferPointer { a in
                    // Groups: one per instance (its activities' caps together).
                    var groups = 0
                    for x in 0..<count {
                        let i = a[x].instance
                        var g = 0
                        while g < groups && groupInstance[g] != i { g += 1 }
                        if g == groups {
                            groupInstance[g] = i
                            groupCap[g] = 0
                            groups += 1
                        }
                        groupCap[g] += a[x].cap
                        groupOf[x] = Int32(g)
                    }
                    var held = false
                    for g in 0..<groups {
                        let i = Int(groupInstance[g])
                        let m = Int(instances[i].model)
                        var weight = weights[m], limit = limits[m]
                        if quotaModels, q[i].boostUntil > now {
                            weight *= boostFactor[m]
                            limit *= boostFactor[m]
                            if q[i].boostUntil < changeAt { changeAt = q[i].boostUntil }
                        }
                        groupWeight[g] = weight
                        groupLimit[g] = limit
                        if bounds[m] < groupCap[g] {
                            groupCap[g] = bounds[m]
                            held = true
                        }
                        if quotaModels, limit < .infinity {
                            metered = true
                            let period = periods[m]
                            let p = (now - q[i].anchor) / period
                            if p != q[i].period {
                                q[i].period = p
                                q[i].used = 0
                            }
                            // Spent (to within half a nanosecond at one core): throttled to the
                            // period's end.
                            if q[i].used >= limit * Double(period) - 0.5 {
                                groupCap[g] = 0
                                held = true
                                throttled += 1
                                let end = q[i].anchor + (p + 1) * period
                                if end < changeAt { changeAt = end }
                                if q[i].counted != p {
                                    q[i].counted = p
                                    newlyThrottled += 1
                                }
                            }
                        }
                        demand += groupCap[g]
                    }
                    // Interference, what fair sharing misses (caches, memory bandwidth), slows
                    // every activity while the node is oversubscribed (contention.md, OpenDC's
                    // model); within its cores the factors are 1.
                    let excess: Double = Swift.max(0, demand / capacity - 1)
                    let factor = 1 / (1 + interference * excess)
                    let startupFactor = factor / (1 + startupInterference * excess)
                    if perCore {
                        PerCoreShare.fill(a, groupOf: groupOf, groups: groups, groupCap: groupCap, groupWeight: groupWeight,
                                          groupRate: groupRate, cores: Int(capacity), background: background,
                                          factor: factor, startupFactor: startupFactor)
                        held = false
                    } else if demand <= capacity {
                        // Within the node's cores: every activity at its cap, unless its
                        // instance is held (its bound, or throttled).
                        for x in 0..<count {
                            a[x].speed = 1
                            if quotaModels { a[x].rate = a[x].cap }
                        }
                        for g in 0..<groups { groupRate[g] = groupCap[g] }
                    } else {
                        // Oversubscribed: the instances (and the background) share the cores by
                        // weight.
                        var total = groups
                        if background > 0 {
                            groupCap[total] = background
                            groupWeight[total] = background
                            total += 1
                        }
                        FairShare.fill(capacity: capacity, count: total, caps: groupCap, weights: groupWeight, rates: groupRate, order: order)
                        held = true
                    }
                    // Within each instance, its rate shared equally by its activities, each up
                    // to its cap.
                    if held {
                        for g in 0..<groups {
                            ShareActivity.shareEqually(a, partOf: groupOf, part: g, capacity: groupRate[g], factor: factor, startupFactor: startupFactor,
                                                       members: members, caps: caps, ones: ones, rates: rates, order: order)
                        }
                    }
                    // A group under a limit spends its quota at its rate: the node changes when
                    // it is spent, or, for a group over its limit, when the period ends (the
                    // next period would be spent too).
                    if metered {
                        for g in 0..<groups where groupLimit[g] < .infinity && groupRate[g] > 0 {
                            let i = Int(groupInstance[g])
                            let period = periods[Int(instances[i].model)]
                            let end = q[i].anchor + (q[i].period + 1) * period
                            let left = groupLimit[g] * Double(period) - q[i].used
                            let spent = now + Int64((left / groupRate[g]).rounded(.up))
                            if spent < end {
                                if spent < changeAt { changeAt = spent }
                            } else if groupRate[g] > groupLimit[g], end < changeAt {
                                changeAt = end
                            }
                        }
                    }
                }
            }
        }
        }
        shares[n].demand = demand
        shares[n].changeAt = changeAt
        shares[n].throttled = throttled
        shares[n].metered = metered
        if newlyThrottled > 0 { contention[type].throttledPeriods += newlyThrottled }
        shareSchedule(n)
    }

    /// Makes sure a completion event is due no later than node `n`'s next completion at the
    /// current rates: a new one only when the next completion is earlier than the live one.
    mutating func shareSchedule(_ n: Int) {
        var next = shares[n].changeAt
        shares[n].activities.withUnsafeBufferPointer { a in
            for k in a.indices where a[k].speed > 0 {
                let left: Double = Swift.max(0, a[k].remaining) / a[k].speed
                let due = now + Int64(left.rounded(.up))
                if due < next { next = due }
            }
        }
        guard next < shares[n].pendingAt else { return }
        // The live event, if any, is superseded.
        if shares[n].pendingAt != Int64.max { shares[n].version &+= 1 }
        shares[n].pendingAt = next
        events.push(time: next, kind: .shareDone, subject: Int32(n), generation: shares[n].version)
    }

    /// Node `n`'s next completion came: activities whose work is done leave, and what follows
    /// them happens (a request's rest of service, or its end; a start-up's next segment).
    mutating func shareDone(_ event: Event) throws {
        let n = Int(event.subject)
        guard n < shares.count, shares[n].version == event.generation, shares[n].nodeGeneration == nodeGeneration[n],
              shares[n].pendingAt == event.time else { return }
        shares[n].pendingAt = Int64.max   // consumed
        shareAdvance(n)
        // Taken out of the scratch while the handlers below may add activities, put back after.
        var done = shareScratch.done
        shareScratch.done = []
        defer { shareScratch.done = done }
        done.removeAll(keepingCapacity: true)
        var k = 0
        while k < shares[n].activities.count {
            let a = shares[n].activities[k]
            // Done when less than a nanosecond of progress is left (event times are whole ns).
            if a.remaining <= a.speed {
                done.append(a)
                shares[n].activities.remove(at: k)
            } else {
                k += 1
            }
        }
        // Nothing done (the event was kept from before a change that made the next completion
        // later) and no quota or boost change due: the rates stand, only the next completion
        // is due again.
        if done.isEmpty && now < shares[n].changeAt { return shareSchedule(n) }
        if !done.isEmpty && hasRunQueuePerCore(n) { shareBalance(n) }
        shareSolve(n)
        let t = Int(nodeType[n])
        for a in done {
            if a.request >= 0 {
                let r = Int(a.request)
                guard req[r].generation == a.generation, req[r].serviceEnd == Int64.max, req[r].instance == a.instance else { continue }
                contention[t].requestCPUNominal += Double(a.nominal) / 1e9
                contention[t].requestCPUActual += Double(now - a.began) / 1e9
                if a.gpu > 0, gpuRequest(r, on: Int(a.instance), part: a.gpu, rest: a.rest) { continue }
                if a.gpu + a.rest > 0 {
                    req[r].serviceEnd = now + a.gpu + a.rest
                    events.push(time: now + a.gpu + a.rest, kind: .serviceDone, subject: Int32(r), generation: req[r].generation)
                } else {
                    req[r].serviceEnd = now
                    try endService(r)
                }
            } else {
                let i = Int(a.instance)
                guard inst[i].generation == a.generation else { continue }
                contention[t].startupCPUNominal += Double(a.nominal) / 1e9
                contention[t].startupCPUActual += Double(now - a.began) / 1e9
                startupAdvance(i)
            }
        }
    }

    /// Takes request `r`'s CPU part off its node (its service was cut off); returns the
    /// service it did not get (ns).
    mutating func shareDrop(request r: Int) -> Int64 {
        let i = Int(req[r].instance)
        let n = Int(inst[i].node)
        guard n >= 0, n < shares.count else { return 0 }
        shareAdvance(n)
        guard let k = shares[n].activities.firstIndex(where: { $0.request == Int32(r) && $0.generation == req[r].generation }) else { return 0 }
        let a = shares[n].activities.remove(at: k)
        if hasRunQueuePerCore(n) { shareBalance(n) }
        shareSolve(n)
        return Int64(Swift.max(0, a.remaining).rounded()) + a.gpu + a.rest
    }

    /// Takes instance `i`'s start-up off its node (it was stopped before it was ready).
    mutating func shareDrop(startupOf i: Int) {
        let n = Int(inst[i].node)
        guard n >= 0, n < shares.count, shares[n].nodeGeneration == nodeGeneration[n] else { return }
        guard let k = shares[n].activities.firstIndex(where: { $0.request < 0 && $0.instance == Int32(i) }) else { return }
        shareAdvance(n)
        shares[n].activities.remove(at: k)
        if hasRunQueuePerCore(n) { shareBalance(n) }
        shareSolve(n)
    }

    /// Books a node's figures up to now (before it stops, and at the end of the run).
    mutating func shareClose(_ n: Int) {
        guard n < shares.count, shares[n].nodeGeneration == nodeGeneration[n] else { return }
        shareAdvance(n)
    }

    /// The GPU part of a `service` of ns on instance `i`: its model's GPU fraction when the
    /// instance is on a shared GPU, else 0.
    @inline(__always) func gpuPart(_ service: Int64, on i: Int) -> Int64 {
        guard i < instanceGPU.count, instanceGPU[i] >= 0 else { return 0 }
        return Int64((Double(service) * modelGPUFraction[Int(inst[i].model)]).rounded())
    }
}
