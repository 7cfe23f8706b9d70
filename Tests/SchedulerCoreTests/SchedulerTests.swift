import XCTest
@testable import SchedulerCore

/// Small hand-driven cases: each input at a chosen time, the exact actions checked.
final class SchedulerTests: XCTestCase {
    let big = Resources(milliCPU: 8000, memoryMiB: 32768, gpus: 0)
    let small = Resources(milliCPU: 1000, memoryMiB: 1024, gpus: 0)

    func t(_ seconds: Double) -> TimePoint { TimePoint(nanoseconds: Int64(seconds * 1e9)) }

    func config(concurrency: Int = 1, queueLimit: Int = 10, stages: [[Int]] = [[0]], models: Int = 1, usesNodes: Bool = true) -> ClusterConfiguration {
        ClusterConfiguration(nodeTypes: [NodeTypeSpec(capacity: big)],
                             models: (0..<models).map { _ in ModelSpec(requires: small, allowedNodeTypes: [NodeTypeID(0)], concurrency: concurrency, queueLimit: queueLimit) },
                             targets: stages.map { TargetSpec(stages: $0.map { ModelID($0) }) }, usesNodes: usesNodes)
    }

    func traditional(instances: Int, concurrency: Int = 1, queueLimit: Int = 10, stages: [[Int]] = [[0]], models: Int = 1) -> Scheduler<TraditionalPolicy> {
        var core = Scheduler(configuration: config(concurrency: concurrency, queueLimit: queueLimit, stages: stages, models: models),
                             policy: TraditionalPolicy(nodes: [1], instances: [Int?](repeating: instances, count: models),
                                                       packable: [Bool](repeating: true, count: models)))
        var actions: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &actions)
        XCTAssertEqual(actions.first, .startNode(NodeID(0), type: NodeTypeID(0), warm: true))
        XCTAssertEqual(actions.filter { if case .startInstance = $0 { return true }; return false }.count, instances * models)
        return core
    }

    func testTraditionalQueuesFIFOAndRejectsWhenFull() {
        var core = traditional(instances: 2, queueLimit: 1)
        var a: [SchedulerAction] = []
        core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(1), into: &a)
        core.handle(.requestArrived(RequestID(1), target: TargetID(0)), at: t(1), into: &a)
        XCTAssertEqual(a, [.dispatch(RequestID(0), instance: InstanceID(1), cold: false),
                           .dispatch(RequestID(1), instance: InstanceID(0), cold: false)])
        a.removeAll()
        core.handle(.requestArrived(RequestID(2), target: TargetID(0)), at: t(2), into: &a)
        XCTAssertEqual(a, [], "the third request waits")
        core.handle(.requestArrived(RequestID(3), target: TargetID(0)), at: t(2), into: &a)
        XCTAssertEqual(a, [.reject(RequestID(3), reason: .queueFull)])
        a.removeAll()
        core.handle(.requestFinished(RequestID(1)), at: t(3), into: &a)
        XCTAssertEqual(a, [.dispatch(RequestID(2), instance: InstanceID(0), cold: false),
                           .complete(RequestID(1))])
    }

    func testTimedOutQueuedRequestIsSkippedAndReleased() {
        var core = traditional(instances: 1)
        var a: [SchedulerAction] = []
        core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(0), into: &a)
        core.handle(.requestArrived(RequestID(1), target: TargetID(0)), at: t(0), into: &a)
        core.handle(.requestArrived(RequestID(2), target: TargetID(0)), at: t(0), into: &a)
        a.removeAll()
        core.handle(.requestTimedOut(RequestID(1)), at: t(5), into: &a)
        XCTAssertEqual(a, [])
        core.handle(.requestFinished(RequestID(0)), at: t(6), into: &a)
        XCTAssertEqual(a, [.release(RequestID(1)), .dispatch(RequestID(2), instance: InstanceID(0), cold: false),
                           .complete(RequestID(0))])
    }

    func testTimedOutRequestInServiceHoldsItsSlotUntilTheWorkEnds() {
        var core = traditional(instances: 1)
        var a: [SchedulerAction] = []
        core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(0), into: &a)
        core.handle(.requestArrived(RequestID(1), target: TargetID(0)), at: t(0), into: &a)
        a.removeAll()
        core.handle(.requestTimedOut(RequestID(0)), at: t(30), into: &a)
        XCTAssertEqual(a, [], "the instance is still busy with the abandoned request")
        core.handle(.requestFinished(RequestID(0)), at: t(31), into: &a)
        XCTAssertEqual(a, [.dispatch(RequestID(1), instance: InstanceID(0), cold: false), .release(RequestID(0))])
    }

    func testLastQueuedRequestTimingOutReleasesTheQueue() {
        var core = traditional(instances: 1)
        var a: [SchedulerAction] = []
        core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(0), into: &a)
        core.handle(.requestArrived(RequestID(1), target: TargetID(0)), at: t(0), into: &a)
        a.removeAll()
        core.handle(.requestTimedOut(RequestID(1)), at: t(30), into: &a)
        XCTAssertEqual(a, [.release(RequestID(1))])
    }

    func testPipelineAdvancesToTheNextStage() {
        var core = traditional(instances: 1, stages: [[0, 1]], models: 2)
        var a: [SchedulerAction] = []
        core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(0), into: &a)
        guard case let .dispatch(_, first, _) = a[0] else { return XCTFail("expected a dispatch") }
        XCTAssertEqual(core.cluster.instances[first.index].model, ModelID(0))
        a.removeAll()
        core.handle(.requestFinished(RequestID(0)), at: t(1), into: &a)
        XCTAssertEqual(a.count, 1)
        guard case let .dispatch(r, second, _) = a[0] else { return XCTFail("expected a dispatch") }
        XCTAssertEqual(r, RequestID(0))
        XCTAssertEqual(core.cluster.instances[second.index].model, ModelID(1))
        a.removeAll()
        core.handle(.requestFinished(RequestID(0)), at: t(2), into: &a)
        XCTAssertEqual(a, [.complete(RequestID(0))])
    }

    func testServerlessStartsOnDemandServesColdAndExpiresAfterKeepAlive() {
        var core = Scheduler(configuration: config(usesNodes: false),
                             policy: ServerlessPolicy(parameters: .init(keepAlive: .seconds(600), concurrencyLimit: 0, nodes: nil)))
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        XCTAssertEqual(a, [])
        core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(10), into: &a)
        XCTAssertEqual(a, [.startInstance(InstanceID(0), model: ModelID(0), node: nil, warm: false)])
        a.removeAll()
        core.handle(.instanceReady(InstanceID(0)), at: t(12), into: &a)
        XCTAssertEqual(a, [.dispatch(RequestID(0), instance: InstanceID(0), cold: true)])
        a.removeAll()
        core.handle(.requestFinished(RequestID(0)), at: t(13), into: &a)
        XCTAssertEqual(a, [.setTimer(.keepAlive(InstanceID(0)), at: t(613)), .complete(RequestID(0))])
        a.removeAll()
        // Used again before expiry: warm, and the timer re-arms from the new idle time.
        core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(300), into: &a)
        XCTAssertEqual(a, [.dispatch(RequestID(0), instance: InstanceID(0), cold: false)])
        a.removeAll()
        core.handle(.requestFinished(RequestID(0)), at: t(301), into: &a)
        XCTAssertEqual(a, [.complete(RequestID(0))], "timer already armed")
        a.removeAll()
        core.handle(.timerFired(.keepAlive(InstanceID(0))), at: t(613), into: &a)
        XCTAssertEqual(a, [.setTimer(.keepAlive(InstanceID(0)), at: t(901))])
        a.removeAll()
        core.handle(.timerFired(.keepAlive(InstanceID(0))), at: t(901), into: &a)
        XCTAssertEqual(a, [.stopInstance(InstanceID(0))])
        XCTAssertEqual(core.cluster.liveInstances, 0)
    }

    /// Provider hosting: the request that starts an environment is served by it, even when
    /// another instance frees up first (which then serves the queue, or idles).
    func testProviderBindsTheRequestToTheInstanceStartedForIt() {
        var core = Scheduler(configuration: config(usesNodes: false),
                             policy: ServerlessPolicy(parameters: .init(keepAlive: .seconds(600), concurrencyLimit: 0, nodes: nil)))
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(1), into: &a)
        core.handle(.instanceReady(InstanceID(0)), at: t(2), into: &a)
        a.removeAll()
        core.handle(.requestArrived(RequestID(1), target: TargetID(0)), at: t(3), into: &a)
        XCTAssertEqual(a, [.startInstance(InstanceID(1), model: ModelID(0), node: nil, warm: false)])
        a.removeAll()
        core.handle(.requestFinished(RequestID(0)), at: t(3.1), into: &a)
        XCTAssertEqual(a, [.setTimer(.keepAlive(InstanceID(0)), at: t(603.1)), .complete(RequestID(0))],
                       "instance 0 frees first but does not take request 1")
        a.removeAll()
        core.handle(.instanceReady(InstanceID(1)), at: t(3.5), into: &a)
        XCTAssertEqual(a, [.dispatch(RequestID(1), instance: InstanceID(1), cold: true)])
        a.removeAll()
        // A bound request that times out is released when its instance is ready.
        core.handle(.requestArrived(RequestID(2), target: TargetID(0)), at: t(4), into: &a)
        core.handle(.requestArrived(RequestID(3), target: TargetID(0)), at: t(4), into: &a)
        XCTAssertEqual(a, [.dispatch(RequestID(2), instance: InstanceID(0), cold: false),
                           .startInstance(InstanceID(2), model: ModelID(0), node: nil, warm: false)])
        a.removeAll()
        core.handle(.requestTimedOut(RequestID(3)), at: t(10), into: &a)
        core.handle(.instanceReady(InstanceID(2)), at: t(11), into: &a)
        XCTAssertEqual(a, [.release(RequestID(3)), .setTimer(.keepAlive(InstanceID(2)), at: t(611))])
    }

    func testServerlessThrottlesAtTheConcurrencyLimit() {
        var core = Scheduler(configuration: config(usesNodes: false),
                             policy: ServerlessPolicy(parameters: .init(keepAlive: .seconds(600), concurrencyLimit: 1, nodes: nil)))
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(1), into: &a)
        a.removeAll()
        core.handle(.requestArrived(RequestID(1), target: TargetID(0)), at: t(1), into: &a)
        XCTAssertEqual(a, [.reject(RequestID(1), reason: .throttled)])
    }

    func testServerlessDoesNotStartMoreThanTheStartingSlotsCover() {
        var core = Scheduler(configuration: config(concurrency: 4, usesNodes: false),
                             policy: ServerlessPolicy(parameters: .init(keepAlive: .seconds(600), concurrencyLimit: 0, nodes: nil, bindsRequests: false)))
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        for r in 0..<5 { core.handle(.requestArrived(RequestID(r), target: TargetID(0)), at: t(1), into: &a) }
        XCTAssertEqual(a.filter { if case .startInstance = $0 { return true }; return false }.count, 2,
                       "4 slots cover the first 4 requests; the 5th starts a second instance")
    }

    func testNodeAutoscalerAddsANodeForAnUnplaceableInstanceAndRemovesItWhenUnneeded() {
        var params = NodeAutoscaler.Parameters(minNodes: [0], maxNodes: [2])
        params.delayAfterAdd = .seconds(600)
        params.unneededTime = .seconds(600)
        var core = Scheduler(configuration: config(usesNodes: true),
                             policy: ServerlessPolicy(parameters: .init(keepAlive: .seconds(60), concurrencyLimit: 0, nodes: params)))
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        XCTAssertEqual(a, [.setTimer(NodeAutoscaler.scanTimer, at: t(10))])
        a.removeAll()
        core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(1), into: &a)
        XCTAssertEqual(a, [], "no node has room: the instance is pending until the scan")
        XCTAssertEqual(core.cluster.pendingInstances, 1)
        core.handle(.timerFired(NodeAutoscaler.scanTimer), at: t(10), into: &a)
        XCTAssertEqual(a, [.startNode(NodeID(0), type: NodeTypeID(0), warm: false), .setTimer(NodeAutoscaler.scanTimer, at: t(20))])
        a.removeAll()
        core.handle(.nodeReady(NodeID(0)), at: t(100), into: &a)
        XCTAssertEqual(a, [.startInstance(InstanceID(0), model: ModelID(0), node: NodeID(0), warm: false)])
        a.removeAll()
        core.handle(.instanceReady(InstanceID(0)), at: t(110), into: &a)
        core.handle(.requestFinished(RequestID(0)), at: t(111), into: &a)
        core.handle(.timerFired(.keepAlive(InstanceID(0))), at: t(171), into: &a)
        XCTAssertTrue(a.contains(.stopInstance(InstanceID(0))))
        a.removeAll()
        // Empty since 171 s; unneeded after 771 s, and more than 600 s after the scale-up at 10 s.
        core.handle(.timerFired(NodeAutoscaler.scanTimer), at: t(770), into: &a)
        XCTAssertFalse(a.contains(.stopNode(NodeID(0))))
        a.removeAll()
        core.handle(.timerFired(NodeAutoscaler.scanTimer), at: t(772), into: &a)
        XCTAssertTrue(a.contains(.stopNode(NodeID(0))))
    }

    func testLeastWasteExpanderPicksTheTightestNodeType() {
        let cfg = ClusterConfiguration(
            nodeTypes: [NodeTypeSpec(capacity: Resources(milliCPU: 16000, memoryMiB: 65536, gpus: 0)),
                        NodeTypeSpec(capacity: Resources(milliCPU: 2000, memoryMiB: 4096, gpus: 0)),
                        NodeTypeSpec(capacity: Resources(milliCPU: 4000, memoryMiB: 8192, gpus: 0))],
            models: [ModelSpec(requires: Resources(milliCPU: 1500, memoryMiB: 2048, gpus: 0),
                               allowedNodeTypes: [NodeTypeID(0), NodeTypeID(1), NodeTypeID(2)], concurrency: 1, queueLimit: 1)],
            targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: true)
        let scaler = NodeAutoscaler(parameters: .init(minNodes: [0, 0, 0], maxNodes: [5, 5, 5]))
        XCTAssertEqual(scaler.leastWaste(for: ModelID(0), in: Cluster(configuration: cfg)), NodeTypeID(1))
        let full = NodeAutoscaler(parameters: .init(minNodes: [0, 0, 0], maxNodes: [5, 0, 5]))
        XCTAssertEqual(full.leastWaste(for: ModelID(0), in: Cluster(configuration: cfg)), NodeTypeID(2), "pool at max is skipped")
    }
}

