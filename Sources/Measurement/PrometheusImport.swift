import Foundation
import Scenario
import Runtime

/// Traffic and latency from a Prometheus server, as a scenario's workload and service time.
///
/// Reads `/api/v1/query_range` (Prometheus HTTP API): a request-rate query (one series, requests
/// per second) becomes a `counts` workload source — the rate at the end of each step times the
/// step, the arrivals of that step, with the fractions carried so the total is kept — and a
/// latency histogram query (series labelled `le`, as `sum by (le) (rate(…_bucket[…]))` gives)
/// becomes an empirical distribution: the buckets summed over the range, then quantiles
/// interpolated linearly within buckets as `histogram_quantile` does (prometheus/promql
/// `quantile.go`: the lowest bucket starts at 0, a quantile in the +Inf bucket is the highest
/// finite bound).
public struct PrometheusImport {
    /// One series of a range query: its labels and its (time, value) points.
    public struct Series: Sendable, Equatable {
        public var labels: [String: String]
        public var points: [(time: Double, value: Double)]
        public static func == (a: Series, b: Series) -> Bool {
            a.labels == b.labels && a.points.map(\.time) == b.points.map(\.time) && a.points.map(\.value) == b.points.map(\.value)
        }
    }

    public let server: LoadTarget
    public let url: String

    public init(url: String) throws {
        server = try LoadTarget(url: url)
        self.url = url
    }

    /// Prometheus refuses a range query of more than 11,000 points per series
    /// (`web/api/v1/api.go`, "exceeded maximum resolution of 11,000 points per timeseries").
    public static let maxPoints = 11_000

