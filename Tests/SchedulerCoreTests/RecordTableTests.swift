import XCTest
@testable import SchedulerCore

/// `RecordTable` against an array (the trivially correct reference), and the value semantics
/// of a core whose tables are written without a check per write.
final class RecordTableTests: XCTestCase {
    /// Random appends (one or many, through growth), writes in place and copies: after every
    /// step the table reads as its array, and every copy taken earlier still reads as the array
    /// it was taken with.
    func testTableReadsAsAnArrayThroughWritesGrowthAndCopies() {
        for seed in 1...60 {
            var rng = SplitMix(x: UInt64(seed))
            var table = RecordTable<RequestRecord>()
            var reference: [RequestRecord] = []
            var copies: [(RecordTable<RequestRecord>, [RequestRecord])] = []
            for step in 0..<200 {
                switch rng.below(8) {
                case 0:
                    let record = RequestRecord(state: .queued, stage: 0, target: Int32(step), instance: -1,
                                               arrival: .zero, quotaCaller: 0, model: Int32(seed))
                    table.append(record)
                    reference.append(record)
                case 1:
                    let times = rng.below(12)
                    table.append(RequestRecord(), times: times)
                    reference.append(contentsOf: repeatElement(RequestRecord(), count: times))
                case 2:
                    copies.append((table, reference))
                    if copies.count > 4 { copies.removeFirst() }
                default:
                    guard !reference.isEmpty else { continue }
                    let i = rng.below(reference.count)
                    table.makeUnique()
                    table[slot: i].instance = Int32(step)
                    table[slot: i].state = .inService
                    reference[i].instance = Int32(step)
                    reference[i].state = .inService
                }
                XCTAssertEqual(table.count, reference.count)
                XCTAssertTrue(table.elementsEqual(reference, by: Self.same), "seed \(seed), step \(step)")
                for (k, copy) in copies.enumerated() {
                    XCTAssertTrue(copy.0.elementsEqual(copy.1, by: Self.same), "seed \(seed), step \(step): copy \(k) changed")
                }
            }
        }
    }

    /// Records holding references (the model table's queues hold arrays): copies share them
    /// until written, a write to one copy leaves the other alone, and every record is released
    /// with the last table that holds it.
    func testRecordsWithReferencesAreCopiedAndReleased() {
        final class Token {}
        struct Record { var token: Token; var queue: [Int] }
        weak var firstToken: Token?
        do {
            var table = RecordTable<Record>()
            for k in 0..<40 {
                let token = Token()
                if k == 0 { firstToken = token }
                table.append(Record(token: token, queue: [k]))   // grows past 16 twice
            }
            var copy = table
            copy.makeUnique()
            copy[slot: 3].queue.append(99)
            copy[slot: 0].token = Token()
            XCTAssertEqual(table[3].queue, [3])
            XCTAssertEqual(copy[3].queue, [3, 99])
            XCTAssertTrue(table[0].token === firstToken)
            XCTAssertNotNil(firstToken, "the original still holds it")
            table = RecordTable()
            XCTAssertNil(firstToken, "released with the last table holding it")
            XCTAssertEqual(copy.count, 40)
        }
    }

    static func same(_ a: RequestRecord, _ b: RequestRecord) -> Bool {
        a.state == b.state && a.stage == b.stage && a.target == b.target && a.instance == b.instance
            && a.arrival == b.arrival && a.quotaCaller == b.quotaCaller && a.model == b.model
    }

