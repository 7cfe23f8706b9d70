import Foundation
import XCTest
import Scenario
@testable import Simulator
import Reports
import SchedulerCore

/// Whole runs of the bundled scenarios: conservation and determinism.
final class RunTests: XCTestCase {
    func bundled(_ name: String) throws -> Scenario {
        try ScenarioLoader.load(path: repositoryRoot.appendingPathComponent("Scenarios/\(name)").path)
    }

    func assertConservation(_ r: PlanResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.totals.requests, r.totals.completed + r.totals.rejected + r.totals.timedOut, "plan \(r.plan)", file: file, line: line)
        var sum = (Int64(0), Int64(0), Int64(0), Int64(0))
        for t in r.perTarget {
            XCTAssertEqual(t.requests, t.completed + t.rejected + t.timedOut, "plan \(r.plan), a target", file: file, line: line)
            sum.0 += t.requests; sum.1 += t.completed; sum.2 += t.rejected; sum.3 += t.timedOut
        }
        XCTAssertEqual(sum.0, r.totals.requests, file: file, line: line)
        XCTAssertEqual(sum.1, r.totals.completed, file: file, line: line)
        XCTAssertEqual(r.rejectedByReason.reduce(0, +), r.totals.rejected, file: file, line: line)
        XCTAssertEqual(r.totals.latency.count, r.totals.completed, file: file, line: line)
        XCTAssertEqual(r.timeseries.reduce(0) { $0 + $1.arrivals }, r.totals.requests, "time series arrivals add up", file: file, line: line)
        XCTAssertEqual(r.timeseries.reduce(0) { $0 + $1.completions }, r.totals.completed, file: file, line: line)
    }

    /// The bundled train-and-serve scenario: the job runs its 3 h on 4 one-GPU nodes in every
    /// plan (12 GPU-hours, booked exactly), takes serving capacity only on the plain reserved
    /// pool, waits for booting nodes only on the autoscaled one; requests are conserved.
    func testTrainingSharesThePoolsAsEachPlanAllows() throws {
        let run = try Runner.run(try bundled("train-and-serve.json"), options: RunOptions())
        for r in run.plans {
            assertConservation(r)
            XCTAssertEqual(r.training.jobs, 1)
            XCTAssertEqual(r.training.completed, 1, "plan \(r.plan)")
            XCTAssertEqual(r.training.gpuSeconds, 4 * 3 * 3600, accuracy: 1e-6, "plan \(r.plan)")
            XCTAssertGreaterThan(r.training.servingDuring.requests, r.totals.requests / 3, "the job runs for half of the 6 h")
        }
        let (reserved, reservedPlus, autoscaled) = (run.plans[0], run.plans[1], run.plans[2])
        XCTAssertEqual(reserved.training.waitSum / Double(reserved.training.started), 0, accuracy: 1,
                       "on the reserved pool the job takes serving nodes at once (they drain within a request)")
        XCTAssertGreaterThan(autoscaled.training.waitSum, 60, "on the autoscaled pool the job waits for its nodes to boot")
        func attainment(_ s: OutcomeStats) -> Double { Double(s.withinSLO) / Double(s.requests) }
        XCTAssertLessThan(attainment(reserved.training.servingDuring), 0.9, "half the reserved pool went to training")
        XCTAssertGreaterThan(attainment(reservedPlus.training.servingDuring), 0.99)
        XCTAssertGreaterThan(attainment(autoscaled.training.servingDuring), 0.99)
        XCTAssertGreaterThan(reserved.instanceStarts, 0, "evicted instances come back cold after the job")
        // Serving GPU-hours are the rest of the pool's GPU-hours.
        let row = Summary.row(reserved)
        XCTAssertEqual(row.value("training_gpu_hours")!, 12, accuracy: 1e-9)
        XCTAssertEqual(row.value("serving_gpu_hours")! + 12, row.value("gpu_hours")!, accuracy: 1e-9)
    }

    /// A canary on provider-hosted serverless shifts at once: the new version's requests are
    /// its weight's share of the arrivals after each step, to within a request per step (the
    /// split is a smooth weighted round-robin); versions.csv rows add up to the totals.
    func testCanarySplitFollowsTheSchedule() throws {
        let s = try scenario("""
        { "name": "split", "duration": "20m", "seed": 4,
          "hardware": { "n": { "vcpus": 2, "memoryGiB": 4, "pricePerHour": 0.1 } },
          "models": { "m": { "version": "1", "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": { "dist": "exponential", "mean": "100ms" },
                             "versions": { "2": { "load": "2s" } },
                             "rollout": { "to": "2", "steps": [ { "at": "5m", "weight": 10 }, { "at": "10m", "weight": 50 } ] } } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 50 } ],
          "slo": { "latency": "1s" },
          "plans": { "lambda": { "policy": "serverless", "hosting": "provider", "keepAlive": "10m" } } }
        """)
        let run = try Runner.run(s, options: RunOptions())
        let r = run.plans[0]
        assertConservation(r)
        XCTAssertEqual(r.perModel.count, 2)
        XCTAssertEqual(r.perModel[0].requests + r.perModel[1].requests, r.totals.requests)
        XCTAssertEqual(r.perModel[0].completed + r.perModel[1].completed, r.totals.completed)
        let minute = r.timeseries.map { Double($0.arrivals) }
        let during10 = minute[5..<10].reduce(0, +), during50 = minute[10..<20].reduce(0, +)
        let expected = 0.1 * during10 + 0.5 * during50
        XCTAssertEqual(Double(r.perModel[1].requests), expected, accuracy: 2.5, "v2 got its weight's share after each step")
        XCTAssertGreaterThan(r.perModel[1].coldStarts, 0, "the new version scales from zero")
        let csv = CSVReports.versions(run)
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[1].hasPrefix("split,lambda,m,1,\(r.perModel[0].requests),"), String(lines[1]))
        XCTAssertTrue(lines[2].hasPrefix("split,lambda,m,2,\(r.perModel[1].requests),"), String(lines[2]))
    }

    /// The bundled canary-rollout scenario: every plan conserves requests, each new version
    /// takes a good part of the traffic, and reserved capacity surges then shrinks back.
    func testCanaryRolloutScenario() throws {
        let s = try bundled("canary-rollout.json")
        let run = try Runner.run(s, options: RunOptions())
        let ranker5 = s.models.firstIndex { $0.name == "ranker@5.0" }!, search12 = s.models.firstIndex { $0.name == "search@12" }!
        for r in run.plans {
            assertConservation(r)
            XCTAssertEqual(r.perModel.reduce(0) { $0 + $1.requests }, r.totals.requests, "plan \(r.plan)")
            XCTAssertGreaterThan(r.perModel[ranker5].requests, r.totals.requests / 10, "plan \(r.plan)")
            XCTAssertGreaterThan(r.perModel[search12].requests, r.totals.requests / 10, "plan \(r.plan)")
        }
        let reserved = run.plans[0]
        XCTAssertGreaterThan(reserved.nodesMax, 4, "surge nodes for the new versions")
        XCTAssertEqual(reserved.coldStarts, 0, "weights move only to ready instances")
        XCTAssertLessThan(reserved.timeseries.last!.nodesReady, reserved.nodesMax, "surge nodes released after the rollout")
    }

    func graphScenario(rate: Double, bInstances: Int, queueLimit: Int = 1000, timeout: String = "30s") -> String {
        """
        { "name": "dag", "duration": "10m", "seed": 2,
          "hardware": { "n": { "vcpus": 32, "memoryGiB": 64, "pricePerHour": 1 } },
          "models": { "a": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "100ms" },
                      "b": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "300ms", "queueLimit": \(queueLimit) },
                      "c": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "200ms" },
                      "d": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "50ms" } },
          "pipelines": { "g": { "a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"] } },
          "workload": [ { "kind": "poisson", "target": "g", "rate": \(rate) } ],
          "slo": { "timeout": "\(timeout)" },
          "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 }, "instances": { "a": 8, "b": \(bInstances), "c": 8, "d": 8 } } } }
        """
    }

    /// Fan-out / fan-in on a deterministic case: with room everywhere, every request takes
    /// the critical path a + max(b, c) + d = 100 + 300 + 50 ms, and each stage its own time.
    func testGraphPipelineLatencyIsTheCriticalPath() throws {
        let r = try Runner.run(try scenario(graphScenario(rate: 0.5, bInstances: 8)), options: RunOptions()).plans[0]
        assertConservation(r)
        XCTAssertGreaterThan(r.totals.completed, 200)
        XCTAssertEqual(r.totals.latency.minimum, 450_000_000)
        XCTAssertEqual(r.totals.latency.maximum, 450_000_000)
        let g = 4   // models a, b, c, d, then the pipeline
        XCTAssertEqual(r.stageLatency[g].map(\.maximum), [100_000_000, 300_000_000, 200_000_000, 50_000_000])
        XCTAssertEqual(r.stageLatency[g].map(\.count), [r.totals.completed, r.totals.completed, r.totals.completed, r.totals.completed])
        XCTAssertEqual(r.perTarget[g].requests, r.totals.requests, "stages are not counted as requests of their models")
        XCTAssertEqual(r.perTarget[0].requests, 0)
        XCTAssertEqual(r.perTarget[g].serviceNanoseconds, Int128(r.totals.completed * 650_000_000), "service of all four stages")
    }

    /// A stage that is turned away fails its request; one that times out times it out; its
    /// other stages are cancelled; every request still ends exactly once and the run drains.
    func testGraphPipelineFailuresEndEachRequestOnce() throws {
        // b: one instance for 4 × 0.3 = 1.2 s of work per second, a queue of 2 → rejections.
        let rejected = try Runner.run(try scenario(graphScenario(rate: 4, bInstances: 1, queueLimit: 2)), options: RunOptions()).plans[0]
        assertConservation(rejected)
        XCTAssertGreaterThan(rejected.totals.rejected, 100)
        XCTAssertEqual(rejected.rejectedByReason[Int(RejectReason.queueFull.rawValue)], rejected.totals.rejected)
        XCTAssertGreaterThan(rejected.totals.completed, 100)
        // A long queue and a short timeout → timeouts instead.
        let timedOut = try Runner.run(try scenario(graphScenario(rate: 4, bInstances: 1, timeout: "5s")), options: RunOptions()).plans[0]
        assertConservation(timedOut)
        XCTAssertGreaterThan(timedOut.totals.timedOut, 100)
        XCTAssertLessThanOrEqual(timedOut.totals.latency.maximum, 5_000_000_000)
    }

    /// Knative's autoscaler end to end: pods follow the load, and after the traffic stops the
    /// model goes to zero once its 60 s stable window averages zero and the 30 s grace passed.
    func testKnativeScalesWithLoadAndToZero() throws {
        let s = try scenario("""
        { "name": "kpa", "duration": "10m", "seed": 5,
          "hardware": { "n": { "vcpus": 8, "memoryGiB": 32, "pricePerHour": 0.4, "boot": "30s" } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "init": "2s", "service": { "dist": "exponential", "mean": "200ms" },
                             "concurrency": 2 } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 30, "end": "4m" } ],
          "slo": { "latency": "2s" },
          "plans": { "kpa": { "policy": "serverless", "hosting": "self", "scaler": "kpa", "nodes": { "n": { "min": 1, "max": 4 } } } } }
        """)
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        assertConservation(r)
        XCTAssertEqual(r.totals.completed, r.totals.requests)
        // 30/s × 0.2 s = 6 busy slots; target 2 × 70 % = 1.4 per pod → about 5 pods.
        let busyMinutes = r.timeseries.prefix(4).map { $0.instancesBusy + $0.instancesIdle + $0.instancesStarting }
        XCTAssertTrue(busyMinutes.dropFirst().allSatisfy { (4...8).contains($0) }, "\(busyMinutes)")
        let pods = { (row: TimeseriesRow) in row.instancesBusy + row.instancesIdle + row.instancesStarting }
        XCTAssertGreaterThan(pods(r.timeseries[4]), 0, "a minute after the last request the stable window still holds traffic")
        XCTAssertEqual(pods(r.timeseries[6]), 0, "by 7 min: scaled to zero")
        XCTAssertGreaterThan(r.coldStarts, 0, "the first requests wait for pods started from zero")
    }

    /// The hybrid histogram keep-alive's headline effect (Shahrad et al., ATC 2020) on the
    /// bundled timer-app workload: far fewer cold starts than a fixed 10-minute keep-alive,
    /// with fewer idle instance-hours, while a longer fixed window buys its fewer cold starts
    /// with more idle memory.
    func testHybridHistogramBeatsFixedKeepAlive() throws {
        let run = try Runner.run(try bundled("keepalive-hybrid.json"), options: RunOptions())
        let (fixed10, fixed20, hybrid) = (run.plans[0], run.plans[1], run.plans[2])
        for r in run.plans { assertConservation(r) }
        func idle(_ r: PlanResult) -> Double { r.instanceSeconds - r.busyInstanceSeconds }
        XCTAssertLessThan(Double(hybrid.coldStarts), 0.25 * Double(fixed10.coldStarts))
        XCTAssertLessThan(idle(hybrid), idle(fixed10))
        XCTAssertLessThan(fixed20.coldStarts, fixed10.coldStarts)
        XCTAssertGreaterThan(idle(fixed20), idle(fixed10))
    }

    /// The HPA on requests in service per instance, with the default `behavior`: 30 req/s of
    /// 200 ms is 6 in service; a target of 1.5 per instance needs 4 instances, and the 300 s
    /// scale-down stabilisation holds the 5 that Poisson peaks above the tolerance ask for.
    func testElasticOnConcurrencyWithBehavior() throws {
        let s = try scenario("""
        { "name": "hpa", "duration": "20m", "seed": 8,
          "hardware": { "n": { "vcpus": 16, "memoryGiB": 32, "pricePerHour": 0.4 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "init": "2s", "service": { "dist": "exponential", "mean": "200ms" }, "concurrency": 4 } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 30 } ],
          "plans": { "hpa": { "policy": "elastic", "metric": "concurrency", "target": 1.5, "behavior": {},
                              "nodes": { "n": { "min": 1, "max": 1 } } } } }
        """)
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        assertConservation(r)
        let settled = r.timeseries.dropFirst(10).map { $0.instancesBusy + $0.instancesIdle + $0.instancesStarting }
        XCTAssertTrue(settled.allSatisfy { (3...6).contains($0) }, "\(settled)")
        let mean = Double(settled.reduce(0, +)) / Double(settled.count)
        XCTAssertTrue(mean >= 4 && mean <= 5.2, "mean \(mean)")
    }

    /// Step scaling end to end: a 10-minute surge breaches the scale-out alarm and adds
    /// instances (the bigger step for the bigger breach, nothing more while they warm up);
    /// after it, three quiet periods in a row trigger scale-in back to the minimum.
    func testStepScalingOutAndIn() throws {
        let s = try scenario("""
        { "name": "step", "duration": "40m", "seed": 9,
          "hardware": { "n": { "vcpus": 32, "memoryGiB": 64, "pricePerHour": 0.4 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "init": "5s", "service": { "dist": "exponential", "mean": "500ms" }, "concurrency": 2 } },
          "workload": [ { "kind": "bursts", "target": "m", "base": 3, "peak": 24, "every": "40m", "length": "10m", "offset": "5m" } ],
          "plans": { "step": { "policy": "elastic", "scaler": "step", "warmup": "120s",
                               "scaleOut": { "threshold": 0.7, "steps": [ { "lower": 0, "upper": 0.2, "change": 1 }, { "lower": 0.2, "change": 3 } ] },
                               "scaleIn": { "threshold": 0.3, "evaluationPeriods": 3, "steps": [ { "upper": 0, "change": -1 } ] },
                               "instances": { "m": { "min": 2, "max": 20 } },
                               "nodes": { "n": { "min": 1, "max": 1 } } } } }
        """)
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        assertConservation(r)
        let pods = r.timeseries.map { $0.instancesBusy + $0.instancesIdle + $0.instancesStarting }
        XCTAssertEqual(pods[3], 2, "before the surge: the minimum")
        XCTAssertGreaterThanOrEqual(pods.max()!, 7, "the surge (12 busy slots) scaled out: \(pods)")
        XCTAssertEqual(pods.last!, 2, "scaled back in to the minimum: \(pods)")
    }

    /// A GPU stock-out for the first 30 minutes: node requests are not filled; the node layer
    /// gives each up after the 15-minute provisioning deadline and backs the type off — the
    /// request of ~0 min is given up at ~15, the next (after 5 min of backoff, ~20, still in
    /// the window) at ~35, the third (after 10 min, ~45) is filled — and the waiting requests
    /// are then served.
    func testStockOutDelaysScaleUpThroughBackoff() throws {
        let s = try scenario("""
        { "name": "stockout", "duration": "1h", "seed": 2,
          "hardware": { "g": { "vcpus": 8, "memoryGiB": 32, "gpus": 1, "pricePerHour": 1, "boot": "60s",
                               "stockout": { "windows": [ { "from": "0s", "to": "30m" } ] } } },
          "models": { "m": { "requires": { "vcpus": 4, "memoryGiB": 16, "gpus": 1 }, "service": "1s" } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 0.05 } ],
          "slo": { "timeout": "2h" },
          "plans": { "s": { "policy": "serverless", "hosting": "self", "keepAlive": "2h", "nodes": { "g": { "min": 0, "max": 1 } } } } }
        """)
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        assertConservation(r)
        XCTAssertEqual(r.totals.completed, r.totals.requests, "served after the stock-out")
        XCTAssertEqual(r.nodeRequestFailures, 2)
        XCTAssertGreaterThan(Double(r.totals.latency.maximum) / 1e9, 45 * 60, "the first request waited out two backoffs")
        let row = Summary.row(r)
        XCTAssertEqual(row.value("node_request_failures"), 2)
        XCTAssertEqual(r.nodesMax, 1)
    }

    /// A capacity crunch at 30 min takes back both reserved spot nodes after a 60 s notice.
    /// Requests still in service when they go (10-minute jobs) are cut off: retried, they all
    /// complete on the replacement nodes; failed, exactly those are rejected as `interrupted`.
    func testSpotWaveCutsOffRequestsThatAreRetriedOrFailed() throws {
        func run(_ interrupted: String) throws -> PlanResult {
            let s = try scenario("""
            { "name": "spot-wave", "duration": "2h", "seed": 11,
              "hardware": { "s": { "vcpus": 8, "memoryGiB": 32, "gpus": 1, "pricePerHour": 0.3, "boot": "90s",
                                   "spot": { "notice": "60s", "waves": ["30m"], "interrupted": "\(interrupted)" } } },
              "models": { "m": { "requires": { "vcpus": 4, "memoryGiB": 16, "gpus": 1 }, "init": "20s", "service": "10m",
                                 "concurrency": 4, "queueLimit": 100 } },
              "workload": [ { "kind": "poisson", "target": "m", "rate": 0.008 } ],
              "slo": { "timeout": "3h" },
              "plans": { "reserved": { "policy": "traditional", "nodes": { "s": 2 } } } }
            """)
            return try Runner.run(s, options: RunOptions()).plans[0]
        }
        let retried = try run("retry"), failed = try run("fail")
        for r in [retried, failed] {
            assertConservation(r)
            XCTAssertEqual(r.spotInterruptions, 2, "both nodes, once")
            XCTAssertEqual(r.nodesMax, 4, "replacements launched at the notice, beside the warned nodes")
            XCTAssertGreaterThan(r.requestsInterrupted, 0)
        }
        XCTAssertEqual(retried.requestsInterrupted, failed.requestsInterrupted, "same arrivals, same cut")
        XCTAssertEqual(retried.totals.completed, retried.totals.requests, "every cut-off request was retried and served")
        XCTAssertEqual(failed.rejectedByReason[Int(RejectReason.interrupted.rawValue)], failed.requestsInterrupted)
        XCTAssertEqual(failed.totals.rejected, failed.requestsInterrupted)
        let row = Summary.row(failed)
        XCTAssertEqual(row.value("spot_interruptions"), 2)
        XCTAssertEqual(row.value("requests_interrupted"), Double(failed.requestsInterrupted))
        XCTAssertEqual(CSVReports.summaryColumns.firstIndex(of: "rejected_interrupted").map { $0 + 1 },
                       CSVReports.summaryColumns.firstIndex(of: "end_time_s"), "one column per reason, in reason order")
    }

    /// A reserved spot node goes at 10 min while the type is out of stock until 40 min: the
    /// replacement launched at the notice never boots; the launch watchdog gives it up after
    /// 15 min and launches again (at ~25 and ~40 min, both inside the window), and the
    /// launch at ~55 min is filled. The requests that waited meanwhile are then served.
    func testReservedPlanRelaunchesANodeTheCloudDoesNotDeliver() throws {
        let s = try scenario("""
        { "name": "spot-stockout", "duration": "90m", "seed": 4,
          "hardware": { "s": { "vcpus": 8, "memoryGiB": 32, "gpus": 1, "pricePerHour": 0.3, "boot": "60s",
                               "stockout": { "windows": [ { "from": "0s", "to": "40m" } ] },
                               "spot": { "waves": ["10m"], "notice": "60s" } } },
          "models": { "m": { "requires": { "vcpus": 4, "memoryGiB": 16, "gpus": 1 }, "init": "10s", "service": "2s",
                             "queueLimit": 10000 } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 0.1 } ],
          "slo": { "timeout": "2h" },
          "plans": { "reserved": { "policy": "traditional", "nodes": { "s": 1 } } } }
        """)
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        assertConservation(r)
        XCTAssertEqual(r.spotInterruptions, 1)
        XCTAssertEqual(r.nodeRequestFailures, 3, "the launches at ~10, ~25 and ~40 min fall in the stock-out")
        XCTAssertEqual(r.totals.completed, r.totals.requests, "served once the fourth launch is filled")
        XCTAssertGreaterThan(Double(r.totals.latency.maximum) / 1e9, 40 * 60, "the first waiting request waited out the stock-out")
    }

    /// Interruptions arrive at the configured rate: 4 reserved spot nodes at 0.5 per node-hour
    /// for 400 h expect 800 (each replacement starts its own clock at launch); the count is
    /// within 10 % (about 2.8 standard deviations of a Poisson count).
    func testSpotInterruptionsFollowTheRate() throws {
        let s = try scenario("""
        { "name": "spot-rate", "duration": "400h", "seed": 3,
          "hardware": { "s": { "vcpus": 4, "memoryGiB": 16, "pricePerHour": 0.05, "boot": "60s",
                               "spot": { "interruptionsPerHour": 0.5 } } },
          "models": { "m": { "requires": { "vcpus": 2, "memoryGiB": 4 }, "service": "1s" } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 0.01 } ],
          "plans": { "reserved": { "policy": "traditional", "nodes": { "s": 4 } } } }
        """)
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        assertConservation(r)
        XCTAssertEqual(Double(r.spotInterruptions), 800, accuracy: 80)
    }

    /// Elastic and self-hosted serverless plans on spot nodes lose every node at a wave; the
    /// node layer brings capacity back and requests are conserved.
    func testNodeLayerPlansRecoverFromASpotWave() throws {
        let s = try scenario("""
        { "name": "spot-elastic", "duration": "1h", "seed": 5,
          "hardware": { "s": { "vcpus": 8, "memoryGiB": 32, "gpus": 1, "pricePerHour": 0.3, "boot": "60s",
                               "spot": { "waves": ["20m"] } } },
          "models": { "m": { "requires": { "vcpus": 4, "memoryGiB": 16, "gpus": 1 }, "init": "10s",
                             "service": { "dist": "exponential", "mean": "1s" }, "concurrency": 4, "queueLimit": 500 } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 4 } ],
          "slo": { "timeout": "10m" },
          "plans": { "hpa": { "policy": "elastic", "target": 0.6, "nodes": { "s": { "min": 1, "max": 4 } } },
                     "kpa": { "policy": "serverless", "hosting": "self", "scaler": "kpa", "nodes": { "s": { "min": 1, "max": 4 } } },
                     "keepalive": { "policy": "serverless", "hosting": "self", "keepAlive": "10m", "nodes": { "s": { "min": 1, "max": 4 } } } } }
        """)
        for r in try Runner.run(s, options: RunOptions()).plans {
            assertConservation(r)
            XCTAssertGreaterThanOrEqual(r.spotInterruptions, 2, "plan \(r.plan): every node up at 20 min")
            XCTAssertGreaterThan(r.totals.completed, r.totals.requests * 99 / 100, "plan \(r.plan)")
            let after = r.timeseries.filter { $0.time > 30 * 60 }
            XCTAssertTrue(after.allSatisfy { $0.nodesReady > 0 }, "plan \(r.plan): capacity came back")
        }
    }

    /// An account quota of 2 GPUs caps a pool allowed 4 GPU nodes: overload cannot add a third.
    func testQuotaCapsNodesAcrossPools() throws {
        let s = try scenario("""
        { "name": "quota", "duration": "30m", "seed": 3,
          "hardware": { "g": { "vcpus": 8, "memoryGiB": 32, "gpus": 1, "pricePerHour": 1, "boot": "60s" } },
          "models": { "m": { "requires": { "vcpus": 4, "memoryGiB": 16, "gpus": 1 }, "service": "1s", "concurrency": 2, "queueLimit": 50 } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 10 } ],
          "plans": { "capped": { "policy": "elastic", "target": 0.5, "quota": { "gpus": 2 }, "nodes": { "g": { "min": 1, "max": 4 } } },
                     "free": { "policy": "elastic", "target": 0.5, "nodes": { "g": { "min": 1, "max": 4 } } } } }
        """)
        let run = try Runner.run(s, options: RunOptions())
        XCTAssertEqual(run.plans[0].nodesMax, 2)
        XCTAssertEqual(run.plans[1].nodesMax, 4)
        for r in run.plans { assertConservation(r) }
    }

    func testQuickstartConservesRequestsInEveryPlan() throws {
        let run = try Runner.run(try bundled("quickstart.json"), options: RunOptions())
        XCTAssertEqual(run.plans.map(\.plan), ["reserved", "autoscaled", "serverless"])
        XCTAssertEqual(run.plans.map(\.policy), ["traditional", "elastic", "serverless"])
        for r in run.plans {
            assertConservation(r)
            XCTAssertGreaterThan(r.totals.requests, 100_000)
        }
        XCTAssertEqual(Set(run.plans.map(\.totals.requests)).count, 1, "every plan sees the same arrivals")
        XCTAssertEqual(run.plans[0].coldStarts, 0, "reserved capacity is warm")
        XCTAssertGreaterThan(run.plans[1].coldStarts, 0, "autoscaling pays cold starts")
        XCTAssertGreaterThan(run.plans[1].instancesMax, 2, "the burst adds instances")
    }

    /// Under-provisioned plans with short timeouts and small queues: every way of ending occurs.
    func testConservationUnderOverload() throws {
        let s = try scenario("""
        { "name": "overload", "duration": "10m", "seed": 3,
          "hardware": { "n": { "vcpus": 2, "memoryGiB": 4, "pricePerHour": 0.1, "boot": "30s" } },
          "models": {
            "a": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": { "dist": "exponential", "mean": "500ms" }, "queueLimit": 20, "init": "5s" },
            "b": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": { "dist": "lognormal", "mean": "300ms", "cv": 1 }, "queueLimit": 5, "concurrency": 2 } },
          "pipelines": { "ab": ["a", "b"] },
          "workload": [ { "kind": "bursts", "target": "ab", "base": 2, "peak": 30, "every": "2m", "length": "30s" },
                        { "kind": "poisson", "target": "b", "rate": 3 } ],
          "slo": { "latency": "2s", "timeout": "4s" },
          "plans": {
            "small": { "policy": "traditional", "nodes": { "n": 1 } },
            "auto": { "policy": "elastic", "target": 0.5, "nodes": { "n": { "min": 1, "max": 3 } } },
            "lambda": { "policy": "serverless", "hosting": "provider", "concurrencyLimit": 8, "keepAlive": "1m" },
            "knative": { "policy": "serverless", "hosting": "self", "keepAlive": "1m", "nodes": { "n": { "min": 0, "max": 2 } } } } }
        """)
        let run = try Runner.run(s, options: RunOptions())
        for r in run.plans { assertConservation(r) }
        XCTAssertGreaterThan(run.plans[0].totals.rejected, 0)
        XCTAssertGreaterThan(run.plans[0].totals.timedOut, 0)
        XCTAssertGreaterThan(run.plans[2].rejectedByReason[2], 0, "the provider throttles beyond its concurrency limit")
        XCTAssertGreaterThan(run.plans[3].coldStarts, 0)
    }

    func testSameSeedSameResultsAndSeedMatters() throws {
        let s = try bundled("quickstart.json")
        var options = RunOptions()
        let a = try Runner.run(s, options: options)
        options.parallel = false
        let b = try Runner.run(s, options: options)
        for (x, y) in zip(a.plans, b.plans) {
            XCTAssertEqual(x.totals.latency.sum, y.totals.latency.sum)
            XCTAssertEqual(x.cost, y.cost)
            XCTAssertEqual(x.timeseries, y.timeseries)
            XCTAssertEqual(x.events, y.events)
        }
        options.seed = 8
        let c = try Runner.run(s, options: options)
        XCTAssertNotEqual(c.plans[0].totals.requests, a.plans[0].totals.requests)
    }

    func testArrivalRatesOfGenerators() throws {
        let s = try scenario("""
        { "name": "rates", "duration": "10h", "seed": 11,
          "hardware": { "n": { "vcpus": 64, "memoryGiB": 64, "pricePerHour": 1 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1ms", "concurrency": 100 } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 2 },
                        { "kind": "bursts", "target": "m", "base": 1, "peak": 11, "every": "10m", "length": "1m", "offset": "5m" } ],
          "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 }, "instances": { "m": 1 } } } }
        """)
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        // Poisson 2/s + bursts averaging 1 + 10 × 1/10 = 2/s, over 36,000 s: 144,000 expected.
        XCTAssertEqual(Double(r.totals.requests), 144_000, accuracy: 144_000 * 0.01)
        // In a burst minute the rate is 13/s, outside it 3/s.
        let burstMinute = r.timeseries[5]          // interval (300 s, 360 s]
        let quietMinute = r.timeseries[2]
        XCTAssertEqual(Double(burstMinute.arrivals), 13 * 60, accuracy: 13 * 60 * 0.15)
        XCTAssertEqual(Double(quietMinute.arrivals), 3 * 60, accuracy: 3 * 60 * 0.3)
    }
}

