import Foundation
import XCTest
import Glibc
@testable import Runtime

/// The request path's fast parts against what they replace: the infer-path reader against the
/// general routing's segments, header-name checks by length against the name lists, the
/// exact-size message writer against plain appends, and the upstream pool's one retry of a
/// kept-alive connection the worker had closed.
final class RequestPathTests: XCTestCase {
    /// What the general routing makes of a path: the model name and version of an infer path
    /// (the same split into segments `Front.route` does), or nil.
    private func reference(_ path: String) -> (String, String?)? {
        let p = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst().map { String(decoding: $0, as: UTF8.self) }
        guard p.count >= 4, p[0] == "v2", p[1] == "models" else { return nil }
        let rest = Array(p.dropFirst(3))
        if rest == ["infer"] { return (p[2], nil) }
        if rest.count == 3, rest[0] == "versions", rest[2] == "infer" { return (p[2], rest[1]) }
        return nil
    }

    /// Every path made of these pieces gets the same name and version from the fast reader as
    /// from the general routing, and the fast reader declines only what the general routing
    /// also treats specially (an empty name or version, which it answers itself).
    func testInferPathAgreesWithTheGeneralRouting() {
        let pieces = ["", "v2", "models", "m", "m%20x", "a-long-model-name-of-many-bytes", "versions", "2", "infer", "ready", "é"]
        var paths: Set<String> = ["/", "/v2", "/v2/models", "/v2/models/", "/v2/models/m/infer", "/v2/models/m/versions/2/infer"]
        for a in pieces { for b in pieces { for c in pieces {
            paths.insert("/v2/models/\(a)/\(b)")
            paths.insert("/v2/models/\(a)/\(b)/\(c)")
            paths.insert("/v2/models/\(a)/versions/\(b)/\(c)")
            paths.insert("/v2/\(a)/\(b)/\(c)")
            paths.insert("/v2/models/\(a)/\(b)/\(c)/")
        } } }
        var matched = 0
        for path in paths.sorted() {
            let fast = Front.inferPath(path[...])
            let slow = reference(path)
            if let fast {
                matched += 1
                XCTAssertEqual(slow?.0, fast.name, path)
                XCTAssertEqual(slow?.1, fast.version, path)
            } else if let slow {
                XCTAssertTrue(slow.0.isEmpty || slow.1?.isEmpty == true, "the fast reader missed \(path)")
            }
        }
        XCTAssertGreaterThan(matched, 20)
        XCTAssertEqual(Front.inferPath("/v2/models/m/infer"[...])?.name, "m")
        XCTAssertEqual(Front.inferPath("/v2/models/m/versions/v7/infer"[...])?.version, "v7")
        XCTAssertNil(Front.inferPath("/v2/models/m/infer/"[...]))
        XCTAssertNil(Front.inferPath("/v2/models//infer"[...]))
    }

    /// The trivially correct reference: `name` against every member of the list.
    private func isOne(of lowerNames: [String], _ name: String) -> Bool {
        lowerNames.contains { HTTPRequest.sameName(name, $0) }
    }

    /// Header names, in any case, are found by their length first exactly as in the lists.
    func testHeaderChecksByLengthAgreeWithTheLists() {
        let framing = HTTPResponse.framing.names
        var names = Front.forwarded.names + framing + Call.passedBack.names
            + ["Host", "X-Request-Id", "x-", "X", "", "content-typ", "content-types", "Accept ", "traceparenT", "TRACESTATE", "Cookie", "authorization",
               "inference-header-content-lengtH", "inference-header-content-lengt", "x-amzn-trace-iD", "Content-Encoding", "content_encoding", "é-accept"]
        names += names.map { $0.uppercased() } + names.map { $0.capitalized }
        for name in names {
            XCTAssertEqual(Front.forwarded.contains(name), isOne(of: Front.forwarded.names, name), name)
            XCTAssertEqual(HTTPResponse.framing.contains(name), isOne(of: framing, name), name)
            XCTAssertEqual(Call.passedBack.contains(name), isOne(of: Call.passedBack.names, name), name)
            let ext = name.utf8.count > 2 && HTTPRequest.sameName(String(name.prefix(2)), "x-")
            XCTAssertEqual(Call.isExtension(name), ext, name)
        }
    }

    /// The plain way of writing a message: appends, as the writer replaced.
    private func appended(_ r: HTTPRequest, host: String, extra: (name: String, value: String)?) -> [UInt8] {
        var fields = r.headers
        if let extra { fields.append(extra) }
        var text = "\(r.method) \(r.target) HTTP/1.1\r\nHost: \(host)\r\n"
        for f in fields { text += "\(f.name): \(f.value)\r\n" }
        text += "Content-Length: \(r.body.count)\r\n\r\n"
        return Array(text.utf8) + r.body
    }

