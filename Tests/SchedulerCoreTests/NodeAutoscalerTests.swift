import XCTest
@testable import SchedulerCore

/// The cluster-autoscaler node layer: scale-down of under-used nodes by draining them.
final class NodeAutoscalerTests: XCTestCase {
    let t = { (s: Int64) in TimePoint(nanoseconds: s * 1_000_000_000) }

    func testUnderusedNodeIsDrainedAndRemoved() {
        let config = ClusterConfiguration(
            nodeTypes: [NodeTypeSpec(capacity: Resources(milliCPU: 4000, memoryMiB: 8192, gpus: 0))],
            models: [ModelSpec(requires: Resources(milliCPU: 1000, memoryMiB: 1024, gpus: 0), allowedNodeTypes: [NodeTypeID(0)],
                               concurrency: 1, queueLimit: 100)],
            targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: true)
        var cluster = Cluster(configuration: config)
        var ca = NodeAutoscaler(parameters: .init(minNodes: [1], maxNodes: [3]))
        var actions: [SchedulerAction] = []
        for _ in 0..<3 { cluster.startNode(NodeTypeID(0), warm: true, now: .zero, into: &actions) }
        for _ in 0..<12 { cluster.startInstance(ModelID(0), warm: true, now: .zero, into: &actions) }
        XCTAssertEqual(cluster.nodes.map(\.instances), [4, 4, 4])
        // Leave node 0 full, one instance on node 1 and one on node 2 (25 % each).
        let keep: Set<Int> = [0, 1, 2, 3, 4, 8]
        for i in 0..<12 where !keep.contains(i) { cluster.stopInstance(InstanceID(i), now: t(1), into: &actions) }
        XCTAssertEqual(cluster.nodes.map(\.instances), [4, 1, 1])
        actions.removeAll()
        ca.scan(&cluster, now: t(700), into: &actions)          // after delay-after-add: node 1 starts its unneeded time
        XCTAssertFalse(cluster.nodes.contains { $0.cordoned })
        ca.scan(&cluster, now: t(1300), into: &actions)         // 600 s later: drained
        XCTAssertEqual(cluster.nodes.filter(\.cordoned).count, 1, "one node at a time")
        let drained = cluster.nodes.firstIndex { $0.cordoned }!
        XCTAssertEqual(drained, 1)
        XCTAssertEqual(cluster.models[0].replicas, 6, "a replacement for the drained instance")
        XCTAssertEqual(cluster.nodes[1].instances, 0, "its idle instance stopped at once")
        XCTAssertEqual(cluster.nodes[2].instances, 2, "the replacement went to the best fit among the others")
        ca.scan(&cluster, now: t(1310), into: &actions)
        XCTAssertEqual(cluster.nodes[1].state, .free, "removed once empty")
        XCTAssertTrue(actions.contains(.stopNode(NodeID(1))))
        XCTAssertEqual(ca.drainedNodes, 1)
    }
}
