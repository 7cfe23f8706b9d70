import XCTest
@testable import SchedulerCore

final class RingQueueTests: XCTestCase {
    /// Many seeds of random appends and pops against an Array used as the reference.
    func testMatchesArrayReference() {
        for seed in 1...200 {
            var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15
            func next() -> UInt64 {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                return state
            }
            var queue = RingQueue(capacity: 4)
            var reference: [Int32] = []
            var counter: Int32 = 0
            for _ in 0..<500 {
                if next() % 3 != 0 {
                    queue.append(counter)
                    reference.append(counter)
                    counter += 1
                } else {
                    XCTAssertEqual(queue.popFirst(), reference.isEmpty ? nil : reference.removeFirst())
                }
                XCTAssertEqual(queue.count, reference.count)
                XCTAssertEqual(queue.first, reference.first)
            }
            queue.removeAll()
            XCTAssertTrue(queue.isEmpty)
            XCTAssertNil(queue.popFirst())
        }
    }
}
