import XCTest
@testable import Simulator
import Scenario

/// The `counts` workload: exactly the counted arrivals in each interval, evenly spaced or at
/// uniform random times, and the run budget's estimate of them.
final class CountsWorkloadTests: XCTestCase {
    func source(_ counts: [Int], interval: String = "10s", spread: String, start: String = "0s", duration: String = "1h") throws -> Scenario {
        try scenario("""
        { "name": "counts", "seed": 3, "duration": "\(duration)",
          "hardware": { "cpu": { "vcpus": 4, "memoryGiB": 8, "pricePerHour": 0.2 } },
          "models": { "m": { "requires": { "vcpus": 1 }, "runsOn": ["cpu"], "service": "10ms" } },
          "workload": [ { "kind": "counts", "target": "m", "interval": "\(interval)", "counts": \(counts), "spread": "\(spread)", "start": "\(start)" } ],
          "slo": { "latency": "1s", "percentile": 99 },
          "plans": { "p": { "policy": "traditional", "nodes": { "cpu": 1 } } } }
        """)
    }

    func times(_ s: Scenario) throws -> [Double] {
        let stream = try ArrivalStream(scenario: s)
        var out: [Double] = []
        while let a = try stream.next() { out.append(Double(a.time) / 1e9) }
        return out
    }

    func testEvenSpreadPlacesEachIntervalsArrivalsAtTheCentresOfEqualParts() throws {
        let t = try times(try source([2, 0, 4, 1], spread: "uniform", start: "5s"))
        XCTAssertEqual(t, [7.5, 12.5, 26.25, 28.75, 31.25, 33.75, 40], "(i + ½) / k of each 10 s interval, from the start at 5 s")
    }

    func testRandomSpreadKeepsEachIntervalsCountAndIsUniformWithinIt() throws {
        let counts = (0..<200).map { $0 % 7 == 0 ? 0 : 50 + $0 % 13 }
        let t = try times(try source(counts, interval: "1s", spread: "random"))
        XCTAssertEqual(t.count, counts.reduce(0, +))
        XCTAssertEqual(t, t.sorted())
        for (j, k) in counts.enumerated() {
            XCTAssertEqual(t.filter { $0 >= Double(j) && $0 < Double(j + 1) }.count, k, "interval \(j)")
        }
        // Positions within the interval: uniform on [0, 1) (Kolmogorov–Smirnov, α = 0.001).
        let u = t.map { $0 - $0.rounded(.down) }.sorted()
        let n = Double(u.count)
        let d = u.enumerated().map { i, x in Swift.max(abs(Double(i + 1) / n - x), abs(x - Double(i) / n)) }.max()!
        XCTAssertLessThan(d, 1.95 / n.squareRoot(), "KS distance \(d) over \(u.count) positions")
        // Same seed, same arrivals.
        XCTAssertEqual(try times(try source(counts, interval: "1s", spread: "random")), t)
    }

    func testTheRunStopsAtTheScenariosEndAndTheBudgetCountsWhatFits() throws {
        let s = try source([10, 10, 10, 10], interval: "1m", spread: "uniform", duration: "150s")
        XCTAssertEqual(try times(s).count, 25, "two whole minutes and half of the third")
        XCTAssertEqual(WorkEstimate.of(s, plans: 1, interval: 60).requestsPerPlan, 25, accuracy: 1e-9)
    }
}
