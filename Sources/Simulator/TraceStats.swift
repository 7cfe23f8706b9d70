import Scenario

/// What an architect looks at in a trace before choosing a plan: volume, burstiness (per-second
/// and per-minute arrivals, peak-to-mean, inter-arrival CV), tokens, targets and callers.
/// Read in one streaming pass; memory grows with the trace's time span, not its rows.
public struct TraceStats: Sendable {
    public var rows: Int64 = 0
    /// Seconds from the first row to the last.
    public var span: Double = 0
    public var perSecond: [Int64] = []
    public var perMinute: [Int64] = []
    /// Inter-arrival mean and coefficient of variation (Welford).
    public var interArrivalMean: Double = 0
    public var interArrivalCV: Double = 0
    public var inputTokens = LatencyHistogram()
    public var outputTokens = LatencyHistogram()
    /// Durations given by the trace (Azure Functions 2021), in nanoseconds.
    public var durations = LatencyHistogram()
    /// Rows per target, most first (csv traces with a target column).
    public var targets: [(name: String, rows: Int64)] = []
    public var callers = 0
    /// Prompt tokens in blocks an earlier row already had (mooncake `hash_ids`): what a prefix
    /// cache that never evicts serves. Nil for a trace without prefix ids.
    public var reusedTokens: Int64?
    public var promptTokens: Int64 = 0

    /// Per-second counts cover a trace's first 31 days (21 MB of counters at most), per-minute
    /// counts its first 10 years (42 MB); the other figures cover every row.
    static let secondBuckets = 31 * 86_400
    static let minuteBuckets = 10 * 365 * 1440

    public static func read(path: String, format: TraceSpec.Format) throws -> TraceStats {
        let reader = try TraceReader(spec: TraceSpec(format: format, path: path, resolvedPath: path), defaultTarget: 0, targetNames: [""])
        reader.seenTargets = StringTable()
        var callers = StringTable(), versions = StringTable()
        var stats = TraceStats()
        var targetRows: [Int64] = []
        var previous: Int64 = -1
        var n = 0.0, mean = 0.0, m2 = 0.0
        var last: Int64 = 0
        while let row = try reader.next(callers: &callers, versions: &versions) {
            stats.rows += 1
            let second = Int(row.offset / 1_000_000_000)
            // Counters for the span between rows, bounded: two rows ten years apart must not
            // allocate a counter for every second in between.
            if second < Self.secondBuckets {
                while stats.perSecond.count <= second { stats.perSecond.append(0) }
                stats.perSecond[second] += 1
            }
            let minute = second / 60
            if minute < Self.minuteBuckets {
                while stats.perMinute.count <= minute { stats.perMinute.append(0) }
                stats.perMinute[minute] += 1
            }
            if previous >= 0 {
                let gap = Double(row.offset - previous) / 1e9
                n += 1
                let delta = gap - mean
                mean += delta / n
                m2 += delta * (gap - mean)
            }
            previous = row.offset
            last = row.offset
            if row.service >= 0 { stats.durations.record(row.service) }
            if row.prefix >= 0 { stats.reusedTokens = (stats.reusedTokens ?? 0) + Int64(reader.lastReusedTokens) }
            stats.promptTokens += Int64(row.inputTokens)
            if row.inputTokens > 0 || row.outputTokens > 0 {
                stats.inputTokens.record(Int64(row.inputTokens))
                stats.outputTokens.record(Int64(row.outputTokens))
            }
            let t = Int(row.target)
            while targetRows.count <= t { targetRows.append(0) }
            targetRows[t] += 1
        }
        stats.span = Double(last) / 1e9
        stats.interArrivalMean = mean
        stats.interArrivalCV = n > 1 && mean > 0 ? (m2 / (n - 1)).squareRoot() / mean : 0
        let names = reader.seenTargets!.strings
        stats.targets = targetRows.enumerated().compactMap { t, count in
            count > 0 && t < names.count && !names[t].isEmpty ? (names[t], count) : nil
        }.sorted { ($1.rows, $0.name) < ($0.rows, $1.name) }
        stats.callers = callers.strings.count - 1
        return stats
    }

    static func quantile(_ values: [Int64], _ p: Double) -> Int64 {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[Swift.min(sorted.count - 1, Swift.max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))]
    }

    /// The figures as text for the terminal.
    public func describe(file: String) -> String {
        func f(_ x: Double, _ d: Int = 2) -> String { CSVNumber.fixed(x, d) }
        let meanRate = span > 0 ? Double(rows) / span : 0
        var text = "\(file): \(rows) rows over \(f(span, 1)) s (\(f(span / 60, 1)) min)\n\n"
        if span > Double(Self.secondBuckets) { text += "(per-second figures cover the first 31 days\(span / 60 > Double(Self.minuteBuckets) ? ", per-minute the first 10 years" : ""))\n" }
        text += "arrivals per second   mean \(f(meanRate))   p50 \(Self.quantile(perSecond, 50))   p99 \(Self.quantile(perSecond, 99))   max \(perSecond.max() ?? 0)"
        text += "   peak-to-mean \(f(meanRate > 0 ? Double(perSecond.max() ?? 0) / meanRate : 0))\n"
        let fullMinutes = perMinute.count > 1 ? Array(perMinute.dropLast()) : perMinute   // the last minute may be partial
        let meanMinute = fullMinutes.isEmpty ? 0 : Double(fullMinutes.reduce(0, +)) / Double(fullMinutes.count)
        text += "arrivals per minute   mean \(f(meanMinute, 1))   min \(fullMinutes.min() ?? 0)   p99 \(Self.quantile(fullMinutes, 99))   max \(fullMinutes.max() ?? 0)"
        text += "   peak-to-mean \(f(meanMinute > 0 ? Double(fullMinutes.max() ?? 0) / meanMinute : 0))\n"
        text += "inter-arrival time    mean \(f(interArrivalMean * 1000, 1)) ms   CV \(f(interArrivalCV)) (1 for Poisson; above 1 is burstier)\n"
        if inputTokens.count > 0 {
            for (label, h) in [("input tokens ", inputTokens), ("output tokens", outputTokens)] {
                let p = { (q: Double) in String(h.percentile(q) ?? 0) }
                text += "\(label)         mean \(f(h.mean ?? 0, 0))   p50 \(p(50))   p90 \(p(90))   p99 \(p(99))   max \(h.maximum)\n"
            }
        }
        if let reused = reusedTokens, promptTokens > 0 {
            text += "prefix reuse          \(f(Double(reused) / Double(promptTokens) * 100, 1)) % of prompt tokens are in blocks an earlier row had (what a prefix cache that never evicts serves)\n"
        }
        if durations.count > 0 {
            let p = { (q: Double) in f(Double(durations.percentile(q) ?? 0) / 1e9, 3) }
            text += "durations (s)         mean \(f((durations.mean ?? 0) / 1e9, 3))   p50 \(p(50))   p90 \(p(90))   p99 \(p(99))   max \(f(Double(durations.maximum) / 1e9, 3))\n"
        }
        if !targets.isEmpty {
            text += "targets               " + targets.prefix(10).map { "\($0.name) \($0.rows)" }.joined(separator: ", ")
            text += targets.count > 10 ? ", … (\(targets.count) in all)\n" : "\n"
        }
        if callers > 0 { text += "callers               \(callers)\n" }
        return text
    }
}
