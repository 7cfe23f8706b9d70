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
    /// Work left, in nanoseconds at its cap: an activity that is never held back takes
    /// exactly the time the scenario gives.
    var remaining: Double
    /// Cores it can use at once.
    var cap: Double
    /// Progress per nanosecond: its rate ÷ its cap, times the interference factor.
    var speed: Double = 1
    /// The service time's part that does not use the cores, which follows the CPU part.
    var rest: Int64
    /// When it began, and its CPU part's uncontended length (for the contention figures).
    var began: Int64
    var nominal: Int64
}

/// A node's shared cores.
struct NodeShare {
    var activities: [ShareActivity] = []
    /// Progress is booked up to here.
    var since: Int64 = 0
    /// Bumped at every change: completion events of older versions are stale.
    var version: UInt32 = 0
    /// The node generation this state belongs to.
    var nodeGeneration: UInt32 = 0
    /// Demand in force since `since` (Σ of the groups' caps, background included), in cores.
    var demand: Double = 0
}

/// Scratch space for one solve, reused (no allocation per event).
struct ShareScratch {
    var groupOf: [Int32] = []
    var groupInstance: [Int32] = []
    var groupCap: [Double] = []
    var groupWeight: [Double] = []
    var groupRate: [Double] = []
    var caps: [Double] = []
    var weights: [Double] = []
    var rates: [Double] = []
    var order: [Int32] = []
    var members: [Int32] = []
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

    public init() {}

    /// Time-average demand over capacity.
    public var demandOverCapacity: Double { capacityCoreSeconds > 0 ? demandCoreSeconds / capacityCoreSeconds : 0 }
    /// Share of the requests' service time lost to contention: the time their CPU parts took
    /// beyond the uncontended, over the uncontended service time.
    public var serviceLostShare: Double { requestService > 0 ? (requestCPUActual - requestCPUNominal) / requestService : 0 }
    /// How much longer start-ups' CPU parts took than uncontended (0: not at all).
    public var startupStretch: Double { startupCPUNominal > 0 ? startupCPUActual / startupCPUNominal - 1 : 0 }
}

/// An instance's start-up as CPU and non-CPU segments: (init, load, warmup) × (CPU part, rest).
struct StartupPlan {
    var segments: (Int64, Int64, Int64, Int64, Int64, Int64) = (0, 0, 0, 0, 0, 0)
    var next = 0
    var generation: UInt32 = 0

    func segment(_ k: Int) -> Int64 {
        switch k {
        case 0: return segments.0
        case 1: return segments.1
        case 2: return segments.2
        case 3: return segments.3
        case 4: return segments.4
        default: return segments.5
        }
    }
}

extension Simulation {
    /// The share state of node `n`, made fresh for the node's current generation.
    @inline(__always) mutating func shareNode(_ n: Int) -> Int {
        if n >= shares.count { shares.append(contentsOf: repeatElement(NodeShare(), count: n + 1 - shares.count)) }
        if shares[n].nodeGeneration != nodeGeneration[n] {
            shares[n].activities.removeAll(keepingCapacity: true)
            shares[n].nodeGeneration = nodeGeneration[n]
            shares[n].since = now
            shares[n].version &+= 1
            shares[n].demand = nodeBackground[Int(nodeType[n])]
        }
        return n
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
        shares[n].since = now
    }

    /// Adds an activity to node `n` (brought up to date first) and re-solves it.
    mutating func shareAdd(_ n: Int, _ activity: ShareActivity) {
        _ = shareNode(n)
        shareAdvance(n)
        shares[n].activities.append(activity)
        shareSolve(n)
    }

    /// Request `r` starts its service of `service` ns on instance `i` of node `n`: its CPU part
    /// goes to the node's cores, the rest follows it.
    mutating func shareRequest(_ r: Int, on i: Int, node n: Int, service: Int64, cpu: CPUWork) {
        let part = Int64((Double(service) * cpu.fraction).rounded())
        let t = Int(nodeType[n])
        contention[t].requestService += Double(service) / 1e9
        guard part > 0 else {
            req[r].serviceEnd = now + service
            events.push(time: now + service, kind: .serviceDone, subject: Int32(r), generation: req[r].generation)
            return
        }
        // Until its CPU part is done, no end of service is known (and none is pending).
        req[r].serviceEnd = Int64.max
        // Its cap is its threads: the time given is its time at that many cores. A CPU limit
        // holds the instance as a whole (its group), not each request.
        shareAdd(n, ShareActivity(instance: Int32(i), request: Int32(r), generation: req[r].generation, remaining: Double(part),
                                  cap: cpu.threads, rest: service - part, began: now, nominal: part))
    }