    private func core() -> Scheduler<TraditionalPolicy> {
        let small = Resources(milliCPU: 1000, memoryMiB: 1024, gpus: 0)
        let config = ClusterConfiguration(
            nodeTypes: [NodeTypeSpec(capacity: Resources(milliCPU: 8000, memoryMiB: 32768, gpus: 0))],
            models: [ModelSpec(requires: small, allowedNodeTypes: [NodeTypeID(0)], concurrency: 2, queueLimit: 50)],
            targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: true)
        var core = Scheduler(configuration: config, policy: TraditionalPolicy(nodes: [1], instances: [3], packable: [true]))
        var actions: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &actions)
        return core
    }

    private func t(_ k: Int) -> TimePoint { TimePoint(nanoseconds: Int64(k) * 1_000_000) }

    /// `count` requests arrive, from request `first` on (the first six are served, the rest queued).
    private func drive(_ core: inout Scheduler<TraditionalPolicy>, from first: Int, count: Int) -> [SchedulerAction] {
        var actions: [SchedulerAction] = []
        for r in first..<(first + count) {
            core.requestArrived(RequestID(r), target: TargetID(0), at: t(r), into: &actions)
        }
        return actions
    }

    /// A view of the core's tables (`cluster.instances`, `cluster.models`) is a value: it keeps
    /// what it showed while the core goes on. Once no view is left, the core writes its tables
    /// in place again (no copy per input).
    func testAViewOfTheTablesKeepsItsValuesWhileTheCoreGoesOn() {
        var core = core()
        _ = drive(&core, from: 0, count: 12)
        do {
            let instances = core.cluster.instances, models = core.cluster.models
            let inFlightThen = instances.map(\.inFlight), queuedThen = models.map(\.queued)
            XCTAssertEqual(queuedThen, [6])
            var actions: [SchedulerAction] = []
            for r in 0..<4 { core.requestFinished(RequestID(r), at: t(20 + r), into: &actions) }
            _ = drive(&core, from: 12, count: 6)
            XCTAssertEqual(instances.map(\.inFlight), inFlightThen)
            XCTAssertEqual(models.map(\.queued), queuedThen)
            XCTAssertEqual(core.cluster.models.map(\.queued), [8])
        }
        let storage = core.cluster.instanceTable.base
        var actions: [SchedulerAction] = []
        for r in 4..<8 { core.requestFinished(RequestID(r), at: t(40 + r), into: &actions) }
        XCTAssertEqual(core.cluster.instanceTable.base, storage, "the tables were copied with no view or copy alive")
        XCTAssertEqual(core.cluster.models.map(\.queued), [4])
    }

    /// A copy of a running core is a core of its own: driving the original on does not change
    /// the copy, and the copy then answers exactly as a core that was never copied.
    func testACopiedSchedulerIsIndependentOfItsOriginal() {
        // Twelve requests arrive (six served, six queued), then the first four finish.
        var original = core()
        _ = drive(&original, from: 0, count: 12)
        var copy = original
        let instancesThen = Array(copy.cluster.instances).map { ($0.inFlight, $0.state) }
        let requestsThen = Array(copy.cluster.requests).map { ($0.state, $0.instance) }

        // The original finishes requests and takes new ones.
        var actions: [SchedulerAction] = []
        for r in 0..<4 { original.requestFinished(RequestID(r), at: t(20 + r), into: &actions) }
        _ = drive(&original, from: 12, count: 6)
        XCTAssertTrue(Array(copy.cluster.instances).map { ($0.inFlight, $0.state) }.elementsEqual(instancesThen, by: ==))
        XCTAssertTrue(Array(copy.cluster.requests).map { ($0.state, $0.instance) }.elementsEqual(requestsThen, by: ==))
        XCTAssertNotEqual(Array(original.cluster.requests).map(\.state), Array(copy.cluster.requests).map(\.state))

        // The copy, driven on differently, answers as a core that was never copied.
        var never = core()
        _ = drive(&never, from: 0, count: 12)
        var fromCopy: [SchedulerAction] = [], fromNever: [SchedulerAction] = []
        for r in [5, 0, 2] {
            copy.requestFinished(RequestID(r), at: t(30 + r), into: &fromCopy)
            never.requestFinished(RequestID(r), at: t(30 + r), into: &fromNever)
        }
        copy.handle(.requestTimedOut(RequestID(11)), at: t(40), into: &fromCopy)
        never.handle(.requestTimedOut(RequestID(11)), at: t(40), into: &fromNever)
        XCTAssertEqual(fromCopy, fromNever)
        XCTAssertEqual(fromCopy.count, 6, "three completions and the three queued requests they let in")
        XCTAssertTrue(Array(copy.cluster.instances).map { ($0.inFlight, $0.state) }
            .elementsEqual(Array(never.cluster.instances).map { ($0.inFlight, $0.state) }, by: ==))
    }
}
