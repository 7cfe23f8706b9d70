import XCTest
@testable import SchedulerCore

/// The placement index against a trivially correct reference (a scan of every node), over
/// many seeds of random cluster histories: nodes of several types started warm or booting,
/// made ready, cordoned, given up while booting, stopped; instances of several sizes started and
/// stopped. After every step, for every model, both must choose the same node.
final class PlacementIndexTests: XCTestCase {
    func testIndexChoosesWhatAFullScanChooses() {
        let types = [Resources(milliCPU: 4000, memoryMiB: 16384, gpus: 0), Resources(milliCPU: 8000, memoryMiB: 32768, gpus: 1),
                     Resources(milliCPU: 2000, memoryMiB: 4096, gpus: 0)]
        let sizes = [Resources(milliCPU: 1000, memoryMiB: 2048, gpus: 0), Resources(milliCPU: 500, memoryMiB: 1024, gpus: 0),
                     Resources(milliCPU: 2000, memoryMiB: 8192, gpus: 1), Resources(milliCPU: 1500, memoryMiB: 1024, gpus: 0)]
        let config = ClusterConfiguration(
            nodeTypes: types.map { NodeTypeSpec(capacity: $0) },
            models: sizes.enumerated().map { k, r in
                ModelSpec(requires: r, allowedNodeTypes: k == 2 ? [NodeTypeID(1)] : [NodeTypeID(0), NodeTypeID(1), NodeTypeID(2)], concurrency: 1, queueLimit: 10)
            },
            targets: sizes.indices.map { TargetSpec(stages: [ModelID($0)]) }, usesNodes: true)
        var decisions = 0
        for seed in 1...60 {
            var rng = SplitMix(x: UInt64(seed))
            var c = Cluster(configuration: config)
            var actions: [SchedulerAction] = []
            let now = TimePoint.zero
            for _ in 0..<400 {
                switch rng.below(10) {
                case 0, 1:
                    c.startNode(NodeTypeID(rng.below(types.count)), warm: rng.below(2) == 0, now: now, into: &actions)
                case 2:
                    let booting = c.nodes.indices.filter { c.nodes[$0].state == .booting }
                    if let n = booting.randomElement(using: &rng) { c.markNodeReady(NodeID(n), now: now, into: &actions) }
                case 3:
                    let live = c.nodes.indices.filter { c.nodes[$0].state != .free }
                    if let n = live.randomElement(using: &rng) {
                        if rng.below(2) == 0 { c.cordon(NodeID(n)) } else if c.nodes[n].instances == 0 && c.nodes[n].heldBy < 0 { c.stopNode(NodeID(n), into: &actions) }
                    }
                case 4:
                    // A booting node given up: its instances wait for a node again.
                    let booting = c.nodes.indices.filter { c.nodes[$0].state == .booting }
                    if let n = booting.randomElement(using: &rng) { c.abandonNode(NodeID(n), now: now, into: &actions) }
                case 5, 6, 7:
                    c.startInstance(ModelID(rng.below(sizes.count)), warm: false, now: now, into: &actions)
                default:
                    let live = c.instances.indices.filter { c.instances[$0].state != .free && c.instances[$0].state != .draining }
                    if let i = live.randomElement(using: &rng) { c.stopInstance(InstanceID(i), now: now, into: &actions) }
                }
                for m in sizes.indices {
                    XCTAssertEqual(c.bestNode(for: m), c.bestNodeByScan(for: m), "seed \(seed), model \(m)")
                    decisions += 1
                }
                actions.removeAll(keepingCapacity: true)
            }
        }
        XCTAssertEqual(decisions, 60 * 400 * 4)
    }
}

