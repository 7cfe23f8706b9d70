import XCTest
@testable import SchedulerCore

/// Training jobs on the serving pools: who gives up nodes, in which order, and what comes back.
final class TrainingTests: XCTestCase {
    let gpuNode = NodeTypeSpec(capacity: Resources(milliCPU: 4000, memoryMiB: 16384, gpus: 1))
    let model = ModelSpec(requires: Resources(milliCPU: 3000, memoryMiB: 12288, gpus: 1), allowedNodeTypes: [NodeTypeID(0)],
                          concurrency: 1, queueLimit: 100)
    let t = { (s: Int64) in TimePoint(nanoseconds: s * 1_000_000_000) }

    func configuration(jobs: [JobSpec]) -> ClusterConfiguration {
        var c = ClusterConfiguration(nodeTypes: [gpuNode], models: [model], targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: true)
        c.jobs = jobs
        return c
    }

    func jobActions(_ actions: [SchedulerAction]) -> [String] {
        actions.compactMap {
            switch $0 {
            case let .startJob(j): return "start \(j.index)"
            case let .stopJob(j): return "stop \(j.index)"
            default: return nil
            }
        }
    }

    /// A job above serving priority takes the least loaded reserved nodes: idle instances stop
    /// at once, a busy one drains, and the job starts when its last node is empty. When it
    /// ends, the traditional plan restarts the evicted instances, cold.
    func testJobTakesLeastLoadedReservedNodesAndServingComesBack() {
        var core = Scheduler(configuration: configuration(jobs: [JobSpec(nodeType: NodeTypeID(0), nodes: 2, priority: 1)]),
                             policy: TraditionalPolicy(nodes: [3], instances: [nil], packable: [true]))
        var actions: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &actions)
        XCTAssertEqual(core.cluster.models[0].replicas, 3)
        // Two requests in flight: the most recently used instance serves first (instance 2, then 1).
        core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(1), into: &actions)
        core.handle(.requestArrived(RequestID(1), target: TargetID(0)), at: t(1), into: &actions)
        let busy = core.cluster.instances.indices.filter { core.cluster.instances[$0].inFlight > 0 }
        XCTAssertEqual(busy.count, 2)
        actions.removeAll()
        core.handle(.jobSubmitted(JobID(0)), at: t(2), into: &actions)
        // The idle node and one busy node are claimed; nothing starts while a request runs there.
        XCTAssertEqual(jobActions(actions), [])
        let held = core.cluster.nodes.indices.filter { core.cluster.nodes[$0].heldBy == 0 }
        XCTAssertEqual(held.count, 2)
        let idleNode = core.cluster.nodes.indices.first { n in !busy.contains { Int(core.cluster.instances[$0].node) == n } }!
        XCTAssertTrue(held.contains(idleNode), "the node with no request in flight is taken first")
        XCTAssertEqual(core.cluster.models[0].replicas, 1, "two instances stopped or draining")
        // The request on the claimed busy node finishes: its instance stops, the job starts.
        let drainingRequest = busy.first { held.contains(Int(core.cluster.instances[$0].node)) }!
        let request = (0..<2).first { core.cluster.requests[$0].instance == Int32(drainingRequest) }!
        actions.removeAll()
        core.handle(.requestFinished(RequestID(request)), at: t(3), into: &actions)
        XCTAssertEqual(jobActions(actions), ["start 0"])
        XCTAssertTrue(actions.contains(.stopInstance(InstanceID(drainingRequest))))
        // New requests queue on the one instance left; no instance is placed on the held nodes.
        var cluster = core.cluster
        XCTAssertFalse(cluster.hasRoom(for: ModelID(0)))
        // The job ends: both nodes return and the plan restarts its two instances, cold.
        actions.removeAll()
        core.handle(.jobFinished(JobID(0)), at: t(100), into: &actions)
        let restarted = actions.filter { if case let .startInstance(_, _, node, warm) = $0 { return !warm && node != nil } else { return false } }
        XCTAssertEqual(restarted.count, 2)
        XCTAssertEqual(core.cluster.models[0].replicas, 3)
        XCTAssertEqual(core.cluster.nodes.filter { $0.heldBy >= 0 }.count, 0)
    }

    /// At priority 0 a job does not evict serving: on a full reserved pool it waits.
    func testJobAtServingPriorityWaitsForEmptyNodes() {
        var core = Scheduler(configuration: configuration(jobs: [JobSpec(nodeType: NodeTypeID(0), nodes: 1, priority: 0)]),
                             policy: TraditionalPolicy(nodes: [2], instances: [nil], packable: [true]))
        var actions: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &actions)
        actions.removeAll()
        core.handle(.jobSubmitted(JobID(0)), at: t(1), into: &actions)
        XCTAssertEqual(jobActions(actions), [])
        XCTAssertEqual(core.cluster.models[0].replicas, 2, "serving untouched")
        XCTAssertEqual(core.cluster.jobs[0].state, .waiting)
    }

    /// Preemption order: a high-priority job takes the nodes of the lowest-priority running
    /// job first, then of the latest submitted among equals; the victim queues again and
    /// restarts when nodes free up.
    func testPreemptionOrderAndRequeue() {
        let jobs = [JobSpec(nodeType: NodeTypeID(0), nodes: 1, priority: 2),   // 0: mid priority
                    JobSpec(nodeType: NodeTypeID(0), nodes: 1, priority: 1),   // 1: low, submitted first
                    JobSpec(nodeType: NodeTypeID(0), nodes: 1, priority: 1),   // 2: low, submitted later
                    JobSpec(nodeType: NodeTypeID(0), nodes: 2, priority: 5)]   // 3: high, needs two
        var core = Scheduler(configuration: configuration(jobs: jobs),
                             policy: TraditionalPolicy(nodes: [3], instances: [0], packable: [true]))
        var actions: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &actions)
        for j in 0..<3 { core.handle(.jobSubmitted(JobID(j)), at: t(Int64(j + 1)), into: &actions) }
        XCTAssertEqual(jobActions(actions), ["start 0", "start 1", "start 2"])
        actions.removeAll()
        core.handle(.jobSubmitted(JobID(3)), at: t(10), into: &actions)
        XCTAssertEqual(jobActions(actions), ["stop 2", "stop 1", "start 3"],
                       "lowest priority first, the later submission before the earlier")
        XCTAssertEqual(core.cluster.jobs[1].state, .waiting)
        XCTAssertEqual(core.cluster.jobs[1].preemptions, 1)
        XCTAssertEqual(core.cluster.jobs[0].state, .running, "the mid-priority job kept its node")
        // The high job ends: the earlier low job restarts on one node, then the later one.
        actions.removeAll()
        core.handle(.jobFinished(JobID(3)), at: t(50), into: &actions)
        XCTAssertEqual(jobActions(actions), ["start 1", "start 2"])
    }

    /// Elastic plans add nodes for a job (within the pool's maximum) instead of evicting
    /// serving; the job starts when they have booted.
    func testElasticPlanAddsNodesForTheJob() {
        let policy = ElasticPolicy(parameters: .init(target: 0.5, minInstances: [1], maxInstances: [4],
                                                     nodes: .init(minNodes: [1], maxNodes: [4])))
        var core = Scheduler(configuration: configuration(jobs: [JobSpec(nodeType: NodeTypeID(0), nodes: 2, priority: 1)]), policy: policy)
        var actions: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &actions)
        actions.removeAll()
        core.handle(.jobSubmitted(JobID(0)), at: t(5), into: &actions)
        let started = actions.compactMap { if case let .startNode(n, _, warm) = $0 { return warm ? nil : n } else { return nil } }
        XCTAssertEqual(started.count, 2)
        XCTAssertEqual(core.cluster.models[0].replicas, 1, "serving untouched")
        XCTAssertEqual(jobActions(actions), [])
        actions.removeAll()
        core.handle(.nodeReady(started[0]), at: t(100), into: &actions)
        XCTAssertEqual(jobActions(actions), [])
        core.handle(.nodeReady(started[1]), at: t(110), into: &actions)
        XCTAssertEqual(jobActions(actions), ["start 0"])
    }
}
