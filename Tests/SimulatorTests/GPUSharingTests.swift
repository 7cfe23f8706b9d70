import Foundation
import XCTest
import Scenario
@testable import Simulator

/// Shared GPUs: instances placed on one physical GPU by `gpuSharing`, and their GPU work slowed
/// as the sharing mode says. Hand-computed: a 100 ms GPU-bound request.
final class GPUSharingTests: XCTestCase {
    func run(_ rows: String, mode: String, replicas: Int, gpus: Int = 1, instances: Int = 2, work: String = "\"gpu\": { \"fraction\": 1 }") throws -> PlanResult {
        let folder = NSTemporaryDirectory() + "headroom-gpu-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ("time,target\n" + rows).write(toFile: folder + "/t.csv", atomically: true, encoding: .utf8)
        let sharing = mode.isEmpty ? "" : ", \"gpuSharing\": { \"mode\": \"\(mode)\", \"replicas\": \(replicas) }"
        let text = """
        { "name": "gpu", "seed": 1, "duration": "10s",
          "hardware": { "g": { "vcpus": 16, "memoryGiB": 64, "gpus": \(gpus), "pricePerHour": 1 \(sharing) } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1, "gpus": 1 }, "service": "100ms", "concurrency": 1, \(work) } },
          "workload": [ { "kind": "trace", "format": "csv", "path": "t.csv" } ],
          "plans": { "fixed": { "policy": "traditional", "nodes": { "g": 1 }, "instances": { "m": \(instances) } } } }
        """
        return try Runner.run(try scenario(text, directory: folder), options: RunOptions()).plans[0]
    }

    func mean(_ r: PlanResult) -> Double { r.totals.latency.mean! / 1e9 }

    /// Time-slicing is processor sharing by instance: two at once take 200 ms each, one alone
    /// 100 ms; four instances on one GPU (replicas 4) all at once, 400 ms each.
    func testTimeSlicingSharesTheGPUByTurns() throws {
        let two = try run("1.0,m\n1.0,m\n2.0,m\n", mode: "time-slicing", replicas: 2)
        XCTAssertEqual(mean(two), (0.2 + 0.2 + 0.1) / 3, accuracy: 1e-6)
        XCTAssertEqual(two.totals.waitNanoseconds, 0, "each request has an instance of its own")
        XCTAssertEqual(two.contention[0].gpuStretch, 0.2 / 0.1 * 2 / 3 + 1.0 / 3 - 1, accuracy: 1e-6)
        let four = try run("1.0,m\n1.0,m\n1.0,m\n1.0,m\n", mode: "time-slicing", replicas: 4, instances: 4)
        XCTAssertEqual(mean(four), 0.4, accuracy: 1e-6)
    }

    /// MPS runs kernels at once, each slowed by 19.5 % per other instance with GPU work
    /// (contention.md [25]): two at once take 119.5 ms.
    func testMPSSlowsEachByThePublishedFigure() throws {
        let r = try run("1.0,m\n1.0,m\n", mode: "mps", replicas: 2)
        XCTAssertEqual(mean(r), 0.1195, accuracy: 1e-6)
    }

    /// A MIG slice is isolated: neighbours busy at the same moment change nothing, exactly the
    /// island model's results.
    func testAMIGSliceIsUnaffectedByItsNeighbours() throws {
        let rows = "1.0,m\n1.0,m\n1.05,m\n2.0,m\n"
        let mig = try run(rows, mode: "mig", replicas: 2)
        XCTAssertEqual(mean(mig), (0.1 + 0.1 + 0.15 + 0.1) / 4, accuracy: 1e-6, "the third waits 50 ms for an instance, then 100 ms")
        let island = try run(rows, mode: "", replicas: 1, gpus: 2)
        XCTAssertEqual(mig.totals.latency.mean, island.totals.latency.mean)
        XCTAssertEqual(mig.totals.latency.percentile(99), island.totals.latency.percentile(99))
    }

    /// Instances go to the least occupied GPU: two instances on two GPUs (replicas 2 each)
    /// do not share one.
    func testInstancesSpreadOverTheNodesGPUs() throws {
        let r = try run("1.0,m\n1.0,m\n", mode: "time-slicing", replicas: 2, gpus: 2)
        XCTAssertEqual(mean(r), 0.1, accuracy: 1e-6)
    }

    /// A request's CPU part (not contended on 16 cores), then its GPU part (shared), then the
    /// rest: 30 ms + 2 × 50 ms + 20 ms.
    func testCPUThenGPUThenTheRest() throws {
        let r = try run("1.0,m\n1.0,m\n", mode: "time-slicing", replicas: 2,
                        work: "\"cpu\": { \"fraction\": 0.3 }, \"gpu\": { \"fraction\": 0.5 }")
        XCTAssertEqual(mean(r), 0.03 + 0.1 + 0.02, accuracy: 1e-6)
    }

    /// Without `gpu` work declared, sharing changes placement only: times are as given.
    func testWithoutGPUWorkTimesAreAsGiven() throws {
        let r = try run("1.0,m\n1.0,m\n", mode: "time-slicing", replicas: 2, work: "\"queueLimit\": 10")
        XCTAssertEqual(mean(r), 0.1, accuracy: 1e-6)
        XCTAssertEqual(r.totals.waitNanoseconds, 0, "both instances placed on the one GPU")
    }
}
