import Foundation
import XCTest
@testable import Runtime

/// The kernel's CPU accounting as the recorder reads it.
final class ProcessCPUTests: XCTestCase {
    /// Four busy processes on a machine with fewer cores wait for one: each one's run delay
    /// (`ProcessCPU.runDelay`, read straight from schedstat) grows while it runs, as the
    /// Foundation-based reading of `ProcessCPU.of` says too.
    func testRunDelayCountsTheTimeABusyProcessWaitedForACore() throws {
        guard FileManager.default.fileExists(atPath: "/proc/self/task") else { throw XCTSkip("no /proc here") }
        XCTAssertNotNil(ProcessCPU.runDelay(getpid()), "this process's own threads")
        XCTAssertNil(ProcessCPU.runDelay(999_999_999), "no such process")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let count = 2 * cores
        let exited = DispatchSemaphore(value: 0)
        var busy: [WorkerProcess] = []
        defer { for p in busy { p.stop(grace: 1) } }
        for _ in 0..<count {
            busy.append(try WorkerProcess(command: ["sh", "-c", "while :; do :; done"], environment: [], directory: "/", cpus: [], cgroup: nil) { _ in exited.signal() })
        }
        let pid = busy[0].pid
        usleep(100_000)
        let before = try XCTUnwrap(ProcessCPU.runDelay(pid))
        let cpuBefore = try XCTUnwrap(ProcessCPU.of(pid))
        usleep(600_000)
        let after = try XCTUnwrap(ProcessCPU.runDelay(pid))
        let cpuAfter = try XCTUnwrap(ProcessCPU.of(pid))
        for p in busy { p.stop(grace: 1) }
        for _ in 0..<count { XCTAssertEqual(exited.wait(timeout: .now() + 5), .success) }
        busy = []
        // Twice as many busy processes as cores: each waits about half the 0.6 s.
        let waited = Double(after - before) / 1e9
        XCTAssertGreaterThan(waited, 0.15, "run delay over 0.6 s among \(count) busy processes on \(cores) cores")
        XCTAssertLessThan(waited, 0.6 + 0.05)
        XCTAssertEqual(waited, cpuAfter.since(cpuBefore).waiting, accuracy: 0.02, "the same counters as ProcessCPU.of reads")
    }
}
