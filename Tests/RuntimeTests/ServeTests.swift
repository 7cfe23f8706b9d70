import Foundation
import XCTest
import Glibc
@testable import Runtime
import Scenario

/// `headroom serve` end to end: real worker processes, real sockets, loopback only.
final class ServeTests: RuntimeTestCase {
    /// Serverless with a 1 s keep-alive: cold, then warm; the keep-alive expiry stops the
    /// worker process; the next call scales from zero again.
    func testHTTPContractColdWarmKeepAliveExpiryAndScaleFromZero() throws {
        let s = try scenario(models: [("echo", model(httpWorker()))],
                             plans: "\"sls\": {\"policy\": \"serverless\", \"hosting\": \"self\", \"keepAlive\": \"1s\", \"nodes\": {\"cpu\": {\"min\": 1, \"max\": 1}}}")
        let server = try start(s, plan: "sls")
        let first = call(server, "/v2/models/echo/infer", body: "{\"x\": 1}")
        XCTAssertEqual(first?.status, 200)
        XCTAssertEqual(first?.header("headroom-cold-start"), "true", "the first call waits for the worker to start")
        let pid = Int32(json(first)["pid"] as! Int)
        XCTAssertEqual(json(first)["path"] as? String, "/v2/models/echo/infer")
        let second = call(server, "/v2/models/echo/infer", body: "{\"x\": 2}")
        XCTAssertEqual(second?.status, 200)
        XCTAssertNil(second?.header("headroom-cold-start"), "the second call finds the worker warm")
        XCTAssertEqual(json(second)["pid"] as? Int, Int(pid))
        XCTAssertTrue(eventually(8) { !Self.processExists(pid) }, "the keep-alive expiry stops the worker process")
        XCTAssertEqual(metric(server, "headroom_instances{model=\"echo\",state=\"ready\"}"), 0)
        let third = call(server, "/v2/models/echo/infer")
        XCTAssertEqual(third?.status, 200)
        XCTAssertEqual(third?.header("headroom-cold-start"), "true", "scaled to zero, the next call is cold again")
        XCTAssertNotEqual(json(third)["pid"] as? Int, Int(pid))
        XCTAssertEqual(metric(server, "headroom_cold_starts_total{model=\"echo\"}"), 2)
        XCTAssertTrue(lines.load.contains { $0.contains("instance 0 echo ready in") && $0.contains("process start → ready") })
    }

