import XCTest
@testable import SchedulerCore

/// Spot nodes reclaimed with notice: what the core moves at the notice, and what it cuts off,
/// retries or fails at the interruption.
final class InterruptionTests: XCTestCase {
    let t = { (s: Int64) in TimePoint(nanoseconds: s * 1_000_000_000) }

    func configuration(retry: Bool, concurrency: Int = 2, jobs: [JobSpec] = []) -> ClusterConfiguration {
        var node = NodeTypeSpec(capacity: Resources(milliCPU: 4000, memoryMiB: 16384, gpus: 1))
        node.retriesInterrupted = retry
        let model = ModelSpec(requires: Resources(milliCPU: 3000, memoryMiB: 12288, gpus: 1), allowedNodeTypes: [NodeTypeID(0)],
                              concurrency: concurrency, queueLimit: 100)
        var c = ClusterConfiguration(nodeTypes: [node], models: [model], targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: true)
        c.jobs = jobs
        return c
    }

    /// Reserved plan, two nodes, one instance each: at the notice the warned node is cordoned,
    /// a replacement node is launched and a replacement instance waits for it; the old
    /// instance drains its two requests. One finishes within the notice; at the interruption
    /// the other is cut off and retried — it queues (the surviving instance is full) and is
    /// served when a slot frees, so no request is lost.
    func testNoticeReplacesAndInterruptionRetriesWhatIsStillServed() {
        var core = Scheduler(configuration: configuration(retry: true), policy: TraditionalPolicy(nodes: [2], instances: [nil], packable: [true]))
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        // Four requests fill both instances (most recently used first: instance 1, then 0).
        for r in 0..<4 { core.handle(.requestArrived(RequestID(r), target: TargetID(0)), at: t(1), into: &a) }
        let onNode0 = (0..<4).filter { core.cluster.instances[Int(core.cluster.requests[$0].instance)].node == 0 }
        XCTAssertEqual(onNode0.count, 2)
        a.removeAll()
        core.handle(.nodeInterruptionNotice(NodeID(0)), at: t(10), into: &a)
        XCTAssertTrue(core.cluster.nodes[0].cordoned)
        XCTAssertTrue(a.contains(.startNode(NodeID(2), type: NodeTypeID(0), warm: false)), "the replacement node: \(a)")
        XCTAssertEqual(core.cluster.models[0].replicas, 2, "the replica count is kept")
        XCTAssertEqual(core.cluster.models[0].draining, 1)
        let replacement = core.cluster.instances.indices.first { core.cluster.instances[$0].state == .waitingForNode }!
        XCTAssertEqual(core.cluster.instances[replacement].node, 2, "placed on the booting replacement node")
        // One of the two requests on the warned node finishes within the notice.
        core.handle(.requestFinished(RequestID(onNode0[0])), at: t(60), into: &a)
        a.removeAll()
        core.handle(.nodeInterrupted(NodeID(0)), at: t(130), into: &a)
        let cut = RequestID(onNode0[1])
        XCTAssertEqual(a.first, .interrupt(cut))
        XCTAssertTrue(a.contains(.stopNode(NodeID(0))))
        XCTAssertEqual(core.cluster.nodes[0].state, .free)
        XCTAssertEqual(core.cluster.requests[cut.index].state, .queued, "retried: it waits for a slot")
        XCTAssertFalse(a.contains { if case .reject = $0 { return true } else { return false } })
        // A slot frees on the surviving node: the retried request is served there.
        let survivor = (0..<4).first { !onNode0.contains($0) }!
        let survivorInstance = InstanceID(Int(core.cluster.requests[survivor].instance))
        a.removeAll()
        core.handle(.requestFinished(RequestID(survivor)), at: t(131), into: &a)
        XCTAssertEqual(a.first, .dispatch(cut, instance: survivorInstance, cold: false))
        // The replacement node boots and its instance starts cold.
        a.removeAll()
        core.handle(.nodeReady(NodeID(2)), at: t(150), into: &a)
        XCTAssertTrue(a.contains(.startInstance(InstanceID(replacement), model: ModelID(0), node: NodeID(2), warm: false)))
        XCTAssertEqual(core.cluster.liveNodes[0], 2)
    }

