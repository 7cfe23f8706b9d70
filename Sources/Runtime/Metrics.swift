import Foundation

/// A streamed answer's timing, from the request's arrival at the front (seconds).
struct StreamTiming {
    var firstByte: Double?
    var firstEvent: Double?
    /// Gaps between consecutive events.
    var gaps: [Double]

    init(_ s: ResponseStream, arrival: Int64) {
        firstByte = s.firstByte > 0 ? Double(s.firstByte - arrival) / 1e9 : nil
        firstEvent = s.firstEvent > 0 ? Double(s.firstEvent - arrival) / 1e9 : nil
        gaps = s.gaps
    }
}

/// The runtime's counters, kept on the core's executor and rendered in the Prometheus text
/// exposition format (version 0.0.4).
struct Metrics {
    /// Latency buckets (seconds): Prometheus client defaults extended to a minute, since
    /// cold starts reach tens of seconds.
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    /// Buckets for the gaps between a stream's events (seconds): an LLM's time per output
    /// token is milliseconds to tens of them.
    static let gapBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5]

    struct Histogram {
        let bounds: [Double]
        var counts: [Int]
        var sum = 0.0
        var count = 0
        init(bounds: [Double] = Metrics.buckets) {
            self.bounds = bounds
            counts = [Int](repeating: 0, count: bounds.count)
        }
        mutating func observe(_ x: Double) {
            for (k, b) in bounds.enumerated() where x <= b { counts[k] += 1 }
            sum += x
            count += 1
        }

        /// The histogram's lines (`_bucket`, `_sum`, `_count`) for one label set.
        func render(_ name: String, labels: [String], _ values: [String], into out: inout String) {
            for (k, b) in bounds.enumerated() {
                out += "\(name)_bucket\(Metrics.labels(labels + ["le"], values + [Metrics.number(b)])) \(counts[k])\n"
            }
            out += "\(name)_bucket\(Metrics.labels(labels + ["le"], values + ["+Inf"])) \(count)\n"
            out += "\(name)_sum\(Metrics.labels(labels, values)) \(sum)\n"
            out += "\(name)_count\(Metrics.labels(labels, values)) \(count)\n"
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
    /// `failed` and `cancelled`: a streamed answer that broke off (its worker failed or
    /// stalled) or whose client went away.
    enum Outcome: UInt8, CaseIterable { case completed, rejected, timedOut, failed, cancelled
        var label: String { ["completed", "rejected", "timed_out", "failed", "cancelled"][Int(rawValue)] }
    }
    struct RejectionKey: Hashable { var target: Int32; var reason: UInt8 }

    var requests: [RequestKey: Int] = [:]
    var rejections: [RejectionKey: Int] = [:]
    /// By target index: latency of completed requests.
    var latency: [Histogram]

    /// By target index, of streamed answers: arrival to the first body byte, arrival to the
    /// end of the first server-sent event, and the gaps between consecutive events.
    var firstByte: [Histogram]
    var firstEvent: [Histogram]
    var eventGaps: [Histogram]
    /// By target index: streams that finished, failed, were cancelled.
    var streamEnds: [[Int]]

    init(targets: Int) {
        latency = [Histogram](repeating: Histogram(), count: targets)
        firstByte = latency
        firstEvent = latency
        eventGaps = [Histogram](repeating: Histogram(bounds: Metrics.gapBuckets), count: targets)
        streamEnds = [[Int]](repeating: [Int](repeating: 0, count: ResponseStream.End.labels.count), count: targets)
    }

    /// Books a streamed answer that ended.
    mutating func observeStream(target t: Int, timing: StreamTiming, end: ResponseStream.End) {
        if let x = timing.firstByte { firstByte[t].observe(x) }
        if let x = timing.firstEvent { firstEvent[t].observe(x) }
        for g in timing.gaps { eventGaps[t].observe(g) }
        streamEnds[t][end.ordinal] += 1
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
        family("headroom_requests_total", "counter", "Requests that ended, by target, version that answered, caller and outcome (completed, rejected, timed_out; failed and cancelled: streamed answers that broke off or whose client went away).")
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
        for (name, help, byTarget) in [
            ("headroom_request_duration_seconds", "Arrival to answer of completed requests, by target (a streamed answer: to its end).", latency),
            ("headroom_time_to_first_byte_seconds", "Arrival to the first byte of a streamed answer's body, by target.", firstByte),
            ("headroom_time_to_first_event_seconds", "Arrival to the end of a streamed answer's first server-sent event (an LLM's time to first token), by target.", firstEvent),
            ("headroom_inter_event_seconds", "Gaps between consecutive server-sent events of a streamed answer (an LLM's time per output token), by target.", eventGaps),
        ] {
            family(name, "histogram", help)
            for (t, h) in byTarget.enumerated() where h.count > 0 { h.render(name, labels: ["target"], [names.targets[t]], into: &out) }
        }
        family("headroom_streams_total", "counter", "Streamed answers that ended, by target and end (finished, failed: the worker broke off or stalled, cancelled: the client went away or read too slowly).")
        for (t, ends) in streamEnds.enumerated() where ends.contains(where: { $0 > 0 }) {
            for (k, label) in ResponseStream.End.labels.enumerated() {
                out += "headroom_streams_total\(Self.labels(["target", "end"], [names.targets[t], label])) \(ends[k])\n"
            }
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
