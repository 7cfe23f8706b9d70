import Foundation
import Scenario
import Digest
import SchedulerCore

/// The HTTP API: routes requests to the host, and drives each inference request's stages on
/// its connection's thread.
///
/// - `POST /v2/models/{target}[/versions/{version}]/infer` — KServe Open Inference Protocol
///   paths; the body goes to the worker as it is.
/// - `POST /2015-03-31/functions/{target}/invocations[?Qualifier=version]` — the Lambda
///   Invoke API path.
/// - `GET /v2`, `/v2/health/live`, `/v2/health/ready`, `/v2/models/{target}[/versions/{v}]`,
///   `…/ready`, `GET /metrics` (Prometheus text).
final class Front: @unchecked Sendable {
    let host: ServingHost
    /// The host's request path, specialised for its policy (see `ServingHost.requestPath`).
    let requestPath: RequestPath
    let scenario: Scenario
    let timeout: Double
    private let ids = Atomic<UInt64>(0)
    private let bootID: String
    let version: String
    let targetNames: [String]
    /// By target: its graph, for a graph pipeline (fan-out / fan-in).
    let graphs: [PipelineGraph?]

    /// API keys (nil: anonymous, loopback only) and the audit trail (nil: none).
    let keys: AccessKeys?
    let audit: AuditLog?
    /// Measured stage service times go here, when a calibration wants them.
    let recorder: RuntimeRecorder?
    /// The core's id of the anonymous caller (no key, no Headroom-Caller header).
    let anonymous: Int
    /// Monotonic ns at start-up, the origin of the audit records' seconds.
    let started = MonotonicClock.nanoseconds()

    init(host: ServingHost, version: String, keys: AccessKeys? = nil, audit: AuditLog? = nil, recorder: RuntimeRecorder? = nil) {
        self.host = host
        requestPath = host.requestPath
        self.recorder = recorder
        self.keys = keys
        self.audit = audit
        scenario = host.scenario
        timeout = scenario.slo.timeout
        targetNames = scenario.targetNames
        let s = host.scenario
        graphs = s.targetNames.indices.map { t in
            guard t >= s.models.count, let deps = s.pipelines[t - s.models.count].dependencies else { return nil }
            return PipelineGraph(stages: s.pipelines[t - s.models.count].stages.map { ModelID($0) }, dependencies: deps)
        }
        self.version = version
        anonymous = host.callerID("")
        var r = SystemRandomNumberGenerator()
        bootID = String(r.next() & 0xffff_ffff, radix: 16)
    }

    typealias Respond = @Sendable (HTTPResponse) -> Void

    /// Answers `request` through `respond`, once. Called on `loop`'s thread: what can be
    /// answered at once is; an inference request is submitted to the core and answered when
    /// its stages are, with the workers called from the loop.
    func handle(_ request: HTTPRequest, loop: EventLoop, respond: @escaping Respond) {
        if let response = route(request, loop: loop, respond: respond) { respond(response) }
    }

