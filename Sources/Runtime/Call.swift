import Foundation
import Glibc

/// One client request in the runtime: created by the HTTP front on the connection's thread,
/// filled in by the host on the core's executor, and driven stage by stage by the
/// connection's thread (which calls the workers).
final class Call: @unchecked Sendable {
    enum Event {
        /// Serve the current stage on a worker. `meter` reads the worker as the stage is sent
        /// and answered when the runtime records for calibration, else nil.
        case dispatch(instance: Int, generation: UInt64, endpoint: WorkerEndpoint, stage: StageCall, meter: WorkerMeter?)
        /// The client's answer.
        case finished(HTTPResponse)
        /// The last stage completed: the answer is made from the stages' responses.
        case completed
    }

    /// How the client called: the KServe v2 paths, the Lambda Invoke API or the OpenAI API.
    enum Style { case kserve, lambdaInvoke, openai }

    let target: Int
    let caller: Int
    let style: Style
    let id: String
    let query: String
    let headers: [(name: String, value: String)]
    /// Monotonic ns.
    let arrival: Int64
    let deadline: Int64
    let deadlineUnixMs: Int64
    /// A stage of a graph pipeline's request: counted with the pipeline, not on its own.
    let isStage: Bool

    /// Guards `events` and the stage log; signals `next()`. Inline, not an object: a request
    /// makes one call, and the event loop never waits on it.
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    /// Whether its stages are noted for the audit trail (only when one is kept).
    let logsStages: Bool
    private var events: [Event] = []
    /// Where events go when an event loop drives the call (set before it is submitted):
    /// otherwise they wait in `events` for `next()`.
    var sink: ((Event) -> Void)?
    /// Gets the client's answer, once (on the driving loop's thread; nil once answered).
    var onAnswer: ((HTTPResponse) -> Void)?

    /// The path the worker is called on instead of its model's KServe infer path (the OpenAI
    /// API's, which an OpenAI-compatible worker serves). Set before the call is submitted.
    var workerPath: String?
    /// Whether a worker's streamed answer is relayed to the client as it comes (a request for
    /// one model, from an event loop, not through the Lambda API). Set before submission.
    var streams = false

    // Set on the core's executor only.
    var slot = -1
    var body: [UInt8]
    /// The client has its answer (a 504 may come before the core lets go of the slot).
    var answered = false
    /// The client is being sent its answer as it streams: no deadline cuts it any more.
    var streaming = false
    var cold = false
    var lastStage: (response: HTTPResponse, functionError: Bool)?
    /// The first stage that answered with an error status, which becomes the client's answer.
    var stageError: (response: HTTPResponse, functionError: Bool)?
    /// The model that served its latest stage (-1: none yet).
    var lastModel = -1
    /// The client's number for the request (`headroom-request`), or −1.
    var sequence: Int64 = -1
    /// How it ended, for the audit trail (set on the executor when it does).
    var outcome = ""
    var reason = ""
    /// Where its stages ran (under `condition`'s lock: a late stage end of a timed-out
    /// request may come after the client's answer).
    private var stageLog: [AuditRecord.Stage] = []

    func noteStage(_ stage: AuditRecord.Stage) {
        pthread_mutex_lock(&mutex)
        stageLog.append(stage)
        pthread_mutex_unlock(&mutex)
    }

    func noteStageEnd(_ micros: Int64) {
        pthread_mutex_lock(&mutex)
        if !stageLog.isEmpty, stageLog[stageLog.count - 1].end == nil { stageLog[stageLog.count - 1].end = micros }
        pthread_mutex_unlock(&mutex)
    }

    var stages: [AuditRecord.Stage] {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return stageLog
    }

    /// Calls alive in this process: a request's call must be freed once it is answered and the
    /// core let go of it (a test checks; a reference cycle here once leaked 2 KB a request).
    static let live = Atomic(0)

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
        Call.live.withLock { $0 -= 1 }
    }

    /// Unix milliseconds minus monotonic milliseconds, taken once: a deadline on the wall
    /// clock without reading it per request.
    static let unixMinusMonotonicMs: Int64 = Int64(Date().timeIntervalSince1970 * 1000) - MonotonicClock.nanoseconds() / 1_000_000

    init(target: Int, caller: Int, style: Style, id: String, query: String, headers: [(name: String, value: String)],
         body: [UInt8], arrival: Int64, timeout: Double, isStage: Bool = false, logsStages: Bool = true) {
        Call.live.withLock { $0 += 1 }
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        self.logsStages = logsStages
        self.isStage = isStage
        self.target = target
        self.caller = caller
        self.style = style
        self.id = id
        self.query = query
        self.headers = headers
        self.body = body
        self.arrival = arrival
        deadline = arrival + Int64(timeout * 1e9)
        deadlineUnixMs = deadline / 1_000_000 + Call.unixMinusMonotonicMs
    }

    func post(_ event: Event) {
        if let sink { return sink(event) }
        pthread_mutex_lock(&mutex)
        events.append(event)
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    /// Waits for the next event.
    func next() -> Event {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while events.isEmpty { pthread_cond_wait(&condition, &mutex) }
        return events.removeFirst()
    }
}

extension Call {
    /// The head of a streamed answer as the client gets it: the worker's status and the
    /// header fields passed back, with the stream that carries its body.
    func clientStreamHead(_ response: HTTPResponse) -> HTTPResponse {
        var head = HTTPResponse(status: response.status, headers: clientHeaders(response))
        head.stream = response.stream
        return head
    }

    /// A worker's answer's header fields as its client gets them: those passed back, the
    /// request's id, and whether it waited for a cold start.
    private func clientHeaders(_ response: HTTPResponse) -> [(name: String, value: String)] {
        // One array, sized for what is added: its growth was two allocations an answer.
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(response.headers.count + 2)
        for h in response.headers where Call.passedBack.contains(h.name) || Call.isExtension(h.name) { headers.append(h) }
        headers.append(("X-Request-Id", id))
        if cold { headers.append(("Headroom-Cold-Start", "true")) }
        return headers
    }

    /// The client's answer: the first stage that failed, else the last stage's.
    func clientAnswer() -> HTTPResponse {
        guard let (response, functionError) = stageError ?? lastStage else { return .error(502, "no stage answered") }
        return HTTPResponse(status: functionError && style != .lambdaInvoke ? 500 : response.status, headers: clientHeaders(response), body: response.body)
    }

    /// A worker's answer headers the client gets, besides `x-…` ones.
    /// `inference-header-content-length` is KServe v2's binary tensor extension: without it
    /// a client cannot tell the JSON header of a binary answer from its tensor data.
    static let passedBack = HeaderNames(["content-type", "cache-control", "content-encoding", "inference-header-content-length"])

    /// Whether a header name is an `x-…` extension (ASCII case-insensitive).
    static func isExtension(_ name: String) -> Bool {
        var u = name.utf8.makeIterator()
        guard let a = u.next(), a | 0x20 == UInt8(ascii: "x"), u.next() == UInt8(ascii: "-"), u.next() != nil else { return false }
        return true
    }

}
