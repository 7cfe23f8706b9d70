import XCTest
import Foundation
import Glibc
@testable import Measurement
@testable import HeadroomCLI
import Scenario
@testable import Runtime
import Simulator
import Reports

final class CalibrationTests: XCTestCase {
    var folder = ""
    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "headroom-calibrate-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func testEmpiricalDistributionOfSamples() throws {
        let samples = (1...1000).map { Double($0) / 1000 }   // 1 ms … 1 s, uniform
        let node = Calibration.empirical(samples)
        let text = node.text()
        let dist = try ScenarioLoader.decode("""
        { "name": "e", "duration": "1s", "hardware": { "h": { "vcpus": 1, "memoryGiB": 1, "pricePerHour": 0 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": \(text) } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 1 } ],
          "plans": { "p": { "policy": "traditional", "nodes": { "h": 1 } } } }
        """, file: "e.json").models[0].service[0]!
        guard case let .empirical(points) = dist else { return XCTFail("not empirical: \(dist)") }
        XCTAssertEqual(points.first!.value, 0.001, accuracy: 1e-9)
        XCTAssertEqual(points.last!.value, 1.0, accuracy: 1e-9)
        XCTAssertEqual(points.first { $0.percentile == 50 }!.value, 0.5005, accuracy: 1e-6)
        XCTAssertTrue(points.contains { $0.percentile == 99 } && !points.contains { $0.percentile == 99.9 }, "ten samples lie beyond the 99th percentile of 1,000, one beyond the 99.9th")
        XCTAssertEqual(Calibration.percentiles(samples: 12), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    }

    func testCalibratedCopyReplacesMeasuredTimesAndKeepsPathsWorking() throws {
        let root = try JSONReader.parse("""
        { "name": "c", "description": "mine", "duration": "1m",
          "hardware": { "h": { "vcpus": 2, "memoryGiB": 2, "pricePerHour": 0.1 } },
          "models": { "m": { "init": "2s", "load": "5s", "warmup": "1s", "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "10ms",
                             "worker": { "contract": "http", "command": ["workers/run.sh", "x"] } },
                      "n": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "10ms" } },
          "workload": [ { "kind": "trace", "format": "csv", "path": "traces/t.csv", "target": "m" } ],
          "plans": { "p": { "policy": "traditional", "nodes": { "h": 1 } } } }
        """, file: "c.json")
        let samples = [Calibration.ModelSamples(model: "m", service: [0.02, 0.03, 0.04, 0.05, 0.06, 0.07], start: [0.3, 0.5])]
        let (text, notes) = try Calibration.calibrated(Calibration.absolutePaths(root, folder: "/data/s"), samples: samples, provenance: "Calibrated here.")
        XCTAssertEqual(notes.count, 1)
        XCTAssertTrue(notes[0].hasPrefix("m: service from 6 requests"), notes[0])
        let s = try ScenarioLoader.decode(text, file: "/tmp/x/calibrated.json", directory: "/data/s")
        XCTAssertEqual(s.description, "Calibrated here. Original description: mine")
        let m = s.models[0]
        guard case .empirical = m.service[0]! else { return XCTFail("service not replaced") }
        XCTAssertEqual(m.initTime, .constant(0.4), "two starts: their mean")
        XCTAssertEqual(m.load, .constant(0))
        XCTAssertEqual(m.warmup, .constant(0))
        XCTAssertEqual(s.models[1].service[0], .constant(0.01), "an unmeasured model keeps its times")
        XCTAssertEqual(m.worker?.command, ["/data/s/workers/run.sh", "x"])
        XCTAssertEqual(m.worker?.directory, "/data/s", "the working folder stays the original one")
        XCTAssertTrue(text.contains("\"/data/s/traces/t.csv\""), text)
    }

    /// Accuracy gates are skipped by run and check, which measure nothing.
    func testAccuracyGatesAreSkippedBySimulation() throws {
        let r = runHeadroom(["run", Self.repository + "/Scenarios/calibrate-steady.json", "--out", folder + "/run"])
        XCTAssertEqual(r.status, 0, r.out + r.err)
        XCTAssertTrue(r.out.contains("SKIP  reserved  accuracy_latency_p50_s") && r.out.contains("measured by headroom calibrate"), r.out)
    }