    /// With `interrupted: fail`, a request cut off is rejected as `interrupted`; one that had
    /// already timed out is only released.
    func testInterruptedRequestsFailWhenTheTypeSaysSo() {
        var core = Scheduler(configuration: configuration(retry: false), policy: TraditionalPolicy(nodes: [1], instances: [1], packable: [true]))
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(1), into: &a)
        core.handle(.requestArrived(RequestID(1), target: TargetID(0)), at: t(1), into: &a)
        core.handle(.nodeInterruptionNotice(NodeID(0)), at: t(2), into: &a)
        core.handle(.requestTimedOut(RequestID(1)), at: t(3), into: &a)
        a.removeAll()
        core.handle(.nodeInterrupted(NodeID(0)), at: t(122), into: &a)
        XCTAssertEqual(Array(a.prefix(3)), [.interrupt(RequestID(0)), .interrupt(RequestID(1)), .release(RequestID(1))])
        XCTAssertTrue(a.contains(.reject(RequestID(0), reason: .interrupted)))
        XCTAssertEqual(core.cluster.requests[0].state, .free)
        XCTAssertEqual(core.cluster.models[0].busySlots, 0)
        XCTAssertEqual(core.cluster.models[0].replicas, 1, "the replacement, waiting for the new node")
    }

    /// A notice for a node already released, or a second interruption, changes nothing.
    func testInterruptionOfAFreeNodeIsIgnored() {
        var core = Scheduler(configuration: configuration(retry: true), policy: TraditionalPolicy(nodes: [1], instances: [1], packable: [true]))
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        core.handle(.nodeInterruptionNotice(NodeID(0)), at: t(1), into: &a)
        core.handle(.nodeInterrupted(NodeID(0)), at: t(121), into: &a)
        a.removeAll()
        core.handle(.nodeInterrupted(NodeID(0)), at: t(122), into: &a)
        core.handle(.nodeInterruptionNotice(NodeID(0)), at: t(123), into: &a)
        XCTAssertEqual(a, [])
    }

    /// A running training job on a reclaimed node stops and waits for a node again, keeping
    /// its other node; it restarts once the reserved pool's replacement is ready.
    func testTrainingJobOnAReclaimedNodeRestartsOnTheReplacement() {
        let job = JobSpec(nodeType: NodeTypeID(0), nodes: 2, priority: 1)
        var core = Scheduler(configuration: configuration(retry: true, jobs: [job]),
                             policy: TraditionalPolicy(nodes: [2], instances: [0], packable: [false]))
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        core.handle(.jobSubmitted(JobID(0)), at: t(1), into: &a)
        XCTAssertEqual(core.cluster.jobs[0].state, .running)
        core.handle(.nodeInterruptionNotice(NodeID(1)), at: t(100), into: &a)
        XCTAssertEqual(core.cluster.jobs[0].state, .running, "a job runs on through the notice")
        a.removeAll()
        core.handle(.nodeInterrupted(NodeID(1)), at: t(220), into: &a)
        XCTAssertEqual(a.first, .stopJob(JobID(0)))
        XCTAssertEqual(core.cluster.jobs[0].state, .waiting)
        XCTAssertEqual(core.cluster.jobs[0].preemptions, 1)
        XCTAssertEqual(Set(core.cluster.jobs[0].nodes), [0, 2], "kept node 0, claimed the booting replacement")
        a.removeAll()
        core.handle(.nodeReady(NodeID(2)), at: t(300), into: &a)
        XCTAssertEqual(a.last, .startJob(JobID(0)))
    }

    /// Elastic plans: the warned node's instances wait for room (the pool is full), the next
    /// node-layer scan adds a node for them, and a pool that fell below its minimum after the
    /// interruption is refilled.
    func testNodeLayerReplacesAWarnedNodeAndKeepsThePoolMinimum() {
        var nodes = NodeAutoscaler.Parameters(minNodes: [1], maxNodes: [3])
        nodes.scanInterval = .seconds(10)
        let parameters = ElasticPolicy.Parameters(target: 0.5, minInstances: [1], maxInstances: [3], nodes: nodes)
        var core = Scheduler(configuration: configuration(retry: true), policy: ElasticPolicy(parameters: parameters))
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        XCTAssertEqual(core.cluster.liveNodes[0], 1)
        a.removeAll()
        core.handle(.nodeInterruptionNotice(NodeID(0)), at: t(5), into: &a)
        XCTAssertEqual(core.cluster.pendingInstances, 1, "the replacement instance waits for a node")
        a.removeAll()
        core.handle(.timerFired(NodeAutoscaler.scanTimer), at: t(10), into: &a)
        XCTAssertTrue(a.contains(.startNode(NodeID(1), type: NodeTypeID(0), warm: false)), "\(a)")
        a.removeAll()
        core.handle(.nodeInterrupted(NodeID(0)), at: t(125), into: &a)
        XCTAssertEqual(core.cluster.liveNodes[0], 1, "the scan's node keeps the minimum: nothing more started")
        XCTAssertFalse(a.contains { if case .startNode = $0 { return true } else { return false } })
    }
}
