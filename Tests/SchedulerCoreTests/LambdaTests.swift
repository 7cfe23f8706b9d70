import XCTest
@testable import SchedulerCore

/// Lambda-like hosting: the per-function scaling rate and provisioned concurrency.
final class LambdaTests: XCTestCase {
    let t = { (ms: Int64) in TimePoint(nanoseconds: ms * 1_000_000) }

    func core(rate: Int, provisioned: [Int] = []) -> Scheduler<ServerlessPolicy> {
        let config = ClusterConfiguration(
            nodeTypes: [], models: [ModelSpec(requires: Resources(milliCPU: 0, memoryMiB: 512, gpus: 0), allowedNodeTypes: [],
                                              concurrency: 1, queueLimit: 0)],
            targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: false)
        var p = ServerlessPolicy.Parameters(keepAlive: .seconds(600), concurrencyLimit: 1000, nodes: nil)
        p.scaleRatePer10s = rate
        p.provisioned = provisioned
        return Scheduler(configuration: config, policy: ServerlessPolicy(parameters: p))
    }

    /// A rate of 10 per 10 s: a burst of 15 starts 10 environments, 5 are throttled; tokens
    /// come back at 1 per second, never more than 10.
    func testScalingRateThrottlesBeyondTheTokenBucket() {
        var c = core(rate: 10)
        var actions: [SchedulerAction] = []
        c.handle(.start, at: .zero, into: &actions)
        for r in 0..<15 { c.handle(.requestArrived(RequestID(r), target: TargetID(0)), at: t(0), into: &actions) }
        let throttled = actions.filter { if case .reject(_, .throttled) = $0 { return true } else { return false } }
        XCTAssertEqual(throttled.count, 5)
        XCTAssertEqual(c.cluster.models[0].replicas, 10)
        actions.removeAll()
        // 3.5 s later: 3 tokens (3.5 refilled, whole ones usable).
        for r in 15..<20 { c.handle(.requestArrived(RequestID(r), target: TargetID(0)), at: t(3_500), into: &actions) }
        XCTAssertEqual(actions.filter { if case .reject(_, .throttled) = $0 { return true } else { return false } }.count, 2)
        XCTAssertEqual(c.cluster.models[0].replicas, 13)
    }

    /// Provisioned environments exist warm from the start, serve first, and never expire.
    func testProvisionedConcurrencyIsWarmAndKept() {
        var c = core(rate: 1000, provisioned: [2])
        var actions: [SchedulerAction] = []
        c.handle(.start, at: .zero, into: &actions)
        XCTAssertEqual(c.cluster.models[0].ready, 2)
        c.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(1_000), into: &actions)
        XCTAssertTrue(actions.contains { if case .dispatch(_, _, false) = $0 { return true } else { return false } }, "served warm")
        actions.removeAll()
        c.handle(.requestFinished(RequestID(0)), at: t(2_000), into: &actions)
        XCTAssertFalse(actions.contains { if case .setTimer = $0 { return true } else { return false } }, "no keep-alive timer for provisioned")
        XCTAssertEqual(c.cluster.models[0].replicas, 2)
    }
}
