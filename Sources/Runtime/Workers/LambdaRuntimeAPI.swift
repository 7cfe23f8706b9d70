import Foundation
import Glibc

/// The AWS Lambda Runtime API (version 2018-06-01) for one instance: the worker's runtime
/// interface client long-polls `GET /2018-06-01/runtime/invocation/next` on
/// `$AWS_LAMBDA_RUNTIME_API`, runs its handler, and posts `…/invocation/{id}/response` or
/// `…/invocation/{id}/error`; a failed init posts `…/init/error`.
///
/// The instance is ready at its first `next`: that is where Lambda's init phase ends.
final class LambdaRuntimeAPI: WorkerEndpoint, @unchecked Sendable {
    private var server: HTTPServer!
    let functionARNPrefix = "arn:aws:lambda:local:000000000000:function:"
    private let lock = NSCondition()
    private var waiting: [StageCall] = []
    private var results: [String: (HTTPResponse, Bool)] = [:]
    /// Invocations handed to the worker and not yet answered.
    private var outstanding: Set<String> = []
    private var closed = false
    private var sawNext = false
    private let onReady: @Sendable () -> Void
    private let onInitError: @Sendable (String) -> Void

    var address: SocketAddress { server.address }

    /// Endpoints listening in this process (each has a socket and a thread until `close`;
    /// a test checks a failed start gives them back).
    static let open = Atomic(0)

    init(onReady: @escaping @Sendable () -> Void, onInitError: @escaping @Sendable (String) -> Void) throws {
        self.onReady = onReady
        self.onInitError = onInitError
        var limits = HTTPLimits()
        limits.idleTimeout = 24 * 3600   // the worker's connection idles while its handler runs
        server = try HTTPServer(address: SocketAddress(host: "127.0.0.1", port: 0), limits: limits, maxConnections: 16) { [unowned self] request in
            self.route(request)
        }
        server.start()
        LambdaRuntimeAPI.open.withLock { $0 += 1 }
    }

    private func route(_ request: HTTPRequest) -> HTTPResponse {
        let parts = request.path.split(separator: "/")
        guard parts.count >= 3, parts[0] == "2018-06-01", parts[1] == "runtime" else {
            return .error(404, "unknown Runtime API path \(request.path)")
        }
        switch (request.method, parts.count, parts[2]) {
        case ("GET", 4, "invocation") where parts[3] == "next":
            return next()
        case ("POST", 5, "invocation") where parts[4] == "response" || parts[4] == "error":
            return answer(String(parts[3]), request, error: parts[4] == "error")
        case ("POST", 4, "init") where parts[3] == "error":
            onInitError(String(decoding: request.body.prefix(500), as: UTF8.self))
            return HTTPResponse(status: 202, body: Array("{\"status\":\"OK\"}".utf8))
        default:
            return .error(404, "unknown Runtime API call \(request.method) \(request.path)")
        }
    }

    private func next() -> HTTPResponse {
        lock.lock()
        let first = !sawNext
        sawNext = true
        lock.unlock()
        if first { onReady() }
        lock.lock()
        defer { lock.unlock() }
        while waiting.isEmpty && !closed { lock.wait() }
        if closed { return .error(410, "the instance is stopping") }
        let call = waiting.removeFirst()
        outstanding.insert(call.id)
        let traceID = "Root=1-\(String(Int(Date().timeIntervalSince1970), radix: 16))-\(call.id.replacingOccurrences(of: "-", with: "").prefix(24));Sampled=0"
        return HTTPResponse(status: 200, headers: [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Aws-Request-Id", call.id),
            ("Lambda-Runtime-Deadline-Ms", String(call.deadlineUnixMs)),
            ("Lambda-Runtime-Invoked-Function-Arn", functionARNPrefix + call.function),
            ("Lambda-Runtime-Trace-Id", traceID),
        ], body: call.body)
    }

    private func answer(_ id: String, _ request: HTTPRequest, error: Bool) -> HTTPResponse {
        lock.lock()
        defer { lock.unlock() }
        guard outstanding.remove(id) != nil else {
            return .error(400, "no invocation \(id) is outstanding")   // Runtime API: InvalidRequestID
        }
        var headers: [(name: String, value: String)] = [("Content-Type", request.header("content-type") ?? "application/json")]
        if error { headers.append(("X-Amz-Function-Error", "Unhandled")) }
        results[id] = (HTTPResponse(status: 200, headers: headers, body: request.body), error)
        lock.broadcast()
        return HTTPResponse(status: 202, headers: [("Content-Type", "application/json")], body: Array("{\"status\":\"OK\"}".utf8))
    }

    func invoke(_ call: StageCall, deadline: Int64) -> StageOutcome {
        lock.lock()
        defer { lock.unlock() }
        if closed { return .failed("the instance is stopping") }
        waiting.append(call)
        lock.broadcast()
        while results[call.id] == nil && !closed {
            let left = deadline - MonotonicClock.nanoseconds()
            if left <= 0 {
                // Lambda ends an invocation that runs past its timeout by stopping the
                // environment ("Task timed out"): no resume, the host replaces the worker.
                waiting.removeAll { $0.id == call.id }
                return .timedOut(resume: nil)
            }
            _ = lock.wait(until: Date(timeIntervalSinceNow: Double(left) / 1e9))
        }
        guard let (response, functionError) = results.removeValue(forKey: call.id) else { return .failed("the instance stopped") }
        return .answered(response, functionError: functionError)
    }

    func close() {
        lock.lock()
        let first = !closed
        closed = true
        lock.broadcast()
        lock.unlock()
        guard first else { return }
        server.stop(grace: 0)
        LambdaRuntimeAPI.open.withLock { $0 -= 1 }
    }
}
