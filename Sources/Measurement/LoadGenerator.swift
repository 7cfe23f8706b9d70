import Foundation
import Glibc
import Scenario
import Simulator
import Runtime

/// Where a load generator sends, and how.
public struct LoadTarget: Sendable {
    /// The endpoint's address, and the path prefix of its URL ("" for none).
    public var address: SocketAddress
    public var pathPrefix: String
    /// The API the endpoint speaks.
    public enum API: String, Sendable, CaseIterable { case kserve, lambda, openai }
    public var api: API = .kserve

    /// Parses `http://HOST:PORT[/PREFIX]` (an IP address or `localhost`; no TLS).
    public init(url: String) throws {
        guard url.hasPrefix("http://") else {
            throw LoadError.usage("'\(url)' is not an http:// URL (e.g. http://127.0.0.1:8080); https is not supported")
        }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        var prefix = String(rest.dropFirst(authority.count))
        while prefix.hasSuffix("/") { prefix.removeLast() }
        let withPort = authority.contains("]:") || (!authority.hasPrefix("[") && authority.contains(":")) ? String(authority) : authority + ":80"
        guard let address = SocketAddress(parsing: withPort), !address.host.isEmpty else {
            throw LoadError.usage("'\(url)' has no HOST:PORT that can be read (e.g. http://127.0.0.1:8080)")
        }
        guard address.host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" || ("a"..."f").contains($0) || ("A"..."F").contains($0) }) else {
            throw LoadError.usage("'\(address.host)' in '\(url)' is a host name; give an IP address (127.0.0.1, [::1]) or localhost")
        }
        self.address = address
        pathPrefix = prefix
    }

    /// A name as one path segment (a "/" in it escaped too).
    static func segment(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? name
    }

    /// The KServe v2 metadata path of a model (or pipeline) named `target`.
    public func metadataPath(target: String) -> String { pathPrefix + "/v2/models/" + Self.segment(target) }

    /// The path of an inference request to `target` (and `version`, when pinned).
    public func path(target: String, version: String) -> String {
        let t = Self.segment(target)
        switch api {
        case .kserve:
            let v = version.isEmpty ? "" : "/versions/" + (version.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? version)
            return pathPrefix + "/v2/models/" + t + v + "/infer"
        case .lambda:
            let q = version.isEmpty ? "" : "?Qualifier=" + (version.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? version)
            return pathPrefix + "/2015-03-31/functions/" + t + "/invocations" + q
        case .openai:
            return pathPrefix + "/v1/chat/completions"   // the model is named in the body
        }
    }

    /// An OpenAI chat request as vLLM's `benchmark_serving` sends one from a trace row: a
    /// prompt of `input` words (about as many tokens), `max_tokens` of `output`, streamed.
    public static func chatBody(model: String, input: Int, output: Int) -> [UInt8] {
        let prompt = [String](repeating: "hello", count: max(1, input)).joined(separator: " ")
        return Array("{\"model\":\(JSONText.quote(model)),\"messages\":[{\"role\":\"user\",\"content\":\"\(prompt)\"}],\"max_tokens\":\(max(1, output)),\"stream\":true}".utf8)
    }
}

/// A problem with the load generator's input: a usage error (exit 64) or a data one (exit 1).
public struct LoadError: RaisedError, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case usage, data }
    public let kind: Kind
    public let description: String
    public let raisedAt: String

    /// A mistake in how the load generator was asked to run (a URL it cannot use).
    public static func usage(_ message: String, raisedIn f: String = #fileID, at l: Int = #line) -> LoadError {
        LoadError(kind: .usage, description: message, raisedAt: "\(f):\(l)")
    }

    /// A problem in what it reads or receives.
    public static func data(_ message: String, raisedIn f: String = #fileID, at l: Int = #line) -> LoadError {
        LoadError(kind: .data, description: message, raisedAt: "\(f):\(l)")
    }
}

