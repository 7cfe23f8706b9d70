import XCTest
@testable import Runtime

/// The runtime's FIFO against an array, over random appends, removals and compactions.
final class DequeTests: XCTestCase {
    func testMatchesAnArrayUnderRandomOperations() {
        for seed in 0..<40 {
            var rng = SplitMix(seed: UInt64(seed))
            var deque = Deque<Int>()
            var reference: [Int] = []
            var next = 0
            for _ in 0..<2_000 {
                switch rng.next() % 10 {
                case 0..<5:
                    deque.append(next)
                    reference.append(next)
                    next += 1
                case 5..<8:
                    if !reference.isEmpty { XCTAssertEqual(deque.removeFirst(), reference.removeFirst()) }
                default:
                    let modulus = Int(rng.next() % 4) + 2
                    deque.keep { $0 % modulus != 0 }
                    reference.removeAll { $0 % modulus == 0 }
                }
                XCTAssertEqual(deque.count, reference.count)
                XCTAssertEqual(deque.first, reference.first)
            }
            var drained: [Int] = []
            while deque.count > 0 { drained.append(deque.removeFirst()) }
            XCTAssertEqual(drained, reference, "seed \(seed)")
        }
    }
}
