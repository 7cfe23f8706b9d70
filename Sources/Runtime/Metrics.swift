import Foundation

/// The runtime's counters, kept on the core's executor and rendered in the Prometheus text
/// exposition format (version 0.0.4).
struct Metrics {
    /// Latency buckets (seconds): Prometheus client defaults extended to a minute, since
    /// cold starts reach tens of seconds.
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    struct Histogram {
        var counts = [Int](repeating: 0, count: Metrics.buckets.count)
        var sum = 0.0
        var count = 0
        mutating func observe(_ x: Double) {
            for (k, b) in Metrics.buckets.enumerated() where x <= b { counts[k] += 1 }
            sum += x
            count += 1
        }
    }

    /// A request's end as counted: small integers, so counting on the core's executor does not
    /// hash strings. Names are looked up when the text is rendered.
    struct RequestKey: Hashable {
        var target: Int32
        /// The model (version) that served the last stage, or -1 when unversioned or unserved.
        var version: Int32
        var caller: Int32
        var outcome: Outcome
    }
    enum Outcome: UInt8, CaseIterable { case completed, rejected, timedOut
        var label: String { ["completed", "rejected", "timed_out"][Int(rawValue)] }
    }
    struct RejectionKey: Hashable { var target: Int32; var reason: UInt8 }

    var requests: [RequestKey: Int] = [:]
    var rejections: [RejectionKey: Int] = [:]
    /// By target index: latency of completed requests.
    var latency: [Histogram]

    init(targets: Int) {
        latency = [Histogram](repeating: Histogram(), count: targets)
    }
    /// model → cold starts (instances that became ready after a cold start).
    var coldStarts: [String: Int] = [:]
    /// (model, phase) → seconds.
    var coldSeconds: [[String]: Double] = [:]
    /// model → worker failures (exits, start timeouts, broken connections).
    var workerFailures: [String: Int] = [:]

    static func escape(_ v: String) -> String {
        v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func labels(_ names: [String], _ values: [String]) -> String {
        "{" + zip(names, values).map { "\($0)=\"\(escape($1))\"" }.joined(separator: ",") + "}"
    }

    static func number(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        return String(x)
    }

    /// The exposition text. Gauges of the cluster's state come from `gauges`.
    /// Names for the integer keys.
    struct Names {
        var targets: [String]
        var versions: [String]   // by model index
        var callers: [String]
        var reasons: [String]    // by RejectReason raw value
    }

    func render(names: Names, instances: [(model: String, state: String, count: Int)], nodes: [(type: String, state: String, count: Int)],
                queued: [(model: String, count: Int)], inFlight: Int) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        family("headroom_requests_total", "counter", "Requests that ended, by target, version that answered, caller and outcome (completed, rejected, timed_out).")
        let requestRows = requests.map { (k, v) in
            ([names.targets[Int(k.target)], k.version >= 0 ? names.versions[Int(k.version)] : "", names.callers[Int(k.caller)], k.outcome.label], v)
        }.sorted { $0.0.lexicographicallyPrecedes($1.0) }
        for (key, value) in requestRows {
            out += "headroom_requests_total\(Self.labels(["target", "version", "caller", "outcome"], key)) \(value)\n"
        }
        family("headroom_rejections_total", "counter", "Requests turned away, by target and reason.")
        let rejectionRows = rejections.map { (k, v) in ([names.targets[Int(k.target)], names.reasons[Int(k.reason)]], v) }
            .sorted { $0.0.lexicographicallyPrecedes($1.0) }
        for (key, value) in rejectionRows {
            out += "headroom_rejections_total\(Self.labels(["target", "reason"], key)) \(value)\n"
        }
        family("headroom_request_duration_seconds", "histogram", "Arrival to answer of completed requests, by target.")
        for (t, h) in latency.enumerated() where h.count > 0 {
            let target = names.targets[t]
            for (k, b) in Self.buckets.enumerated() {
                out += "headroom_request_duration_seconds_bucket\(Self.labels(["target", "le"], [target, Self.number(b)])) \(h.counts[k])\n"
            }
            out += "headroom_request_duration_seconds_bucket\(Self.labels(["target", "le"], [target, "+Inf"])) \(h.count)\n"
            out += "headroom_request_duration_seconds_sum\(Self.labels(["target"], [target])) \(h.sum)\n"
            out += "headroom_request_duration_seconds_count\(Self.labels(["target"], [target])) \(h.count)\n"
        }
        family("headroom_cold_starts_total", "counter", "Instances that became ready after a cold start, by model.")
        for model in coldStarts.keys.sorted() { out += "headroom_cold_starts_total\(Self.labels(["model"], [model])) \(coldStarts[model]!)\n" }
        family("headroom_cold_start_seconds_total", "counter", "Seconds spent in cold starts, by model and phase (node_boot and image_pull modelled, process_start measured).")
        for key in coldSeconds.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            out += "headroom_cold_start_seconds_total\(Self.labels(["model", "phase"], key)) \(coldSeconds[key]!)\n"
        }
        family("headroom_worker_failures_total", "counter", "Workers that exited unexpectedly, broke a connection or missed their start timeout, by model.")
        for model in workerFailures.keys.sorted() { out += "headroom_worker_failures_total\(Self.labels(["model"], [model])) \(workerFailures[model]!)\n" }
        family("headroom_instances", "gauge", "Instances by model and state.")
        for g in instances { out += "headroom_instances\(Self.labels(["model", "state"], [g.model, g.state])) \(g.count)\n" }
        family("headroom_nodes", "gauge", "Nodes by type and state.")
        for g in nodes { out += "headroom_nodes\(Self.labels(["type", "state"], [g.type, g.state])) \(g.count)\n" }
        family("headroom_queue_depth", "gauge", "Requests waiting in each model's queue.")
        for g in queued { out += "headroom_queue_depth\(Self.labels(["model"], [g.model])) \(g.count)\n" }
        family("headroom_requests_in_flight", "gauge", "Requests the runtime holds (queued, starting or in service).")
        out += "headroom_requests_in_flight \(inFlight)\n"
        return out
    }
}
