/// A log-linear histogram of durations in nanoseconds with a bounded relative error.
///
/// Values below 128 ns are exact; above, each power of two is split into 128 equal buckets, so
/// a bucket is at most 1/128 of its lower bound wide and a percentile read from the bucket's
/// midpoint is within 1/256 ≈ 0.39 % of a value in that bucket (the documented bound is 1 %).
/// Recording is a count-leading-zeros and an increment: no logarithm, no allocation once the
/// range of values seen has stopped widening. Only the buckets between the smallest and the
/// largest value seen are stored (typically a few thousand bytes), so thousands of targets
/// can each keep one.
public struct LatencyHistogram: Sendable {
    public static let subBucketBits = 7
    static let subBuckets = 1 << subBucketBits
    static let bucketCount = subBuckets + (63 - subBucketBits) * subBuckets

    /// Counts of buckets `offset ..< offset + counts.count`.
    @usableFromInline var counts: [Int64] = []
    @usableFromInline var offset = 0
    public private(set) var count: Int64 = 0
    public private(set) var sum: Double = 0
    public private(set) var minimum: Int64 = Int64.max
    public private(set) var maximum: Int64 = 0

    public init() {}

    @inline(__always) static func index(_ value: Int64) -> Int {
        if value < Int64(subBuckets) { return Int(Swift.max(value, 0)) }
        let shift = 63 - value.leadingZeroBitCount - subBucketBits
        // Buckets [0, 128) are exact; then 128 per power of two, indexed by the top 8 bits.
        return shift * subBuckets + Int(value >> Int64(shift))
    }

    /// The midpoint of a bucket (exact below 128 ns).
    static func representative(_ index: Int) -> Int64 {
        if index < subBuckets { return Int64(index) }
        let shift = (index - subBuckets) / subBuckets
        let sub = Int64((index - subBuckets) % subBuckets + subBuckets)
        let lower = sub << Int64(shift)
        return lower + (Int64(1) << Int64(shift)) / 2
    }

    /// Makes room for bucket `i` (rare: only when a new extreme is seen).
    mutating func widen(to i: Int) {
        if counts.isEmpty {
            offset = i
            counts = [0]
        } else if i < offset {
            counts.insert(contentsOf: repeatElement(0, count: offset - i), at: 0)
            offset = i
        } else if i >= offset + counts.count {
            counts.append(contentsOf: repeatElement(0, count: i - offset - counts.count + 1))
        }
    }

    /// Records one value.
    ///
    /// - Complexity: O(1) amortized.
    @inline(__always) public mutating func record(_ value: Int64) {
        let i = Self.index(value)
        if i < offset || i >= offset + counts.count { widen(to: i) }
        counts[i - offset] += 1
        count += 1
        sum += Double(value)
        if value < minimum { minimum = value }
        if value > maximum { maximum = value }
    }

    /// Adds another histogram's values.
    ///
    /// - Complexity: O(buckets of the other histogram).
    public mutating func merge(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        widen(to: other.offset)
        widen(to: other.offset + other.counts.count - 1)
        for k in other.counts.indices where other.counts[k] != 0 { counts[other.offset + k - offset] += other.counts[k] }
        count += other.count
        sum += other.sum
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
    }

    /// The mean in nanoseconds (exact), or nil when empty.
    public var mean: Double? { count == 0 ? nil : sum / Double(count) }

    /// The p-th percentile (0 < p ≤ 100) by nearest rank: the smallest recorded value with at
    /// least p % of the values at or below it, read from its bucket's midpoint and clamped to
    /// the exact minimum and maximum. Nil when empty.
    ///
    /// - Complexity: O(number of stored buckets).
    public func percentile(_ p: Double) -> Int64? {
        guard count > 0 else { return nil }
        let rank = Swift.max(1, Int64((p / 100 * Double(count)).rounded(.up)))
        if rank >= count { return maximum }
        var seen: Int64 = 0
        for k in counts.indices where counts[k] > 0 {
            seen += counts[k]
            if seen >= rank { return Swift.min(Swift.max(Self.representative(offset + k), minimum), maximum) }
        }
        return maximum
    }

    /// The fraction of recorded values at or below `threshold` (bucket resolution: values in
    /// the threshold's own bucket count as at or below it).
    public func fraction(atOrBelow threshold: Int64) -> Double {
        guard count > 0 else { return 0 }
        if threshold >= maximum { return 1 }
        let last = Self.index(threshold) - offset
        if last < 0 { return 0 }
        var seen: Int64 = 0
        for k in 0...Swift.min(last, counts.count - 1) { seen += counts[k] }
        return Double(seen) / Double(count)
    }

    /// The empirical CDF as (value in nanoseconds, fraction at or below), one point per
    /// non-empty bucket, thinned to at most `maxPoints` points (the last point is always kept).
    public func cdf(maxPoints: Int = 400) -> [(Int64, Double)] {
        guard count > 0 else { return [] }
        var points: [(Int64, Double)] = []
        var seen: Int64 = 0
        for k in counts.indices where counts[k] > 0 {
            seen += counts[k]
            points.append((Swift.min(Swift.max(Self.representative(offset + k), minimum), maximum), Double(seen) / Double(count)))
        }
        if points.count <= maxPoints { return points }
        let step = Double(points.count - 1) / Double(maxPoints - 1)
        return (0..<maxPoints).map { points[Int((Double($0) * step).rounded())] }
    }
}