/// The time-varying generators against their expected arrival counts.
final class GeneratorTests: XCTestCase {
    func run(_ workload: String, duration: String, targets: String = "") throws -> PlanResult {
        try Runner.run(try scenario("""
        { "name": "gen", "duration": "\(duration)", "seed": 21,
          "hardware": { "n": { "vcpus": 64, "memoryGiB": 64, "pricePerHour": 1 } },
          "models": { "a": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1ms", "concurrency": 100 },
                      "b": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1ms", "concurrency": 100 } },
          "workload": [ \(workload) ],
          "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 }, "instances": { "a": 1, "b": 1 } } } }
        """), options: RunOptions()).plans[0]
    }

    func testDiurnalFollowsItsSinusoid() throws {
        // Mean 10/s, ±50 %, a 1-hour period peaking at t = 0, for 10 hours.
        let r = try run("{ \"kind\": \"diurnal\", \"target\": \"a\", \"mean\": 10, \"amplitude\": 0.5, \"period\": \"1h\", \"peakAt\": \"0s\" }", duration: "10h")
        XCTAssertEqual(Double(r.totals.requests), 360_000, accuracy: 360_000 * 0.01)
        let first = Double(r.timeseries[0].arrivals), middle = Double(r.timeseries[30].arrivals)
        XCTAssertEqual(first, 15 * 60, accuracy: 15 * 60 * 0.1, "near the peak: 15/s")
        XCTAssertEqual(middle, 5 * 60, accuracy: 5 * 60 * 0.2, "half a period later: 5/s")
    }