    /// A pipeline of two workers: the second stage gets the first stage's answer.
    func testPipelineOfTwoWorkers() throws {
        let s = try scenario(models: [("first", model(httpWorker())), ("second", model(httpWorker()))],
                             pipelines: "\"both\": [\"first\", \"second\"]",
                             plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}}")
        let server = try start(s, plan: "reserved")
        let r = call(server, "/v2/models/both/infer", body: "{\"text\": \"hi\"}")
        XCTAssertEqual(r?.status, 200)
        let outer = json(r)
        XCTAssertEqual(outer["model"] as? String, "second")
        let inner = outer["in"] as? [String: Any]
        XCTAssertEqual(inner?["model"] as? String, "first")
        XCTAssertEqual((inner?["in"] as? [String: Any])?["text"] as? String, "hi")
        XCTAssertEqual(metric(server, "headroom_requests_total{target=\"both\",version=\"\",caller=\"\",outcome=\"completed\"}"), 1)
    }

    /// A graph pipeline: two root stages run side by side, the third gets both answers keyed
    /// by model name; the pipeline is counted once, its stages not at all; a failing stage
    /// fails the request with its answer.
    func testGraphPipelineFansOutAndIn() throws {
        let s = try scenario(models: [("left", model(httpWorker())), ("right", model(httpWorker())), ("join", model(httpWorker()))],
                             pipelines: "\"graph\": {\"left\": [], \"right\": [], \"join\": [\"left\", \"right\"]}",
                             plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}}")
        let server = try start(s, plan: "reserved")
        let began = Date()
        let r = call(server, "/v2/models/graph/infer", body: "{\"sleep\": 0.5}")
        XCTAssertEqual(r?.status, 200)
        XCTAssertLessThan(Date().timeIntervalSince(began), 1.4, "the two roots (0.5 s each) ran side by side, then the join (0.5 s)")
        let outer = json(r)
        XCTAssertEqual(outer["model"] as? String, "join")
        let joined = outer["in"] as? [String: Any]
        XCTAssertEqual((joined?["left"] as? [String: Any])?["model"] as? String, "left")
        XCTAssertEqual((joined?["right"] as? [String: Any])?["model"] as? String, "right")
        XCTAssertEqual(((joined?["left"] as? [String: Any])?["in"] as? [String: Any])?["sleep"] as? Double, 0.5)
        XCTAssertNotNil(r?.header("x-request-id"))
        XCTAssertEqual(metric(server, "headroom_requests_total{target=\"graph\",version=\"\",caller=\"\",outcome=\"completed\"}"), 1)
        XCTAssertFalse(server.metricsText.contains("target=\"left\",version"), "stages are not counted as requests of their model")
        let failed = call(server, "/v2/models/graph/infer", body: "{\"crash\": true}")
        XCTAssertEqual(failed?.status, 502)
        XCTAssertEqual(metric(server, "headroom_requests_total{target=\"graph\",version=\"\",caller=\"\",outcome=\"rejected\"}"), 1)
    }

    /// The Lambda Runtime API with a standard-library client: the invocation's headers, the
    /// Invoke API path, a handler error, and readiness at the first `next`.
    func testLambdaContract() throws {
        let s = try scenario(models: [("fn", model(lambdaWorker(), concurrency: 1))],
                             plans: "\"sls\": {\"policy\": \"serverless\", \"hosting\": \"self\", \"keepAlive\": \"30s\", \"nodes\": {\"cpu\": {\"min\": 1, \"max\": 1}}}")
        let server = try start(s, plan: "sls")
        let r = call(server, "/2015-03-31/functions/fn/invocations", body: "{\"text\": \"hello\"}")
        XCTAssertEqual(r?.status, 200)
        XCTAssertEqual(r?.header("headroom-cold-start"), "true")
        let o = json(r)
        XCTAssertEqual((o["event"] as? [String: Any])?["text"] as? String, "hello")
        XCTAssertEqual(o["arn"] as? String, "arn:aws:lambda:local:000000000000:function:fn")
        XCTAssertEqual(o["id"] as? String, r?.header("x-request-id"))
        XCTAssertTrue((o["trace"] as? String)?.hasPrefix("Root=1-") == true)
        let deadline = Double(o["deadline"] as? String ?? "0")! / 1000
        XCTAssertEqual(deadline, Date().timeIntervalSince1970 + 10, accuracy: 2, "Lambda-Runtime-Deadline-Ms is the request's timeout")
        let warm = call(server, "/v2/models/fn/infer", body: "{\"text\": \"again\"}")
        XCTAssertEqual(warm?.status, 200)
        XCTAssertNil(warm?.header("headroom-cold-start"))
        let failed = call(server, "/2015-03-31/functions/fn/invocations", body: "{\"fail\": true}")
        XCTAssertEqual(failed?.status, 200, "the Invoke API answers a handler error with 200")
        XCTAssertEqual(failed?.header("x-amz-function-error"), "Unhandled")
        XCTAssertEqual(call(server, "/v2/models/fn/infer", body: "{\"fail\": true}")?.status, 500, "the KServe path answers it with 500")
    }

    /// The real AWS Lambda runtime interface client (PyPI awslambdaric), from the virtual
    /// environment `.ci/run` makes.
    func testLambdaContractThroughAwslambdaric() throws {
        let python = try venvPython(importing: "awslambdaric", what: "the real Lambda client")
        let worker = "{\"contract\": \"lambda\", \"command\": [\"\(python)\", \"-m\", \"awslambdaric\", \"lambda_handler.handler\"], \"directory\": \"\(Self.repository)/Scenarios/workers\", \"startTimeout\": \"30s\", \"stopGrace\": \"2s\"}"
        let s = try scenario(models: [("upper", model(worker, concurrency: 1))],
                             plans: "\"sls\": {\"policy\": \"serverless\", \"hosting\": \"self\", \"keepAlive\": \"30s\", \"nodes\": {\"cpu\": {\"min\": 1, \"max\": 1}}}")
        let server = try start(s, plan: "sls")
        let cold = call(server, "/2015-03-31/functions/upper/invocations", body: "{\"text\": \"great\"}")
        XCTAssertEqual(cold?.status, 200)
        XCTAssertEqual(json(cold)["upper"] as? String, "GREAT")
        XCTAssertEqual(json(cold)["function"] as? String, "upper")
        XCTAssertEqual(json(cold)["request_id"] as? String, cold?.header("x-request-id"))
        let remaining = json(cold)["remaining_ms"] as? Int ?? 0
        XCTAssertTrue((5_000...10_000).contains(remaining), "the context's remaining time comes from Lambda-Runtime-Deadline-Ms (\(remaining))")
        let warm = call(server, "/v2/models/upper/infer", body: "{\"text\": \"warm\"}")
        XCTAssertEqual(json(warm)["upper"] as? String, "WARM")
        XCTAssertEqual(json(warm)["pid"] as? Int, json(cold)["pid"] as? Int)
    }

    /// A worker that exits mid-request: that request gets 502, a request in service on
    /// another instance is not lost, and the instance is replaced.
    func testWorkerCrashMidRequestIsReplaced() throws {
        let s = try scenario(models: [("echo", model(httpWorker(), concurrency: 1))],
                             plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}, \"instances\": {\"echo\": 2}}")
        let server = try start(s, plan: "reserved")
        let slow = Atomic<HTTPResponse?>(nil)
        let group = DispatchGroup()
        group.enter()
        Thread.detachNewThread {
            slow.withLock { $0 = Self.call(server, "/v2/models/echo/infer", body: "{\"sleep\": 1}") }
            group.leave()
        }
        usleep(200_000)
        let crashed = call(server, "/v2/models/echo/infer", body: "{\"crash\": true}")
        XCTAssertEqual(crashed?.status, 502)
        XCTAssertTrue((String(decoding: crashed?.body ?? [], as: UTF8.self)).contains("worker failed"))
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(slow.load?.status, 200, "the request on the other worker is not lost")
        XCTAssertEqual(metric(server, "headroom_worker_failures_total{model=\"echo\"}"), 1)
        XCTAssertTrue(eventually(10) { metric(server, "headroom_instances{model=\"echo\",state=\"ready\"}") == 2 }, "the instance is replaced")
        XCTAssertEqual(call(server, "/v2/models/echo/infer")?.status, 200)
        XCTAssertEqual(metric(server, "headroom_rejections_total{target=\"echo\",reason=\"worker_failed\"}"), 1)
    }

    /// A worker that never becomes ready is killed after its start timeout; the request
    /// waiting for it gets 504 at the scenario's timeout.
    func testWorkerNeverReadyIsKilledAfterStartTimeout() throws {
        let s = try scenario(models: [("stuck", model(httpWorker("\"NEVER_READY\": \"1\"", startTimeout: "1s")))],
                             plans: "\"sls\": {\"policy\": \"serverless\", \"hosting\": \"self\", \"keepAlive\": \"30s\", \"nodes\": {\"cpu\": {\"min\": 1, \"max\": 1}}}",
                             timeout: "3s")
        let server = try start(s, plan: "sls")
        let began = Date()
        let r = call(server, "/v2/models/stuck/infer")
        XCTAssertEqual(r?.status, 504)
        XCTAssertEqual(Date().timeIntervalSince(began), 3, accuracy: 1)
        XCTAssertTrue(lines.load.contains { $0.contains("not ready within its start timeout of 1.00 s; killed") })
        XCTAssertGreaterThanOrEqual(metric(server, "headroom_worker_failures_total{model=\"stuck\"}") ?? 0, 1)
    }

    /// A Lambda worker whose command cannot be started: serving refuses to start, saying
    /// why, and the Runtime API endpoint made for the instance is closed (each failed start
    /// used to leave its listening socket and thread behind).
    func testWorkerThatCannotBeStartedLeavesNothingOpen() throws {
        let before = LambdaRuntimeAPI.open.load
        let s = try scenario(models: [("gone", model(lambdaWorker(python: "/nonexistent/python3")))],
                             plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}}")
        XCTAssertThrowsError(try start(s, plan: "reserved")) { error in
            XCTAssertTrue("\(error)".contains("could not be started") || "\(error)".contains("nonexistent"), "\(error)")
        }
        // The core may have started a replacement before serving gave up: it fails the same way.
        let until = Date().addingTimeInterval(5)
        while LambdaRuntimeAPI.open.load > before && Date() < until { usleep(20_000) }
        XCTAssertEqual(LambdaRuntimeAPI.open.load, before, "Runtime API endpoints of failed starts still open")
    }

    /// A worker that hangs on a request: 504 at the timeout; other requests are served.
    func testHungRequestTimesOut() throws {
        let s = try scenario(models: [("echo", model(httpWorker(), concurrency: 4))],
                             plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}}", timeout: "2s")
        let server = try start(s, plan: "reserved")
        let began = Date()
        let r = call(server, "/v2/models/echo/infer", body: "{\"sleep\": 30}")
        XCTAssertEqual(r?.status, 504)
        XCTAssertEqual(Date().timeIntervalSince(began), 2, accuracy: 0.7)
        XCTAssertEqual(call(server, "/v2/models/echo/infer")?.status, 200)
        XCTAssertEqual(metric(server, "headroom_requests_total{target=\"echo\",version=\"\",caller=\"\",outcome=\"timed_out\"}"), 1)
    }

    /// Requests that end before their deadline do not pile up in the deadline FIFO (it kept
    /// every request of the last timeout: memory grew with rate × timeout), and a request that
    /// hangs after many compactions of it still times out, while one that is answered does not.
    func testDeadlinesOfEndedRequestsAreDroppedAndTimeoutsStillFire() throws {
        let s = try scenario(models: [("echo", model(httpWorker(), concurrency: 4))],
                             plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}}", timeout: "2s")
        let server = try start(s, plan: "reserved")
        let client = HTTPClient(address: server.address, keep: 1)
        defer { client.closeAll() }
        for k in 0..<400 {
            guard case let .answered(r) = client.call(HTTPRequest(method: "POST", target: "/v2/models/echo/infer", body: Array("{\"k\": \(k)}".utf8)),
                                                      deadline: MonotonicClock.nanoseconds() + 5_000_000_000) else { return XCTFail("call \(k)") }
            XCTAssertEqual(r.status, 200)
        }
        XCTAssertLessThanOrEqual(server.deadlinesFiled, 2 * server.inFlight + 65, "400 answered requests, deadlines still filed")
        let began = Date()
        XCTAssertEqual(call(server, "/v2/models/echo/infer", body: "{\"sleep\": 30}")?.status, 504)
        XCTAssertEqual(Date().timeIntervalSince(began), 2, accuracy: 0.7)
        XCTAssertEqual(metric(server, "headroom_requests_total{target=\"echo\",version=\"\",caller=\"\",outcome=\"timed_out\"}"), 1)
    }

    /// Over capacity: a full queue answers 429 with Retry-After.
    func testOverCapacityIs429WithRetryAfter() throws {
        let s = try scenario(models: [("echo", model(httpWorker(), concurrency: 1, queueLimit: 0))],
                             plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}, \"instances\": {\"echo\": 1}}")
        let server = try start(s, plan: "reserved")
        let busy = DispatchGroup()
        busy.enter()
        Thread.detachNewThread { _ = Self.call(server, "/v2/models/echo/infer", body: "{\"sleep\": 1.5}"); busy.leave() }
        usleep(300_000)
        let r = call(server, "/v2/models/echo/infer")
        XCTAssertEqual(r?.status, 429)
        XCTAssertEqual(r?.header("retry-after"), "1")
        XCTAssertEqual(r?.header("headroom-reject-reason"), "queue_full", "the core's reason, for load generators to tally")
        XCTAssertTrue(String(decoding: r?.body ?? [], as: UTF8.self).hasPrefix("{\"error\":"))
        XCTAssertEqual(busy.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(metric(server, "headroom_rejections_total{target=\"echo\",reason=\"queue_full\"}"), 1)
    }

    /// Refusals before the core: unknown target or version 404, wrong method 405, oversized
    /// body 413, malformed request 400 — each a JSON error.
    func testRefusals() throws {
        let s = try scenario(models: [("echo", model(httpWorker()))], plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}}")
        var limits = HTTPLimits()
        limits.body = 1024
        let server = try start(s, plan: "reserved", limits: limits)
        XCTAssertEqual(call(server, "/v2/models/nope/infer")?.status, 404)
        XCTAssertEqual(call(server, "/v2/models/echo/versions/9/infer")?.status, 404)
        XCTAssertEqual(call(server, "/2015-03-31/functions/nope/invocations")?.status, 404)
        let wrong = call(server, "/v2/models/echo/infer", method: "GET")
        XCTAssertEqual(wrong?.status, 405)
        XCTAssertEqual(wrong?.header("allow"), "POST")
        XCTAssertEqual(call(server, "/v2/models/echo/infer", body: String(repeating: "x", count: 2000))?.status, 413)
        XCTAssertEqual(call(server, "/v2/health/ready", method: "GET")?.status, 200)
        XCTAssertEqual(call(server, "/v2/models/echo/ready", method: "GET")?.status, 200)
        XCTAssertEqual(json(call(server, "/v2/models/echo", method: "GET"))["name"] as? String, "echo")
        // A request line that is not HTTP.
        let socket = try Socket.connect(server.address, timeout: 2)
        try socket.write(Array("HELLO\r\n\r\n".utf8))
        let reply = try HTTPConnection(socket: socket).readResponse(method: "GET", deadline: MonotonicClock.nanoseconds() + 2_000_000_000)
        XCTAssertEqual(reply.status, 400)
    }

    /// A client that sends half a request and stalls is cut after the head timeout, while
    /// other clients are served meanwhile.
    func testSlowClientIsCutWithoutStallingOthers() throws {
        let s = try scenario(models: [("echo", model(httpWorker()))], plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}}")
        var limits = HTTPLimits()
        limits.headTimeout = 1
        let server = try start(s, plan: "reserved", limits: limits)
        let slow = try Socket.connect(server.address, timeout: 2)
        try slow.write(Array("POST /v2/models/echo/infer HTTP/1.1\r\nHost: x\r\n".utf8))
        let began = Date()
        XCTAssertEqual(call(server, "/v2/models/echo/infer")?.status, 200)
        XCTAssertLessThan(Date().timeIntervalSince(began), 0.8, "the stalled client does not hold the others up")
        let reply = try? HTTPConnection(socket: slow).readResponse(method: "POST", deadline: MonotonicClock.nanoseconds() + 5_000_000_000)
        XCTAssertEqual(reply?.status, 408)
        XCTAssertEqual(Date().timeIntervalSince(began), 1, accuracy: 0.6)
    }

    /// A connection's one timer is armed while it idles, under the long idle timeout; a head
    /// that begins later and stalls is still cut at the shorter head timeout, and a connection
    /// that stays idle is closed at the idle timeout.
    func testDeadlineMovedEarlierIsKeptAndIdleConnectionsClose() throws {
        let s = try scenario(models: [("echo", model(httpWorker()))], plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}}")
        var limits = HTTPLimits()
        limits.idleTimeout = 2
        limits.headTimeout = 0.5
        let server = try start(s, plan: "reserved", limits: limits)
        let idle = try Socket.connect(server.address, timeout: 2)
        let stalled = try Socket.connect(server.address, timeout: 2)
        let began = Date()
        usleep(300_000)
        try stalled.write(Array("POST /v2/models/echo/infer HTTP/1.1\r\nHost: x\r\n".utf8))
        let reply = try? HTTPConnection(socket: stalled).readResponse(method: "POST", deadline: MonotonicClock.nanoseconds() + 5_000_000_000)
        XCTAssertEqual(reply?.status, 408)
        XCTAssertEqual(Date().timeIntervalSince(began), 0.8, accuracy: 0.35, "cut at the head timeout after its head began")
        var byte: UInt8 = 0
        let n = try idle.read(into: &byte, count: 1, deadline: MonotonicClock.nanoseconds() + 5_000_000_000)
        XCTAssertEqual(n, 0, "the idle connection is closed")
        XCTAssertEqual(Date().timeIntervalSince(began), 2, accuracy: 0.5, "closed at the idle timeout")
    }

    /// Keep-alive: several requests on one connection.
    func testKeepAliveConnectionServesSeveralRequests() throws {
        let s = try scenario(models: [("echo", model(httpWorker()))], plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}}")
        let server = try start(s, plan: "reserved")
        let client = HTTPClient(address: server.address, keep: 1)
        for k in 0..<5 {
            guard case let .answered(r) = client.call(HTTPRequest(method: "POST", target: "/v2/models/echo/infer", body: Array("{\"k\": \(k)}".utf8)),
                                                      deadline: MonotonicClock.nanoseconds() + 5_000_000_000) else { return XCTFail("call \(k)") }
            XCTAssertEqual(r.status, 200)
        }
        XCTAssertEqual(server.connectionCounts.open, 1, "the five calls shared one connection")
    }

    /// Every request's call is freed once answered: on 64 connections at once, with
    /// keep-alive, nothing stays behind (the event loop's hand-offs once held each call in a
    /// reference cycle, 2 KB a request).
    func testAnsweredCallsAreFreed() throws {
        let s = try scenario(models: [("echo", model(httpWorker()))], plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}}")
        let server = try start(s, plan: "reserved")
        let before = Call.live.load
        DispatchQueue.concurrentPerform(iterations: 16) { k in
            let client = HTTPClient(address: server.address, keep: 1)
            for n in 0..<10 {
                guard case let .answered(r) = client.call(HTTPRequest(method: "POST", target: "/v2/models/echo/infer", body: Array("{\"k\": \(k * 100 + n)}".utf8)),
                                                          deadline: MonotonicClock.nanoseconds() + 10_000_000_000) else { return XCTFail("call \(k).\(n)") }
                XCTAssertEqual(r.status, 200)
            }
            client.closeAll()
        }
        let until = Date().addingTimeInterval(5)
        while Call.live.load > before && Date() < until { usleep(10_000) }
        XCTAssertEqual(Call.live.load, before, "calls still alive after every answer")
    }

    /// Stopping a stopped runtime returns at once (a signal handler and a `defer` may both
    /// stop it); it used to wait forever on the event loop the first stop had ended.
    func testStoppingTwiceReturns() throws {
        let s = try scenario(models: [("m", model(httpWorker()))],
                             plans: "\"reserved\": {\"policy\": \"traditional\", \"nodes\": {\"cpu\": 1}, \"instances\": {\"m\": 1}}")
        let server = try start(s, plan: "reserved")
        XCTAssertEqual(call(server, "/v2/models/m/infer", body: "{}")?.status, 200)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            server.stop()
            server.stop()
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success, "the second stop returned")
    }
}

