import Foundation
import XCTest
@testable import Runtime

/// Workers' CPU cgroups: Kubernetes' conversions, the kernel's counters as read, and — where
/// this process may write a cpu controller — a real busy loop held to its quota.
final class WorkerCgroupsTests: XCTestCase {
    /// Kubernetes' numbers (KEP-2254): 100 m → 102 shares, 1 CPU → 1024 shares → weight 39,
    /// the 2-share minimum → weight 1, 256 CPUs → the most, weight 10,000.
    func testSharesAndWeightsAreKubernetes() {
        XCTAssertEqual(WorkerCgroups.shares(vcpus: 0.1), 102)
        XCTAssertEqual(WorkerCgroups.shares(vcpus: 1), 1024)
        XCTAssertEqual(WorkerCgroups.shares(vcpus: 0.001), 2)
        XCTAssertEqual(WorkerCgroups.weight(shares: 1024), 39)
        XCTAssertEqual(WorkerCgroups.weight(shares: 2), 1)
        XCTAssertEqual(WorkerCgroups.weight(shares: WorkerCgroups.shares(vcpus: 256)), 10_000)
    }

    func testCPUStatIsReadInEachVersionsUnits() {
        let v1 = CgroupCPUStat(parsing: "nr_periods 40\nnr_throttled 12\nthrottled_time 612000000\nnr_bursts 0\nburst_time 0\n", kind: .v1)
        XCTAssertEqual(v1, CgroupCPUStat(periods: 40, throttledPeriods: 12, throttledSeconds: 0.612))
        let v2 = CgroupCPUStat(parsing: "usage_usec 9\nuser_usec 5\nsystem_usec 4\nnr_periods 7\nnr_throttled 3\nthrottled_usec 150000\n", kind: .v2)
        XCTAssertEqual(v2, CgroupCPUStat(periods: 7, throttledPeriods: 3, throttledSeconds: 0.15))
        XCTAssertNil(CgroupCPUStat(parsing: "usage_usec 9\n", kind: .v2), "a group without the cpu controller has no throttling counters")
        XCTAssertEqual(v1!.since(CgroupCPUStat(periods: 10, throttledPeriods: 2, throttledSeconds: 0.112)),
                       CgroupCPUStat(periods: 30, throttledPeriods: 10, throttledSeconds: 0.5))
    }

    /// A worker that spins for a second under a 0.25-core limit gets about 0.25 s of CPU and
    /// is throttled in most of the ten periods; its group and the runtime's are removed after.
    func testABusyWorkerIsHeldToItsQuota() throws {
        let groups: WorkerCgroups
        switch WorkerCgroups.open() {
        case let .success(g): groups = g
        case let .failure(why): throw XCTSkip("no writable cpu cgroup controller here (\(why)): serve runs workers without their CPU limits")
        }
        defer { groups.close() }
        let group = try groups.make(limit: 0.25, period: 0.1, vcpus: 0.25)
        let exited = DispatchSemaphore(value: 0)
        let process = try WorkerProcess(command: ["sh", "-c", "while :; do :; done"], environment: [], directory: "/", cpus: [], cgroup: group) { _ in
            exited.signal()
        }
        let before = try XCTUnwrap(group.stat())
        usleep(1_000_000)
        let cpu = ProcessCPU.of(process.pid)
        let after = try XCTUnwrap(group.stat()).since(before)
        process.stop(grace: 1)
        XCTAssertEqual(exited.wait(timeout: .now() + 5), .success)
        group.remove()
        let running = try XCTUnwrap(cpu).running
        XCTAssertEqual(running, 0.25, accuracy: 0.06, "a quarter of a core for a second")
        XCTAssertGreaterThanOrEqual(after.throttledPeriods, 7, "throttled in most periods: \(after)")
        XCTAssertEqual(after.throttledSeconds, 0.75, accuracy: 0.15, "throttled three quarters of the time: \(after)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: group.path), "the worker's group is removed")
        groups.close()
        XCTAssertFalse(FileManager.default.fileExists(atPath: groups.directory), "the runtime's group is removed")
    }

    /// The group of a runtime that is gone is removed by the next one to open.
    func testAKilledRuntimesGroupsAreRemoved() throws {
        guard case let .success(groups) = WorkerCgroups.open() else { throw XCTSkip("no writable cpu cgroup controller here") }
        defer { groups.close() }
        let base = (groups.directory as NSString).deletingLastPathComponent
        // A pid that is not running: above the kernel's pid_max.
        let stale = base + "/" + WorkerCgroups.prefix + "999999999"
        XCTAssertEqual(mkdir(stale, 0o755), 0)
        XCTAssertEqual(mkdir(stale + "/w1", 0o755), 0)
        WorkerCgroups.removeOrphans(in: base)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale))
        XCTAssertTrue(FileManager.default.fileExists(atPath: groups.directory), "a running runtime's group stays")
    }
}
