import SchedulerCore
import Scenario

// CPU limits as CFS bandwidth control enforces them (a quota of limit × period per period,
// then throttled to the period's end) and start-up CPU boosts: the per-instance state the
// node's solve (Simulation+Contention.swift) reads.

/// An instance's CPU-limit quota and start-up boost.
struct InstanceQuota {
    /// Its periods start at `anchor` (when it started), one every `limits.period`.
    var anchor: Int64 = 0
    /// The period `used` belongs to, and the core-nanoseconds its activities used in it.
    var period: Int64 = 0
    var used: Double = 0
    /// The last period in which it was throttled (counted once).
    var counted: Int64 = -1
    /// Its boost lasts until then (Int64.max: until ready and beyond; Int64.min: none).
    var boostUntil = Int64.min
}

extension Simulation {
    /// Instance `i` of model `m` starts on a node: its quota's periods start now; a cold
    /// start is boosted until it is ready (and then for the model's `afterReady`).
    mutating func quotaStart(_ i: Int, model m: Int, warm: Bool) {
        guard quotaModels else { return }
        while i >= quotas.count { quotas.append(InstanceQuota()) }
        quotas[i] = InstanceQuota(anchor: now, boostUntil: !warm && modelBoostFactor[m] > 1 ? Int64.max : Int64.min)
    }

    /// Instance `i` is ready: its boost lasts `afterReady` more. Nothing of it is on the
    /// node's cores now (its start-up is done), so no rate changes yet.
    mutating func boostReady(_ i: Int) {
        guard i < quotas.count, quotas[i].boostUntil == Int64.max else { return }
        quotas[i].boostUntil = now + modelBoostAfter[Int(inst[i].model)]
    }

    /// Books what node `n`'s limited instances used of their quota since the last booking.
    /// Rates were constant over it, so usage in a period that began within it counts from
    /// the period's start.
    mutating func quotaSpend(_ n: Int) {
        let since = shares[n].since, now = self.now
        let limits = modelCPULimit, periods = modelCPUPeriod, instances = inst
        quotas.withUnsafeMutableBufferPointer { q in
            shares[n].activities.withUnsafeBufferPointer { a in
                for k in a.indices {
                    let i = Int(a[k].instance)
                    let m = Int(instances[i].model)
                    guard limits[m] < .infinity else { continue }
                    let period = periods[m]
                    let p = (now - q[i].anchor) / period
                    if p != q[i].period {
                        q[i].period = p
                        q[i].used = 0
                    }
                    let from = Swift.max(since, q[i].anchor + p * period)
                    q[i].used += a[k].rate * Double(now - from)
                }
            }
        }
    }
}
