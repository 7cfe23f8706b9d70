import Foundation

/// One client request in the runtime: created by the HTTP front on the connection's thread,
/// filled in by the host on the core's executor, and driven stage by stage by the
/// connection's thread (which calls the workers).
final class Call: @unchecked Sendable {
    enum Event {
        /// Serve the current stage on a worker.
        case dispatch(instance: Int, generation: UInt64, endpoint: WorkerEndpoint, stage: StageCall)
        /// The client's answer.
        case finished(HTTPResponse)
        /// The last stage completed: the answer is made from the stages' responses.
        case completed
    }

    /// How the client called: the KServe v2 paths or the Lambda Invoke API.
    enum Style { case kserve, lambdaInvoke }

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

    private let condition = NSCondition()
    private var events: [Event] = []
    /// Where events go when an event loop drives the call (set before it is submitted):
    /// otherwise they wait in `events` for `next()`.
    var sink: ((Event) -> Void)?
    /// Gets the client's answer, once (on the driving loop's thread; nil once answered).
    var onAnswer: ((HTTPResponse) -> Void)?

    // Set on the core's executor only.
    var slot = -1
    var body: [UInt8]
    /// The client has its answer (a 504 may come before the core lets go of the slot).
    var answered = false
    var cold = false
    var lastStage: (response: HTTPResponse, functionError: Bool)?
    /// The first stage that answered with an error status, which becomes the client's answer.
    var stageError: (response: HTTPResponse, functionError: Bool)?
    /// Models that served its stages, in order.
    var models: [Int] = []
    /// How it ended, for the audit trail (set on the executor when it does).
    var outcome = ""
    var reason = ""
    /// Where its stages ran (under `condition`'s lock: a late stage end of a timed-out
    /// request may come after the client's answer).
    private var stageLog: [AuditRecord.Stage] = []

    func noteStage(_ stage: AuditRecord.Stage) {
        condition.lock()
        stageLog.append(stage)
        condition.unlock()
    }

    func noteStageEnd(_ micros: Int64) {
        condition.lock()
        if !stageLog.isEmpty, stageLog[stageLog.count - 1].end == nil { stageLog[stageLog.count - 1].end = micros }
        condition.unlock()
    }

    var stages: [AuditRecord.Stage] {
        condition.lock()
        defer { condition.unlock() }
        return stageLog
    }

    /// Calls alive in this process: a request's call must be freed once it is answered and the
    /// core let go of it (a test checks; a reference cycle here once leaked 2 KB a request).
    static let live = Atomic(0)

    deinit { Call.live.withLock { $0 -= 1 } }

    init(target: Int, caller: Int, style: Style, id: String, query: String, headers: [(name: String, value: String)],
         body: [UInt8], arrival: Int64, timeout: Double, isStage: Bool = false) {
        Call.live.withLock { $0 += 1 }
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
        deadlineUnixMs = Int64((Date().timeIntervalSince1970 + timeout) * 1000)
    }

    func post(_ event: Event) {
        if let sink { return sink(event) }
        condition.lock()
        events.append(event)
        condition.signal()
        condition.unlock()
    }

    /// Waits for the next event.
    func next() -> Event {
        condition.lock()
        defer { condition.unlock() }
        while events.isEmpty { condition.wait() }
        return events.removeFirst()
    }
}

extension Call {
    /// The client's answer: the first stage that failed, else the last stage's.
    func clientAnswer() -> HTTPResponse {
        guard let (response, functionError) = stageError ?? lastStage else { return .error(502, "no stage answered") }
        var answer = HTTPResponse(status: response.status, headers: response.headers.filter { h in
            HTTPRequest.isOne(of: ["content-type", "cache-control", "content-encoding"], h.name)
                || (h.name.utf8.count > 2 && HTTPRequest.sameName(String(h.name.prefix(2)), "x-"))
        }, body: response.body)
        if functionError && style == .kserve { answer.status = 500 }
        answer.headers.append(("X-Request-Id", id))
        if cold { answer.headers.append(("Headroom-Cold-Start", "true")) }
        return answer
    }

}
