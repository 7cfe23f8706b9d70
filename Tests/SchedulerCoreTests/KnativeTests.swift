import XCTest
@testable import SchedulerCore

/// The Knative Pod Autoscaler's decider on a hand-computed burst (autoscalers.md §3.2).
final class KnativeTests: XCTestCase {
    /// Target 7 per pod (concurrency 10 × 70 %), 2 pods ready, concurrency 7 until second 100,
    /// 35 during seconds 101…110, then 7 again. Decisions every 2 s.
    ///
    /// Panic window 6 s: at second 100 + k of the burst its average is (35k + 7(6 − k)) / 6.
    /// Panic needs ceil(panic / 7) / 2 ≥ 2, i.e. panic > 21, i.e. k ≥ 4: entered at the tick of
    /// second 104 (k = 2 at 102 gives 16.3 → 3 pods, ratio 1.5). The last tick over the
    /// threshold is 112 (window 107…112: 25.7); panic ends at the first tick after 112 + 60,
    /// i.e. 174. While panicking the count never drops: 4 at 104, 5 from 106 (panic average
    /// 35 → 5 pods) to 172; at 174 the stable average is 7 again → 1 pod.
    func testPanicEnteredAndLeftAtTheRightTicks() {
        var decider = KPADecider(parameters: KPADecider.Parameters())
        var transitions: [(Int, Bool)] = []
        var desired: [Int: Int] = [:]
        var wasPanicking = false
        for second in 1...200 {
            decider.record((101...110).contains(second) ? 35 : 7, second: second)
            guard second % 2 == 0 else { continue }
            desired[second] = decider.decide(now: second, ready: 2, target: 7)
            if decider.panicking != wasPanicking {
                transitions.append((second, decider.panicking))
                wasPanicking = decider.panicking
            }
        }
        XCTAssertEqual(transitions.map(\.0), [104, 174])
        XCTAssertEqual(transitions.map(\.1), [true, false])
        XCTAssertEqual(desired[100], 1, "steady: ceil(7 / 7) = 1")
        XCTAssertEqual(desired[102], 2, "stable window (58 × 7 + 2 × 35) / 60 = 7.9 → 2, not yet panicking")
        XCTAssertEqual(desired[104], 4)
        XCTAssertEqual((106...172).filter { $0 % 2 == 0 }.map { desired[$0]! }, [Int](repeating: 5, count: 34),
                       "panic holds the highest count")
        XCTAssertEqual(desired[174], 1)
    }

    func testWindowsAndLimits() {
        var p = KPADecider.Parameters()
        XCTAssertEqual(p.panicWindow, 6)
        p.stableWindow = 6
        XCTAssertEqual(p.panicWindow, 1, "at least one second")
        // Scale-down is limited to halving per decision (max-scale-down-rate 2).
        var decider = KPADecider(parameters: KPADecider.Parameters())
        decider.record(0, second: 1)
        XCTAssertEqual(decider.decide(now: 2, ready: 10, target: 7), 5)
        // No data yet: no decision.
        var empty = KPADecider(parameters: KPADecider.Parameters())
        XCTAssertNil(empty.decide(now: 2, ready: 1, target: 1))
    }
}