/// One request as the load generator saw it.
public struct SentRequest: Sendable {
    /// The arrival's index in the workload, from 0 (as a simulation's requests.csv numbers them).
    public var id: Int64
    public var target: Int32
    public var caller: Int32
    public var version: Int32
    /// Nanoseconds after the run's origin: when it was due, when it was sent, when its
    /// answer (or failure) came.
    public var due: Int64
    public var sent: Int64
    public var end: Int64
    /// HTTP status; 0 when no answer came (connection failed or the client timed out).
    public var status: Int16
    public var cold: Bool
    /// Index into `LoadRun.reasons` of a rejection's reason (0: none).
    public var reason: UInt8
    /// A streamed LLM answer (`--api openai`): when its first token came (ns after the
    /// origin; 0: none), the tokens that came (events with content), and the prompt's tokens.
    public var firstToken: Int64 = 0
    public var tokens: Int32 = 0
    public var inputTokens: Int32 = 0

    /// Time to first token from the due time, and time per output token after it (ns), as
    /// vLLM's `benchmark_serving` reckons them: (end − first token) ÷ (tokens − 1).
    public var ttft: Int64? { firstToken > 0 ? Swift.max(0, firstToken - due) : nil }
    public var tpot: Int64? { firstToken > 0 && tokens > 1 ? (end - firstToken) / Int64(tokens - 1) : nil }
}

extension SentRequest {
    /// How a request ended, as a simulation's reports count it: a 2xx is completed; a 504,
    /// or no answer within the client's timeout, is timed out; anything else is rejected.
    public enum Outcome: String, Sendable { case completed, timedOut = "timed_out", rejected }

    public var outcome: Outcome {
        if (200..<300).contains(Int(status)) { return .completed }
        if status == 504 || (status == 0 && reason == 0) { return .timedOut }
        return .rejected
    }
}

/// Everything a load run measured.
public struct LoadRun: Sendable {
    public var requests: [SentRequest]
    public var targetNames: [String]
    public var callers: [String]
    public var versions: [String]
    /// Rejection reasons by index (index 0 is "").
    public var reasons: [String]
    /// Sends more than `lateThreshold` after their due time.
    public var late: Int64
    public var lateThreshold: Int64
    /// Nanoseconds from the origin to the last answer.
    public var end: Int64
    /// The endpoint's `/metrics` sampled through the run (empty when it has none).
    public var scrapes: [MetricsScrape]
    /// The run stopped early (interrupted); its figures cover what was sent.
    public var interrupted: Bool
    public var speed: Double
}

/// An open-loop load generator: sends each arrival at its time, whatever the answers do.
///
/// A scheduler thread sleeps until each request's due time (`clock_nanosleep` on the
/// monotonic clock, absolute) and hands it to a pool of sender threads (`maxInFlight` of
/// them), each blocking on one request at a time over kept-alive connections. When every
/// sender is busy the request waits for one and goes out late; lateness is measured for
/// every request (sent − due) and counted past `lateThreshold`, never hidden. Latency is
/// measured from the due time (as wrk2 does), so a late send counts against the endpoint's
/// figures as it would against a real user's, rather than being silently omitted.
public final class LoadGenerator: @unchecked Sendable {
    public struct Options: Sendable {
        /// Divides every arrival time: 2 sends the workload twice as fast.
        public var speed = 1.0
        /// Seconds of the workload (before `speed`) to send; nil: all of it.
        public var duration: Double?
        public var maxInFlight = 256
        /// Seconds a request may take before the client gives up on it (counted timed out).
        public var timeout = 60.0
        /// Counted late past this many nanoseconds.
        public var lateThreshold: Int64 = 2_000_000
        /// API keys by caller name; without one, the caller is named in `headroom-caller`.
        public var keys: [String: String] = [:]
        /// The body of each request; nil: a small JSON object naming the request.
        public var body: [UInt8]?
        /// Seconds of schedule (before `speed`) the run lasts at least, as a simulation of the
        /// scenario lasts its `duration`: capacity held after the last answer (keep-alive,
        /// nodes) is measured until then. Nil: the run ends with its last answer.
        public var runLength: Double?
        /// Monotonic ns of the schedule's time zero (nil: 50 ms after `run` is called). A
        /// time already past makes the requests due before now go out at once, late.
        public var origin: Int64?
        /// Seconds between `/metrics` scrapes (0: none).
        public var scrapeInterval = 1.0
        public init() {}
    }

