/// The "hybrid histogram" keep-alive policy of Azure Functions (Shahrad et al., "Serverless in
/// the Wild", USENIX ATC 2020), for one application (model): a histogram of idle times (time
/// from the end of one execution to the next invocation) in 1-minute bins over 4 hours gives
/// a pre-warm window (unload after the execution, load again just before the next invocation
/// is due) and a keep-alive window.
///
/// Parameters and rules as in shared/reference/autoscalers.md §5.1 (cross-checked there
/// between Shilkov's author-reviewed summary and the dslab and SPES reproductions): head =
/// 5th percentile, tail = 99th, 10 % margin, histogram used only when its bin counts have a
/// coefficient of variation ≥ 2 and enough samples, else the standard window (no pre-warm,
/// keep alive for the whole 4 h range). The ARIMA branch for applications whose idle times
/// mostly exceed the range is not modelled: they get the standard window.
public struct HybridHistogram: Sendable, Equatable {
    public struct Parameters: Sendable, Equatable {
        /// Bin width (1 min) and number of bins (4 h).
        public var binWidth = TimeSpan.seconds(60)
        public var bins = 240
        /// Percentiles of the pre-warm ("head") and keep-alive ("tail") cut-offs.
        public var head = 0.05
        public var tail = 0.99
        public var margin = 0.10
        /// Bin-count coefficient of variation at which the histogram is trusted.
        public var cvThreshold = 2.0
        /// Idle times needed before the histogram is trusted (the reference marks the exact
        /// rule unconfirmed: SPES uses more than 3, an OpenWhisk reproduction more than 10).
        public var minimumSamples = 10
        public init() {}
    }

    public let parameters: Parameters
    var counts: [Int]
    public private(set) var samples = 0
    public private(set) var outOfBounds = 0

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
        counts = [Int](repeating: 0, count: parameters.bins)
    }

    /// Records one idle time.
    public mutating func record(idle: TimeSpan) {
        let bin = Int(idle.nanoseconds / parameters.binWidth.nanoseconds)
        if bin < parameters.bins { counts[bin] += 1; samples += 1 } else { outOfBounds += 1 }
    }

    /// The windows after an execution ends: unload for `preWarm` (zero: stay loaded), then
    /// stay loaded for `keepAlive`.
    public func windows() -> (preWarm: TimeSpan, keepAlive: TimeSpan) {
        let p = parameters
        let range = TimeSpan(nanoseconds: p.binWidth.nanoseconds * Int64(p.bins))
        guard samples >= p.minimumSamples, outOfBounds < samples else { return (.zero, range) }
        let mean = Double(samples) / Double(p.bins)
        var variance = 0.0
        for c in counts { variance += (Double(c) - mean) * (Double(c) - mean) }
        let cv = (variance / Double(p.bins)).squareRoot() / mean
        guard cv >= p.cvThreshold else { return (.zero, range) }
        let headBin = percentileBin(p.head), tailBin = percentileBin(p.tail)
        let width = Double(p.binWidth.nanoseconds)
        let preWarm = Int64(Double(headBin) * width * (1 - p.margin))
        // The keep-alive ends after the tail bin's upper edge plus the margin (dslab's rule).
        let end = Int64(Double(tailBin + 1) * width * (1 + p.margin))
        return (TimeSpan(nanoseconds: preWarm), TimeSpan(nanoseconds: end - preWarm))
    }

    /// The bin holding the given fraction of the samples (nearest rank).
    func percentileBin(_ q: Double) -> Int {
        let rank = Swift.max(1, Int((q * Double(samples)).rounded(.up)))
        var seen = 0
        for (b, c) in counts.enumerated() {
            seen += c
            if seen >= rank { return b }
        }
        return counts.count - 1
    }
}
