import Foundation
import XCTest
import Glibc
@testable import Runtime
import Scenario

/// The runtime's time zero, its measurements for calibration, and the capacity counters.
final class ClockAndRecordsTests: RuntimeTestCase {
    var echo: String { URL(fileURLWithPath: Self.repository).appendingPathComponent("Scenarios/workers/echo.py").path }

    /// The core's time zero is when the plan's first instances are ready, not when they were
    /// asked for: a worker that takes 0.8 s to start moves it by that much, so HPA syncs keep
    /// their phase against the traffic as in a simulation.
    func testCoreTimeStartsWhenThePlanIsUp() throws {
        let worker = "{\"contract\": \"http\", \"command\": [\"python3\", \"\(echo)\"], \"env\": {\"STARTUP_MS\": 800}, \"readiness\": \"/healthz\", \"stopGrace\": \"1s\"}"
        let s = try scenario(models: [("echo", model(worker))],
                             plans: "\"hpa\": {\"policy\": \"elastic\", \"target\": 0.6, \"nodes\": {\"cpu\": {\"min\": 1, \"max\": 1}}}")
        let log = folder + "/decisions.jsonl"
        let before = MonotonicClock.nanoseconds()
        let server = try start(s, plan: "hpa", decisionLog: log)
        XCTAssertGreaterThanOrEqual(server.coreOrigin - before, 800_000_000, "time zero waits for the worker's start")
        XCTAssertLessThanOrEqual(server.coreOrigin, MonotonicClock.nanoseconds())
        XCTAssertEqual(call(server, "/v2/models/echo/infer")?.status, 200)
        server.stop()
        servers.removeAll()
        // The core's clock did not count the start-up: the request came after it, at a core
        // time well under the 0.8 s the worker took.
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let arrival = try XCTUnwrap(lines.first { $0.contains("\"requestArrived\"") })
        let t = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(arrival.utf8)) as? [String: Any])?["t"] as? Int)
        XCTAssertLessThan(t, 800_000_000, String(arrival))
    }

    /// What calibrate reads: each start (spawn to ready) and each stage's service time; and
    /// the capacity counters a load generator scrapes.
    func testRecorderAndCapacityCounters() throws {
        let worker = "{\"contract\": \"http\", \"command\": [\"python3\", \"\(echo)\"], \"env\": {\"MEAN_MS\": 0, \"STARTUP_MS\": 200}, \"readiness\": \"/healthz\", \"stopGrace\": \"1s\"}"
        let s = try scenario(models: [("echo", model(worker))],
                             plans: "\"sls\": {\"policy\": \"serverless\", \"hosting\": \"self\", \"keepAlive\": \"1s\", \"nodes\": {\"cpu\": {\"min\": 1, \"max\": 1}}}")
        var options = ServeOptions()
        options.listen = SocketAddress(host: "127.0.0.1", port: 0)
        options.delayScale = 0
        options.say = { _ in }
        let recorder = RuntimeRecorder()
        options.recorder = recorder
        let server = try RuntimeServer.start(s, planIndex: 0, options: options)
        servers.append(server)
        // The load generator numbers its requests (headroom-request); the records keep the
        // number, for calibrate's replay. An unnumbered request has none.
        for k in 0..<3 {
            let numbered = k < 2 ? [(name: "headroom-request", value: String(k + 40))] : []
            XCTAssertEqual(call(server, "/v2/models/echo/infer", headers: numbered)?.status, 200)
        }
        let starts = recorder.instanceStarts, stages = recorder.stagesServed
        XCTAssertEqual(starts.count, 1)
        XCTAssertGreaterThanOrEqual(starts[0].processStart, 0.2, "the worker sleeps 200 ms before it listens")
        XCTAssertFalse(starts[0].warm)
        XCTAssertEqual(starts[0].ordinal, 0, "the model's first cold start")
        XCTAssertEqual(stages.count, 3)
        XCTAssertTrue(stages.allSatisfy { $0.model == 0 && $0.seconds > 0 && $0.seconds < 1 })
        XCTAssertEqual(stages.map(\.request), [40, 41, -1])
        XCTAssertEqual(stages.filter(\.cold).count, 1)
        XCTAssertEqual(metric(server, "headroom_instance_starts_total{model=\"echo\"}"), 1)
        let a = metric(server, "headroom_instance_seconds_total{model=\"echo\"}") ?? 0
        usleep(300_000)
        let b = metric(server, "headroom_instance_seconds_total{model=\"echo\"}") ?? 0
        XCTAssertEqual(b - a, 0.3, accuracy: 0.1, "one live instance counts a second per second")
        XCTAssertGreaterThan(metric(server, "headroom_node_seconds_total{type=\"cpu\"}") ?? 0, 0)
        XCTAssertTrue(eventually(5) { self.metric(server, "headroom_instances{model=\"echo\",state=\"ready\"}") == 0 }, "keep-alive ends")
        XCTAssertEqual(metric(server, "headroom_instance_starts_total{model=\"echo\"}"), 1)
        let stopped = metric(server, "headroom_instance_seconds_total{model=\"echo\"}") ?? 0
        usleep(200_000)
        XCTAssertEqual(metric(server, "headroom_instance_seconds_total{model=\"echo\"}"), stopped, "a stopped instance no longer counts")
        recorder.beginRun(1)
        XCTAssertEqual(call(server, "/v2/models/echo/infer")?.status, 200)
        XCTAssertEqual(recorder.instanceStarts.map(\.ordinal), [0, 1], "from zero again: the second cold start")
        XCTAssertEqual(recorder.instanceStarts.map(\.run), [0, 1])
        XCTAssertEqual(recorder.stagesServed.map(\.run), [0, 0, 0, 1])
    }
}