    /// Messages written in one exact-size array are the bytes plain appends make, for headers
    /// and bodies of many sizes, non-ASCII text and status codes of any width.
    func testMessagesAreWrittenAsByPlainAppends() {
        var generator = SystemRandomNumberGenerator()
        for k in 0..<300 {
            let headers = (0..<(k % 7)).map { j in ("X-Field-\(j)", String(repeating: "vé", count: Int.random(in: 0...40, using: &generator))) }
            let body = (0..<Int.random(in: 0...(k % 3 == 0 ? 70_000 : 300), using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let request = HTTPRequest(method: k % 2 == 0 ? "POST" : "GET", target: "/v2/models/m\(k)/infer?q=\(k)", headers: headers, body: body)
            let extra: (name: String, value: String)? = k % 3 == 0 ? nil : ("X-Request-Id", "id-\(k)")
            XCTAssertEqual(request.serialized(host: "127.0.0.1:\(k)", extra: extra), appended(request, host: "127.0.0.1:\(k)", extra: extra))
            let status = [200, 404, 99, 1000, 7, 0, -12][k % 7]
            let response = HTTPResponse(status: status, headers: headers + [("Content-Length", "1"), ("connection", "x")], body: body)
            var text = "HTTP/1.1 \(status) \(HTTPResponse.reason(status))\r\n"
            for f in headers { text += "\(f.0): \(f.1)\r\n" }
            text += "Content-Length: \(body.count)\r\n" + (k % 2 == 0 ? "Connection: close\r\n" : "") + "\r\n"
            XCTAssertEqual(response.serialized(close: k % 2 == 0), Array(text.utf8) + body, "status \(status)")
        }
    }

    /// A worker stand-in on a blocking socket: for each connection it accepts, `script` says
    /// what to do with each request read (answer with a body, or close without answering).
    private final class FakeWorker: @unchecked Sendable {
        let listener: Socket
        let port: Int
        let accepted = Atomic(0)
        private let thread: Thread

        init(_ script: @escaping @Sendable (_ connection: Int, _ request: Int) -> String?) throws {
            listener = try Socket.listen(SocketAddress(host: "127.0.0.1", port: 0))
            port = listener.localPort
            let listener = self.listener, accepted = self.accepted
            thread = Thread {
                while let s = listener.accept() {
                    let k = accepted.withLock { $0 += 1; return $0 }
                    let c = HTTPConnection(socket: s)
                    var n = 0
                    while (try? c.readRequest(limits: HTTPLimits())) != nil {
                        n += 1
                        guard let body = script(k, n) else { break }
                        try? s.write(Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
                    }
                    s.close()
                }
            }
            thread.start()
        }

        func stop() { listener.shutdown() }
    }

    private func call(_ pool: UpstreamPool, on loop: EventLoop) -> UpstreamPool.Outcome? {
        let done = DispatchSemaphore(value: 0)
        let result = Atomic<UpstreamPool.Outcome?>(nil)
        loop.execute {
            pool.call(HTTPRequest(method: "POST", target: "/x", body: Array("{}".utf8)), deadline: MonotonicClock.nanoseconds() + 5_000_000_000) { outcome in
                result.withLock { $0 = outcome }
                done.signal()
            }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        return result.load
    }

    private func body(_ outcome: UpstreamPool.Outcome?) -> String? {
        if case let .answered(r) = outcome { return String(decoding: r.body, as: UTF8.self) }
        return nil
    }

    /// The worker closes the kept-alive connection when the second request comes: the pool
    /// sends it once more on a new connection, and the caller sees only the answer.
    func testKeptAliveConnectionClosedByTheWorkerIsRetriedOnce() throws {
        try withPool({ connection, request in connection == 1 ? (request == 1 ? "first" : nil) : "again" }) { pool, loop, worker in
            XCTAssertEqual(body(call(pool, on: loop)), "first")
            XCTAssertEqual(body(call(pool, on: loop)), "again")
            XCTAssertEqual(worker.accepted.load, 2)
        }
    }

    /// A fake worker following `script`, an event loop, and an upstream pool to the worker,
    /// for `body`; all stopped after it.
    private func withPool(_ script: @escaping @Sendable (Int, Int) -> String?,
                          _ body: (UpstreamPool, EventLoop, FakeWorker) throws -> Void) throws {
        let worker = try FakeWorker(script)
        defer { worker.stop() }
        let loop = try EventLoop()
        loop.start(name: "upstream-test")
        defer { loop.stop() }
        let pool = UpstreamPool(address: SocketAddress(host: "127.0.0.1", port: worker.port), loop: loop)
        defer { pool.close() }
        try body(pool, loop, worker)
    }

    /// A worker that closes every connection when a request comes: a fresh connection's
    /// failure is reported as it is, and a kept-alive one's is retried once, not more.
    func testFailuresAreRetriedAtMostOnce() throws {
        try withPool({ connection, request in connection == 1 && request == 1 ? "first" : nil }) { pool, loop, worker in
            XCTAssertEqual(body(call(pool, on: loop)), "first")
            guard case .failed = call(pool, on: loop) else { return XCTFail("a second failure must be reported") }
            XCTAssertEqual(worker.accepted.load, 2, "the kept-alive connection's failure is retried on exactly one new connection")
            guard case .failed = call(pool, on: loop) else { return XCTFail("a fresh connection's failure must be reported") }
            XCTAssertEqual(worker.accepted.load, 3, "a fresh connection's failure is not retried")
        }
    }
}