/// What `serve` cannot run is refused before anything starts.
final class ServeRefusalTests: RuntimeTestCase {
    func testAPlanScaledOnTheEnginesKVCacheIsRefused() throws {
        let text = """
        { "name": "kv", "duration": "1m",
          "hardware": { "gpu": { "vcpus": 8, "memoryGiB": 32, "gpus": 1, "pricePerHour": 1 } },
          "models": { "llm": { "requires": { "vcpus": 1, "memoryGiB": 1, "gpus": 1 },
                               "engine": { "kind": "continuous-batching", "kvCacheTokens": 4096,
                                           "profile": { "prefill": { "base": "0ms", "perToken": "0.1ms" }, "decode": { "base": "10ms", "perSequence": "0ms", "perKVToken": "0ms" } } },
                               "worker": \(httpWorker()) } },
          "workload": [ { "kind": "poisson", "target": "llm", "rate": 1, "tokens": { "input": 10, "output": 5 } } ],
          "plans": { "kv": { "policy": "elastic", "metric": "kv-cache-usage", "target": 0.5, "nodes": { "gpu": { "min": 1, "max": 2 } } },
                     "queue": { "policy": "elastic", "metric": "queue-length", "target": 2, "nodes": { "gpu": { "min": 1, "max": 2 } } } } }
        """
        let path = folder + "/kv.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let s = try ScenarioLoader.load(path: path)
        XCTAssertThrowsError(try RuntimeServer.check(s, planIndex: 0)) { e in
            XCTAssertEqual((e as? ScenarioError)?.path, "$.plans.kv.metric")
            XCTAssertTrue("\(e)".contains("the runtime does not read from its workers"), "\(e)")
        }
        XCTAssertNoThrow(try RuntimeServer.check(s, planIndex: 1))
    }

