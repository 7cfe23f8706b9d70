import Foundation
import XCTest
import Scenario
@testable import Simulator

/// Counts and sums at the largest values the decoder and the trace readers accept: each is a
/// clear error or an exact figure, never a trap.
final class OverflowTests: XCTestCase {
    func folder(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-overflow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir.path
    }

    /// An Azure Functions 2019 day file: `counts[minute]` as written (any text).
    func functionsFile(_ rows: [(function: String, counts: [Int: String])]) -> String {
        var text = "HashOwner,HashApp,HashFunction,Trigger," + (1...1440).map(String.init).joined(separator: ",") + "\n"
        for r in rows {
            text += "owner,app,\(r.function),http," + (0..<1440).map { r.counts[$0] ?? "0" }.joined(separator: ",") + "\n"
        }
        return text
    }

    func functionsScenario(_ dir: String, duration: String = "1d") throws -> Scenario {
        try scenario("""
        { "name": "f", "duration": "\(duration)",
          "hardware": { "n": { "vcpus": 8, "memoryGiB": 32, "pricePerHour": 1 } },
          "models": { "ocr": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1ms" } },
          "workload": [ { "kind": "trace", "format": "azure-functions-2019", "path": "f.csv", "target": "ocr" } ],
          "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 } } } }
        """, directory: dir)
    }

    func testTwentyDigitCountsAreAnErrorNamingTheLineAndColumn() throws {
        let dir = try folder(["f.csv": functionsFile([("a", [0: "1"]), ("b", [3: "98765432109876543210"])])])
        let s = try functionsScenario(dir)
        XCTAssertThrowsError(try Runner.run(s, options: RunOptions())) { e in
            XCTAssertTrue("\(e)".contains("f.csv:3") && "\(e)".contains("column 4") && "\(e)".contains("a 20-digit count"), "\(e)")
        }
        // The budget's estimate cannot count it and leaves the error to the run.
        XCTAssertEqual(WorkEstimate.of(s, plans: 1, interval: 0).uncounted, ["$.workload[0]"])
    }

    func testAMinuteOverTheBoundIsRefusedBeforeItIsAllocated() throws {
        // 2 × 10⁸ invocations in one minute: one field.
        var dir = try folder(["f.csv": functionsFile([("a", [7: "200000000"])])])
        XCTAssertThrowsError(try Runner.run(try functionsScenario(dir), options: RunOptions())) { e in
            XCTAssertTrue("\(e)".contains("f.csv:2") && "\(e)".contains("a count of 200000000 invocations in one minute"), "\(e)")
        }
        // Two functions whose counts are each allowed but whose minute together is not.
        dir = try folder(["f.csv": functionsFile([("a", [7: "6000000"]), ("b", [7: "6000000"])])])
        XCTAssertThrowsError(try Runner.run(try functionsScenario(dir), options: RunOptions())) { e in
            XCTAssertTrue("\(e)".contains("f.csv:3") && "\(e)".contains("minute 8 of the day asks for more than"), "\(e)")
        }
    }

    func testTheBudgetCountsAFunctionCountFileBeforeReplayingIt() throws {
        // 5 × 10⁶ in each of 300 minutes: 1.5 × 10⁹, over the default budget of 10⁹.
        var counts: [Int: String] = [:]
        for m in 0..<300 { counts[m] = "5000000" }
        let dir = try folder(["f.csv": functionsFile([("a", counts), ("b", [0: "3", 400: "4"])])])
        let s = try functionsScenario(dir)
        let e = WorkEstimate.of(s, plans: 2, interval: 0)
        XCTAssertEqual(e.requestsPerPlan, 1_500_000_007)
        XCTAssertTrue(e.uncounted.isEmpty)
        XCTAssertThrowsError(try RunBudget().check(e, scenario: s)) { e in
            XCTAssertTrue("\(e)".contains("would simulate about 3.0e9 requests"), "\(e)")
        }
        // Only the minutes a shorter run replays count.
        XCTAssertEqual(WorkEstimate.of(try functionsScenario(dir, duration: "2m"), plans: 1, interval: 0).requestsPerPlan, 10_000_003)
    }

    /// 100× overload, a 10⁹ queue limit and a 100-day timeout: every request queues and is
    /// served in the drain, waiting up to 41 hours. The waits add up to 10¹⁹ ns, past
    /// Int64; the mean must still be exact.
    func testWaitsPastSixtyFourBitsAddUpExactly() throws {
        let s = try scenario(queueScenario(servers: 1, rate: 100, service: "\"1s\"", queueLimit: 1_000_000_000, duration: 1_500, seed: 3))
        var options = RunOptions()
        options.interval = 0
        let r = try Runner.run(s, options: options).plans[0]
        XCTAssertEqual(r.totals.completed, r.totals.requests, "all served in the drain")
        // With n requests at rate λ on a server taking d each, request i waits i·d − i/λ.
        let n = Double(r.totals.requests)
        let expected = (n - 1) / 2 * (1 - 1.0 / 100)
        XCTAssertEqual(r.waitSum / n, expected, accuracy: expected * 0.01)
        XCTAssertGreaterThan(r.totals.waitNanoseconds, Int128(Int64.max), "the sum is past 64 bits")
        XCTAssertEqual(Double(r.totals.serviceNanoseconds) / 1e9, n, accuracy: 1)
    }
}