    /// The series `query` gives from `start` to `end` every `step` seconds (Unix times).
    public func queryRange(_ query: String, start: Double, end: Double, step: Double, what: String) throws -> [Series] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        func enc(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s }
        let target = server.pathPrefix + "/api/v1/query_range?query=" + enc(query) + "&start=" + ValueReaderBridge.show(start)
            + "&end=" + ValueReaderBridge.show(end) + "&step=" + ValueReaderBridge.show(step)
        let client = HTTPClient(address: server.address, keep: 0)
        let outcome = client.call(HTTPRequest(method: "GET", target: target), deadline: MonotonicClock.nanoseconds() + 60_000_000_000, connectTimeout: 5)
        let response: HTTPResponse
        switch outcome {
        case let .answered(r): response = r
        case let .failed(why): throw LoadError.data("cannot reach Prometheus at \(url): \(why); is the server running?")
        case .timedOut: throw LoadError.data("Prometheus at \(url) did not answer the \(what) query within 60 s")
        }
        let body = String(decoding: response.body, as: UTF8.self)
        guard let root = try? JSONReader.parse(body, file: "(answer)"), case .object = root.value else {
            throw LoadError.data("Prometheus at \(url) answered the \(what) query with HTTP \(response.status) and no JSON (\(body.prefix(120))): is it a Prometheus server?")
        }
        func string(_ key: String) -> String? {
            if case let .string(s)? = root.member(key)?.value { return s }
            return nil
        }
        guard string("status") == "success" else {
            throw LoadError.data("Prometheus at \(url) refused the \(what) query \"\(query)\" (HTTP \(response.status), \(string("errorType") ?? "error")): \(string("error") ?? body.prefix(200).description)")
        }
        guard let data = root.member("data"), case .string("matrix")? = data.member("resultType")?.value,
              case let .array(result)? = data.member("result")?.value else {
            throw LoadError.data("Prometheus at \(url) answered the \(what) query without a range result: expected data.resultType \"matrix\" and data.result")
        }
        return result.map { item in
            var labels: [String: String] = [:]
            if case let .object(members)? = item.member("metric")?.value {
                for m in members { if case let .string(v) = m.value.value { labels[m.key] = v } }
            }
            var points: [(Double, Double)] = []
            if case let .array(values)? = item.member("values")?.value {
                for v in values {
                    guard case let .array(pair) = v.value, pair.count == 2, case let .number(t) = pair[0].value, case let .string(x) = pair[1].value else { continue }
                    points.append((t, Double(x) ?? .nan))
                }
            }
            return Series(labels: labels, points: points)
        }
    }

    /// Arrivals per step from a rate series: step j, [start + j·step, start + (j + 1)·step),
    /// takes the rate at its end times the step (a `rate(…[step])` at that time covers it);
    /// fractions are carried to the next step, so the counts add up to the integral. Missing
    /// or NaN points count as 0; how many there were is returned.
    public static func counts(_ series: Series, start: Double, end: Double, step: Double) -> (counts: [Int64], missing: Int) {
        let n = Int(((end - start) / step).rounded(.down))
        var byTime: [Int: Double] = [:]
        for p in series.points { byTime[Int(((p.time - start) / step).rounded())] = p.value }
        var counts: [Int64] = []
        var carried = 0.0
        var emitted: Int64 = 0
        var missing = 0
        for j in 0..<n {
            var rate = byTime[j + 1] ?? .nan
            if !rate.isFinite || rate < 0 { missing += 1; rate = 0 }
            carried += rate * step
            let total = Int64(carried.rounded())
            counts.append(Swift.max(0, total - emitted))
            emitted = Swift.max(emitted, total)
        }
        return (counts, missing)
    }

    /// The percentiles written for a latency histogram.
    public static let percentiles: [Double] = [0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100]

    /// An empirical distribution (percentile → seconds) from bucket series (label `le`),
    /// each summed over its points.
    public static func distribution(_ series: [Series], what: String) throws -> [EmpiricalPoint] {
        var buckets: [(le: Double, count: Double)] = []
        for s in series {
            guard let le = s.labels["le"] else {
                throw LoadError.data("the \(what) query gave a series without an \"le\" label (\(s.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ","))): expected a histogram's _bucket series summed by le, e.g. sum by (le) (rate(x_bucket[5m]))")
            }
            guard let bound = le == "+Inf" ? Double.infinity : Double(le) else {
                throw LoadError.data("the \(what) query gave a bucket le=\"\(le)\", which is not a number")
            }
            if buckets.contains(where: { $0.le == bound }) {
                throw LoadError.data("the \(what) query gave two series for le=\"\(le)\": expected one per bucket, as sum by (le) (…) gives")
            }
            buckets.append((bound, s.points.reduce(0) { $1.value.isFinite ? $0 + $1.value : $0 }))
        }
        buckets.sort { $0.le < $1.le }
        guard let last = buckets.last, last.le == .infinity else {
            throw LoadError.data("the \(what) histogram has no le=\"+Inf\" bucket, which histogram_quantile needs for the total")
        }
        guard buckets.count >= 2 else { throw LoadError.data("the \(what) histogram has only the +Inf bucket: its quantiles are unknown") }
        // Cumulative counts must not decrease (rates of separate series can jitter).
        for k in 1..<buckets.count { buckets[k].count = Swift.max(buckets[k].count, buckets[k - 1].count) }
        let total = last.count
        guard total > 0 else { throw LoadError.data("the \(what) histogram is empty over the range: no request was observed") }
        /// `bucketQuantile` (prometheus/promql/quantile.go): the first bucket whose count
        /// reaches the rank, linear within it from the bound below (0 for the lowest); in the
        /// +Inf bucket, the highest finite bound. The 0th percentile, where that formula
        /// divides 0 by an empty bucket's 0, is the lower edge of the first non-empty bucket.
        func quantile(_ q: Double) -> Double {
            if q == 0 {
                let k = buckets.firstIndex { $0.count > 0 }!
                return k == 0 ? 0 : buckets[k - 1].le
            }
            let rank = q * total
            let b = buckets.dropLast().firstIndex { $0.count >= rank } ?? buckets.count - 1
            if b == buckets.count - 1 { return buckets[buckets.count - 2].le }
            if b == 0 && buckets[0].le <= 0 { return buckets[0].le }
            let lower = b > 0 ? buckets[b - 1].le : 0
            let below = b > 0 ? buckets[b - 1].count : 0
            return lower + (buckets[b].le - lower) * (rank - below) / (buckets[b].count - below)
        }
        var points: [EmpiricalPoint] = []
        for p in percentiles {
            let v = quantile(p / 100)
            points.append(EmpiricalPoint(percentile: p, value: Swift.max(v, points.last?.value ?? 0)))
        }
        return points
    }
}

