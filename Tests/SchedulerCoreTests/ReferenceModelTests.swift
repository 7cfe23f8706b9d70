import XCTest
@testable import SchedulerCore

/// Many seeds of random arrivals, completions and timeouts on a fixed pool, against a
/// trivially correct reference: c servers, one FIFO queue with a limit.
final class ReferenceModelTests: XCTestCase {
    struct Reference {
        let servers: Int
        let limit: Int
        var busy: Set<Int> = []
        var queue: [Int] = []
    }

    func testTraditionalPoolMatchesReference() {
        for seed in 1...100 {
            var state = UInt64(seed) &* 0x2545_F491_4F6C_DD1D | 1
            func next(_ n: Int) -> Int {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                return Int(state % UInt64(n))
            }
            let servers = 1 + next(4), limit = next(4)
            let cfg = ClusterConfiguration(
                nodeTypes: [NodeTypeSpec(capacity: Resources(milliCPU: 100_000, memoryMiB: 100_000, gpus: 0))],
                models: [ModelSpec(requires: Resources(milliCPU: 1000, memoryMiB: 1000, gpus: 0), allowedNodeTypes: [NodeTypeID(0)],
                                   concurrency: 1, queueLimit: limit)],
                targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: true)
            var core = Scheduler(configuration: cfg, policy: TraditionalPolicy(nodes: [1], instances: [servers], packable: [true]))
            var ref = Reference(servers: servers, limit: limit)
            var actions: [SchedulerAction] = []
            core.handle(.start, at: .zero, into: &actions)
            actions.removeAll()
            var live: Set<Int> = []           // requests the host considers not ended
            var nextID = 0
            var completed = 0, rejected = 0, timedOut = 0, arrived = 0
            for step in 1...400 {
                let now = TimePoint(nanoseconds: Int64(step))
                let choice = next(10)
                if choice < 5 {
                    let r = nextID; nextID += 1; arrived += 1
                    live.insert(r)
                    core.handle(.requestArrived(RequestID(r), target: TargetID(0)), at: now, into: &actions)
                    if ref.busy.count < servers { ref.busy.insert(r) }
                    else if ref.queue.count < limit { ref.queue.append(r) }
                    else { live.remove(r); rejected += 1 }
                } else if choice < 8, let r = ref.busy.sorted().first.map({ _ in ref.busy.sorted()[next(ref.busy.count)] }) {
                    core.handle(.requestFinished(RequestID(r)), at: now, into: &actions)
                    ref.busy.remove(r)
                    if live.remove(r) != nil { completed += 1 }
                    if !ref.queue.isEmpty { ref.busy.insert(ref.queue.removeFirst()) }
                } else if !live.isEmpty {
                    let r = live.sorted()[next(live.count)]
                    live.remove(r); timedOut += 1
                    core.handle(.requestTimedOut(RequestID(r)), at: now, into: &actions)
                    if let k = ref.queue.firstIndex(of: r) { ref.queue.remove(at: k) }
                }
                // Every dispatch the core made is one the reference made, in FIFO order.
                for action in actions {
                    switch action {
                    case let .dispatch(r, _, _): XCTAssertTrue(ref.busy.contains(r.index), "seed \(seed): dispatched \(r.index) out of turn")
                    case let .reject(r, reason): XCTAssertEqual(reason, .queueFull); XCTAssertFalse(live.contains(r.index))
                    case let .complete(r): XCTAssertTrue(ref.busy.contains(r.index) == false)
                    default: break
                    }
                }
                actions.removeAll()
                XCTAssertEqual(core.cluster.models[0].busySlots, ref.busy.count, "seed \(seed) step \(step)")
                XCTAssertEqual(core.cluster.models[0].queued, ref.queue.filter { live.contains($0) }.count, "seed \(seed) step \(step)")
            }
            XCTAssertEqual(arrived, completed + rejected + timedOut + live.count, "conservation, seed \(seed)")
        }
    }
}
