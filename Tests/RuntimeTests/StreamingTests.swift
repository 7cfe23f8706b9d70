import Foundation
import XCTest
import Glibc
@testable import Runtime
import Scenario
import Digest

/// A client that reads a streamed answer piece by piece, noting when each piece came.
struct StreamClient {
    struct Piece { var at: Int64; var bytes: [UInt8] }
    var status = 0
    var headers: [(name: String, value: String)] = []
    var pieces: [Piece] = []
    /// The body ended as its framing says (the last chunk came); false: cut short.
    var complete = false
    var body: [UInt8] { pieces.flatMap(\.bytes) }

    /// The server-sent events of the body, each with when its end came (monotonic ns) and the
    /// worker's send time in it (the test worker's "data: <i> <ns> …").
    var events: [(index: Int, sent: Int64, received: Int64)] {
        var out: [(Int, Int64, Int64)] = []
        var text: [UInt8] = []
        for p in pieces {
            for b in p.bytes {
                text.append(b)
                if text.count >= 2, text[text.count - 1] == 10, text[text.count - 2] == 10 {
                    let fields = String(decoding: text, as: UTF8.self).split(separator: " ")
                    if fields.count >= 3, let i = Int(fields[1]), let sent = Int64(fields[2]) { out.append((i, sent, p.at)) }
                    text = []
                }
            }
        }
        return out
    }