    let target: LoadTarget
    let options: Options
    let client: HTTPClient
    private let lock = NSCondition()
    private var queue: [(id: Int64, arrival: Arrival, due: Int64, name: String)] = []
    private var queueHead = 0
    private var finished = false
    private var records: [SentRequest] = []
    private var stopFlag = false
    private var stopRequested: Bool { lock.withLock { stopFlag } }
    /// Monotonic ns of the schedule's time zero (set before any sender starts).
    private var origin: Int64 = 0
    private var callers = StringTable()
    private var versions = StringTable()
    private var reasons = ["", "queue_full", "no_capacity", "throttled", "quota", "interrupted", "worker_failed", "http_error", "connection_failed"]

    public init(target: LoadTarget, options: Options) {
        self.target = target
        self.options = options
        client = HTTPClient(address: target.address, keep: options.maxInFlight)
    }

    /// Asks a running `run` to stop sending; requests in flight still get their answers.
    public func stop() { lock.withLock { stopFlag = true } }

    /// Checks the endpoint answers, and (on a Headroom endpoint, or any KServe v2 one)
    /// that it serves each target named. Throws a clear error otherwise.
    public func preflight(targets: [String]) throws {
        let deadline = MonotonicClock.nanoseconds() + 5_000_000_000
        let probe = HTTPClient(address: target.address, keep: 0)
        guard case let .answered(root) = probe.call(HTTPRequest(method: "GET", target: target.pathPrefix + "/v2"), deadline: deadline, connectTimeout: 3) else {
            if case let .failed(why) = probe.call(HTTPRequest(method: "GET", target: target.pathPrefix + "/"), deadline: deadline, connectTimeout: 3) {
                throw LoadError.data("cannot reach http://\(target.address)\(target.pathPrefix): \(why); is the server running?")
            }
            return
        }
        if target.api == .openai {
            // An OpenAI-compatible server lists its models: each target must be one of them.
            guard case let .answered(list) = probe.call(HTTPRequest(method: "GET", target: target.pathPrefix + "/v1/models"), deadline: deadline, connectTimeout: 3),
                  list.status == 200, let object = try? JSONSerialization.jsonObject(with: Data(list.body)) as? [String: Any],
                  let data = object["data"] as? [[String: Any]] else { return }
            let served = data.compactMap { $0["id"] as? String }
            for name in targets where !served.contains(name) {
                throw LoadError.data("http://\(target.address)\(target.pathPrefix) does not serve the model \"\(name)\" (GET /v1/models lists \(served.isEmpty ? "none" : served.joined(separator: ", ")))")
            }
            return
        }
        guard target.api == .kserve, root.status == 200 else { return }
        for name in targets {
            let path = target.metadataPath(target: name)
            if case let .answered(r) = probe.call(HTTPRequest(method: "GET", target: path), deadline: deadline, connectTimeout: 3), r.status == 404 {
                throw LoadError.data("http://\(target.address)\(target.pathPrefix) does not serve the target \"\(name)\" (GET \(path) answered 404: \(String(decoding: r.body.prefix(200), as: UTF8.self)))")
            }
        }
    }

