/// Billing arithmetic, kept apart so that hand-computed cases can test it directly.
public enum BillingMath {
    /// Billed seconds of a node that ran `seconds`: rounded up to the increment, at least the
    /// minimum. EC2 Linux: increment 1 s, minimum 60 s.
    public static func billedSeconds(_ seconds: Double, increment: Double, minimum: Double) -> Double {
        let rounded = (seconds / increment).rounded(.up) * increment
        return Swift.max(rounded, minimum)
    }

    /// Cost of a node that ran `seconds` at `pricePerHour`.
    public static func nodeCost(seconds: Double, pricePerHour: Double, increment: Double, minimum: Double) -> Double {
        billedSeconds(seconds, increment: increment, minimum: minimum) * pricePerHour / 3600
    }

    /// Provider (Lambda-like) cost of one invocation or init phase lasting `nanoseconds`:
    /// duration rounded up to the granularity × GB × price per GB-s (+ GPU-s where priced).
    public static func providerDurationCost(nanoseconds: Int64, granularity: Double, memoryGB: Double,
                                            perGBSecond: Double, gpus: Int, perGPUSecond: Double) -> Double {
        let unit = Swift.max(Int64((granularity * 1e9).rounded()), 1)
        let billed = Double((nanoseconds + unit - 1) / unit * unit) / 1e9
        return billed * (memoryGB * perGBSecond + Double(gpus) * perGPUSecond)
    }
}
