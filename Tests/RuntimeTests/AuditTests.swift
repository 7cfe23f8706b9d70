import Foundation
import XCTest
import Glibc
@testable import Runtime
import Digest
import Scenario

/// Access control and the tamper-evident audit trail, on a live server.
final class AuditTests: RuntimeTestCase {
    func servedScenario() throws -> Scenario {
        try scenario(models: [("echo", model(httpWorker())), ("other", model(httpWorker()))],
                     plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}}")
    }

    func startAudited(_ s: Scenario, keys: AccessKeys?, key: [UInt8]? = Array(repeating: 7, count: 32), flush: Double = 0.05,
                      rotateBytes: Int64 = 64 << 20, digestInterval: Double = 10, maxConnections: Int = 1024) throws -> (RuntimeServer, String) {
        var options = ServeOptions()
        options.maxConnections = maxConnections
        options.listen = SocketAddress(host: "127.0.0.1", port: 0)
        options.delayScale = 0
        options.keys = keys
        let path = folder + "/audit.jsonl"
        var audit = AuditLog.Options(path: path, key: key)
        audit.flushInterval = flush
        audit.rotateBytes = rotateBytes
        audit.digestInterval = digestInterval
        options.audit = audit
        let lines = self.lines
        options.say = { line in lines.withLock { $0.append(line) } }
        let server = try RuntimeServer.start(s, planIndex: 0, options: options)
        servers.append(server)
        return (server, path)
    }

    func records(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["type"] as? String == "request" }
    }

    func stop(_ server: RuntimeServer) {
        servers.removeAll { $0 === server }
        server.stop()
    }

    func testKeysRefuseAndEveryRefusalIsAudited() throws {
        let keysFile = folder + "/keys.json"
        let web = try AccessKeys.add(caller: "web", targets: ["echo"], versions: nil, file: keysFile)
        let pinned = try AccessKeys.add(caller: "pinned", targets: ["echo"], versions: ["9"], file: keysFile)
        let text = try String(contentsOfFile: keysFile, encoding: .utf8)
        XCTAssertFalse(text.contains(web) || text.contains(String(web.dropFirst(3))), "the keys file holds no plain key")
        XCTAssertTrue(text.contains(SHA256.hex(Array(web.utf8))))
        var mode = stat()
        stat(keysFile, &mode)
        XCTAssertEqual(mode.st_mode & 0o777, 0o600)
        let (server, path) = try startAudited(try servedScenario(), keys: try AccessKeys.load(keysFile))
        XCTAssertEqual(call(server, "/v2/models/echo/infer")?.status, 401)
        let unknown = call(server, "/v2/models/echo/infer", headers: [("Authorization", "Bearer hr_0000")])
        XCTAssertEqual(unknown?.status, 401)
        XCTAssertNotNil(unknown?.header("www-authenticate"))
        XCTAssertEqual(call(server, "/v2/models/other/infer", headers: [("Authorization", "Bearer \(web)")])?.status, 403)
        XCTAssertEqual(call(server, "/v2/models/echo/infer", headers: [("Authorization", "Bearer \(pinned)")])?.status, 403,
                       "a caller limited to versions must name one")
        XCTAssertEqual(call(server, "/v2/models/nope/infer", headers: [("x-api-key", web)])?.status, 404)
        let ok = call(server, "/2015-03-31/functions/echo/invocations", body: "{\"x\": 1}", headers: [("x-api-key", web)])
        XCTAssertEqual(ok?.status, 200)
        XCTAssertEqual(metric(server, "headroom_requests_total{target=\"echo\",version=\"\",caller=\"web\",outcome=\"completed\"}"), 1,
                       "the key's caller is the request's caller")
        stop(server)
        let r = try records(path)
        XCTAssertEqual(r.map { $0["status"] as? Int }, [401, 401, 403, 403, 404, 200])
        XCTAssertEqual(r.map { $0["reason"] as? String }, ["unauthenticated", "unauthenticated", "forbidden", "forbidden", "unknown_target", ""])
        XCTAssertEqual(r.map { $0["caller"] as? String }, ["", "", "web", "pinned", "web", "web"])
        XCTAssertEqual(r.last?["request_sha256"] as? String, SHA256.hex(Array("{\"x\": 1}".utf8)))
        XCTAssertEqual(r.last?["response_sha256"] as? String, SHA256.hex(ok!.body))
        XCTAssertEqual(r.last?["model"] as? String, "echo")
        XCTAssertTrue((r.last?["instance"] as? String)?.hasPrefix("i") == true)
        XCTAssertEqual(r.last?["node"] as? String, "cpu#0")
        XCTAssertNil(r.last?["request_body"], "payloads only with --audit-payloads")
        XCTAssertEqual(try AuditVerifier.verify([path], key: Array(repeating: 7, count: 32)).failure.map(\.message), nil)
    }

    func testNonLoopbackWithoutKeysIsRefused() throws {
        var options = ServeOptions()
        // A non-loopback address (TEST-NET-1, RFC 5737): the server refuses before binding,
        // so nothing listens on it and no traffic is sent.
        options.listen = SocketAddress(host: "192.0.2.1", port: 0)
        XCTAssertThrowsError(try RuntimeServer.start(try servedScenario(), planIndex: 0, options: options)) { e in
            XCTAssertTrue("\(e)".contains("without --keys"), "\(e)")
        }
    }

    /// A load run: every request sent has exactly one record, the chain and digests verify,
    /// and any change is found where it was made.
    func testChainVerifiesAfterLoadAndTamperingIsFound() throws {
        let key: [UInt8] = Array(repeating: 7, count: 32)
        let (server, path) = try startAudited(try servedScenario(), keys: nil, key: key, digestInterval: 0.1)
        let sent = 240
        let ids = Atomic<[String]>([])
        // Two halves with a pause longer than the digest interval between them: a periodic
        // digest is then written during the run however fast the load goes (a load done
        // within 0.1 s left only the final digest, and the test failed on a fast run).
        for half in 0..<2 {
            DispatchQueue.concurrentPerform(iterations: 8) { t in
                for k in (half * sent / 16)..<((half + 1) * sent / 16) {
                    let r = Self.call(server, k % 10 == 9 ? "/v2/models/nope/infer" : "/v2/models/echo/infer", body: "{\"t\": \(t), \"k\": \(k)}")
                    ids.withLock { $0.append(r?.header("x-request-id") ?? "refused-\(t)-\(k)") }
                }
            }
            if half == 0 { Thread.sleep(forTimeInterval: 0.5) }
        }
        stop(server)
        let r = try records(path)
        XCTAssertEqual(r.count, sent, "one record per request")
        XCTAssertEqual(Set(r.compactMap { $0["id"] as? String }).count, sent, "no request recorded twice")
        XCTAssertEqual(r.filter { $0["status"] as? Int == 404 }.count, sent / 10)
        let good = try AuditVerifier.verify([path], key: key)
        XCTAssertNil(good.failure.map(\.message))
        XCTAssertEqual(good.records, sent)
        XCTAssertGreaterThanOrEqual(good.digests, 2)
        XCTAssertEqual(good.unauthenticated, 0, "shutdown writes a final digest")

        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let lineStarts = [0] + original.indices.filter { original[$0] == UInt8(ascii: "\n") }.dropLast().map { $0 + 1 }
        // Flip one byte inside a value of several records: verify fails at that record.
        for line in [2, 50, 120, lineStarts.count - 2] {
            var bytes = original
            let start = lineStarts[line - 1]
            let idOffset = start + (bytes[start...].firstIndex(of: UInt8(ascii: "7")).map { $0 - start } ?? 20)
            bytes[idOffset] ^= 0x01
            let tampered = folder + "/tampered-\(line).jsonl"
            try Data(bytes).write(to: URL(fileURLWithPath: tampered))
            let report = try AuditVerifier.verify([tampered], key: key)
            XCTAssertEqual(report.failure?.line, line, "flipped a byte on line \(line): \(report.failure?.message ?? "passed")")
        }
        // Delete one record: verify fails where it was.
        var lines = String(decoding: original, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let removedAt = lines.firstIndex { $0.contains("\"seq\":30,") }!
        lines.remove(at: removedAt)
        let deleted = folder + "/deleted.jsonl"
        try lines.joined(separator: "\n").write(toFile: deleted, atomically: true, encoding: .utf8)
        let afterDelete = try AuditVerifier.verify([deleted], key: key)
        XCTAssertEqual(afterDelete.failure?.line, removedAt + 1)
        XCTAssertTrue(afterDelete.failure?.message.contains("record 30 is missing") == true, afterDelete.failure?.message ?? "")
        // Delete the record just before a digest: the digest's prev does not match, and the
        // gap in the numbers after it says a record went, not that the one before changed.
        var beforeDigest = String(decoding: original, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let digestAt = beforeDigest.indices.first { $0 > 1 && beforeDigest[$0].contains("\"type\":\"digest\"") && beforeDigest[$0 - 1].contains("\"type\":\"request\"") }!
        let goneSeq = try XCTUnwrap(AuditVerifier.fastFields(ArraySlice(beforeDigest[digestAt - 1].utf8))?.seq)
        beforeDigest.remove(at: digestAt - 1)
        let deletedBeforeDigest = folder + "/deleted-before-digest.jsonl"
        try beforeDigest.joined(separator: "\n").write(toFile: deletedBeforeDigest, atomically: true, encoding: .utf8)
        let afterDigestDelete = try AuditVerifier.verify([deletedBeforeDigest], key: key)
        XCTAssertEqual(afterDigestDelete.failure?.line, digestAt, "the digest, now on line \(digestAt)")
        XCTAssertTrue(afterDigestDelete.failure?.message.contains("record \(goneSeq) is missing") == true, afterDigestDelete.failure?.message ?? "")
        // Change a record and recompute the whole chain without the key: the chain holds, the
        // first digest after the change does not.
        var rechained = String(decoding: original, as: UTF8.self).split(separator: "\n").map(String.init)
        // A record answered 200 from the 10th on: which requests come 10th is up to the
        // threads, and a tenth are 404s, which the change below would leave as they were.
        let tenth = rechained.firstIndex { $0.contains("\"seq\":10,") }!
        let changed = rechained[tenth...].firstIndex { $0.contains("\"status\":200") }!
        rechained[changed] = rechained[changed].replacingOccurrences(of: "\"status\":200", with: "\"status\":500")
        for k in (changed + 1)..<rechained.count {
            let prev = SHA256.hex(Array(rechained[k - 1].utf8))
            rechained[k] = rechained[k].replacingOccurrences(of: #""prev":"[0-9a-f]{64}""#, with: "\"prev\":\"\(prev)\"", options: .regularExpression)
        }
        let forged = folder + "/forged.jsonl"
        try (rechained.joined(separator: "\n") + "\n").write(toFile: forged, atomically: true, encoding: .utf8)
        XCTAssertNil(try AuditVerifier.verify([forged], key: nil).failure, "without the key a rechained log passes: that is what the digests are for")
        let caught = try AuditVerifier.verify([forged], key: key)
        XCTAssertTrue(caught.failure?.message.contains("does not authenticate the chain head") == true, caught.failure?.message ?? "passed")
        XCTAssertGreaterThan(caught.failure?.line ?? 0, changed + 1)
    }

    /// Rotation: files chain into each other; verify takes them in any order.
    /// Requests the HTTP layer refuses before any target is known are in the trail too, with
    /// their status and what was wrong, and so is an inference path called with the wrong
    /// method; the chain still verifies.
    func testRequestsRefusedByTheHTTPLayerAreAudited() throws {
        let (server, path) = try startAudited(try servedScenario(), keys: nil, flush: 0.01)
        for (bytes, status) in [("HELLO\r\n\r\n", 400), ("GET /v2/health/live HTTP/2.0\r\n\r\n", 505)] {
            let socket = try Socket.connect(server.address, timeout: 2)
            try socket.write(Array(bytes.utf8))
            let reply = try HTTPConnection(socket: socket).readResponse(method: "GET", deadline: MonotonicClock.nanoseconds() + 2_000_000_000)
            XCTAssertEqual(reply.status, status)
            socket.close()
        }
        XCTAssertEqual(call(server, "/v2/models/echo/infer", method: "GET")?.status, 405)
        XCTAssertEqual(call(server, "/2015-03-31/functions/echo/invocations", method: "PUT")?.status, 405)
        XCTAssertEqual(call(server, "/v2/models/echo/infer")?.status, 200)
        XCTAssertEqual(call(server, "/v2/health/live", method: "POST")?.status, 405, "not an inference path: no record")
        stop(server)
        let records = try records(path)
        XCTAssertEqual(records.count, 5, "\(records)")
        let refused = records.filter { $0["outcome"] as? String == "refused" }
        XCTAssertEqual(refused.map { $0["status"] as? Int }, [400, 505, 405, 405])
        XCTAssertEqual(refused.map { $0["reason"] as? String }, ["malformed_request", "http_version_not_supported", "method_not_allowed", "method_not_allowed"])
        XCTAssertEqual(refused.map { $0["target"] as? String }, ["", "", "echo", "echo"])
        XCTAssertNil(try AuditVerifier.verify([path], key: Array(repeating: 7, count: 32)).failure?.message)
    }

    /// A connection beyond the limit is answered 503 before any request is read; the trail
    /// records it as refused, `too_many_connections`, and the chain still verifies.
    func testConnectionsRefusedAtTheLimitAreAudited() throws {
        let (server, path) = try startAudited(try servedScenario(), keys: nil, flush: 0.01, maxConnections: 1)
        let held = try Socket.connect(server.address, timeout: 2)
        // The held connection is open once a request on it was answered.
        try held.write(Array("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        let connection = HTTPConnection(socket: held)
        XCTAssertEqual(try connection.readResponse(method: "GET", deadline: MonotonicClock.nanoseconds() + 2_000_000_000).status, 200)
        let extra = try Socket.connect(server.address, timeout: 2)
        try extra.write(Array("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        let refused = try HTTPConnection(socket: extra).readResponse(method: "GET", deadline: MonotonicClock.nanoseconds() + 2_000_000_000)
        XCTAssertEqual(refused.status, 503)
        extra.close()
        held.close()
        // Once the held connection is gone, an inference call gets in.
        var status: Int?
        for _ in 0..<100 where status != 200 {
            status = call(server, "/v2/models/echo/infer")?.status
            if status != 200 { usleep(10_000) }
        }
        XCTAssertEqual(status, 200)
        stop(server)
        let records = try records(path)
        let outcomes = records.map { "\($0["outcome"] as? String ?? "?") \($0["status"] as? Int ?? 0) \($0["reason"] as? String ?? "")" }
        XCTAssertEqual(outcomes.first, "refused 503 too_many_connections", "\(outcomes)")
        XCTAssertEqual(outcomes.last, "completed 200 ", "\(outcomes)")
        XCTAssertEqual(records.first?["caller"] as? String, "")
        XCTAssertEqual(records.first?["target"] as? String, "")
        XCTAssertNil(try AuditVerifier.verify([path], key: Array(repeating: 7, count: 32)).failure?.message)
    }

    func testRotatedFilesChainAndVerifyTogether() throws {
        let key: [UInt8] = Array(repeating: 9, count: 32)
        let (server, path) = try startAudited(try servedScenario(), keys: nil, key: key, flush: 0.01, rotateBytes: 4000)
        for k in 0..<40 {
            XCTAssertEqual(call(server, "/v2/models/echo/infer", body: "{\"k\": \(k)}")?.status, 200)
            usleep(15_000)   // a flush in between: rotation is checked after each flushed batch
        }
        stop(server)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("audit.jsonl") }.map { folder + "/" + $0 }
        XCTAssertGreaterThan(files.count, 2, "the log rotated: \(files)")
        _ = path
        let report = try AuditVerifier.verify(files.shuffled(), key: key)
        XCTAssertNil(report.failure.map(\.message))
        XCTAssertEqual(report.records, 40)
        let missing = try AuditVerifier.verify(files.filter { !$0.hasSuffix(".2") }, key: key)
        XCTAssertTrue(missing.failure?.message.contains("file 2 is missing") == true, missing.failure?.message ?? "passed")
    }

    /// kill -9 of a real `headroom serve` during load: verify passes up to the last flushed
    /// record and reports how the log ends; at most the last flush interval is lost.
    /// Child processes of `pid`, from /proc.
    static func children(of pid: pid_t) -> [pid_t] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { t -> [pid_t] in
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(t)/children", encoding: .utf8)) ?? "").split(separator: " ").compactMap { pid_t($0) }
        }
    }

    func testKillNineLosesAtMostTheLastFlush() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("headroom").path
        let fallback = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("headroom").path
        guard let headroom = [binary, fallback].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("the headroom executable is not built beside the tests (swift build builds it): kill -9 not tried")
        }
        let s = try servedScenario()
        let port = try WorkerPorts.shared.take()
        let log = folder + "/killed.jsonl"
        let key = folder + "/audit.key"
        // The project's own spawn (posix_spawn, a waitpid watcher): Foundation's Process did
        // not notice this child's SIGKILL exit on Linux, and waitUntilExit hung.
        let p = try WorkerProcess(command: [headroom, "serve", s.file, "--plan", "reserved", "--listen", "127.0.0.1:\(port)",
                                            "--audit-log", log, "--audit-key", key],
                                  environment: [], directory: folder, cpus: []) { _ in }
        defer { if !p.hasExited { p.signal(SIGKILL) } }
        let client = HTTPClient(address: SocketAddress(host: "127.0.0.1", port: port), keep: 0)
        XCTAssertTrue(eventually(20) {
            if case .answered = client.call(HTTPRequest(method: "GET", target: "/v2/health/ready"), deadline: MonotonicClock.nanoseconds() + 500_000_000) { return true }
            return false
        })
        let answered = Atomic(0)
        let stopLoad = Atomic(false)
        let group = DispatchGroup()
        for _ in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                let c = HTTPClient(address: SocketAddress(host: "127.0.0.1", port: port), keep: 1)
                while !stopLoad.load {
                    if case let .answered(r) = c.call(HTTPRequest(method: "POST", target: "/v2/models/echo/infer", body: Array("{}".utf8)),
                                                      deadline: MonotonicClock.nanoseconds() + 2_000_000_000), r.status == 200 {
                        answered.withLock { $0 += 1 }
                    }
                }
                group.leave()
            }
        }
        usleep(1_500_000)
        let children = Self.children(of: p.pid)
        p.signal(SIGKILL)
        let killedAt = answered.load
        _ = stopLoad.exchange(true)
        _ = group.wait(timeout: .now() + 5)
        XCTAssertTrue(p.waitExit(timeout: 10))
        // The workers of a killed server are orphaned: stop them (this test started them).
        for child in children { kill(-child, SIGKILL); kill(child, SIGKILL) }
        let report = try AuditVerifier.verify([log], key: try [UInt8](Data(contentsOf: URL(fileURLWithPath: key))))
        XCTAssertNil(report.failure.map(\.message))
        XCTAssertGreaterThan(report.records, 0)
        // Requests answered before the kill but not yet written may be lost: those of the last
        // flush interval (200 ms) and of the fsync under way, which takes longer when the disk
        // is busy. A third of 1.5 s of load (0.5 s) bounds that with room; a writer that held
        // records for a second or until close loses far more. (A clean-clone CI run lost 23 %
        // once, against the earlier bound of 20 %.)
        let lost = killedAt - report.records
        print("kill -9 under load: \(killedAt) requests answered by the kill, \(report.records) audited, \(max(0, lost)) lost"
              + (report.truncated.map { ", log ends with a partial line \($0.line)" } ?? ", log ends on a whole line"))
        XCTAssertLessThanOrEqual(lost, max(50, killedAt / 3), "at most about one flush interval and one fsync of records is lost (\(lost) of \(killedAt))")
        XCTAssertGreaterThanOrEqual(report.unauthenticated, 0)
    }
}