extension SchedulerTests {
    func testCallerQuotaRejectsBeyondItsRequestsInFlight() {
        var cfg = config(queueLimit: 10)
        cfg.callerQuotas = [0, 2]            // caller 1 may have 2 in flight; caller 2 has no quota
        var core = Scheduler(configuration: cfg, policy: TraditionalPolicy(nodes: [1], instances: [1], packable: [true]))
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        a.removeAll()
        for r in 0..<3 { core.handle(.requestArrived(RequestID(r), target: TargetID(0), caller: CallerID(1)), at: t(1), into: &a) }
        XCTAssertEqual(a, [.dispatch(RequestID(0), instance: InstanceID(0), cold: false), .reject(RequestID(2), reason: .quota)])
        a.removeAll()
        core.handle(.requestArrived(RequestID(3), target: TargetID(0), caller: CallerID(2)), at: t(1), into: &a)
        XCTAssertEqual(a, [], "another caller is not limited: it queues")
        core.handle(.requestFinished(RequestID(0)), at: t(2), into: &a)
        a.removeAll()
        core.handle(.requestArrived(RequestID(0), target: TargetID(0), caller: CallerID(1)), at: t(3), into: &a)
        XCTAssertEqual(a, [], "one of caller 1's requests completed: room for one more (it queues)")
        core.handle(.requestTimedOut(RequestID(1)), at: t(4), into: &a)
        core.handle(.requestArrived(RequestID(2), target: TargetID(0), caller: CallerID(1)), at: t(5), into: &a)
        XCTAssertFalse(a.contains(.reject(RequestID(2), reason: .quota)), "a timed-out request no longer counts")
        XCTAssertEqual(core.cluster.callerInFlight[1], 2)
    }
}