    func testPlanWithoutWorkersIsRefusedBeforeStarting() throws {
        let out = folder + "/none"
        let r = runHeadroom(["calibrate", Self.repository + "/Scenarios/quickstart.json", "--plan", "reserved", "--out", out])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("cannot serve") && r.err.contains("no \"worker\""), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let bad = runHeadroom(["calibrate", Self.repository + "/Scenarios/calibrate-steady.json", "--runs", "0"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.err.contains("invalid for '--runs'"), bad.err)
    }

    /// A 20-second calibration with a real worker: the folder's structure, equal request
    /// counts, a calibrated copy that runs, and the accuracy gates evaluated.
    func testCalibrateEndToEnd() throws {
        guard system("command -v python3 >/dev/null 2>&1") == 0 else { throw XCTSkip("python3 is not installed: calibrate starts a Python worker") }
        let out = folder + "/cal"
        let file = Self.repository + "/Scenarios/calibrate-steady.json"
        // 20 s of the workload at speed 2: ten seconds of real time, twice the rate.
        let r = runHeadroom(["calibrate", file, "--duration", "20s", "--speed", "2", "--out", out, "--replications", "5"])
        XCTAssertTrue(r.status == 0 || r.status == 1, r.out + r.err)
        for name in ["measured/summary.csv", "measured/requests.csv", "measured/timeseries.csv", "simulated/summary.csv", "simulated/requests.csv",
                     "accuracy.csv", "calibrated.json", "serve.log", "decisions.jsonl"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + name), name)
        }
        let accuracy = try String(contentsOfFile: out + "/accuracy.csv", encoding: .utf8).split(separator: "\n").map { CompareCommand.fields($0) }
        XCTAssertEqual(Array(accuracy[0].prefix(6)), ["plan", "target", "metric", "simulated", "measured", "relative_error"])
        let metrics = accuracy.dropFirst().map { $0[2] }
        for m in ["requests", "cold_starts", "latency_p50_s", "latency_p95_s", "latency_p99_s", "instance_seconds", "rejected"] {
            XCTAssertTrue(metrics.contains(m), m)
        }
        let requests = accuracy.first { $0[2] == "requests" }!
        XCTAssertEqual(Double(requests[3]), Double(requests[4]), "simulated and measured request counts are equal")
        XCTAssertGreaterThan(Double(requests[4])!, 600, "about 40/s for 20 s of workload time")
        let summary = try String(contentsOfFile: out + "/measured/summary.csv", encoding: .utf8)
        let endTime = Double(summary.split(separator: "\n")[1].split(separator: ",").last!)!
        XCTAssertEqual(endTime, 10, accuracy: 1, "replayed at speed 2: 10 s of real time")
        XCTAssertEqual(requests[5], "0.000000")
        let p50 = accuracy.first { $0[2] == "latency_p50_s" }!
        XCTAssertLessThan(abs(Double(p50[5])!), 0.5, "the calibrated model is in the right range: \(p50)")
        XCTAssertTrue(r.out.contains("accuracy_latency_p50_s"), "the accuracy gates are evaluated: " + r.out)
        // The replayed comparison: the run's own requests with their measured times, at the
        // times they were sent (speed 2 included).
        XCTAssertEqual(Array(accuracy[0].suffix(2)), ["replayed", "replayed_error"])
        XCTAssertEqual(requests[10], requests[4], "the replay has every measured request")
        XCTAssertLessThan(abs(Double(p50[11])!), 0.1, "replayed p50 near the measured: \(p50)")
        XCTAssertTrue(r.out.contains("replayed: 5 more simulations"), r.out)
        let n = Int(Double(requests[4])!)
        XCTAssertTrue(r.out.contains("\(n) of \(n) with the service time measured of them"), "every request numbered and paired: " + r.out)
        let replay = try String(contentsOfFile: out + "/replay/run-1.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(replay.count - 1, Int(Double(requests[4])!))
        XCTAssertLessThanOrEqual(Double(replay.last!.split(separator: ",")[0])!, 10, "due times at speed 2")
        // The calibrated copy is an ordinary scenario that runs from anywhere.
        let rerun = runHeadroom(["run", out + "/calibrated.json", "--out", folder + "/rerun"])
        XCTAssertTrue(rerun.status == 0 || rerun.status == 1, rerun.err)
        XCTAssertTrue(try String(contentsOfFile: out + "/calibrated.json", encoding: .utf8).contains("\"dist\": \"empirical\""))
        // The client's leg to the front and back, measured on loopback: under 20 ms, not 0.
        let calibrated = try ScenarioLoader.load(path: out + "/calibrated.json")
        XCTAssertGreaterThan(calibrated.networkRoundTrip, 0, r.out)
        XCTAssertLessThan(calibrated.networkRoundTrip, 0.02, r.out)
        XCTAssertTrue(r.out.contains("network round trip"), r.out)
        let compare = runHeadroom(["compare", out + "/simulated", out + "/measured"])
        XCTAssertEqual(compare.status, 0)
        XCTAssertFalse(compare.out.contains("only in"), compare.out)
    }

