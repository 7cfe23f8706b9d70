import Foundation
import XCTest
import Glibc
@testable import Runtime

/// HTTP/1.1 framing by RFC 9112 §6 and RFC 9110 §5.5, as `Scripts/http-differential.py`
/// holds it against h11: the smuggling cases found by hand, each pinned here.
final class HTTPFramingTests: RuntimeTestCase {
    let limits = HTTPLimits()

    func requests(_ text: String) -> [HTTPWireParser.Event] { HTTPWireParser.requests(Array(text.utf8), limits: limits) }
    func status(_ events: [HTTPWireParser.Event]) -> Int? {
        if case let .error(status, _)? = events.last { return status }
        return nil
    }

    /// Both Content-Length and Transfer-Encoding: chunked frames it, and the connection closes
    /// after the answer, so the bytes after the chunked body are never read as a request.
    func testContentLengthWithTransferEncodingIsChunkedAndCloses() {
        let e = requests("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(e.count, 2, "\(e)")
        guard case let .request(_, target, _, _, body)? = e.first else { return XCTFail("\(e)") }
        XCTAssertEqual(target, "/a")
        XCTAssertEqual(body, Array("abc".utf8))
        XCTAssertEqual(e.last, .close, "the connection closes after it: /smuggled is never parsed")
        // Chunked in HTTP/1.0 closes too (RFC 9112 §6.1).
        XCTAssertEqual(requests("POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").last, .close)
    }

    func testTransferCodingsOtherThanChunkedAreRefused() {
        for te in ["xchunked", "gzip, chunked", "chunked, chunked", "identity", "chunkedx", ""] {
            XCTAssertEqual(status(requests("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \(te)\r\n\r\n5\r\nhello\r\n0\r\n\r\n")), 501, te)
        }
        XCTAssertEqual(status(requests("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")), 501)
        guard case .request? = requests("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n").first else { return XCTFail("codings are case-insensitive") }
    }

    func testContentLengthIsDigitsOnly() {
        for cl in ["+2", "-2", " 2 2", "0x2", "2.0", "", "2,3", ",2"] {
            XCTAssertEqual(status(requests("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(cl)\r\n\r\nab")), 400, cl)
        }
        XCTAssertEqual(status(requests("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\nab")), 413)
        guard case let .request(_, _, _, _, body)? = requests("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nab").first else {
            return XCTFail("the same length repeated is one length")
        }
        XCTAssertEqual(body, Array("ab".utf8))
    }

    /// Field values with CR, LF, NUL (and VT, FF) are refused; nothing of them reaches a worker.
    func testFieldValuesWithControlBytesAreRefused() {
        for value in ["a\rb", "a\u{0}b", "a\u{0B}b", "a\u{0C}b", "a\r"] {
            XCTAssertEqual(status(requests("GET / HTTP/1.1\r\nHost: h\r\nX-Bad: \(value)\r\n\r\n")), 400, value.debugDescription)
        }
        XCTAssertEqual(status(requests("GET / HTTP/1.1\r\nHost: h\r\nX-Bad: a\nb\r\n\r\n")), 400, "a bare LF ends the line; the rest has no colon")
        XCTAssertEqual(status(requests("GET / HTTP/1.1\r\nHost: h\r\nX Bad: a\r\n\r\n")), 400, "a name is a token")
        XCTAssertEqual(status(requests("GET / HTTP/1.1\r\nHost: h\r\nX-Bad : a\r\n\r\n")), 400, "no white space before the colon")
    }

    func testObsFoldIsOneSpaceAndHostIsRequired() {
        guard case let .request(_, _, _, headers, _)? = requests("GET / HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n  b\r\n\tc\r\n\r\n").first else { return XCTFail() }
        XCTAssertEqual(headers, ["host: h", "x-long: a b c"])
        // Found by the differential run: a continuation of white space only keeps its joining
        // space for the next one (h11 joins the raw lines, then trims the ends).
        guard case let .request(_, _, _, spaced, _)? = requests("GET / HTTP/1.1\r\nHost: h0\r\n \n\t x\r\n\r\n").first else { return XCTFail() }
        XCTAssertEqual(spaced, ["host: h0  x"])
        XCTAssertEqual(status(requests("GET / HTTP/1.1\r\n folded\r\nHost: h\r\n\r\n")), 400, "a continuation before any field")
        XCTAssertEqual(status(requests("GET / HTTP/1.1\r\n\r\n")), 400, "HTTP/1.1 without Host")
        XCTAssertEqual(status(requests("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")), 400, "two Hosts")
        guard case .request? = requests("GET / HTTP/1.0\r\n\r\n").first else { return XCTFail("HTTP/1.0 needs no Host") }
        XCTAssertEqual(status(requests("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")), 400, "no empty line before the request line (as h11)")
    }

    func testChunkLinesEndWithCRLF() {
        XCTAssertEqual(status(requests("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n")), 400)
        XCTAssertEqual(status(requests("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n")), 400)
        XCTAssertEqual(status(requests("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n 3\r\nabc\r\n0\r\n\r\n")), 400)
        guard case let .request(_, _, _, _, body)? = requests("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0003;x=\"y\"\r\nabc\r\n00000000000000000000\r\nX-T: 1\r\n\r\n").first else {
            return XCTFail()
        }
        XCTAssertEqual(body, Array("abc".utf8))
    }

    /// A worker's answer with both framings is read as chunked and its connection is not used
    /// again; a bad chunk or a 101 is an error (502), never a desynchronised connection.
    func testWorkerResponsesCannotDesynchroniseTheUpstream() {
        let both = HTTPWireParser.response(Array("HTTP/1.1 200 OK\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n".utf8), limits: limits)
        XCTAssertEqual(both, [.response(status: 200, headers: [], body: Array("hi".utf8)), .close])
        for wire in ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiX\r\n0\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\nhi",
                     "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nhi",
                     "HTTP/1.1 101 Switching Protocols\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                     "HTTP/1.1 200 O\rK\r\nContent-Length: 0\r\n\r\n"] {
            guard case let .error(status, _)? = HTTPWireParser.response(Array(wire.utf8), limits: limits).first else { return XCTFail(wire) }
            XCTAssertEqual(status, 502, wire)
        }
    }