    /// Sends the stream's arrivals at their times and waits for every answer.
    /// `progress` is called about once a second with (requests sent, seconds of schedule).
    public func run(_ stream: ArrivalStream, targetName: (Int) -> String?, progress: ((Int64, Double) -> Void)? = nil) throws -> LoadRun {
        // 50 ms to get the senders waiting before the first request is due.
        origin = options.origin ?? MonotonicClock.nanoseconds() + 50_000_000
        let senders = (0..<options.maxInFlight).map { _ in
            let t = Thread { [self] in senderLoop() }
            t.stackSize = 128 * 1024
            return t
        }
        for t in senders { t.start() }
        let scraper = MetricsScraper(client: HTTPClient(address: target.address, keep: 1), path: target.pathPrefix + "/metrics",
                                     interval: options.scrapeInterval)
        scraper.start(origin: origin)
        let limit = options.duration.map { Int64(($0 * 1e9).rounded()) }
        var nextID: Int64 = 0
        var lastProgress = origin
        var failure: Error?
        var names: [Int: String] = [:]
        do {
            while !stopRequested, let arrival = try stream.next() {
                if let limit, arrival.time >= limit { break }
                guard let name = names[arrival.target] ?? targetName(arrival.target) else {
                    throw LoadError.data("request \(nextID + 1) of the workload has no target: give one (--target NAME for a trace without a target column)")
                }
                names[arrival.target] = name
                let due = Int64(Double(arrival.time) / options.speed)
                Self.sleep(until: origin + due)
                lock.lock()
                queue.append((nextID, arrival, due, name))
                lock.signal()
                lock.unlock()
                nextID += 1
                if let progress, MonotonicClock.nanoseconds() - lastProgress > 1_000_000_000 {
                    lastProgress = MonotonicClock.nanoseconds()
                    progress(nextID, Double(due) / 1e9)
                }
            }
        } catch {
            failure = error
        }
        lock.lock()
        finished = true
        lock.broadcast()
        lock.unlock()
        while senders.contains(where: { !$0.isFinished }) { usleep(2000) }
        if failure == nil, let runLength = options.runLength {
            // Until the run's end, unless interrupted (checked every 50 ms).
            let end = origin + Int64(runLength / options.speed * 1e9)
            while !stopRequested && MonotonicClock.nanoseconds() < end { Self.sleep(until: min(end, MonotonicClock.nanoseconds() + 50_000_000)) }
        }
        let end = MonotonicClock.nanoseconds() - origin
        let scrapes = scraper.stop()
        client.closeAll()
        if let failure { throw failure }
        let targetNames = (0..<max(1, (records.map { Int($0.target) }.max() ?? -1) + 1)).map { names[$0] ?? "" }
        let sorted = records.sorted { $0.id < $1.id }
        let late = Int64(sorted.filter { $0.sent - $0.due > options.lateThreshold }.count)
        return LoadRun(requests: sorted, targetNames: targetNames, callers: callers.strings, versions: versions.strings, reasons: reasons,
                       late: late, lateThreshold: options.lateThreshold, end: max(end, sorted.map(\.end).max() ?? 0), scrapes: scrapes,
                       interrupted: stopRequested, speed: options.speed)
    }

    /// Sleeps until `deadline` (monotonic ns), absolute so that wake-up error does not add up.
    static func sleep(until deadline: Int64) {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }

    private func senderLoop() {
        var mine: [SentRequest] = []
        while true {
            lock.lock()
            while queueHead >= queue.count && !finished { lock.wait() }
            guard queueHead < queue.count else { lock.unlock(); break }
            let item = queue[queueHead]
            queueHead += 1
            if queueHead > 4096 && queueHead * 2 > queue.count { queue.removeFirst(queueHead); queueHead = 0 }
            let caller = callers.intern(item.arrival.caller)
            let version = versions.intern(item.arrival.version)
            lock.unlock()
            mine.append(send(item.id, item.arrival, name: item.name, due: item.due, caller: caller, version: version))
        }
        lock.lock()
        records.append(contentsOf: mine)
        lock.unlock()
    }

