import XCTest
@testable import SchedulerCore

/// Serverless on its own nodes: an instance asked for when no node had room waits for the
/// node autoscaler's scan, and is dropped there when no request needs it any more.
final class PendingInstanceTests: XCTestCase {
    func t(_ seconds: Double) -> TimePoint { TimePoint(nanoseconds: Int64(seconds * 1e9)) }

    /// One node with room for one instance; concurrency 1; keep-alive 4 s; scans every 10 s.
    func core() -> Scheduler<ServerlessPolicy> {
        let node = Resources(milliCPU: 1000, memoryMiB: 1024, gpus: 0)
        let config = ClusterConfiguration(nodeTypes: [NodeTypeSpec(capacity: node)],
                                          models: [ModelSpec(requires: node, allowedNodeTypes: [NodeTypeID(0)], concurrency: 1, queueLimit: 10)],
                                          targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: true)
        let nodes = NodeAutoscaler.Parameters(minNodes: [1], maxNodes: [1])
        return Scheduler(configuration: config, policy: ServerlessPolicy(parameters: .init(keepAlive: .seconds(4), concurrencyLimit: 0, nodes: nodes)))
    }

    func starts(_ a: [SchedulerAction]) -> Int { a.filter { if case .startInstance = $0 { return true }; return false }.count }

    func testAPendingInstanceNoRequestNeedsIsDroppedAtTheScan() {
        var c = core()
        var a: [SchedulerAction] = []
        c.handle(.start, at: .zero, into: &a)
        a.removeAll()
        c.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(1), into: &a)
        c.handle(.requestArrived(RequestID(1), target: TargetID(0)), at: t(1.1), into: &a)
        XCTAssertEqual(starts(a), 1, "the second instance has no room: it is pending")
        XCTAssertEqual(c.cluster.pendingInstances, 1)
        a.removeAll()
        // The first instance serves both requests, one after the other.
        c.handle(.instanceReady(InstanceID(0)), at: t(1.5), into: &a)
        c.handle(.requestFinished(RequestID(0)), at: t(1.6), into: &a)
        c.handle(.requestFinished(RequestID(1)), at: t(1.7), into: &a)
        // Keep-alive ends at 5.7 s; the node has room again.
        c.handle(.timerFired(.keepAlive(InstanceID(0))), at: t(5.7), into: &a)
        XCTAssertEqual(c.cluster.liveInstances, 1, "only the pending one is left")
        a.removeAll()
        c.handle(.timerFired(NodeAutoscaler.scanTimer), at: t(10), into: &a)
        XCTAssertEqual(starts(a), 0, "no request waits: the pending instance is dropped, not started")
        XCTAssertEqual(c.cluster.pendingInstances, 0)
        XCTAssertEqual(c.cluster.liveInstances, 0)
    }

    func testAPendingInstanceARequestWaitsForIsStartedAtTheScan() {
        var c = core()
        var a: [SchedulerAction] = []
        c.handle(.start, at: .zero, into: &a)
        c.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(1), into: &a)
        c.handle(.requestArrived(RequestID(1), target: TargetID(0)), at: t(1.1), into: &a)
        c.handle(.instanceReady(InstanceID(0)), at: t(1.5), into: &a)
        // Request 0 is still in service at the scan, request 1 waits: the pending instance is
        // wanted (and still has no room, so it stays pending).
        a.removeAll()
        c.handle(.timerFired(NodeAutoscaler.scanTimer), at: t(10), into: &a)
        XCTAssertEqual(c.cluster.pendingInstances, 1, "a queued request still needs it")
        XCTAssertEqual(c.cluster.models[0].queued, 1)
    }
}