    /// An LLM engine's model served for real, streamed: calibrate calls it with OpenAI chat
    /// requests and sets the measured TTFT and TPOT beside the engine's. The example worker
    /// in its batching mode runs the iterations the engine's profile describes (1 ms per
    /// prompt token, 10 ms per decode step), so the two agree closely; the calibrated copy
    /// keeps the engine (no service times put in its place).
    func testAnEngineModelsTokensAreMeasuredAndCompared() throws {
        guard system("command -v python3 >/dev/null 2>&1") == 0 else { throw XCTSkip("python3 is not installed: calibrate starts a Python worker") }
        let out = folder + "/llm"
        let r = runHeadroom(["calibrate", Self.repository + "/Scenarios/calibrate-llm-stream.json", "--duration", "20s", "--out", out, "--replications", "2"])
        XCTAssertTrue(r.status == 0 || r.status == 1, r.out + r.err)
        let accuracy = try String(contentsOfFile: out + "/accuracy.csv", encoding: .utf8).split(separator: "\n").map { CompareCommand.fields($0) }
        for metric in ["ttft_p50_s", "ttft_p90_s", "tpot_p50_s", "tpot_p90_s"] {
            let row = try XCTUnwrap(accuracy.first { $0[2] == metric }, metric)
            XCTAssertGreaterThan(Double(row[4]) ?? 0, 0, "\(metric) measured: \(row)")
            // The medians of about 40 requests are steady enough to hold to 15 %; their 90th
            // percentiles are not (the accuracy envelope runs the whole minute three times).
            if metric.contains("p50") { XCTAssertLessThan(abs(Double(row[5]) ?? 1), 0.15, "\(metric) within 15 %: \(row)") }
        }
        let requests = try String(contentsOfFile: out + "/measured/requests.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(requests[0].hasSuffix(",ttft_s,tpot_s"), String(requests[0]))
        let calibrated = try ScenarioLoader.load(path: out + "/calibrated.json")
        XCTAssertNotNil(calibrated.models[0].engine, "the engine is kept")
        XCTAssertTrue(r.out.contains("accuracy_ttft_p50_s"), r.out)
        XCTAssertFalse(r.out.contains("replayed:"), "an engine's requests are not replayed: " + r.out)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/replay"))
    }

    /// Calibration measures the CPU its workers burn: a worker that burns 20 ms of CPU per
    /// request (on its thread's CPU clock) is measured within 10 % of that, from its own
    /// accounting; the calibrated copy declares the work and the load beside it.
    func testCalibrationMeasuresTheCPUTheWorkersBurn() throws {
        guard system("command -v python3 >/dev/null 2>&1") == 0 else { throw XCTSkip("python3 is not installed: calibrate starts a Python worker") }
        guard FileManager.default.fileExists(atPath: "/proc/self/stat") else { throw XCTSkip("no /proc: CPU accounting cannot be read") }
        let file = folder + "/burn.json"
        try """
        { "name": "burn", "seed": 5, "duration": "12s",
          "hardware": { "cpu.local": { "vcpus": 2, "memoryGiB": 4, "pricePerHour": 0.085 } },
          "models": { "burn": { "requires": { "vcpus": 0.5, "memoryGiB": 0.5 }, "service": "25ms", "concurrency": 1, "queueLimit": 64,
                                "worker": { "contract": "http", "command": ["python3", "\(Self.repository)/Scenarios/workers/echo.py"],
                                            "env": { "BURN_MS": 20, "MEAN_MS": 5, "STARTUP_BURN_MS": 100 }, "readiness": "/healthz" } } },
          "workload": [ { "kind": "poisson", "target": "burn", "rate": 10 } ],
          "slo": { "timeout": "10s" },
          "plans": { "reserved": { "policy": "traditional", "nodes": { "cpu.local": 1 }, "instances": { "burn": 1 } } } }
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let out = folder + "/cal"
        let r = runHeadroom(["calibrate", file, "--out", out, "--replications", "2"])
        XCTAssertTrue(r.status == 0 || r.status == 1, r.out + r.err)
        let accuracy = try String(contentsOfFile: out + "/accuracy.csv", encoding: .utf8).split(separator: "\n").map { CompareCommand.fields($0) }
        let perRequest = try XCTUnwrap(accuracy.first { $0[2] == "cpu_per_request_s" })
        XCTAssertEqual(Double(perRequest[4])!, 0.020, accuracy: 0.002, "measured CPU per request within 10 % of the 20 ms burned: \(perRequest)")
        let perStart = try XCTUnwrap(accuracy.first { $0[2] == "cpu_per_start_s" })
        XCTAssertGreaterThan(Double(perStart[4])!, 0.09, "at least the 100 ms burned at start-up: \(perStart)")
        XCTAssertNotNil(accuracy.first { $0[2] == "background_vcpus" })
        let calibrated = try ScenarioLoader.load(path: out + "/calibrated.json")
        let cpu = try XCTUnwrap(calibrated.models[0].cpu, "the calibrated copy declares the CPU work")
        XCTAssertGreaterThan(cpu.fraction, 0.5, "20 ms of CPU in about 25 ms of service")
        XCTAssertTrue(r.out.contains("CPU work") && r.out.contains("per request"), r.out)
    }

    /// Waiting known per instance is taken off the top of the service times: the requests
    /// that met no contention keep their times.
    func testWaitingIsTakenOffTheLongestTimes() {
        // 41 ms four times and 141 ms once, 100 ms of waiting: all cut to 41 ms.
        XCTAssertEqual(Calibration.cutLevel([0.041, 0.041, 0.141, 0.041, 0.041], removing: 0.1, floor: 0.03), 0.041, accuracy: 1e-12)
        // 50 ms of waiting over two long ones (100 and 80 ms): both cut to 65 ms.
        XCTAssertEqual(Calibration.cutLevel([0.04, 0.1, 0.08, 0.04], removing: 0.05, floor: 0.01), 0.065, accuracy: 1e-12)
        // Never below the floor (the CPU work itself), and no waiting cuts nothing.
        XCTAssertEqual(Calibration.cutLevel([0.04, 0.1], removing: 1, floor: 0.04), 0.04)
        XCTAssertEqual(Calibration.cutLevel([0.04, 0.1], removing: 0, floor: 0.01), 0.1)
    }

    /// Each stage's own wait for a core comes from its worker's run delay read as it was sent
    /// and answered: alone, all of it; shared equally with a stage in service beside it on the
    /// same process; between stages, nobody's; a reading that fell (a thread ended), none.
    func testEachStageGetsItsOwnWaitForACore() throws {
        func stage(_ instance: Int, _ from: Int64, _ to: Int64, _ delay: (Int64, Int64)) -> RuntimeRecorder.Stage {
            RuntimeRecorder.Stage(model: 0, seconds: Double(to - from) / 1e3, cold: false, instance: instance, generation: 1, sent: from, answered: to,
                                  runDelay: delay)
        }
        let ms: Int64 = 1_000_000
        let stages = [
            stage(0, 0, 10, (0, 4 * ms)),                 // alone: 4 ms
            stage(0, 20, 40, (10 * ms, 30 * ms)),         // 20 ms from t 20 to 40: alone 20–25, shared 25–40
            stage(0, 25, 50, (12 * ms, 33 * ms)),         // in service 25–50: shared 25–40, alone 40–50
            stage(1, 0, 10, (5 * ms, 2 * ms)),            // fell: none
            stage(1, 20, 30, (-1, -1)),                   // not read
        ]
        let order = stages.indices.sorted { (stages[$0].instance, stages[$0].sent) < (stages[$1].instance, stages[$1].sent) }
        let w = Calibration.stageWaiting(stages, order: order)
        XCTAssertEqual(w[0]!, 0.004, accuracy: 1e-12)
        // 20 → 25: 2 ms, stage 1 alone; 25 → 40: 18 ms shared; 40 → 50: 3 ms, stage 2 alone.
        XCTAssertEqual(w[1]!, 0.002 + 0.009, accuracy: 1e-12)
        XCTAssertEqual(w[2]!, 0.009 + 0.003, accuracy: 1e-12)
        XCTAssertEqual(w[3]!, 0)
        XCTAssertNil(w[4])
    }

    /// With each request's wait read, calibration takes exactly that off each time: the
    /// requests that met no contention keep their times (spreading the instance's total over
    /// every request in proportion shrank them below the CPU work they did).
    func testOwnWaitsTakeBackOnlyTheRequestsThatWaited() throws {
        var s = Calibration.ModelSamples(model: "m", service: [0.030, 0.030, 0.030, 0.060, 0.090, 0.030], start: [])
        s.serviceWaiting = [0, 0, 0, 0.030, 0.060, 0]
        s.servingCPU = ProcessCPU(running: 6 * 0.020, waiting: 0.090)
        s.servingInstances = 1
        let fit = try XCTUnwrap(Calibration.cpuFit(s))
        XCTAssertTrue(fit.perRequestWaiting)
        XCTAssertEqual(fit.service, [0.030, 0.030, 0.030, 0.030, 0.030, 0.030])
        XCTAssertEqual(fit.fraction, 0.020 / 0.030, accuracy: 1e-12)
        // Without the readings, the totals are spread: every time shrinks, the 30 ms ones too.
        s.serviceWaiting = []
        let spread = try XCTUnwrap(Calibration.cpuFit(s))
        XCTAssertFalse(spread.perRequestWaiting)
        XCTAssertLessThan(spread.service[0], 0.030)
    }

    /// With `keep`, the share of each request's run-queue wait that the simulator does not put
    /// back stays in its time; the time its worker's cgroup was throttled goes in full (the
    /// CPU-limit model puts it back), and without per-request throttle readings nothing is
    /// kept for a limited model.
    func testKeptWaitingStaysInTheServiceTimes() throws {
        var s = Calibration.ModelSamples(model: "m", service: [0.040, 0.050, 0.100, 0.040, 0.040], start: [])
        s.serviceWaiting = [0, 0.010, 0.060, 0, 0]      // run delay over each stage, throttling included
        s.servingCPU = ProcessCPU(running: 5 * 0.040, waiting: 0.070)
        s.servingInstances = 1
        // No CPU limit: the whole wait is the run queue's; half of it stays.
        var fit = try XCTUnwrap(Calibration.cpuFit(s, keep: 0.5))
        XCTAssertEqual(fit.service[0], 0.040, accuracy: 1e-12)
        XCTAssertEqual(fit.service[1], 0.045, accuracy: 1e-12)
        XCTAssertEqual(fit.service[2], 0.070, accuracy: 1e-12)
        XCTAssertEqual(fit.kept, (0.005 + 0.030) / 5, accuracy: 1e-12)
        XCTAssertEqual(fit.fraction, 0.040 / ((0.040 + 0.045 + 0.070 + 0.040 + 0.040) / 5), accuracy: 1e-12)
        // keep 0 is the old fit: every wait off.
        fit = try XCTUnwrap(Calibration.cpuFit(s, keep: 0))
        for t in fit.service { XCTAssertEqual(t, 0.040, accuracy: 1e-12) }
        XCTAssertEqual(fit.kept, 0)
        // A CPU limit: 50 ms of the third request's 60 ms wait was throttling, 10 ms the run
        // queue. The throttling goes; half the run queue's 10 ms stays.
        s.limited = true
        s.serviceThrottled = [0, 0, 0.050, 0, 0]
        fit = try XCTUnwrap(Calibration.cpuFit(s, keep: 0.5))
        XCTAssertEqual(fit.service[1], 0.045, accuracy: 1e-12)
        XCTAssertEqual(fit.service[2], 0.045, accuracy: 1e-12)
        XCTAssertEqual(fit.kept, (0.005 + 0.005) / 5, accuracy: 1e-12)
        // Limited, throttling not read per request: nothing kept.
        s.serviceThrottled = [0, nil, 0.050, 0, 0]
        fit = try XCTUnwrap(Calibration.cpuFit(s, keep: 0.5))
        XCTAssertEqual(fit.kept, 0)
        XCTAssertEqual(fit.service[2], 0.040, accuracy: 1e-12)
        // What is kept is what the simulator's sharing does not give back.
        XCTAssertEqual(Calibration.keptShare(measured: 1.0, shared: 0.1), 0.9, accuracy: 1e-12)
        XCTAssertEqual(Calibration.keptShare(measured: 1.0, shared: 1.3), 0)
        XCTAssertEqual(Calibration.keptShare(measured: 0, shared: 0.1), 0)
    }

    /// A worker's cgroup throttled time is shared among the stages in service on it between two
    /// readings, as its run delay is.
    func testEachStageGetsItsOwnThrottledTime() {
        let ms: Int64 = 1_000_000
        let stages = [
            RuntimeRecorder.Stage(model: 0, seconds: 0.08, cold: false, instance: 0, generation: 1, sent: 0, answered: 80,
                                  runDelay: (0, 35 * ms), throttled: (100 * ms, 130 * ms)),
            RuntimeRecorder.Stage(model: 0, seconds: 0.04, cold: false, instance: 0, generation: 1, sent: 100, answered: 140,
                                  runDelay: (35 * ms, 36 * ms), throttled: (130 * ms, 130 * ms)),
            RuntimeRecorder.Stage(model: 0, seconds: 0.04, cold: false, instance: 1, generation: 1, sent: 0, answered: 40),
        ]
        let order = [0, 1, 2]
        let throttled = Calibration.stageWaiting(stages, order: order) { $0.throttled }
        let waiting = Calibration.stageWaiting(stages, order: order)
        XCTAssertEqual(throttled[0]!, 0.030, accuracy: 1e-12)
        XCTAssertEqual(throttled[1]!, 0)
        XCTAssertNil(throttled[2], "no cgroup: not read")
        XCTAssertEqual(waiting[0]! - throttled[0]!, 0.005, accuracy: 1e-12, "5 ms of the 35 waited in the run queue")
        XCTAssertEqual(waiting[1]!, 0.001, accuracy: 1e-12)
    }

    /// The start-up interference is the first α of the grid whose simulated mean start
    /// reaches the measured, refined by bisection; 0 when none is needed; the closest when a
    /// saturating node never reaches it.
    func testStartupInterferenceFit() {
        XCTAssertEqual(Calibration.fitInterference(target: 1.5) { 1 + $0 }, 0.5, accuracy: 0.001)
        XCTAssertEqual(Calibration.fitInterference(target: 1.03) { 1 + $0 }, 0.03, accuracy: 0.0001)
        XCTAssertEqual(Calibration.fitInterference(target: 0.9) { 1 + $0 }, 0)
        XCTAssertEqual(Calibration.fitInterference(target: 3) { $0 < 1 ? 1 + $0 : 0.5 }, 0.5, "the closest before the node saturates")
    }

    /// The start-up interference is fitted before the share of waiting kept, and the waiting
    /// is compared with a simulation whose starts take the cores they took (α as fitted): a
    /// copy with its starts kept as measured declares no CPU for them, so its warm requests
    /// would never wait beside a start and the waiting the starts caused would be kept twice.
    func testTheWaitingKeptIsFittedWithTheStartsOnTheCores() throws {
        let file = folder + "/starts.json"
        try """
        { "name": "starts", "seed": 3, "duration": "60s",
          "hardware": { "n": { "vcpus": 2, "memoryGiB": 8, "pricePerHour": 1 } },
          "models": { "m": { "init": "400ms", "requires": { "vcpus": 0.25, "memoryGiB": 0.25 }, "service": "30ms",
                             "cpu": { "fraction": 1, "init": 1 }, "concurrency": 1, "queueLimit": 64 } },
          "workload": [ { "kind": "bursts", "target": "m", "base": 4, "peak": 20, "every": "15s", "length": "4s", "offset": "5s" } ],
          "plans": { "s": { "policy": "serverless", "hosting": "self", "keepAlive": "3s", "nodes": { "n": { "min": 1, "max": 1 } } } } }
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let (root, directory) = try ScenarioLoader.read(path: file)
        // Measured: 30 ms requests, a quarter of which waited 150 ms for a core (1.5 s in all);
        // starts of 0.9 s, 0.4 s of it CPU and 0.5 s waiting for a core.
        var m = Calibration.ModelSamples(model: "m", service: (0..<40).map { 0.030 + ($0 % 4 == 0 ? 0.150 : 0) }, start: [])
        m.serviceWaiting = m.service.map { $0 - 0.030 }
        m.servingCPU = ProcessCPU(running: 40 * 0.030, waiting: 0.2)
        m.servingInstances = 2
        m.startsWithCPU = (0..<6).map { _ in (0.9, ProcessCPU(running: 0.4, waiting: 0.5)) }
        m.coldStarts = [0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
        var copies: [Double?] = []
        var options = RunOptions()
        options.interval = 0
        options.parallel = false
        let fit = try Calibration.fitContention([m], runs: 1, copy: { startInterference in
            copies.append(startInterference)
            let (text, _) = try Calibration.calibrated(root, samples: [m], provenance: "test", startInterference: startInterference)
            return try ScenarioLoader.decode(text, file: file, directory: directory)
        }, replicated: { s, metric in try metric(Runner.run(s, options: options).plans[0]) ?? 0 })
        let alpha = try XCTUnwrap(fit.startInterference, "starts measured with their CPU: α is fitted")
        XCTAssertEqual(copies.count, 2)
        XCTAssertEqual(copies[0], 0, "α first")
        XCTAssertEqual(copies[1], alpha, "the waiting compared with the starts as fitted")
        XCTAssertEqual(fit.notes.count, 2)
        XCTAssertTrue(fit.notes[0].hasPrefix("the requests waited 1.50 s a run"), fit.notes[0])
        XCTAssertTrue(fit.notes[1].hasPrefix("start-up interference α"), fit.notes[1])
        // The starts on the cores make the warm requests wait as much as was measured: no
        // waiting is kept. With the starts kept as measured (no CPU declared for them) they
        // would wait a fraction of it, and most of each request's own wait would be kept on
        // top of what the simulator's sharing puts back.
        XCTAssertEqual(fit.keep, 0, fit.notes[0])
        let (text, _) = try Calibration.calibrated(root, samples: [m], provenance: "test")
        let withoutStarts = Calibration.servingWaiting(try Runner.run(try ScenarioLoader.decode(text, file: file, directory: directory), options: options).plans[0])
        XCTAssertGreaterThan(Calibration.keptShare(measured: 1.5, shared: withoutStarts), 0.5, "\(withoutStarts) s")
    }

    /// A request had its worker process to itself when no other was in service on the same
    /// instance (slot and generation) at any moment of its own.
    /// The replayed comparison's inputs: each measured request's service time, by run and
    /// by the client's number, put on the same request of the workload; a simulation driven
    /// by the trace serves every request in exactly its measured time (ample capacity), at
    /// exactly the time the load generator sent it; requests not measured are drawn.
    func testReplayPairsEachRequestWithItsMeasuredServiceTime() throws {
        let text = """
        { "name": "replay", "duration": "20s", "seed": 7, "hardware": { "h": { "vcpus": 64, "memoryGiB": 64, "pricePerHour": 0 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "10ms", "concurrency": 64 } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 5, "start": "1s" } ],
          "plans": { "p": { "policy": "traditional", "nodes": { "h": 1 } } } }
        """
        let scenario = try ScenarioLoader.decode(text, file: folder + "/s.json")
        let root = try JSONReader.parse(text, file: "s.json")
        var arrivals: [Arrival] = []
        let stream = try ArrivalStream(scenario: scenario)
        while let a = try stream.next() { arrivals.append(a) }
        XCTAssertGreaterThan(arrivals.count, 60)
        let recorder = RuntimeRecorder()
        // Two measured runs; the second leaves its request 3 unnumbered (not paired).
        for run in 0..<2 {
            recorder.beginRun(run)
            for k in arrivals.indices.reversed() {   // answered in any order
                let seconds = Double(run + 1) * 0.001 * Double(k + 1)
                recorder.stageServed(RuntimeRecorder.Stage(model: 0, seconds: seconds, cold: false, instance: k, generation: 1,
                                                           sent: Int64(k) * 1000, answered: Int64(k) * 1000 + 1, request: run == 1 && k == 3 ? -1 : Int64(k)))
            }
        }
        let samples = Calibration.samples(recorder, scenario: scenario)
        let services = Calibration.replayedServices(samples, root: root, keep: 0)
        XCTAssertEqual(services.count, 2 * arrivals.count - 1)
        XCTAssertEqual(services[Calibration.RequestKey(run: 1, request: 9)]!, 0.020, accuracy: 1e-12)
        let trace = try Calibration.replayTrace(scenario, seed: nil, length: 20, speed: 1, run: 1, services: services)
        XCTAssertEqual(trace.requests, arrivals.count)
        XCTAssertEqual(trace.replayed, arrivals.count - 1)
        XCTAssertEqual(trace.firstArrival, Double(arrivals[0].time) / 1e9, accuracy: 1e-9)
        let lines = trace.text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines[0], "time,target,caller,version,input_tokens,output_tokens,service_s")
        XCTAssertEqual(lines[10], Substring(Calibration.seconds(arrivals[9].time) + ",m,,,0,0,0.020000000"))
        XCTAssertTrue(lines[4].hasSuffix(",0,0,"), "request 3 of run 2 was not numbered: drawn")
        let halved = try Calibration.replayTrace(scenario, seed: nil, length: 20, speed: 2, run: 0, services: services)
        XCTAssertTrue(halved.text.split(separator: "\n")[1].hasPrefix(Calibration.seconds(arrivals[0].time / 2) + ","), "due times at speed 2")

        // Simulated from the trace: the same arrivals to the nanosecond, each served in its time.
        try trace.text.write(toFile: folder + "/run-2.csv", atomically: true, encoding: .utf8)
        let replaying = Calibration.replaying(scenario, trace: folder + "/run-2.csv", firstArrival: trace.firstArrival)
        var options = RunOptions()
        options.requestLogDirectory = folder
        let result = try Runner.run(replaying, options: options).plans[0]
        XCTAssertEqual(Int(result.totals.completed), arrivals.count)
        let rows = try String(contentsOfFile: folder + "/requests.0.part", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            .sorted { Int($0[1])! < Int($1[1])! }
        for (k, row) in rows.enumerated() {
            XCTAssertEqual(Double(row[6])!, Double(arrivals[k].time) / 1e9, accuracy: 1e-6, "arrival \(k)")
            let service = k == 3 ? 0.010 : 0.002 * Double(k + 1)
            XCTAssertEqual(Double(row[8])! - Double(row[6])!, service, accuracy: 2e-6, "request \(k): \(row)")
        }
    }

    /// A replayed run's cold starts: the runtime numbers each model's cold starts in the
    /// order the core asks for them, calibration keeps each one's measured time by run and
    /// number, and the simulation gives its own start of that number that time (the rest
    /// drawn).
    func testReplayGivesEachColdStartItsMeasuredTime() throws {
        let text = """
        { "name": "starts", "duration": "60s", "hardware": { "h": { "vcpus": 8, "memoryGiB": 8, "pricePerHour": 0 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "10ms", "init": "1s" } },
          "workload": [ { "kind": "trace", "format": "csv", "path": "t.csv", "target": "m" } ],
          "plans": { "p": { "policy": "serverless", "hosting": "self", "keepAlive": "2s", "nodes": { "h": { "min": 1, "max": 1 } } } } }
        """
        try "time\n0\n20\n40\n".write(toFile: folder + "/t.csv", atomically: true, encoding: .utf8)
        let scenario = try ScenarioLoader.decode(text, file: folder + "/s.json", directory: folder)
        let root = try JSONReader.parse(text, file: "s.json")
        let recorder = RuntimeRecorder()
        recorder.beginRun(0)
        recorder.instanceReady(RuntimeRecorder.InstanceStart(model: 0, processStart: 9, modelled: 0, warm: true))
        recorder.instanceReady(RuntimeRecorder.InstanceStart(model: 0, processStart: 0.25, modelled: 0, warm: false, ordinal: 0))
        recorder.instanceReady(RuntimeRecorder.InstanceStart(model: 0, processStart: 3, modelled: 0, warm: false, ordinal: 2))
        recorder.beginRun(1)
        recorder.instanceReady(RuntimeRecorder.InstanceStart(model: 0, processStart: 5, modelled: 0, warm: false, ordinal: 0))
        let samples = Calibration.samples(recorder, scenario: scenario)
        let inits = Calibration.replayedInits(recorder, samples: samples, scenario: scenario, root: root, keep: 0, startInterference: nil, runs: 2)
        XCTAssertEqual(inits, [[[250_000_000, -1, 3_000_000_000]], [[5_000_000_000]]], "by run, model and number; the warm start is none")
        var options = RunOptions()
        options.replayedInits = inits[0]
        let r = try Runner.run(scenario, options: options).plans[0]
        XCTAssertEqual(r.instanceStarts, 3)
        // Latencies: 0.25 s + 10 ms, 1 s (drawn: the declared constant) + 10 ms, 3 s + 10 ms.
        XCTAssertEqual(r.totals.latency.minimum, 260_000_000)
        XCTAssertEqual(r.totals.latency.maximum, 3_010_000_000)
        XCTAssertEqual(r.totals.latency.count, 3)
        let drawn = try Runner.run(scenario, options: RunOptions()).plans[0]
        XCTAssertEqual(drawn.totals.latency.minimum, 1_010_000_000, "without the replay, every start is the declared 1 s")
    }

    /// A pipeline's requests are not given one service time: their stages draw their own,
    /// whatever the records hold.
    func testAPipelinesRequestsAreNotReplayed() throws {
        let scenario = try ScenarioLoader.decode("""
        { "name": "pipe", "duration": "10s", "hardware": { "h": { "vcpus": 8, "memoryGiB": 8, "pricePerHour": 0 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "10ms" } },
          "pipelines": { "both": ["m", "m"] },
          "workload": [ { "kind": "poisson", "target": "both", "rate": 5 } ],
          "plans": { "p": { "policy": "traditional", "nodes": { "h": 1 } } } }
        """, file: "p.json")
        var services: [Calibration.RequestKey: Double] = [:]
        for k in 0..<200 { services[Calibration.RequestKey(run: 0, request: Int64(k))] = 0.5 }
        let trace = try Calibration.replayTrace(scenario, seed: nil, length: 10, speed: 1, run: 0, services: services)
        XCTAssertGreaterThan(trace.requests, 20)
        XCTAssertEqual(trace.replayed, 0)
        XCTAssertTrue(trace.text.split(separator: "\n").dropFirst().allSatisfy { $0.hasSuffix(",both,,,0,0,") }, trace.text)
    }

    /// The replayed figures sit beside the drawn ones in accuracy.csv, and gates may bound
    /// either error.
    func testReplayedFiguresAndTheirGates() throws {
        var rows = [Calibration.Row(plan: "p", target: "", metric: "latency_p95_s", simulated: 1.2, measured: 1.0),
                    Calibration.Row(plan: "p", target: "", metric: "cold_starts", simulated: 30, measured: 25)]
        Calibration.merge(&rows, replayed: [Calibration.Row(plan: "p", target: "", metric: "latency_p95_s", simulated: 1.01, measured: 1.0)])
        XCTAssertEqual(rows[0].replayed, 1.01)
        XCTAssertEqual(rows[0].replayedError!, 0.01, accuracy: 1e-12)
        XCTAssertNil(rows[1].replayed)
        let csv = Calibration.csv(rows).split(separator: "\n")
        XCTAssertTrue(csv[0].hasSuffix(",simulated_low,simulated_high,replayed,replayed_error"), String(csv[0]))
        XCTAssertTrue(csv[1].hasSuffix(",1.010000,0.010000"), String(csv[1]))
        XCTAssertTrue(csv[2].hasSuffix(",,"), String(csv[2]))
        let scenario = try ScenarioLoader.decode("""
        { "name": "g", "duration": "1s", "hardware": { "h": { "vcpus": 2, "memoryGiB": 4, "pricePerHour": 0 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "10ms" } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 1 } ],
          "plans": { "p": { "policy": "traditional", "nodes": { "h": 1 } } },
          "expect": [ { "plan": "p", "metric": "accuracy_latency_p95_s", "max": 0.1 },
                      { "plan": "p", "metric": "accuracy_replayed_latency_p95_s", "max": 0.1 } ] }
        """, file: "g.json")
        XCTAssertEqual(Calibration.gateValue(scenario.expectations[0], rows: rows, scenario: scenario)!, 0.2, accuracy: 1e-12)
        XCTAssertEqual(Calibration.gateValue(scenario.expectations[1], rows: rows, scenario: scenario)!, 0.01, accuracy: 1e-12)
    }

    func testRequestsAloneInTheirProcessAreFound() throws {
        let scenario = try ScenarioLoader.decode("""
        { "name": "alone", "duration": "1s", "hardware": { "h": { "vcpus": 2, "memoryGiB": 4, "pricePerHour": 0 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "10ms", "concurrency": 2, "cpu": { "instanceThreads": 1 } } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 1 } ],
          "plans": { "p": { "policy": "traditional", "nodes": { "h": 1 } } } }
        """, file: "a.json")
        let recorder = RuntimeRecorder()
        func stage(_ instance: Int, _ generation: UInt64, _ from: Int64, _ to: Int64) {
            recorder.stageServed(RuntimeRecorder.Stage(model: 0, seconds: Double(to - from) / 1e3, cold: false, instance: instance, generation: generation, sent: from, answered: to))
        }
        stage(0, 1, 0, 10)     // overlaps the next
        stage(0, 1, 5, 15)
        stage(0, 1, 20, 30)    // alone
        stage(1, 1, 2, 8)      // alone: another instance
        stage(0, 2, 12, 14)    // alone: the slot's next worker
        stage(0, 1, 40, 100)   // overlaps the two inside it
        stage(0, 1, 50, 60)
        stage(0, 1, 70, 80)
        let samples = Calibration.samples(recorder, scenario: scenario)
        XCTAssertEqual(samples[0].aloneService.sorted(), [0.002, 0.006, 0.010])
        XCTAssertEqual(samples[0].sharedService.sorted(), [0.010, 0.010, 0.010, 0.010, 0.060])
        XCTAssertTrue(samples[0].sharedProcess, "two requests at once in a process held to one core")
        XCTAssertEqual(samples[0].service.count, 8)

        // The shared requests' service times, simulated (pooled over the runs) against measured.
        var run = try Runner.run(scenario, options: RunOptions()).plans[0]
        var simulated = LatencyHistogram()
        for ms: Int64 in [8, 12, 12, 50] { simulated.record(ms * 1_000_000) }
        run.sharedService = [simulated]
        var other = run
        other.sharedService = [LatencyHistogram()]
        let rows = Calibration.sharedServiceRows(samples, simulated: [run, other], scenario: scenario, plan: "p")
        XCTAssertEqual(rows.map(\.metric), ["shared_service_p10_s", "shared_service_p50_s"])
        XCTAssertEqual(rows.map(\.target), ["m", "m"])
        XCTAssertEqual(rows[0].measured!, 0.010, accuracy: 1e-12)
        XCTAssertEqual(rows[1].measured!, 0.010, accuracy: 1e-12)
        XCTAssertEqual(rows[1].simulated!, 0.012, accuracy: 0.012 / 128)
        XCTAssertEqual(rows[0].simulated!, 0.008, accuracy: 0.008 / 128)
        // Fewer than five shared requests measured: no rows.
        var few = samples
        few[0].sharedService = [0.01, 0.02]
        XCTAssertTrue(Calibration.sharedServiceRows(few, simulated: [run], scenario: scenario, plan: "p").isEmpty)
    }

    /// A model with a CPU limit served for real: its workers run in cgroups holding them to
    /// half a core, the kernel throttles them, calibration reports the throttled time beside
    /// the simulated, and the calibrated copy keeps the limit.
    func testCalibrationAppliesAndMeasuresACPULimit() throws {
        guard system("command -v python3 >/dev/null 2>&1") == 0 else { throw XCTSkip("python3 is not installed: calibrate starts a Python worker") }
        guard case let .success(probe) = WorkerCgroups.open() else { throw XCTSkip("no writable cpu cgroup controller here: serve cannot apply CPU limits") }
        probe.close()
        let file = folder + "/limit.json"
        try """
        { "name": "limit", "seed": 5, "duration": "8s",
          "hardware": { "cpu.local": { "vcpus": 2, "memoryGiB": 4, "pricePerHour": 0.085 } },
          "models": { "burn": { "requires": { "vcpus": 0.25, "memoryGiB": 0.5 }, "limits": { "vcpus": 0.5 }, "service": "41ms", "concurrency": 1, "queueLimit": 64,
                                "cpu": { "fraction": 1 },
                                "worker": { "contract": "http", "command": ["python3", "\(Self.repository)/Scenarios/workers/echo.py"],
                                            "env": { "BURN_MS": 40 }, "readiness": "/healthz" } } },
          "workload": [ { "kind": "poisson", "target": "burn", "rate": 8 } ],
          "slo": { "timeout": "10s" },
          "plans": { "reserved": { "policy": "traditional", "nodes": { "cpu.local": 1 }, "instances": { "burn": 1 } } } }
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let out = folder + "/cal"
        let r = runHeadroom(["calibrate", file, "--out", out, "--replications", "2"])
        XCTAssertTrue(r.status == 0 || r.status == 1, r.out + r.err)
        let log = try String(contentsOfFile: out + "/serve.log", encoding: .utf8)
        XCTAssertTrue(log.contains("CPU limits of burn applied with cgroup"), log)
        let accuracy = try String(contentsOfFile: out + "/accuracy.csv", encoding: .utf8).split(separator: "\n").map { CompareCommand.fields($0) }
        let throttled = try XCTUnwrap(accuracy.first { $0[2] == "throttled_per_request_s" }, "\(accuracy)")
        // Each 40 ms request under a 50 ms quota per 100 ms: a good part of them run into the
        // period's end (8/s: 0.32 of a core asked for on average).
        XCTAssertGreaterThan(Double(throttled[4])!, 0.002, "measured: \(throttled)")
        XCTAssertGreaterThan(Double(throttled[3])!, 0.002, "simulated: \(throttled)")
        let calibrated = try ScenarioLoader.load(path: out + "/calibrated.json")
        XCTAssertEqual(calibrated.models[0].limitVCPUs, 0.5)
        XCTAssertTrue(r.out.contains("throttled by the CPU limit"), r.out)
        // Each request's throttled time is read from its worker's cgroup and told apart from
        // its wait for a core: the calibrated service times keep none of the throttling (the
        // CPU-limit model puts it back), so their median stays near the 40 ms of work, where
        // the throttled requests took 50–100 ms.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/calibrated.json"))) as? [String: Any]
        let service = ((json?["models"] as? [String: Any])?["burn"] as? [String: Any])?["service"] as? [String: Any]
        let median = try XCTUnwrap((service?["percentiles"] as? [String: Any])?["50"] as? Double, "\(String(describing: service))")
        XCTAssertLessThan(median, 0.047, r.out)
        XCTAssertGreaterThan(median, 0.035, r.out)
        // Its run-queue waits are known apart from the throttling only where the cgroup was
        // read as each request was sent and answered: then what sharing does not place is kept.
        XCTAssertTrue(r.out.contains("of waiting for a core kept in the service times"), r.out)
    }

    /// Processes whose environment holds `marker` (the workers a test started).
    static func processes(marked marker: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return data.range(of: Data(marker.utf8)) != nil
        }
    }

    /// SIGINT mid-replay: exit 130, every worker stopped, no folder written.
    func testInterruptedCalibrationStopsItsWorkersAndWritesNothing() throws {
        guard system("command -v python3 >/dev/null 2>&1") == 0 else { throw XCTSkip("python3 is not installed: calibrate starts a Python worker") }
        let marker = "HEADROOM_TEST_MARK=\(UInt64.random(in: 0...UInt64.max))"
        let file = folder + "/interrupt.json"
        try """
        { "name": "interrupt", "seed": 3, "duration": "60s",
          "hardware": { "cpu": { "vcpus": 2, "memoryGiB": 2, "pricePerHour": 0.1 } },
          "models": { "echo": { "requires": { "vcpus": 0.5, "memoryGiB": 0.5 }, "service": "10ms", "concurrency": 4,
                      "worker": { "contract": "http", "command": ["python3", "\(Self.repository)/Scenarios/workers/echo.py"],
                                  "env": { "MEAN_MS": 10, "HEADROOM_TEST_MARK": "\(marker.dropFirst("HEADROOM_TEST_MARK=".count))" },
                                  "readiness": "/healthz", "stopGrace": "1s" } } },
          "workload": [ { "kind": "poisson", "target": "echo", "rate": 20 } ],
          "slo": { "timeout": "5s" },
          "plans": { "reserved": { "policy": "traditional", "nodes": { "cpu": 1 }, "instances": { "echo": 2 } } } }
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let out = folder + "/never"
        let status = Unchecked<Int32?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            status.value = runHeadroom(["calibrate", file, "--out", out]).status
            done.signal()
        }
        let end = Date().addingTimeInterval(20)
        while Self.processes(marked: marker).count < 2 && Date() < end { usleep(50_000) }
        XCTAssertGreaterThanOrEqual(Self.processes(marked: marker).count, 2, "both workers started")
        sleep(1)   // requests are being sent
        XCTAssertEqual(kill(getpid(), SIGINT), 0)
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(status.value, 130)
        XCTAssertEqual(Self.processes(marked: marker), [], "every worker is stopped")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing is written")
    }
}
