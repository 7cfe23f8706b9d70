import XCTest
import Foundation
import Glibc

/// SIGINT and SIGTERM in the middle of `headroom run`, sent to the real executable: exit
/// 130 / 143, no staging folder left, and the folder's earlier reports untouched.
final class SignalTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `headroom` executable built beside the test bundle.
    var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("headroom").path
    }

    func testSignalMidRunLeavesEarlierReportsAndNoStaging() throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw XCTSkip("no headroom executable beside the tests at \(executable)") }
        let dir = NSTemporaryDirectory() + "headroom-signal-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = root.appendingPathComponent("Scenarios/mmc-validation.json").path
        XCTAssertEqual(runHeadroom(["run", scenario, "--out", dir]).status, 0)
        let before = try String(contentsOfFile: dir + "/summary.csv", encoding: .utf8)
        for (signal, status) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: executable)
            // Long enough to be interrupted: thousands of simulated hours.
            p.arguments = ["run", scenario, "--set", "duration=20000h", "--out", dir, "--requests"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            let staging = dir + "/.headroom-staging-\(p.processIdentifier)"
            let end = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: staging) && Date() < end { usleep(10_000) }
            XCTAssertTrue(FileManager.default.fileExists(atPath: staging), "the run is under way")
            usleep(300_000)
            kill(p.processIdentifier, signal)
            let deadline = Date().addingTimeInterval(20)
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning { p.terminate(); XCTFail("still running after the signal") }
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, status)
            XCTAssertEqual(p.terminationReason, .exit, "it exits by itself, not killed by the signal")
            XCTAssertFalse(FileManager.default.fileExists(atPath: staging), "its staging folder is removed")
            XCTAssertEqual(try String(contentsOfFile: dir + "/summary.csv", encoding: .utf8), before, "the earlier report is untouched")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }, [])
        }
    }
}
