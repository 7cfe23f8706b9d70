import Scenario
import Simulator

/// The summary figures of one plan, in `SummaryMetric.names` order (nil: no value, such as a
/// latency percentile when nothing completed).
public struct SummaryRow: Sendable {
    public var plan: String
    public var policy: String
    public var values: [Double?]
    /// Rejections by reason, in `RejectReason` order (queue_full, no_capacity, throttled, quota, interrupted).
    public var rejectedByReason: [Int64]
    public var endTime: Double
    /// The engine columns (`EngineMetric.names` order), when the scenario has an engine.
    public var engineValues: [Double?]? = nil

    /// The value of a summary metric by column name.
    public func value(_ metric: String) -> Double? {
        if let k = SummaryMetric.names.firstIndex(of: metric) { return values[k] }
        if let engineValues, let k = EngineMetric.names.firstIndex(of: metric) { return engineValues[k] }
        return nil
    }
}

/// Latency columns shared by summary.csv and targets.csv: mean, p50, p90, p95, p99, p99.9, max.
enum LatencyColumns {
    static let names = ["latency_mean_s", "latency_p50_s", "latency_p90_s", "latency_p95_s", "latency_p99_s", "latency_p999_s", "latency_max_s"]

    static func values(_ h: LatencyHistogram) -> [Double?] {
        guard h.count > 0 else { return [Double?](repeating: nil, count: names.count) }
        let p = { (q: Double) -> Double? in h.percentile(q).map { Double($0) / 1e9 } }
        return [h.mean.map { $0 / 1e9 }, p(50), p(90), p(95), p(99), p(99.9), Double(h.maximum) / 1e9]
    }
}

public enum Summary {
    /// Computes the summary row of a plan result.
    public static func row(_ r: PlanResult) -> SummaryRow {
        let t = r.totals
        let requests = Double(t.requests)
        func ratio(_ a: Double, _ b: Double) -> Double? { b > 0 ? a / b : nil }
        var values: [Double?] = [Double(t.requests), Double(t.completed), Double(t.rejected), Double(t.timedOut)]
        values += LatencyColumns.values(t.latency)
        values += [
            ratio(r.waitSum, Double(t.completed)),
            Double(r.coldStarts),
            ratio(Double(r.coldStarts), requests),
            r.withinSLO.flatMap { ratio(Double($0), requests) },
            r.cost,
            ratio(r.cost * 1000, requests),
            r.nodeSeconds / 3600,
            r.gpuSeconds / 3600,
            ratio(r.busyInstanceSeconds, r.instanceSeconds),
            r.instancesMean,
            Double(r.instancesMax),
            r.nodesMean,
            Double(r.nodesMax),
            ratio(Double(t.rejected), requests),
            ratio(Double(t.timedOut), requests),
            Double(r.instanceStarts),
        ]
        let tr = r.training, during = tr.servingDuring
        values += [
            Double(tr.jobs), Double(tr.completed), Double(tr.preemptions),
            tr.started > 0 ? tr.waitSum / Double(tr.started) : nil,
            tr.gpuSeconds / 3600,
            Swift.max(0, r.gpuSeconds - tr.gpuSeconds) / 3600,
            Double(during.requests),
            r.hasSLO && during.requests > 0 ? Double(during.withinSLO) / Double(during.requests) : nil,
            during.latency.count > 0 ? during.latency.percentile(99).map { Double($0) / 1e9 } : nil,
            Swift.max(0, r.instanceSeconds - r.busyInstanceSeconds) / 3600,
            r.idleCost,
            Double(r.nodeRequestFailures),
        ]
        values += r.coldPhases.map { Optional($0) }
        values += [Double(r.spotInterruptions), Double(r.requestsInterrupted)]
        precondition(values.count == SummaryMetric.names.count)
        return SummaryRow(plan: r.plan, policy: r.policy, values: values, rejectedByReason: r.rejectedByReason, endTime: r.endTime,
                          engineValues: r.engine.map { $0.columns(seconds: r.endTime, planWide: true, cost: r.cost) })
    }
}

extension Summary {
    /// A metric of one target's or one caller's requests (`ScopedMetric.names`).
    public static func scoped(_ stats: OutcomeStats, _ metric: String, hasSLO: Bool, engine: EngineStats? = nil, endTime: Double = 0) -> Double? {
        let requests = Double(stats.requests)
        func ratio(_ a: Double, _ b: Double) -> Double? { b > 0 ? a / b : nil }
        switch metric {
        case "requests": return requests
        case "completed": return Double(stats.completed)
        case "rejected": return Double(stats.rejected)
        case "timed_out": return Double(stats.timedOut)
        case "wait_mean_s": return ratio(Double(stats.waitNanoseconds) / 1e9, Double(stats.completed))
        case "cold_starts": return Double(stats.coldStarts)
        case "cold_start_ratio": return ratio(Double(stats.coldStarts), requests)
        case "slo_attainment": return hasSLO ? ratio(Double(stats.withinSLO), requests) : nil
        case "rejected_ratio": return ratio(Double(stats.rejected), requests)
        case "timed_out_ratio": return ratio(Double(stats.timedOut), requests)
        default:
            if let k = EngineMetric.names.firstIndex(of: metric) {
                return engine.flatMap { $0.columns(seconds: endTime, planWide: false)[k] }
            }
            guard let k = LatencyColumns.names.firstIndex(of: metric) else { return nil }
            return LatencyColumns.values(stats.latency)[k]
        }
    }

    /// Whether a plan meets the SLO: at least `percentile` % of all its requests completed
    /// within the SLO latency (rejections and timeouts count as misses).
    public static func meetsSLO(_ r: PlanResult, percentile: Double) -> Bool {
        guard r.hasSLO, r.totals.requests > 0 else { return false }
        return Double(r.totals.withinSLO) / Double(r.totals.requests) >= percentile / 100
    }
}
