import Foundation
import XCTest
import Glibc
@testable import Runtime

/// The event loop's HTTP handling as clients and workers exercise it: requests that arrive in
/// pieces or pipelined, bodies larger than any buffer both ways, 100-continue, answers framed
/// by the connection's end, and the connection limit.
final class EventLoopServeTests: RuntimeTestCase {
    private func echoServer(limits: HTTPLimits = HTTPLimits(), maxConnections: Int? = nil) throws -> RuntimeServer {
        let s = try scenario(models: [("echo", model(httpWorker()))], plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}}")
        return try start(s, plan: "reserved", limits: limits, maxConnections: maxConnections)
    }

    private func read(_ c: HTTPConnection) throws -> HTTPResponse {
        try c.readResponse(method: "POST", deadline: MonotonicClock.nanoseconds() + 10_000_000_000)
    }

    private func request(_ body: String, extra: String = "") -> String {
        "POST /v2/models/echo/infer HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// Three requests written at once are answered in order on the one connection.
    func testPipelinedRequestsAreAnsweredInOrder() throws {
        let server = try echoServer()
        let socket = try Socket.connect(server.address, timeout: 2)
        try socket.write(Array((request("{\"k\": 1}") + request("{\"k\": 2}") + request("{\"k\": 3}")).utf8))
        let c = HTTPConnection(socket: socket)
        for k in 1...3 {
            let r = try read(c)
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual((json(r)["in"] as? [String: Any])?["k"] as? Int, k)
        }
    }

    /// A head and body that trickle in, and a chunked body in several chunks, are each read
    /// whole before the worker is called.
    func testRequestsArrivingInPieces() throws {
        let server = try echoServer()
        let socket = try Socket.connect(server.address, timeout: 2)
        let whole = Array(request("{\"piece\": \"abcdefghij\"}").utf8)
        for cut in [3, 40, whole.count - 5] {
            let from = [0, 3, 40][[3, 40, whole.count - 5].firstIndex(of: cut)!]
            try socket.write(Array(whole[from..<cut]))
            usleep(30_000)
        }
        try socket.write(Array(whole[(whole.count - 5)...]))
        let c = HTTPConnection(socket: socket)
        let r = try read(c)
        XCTAssertEqual((json(r)["in"] as? [String: Any])?["piece"] as? String, "abcdefghij")

        try socket.write(Array("POST /v2/models/echo/infer HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".utf8))
        for chunk in ["{\"chu", "nked\": ", "true}"] {
            usleep(20_000)
            try socket.write(Array((String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n").utf8))
        }
        try socket.write(Array("0\r\n\r\n".utf8))
        let chunked = try read(c)
        XCTAssertEqual(chunked.status, 200)
        XCTAssertEqual((json(chunked)["in"] as? [String: Any])?["chunked"] as? Bool, true)
    }

    /// A 3 MB body goes to the worker and its 3 MB answer comes back, byte for byte: the
    /// buffers grow and the writes resume when the sockets have room again.
    func testLargeBodiesBothWays() throws {
        let server = try echoServer()
        var g = SystemRandomNumberGenerator()
        let pad = String(decoding: (0..<3_000_000).map { _ in UInt8(97 + g.next() % 26) }, as: UTF8.self)
        let r = call(server, "/v2/models/echo/infer", body: "{\"pad\": \"\(pad)\"}")
        XCTAssertEqual(r?.status, 200)
        XCTAssertEqual((json(r)["in"] as? [String: Any])?["pad"] as? String, pad)
    }

    /// A client that sends `Expect: 100-continue` gets the interim answer, then sends its body.
    func testExpectContinue() throws {
        let server = try echoServer()
        let socket = try Socket.connect(server.address, timeout: 2)
        let body = "{\"expect\": 1}"
        try socket.write(Array("POST /v2/models/echo/infer HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n".utf8))
        var interim = [UInt8](repeating: 0, count: 25)
        var got = 0
        while got < 25 {
            let n = try interim.withUnsafeMutableBytes { try socket.read(into: $0.baseAddress! + got, count: 25 - got, deadline: MonotonicClock.nanoseconds() + 5_000_000_000) }
            guard let n, n > 0 else { return XCTFail("no interim answer") }
            got += n
        }
        XCTAssertEqual(String(decoding: interim, as: UTF8.self), "HTTP/1.1 100 Continue\r\n\r\n")
        try socket.write(Array(body.utf8))
        let r = try read(HTTPConnection(socket: socket))
        XCTAssertEqual((json(r)["in"] as? [String: Any])?["expect"] as? Int, 1)
    }

    /// A worker's answer without Content-Length ends where its connection does: the client
    /// gets all of it, framed with a length.
    func testAnswerFramedByTheWorkersClose() throws {
        let server = try echoServer()
        let r = call(server, "/v2/models/echo/infer", body: "{\"nolength\": true}")
        XCTAssertEqual(r?.status, 200)
        XCTAssertEqual(json(r)["framing"] as? String, "until-close")
        XCTAssertEqual(call(server, "/v2/models/echo/infer", body: "{\"after\": 1}")?.status, 200, "the next call gets a new connection")
    }

    /// A client that sends its request and then closes its sending side (as `nc` does) still
    /// gets the answer before the connection ends.
    func testHalfClosedClientGetsItsAnswer() throws {
        let server = try echoServer()
        let socket = try Socket.connect(server.address, timeout: 2)
        try socket.write(Array(request("{\"half\": 1}").utf8))
        _ = Glibc.shutdown(socket.fd, Int32(SHUT_WR))
        let c = HTTPConnection(socket: socket)
        let r = try read(c)
        XCTAssertEqual((json(r)["in"] as? [String: Any])?["half"] as? Int, 1)
        XCTAssertThrowsError(try read(c), "then the server closes")
    }

    /// Past the connection limit a new connection gets 503 and is closed; the open ones
    /// are still served.
    func testConnectionLimit() throws {
        let server = try echoServer(maxConnections: 2)
        let a = try Socket.connect(server.address, timeout: 2), b = try Socket.connect(server.address, timeout: 2)
        try a.write(Array(request("{\"k\": 1}").utf8))
        XCTAssertEqual(try read(HTTPConnection(socket: a)).status, 200)
        let until = Date().addingTimeInterval(2)
        while server.connectionCounts.open < 2 && Date() < until { usleep(5_000) }
        let third = try Socket.connect(server.address, timeout: 2)
        XCTAssertEqual(try read(HTTPConnection(socket: third)).status, 503)
        XCTAssertEqual(server.connectionCounts.refused, 1)
        try b.write(Array(request("{\"k\": 2}").utf8))
        XCTAssertEqual(try read(HTTPConnection(socket: b)).status, 200)
    }
}
