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

/// How the runtime talks to one worker: the contract's transport.
public protocol WorkerEndpoint: AnyObject, Sendable {
    /// Sends one stage and waits for its answer until `deadline` (monotonic ns).
    func invoke(_ call: StageCall, deadline: Int64) -> StageOutcome
    /// Releases the endpoint's resources (connections, listener).
    func close()
}

/// The Knative / Cloud Run contract: requests proxied over HTTP to the worker's `$PORT`.
final class HTTPWorkerEndpoint: WorkerEndpoint, @unchecked Sendable {
    let client: HTTPClient

    init(port: Int) {
        client = HTTPClient(address: SocketAddress(host: "127.0.0.1", port: port))
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

    func close() { client.closeAll() }
}
