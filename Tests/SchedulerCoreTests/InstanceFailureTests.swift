import XCTest
@testable import SchedulerCore

/// `instanceFailed`: a worker that died. Its requests fail, the books stay straight, and the
/// policy decides about a replacement.
final class InstanceFailureTests: XCTestCase {
    let big = Resources(milliCPU: 8000, memoryMiB: 32768, gpus: 0)
    let small = Resources(milliCPU: 1000, memoryMiB: 1024, gpus: 0)
    func t(_ seconds: Double) -> TimePoint { TimePoint(nanoseconds: Int64(seconds * 1e9)) }

    func config(concurrency: Int) -> ClusterConfiguration {
        ClusterConfiguration(nodeTypes: [NodeTypeSpec(capacity: big)],
                             models: [ModelSpec(requires: small, allowedNodeTypes: [NodeTypeID(0)], concurrency: concurrency, queueLimit: 10)],
                             targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: true)
    }

    func testReservedInstanceFailureFailsItsRequestsAndIsReplaced() {
        var core = Scheduler(configuration: config(concurrency: 2),
                             policy: TraditionalPolicy(nodes: [1], instances: [1], packable: [true]))
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        a.removeAll()
        for r in 0..<4 { core.handle(.requestArrived(RequestID(r), target: TargetID(0)), at: t(1), into: &a) }
        XCTAssertEqual(a, [.dispatch(RequestID(0), instance: InstanceID(0), cold: false), .dispatch(RequestID(1), instance: InstanceID(0), cold: false)])
        a.removeAll()
        core.handle(.requestTimedOut(RequestID(1)), at: t(2), into: &a)
        core.handle(.instanceFailed(InstanceID(0)), at: t(3), into: &a)
        XCTAssertEqual(a, [.release(RequestID(1)),                       // timed out in service: only released
                           .stopInstance(InstanceID(0)),                 // the host cleans up
                           .reject(RequestID(0), reason: .workerFailed),
                           .startInstance(InstanceID(0), model: ModelID(0), node: NodeID(0), warm: false)])
        XCTAssertEqual(core.cluster.models[0].replicas, 1, "the replica count is kept")
        XCTAssertEqual(core.cluster.models[0].queued, 2, "queued requests wait for the replacement")
        a.removeAll()
        core.handle(.instanceReady(InstanceID(0)), at: t(4), into: &a)
        XCTAssertEqual(a, [.dispatch(RequestID(2), instance: InstanceID(0), cold: true), .dispatch(RequestID(3), instance: InstanceID(0), cold: true)])
        XCTAssertEqual(core.cluster.nodes[0].instances, 1, "the node's room was given back and taken again")
    }

    func testStaleFailureReportIsIgnored() {
        var core = Scheduler(configuration: config(concurrency: 1), policy: TraditionalPolicy(nodes: [1], instances: [1], packable: [true]))
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        a.removeAll()
        core.handle(.instanceFailed(InstanceID(5)), at: t(1), into: &a)
        XCTAssertEqual(a, [])
    }

    func testServerlessReplacesOnlyWhenRequestsWait() {
        var p = ServerlessPolicy.Parameters(keepAlive: .seconds(60), concurrencyLimit: 0, nodes: nil, bindsRequests: true)
        p.provisioned = []
        var core = Scheduler(configuration: ClusterConfiguration(nodeTypes: [NodeTypeSpec(capacity: big)],
                                                                 models: [ModelSpec(requires: small, allowedNodeTypes: [NodeTypeID(0)], concurrency: 1, queueLimit: 10)],
                                                                 targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: false),
                             policy: ServerlessPolicy(parameters: p))
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        a.removeAll()
        // A request starts an instance and waits for it alone; the instance dies starting.
        core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(1), into: &a)
        XCTAssertEqual(a, [.startInstance(InstanceID(0), model: ModelID(0), node: nil, warm: false)])
        a.removeAll()
        core.handle(.instanceFailed(InstanceID(0)), at: t(2), into: &a)
        XCTAssertEqual(a, [.stopInstance(InstanceID(0)), .startInstance(InstanceID(0), model: ModelID(0), node: nil, warm: false)],
                       "the request it was started for waits, so a replacement starts")
        a.removeAll()
        core.handle(.instanceReady(InstanceID(0)), at: t(3), into: &a)
        XCTAssertEqual(a, [.dispatch(RequestID(0), instance: InstanceID(0), cold: true)])
        a.removeAll()
        core.handle(.requestFinished(RequestID(0)), at: t(4), into: &a)
        a.removeAll()
        // Idle, it dies: nothing waits, so nothing starts (scale to zero stays zero).
        core.handle(.instanceFailed(InstanceID(0)), at: t(5), into: &a)
        XCTAssertEqual(a, [.stopInstance(InstanceID(0)), .cancelTimer(.keepAlive(InstanceID(0)))])
        XCTAssertEqual(core.cluster.liveInstances, 0)
    }
}