    func testFlashCrowdRampsHoldsAndDecays() throws {
        let r = try run("{ \"kind\": \"flash-crowd\", \"target\": \"a\", \"base\": 1, \"peak\": 21, \"at\": \"600s\", \"rampUp\": \"100s\", \"hold\": \"200s\", \"decay\": \"300s\" }", duration: "7200s")
        // base over 2 h + ramp (20 × 100 / 2) + hold (20 × 200) + decay (20 × 300 × (1 − e^−21)).
        XCTAssertEqual(Double(r.totals.requests), 7200 + 1000 + 4000 + 6000, accuracy: 18_200 * 0.03)
        XCTAssertEqual(Double(r.timeseries[12].arrivals), 21 * 60, accuracy: 21 * 60 * 0.1, "minute 12-13 is in the hold at 21/s")
        XCTAssertEqual(Double(r.timeseries[5].arrivals), 60, accuracy: 30, "before the crowd: 1/s")
    }

    func testMMPPLongRunRate() throws {
        // 2/s for 100 s on average, 20/s for 50 s: 2 × 2/3 + 20 × 1/3 = 8/s in the long run.
        let r = try run("{ \"kind\": \"mmpp\", \"target\": \"a\", \"states\": [ { \"rate\": 2, \"meanStay\": \"100s\" }, { \"rate\": 20, \"meanStay\": \"50s\" } ] }", duration: "100000s")
        XCTAssertEqual(Double(r.totals.requests) / 100_000, 8, accuracy: 8 * 0.05)
        let perMinute = r.timeseries.map { Double($0.arrivals) }
        let mean = perMinute.reduce(0, +) / Double(perMinute.count)
        let cv = (perMinute.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(perMinute.count)).squareRoot() / mean
        XCTAssertGreaterThan(cv, 0.5, "modulation makes minutes far more variable than Poisson (CV ≈ 0.05 here)")
    }

