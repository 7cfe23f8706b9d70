import Foundation
import XCTest
import Glibc
@testable import Runtime

/// A killed runtime leaves no worker: the kernel kills its workers with it
/// (PR_SET_PDEATHSIG), and the next start stops whatever else a killed run left.
final class OrphanTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("headroom").path
    }

    /// Pids whose environment names `runtime` (its pid) as their runtime.
    func workers(of runtime: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            OrphanedWorkers.runtime(of: pid).map { $0.hasPrefix("\(runtime):") } ?? false
        }.sorted()
    }

    func testKillNineOfServeLeavesNoWorker() throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw XCTSkip("no headroom executable beside the tests at \(executable)") }
        guard system("command -v python3 >/dev/null 2>&1") == 0 else { throw XCTSkip("python3 is not installed") }
        let folder = NSTemporaryDirectory() + "headroom-orphans-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/four.json"
        try """
        { "name": "four", "seed": 1, "duration": "1m",
          "hardware": { "cpu": { "vcpus": 4, "memoryGiB": 4, "pricePerHour": 0.01, "boot": "100ms" } },
          "models": { "echo": { "requires": { "vcpus": 1, "memoryGiB": 0.5 }, "service": "5ms",
                      "worker": { "contract": "http", "command": ["python3", "\(root.appendingPathComponent("Scenarios/workers/echo.py").path)"] } } },
          "workload": [ { "kind": "poisson", "target": "echo", "rate": 1 } ],
          "plans": { "reserved": { "policy": "traditional", "nodes": { "cpu": 1 }, "instances": { "echo": 4 } } } }
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["serve", file, "--listen", "127.0.0.1:0"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        var running: [pid_t] = []
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            running = workers(of: p.processIdentifier)
            if running.count == 4 { break }
            usleep(50_000)
        }
        XCTAssertEqual(running.count, 4, "four workers started")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let killed = Date()
        var left = running
        while !left.isEmpty && Date().timeIntervalSince(killed) < 2 {
            usleep(20_000)
            left = running.filter { kill($0, 0) == 0 && !isZombie($0) }
        }
        XCTAssertEqual(left, [], "no worker outlives the runtime by 2 s")
        for pid in left { kill(pid, SIGKILL) }
    }

    /// A process whose runtime is gone (a child a worker started, say) is found and stopped;
    /// one whose runtime still runs (this process) is left alone.
    func testTheNextStartStopsWhatAKilledRunLeft() throws {
        func start(runtime: String) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sleep")
            p.arguments = ["60"]
            var env = ProcessInfo.processInfo.environment
            env[OrphanedWorkers.variable] = runtime
            p.environment = env
            try p.run()
            return p
        }
        // A pid above pid_max names no process; a live pid with the wrong start time names
        // an earlier process that had it.
        let dead = try start(runtime: "2147483646:12345")
        let reused = try start(runtime: "\(getpid()):1")
        let live = try start(runtime: OrphanedWorkers.runtimeIdentity)
        defer { for p in [dead, reused, live] where p.isRunning { p.terminate() } }
        usleep(100_000)
        let reaped = OrphanedWorkers.reap().map(\.pid)
        XCTAssertTrue(reaped.contains(dead.processIdentifier), "\(reaped)")
        XCTAssertTrue(reaped.contains(reused.processIdentifier), "a reused pid is not the runtime: \(reaped)")
        XCTAssertFalse(reaped.contains(live.processIdentifier), "a live runtime's worker is left alone")
        dead.waitUntilExit()
        reused.waitUntilExit()
        XCTAssertEqual(dead.terminationReason, .uncaughtSignal)
        XCTAssertEqual(dead.terminationStatus, SIGKILL)
        XCTAssertTrue(live.isRunning)
    }

    func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }
}