    /// Solves node `n`'s rates and schedules its next completion.
    mutating func shareSolve(_ n: Int) {
        let type = Int(nodeType[n])
        let capacity = nodeCores[type]
        let background = nodeBackground[type]
        let count = shares[n].activities.count
        shares[n].version &+= 1
        guard count > 0 else {
            shares[n].demand = background
            return
        }
        var s = shareScratch
        shareScratch = ShareScratch()   // held apart while in use: no copy-on-write of its arrays
        defer { shareScratch = s }
        // Groups: one per instance (its activities' caps together, under its limit), and the
        // background load.
        s.groupInstance.removeAll(keepingCapacity: true)
        s.groupCap.removeAll(keepingCapacity: true)
        s.groupWeight.removeAll(keepingCapacity: true)
        s.groupOf.removeAll(keepingCapacity: true)
        shares[n].activities.withUnsafeBufferPointer { a in
            for k in 0..<count {
                let i = a[k].instance
                var g = 0
                while g < s.groupInstance.count && s.groupInstance[g] != i { g += 1 }
                if g == s.groupInstance.count {
                    s.groupInstance.append(i)
                    s.groupCap.append(0)
                    s.groupWeight.append(modelCPUWeight[Int(inst[Int(i)].model)])
                }
                s.groupCap[g] += a[k].cap
                s.groupOf.append(Int32(g))
            }
        }
        let groups = s.groupInstance.count
        var demand = background
        var limited = false
        for g in 0..<groups {
            let limit = modelCPULimit[Int(inst[Int(s.groupInstance[g])].model)]
            if limit < s.groupCap[g] {
                s.groupCap[g] = limit
                limited = true
            }
            demand += s.groupCap[g]
        }
        shares[n].demand = demand
        let acts = shares[n].activities.count
        if demand <= capacity {
            // Within the node's cores: every activity at its cap, unless its instance's limit
            // holds it (then the instance's activities share the limit).
            shares[n].activities.withUnsafeMutableBufferPointer { a in
                for k in 0..<acts { a[k].speed = 1 }
            }
            if limited { shareWithinGroups(n, &s, groupRates: s.groupCap, factor: 1) }
        } else {
            // Oversubscribed: the groups (and the background) share the cores by weight.
            let total = groups + (background > 0 ? 1 : 0)
            s.caps.removeAll(keepingCapacity: true)
            s.weights.removeAll(keepingCapacity: true)
            s.caps.append(contentsOf: s.groupCap)
            s.weights.append(contentsOf: s.groupWeight)
            if background > 0 { s.caps.append(background); s.weights.append(background) }
            if s.groupRate.count < total { s.groupRate.append(contentsOf: repeatElement(0, count: total - s.groupRate.count)) }
            s.caps.withUnsafeBufferPointer { caps in
                s.weights.withUnsafeBufferPointer { weights in
                    s.groupRate.withUnsafeMutableBufferPointer { rates in
                        FairShare.fill(capacity: capacity, count: total, caps: caps.baseAddress!, weights: weights.baseAddress!,
                                       rates: rates.baseAddress!, order: &s.order)
                    }
                }
            }
            // Interference: what fair sharing misses (caches, memory bandwidth) slows every
            // activity while the node is oversubscribed (contention.md, OpenDC's model).
            let excess: Double = Swift.max(0, demand / capacity - 1)
            let factor: Double = 1 / (1 + nodeInterference[type] * excess)
            shareWithinGroups(n, &s, groupRates: s.groupRate, factor: factor)
        }
        // The next completion on this node.
        var next = Int64.max
        shares[n].activities.withUnsafeBufferPointer { a in
            for k in 0..<acts where a[k].speed > 0 {
                let left: Double = Swift.max(0, a[k].remaining) / a[k].speed
                let due = now + Int64(left.rounded(.up))
                if due < next { next = due }
            }
        }
        if next < Int64.max {
            events.push(time: next, kind: .shareDone, subject: Int32(n), generation: shares[n].version)
        }
    }

    /// Within each group, its rate shared equally by its activities, each up to its cap.
    mutating func shareWithinGroups(_ n: Int, _ s: inout ShareScratch, groupRates: [Double], factor: Double) {
        let acts = shares[n].activities.count
        for g in 0..<s.groupInstance.count {
            s.members.removeAll(keepingCapacity: true)
            for k in 0..<acts where Int(s.groupOf[k]) == g { s.members.append(Int32(k)) }
            let m = s.members.count
            s.caps.removeAll(keepingCapacity: true)
            s.weights.removeAll(keepingCapacity: true)
            for k in s.members { s.caps.append(shares[n].activities[Int(k)].cap); s.weights.append(1) }
            if s.rates.count < m { s.rates.append(contentsOf: repeatElement(0, count: m - s.rates.count)) }
            s.caps.withUnsafeBufferPointer { caps in
                s.weights.withUnsafeBufferPointer { weights in
                    s.rates.withUnsafeMutableBufferPointer { rates in
                        FairShare.fill(capacity: groupRates[g], count: m, caps: caps.baseAddress!, weights: weights.baseAddress!,
                                       rates: rates.baseAddress!, order: &s.order)
                    }
                }
            }
            for j in 0..<m {
                let k = Int(s.members[j])
                let cap = shares[n].activities[k].cap
                shares[n].activities[k].speed = (s.rates[j] >= cap ? 1 : s.rates[j] / cap) * factor
            }
        }
    }