    private func send(_ id: Int64, _ a: Arrival, name: String, due: Int64, caller: Int32, version: Int32) -> SentRequest {
        // The request's index in the workload: calibration pairs what the runtime measured of
        // it with the same request in the simulation (`calibrate`'s replayed comparison).
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("headroom-request", String(id))]
        if !a.caller.isEmpty {
            if let key = options.keys[a.caller] { headers.append(("Authorization", "Bearer " + key)) } else { headers.append(("headroom-caller", a.caller)) }
        }
        let body = options.body ?? (target.api == .openai
            ? LoadTarget.chatBody(model: name, input: Int(a.inputTokens), output: Int(a.outputTokens))
            : Array("{\"id\":\(id + 1),\"input_tokens\":\(a.inputTokens),\"output_tokens\":\(a.outputTokens)}".utf8))
        let request = HTTPRequest(method: "POST", target: target.path(target: name, version: a.version), headers: headers, body: body)
        let sent = MonotonicClock.nanoseconds() - origin
        var record = SentRequest(id: id, target: Int32(a.target), caller: caller, version: version, due: due, sent: sent, end: 0,
                                 status: 0, cold: false, reason: 0)
        record.inputTokens = Int32(clamping: a.inputTokens)
        let deadline = origin + due + Int64(options.timeout * 1e9)
        if target.api == .openai {
            streamed(request, deadline: deadline, into: &record)
        } else {
            switch client.call(request, deadline: deadline, connectTimeout: options.timeout) {
            case let .answered(r):
                classify(r.status, r.headers, into: &record)
            case let .timedOut(pending):
                client.abandon(pending)
            case .failed:
                record.reason = UInt8(reasonIndex("connection_failed"))
            }
        }
        record.end = MonotonicClock.nanoseconds() - origin
        return record
    }

    /// The answer's status, cold start and rejection reason into the record.
    private func classify(_ status: Int, _ headers: [(name: String, value: String)], into record: inout SentRequest) {
        let answer = HTTPResponse(status: status, headers: headers)
        record.status = Int16(clamping: status)
        record.cold = answer.header("headroom-cold-start") == "true"
        if !(200..<300).contains(status) && status != 504 {
            let label = answer.header("headroom-reject-reason")
                ?? (status == 429 ? "throttled" : status == 503 ? "no_capacity" : status == 502 ? "worker_failed" : "http_error")
            record.reason = UInt8(reasonIndex(label))
        }
    }

    /// Sends an OpenAI chat request and reads its answer as it streams, on a connection of its
    /// own: the time of the first event with content (the first token) and how many such
    /// events came, as vLLM's `benchmark_serving` counts them. An answer cut short (no last
    /// chunk) counts as a failed worker, not as completed.
    private func streamed(_ request: HTTPRequest, deadline: Int64, into record: inout SentRequest) {
        var events = ServerSentEvents()
        let origin = self.origin
        var first: Int64 = 0
        var tokens: Int32 = 0
        let outcome = StreamingCall.call(request, to: target.address, connectTimeout: options.timeout, deadline: deadline) { piece in
            events.feed(piece) { data in
                guard Self.hasContent(data) else { return }
                if first == 0 { first = MonotonicClock.nanoseconds() - origin }
                tokens += 1
            }
        }
        record.firstToken = first
        record.tokens = tokens
        switch outcome {
        case let .answered(status, headers):
            classify(status, headers, into: &record)
        case .timedOut:
            break
        case .failed:
            record.reason = UInt8(reasonIndex("connection_failed"))
        case .cut:
            record.status = 502
            record.reason = UInt8(reasonIndex("worker_failed"))
        }
    }

    /// Whether a server-sent event's data is a chunk with a token: a JSON chunk whose first
    /// choice has non-empty `delta.content` (chat) or `text` (completions); not `[DONE]`, not
    /// the role-only first chunk vLLM sends.
    static func hasContent(_ data: [UInt8]) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any],
              let choice = (object["choices"] as? [[String: Any]])?.first else { return false }
        if let delta = choice["delta"] as? [String: Any], let content = delta["content"] as? String { return !content.isEmpty }
        if let text = choice["text"] as? String { return !text.isEmpty }
        return false
    }

    private func reasonIndex(_ label: String) -> Int {
        lock.withLock {
            if let k = reasons.firstIndex(of: label) { return k }
            reasons.append(label)
            return reasons.count - 1
        }
    }
}