    /// Sends `body` to `path` and reads the answer as it streams, for at most `seconds`;
    /// `stopAfter` closes the connection once that many body bytes came (a client that goes
    /// away).
    static func post(_ address: SocketAddress, _ path: String, body: String, http10: Bool = false, seconds: Double = 20,
                     stopAfter: Int? = nil) throws -> StreamClient {
        let socket = try Socket.connect(address, timeout: 2)
        defer { socket.close() }
        let version = http10 ? "HTTP/1.0" : "HTTP/1.1"
        try socket.write(Array("POST \(path) \(version)\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
        let deadline = MonotonicClock.nanoseconds() + Int64(seconds * 1e9)
        let http = HTTPConnection(socket: socket)
        let head = try http.readResponseHead(method: "POST", deadline: deadline)
        var client = StreamClient(status: head.status, headers: head.headers)
        var decoder = BodyDecoder(head.framing)
        var pending = Array(http.buffer[http.start..<http.end])
        var got = 0
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var eof = false
        while true {
            let now = MonotonicClock.nanoseconds()
            // Cut short at the end of stream: the answer is incomplete, not an error here.
            guard let used = try? pending.withUnsafeBufferPointer({ b in
                try decoder.decode(b, eof: eof) { piece in
                    client.pieces.append(Piece(at: now, bytes: Array(piece)))
                    got += piece.count
                }
            }) else { return client }
            pending.removeFirst(used)
            if decoder.isDone { client.complete = true; return client }
            if let stopAfter, got >= stopAfter { return client }
            if eof { return client }
            guard let n = try chunk.withUnsafeMutableBytes({ try socket.read(into: $0.baseAddress!, count: $0.count, deadline: deadline) }) else { return client }
            if n == 0 { eof = true } else { pending += chunk[0..<n] }
        }
    }
}

/// Streamed answers through `headroom serve`, with real worker processes on loopback: relayed
/// as they come, in order, with their framing; cut cleanly when the worker breaks off; the
/// worker's request cancelled when its client goes away; a slow reader cut without holding up
/// anyone else; timing in `/metrics` and the audit trail.
final class StreamingTests: RuntimeTestCase {
    func served(concurrency: Int = 4, limits: HTTPLimits = HTTPLimits()) throws -> RuntimeServer {
        let s = try scenario(models: [("echo", model(httpWorker(), concurrency: concurrency))],
                             plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}}", timeout: "2s")
        let server = try start(s, plan: "reserved", limits: limits)
        XCTAssertTrue(eventually(20) { self.call(server, "/v2/models/echo/ready", method: "GET")?.status == 200 }, "the worker is ready")
        return server
    }

    func stream(_ mode: String, events: Int, gap: Double, size: Int = 0, breakAfter: Int? = nil) -> String {
        "{\"stream\": {\"mode\": \"\(mode)\", \"events\": \(events), \"gap\": \(gap), \"size\": \(size)\(breakAfter.map { ", \"break_after\": \($0)" } ?? "")}}"
    }

    /// Twenty events 20 ms apart (longer than the 2 s timeout in all): each reaches the client
    /// as it leaves the worker, in order, and the answer ends with its last chunk; the
    /// deadline does not cut an answer that is streaming. The first event came before the
    /// worker sent the last: nothing waited for the whole.
    func testEventsAreRelayedAsTheyAreSent() throws {
        let server = try served()
        let c = try StreamClient.post(server.address, "/v2/models/echo/infer", body: stream("sse", events: 20, gap: 0.12))
        XCTAssertEqual(c.status, 200)
        XCTAssertEqual(HTTPRequest.first("transfer-encoding", in: c.headers), "chunked")
        XCTAssertEqual(HTTPRequest.first("content-type", in: c.headers), "text/event-stream")
        XCTAssertNotNil(HTTPRequest.first("x-request-id", in: c.headers))
        XCTAssertTrue(c.complete, "the last chunk came")
        let events = c.events
        XCTAssertEqual(events.map(\.index), Array(0..<20), "every event, in order")
        XCTAssertLessThan(events[0].received, events[19].sent, "the first event reached the client before the worker sent the last")
        let delays = events.map { Double($0.received - $0.sent) / 1e6 }.sorted()
        XCTAssertLessThan(delays[delays.count / 2], 20, "median worker → client \(delays[delays.count / 2]) ms")
        XCTAssertEqual(metric(server, "headroom_streams_total{target=\"echo\",end=\"finished\"}"), 1)
        XCTAssertEqual(metric(server, "headroom_requests_total{target=\"echo\",version=\"\",caller=\"\",outcome=\"completed\"}"), 1,
                       "not timed out: the 2 s deadline no longer applies once it streams")
        XCTAssertEqual(metric(server, "headroom_inter_event_seconds_count{target=\"echo\"}"), 19)
        XCTAssertEqual(metric(server, "headroom_time_to_first_event_seconds_count{target=\"echo\"}"), 1)
        // The connection is kept: a second request on it would be served (checked below by a
        // plain call after the stream on the same worker).
        XCTAssertEqual(call(server, "/v2/models/echo/infer")?.status, 200)
    }

    /// Plain chunks, and a body that runs until the worker closes: relayed whole and in
    /// order, in chunks to an HTTP/1.1 client, raw (until close) to an HTTP/1.0 one.
    func testChunkedAndUntilCloseBodies() throws {
        let server = try served()
        for mode in ["chunked", "close"] {
            let c = try StreamClient.post(server.address, "/v2/models/echo/infer", body: stream(mode, events: 5, gap: 0.01, size: 100))
            XCTAssertEqual(c.status, 200, mode)
            XCTAssertTrue(c.complete, mode)
            XCTAssertEqual(c.body.count, 500, mode)
            XCTAssertEqual(c.events.map(\.index), Array(0..<5), mode)
            let old = try StreamClient.post(server.address, "/v2/models/echo/infer", body: stream(mode, events: 3, gap: 0, size: 50), http10: true)
            XCTAssertEqual(old.status, 200, mode)
            XCTAssertNil(HTTPRequest.first("transfer-encoding", in: old.headers), "no chunks for an HTTP/1.0 client")
            XCTAssertEqual(old.body.count, 150, mode)
            XCTAssertTrue(old.complete, "an HTTP/1.0 answer ends with the connection")
        }
    }

    /// A worker that closes in the middle of its answer: the client gets what was sent, then
    /// the connection ends without the last chunk (an error, not a short answer that looks
    /// whole); the request counts as failed and its audit record says why.
    func testAWorkerThatBreaksOffEndsTheStreamInError() throws {
        let s = try scenario(models: [("echo", model(httpWorker()))], plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}}")
        var options = ServeOptions()
        options.listen = SocketAddress(host: "127.0.0.1", port: 0)
        options.delayScale = 0
        let path = folder + "/audit.jsonl"
        var audit = AuditLog.Options(path: path, key: nil)
        audit.flushInterval = 0.05
        options.audit = audit
        let server = try RuntimeServer.start(s, planIndex: 0, options: options)
        servers.append(server)
        let c = try StreamClient.post(server.address, "/v2/models/echo/infer", body: stream("sse", events: 10, gap: 0.02, breakAfter: 3))
        XCTAssertEqual(c.status, 200)
        XCTAssertFalse(c.complete, "cut: no last chunk")
        XCTAssertEqual(c.events.map(\.index), [0, 1, 2])
        XCTAssertTrue(eventually(5) { self.metric(server, "headroom_streams_total{target=\"echo\",end=\"failed\"}") == 1 })
        XCTAssertEqual(metric(server, "headroom_requests_total{target=\"echo\",version=\"\",caller=\"\",outcome=\"failed\"}"), 1)
        // A whole stream, audited with its digest and timing.
        let whole = try StreamClient.post(server.address, "/v2/models/echo/infer", body: stream("sse", events: 4, gap: 0.01))
        XCTAssertTrue(whole.complete)
        XCTAssertEqual(call(server, "/v2/models/echo/infer")?.status, 200)
        servers.removeAll()
        server.stop()
        let records = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["type"] as? String == "request" }
        XCTAssertEqual(records.count, 3)
        let failed = try XCTUnwrap(records.first { $0["outcome"] as? String == "failed" })
        XCTAssertTrue((failed["reason"] as? String)?.contains("closed in the middle") == true, "\(failed)")
        XCTAssertEqual((failed["stream"] as? [String: Any])?["events"] as? Int, 3)
        let done = try XCTUnwrap(records.first { ($0["stream"] as? [String: Any])?["events"] as? Int == 4 })
        XCTAssertEqual(done["outcome"] as? String, "completed")
        XCTAssertEqual(done["response_sha256"] as? String, SHA256.hex(whole.body), "the digest of the body the client got")
        XCTAssertNotNil((done["stream"] as? [String: Any])?["first_event_s"] as? Double)
    }

    /// A client that goes away in the middle of its stream: the worker's request is
    /// cancelled (its connection closed) and its slot freed at once, so the next request on
    /// a one-slot model does not wait for the rest of a 10 s stream.
    func testAClientThatLeavesCancelsTheWorkersRequest() throws {
        let server = try served(concurrency: 1)
        let c = try StreamClient.post(server.address, "/v2/models/echo/infer", body: stream("sse", events: 100, gap: 0.1), stopAfter: 1)
        XCTAssertEqual(c.events.count, 1)
        let began = Date()
        XCTAssertEqual(call(server, "/v2/models/echo/infer", timeout: 5)?.status, 200)
        XCTAssertLessThan(Date().timeIntervalSince(began), 1.5, "the slot was freed when the client left")
        XCTAssertTrue(eventually(5) { self.metric(server, "headroom_streams_total{target=\"echo\",end=\"cancelled\"}") == 1 })
        XCTAssertEqual(metric(server, "headroom_requests_total{target=\"echo\",version=\"\",caller=\"\",outcome=\"cancelled\"}"), 1)
    }

    /// A client that reads nothing of a large stream: the stream is paused while its bytes
    /// wait (the worker is held back, no buffer grows), the client is cut at the body timeout,
    /// and another stream beside it goes on at its own pace.
    func testASlowReaderIsCutWithoutStallingOthers() throws {
        var limits = HTTPLimits()
        limits.bodyTimeout = 1
        let server = try served(limits: limits)
        let slow = try Socket.connect(server.address, timeout: 2)
        defer { slow.close() }
        let body = stream("chunked", events: 400, gap: 0, size: 65_536)   // 26 MB, more than any buffer on the way
        try slow.write(Array("POST /v2/models/echo/infer HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
        let began = Date()
        let other = try StreamClient.post(server.address, "/v2/models/echo/infer", body: stream("sse", events: 10, gap: 0.05))
        XCTAssertTrue(other.complete)
        XCTAssertLessThan(Date().timeIntervalSince(began), 1.5, "the other stream went at its own pace")
        XCTAssertTrue(eventually(8) { self.metric(server, "headroom_streams_total{target=\"echo\",end=\"cancelled\"}") == 1 }, "the slow reader was cut")
        // What the slow client can still read ends before the whole body: it was cut.
        var total = 0
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while let n = try? chunk.withUnsafeMutableBytes({ try slow.read(into: $0.baseAddress!, count: $0.count, deadline: MonotonicClock.nanoseconds() + 3_000_000_000) }), n > 0 {
            total += n
        }
        XCTAssertLessThan(total, 400 * 65_536 / 2, "far less than the body came through: \(total) bytes")
    }
}