extension PrometheusImport {
    /// What an import changes in a scenario, and what it noticed.
    public struct Edit: Sendable {
        public var root: JSONNode
        public var changes: [String] = []
        public var notes: [String] = []
    }

    /// The scenario `root` with target `t`'s traffic replaced by `counts` (a `counts` source
    /// of `step` seconds), its duration set to the range's, and — with `latency` — the model's
    /// service time set to the measured distribution.
    public static func edit(_ root: JSONNode, scenario: Scenario, target t: TargetRef, counts: [Int64], step: Double, spread: String,
                            latency: [EmpiricalPoint]?) throws -> Edit {
        let target = scenario.targetNames[t.index]
        var edit = Edit(root: root)
        let source = JSONNode.object([("kind", .string("counts")), ("target", .string(target)), ("interval", .string(ValueReaderBridge.seconds(step))),
                                      ("counts", .array(counts.map { .number(Double($0)) })), ("spread", .string(spread))])
        var items: [JSONNode] = []
        if case let .array(a)? = root.member("workload")?.value { items = a }
        var kept: [JSONNode] = []
        var placed = false
        for (k, item) in items.enumerated() {
            if case .string(target)? = item.member("target")?.value {
                var kind = "?"
                if case let .string(s)? = item.member("kind")?.value { kind = s }
                edit.changes.append("workload[\(k)] (\(kind), target \(target)) replaced by the measured counts")
                if !placed { kept.append(source); placed = true }
                continue
            }
            if item.member("mix") != nil || item.member("target") == nil, case .string(let kind)? = item.member("kind")?.value, kind != "training" {
                edit.notes.append("workload[\(k)] (\(kind)) may also send requests to \(target) (a mix or a trace's own targets): kept as it is")
            }
            kept.append(item)
        }
        if !placed {
            kept.append(source)
            edit.changes.append("workload[\(kept.count - 1)]: the measured counts of \(target) added")
        }
        edit.root = edit.root.setting(.array(kept), at: ["workload"])
        let duration = Double(counts.count) * step
        if abs(duration - scenario.duration) > 1e-9 {
            edit.changes.append("duration: \(ValueReaderBridge.seconds(scenario.duration)) → \(ValueReaderBridge.seconds(duration)), the range imported")
            edit.root = edit.root.setting(.string(ValueReaderBridge.seconds(duration)), at: ["duration"])
        }
        if let latency {
            guard t.index < scenario.models.count else {
                throw ScenarioError(file: scenario.file, path: "--target", message: "\"\(target)\" is a pipeline: a latency histogram becomes one model's service time, not a pipeline's",
                                    suggestion: "import each stage's latency with --target STAGE, or leave --latency out")
            }
            var percentiles: [(String, JSONNode?)] = []
            for p in latency {
                let key = p.percentile == p.percentile.rounded() ? "\(Int(p.percentile))" : "\(p.percentile)"
                percentiles.append((key, .string(ValueReaderBridge.seconds((p.value * 1e6).rounded() / 1e6))))
            }
            let dist = JSONNode.object([("dist", .string("empirical")), ("percentiles", .object(percentiles))])
            edit.root = edit.root.setting(dist, at: ["models", target, "service"])
            let median = latency.first { $0.percentile == 50 }!.value
            edit.changes.append("models.\(target).service: the measured latency distribution (median \(ValueReaderBridge.seconds((median * 1e6).rounded() / 1e6)))")
            edit.notes.append("a latency histogram includes queueing and the network: for service time alone, import a histogram the workers record")
        }
        return edit
    }

    /// A time for `--start`/`--end`: RFC 3339 (`2026-12-01T09:00:00Z`) or Unix seconds, as
    /// Prometheus's API takes them.
    public static func time(_ text: String) -> Double? {
        if let x = Double(text), x.isFinite, x >= 0 { return x }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: text) { return d.timeIntervalSince1970 }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)?.timeIntervalSince1970
    }
}
