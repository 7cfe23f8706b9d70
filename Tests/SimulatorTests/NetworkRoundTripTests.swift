import Foundation
import XCTest
@testable import Simulator

/// `network.roundTrip` is time outside the platform: every request's latency (and its SLO
/// verdict, and `requests.csv`'s end) grows by exactly it, while queues, waits, capacity and
/// cost stay as they were.
final class NetworkRoundTripTests: XCTestCase {
    func testTheRoundTripIsAddedToEveryLatencyAndToNothingElse() throws {
        let base = queueScenario(servers: 2, rate: 15, service: "{\"dist\": \"exponential\", \"mean\": \"100ms\"}", queueLimit: 50, duration: 120, seed: 11)
        let with = base.replacingOccurrences(of: "\"slo\": { \"timeout\": \"100d\" }",
                                             with: "\"network\": { \"roundTrip\": \"3ms\" }, \"slo\": { \"timeout\": \"100d\", \"latency\": \"150ms\" }")
        let without = base.replacingOccurrences(of: "\"slo\": { \"timeout\": \"100d\" }", with: "\"slo\": { \"timeout\": \"100d\", \"latency\": \"150ms\" }")
        XCTAssertNotEqual(with, base)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-rtt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/a", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/b", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = RunOptions()
        options.requestLogDirectory = dir + "/a"
        let a = try Runner.run(try scenario(without), options: options).plans[0]
        options.requestLogDirectory = dir + "/b"
        let b = try Runner.run(try scenario(with), options: options).plans[0]

        XCTAssertGreaterThan(a.totals.completed, 1000)
        XCTAssertEqual(a.totals.completed, b.totals.completed)
        XCTAssertEqual(a.totals.waitNanoseconds, b.totals.waitNanoseconds, "queueing does not see the network")
        XCTAssertEqual(a.instanceSeconds, b.instanceSeconds)
        for q in [50.0, 95, 99] {
            let x = try XCTUnwrap(a.totals.latency.percentile(q)), y = try XCTUnwrap(b.totals.latency.percentile(q))
            // The histogram's buckets are relative: 3 ms moves a percentile by 3 ms within them.
            XCTAssertEqual(Double(y - x) / 1e6, 3, accuracy: Double(x) / 1e6 * 0.01 + 0.01, "p\(q)")
        }
        XCTAssertLessThan(b.totals.withinSLO, a.totals.withinSLO, "the client's latency is what the SLO judges")

        // requests.csv: the same rows, each ending 3 ms later.
        func ends(_ folder: String) throws -> [Double] {
            let text = try String(contentsOfFile: folder + "/requests.0.part", encoding: .utf8)
            return text.split(separator: "\n").map { Double($0.split(separator: ",", omittingEmptySubsequences: false)[8])! }
        }
        let ea = try ends(dir + "/a"), eb = try ends(dir + "/b")
        XCTAssertEqual(ea.count, eb.count)
        for (x, y) in zip(ea, eb) { XCTAssertEqual(y - x, 0.003, accuracy: 2e-6) }
    }
}