    func testDisaggregatedServingIsRefused() throws {
        let engine = #""kind": "continuous-batching", "kvCacheTokens": 4096, "profile": { "prefill": { "base": "0ms", "perToken": "0.1ms" }, "decode": { "base": "10ms", "perSequence": "0ms", "perKVToken": "0ms" } }"#
        let text = """
        { "name": "pd", "duration": "1m",
          "hardware": { "gpu": { "vcpus": 8, "memoryGiB": 32, "gpus": 2, "pricePerHour": 1 } },
          "models": { "p": { "requires": { "vcpus": 1, "memoryGiB": 1, "gpus": 1 }, "engine": { \(engine), "role": "prefill" }, "worker": \(httpWorker()) },
                      "d": { "requires": { "vcpus": 1, "memoryGiB": 1, "gpus": 1 }, "engine": { \(engine), "role": "decode" }, "worker": \(httpWorker()) } },
          "pipelines": { "chat": ["p", "d"] },
          "workload": [ { "kind": "poisson", "target": "chat", "rate": 1, "tokens": { "input": 10, "output": 5 } } ],
          "plans": { "one": { "policy": "traditional", "nodes": { "gpu": 1 } } } }
        """
        let path = folder + "/pd.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let s = try ScenarioLoader.load(path: path)
        XCTAssertThrowsError(try RuntimeServer.check(s, planIndex: 0)) { e in
            XCTAssertEqual((e as? ScenarioError)?.path, "$.models[\"p\"].engine.role")
            XCTAssertTrue("\(e)".contains("the runtime does not move KV caches between workers"), "\(e)")
        }
        // A plan that serves one target as another.
        let other = text.replacingOccurrences(of: #""role": "prefill""#, with: #""role": "both""#)
            .replacingOccurrences(of: #""role": "decode""#, with: #""role": "both""#)
            .replacingOccurrences(of: #""nodes": { "gpu": 1 } }"#, with: #""nodes": { "gpu": 1 }, "serve": { "p": "chat" } }"#)
        try other.write(toFile: path, atomically: true, encoding: .utf8)
        let served = try ScenarioLoader.load(path: path)
        XCTAssertThrowsError(try RuntimeServer.check(served, planIndex: 0)) { e in
            XCTAssertEqual((e as? ScenarioError)?.path, "$.plans.one.serve")
            XCTAssertTrue("\(e)".contains("the runtime routes each request to the target it names"), "\(e)")
        }
    }
}
