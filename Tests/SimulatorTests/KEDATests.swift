import Foundation
import XCTest
import Scenario
@testable import Simulator
import Reports

/// KEDA in front of the HPA: a model whose minimum is 0 starts with no instance, wakes at the
/// first poll that sees requests held for it, and goes back to zero once its trigger has been
/// inactive for the cooldown period.
final class KEDATests: XCTestCase {
    func scaleToZero(metric: String = "queue-length", keda: String = "{ \"pollingInterval\": \"10s\", \"cooldownPeriod\": \"60s\" }",
                     trace: String, folder: URL) throws -> Scenario {
        try trace.write(to: folder.appendingPathComponent("t.csv"), atomically: true, encoding: .utf8)
        return try scenario("""
        { "name": "keda", "seed": 1, "duration": "10m",
          "hardware": { "cpu": { "vcpus": 4, "memoryGiB": 16, "pricePerHour": 0.2 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "init": "2s", "service": "100ms", "concurrency": 1 } },
          "workload": [ { "kind": "trace", "format": "csv", "path": "t.csv", "target": "m" } ],
          "slo": { "timeout": "1h" },
          "plans": { "zero": { "policy": "elastic", "metric": "\(metric)", "target": 1, "nodes": { "cpu": { "min": 1, "max": 1 } },
                               "instances": { "m": { "min": 0, "max": 4 } }, "keda": \(keda) } } }
        """, directory: folder.path)
    }

    func testAModelWakesAtAPollAndSleepsAfterTheCooldown() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keda-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let s = try scaleToZero(trace: "time\n0\n1\n298\n", folder: folder)
        var options = RunOptions()
        options.requestLogDirectory = folder.path
        options.interval = 5
        let result = try Runner.run(s, options: options)
        let r = result.plans[0]
        XCTAssertEqual(r.totals.completed, 3)
        XCTAssertEqual(r.instanceStarts, 2, "woken twice, each time one instance")
        XCTAssertEqual(r.instancesMax, 1)
        // Latencies (a trace's times count from its first row): held until the poll at 10 s,
        // 2 s of start-up, then served one at a time; the third waits for the poll at 300 s.
        let lines = try String(contentsOfFile: try XCTUnwrap(result.requestLogs.first), encoding: .utf8).split(separator: "\n")
        let cols = CSVReports.requestColumns
        let (id, arrival, end) = (cols.firstIndex(of: "id")!, cols.firstIndex(of: "arrival_s")!, cols.firstIndex(of: "end_s")!)
        let latency = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .sorted { Int($0[id])! < Int($1[id])! }.map { Double($0[end])! - Double($0[arrival])! }
        XCTAssertEqual(latency.count, 3, lines.joined(separator: "\n"))
        XCTAssertEqual(latency[0], 10 - 0 + 2 + 0.1, accuracy: 1e-6)
        XCTAssertEqual(latency[1], 10 - 1 + 2 + 0.2, accuracy: 1e-6)
        XCTAssertEqual(latency[2], 300 - 298 + 2 + 0.1, accuracy: 1e-6)
        // Instances over time: none before 10 s; one from the wake; none again from the poll at
        // 70 s (last active at 10 s, cooldown 60 s) until the next wake at 300 s.
        func instances(at t: Double) throws -> Int {
            let row = try XCTUnwrap(r.timeseries.first { abs($0.time - t) < 1e-9 }, "row at \(t)")
            return row.instancesBusy + row.instancesIdle + row.instancesStarting
        }
        XCTAssertEqual(try instances(at: 5), 0)
        XCTAssertEqual(try instances(at: 15), 1)
        XCTAssertEqual(try instances(at: 65), 1)
        XCTAssertEqual(try instances(at: 75), 0)
        XCTAssertEqual(try instances(at: 295), 0)
        XCTAssertEqual(try instances(at: 305), 1)
    }

    /// An activation threshold of 2 waits for more than two requests to be held.
    func testTheActivationThresholdHoldsAFewRequests() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keda-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let s = try scaleToZero(keda: "{ \"pollingInterval\": \"10s\", \"activationThreshold\": 2 }", trace: "time\n0\n1\n25\n", folder: folder)
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        XCTAssertEqual(r.totals.completed, 3)
        // Two held at 10 s and 20 s do not wake it; the third, held at 30 s, does.
        XCTAssertEqual(Double(try XCTUnwrap(r.totals.latency.percentile(100))) / 1e9, 30 - 0 + 2 + 0.1, accuracy: 1e-6)
    }

    func testTheDecoderSaysWhereScaleToZeroCannotWork() throws {
        func refusal(_ plan: String) -> String {
            do {
                _ = try scenario("""
                { "name": "k", "seed": 1, "duration": "1m",
                  "hardware": { "cpu": { "vcpus": 4, "memoryGiB": 16, "pricePerHour": 0.2 } },
                  "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "100ms" } },
                  "workload": [ { "kind": "poisson", "target": "m", "rate": 1 } ],
                  "plans": { "p": \(plan) } }
                """)
                return ""
            } catch { return "\(error)" }
        }
        XCTAssertTrue(refusal(#"{ "policy": "elastic", "metric": "concurrency", "target": 1, "nodes": { "cpu": { "min": 1, "max": 1 } }, "instances": { "m": { "min": 0, "max": 2 } } }"#)
            .contains("only KEDA scales to zero"))
        XCTAssertTrue(refusal(#"{ "policy": "elastic", "target": 0.6, "nodes": { "cpu": { "min": 1, "max": 1 } }, "instances": { "m": { "min": 0, "max": 2 } }, "keda": {} }"#)
            .contains("KEDA cannot scale to zero on CPU utilisation"))
        XCTAssertTrue(refusal(#"{ "policy": "elastic", "metric": "concurrency", "target": 1, "nodes": { "cpu": { "min": 1, "max": 1 } }, "keda": {} }"#)
            .contains("no model of this plan has instances.min 0"))
    }
}
