import Foundation
import Glibc
import Runtime

/// The capacity figures of one `GET /metrics` of a Headroom endpoint (Prometheus text
/// format 0.0.4), summed over models and types.
public struct MetricsScrape: Sendable, Equatable {
    /// Nanoseconds after the load run's origin.
    public var time: Int64
    public var instanceSeconds = 0.0
    public var instanceStarts = 0.0
    public var nodeSeconds: [String: Double] = [:]
    /// Instances by state (pending, waiting_for_node, starting, ready, draining).
    public var instances: [String: Double] = [:]
    /// Nodes by state (booting, ready).
    public var nodes: [String: Double] = [:]
    public var queued = 0.0
    public var inFlight = 0.0

    public init(time: Int64) { self.time = time }

    /// Reads the families it needs from exposition text; nil when the text has none of
    /// Headroom's (another kind of endpoint).
    public static func parse(_ text: String, time: Int64) -> MetricsScrape? {
        var s = MetricsScrape(time: time)
        var seen = false
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = line[..<space]
            let name = series.prefix { $0 != "{" }
            func label(_ key: String) -> String {
                guard let r = series.range(of: key + "=\"") else { return "" }
                return String(series[r.upperBound...].prefix { $0 != "\"" })
            }
            switch name {
            case "headroom_instance_seconds_total": s.instanceSeconds += value; seen = true
            case "headroom_instance_starts_total": s.instanceStarts += value
            case "headroom_node_seconds_total": s.nodeSeconds[label("type"), default: 0] += value
            case "headroom_instances": s.instances[label("state"), default: 0] += value
            case "headroom_nodes": s.nodes[label("state"), default: 0] += value
            case "headroom_queue_depth": s.queued += value
            case "headroom_requests_in_flight": s.inFlight = value
            default: break
            }
        }
        return seen ? s : nil
    }

    public var liveInstances: Double { instances.values.reduce(0, +) }
    public var liveNodes: Double { nodes.values.reduce(0, +) }
}

/// Samples an endpoint's `/metrics` on a thread of its own, every `interval` seconds, from
/// the origin to `stop` (and once more then). An endpoint without Headroom's metrics yields
/// no samples.
final class MetricsScraper: @unchecked Sendable {
    let client: HTTPClient
    let path: String
    let interval: Double
    private let lock = NSCondition()
    private var samples: [MetricsScrape] = []
    private var stopped = false
    private var thread: Thread?
    private var origin: Int64 = 0
    private var unsupported = false

    init(client: HTTPClient, path: String, interval: Double) {
        self.client = client
        self.path = path
        self.interval = interval
    }

    func scrapeOnce() -> MetricsScrape? {
        let now = MonotonicClock.nanoseconds()
        guard case let .answered(r) = client.call(HTTPRequest(method: "GET", target: path), deadline: now + 2_000_000_000, connectTimeout: 2),
              r.status == 200 else { return nil }
        return MetricsScrape.parse(String(decoding: r.body, as: UTF8.self), time: now - origin)
    }

    func start(origin: Int64) {
        self.origin = origin
        guard interval > 0 else { return }
        // A first sample before the first request: the counters' baseline.
        guard let first = scrapeOnce() else { unsupported = true; return }
        samples.append(first)
        let t = Thread { [self] in
            var k: Int64 = 1
            while true {
                let due = origin + Int64(Double(k) * interval * 1e9)
                lock.lock()
                while !stopped && MonotonicClock.nanoseconds() < due {
                    _ = lock.wait(until: Date(timeIntervalSinceNow: Double(due - MonotonicClock.nanoseconds()) / 1e9))
                }
                let done = stopped
                lock.unlock()
                if done { return }
                if let s = scrapeOnce() { lock.withLock { samples.append(s) } }
                k += 1
            }
        }
        t.stackSize = 256 * 1024
        thread = t
        t.start()
    }

    /// Stops sampling, takes a last sample, and returns them all in time order.
    func stop() -> [MetricsScrape] {
        lock.withLock { stopped = true; lock.broadcast() }
        while let t = thread, !t.isFinished { usleep(1000) }
        guard !unsupported, interval > 0 else { return [] }
        if let last = scrapeOnce() { samples.append(last) }
        client.closeAll()
        return samples
    }
}