    /// The answer, or nil when `respond` will be called later.
    private func route(_ request: HTTPRequest, loop: EventLoop, respond: @escaping Respond) -> HTTPResponse? {
        let path = request.path
        // The request path first: a POST to a KServe infer path is read in place, without the
        // array of segments the general routing below builds (seven allocations a request).
        if request.method == "POST", let (name, version) = Front.inferPath(path) {
            infer(request, target: Front.decoded(name), version: version.map(Front.decoded), style: .kserve,
                  query: String(request.query), loop: loop, respond: respond)
            return nil
        }
        let parts = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst().map { String(decoding: $0, as: UTF8.self) }
        let query = String(request.query)
        func only(_ method: String, _ body: () -> HTTPResponse?) -> HTTPResponse? {
            guard request.method == method || (method == "GET" && request.method == "HEAD") else {
                return Front.methodNotAllowed(request, use: method)
            }
            return body()
        }
        switch parts.first {
        case "metrics" where parts.count == 1:
            return only("GET") {
                HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: Array((host.metricsText() + (audit?.metricsText() ?? "")).utf8))
            }
        case "v2":
            return routeV2(request, Array(parts.dropFirst()), query: query, loop: loop, respond: respond, only: only)
        case "v1":
            return routeOpenAI(request, Array(parts.dropFirst()), loop: loop, respond: respond)
        case "2015-03-31" where parts.count == 4 && parts[1] == "functions" && parts[3] == "invocations":
            // Any method: `infer` answers a wrong one (405) with its audit record.
            let version = query.split(separator: "&").first { $0.hasPrefix("Qualifier=") }.map { String($0.dropFirst("Qualifier=".count)) }
            let function = Front.decoded(parts[2])
            infer(request, target: function, version: version == "$LATEST" ? nil : version,
                  style: .lambdaInvoke, query: "", loop: loop, respond: { respond(Front.lambdaShaped($0, function: function)) })
            return nil
        default:
            return .error(404, "no such path: \(path)")
        }
    }

    private func routeV2(_ request: HTTPRequest, _ p: [String], query: String, loop: EventLoop, respond: @escaping Respond,
                         only: (String, () -> HTTPResponse?) -> HTTPResponse?) -> HTTPResponse? {
        switch p.count {
        case 0:
            return only("GET") { .json(200, "{\"name\":\"headroom\",\"version\":\(JSON.quote(self.version)),\"extensions\":[]}") }
        case 2 where p[0] == "health" && (p[1] == "live" || p[1] == "ready"):
            return only("GET") { .json(200, "{\"live\":true,\"ready\":true}") }
        default:
            break
        }
        guard p.count >= 2, p[0] == "models" else { return .error(404, "no such path: /v2/\(p.joined(separator: "/"))") }
        let name = Front.decoded(p[1])
        var rest = Array(p.dropFirst(2))
        var version: String?
        if rest.count >= 2, rest[0] == "versions" {
            version = Front.decoded(rest[1])
            rest.removeFirst(2)
        }
        switch rest {
        case ["infer"]:
            // Any method (a POST came the fast way, in `route`): `infer` answers a wrong one.
            infer(request, target: name, version: version, style: .kserve, query: query, loop: loop, respond: respond)
            return nil
        case []:
            return only("GET") {
                switch resolve(name, version: version) {
                case let .failure(e): return e.response
                case let .success(t): return .json(200, host.modelMetadata(target: t))
                }
            }
        case ["ready"]:
            return only("GET") {
                switch resolve(name, version: version) {
                case let .failure(e): return e.response
                case let .success(t):
                    let ready = host.isReady(target: t)
                    return .json(ready ? 200 : 503, "{\"name\":\(JSON.quote(name)),\"ready\":\(ready)}")
                }
            }
        default:
            return .error(404, "no such path: \(request.path)")
        }
    }

    struct Refusal: Error { let response: HTTPResponse }

    /// The model name and version of `/v2/models/{name}/infer` or
    /// `/v2/models/{name}/versions/{version}/infer` (segments still %-encoded); nil for any
    /// other path, which the general routing then answers as before.
    static func inferPath(_ path: Substring) -> (name: String, version: String?)? {
        if let found = path.utf8.withContiguousStorageIfAvailable({ inferPath(bytes: $0) }) { return found }
        return Array(path.utf8).withUnsafeBufferPointer { inferPath(bytes: $0) }
    }

    private static func inferPath(bytes b: UnsafeBufferPointer<UInt8>) -> (name: String, version: String?)? {
        let slash = UInt8(ascii: "/")
        /// The end of the segment that starts at `from` (the next slash, or the end).
        func segmentEnd(_ from: Int) -> Int {
            var i = from
            while i < b.count && b[i] != slash { i += 1 }
            return i
        }
        func equals(_ from: Int, _ to: Int, _ word: StaticString) -> Bool {
            to - from == word.utf8CodeUnitCount && memcmp(b.baseAddress! + from, word.utf8Start, to - from) == 0
        }
        func text(_ from: Int, _ to: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[from..<to]), as: UTF8.self) }
        let prefix: StaticString = "/v2/models/"
        guard b.count > prefix.utf8CodeUnitCount, equals(0, prefix.utf8CodeUnitCount, prefix) else { return nil }
        let name = prefix.utf8CodeUnitCount
        let nameEnd = segmentEnd(name)
        guard nameEnd > name, nameEnd < b.count else { return nil }
        let second = nameEnd + 1, secondEnd = segmentEnd(second)
        if secondEnd == b.count && equals(second, secondEnd, "infer") { return (text(name, nameEnd), nil) }
        guard secondEnd < b.count, equals(second, secondEnd, "versions") else { return nil }
        let version = secondEnd + 1, versionEnd = segmentEnd(version)
        guard versionEnd > version, versionEnd < b.count else { return nil }
        let last = versionEnd + 1, lastEnd = segmentEnd(last)
        guard lastEnd == b.count, equals(last, lastEnd, "infer") else { return nil }
        return (text(name, nameEnd), text(version, versionEnd))
    }

    /// A path segment decoded (only when it has a %-escape: decoding costs).
    static func decoded(_ segment: String) -> String {
        segment.utf8.contains(UInt8(ascii: "%")) ? (segment.removingPercentEncoding ?? segment) : segment
    }

    /// The target index of a name (a model or a pipeline) and optional version label.
    func resolve(_ name: String, version: String?) -> Result<Int, Refusal> {
        let names = targetNames
        guard let t = names.firstIndex(of: name), scenario.models.indices.contains(t) ? scenario.models[t].variantOf == nil : true else {
            let hint = names.filter { !$0.contains("@") }.joined(separator: ", ")
            return .failure(Refusal(response: .error(404, "unknown target \"\(name)\"; targets are \(hint)")))
        }
        guard let version else { return .success(t) }
        guard t < scenario.models.count else {
            return .failure(Refusal(response: .error(404, "\"\(name)\" is a pipeline: it has no versions")))
        }
        let model = scenario.models[t]
        if model.version == version { return .success(t) }
        if let k = names.firstIndex(of: name + "@" + version) { return .success(k) }
        let known = model.variantGroup.compactMap { scenario.models[$0].version }
        return .failure(Refusal(response: .error(404, "model \"\(name)\" has no version \"\(version)\"" + (known.isEmpty ? "" : "; versions are \(known.joined(separator: ", "))"))))
    }

    /// Headers passed on to workers: content negotiation and tracing, not hop-by-hop
    /// fields nor credentials.
    static let forwarded = HeaderNames(["content-type", "accept", "accept-encoding", "content-encoding", "traceparent", "tracestate",
                                        "x-amzn-trace-id", "inference-header-content-length"])

    /// 405, naming the method to use.
    static func methodNotAllowed(_ request: HTTPRequest, use method: String) -> HTTPResponse {
        .error(405, "\(request.method) is not allowed on \(request.path); use \(method)", headers: [("Allow", method)])
    }

    /// The next request id: this start-up's id, a dash and a counter. (Concatenated, not
    /// interpolated: an id of up to 15 bytes stays a small string.)
    private func nextID() -> String {
        let n = ids.withLock { $0 += 1; return $0 }
        return bootID + "-" + String(n, radix: 16)
    }

    /// Records a request the HTTP server refused before it reached `handle` (malformed, too
    /// large, too slow): no caller or target is known. The reason names what was wrong and
    /// `status` the answer sent.
    func auditRefusal(_ response: HTTPResponse) {
        guard let audit else { return }
        let now = AuditLog.nowMicros()
        let seconds = Double(MonotonicClock.nanoseconds() - started) / 1e9
        let reason: String
        switch response.status {
        case 408: reason = "request_timeout"
        case 413: reason = "body_too_large"
        case 414: reason = "uri_too_long"
        case 431: reason = "headers_too_large"
        case 501: reason = "not_implemented"
        case 505: reason = "http_version_not_supported"
        case 503: reason = "too_many_connections"   // the connection limit: refused before a request was read
        default: reason = "malformed_request"
        }
        audit.append(AuditRecord(id: nextID(), caller: "", target: "", stages: [], arrival: now, end: now,
                                 arrivalSeconds: seconds, endSeconds: seconds, outcome: "refused", reason: reason, status: response.status,
                                 requestSHA256: SHA256.hex([]), responseSHA256: SHA256.hex(response.body),
                                 requestBody: nil, responseBody: audit.options.payloads ? response.body : nil))
    }

    /// Authenticates, resolves and submits an inference request; `respond` gets its answer.
    func infer(_ request: HTTPRequest, target name: String, version: String?, style: Call.Style, query: String,
               workerPath: String? = nil, loop: EventLoop, respond: @escaping Respond) {
        let arrival = MonotonicClock.nanoseconds()
        let arrivalUnix = audit == nil ? 0 : AuditLog.nowMicros()
        let id = nextID()
        let headerCaller = request.header("headroom-caller") ?? ""
        /// The answer, with its audit record when the trail is kept.
        /// Appends the request's audit record, made now (a streamed answer's at its end, with
        /// its body's digest and its timing instead of its body).
        func record(_ audit: AuditLog, _ response: HTTPResponse, caller callerName: String, outcome: String, reason: String, stages: [AuditRecord.Stage]) {
            let end = AuditLog.nowMicros()
            let endMono = MonotonicClock.nanoseconds()
            let stream = response.stream
            var r = AuditRecord(id: id, caller: callerName, target: name, stages: stages, arrival: arrivalUnix, end: end,
                                arrivalSeconds: Double(arrival - started) / 1e9, endSeconds: Double(endMono - started) / 1e9,
                                outcome: outcome, reason: reason, status: response.status,
                                requestSHA256: SHA256.hex(request.body), responseSHA256: stream?.bodyDigest() ?? SHA256.hex(response.body),
                                requestBody: audit.options.payloads ? request.body : nil,
                                responseBody: audit.options.payloads && stream == nil ? response.body : nil)
            if let stream {
                let timing = StreamTiming(stream, arrival: arrival)
                r.stream = AuditRecord.StreamFacts(firstByteSeconds: timing.firstByte, firstEventSeconds: timing.firstEvent,
                                                   events: stream.events, bytes: stream.bytes)
            }
            audit.append(r)
        }
        /// The answer, with its audit record when the trail is kept.
        func answer(_ response: HTTPResponse, caller callerName: String, outcome: String, reason: String, stages: [AuditRecord.Stage] = []) -> HTTPResponse {
            if let audit { record(audit, response, caller: callerName, outcome: outcome, reason: reason, stages: stages) }
            return response
        }
        guard request.method == "POST" else {
            return respond(answer(Front.methodNotAllowed(request, use: "POST"), caller: headerCaller, outcome: "refused", reason: "method_not_allowed"))
        }
        var entry: AccessKeys.Entry?
        if let keys {
            guard let presented = AccessKeys.presented(in: request) else {
                return respond(answer(.error(401, "an API key is required: send it as Authorization: Bearer <key> or x-api-key", headers: [("WWW-Authenticate", "Bearer")]),
                                      caller: headerCaller, outcome: "refused", reason: "unauthenticated"))
            }
            guard let e = keys.authenticate(presented) else {
                return respond(answer(.error(401, "unknown API key", headers: [("WWW-Authenticate", "Bearer error=\"invalid_token\"")]),
                                      caller: headerCaller, outcome: "refused", reason: "unauthenticated"))
            }
            entry = e
        }
        let callerName = entry?.caller ?? headerCaller
        let target: Int
        switch resolve(name, version: version) {
        case let .failure(e): return respond(answer(e.response, caller: callerName, outcome: "refused", reason: "unknown_target"))
        case let .success(t): target = t
        }
        if let entry, !AccessKeys.allows(entry, target: name, version: version) {
            let what = version.map { "version \($0) of \(name)" } ?? name
            return respond(answer(.error(403, "caller \"\(entry.caller)\" may not call \(what)"), caller: callerName, outcome: "refused", reason: "forbidden"))
        }
        let caller = callerName.isEmpty ? anonymous : host.callerID(callerName)
        let headers = request.headers.filter { Front.forwarded.contains($0.name) }
        if let graph = graphs[target] {
            // A graph's stages are orchestrated by waiting threads (one per stage in flight).
            let finish = Unchecked(answer)
            Thread.detachNewThread { [self] in
                let (response, stages, outcome, reason) = inferGraph(graph, target: target, caller: caller, id: id, query: query, headers: headers,
                                                                     body: request.body, style: style)
                respond(finish.value(response, callerName, outcome, reason, stages))
            }
            return
        }
        let call = Call(target: target, caller: caller, style: style, id: id, query: query, headers: headers, body: request.body,
                        arrival: arrival, timeout: timeout, logsStages: audit != nil)
        call.workerPath = workerPath
        // The load generator numbers its requests, so calibration can pair each measured
        // service time with the same request in a simulation: a model's own requests only (a
        // pipeline's stages are timed one by one, and a replay gives a request one time).
        if recorder != nil, target < scenario.models.count, let n = request.header("headroom-request").flatMap({ Int64($0) }), n >= 0 {
            call.sequence = n
        }
        // One model's answer may stream to its client; a pipeline's stages hand whole bodies
        // on, and the Lambda API answers whole.
        call.streams = target < scenario.models.count && style != .lambdaInvoke
        guard let audit else { return drive(call, loop: loop, respond) }   // no record to add: no closure to make
        drive(call, loop: loop) { response in
            guard let stream = response.stream else {
                return respond(answer(response, caller: callerName, outcome: call.outcome.isEmpty ? "rejected" : call.outcome, reason: call.reason, stages: call.stages))
            }
            // A streamed answer's record is made at its end, with how it ended.
            stream.whenEnded { _ in
                record(audit, response, caller: callerName, outcome: call.outcome.isEmpty ? "completed" : call.outcome, reason: call.reason, stages: call.stages)
            }
            respond(response)
        }
    }

    /// Submits the call and serves its stages from `loop`: each event the host posts for it is
    /// handled on the loop, and each worker call is made there without blocking it.
    func drive(_ call: Call, loop: EventLoop, _ done: @escaping (HTTPResponse) -> Void) {
        call.onAnswer = done
        // The sink runs inside `call.post`, so the call is alive there; the task it queues
        // holds the call until the loop has handled the event. (A strong capture would be a
        // cycle: the call keeps its sink.)
        call.sink = { [unowned call, self] event in
            let held = call   // strong: an unowned capture would stay unowned in the task
            loop.execute { self.step(held, event, loop: loop) }
        }
        requestPath.submit(call)
    }

    private func step(_ call: Call, _ event: Call.Event, loop: EventLoop) {
        guard let done = call.onAnswer else { return }   // answered already: a late event
        switch event {
        case .finished, .completed:
            call.onAnswer = nil
            let response: HTTPResponse
            if case let .finished(r) = event { response = r } else { response = call.clientAnswer() }
            recorder?.callAnswered(nanoseconds: MonotonicClock.nanoseconds() - call.arrival, status: response.status)
            done(response)
        case let .dispatch(instance, generation, endpoint, stage, meter):
            let atSent = meter?.read() ?? WorkerMeter.unread
            let sent = MonotonicClock.nanoseconds()
            let host = self.host
            endpoint.invokeAsync(stage, deadline: call.deadline, loop: loop) { [self] outcome in
                switch outcome {
                case let .answered(response, functionError):
                    if let stream = response.stream {
                        // The worker streams its answer: the client is answered now, and the
                        // stage ends (its slot frees) when the stream does.
                        host.streamBegan(call)
                        stream.whenEnded { [self] end in
                            host.streamEnded(call, end, timing: StreamTiming(stream, arrival: call.arrival))
                            guard case .finished = end else { return }
                            recorder?.callAnswered(nanoseconds: MonotonicClock.nanoseconds() - call.arrival, status: response.status)
                            recordStage(call, instance: instance, generation: generation, meter: meter, sent: sent, atSent: atSent)
                            var whole = response
                            whole.stream = nil
                            requestPath.stageAnswered(call, whole, functionError)
                        }
                        guard let done = call.onAnswer else { return stream.cancel("the request had been answered") }
                        call.onAnswer = nil
                        return done(call.clientStreamHead(response))
                    }
                    recordStage(call, instance: instance, generation: generation, meter: meter, sent: sent, atSent: atSent)
                    requestPath.stageAnswered(call, response, functionError)
                case let .timedOut(resume):
                    // The host's deadline timer answers 504; the worker keeps the slot until
                    // it answers, for as long again, else it is stopped and replaced.
                    guard let resume else {
                        return host.workerBroken(instance: instance, generation: generation, why: "invocation \(call.id) timed out")
                    }
                    let requestPath = self.requestPath
                    resume(MonotonicClock.nanoseconds() + Int64(timeout * 1e9)) { next in
                        switch next {
                        case let .answered(response, functionError): requestPath.stageAnswered(call, response, functionError)
                        case .timedOut: host.workerBroken(instance: instance, generation: generation, why: "no answer to request \(call.id) within twice the timeout")
                        case let .failed(why): host.workerBroken(instance: instance, generation: generation, why: why)
                        }
                    }
                case let .failed(why):
                    host.workerBroken(instance: instance, generation: generation, why: "connection failed (\(why))")
                }
            }
        }
    }

    /// Books a stage a worker has just answered for the recorder (when there is one): its
    /// time, and its worker's readings as it was sent and now.
    private func recordStage(_ call: Call, instance: Int, generation: UInt64, meter: WorkerMeter?, sent: Int64,
                             atSent: (runDelay: Int64, throttled: Int64)) {
        guard let recorder, call.lastModel >= 0 else { return }
        let answered = MonotonicClock.nanoseconds()
        let atAnswer = meter?.read() ?? WorkerMeter.unread
        recorder.stageServed(RuntimeRecorder.Stage(model: call.lastModel, seconds: Double(answered - sent) / 1e9, cold: call.cold,
                                                   instance: instance, generation: generation, sent: sent, answered: answered,
                                                   runDelay: (atSent.runDelay, atAnswer.runDelay),
                                                   throttled: (atSent.throttled, atAnswer.throttled), request: call.sequence))
    }

    /// Submits the call and serves its stages on this thread until it has an answer (a graph
    /// pipeline's stage, on a thread of its own).
    func drive(_ call: Call) -> HTTPResponse {
        requestPath.submit(call)
        while true {
            switch call.next() {
            case let .finished(response):
                return response
            case .completed:
                return call.clientAnswer()
            case let .dispatch(instance, generation, endpoint, stage, meter):
                let atSent = meter?.read() ?? WorkerMeter.unread
                let sent = MonotonicClock.nanoseconds()
                switch endpoint.invoke(stage, deadline: call.deadline) {
                case let .answered(response, functionError):
                    recordStage(call, instance: instance, generation: generation, meter: meter, sent: sent, atSent: atSent)
                    requestPath.stageAnswered(call, response, functionError)
                case let .timedOut(resume):
                    // The host's deadline timer answers 504; the worker keeps the slot until
                    // it answers, for as long again, else it is stopped and replaced.
                    let host = self.host, requestPath = self.requestPath
                    let extra = Int64(timeout * 1e9)
                    if let resume {
                        Thread.detachNewThread {
                            switch resume(MonotonicClock.nanoseconds() + extra) {
                            case let .answered(response, functionError): requestPath.stageAnswered(call, response, functionError)
                            case .timedOut: host.workerBroken(instance: instance, generation: generation, why: "no answer to request \(call.id) within twice the timeout")
                            case let .failed(why): host.workerBroken(instance: instance, generation: generation, why: why)
                            }
                        }
                    } else {
                        host.workerBroken(instance: instance, generation: generation, why: "invocation \(call.id) timed out")
                    }
                case let .failed(why):
                    host.workerBroken(instance: instance, generation: generation, why: "connection failed (\(why))")
                }
            }
        }
    }
}
