import XCTest
@testable import SchedulerCore

/// The hybrid histogram's windows (autoscalers.md §5.1) on hand-made idle-time series.
final class HybridHistogramTests: XCTestCase {
    let minute: Int64 = 60_000_000_000

    func testPeriodicIdleTimesGivePreWarmAndKeepAlive() {
        var h = HybridHistogram()
        // Idle times of 14 min 20 s, 14 min 40 s and 15 min: bins 14 and 15.
        for k in 0..<20 { h.record(idle: TimeSpan(nanoseconds: 14 * minute + 20_000_000_000 + Int64(k % 3) * 20_000_000_000)) }
        XCTAssertEqual(h.samples, 20)
        let (preWarm, keepAlive) = h.windows()
        // Head (5th percentile) bin 14 → pre-warm 14 min × 0.9 = 12.6 min; tail (99th) bin 15 →
        // loaded until (15 + 1) min × 1.1 = 17.6 min after the execution: 5 min after the pre-warm.
        XCTAssertEqual(preWarm.nanoseconds, 756 * 1_000_000_000)
        XCTAssertEqual(preWarm.nanoseconds + keepAlive.nanoseconds, 1056 * 1_000_000_000)
    }

    func testUnrepresentativeHistogramFallsBackToTheStandardWindow() {
        var few = HybridHistogram()
        for _ in 0..<9 { few.record(idle: TimeSpan(nanoseconds: 5 * minute)) }
        XCTAssertEqual(few.windows().preWarm, .zero, "fewer than 10 samples")
        XCTAssertEqual(few.windows().keepAlive.nanoseconds, 240 * minute, "keep alive for the 4 h range")
        // Idle times spread evenly over the range: bin-count CV below 2.
        var flat = HybridHistogram()
        for b in 0..<240 { flat.record(idle: TimeSpan(nanoseconds: Int64(b) * minute + 1)) }
        XCTAssertEqual(flat.windows().preWarm, .zero)
        // Mostly beyond 4 h (the unmodelled ARIMA case): the standard window too.
        var long = HybridHistogram()
        for _ in 0..<12 { long.record(idle: TimeSpan(nanoseconds: 300 * minute)) }
        for _ in 0..<10 { long.record(idle: TimeSpan(nanoseconds: 3 * minute)) }
        XCTAssertEqual(long.outOfBounds, 12)
        XCTAssertEqual(long.windows().keepAlive.nanoseconds, 240 * minute)
    }

    /// A frequent app (idle < 1 min) keeps its instance loaded without unloading.
    func testFrequentAppIsNeverUnloaded() {
        var h = HybridHistogram()
        for _ in 0..<50 { h.record(idle: TimeSpan(nanoseconds: 20_000_000_000)) }
        XCTAssertEqual(h.windows().preWarm, .zero, "head bin 0 → no pre-warm")
        XCTAssertEqual(h.windows().keepAlive.nanoseconds, 66_000_000_000, "(0 + 1) min × 1.1")
    }
}