    func testMixSplitsByWeightWithCallers() throws {
        let r = try run("{ \"kind\": \"poisson\", \"rate\": 20, \"mix\": [ { \"target\": \"a\", \"weight\": 3, \"caller\": \"web\" }, { \"target\": \"b\", \"weight\": 1, \"caller\": \"batch\" } ] }", duration: "1h")
        let a = Double(r.perTarget[0].requests), b = Double(r.perTarget[1].requests)
        XCTAssertEqual(a / (a + b), 0.75, accuracy: 0.01)
        XCTAssertEqual(r.callers, ["", "web", "batch"])
        XCTAssertEqual(r.perCaller[1].requests, r.perTarget[0].requests)
        XCTAssertThrowsError(try run("{ \"kind\": \"poisson\", \"rate\": 1, \"target\": \"a\", \"mix\": [ { \"target\": \"b\", \"weight\": 1 } ] }", duration: "1m")) { e in
            XCTAssertTrue("\(e)".contains("either a target or a mix"), "\(e)")
        }
    }
}

extension RunTests {
    /// Constant service times and ample capacity: each stage takes exactly its service time and
    /// the end-to-end latency is their sum.
    func testPipelineLatencyIsTheSumOfItsStages() throws {
        let s = try scenario("""
        { "name": "pipe", "duration": "10m", "seed": 1,
          "hardware": { "n": { "vcpus": 16, "memoryGiB": 64, "pricePerHour": 1 } },
          "models": { "a": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "120ms", "concurrency": 64 },
                      "b": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "30ms", "concurrency": 64 },
                      "c": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "250ms", "concurrency": 64 } },
          "pipelines": { "abc": ["a", "b", "c"] },
          "workload": [ { "kind": "poisson", "target": "abc", "rate": 5 } ],
          "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 }, "instances": { "a": 1, "b": 1, "c": 1 } } } }
        """)
        let run = try Runner.run(s, options: RunOptions())
        let r = run.plans[0]
        let target = try XCTUnwrap(s.target(named: "abc")).index
        let stages = r.stageLatency[target]
        XCTAssertEqual(stages.map { $0.percentile(50) }, [120_000_000, 30_000_000, 250_000_000])
        XCTAssertEqual(stages.map(\.maximum), [120_000_000, 30_000_000, 250_000_000])
        XCTAssertEqual(r.perTarget[target].latency.minimum, 400_000_000)
        XCTAssertEqual(r.perTarget[target].latency.maximum, 400_000_000)
        let rows = CSVReports.targets(run).split(separator: "\n").filter { $0.contains(",abc,") }
        XCTAssertEqual(rows.map { String($0.split(separator: ",", omittingEmptySubsequences: false).last!) }, ["", "1:a", "2:b", "3:c"])
    }
}
