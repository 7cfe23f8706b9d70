import Foundation
import XCTest
import Glibc
@testable import Runtime
import SchedulerCore
import Scenario

/// The proof that the core decides: a real run's decision log, replayed into a fresh core
/// built from the same scenario and plan, gives the same actions.
final class DecisionLogTests: RuntimeTestCase {
    /// Every kind of input reads back from its log text as it was written.
    func testEveryInputReadsBackFromTheLog() throws {
        let inputs: [SchedulerInput] = [
            .start, .requestArrived(RequestID(3), target: TargetID(1), caller: CallerID(2)), .requestFinished(RequestID(3)),
            .requestTimedOut(RequestID(4)), .instanceReady(InstanceID(5)), .instanceFailed(InstanceID(6)), .nodeReady(NodeID(7)),
            .timerFired(TimerID(8)), .jobSubmitted(JobID(1)), .jobFinished(JobID(1)), .rolloutStep(rollout: 1, step: 2),
            .nodeInterruptionNotice(NodeID(2)), .nodeInterrupted(NodeID(2)),
            .engineMetrics(ModelID(1), kvCacheUsage: 0.123456789, waiting: 17), .engineMetrics(ModelID(0), kvCacheUsage: 1e-7, waiting: 0),
            .engineMetrics(ModelID(2), kvCacheUsage: 0.5, waiting: 3, tokensPerSecond: 1234.5678),
        ]
        for input in inputs {
            let text = DecisionCodec.encode(input)
            let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
            XCTAssertEqual(DecisionCodec.decodeInput(value), input, text)
        }
    }

    func testReplayOfARealRunIsIdentical() throws {
        let s = try scenario(models: [("echo", model(httpWorker(), concurrency: 2))],
                             plans: "\"sls\": {\"policy\": \"serverless\", \"hosting\": \"self\", \"keepAlive\": \"1s\", \"nodes\": {\"cpu\": {\"min\": 1, \"max\": 2}}}")
        let log = folder + "/decisions.jsonl"
        let server = try start(s, plan: "sls", decisionLog: log)
        // A burst of 8 concurrent requests: the core scales up to several instances.
        let group = DispatchGroup()
        let statuses = Atomic<[Int]>([])
        for k in 0..<8 {
            group.enter()
            Thread.detachNewThread {
                let r = Self.call(server, "/v2/models/echo/infer", body: "{\"sleep\": 0.3, \"k\": \(k)}")
                statuses.withLock { $0.append(r?.status ?? 0) }
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 20), .success)
        XCTAssertEqual(statuses.load.sorted(), [Int](repeating: 200, count: 8))
        XCTAssertGreaterThanOrEqual(metric(server, "headroom_cold_starts_total{model=\"echo\"}") ?? 0, 2, "the burst scaled up")
        // Keep-alive expiry scales to zero; then one more request scales back.
        XCTAssertTrue(eventually(10) { metric(server, "headroom_instances{model=\"echo\",state=\"ready\"}") == 0 })
        XCTAssertEqual(call(server, "/v2/models/echo/infer")?.status, 200)
        servers.removeAll()
        server.stop()

        let outcome = try DecisionReplay.replay(log, scenario: s)
        XCTAssertNil(outcome.firstDifference.map { "line \($0.line): recorded \($0.recorded), replayed \($0.replayed)" })
        XCTAssertGreaterThan(outcome.inputs, 20)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        for kind in ["\"requestArrived\"", "\"instanceReady\"", "\"timerFired\"", "\"stopInstance\"", "\"dispatch\""] {
            XCTAssertTrue(text.contains(kind), "the run exercised \(kind)")
        }

        // A changed decision is found, and named.
        let tampered = folder + "/tampered.jsonl"
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let k = lines.firstIndex { $0.contains("[\"dispatch\",") }!
        var changed = lines
        changed[k] = changed[k].replacingOccurrences(of: "[\"dispatch\",", with: "[\"reject\",")
        try changed.joined(separator: "\n").write(toFile: tampered, atomically: true, encoding: .utf8)
        let bad = try DecisionReplay.replay(tampered, scenario: s)
        XCTAssertEqual(bad.firstDifference?.line, k + 1)
    }
}