    /// The same through a running `serve`: the smuggled request after a CL+TE body gets no
    /// answer, and the connection closes after the first.
    func testServeClosesAfterAmbiguousFraming() throws {
        let s = try scenario(models: [("echo", model(httpWorker()))], plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}}")
        let server = try start(s, plan: "reserved")
        let socket = try Socket.connect(server.address, timeout: 2)
        let body = "{\"k\": 1}"
        try socket.write(Array(("POST /v2/models/echo/infer HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + String(body.utf8.count, radix: 16) + "\r\n" + body + "\r\n0\r\n\r\n"
                                + "GET /v2/health/ready HTTP/1.1\r\nHost: t\r\n\r\n").utf8))
        let c = HTTPConnection(socket: socket)
        let first = try c.readResponse(method: "POST", deadline: MonotonicClock.nanoseconds() + 10_000_000_000)
        XCTAssertEqual(first.status, 200)
        XCTAssertEqual(first.header("connection")?.lowercased(), "close")
        XCTAssertThrowsError(try c.readResponse(method: "GET", deadline: MonotonicClock.nanoseconds() + 5_000_000_000), "no second answer") { e in
            XCTAssertEqual(e as? HTTPReadError, .closed)
        }
        // An unknown coding: 501 and the connection closed.
        let other = try Socket.connect(server.address, timeout: 2)
        try other.write(Array("POST /v2/models/echo/infer HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n5\r\nGET /\r\n0\r\n\r\n".utf8))
        let o = HTTPConnection(socket: other)
        XCTAssertEqual(try o.readResponse(method: "POST", deadline: MonotonicClock.nanoseconds() + 10_000_000_000).status, 501)
        XCTAssertThrowsError(try o.readResponse(method: "GET", deadline: MonotonicClock.nanoseconds() + 5_000_000_000)) { e in
            XCTAssertEqual(e as? HTTPReadError, .closed)
        }
    }

    /// A few thousand fuzzed inputs each way against h11 itself, when it is installed in
    /// .venv (Scripts/ci-tools.sh puts it there; .ci/run runs 100,000 each way).
    func testNoFramingDifferenceFromH11() throws {
        let python = try venvPython(importing: "h11", what: "the differential check against h11")
        let oracle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("headroom-http-oracle").path
        guard FileManager.default.isExecutableFile(atPath: oracle) else { throw XCTSkip("no headroom-http-oracle beside the tests at \(oracle)") }
        for mode in ["", "--responses"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = [Self.repository + "/Scripts/http-differential.py", "--count", "3000", "--seed", "7", "--oracle", oracle] + (mode.isEmpty ? [] : [mode])
            p.currentDirectoryURL = URL(fileURLWithPath: folder)
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, text)
            XCTAssertTrue(text.contains("3000 inputs") && text.contains("differences: 0"), text)
        }
    }
}
