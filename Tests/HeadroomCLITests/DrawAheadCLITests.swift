import Foundation
import XCTest
@testable import HeadroomCLI
import Simulator

/// `check` and `sweep` draw arrivals ahead on a spare core when the simulations it runs at once leave
/// one (`--sequential`, or fewer plans than cores), and not when every core runs a plan. The
/// drawing threads are seen by their names in /proc while the command runs.
final class DrawAheadCLITests: XCTestCase {
    /// The names of this process's threads.
    static func threadNames() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Runs `headroom ARGUMENTS` in this process while another thread looks for a thread
    /// drawing arrivals ahead every millisecond; returns the exit status, whether it saw one,
    /// and every thread name it saw.
    func checkWatchingThreads(_ arguments: [String]) -> (status: Int32, drewAhead: Bool, names: [String]) {
        final class Watch: @unchecked Sendable {
            let lock = NSLock()
            var running = true, seen = false
            var names: Set<String> = []
        }
        let watch = Watch()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            while watch.lock.withLock({ watch.running }) {
                let names = Self.threadNames()
                watch.lock.withLock { watch.names.formUnion(names) }
                if names.contains("arrivals-ahead") { watch.lock.withLock { watch.seen = true } }
                usleep(1_000)
            }
            done.signal()
        }
        let status = Headroom.main(arguments, out: CapturedText(), err: CapturedText())
        watch.lock.withLock { watch.running = false }
        done.wait()
        return watch.lock.withLock { (status, watch.seen, watch.names.sorted()) }
    }

    func testCheckAndSweepDrawAheadWhenACoreIsFree() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/proc/self/task"), "no /proc on this system")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        try XCTSkipIf(cores < 2, "one core: nothing is drawn ahead")
        XCTAssertFalse(Self.threadNames().contains("arrivals-ahead"), "no drawing thread outlives a run")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-draw-ahead-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // One plan of about 600,000 requests (M/M/10 at 0.9), with a gate it meets.
        let mmc = folder + "/mmc.json"
        try """
            { "name": "mmc", "seed": 42, "duration": "66666s",
              "hardware": { "server": { "vcpus": 1, "memoryGiB": 1, "pricePerHour": 0.1 } },
              "models": { "mm": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": { "dist": "exponential", "mean": "1s" },
                                  "queueLimit": 1000000 } },
              "workload": [ { "kind": "poisson", "target": "mm", "rate": 9 } ],
              "slo": { "timeout": "1d" },
              "plans": { "c10": { "policy": "traditional", "nodes": { "server": 10 } } },
              "expect": [ { "plan": "c10", "metric": "completed", "min": 500000 } ] }
            """.write(toFile: mmc, atomically: true, encoding: .utf8)
        var r = checkWatchingThreads(["check", mmc, "--sequential"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.drewAhead, "check --sequential runs one plan at a time: a core is free; threads seen: \(r.names)")
        r = checkWatchingThreads(["check", mmc])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.drewAhead, "one plan on \(cores) cores: a core is free; threads seen: \(r.names)")
        // As many plans as cores run at once: none is left to draw ahead.
        let many = folder + "/many"
        try FileManager.default.createDirectory(atPath: many, withIntermediateDirectories: true)
        for k in 0..<cores { try FileManager.default.copyItem(atPath: mmc, toPath: "\(many)/mmc-\(k).json") }
        r = checkWatchingThreads(["check", many])
        XCTAssertEqual(r.status, 0)
        XCTAssertFalse(r.drewAhead, "\(cores) plans on \(cores) cores: no core is free; threads seen: \(r.names)")
        // sweep: one variant at a time, then as many variants as cores at once.
        r = checkWatchingThreads(["sweep", mmc, "--vary", "plans.c10.nodes.server=11,12", "--sequential", "--out", folder + "/sweep-1"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.drewAhead, "sweep --sequential runs one variant at a time: a core is free; threads seen: \(r.names)")
        let values = (0..<cores).map { String(11 + $0) }.joined(separator: ",")
        r = checkWatchingThreads(["sweep", mmc, "--vary", "plans.c10.nodes.server=\(values)", "--out", folder + "/sweep-n"])
        XCTAssertEqual(r.status, 0)
        XCTAssertFalse(r.drewAhead, "\(cores) variants on \(cores) cores: no core is free; threads seen: \(r.names)")
        XCTAssertTrue(Runner.leavesCoreIdle(simulations: 1, parallel: true, cores: 2))
        XCTAssertFalse(Runner.leavesCoreIdle(simulations: 2, parallel: true, cores: 2))
    }
}