/// An elastic plan served for real: the HPA's sync (1 s here) sees the busy instance and adds
/// replicas while the load lasts; the decisions replay identically.
final class ElasticServeTests: RuntimeTestCase {
    func testHPAScalesUpUnderRealLoadAndReplays() throws {
        let s = try scenario(models: [("echo", model(httpWorker(), concurrency: 1, queueLimit: 1000))],
                             plans: "\"hpa\": {\"policy\": \"elastic\", \"target\": 0.5, \"syncPeriod\": \"1s\", \"nodes\": {\"cpu\": {\"min\": 1, \"max\": 1}}, \"instances\": {\"echo\": {\"min\": 1, \"max\": 3}}}")
        let log = folder + "/hpa.jsonl"
        let server = try start(s, plan: "hpa", decisionLog: log)
        XCTAssertEqual(metric(server, "headroom_instances{model=\"echo\",state=\"ready\"}"), 1)
        let stop = Atomic(false)
        let group = DispatchGroup()
        for _ in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                let began = Date()
                while !stop.load && Date().timeIntervalSince(began) < 8 { _ = Self.call(server, "/v2/models/echo/infer", body: "{\"sleep\": 0.1}") }
                group.leave()
            }
        }
        let scaled = eventually(8) { (metric(server, "headroom_instances{model=\"echo\",state=\"ready\"}") ?? 0) >= 2 }
        _ = stop.exchange(true)
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        XCTAssertTrue(scaled, "the HPA added a replica under load: \(lines.load.suffix(4))")
        XCTAssertGreaterThanOrEqual(metric(server, "headroom_cold_starts_total{model=\"echo\"}") ?? 0, 1)
        servers.removeAll()
        server.stop()
        let outcome = try DecisionReplay.replay(log, scenario: s)
        XCTAssertNil(outcome.firstDifference.map { "line \($0.line): \($0.recorded) vs \($0.replayed)" })
    }
}

/// Served for real from zero: a model's first request waits until the plan's scaler wakes it
/// (the KPA's tick every 2 s, from the activator's queue; KEDA's poll, every second here, from
/// the gateway's), is answered by a cold instance, and the decisions replay identically.
final class ScaleFromZeroServeTests: RuntimeTestCase {
    func assertScalesFromZeroAndReplays(_ name: String, plan: String, because: String) throws {
        let s = try scenario(models: [("echo", model(httpWorker(), concurrency: 2))], plans: "\"\(name)\": \(plan)")
        let log = folder + "/\(name).jsonl"
        let server = try start(s, plan: name, decisionLog: log)
        XCTAssertEqual(metric(server, "headroom_instances{model=\"echo\",state=\"ready\"}"), 0, "at zero from the start")
        let began = Date()
        let r = call(server, "/v2/models/echo/infer")
        XCTAssertEqual(r?.status, 200)
        XCTAssertEqual(r?.header("headroom-cold-start"), "true")
        XCTAssertLessThan(Date().timeIntervalSince(began), 5, because)
        XCTAssertEqual(metric(server, "headroom_instances{model=\"echo\",state=\"ready\"}"), 1)
        servers.removeAll()
        server.stop()
        XCTAssertNil(try DecisionReplay.replay(log, scenario: s).firstDifference.map { "line \($0.line)" })
    }

    func testKPAScalesFromZeroAndReplays() throws {
        try assertScalesFromZeroAndReplays("kpa", plan: #"{"policy": "serverless", "hosting": "self", "scaler": "kpa", "nodes": {"cpu": {"min": 1, "max": 1}}}"#,
                                           because: "the KPA's next tick scaled it up")
    }

