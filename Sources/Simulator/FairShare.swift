/// Weighted max-min fair sharing of one resource (water-filling): the model SimGrid's LMM
/// solver and OpenDC's `MaxMinFlowMultiplexer` use; CloudSim's time-shared scheduler is its
/// equal-weight case (`../shared/reference/contention.md` §1).
///
/// Each claimant i has a cap bᵢ (the most it can use at once: its threads, or a CPU limit) and
/// a weight wᵢ (its CPU request, as Kubernetes turns requests into CFS weights). Its rate is
/// rᵢ = min(bᵢ, wᵢ·θ), with the level θ the largest for which Σ rᵢ ≤ C; when the caps fit
/// (Σ bᵢ ≤ C), every claimant runs at its cap.
enum FairShare {
    /// Fills `rates[k]` for the claimants `caps[k]`, `weights[k]` (k < count) on `capacity`.
    /// `order` is scratch space of at least `count` entries.
    ///
    /// - Complexity: O(n) when the caps fit, O(n log n) otherwise (n = `count`).
    static func fill(capacity: Double, count: Int, caps: UnsafePointer<Double>, weights: UnsafePointer<Double>,
                     rates: UnsafeMutablePointer<Double>, order: UnsafeMutablePointer<Int32>) {
        var demand = 0.0
        for k in 0..<count { demand += caps[k] }
        if demand <= capacity {
            for k in 0..<count { rates[k] = caps[k] }
            return
        }
        // The claimants that saturate first are those with the smallest cap per weight: in
        // that order, each either fits at its cap under the level the rest could share, or
        // the level is found and every claimant left gets its weight's share of it.
        for k in 0..<count { order[k] = Int32(k) }
        var sorted = UnsafeMutableBufferPointer(start: order, count: count)
        sorted.sort { a, b in
            let x = caps[Int(a)] * weights[Int(b)], y = caps[Int(b)] * weights[Int(a)]
            return x < y || (x == y && a < b)
        }
        var left = capacity
        var weight = 0.0
        for k in 0..<count { weight += weights[k] }
        var j = 0
        while j < count {
            let k = Int(order[j])
            guard weight > 0, caps[k] * weight <= left * weights[k] else { break }
            rates[k] = caps[k]
            left -= caps[k]
            weight -= weights[k]
            j += 1
        }
        let level = weight > 0 ? Swift.max(0, left) / weight : 0
        while j < count {
            let k = Int(order[j])
            rates[k] = Swift.min(caps[k], weights[k] * level)
            j += 1
        }
    }
}
