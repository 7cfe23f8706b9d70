import Foundation

/// One stage of a request as a worker receives it.
public struct StageCall: Sendable {
    /// Request id (Lambda-Runtime-Aws-Request-Id, X-Request-Id).
    public var id: String
    /// The path the worker sees: `/v2/models/{model}/infer` (with `/versions/{v}` for a
    /// versioned model) and the client's query.
    public var path: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The model's name, for the Lambda function ARN.
    public var function: String
    /// The request's deadline on the wall clock, Unix milliseconds (Lambda-Runtime-Deadline-Ms).
    public var deadlineUnixMs: Int64
    /// Whether (and how) the answer may be relayed as it streams; nil: read whole.
    var stream: StreamOptions? = nil
}

/// What came of a stage sent to a worker.
public enum StageOutcome: @unchecked Sendable {
    /// The worker answered. `functionError` is set for a Lambda handler's error.
    case answered(HTTPResponse, functionError: Bool)
    /// No answer by the request's deadline. `resume` (if any) keeps waiting until a later
    /// deadline for the answer (the instance stays busy meanwhile).
    case timedOut(resume: (@Sendable (Int64) -> StageOutcome)?)
    /// The worker could not be reached or broke the connection.
    case failed(String)
}

/// What came of a stage sent to a worker from an event loop (`invokeAsync`).
enum AsyncStageOutcome {
    case answered(HTTPResponse, functionError: Bool)
    /// No answer by the deadline. `resume` (if any) keeps waiting until a later deadline and
    /// reports on the loop.
    case timedOut(resume: ((Int64, @escaping (AsyncStageOutcome) -> Void) -> Void)?)
    case failed(String)
}

/// How the runtime talks to one worker: the contract's transport.
protocol WorkerEndpoint: AnyObject, Sendable {
    /// Sends one stage and waits for its answer until `deadline` (monotonic ns).
    func invoke(_ call: StageCall, deadline: Int64) -> StageOutcome
    /// Sends one stage from `loop`'s thread and reports its answer there, without blocking it.
    func invokeAsync(_ call: StageCall, deadline: Int64, loop: EventLoop, _ done: @escaping (AsyncStageOutcome) -> Void)
    /// Releases the endpoint's resources (connections, listener).
    func close()
}

extension WorkerEndpoint {
    /// A transport that can only wait (the Lambda Runtime API, whose worker long-polls for its
    /// next invocation) waits on a thread of its own and reports back on the loop.
    func invokeAsync(_ call: StageCall, deadline: Int64, loop: EventLoop, _ done: @escaping (AsyncStageOutcome) -> Void) {
        let report = Unchecked(done)
        Thread.detachNewThread { [self] in
            let outcome = Self.offloaded(invoke(call, deadline: deadline), loop: loop)
            loop.execute { report.value(outcome) }
        }
    }

    /// A blocking outcome as an asynchronous one (a resume waits on a thread too).
    static func offloaded(_ outcome: StageOutcome, loop: EventLoop) -> AsyncStageOutcome {
        switch outcome {
        case let .answered(response, functionError): return .answered(response, functionError: functionError)
        case let .failed(why): return .failed(why)
        case let .timedOut(resume):
            guard let resume else { return .timedOut(resume: nil) }
            return .timedOut(resume: { deadline, done in
                let report = Unchecked(done)
                Thread.detachNewThread {
                    let next = offloaded(resume(deadline), loop: loop)
                    loop.execute { report.value(next) }
                }
            })
        }
    }
}

/// A value handed between threads where the hand-off itself orders the accesses (a task queued
/// on an event loop).
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The Knative / Cloud Run contract: requests proxied over HTTP to the worker's `$PORT`.
final class HTTPWorkerEndpoint: WorkerEndpoint, @unchecked Sendable {
    /// For callers that wait (a graph pipeline's stages).
    let client: HTTPClient
    /// For the event loop's calls: made on the loop at its first call.
    private let upstream = Atomic<UpstreamPool?>(nil)

    init(port: Int) {
        client = HTTPClient(address: SocketAddress(host: "127.0.0.1", port: port))
    }

    func invokeAsync(_ call: StageCall, deadline: Int64, loop: EventLoop, _ done: @escaping (AsyncStageOutcome) -> Void) {
        let pool = upstream.withLock { p -> UpstreamPool in
            if let p { return p }
            let made = UpstreamPool(address: client.address, loop: loop)
            p = made
            return made
        }
        // The id as an extra field: appending it to a copy of the headers cost an array.
        let request = HTTPRequest(method: "POST", target: call.path, headers: call.headers, body: call.body)
        pool.call(request, extra: ("X-Request-Id", call.id), deadline: deadline, stream: call.stream) { done(Self.outcome($0)) }
    }

    private static func outcome(_ o: UpstreamPool.Outcome) -> AsyncStageOutcome {
        switch o {
        case let .answered(r): return .answered(r, functionError: false)
        case let .failed(why): return .failed(why)
        case let .timedOut(connection):
            return .timedOut(resume: { deadline, done in
                connection.extend(until: deadline) { next in
                    if case .timedOut = next {
                        connection.abandon()
                        return done(.timedOut(resume: nil))
                    }
                    done(outcome(next))
                }
            })
        }
    }

    func invoke(_ call: StageCall, deadline: Int64) -> StageOutcome {
        var headers = call.headers
        headers.append(("X-Request-Id", call.id))
        let request = HTTPRequest(method: "POST", target: call.path, headers: headers, body: call.body)
        return outcome(client.call(request, deadline: deadline))
    }

    private func outcome(_ o: HTTPClient.Outcome) -> StageOutcome {
        switch o {
        case let .answered(r): return .answered(r, functionError: false)
        case let .failed(why): return .failed(why)
        case let .timedOut(pending):
            let client = self.client
            return .timedOut(resume: { [self] deadline in
                let next = client.keepWaiting(pending, deadline: deadline)
                if case .timedOut = next { client.abandon(pending); return .timedOut(resume: nil) }
                return outcome(next)
            })
        }
    }

    func close() {
        client.closeAll()
        upstream.load?.close()
    }
}