    /// Node `n`'s next completion came: activities whose work is done leave, and what follows
    /// them happens (a request's rest of service, or its end; a start-up's next segment).
    mutating func shareDone(_ event: Event) throws {
        let n = Int(event.subject)
        guard n < shares.count, shares[n].version == event.generation, shares[n].nodeGeneration == nodeGeneration[n] else { return }
        shareAdvance(n)
        var done = shareScratch.done
        shareScratch.done = []
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
        shareSolve(n)
        let t = Int(nodeType[n])
        for a in done {
            if a.request >= 0 {
                let r = Int(a.request)
                guard req[r].generation == a.generation, req[r].serviceEnd == Int64.max, req[r].instance == a.instance else { continue }
                contention[t].requestCPUNominal += Double(a.nominal) / 1e9
                contention[t].requestCPUActual += Double(now - a.began) / 1e9
                if a.rest > 0 {
                    req[r].serviceEnd = now + a.rest
                    events.push(time: now + a.rest, kind: .serviceDone, subject: Int32(r), generation: req[r].generation)
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
        shareScratch.done = done
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
        shareSolve(n)
        return Int64(Swift.max(0, a.remaining).rounded()) + a.rest
    }

    /// Takes instance `i`'s start-up off its node (it was stopped before it was ready).
    mutating func shareDrop(startupOf i: Int) {
        let n = Int(inst[i].node)
        guard n >= 0, n < shares.count, shares[n].nodeGeneration == nodeGeneration[n] else { return }
        guard let k = shares[n].activities.firstIndex(where: { $0.request < 0 && $0.instance == Int32(i) }) else { return }
        shareAdvance(n)
        shares[n].activities.remove(at: k)
        shareSolve(n)
    }

    /// Books a node's figures up to now (before it stops, and at the end of the run).
    mutating func shareClose(_ n: Int) {
        guard n < shares.count, shares[n].nodeGeneration == nodeGeneration[n] else { return }
        shareAdvance(n)
    }

    // MARK: Start-ups

    /// Instance `i` (on node `n`) starts after its image is on the node at `pulled`: its init,
    /// load and warm-up run as CPU parts on the node's cores and rests that are not.
    mutating func shareStartup(_ i: Int, node n: Int, cpu: CPUWork, pulled: Int64, initTime: Int64, load: Int64, warmup: Int64) {
        func split(_ t: Int64, _ f: Double) -> (Int64, Int64) {
            let part = Int64((Double(t) * f).rounded())
            return (part, t - part)
        }
        let a = split(initTime, cpu.initFraction), b = split(load, cpu.loadFraction), c = split(warmup, cpu.warmupFraction)
        while i >= startupPlans.count { startupPlans.append(StartupPlan()) }
        startupPlans[i] = StartupPlan(segments: (a.0, a.1, b.0, b.1, c.0, c.1), next: 0, generation: inst[i].generation)
        if pulled > now {
            events.push(time: pulled, kind: .startupSegment, subject: Int32(i), generation: inst[i].generation)
        } else {
            startupAdvance(i)
        }
    }

    /// The start-up's next segment begins (or, after the last, the instance is ready).
    mutating func startupAdvance(_ i: Int) {
        guard i < startupPlans.count, startupPlans[i].generation == inst[i].generation else { return }
        while startupPlans[i].next < 6 {
            let k = startupPlans[i].next
            let length = startupPlans[i].segment(k)
            startupPlans[i].next += 1
            guard length > 0 else { continue }
            if k % 2 == 0 {
                let n = Int(inst[i].node)
                let m = Int(inst[i].model)
                let cap = modelCPU[m]?.startupThreads ?? 1
                shareAdd(n, ShareActivity(instance: Int32(i), request: -1, generation: inst[i].generation, remaining: Double(length),
                                          cap: cap, rest: 0, began: now, nominal: length))
            } else {
                events.push(time: now + length, kind: .startupSegment, subject: Int32(i), generation: inst[i].generation)
            }
            return
        }
        events.push(time: now, kind: .instanceReady, subject: Int32(i), generation: inst[i].generation)
    }
}