    func testKEDAScalesFromZeroAndReplays() throws {
        try assertScalesFromZeroAndReplays("keda", plan: #"{"policy": "elastic", "metric": "queue-length", "target": 5, "nodes": {"cpu": {"min": 1, "max": 1}}, "#
                                               + #""instances": {"echo": {"min": 0, "max": 2}}, "keda": {"pollingInterval": "1s", "cooldownPeriod": "60s"}}"#,
                                           because: "KEDA's next poll woke it")
    }
}

/// `promtool check metrics` (Debian package prometheus) on a live /metrics.
final class MetricsFormatTests: RuntimeTestCase {
    func testPromtoolAcceptsLiveMetrics() throws {
        guard let promtool = which("promtool") else {
            throw XCTSkip("promtool is not installed (bash .ci/run installs the Debian package prometheus): the metrics format was not checked by it")
        }
        let s = try scenario(models: [("echo", model(httpWorker()))],
                             plans: "\"sls\": {\"policy\": \"serverless\", \"hosting\": \"self\", \"keepAlive\": \"30s\", \"nodes\": {\"cpu\": {\"min\": 1, \"max\": 1}}}")
        let server = try start(s, plan: "sls")
        XCTAssertEqual(call(server, "/v2/models/echo/infer")?.status, 200)
        XCTAssertEqual(call(server, "/v2/models/nope/infer")?.status, 404)
        // A streamed answer, so the stream histograms and counters are there too.
        let streamed = call(server, "/v2/models/echo/infer", body: "{\"stream\": {\"mode\": \"sse\", \"events\": 3, \"gap\": 0.01}}")
        XCTAssertEqual(streamed?.status, 200)
        let metrics = call(server, "/metrics", method: "GET")
        let text = String(decoding: metrics?.body ?? [], as: UTF8.self)
        for family in ["headroom_time_to_first_byte_seconds_bucket", "headroom_time_to_first_event_seconds_bucket", "headroom_inter_event_seconds_bucket", "headroom_streams_total"] {
            XCTAssertTrue(text.contains(family), family)
        }
        XCTAssertEqual(metrics?.header("content-type"), "text/plain; version=0.0.4; charset=utf-8")
        let path = folder + "/metrics.txt"
        try Data(metrics!.body).write(to: URL(fileURLWithPath: path))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "\(promtool) check metrics < \(path) 2>&1"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "promtool check metrics: \(output)")
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "", "promtool reports no problem: \(output)")
    }
}

/// A decision log the system stops taking lines from is not silent: every failed write is
/// counted (serve exits 1 at its stop), and a header that cannot be written stops the start.
final class DecisionLogFailureTests: XCTestCase {
    func testLinesThatCannotBeWrittenAreCounted() throws {
        signal(SIGPIPE, SIG_IGN)   // a write to a pipe without a reader fails with EPIPE instead
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-decisions-\(UUID().uuidString)").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        defer { unlink(fifo) }
        // A reader takes the header, then goes away: every later write fails.
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        XCTAssertGreaterThanOrEqual(reader, 0)
        let log = try DecisionLogWriter(path: fifo, header: "{\"headroom\":\"decision-log\",\"version\":1}")
        XCTAssertEqual(log.failures.count, 0)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let header = read(reader, &buffer, buffer.count)
        XCTAssertTrue(String(decoding: buffer.prefix(max(0, header)), as: UTF8.self).hasPrefix("{\"headroom\":\"decision-log\""))
        close(reader)
        for k in 0..<300 { log.append("{\"t\":\(k)}\n") }   // past 256 lines: a flush
        log.close()
        let failures = log.failures
        XCTAssertGreaterThan(failures.count, 0)
        XCTAssertTrue(failures.last?.contains("Broken pipe") == true, failures.last ?? "no failure")
    }

    func testAHeaderThatCannotBeWrittenStopsTheStart() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/dev/full"), "no /dev/full on this system")
        XCTAssertThrowsError(try DecisionLogWriter(path: "/dev/full", header: "{}")) { error in
            XCTAssertTrue("\(error)".contains("cannot write the decision log's header (No space left on device)"), "\(error)")
        }
    }
}
