import SchedulerCore
import Scenario

// Start-ups on shared cores: an instance's init, load and warm-up as CPU parts on its node's
// cores (Simulation+Contention.swift) and rests that are not.

/// An instance's start-up as CPU and non-CPU segments, in order: (init, load, warmup) ×
/// (CPU part, rest). Its array is refilled in place at each start of the slot.
struct StartupPlan {
    var segments: [Int64] = []
    var next = 0
    var generation: UInt32 = 0
}

extension Simulation {
    /// Instance `i` (on node `n`) starts after its image is on the node at `pulled`: its init,
    /// load and warm-up run as CPU parts on the node's cores and rests that are not.
    mutating func shareStartup(_ i: Int, node n: Int, cpu: CPUWork, pulled: Int64, initTime: Int64, load: Int64, warmup: Int64) {
        while i >= startupPlans.count { startupPlans.append(StartupPlan()) }
        startupPlans[i].segments.removeAll(keepingCapacity: true)
        for (t, f) in [(initTime, cpu.initFraction), (load, cpu.loadFraction), (warmup, cpu.warmupFraction)] {
            let part = Int64((Double(t) * f).rounded())
            startupPlans[i].segments.append(part)
            startupPlans[i].segments.append(t - part)
        }
        startupPlans[i].next = 0
        startupPlans[i].generation = inst[i].generation
        if pulled > now {
            events.push(time: pulled, kind: .startupSegment, subject: Int32(i), generation: inst[i].generation)
        } else {
            startupAdvance(i)
        }
    }

    /// The start-up's next segment begins (or, after the last, the instance is ready).
    mutating func startupAdvance(_ i: Int) {
        guard i < startupPlans.count, startupPlans[i].generation == inst[i].generation else { return }
        while startupPlans[i].next < startupPlans[i].segments.count {
            let k = startupPlans[i].next
            let length = startupPlans[i].segments[k]
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
