import XCTest
@testable import SchedulerCore

/// The HPA arithmetic on hand-computed cases (kubernetes replica_calculator.go and horizontal.go).
final class ElasticPolicyTests: XCTestCase {
    func testToleranceBandEdges() {
        // Target 50 %: utilisation 54 % is a ratio of 1.08 (inside ±0.1), 56 % is 1.12 (outside).
        XCTAssertEqual(ElasticPolicy.replicas(usage: 54, request: 100, ready: 10, unready: 0, current: 10, target: 0.5, tolerance: 0.1), 10)
        XCTAssertEqual(ElasticPolicy.replicas(usage: 56, request: 100, ready: 10, unready: 0, current: 10, target: 0.5, tolerance: 0.1), 12)
        // Ratio 1.09 vs 1.11 exactly: target 100 %, utilisation is a truncated integer percent.
        XCTAssertEqual(ElasticPolicy.replicas(usage: 0.109, request: 0.1, ready: 10, unready: 0, current: 10, target: 1.0, tolerance: 0.1), 10)
        XCTAssertEqual(ElasticPolicy.replicas(usage: 1.11, request: 1.0, ready: 10, unready: 0, current: 10, target: 1.0, tolerance: 0.1), 12)
        // Below the band: 40 % of a 50 % target over 10 ready is 8 replicas.
        XCTAssertEqual(ElasticPolicy.replicas(usage: 40, request: 100, ready: 10, unready: 0, current: 10, target: 0.5, tolerance: 0.1), 8)
    }

    func testUtilisationIsTruncatedToWholePercent() {
        // 54.99 % truncates to 54 %: inside the band of a 50 % target.
        XCTAssertEqual(ElasticPolicy.replicas(usage: 54.99, request: 100, ready: 10, unready: 0, current: 10, target: 0.5, tolerance: 0.1), 10)
    }

    func testStartingInstancesCountAsIdleOnScaleUp() {
        // 4 ready at 100 % of a 50 % target (ratio 2), 4 starting: new ratio 50 %/50 % = 1 → hold.
        XCTAssertEqual(ElasticPolicy.replicas(usage: 400, request: 400, ready: 4, unready: 4, current: 8, target: 0.5, tolerance: 0.1), 8)
        // 4 ready at 100 %, 2 starting: 400/600 = 66 % → ratio 1.32 → ceil(1.32 × 6) = 8.
        XCTAssertEqual(ElasticPolicy.replicas(usage: 400, request: 400, ready: 4, unready: 2, current: 6, target: 0.5, tolerance: 0.1), 8)
    }

    func policy(min: Int = 1, max: Int = 100) -> ElasticPolicy {
        ElasticPolicy(parameters: .init(target: 0.5, minInstances: [min], maxInstances: [max],
                                        nodes: .init(minNodes: [1], maxNodes: [1])))
    }

    func testStabilisationWindowHoldsAScaleDown() {
        var p = policy()
        let t = { (s: Int64) in TimePoint(nanoseconds: s * 1_000_000_000) }
        XCTAssertEqual(p.normalize(0, current: 10, desired: 10, now: t(0)), 10)
        XCTAssertEqual(p.normalize(0, current: 10, desired: 4, now: t(15)), 10, "the window still holds a recommendation of 10")
        XCTAssertEqual(p.normalize(0, current: 10, desired: 4, now: t(299)), 10)
        XCTAssertEqual(p.normalize(0, current: 10, desired: 4, now: t(300)), 4, "the 10 from t=0 has left the 300 s window")
    }

    func testScaleUpLimitIsTwiceCurrentOrFour() {
        var p = policy()
        XCTAssertEqual(p.normalize(0, current: 1, desired: 50, now: .zero), 4)
        var q = policy()
        XCTAssertEqual(q.normalize(0, current: 10, desired: 50, now: .zero), 20)
        var r = policy(max: 15)
        XCTAssertEqual(r.normalize(0, current: 10, desired: 50, now: .zero), 15)
    }

    /// A whole replica sequence: a step load held on a warm pool, driven through the core.
    func testReplicaSequenceOnAStepLoad() {
        let cfg = ClusterConfiguration(
            nodeTypes: [NodeTypeSpec(capacity: Resources(milliCPU: 64000, memoryMiB: 65536, gpus: 0))],
            models: [ModelSpec(requires: Resources(milliCPU: 1000, memoryMiB: 1024, gpus: 0), allowedNodeTypes: [NodeTypeID(0)],
                               concurrency: 1, queueLimit: 1000)],
            targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: true)
        var core = Scheduler(configuration: cfg, policy: ElasticPolicy(parameters: .init(
            target: 0.5, minInstances: [2], maxInstances: [100], nodes: .init(minNodes: [1], maxNodes: [1]))))
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        XCTAssertEqual(core.cluster.models[0].replicas, 2)
        // Keep both instances fully busy from t=0: utilisation 100 % of a 50 % target.
        core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: .zero, into: &a)
        core.handle(.requestArrived(RequestID(1), target: TargetID(0)), at: .zero, into: &a)
        var replicas: [Int] = []
        for tick in 1...3 {
            core.handle(.timerFired(ElasticPolicy.syncTimer), at: TimePoint(nanoseconds: Int64(tick) * 15_000_000_000), into: &a)
            replicas.append(core.cluster.models[0].replicas)
        }
        // 2 → ceil(2 × 2) = 4; the new 2 are still starting (idle): 2 busy of 4 = 50 % → hold.
        XCTAssertEqual(replicas, [4, 4, 4])
    }

    /// An LLM model scaled on what its engines report: the KV cache in use against a target
    /// share, and the requests waiting in their lines counted with the model's queue.
    func testEngineReportsDriveTheKVCacheAndQueueMetrics() {
        func core(_ metric: ElasticPolicy.Metric, target: Double) -> Scheduler<ElasticPolicy> {
            let cfg = ClusterConfiguration(
                nodeTypes: [NodeTypeSpec(capacity: Resources(milliCPU: 64000, memoryMiB: 65536, gpus: 0))],
                models: [ModelSpec(requires: Resources(milliCPU: 1000, memoryMiB: 1024, gpus: 0), allowedNodeTypes: [NodeTypeID(0)],
                                   concurrency: 256, queueLimit: 1000)],
                targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: true)
            var p = ElasticPolicy.Parameters(target: target, minInstances: [2], maxInstances: [100], nodes: .init(minNodes: [1], maxNodes: [1]))
            p.metric = metric
            var core = Scheduler(configuration: cfg, policy: ElasticPolicy(parameters: p))
            var a: [SchedulerAction] = []
            core.handle(.start, at: .zero, into: &a)
            for case let .startNode(node, _, _) in a { core.handle(.nodeReady(node), at: .zero, into: &a) }
            for case let .startInstance(instance, _, _, _) in a { core.handle(.instanceReady(instance), at: .zero, into: &a) }
            return core
        }
        var a: [SchedulerAction] = []
        let tick = TimePoint(nanoseconds: 15_000_000_000)
        // KV 0.9 of a 0.6 target on 2 instances: ceil(1.5 × 2) = 3.
        var kv = core(.kvCacheUsage, target: 0.6)
        kv.handle(.engineMetrics(ModelID(0), kvCacheUsage: 0.9, waiting: 0), at: tick, into: &a)
        XCTAssertEqual(kv.cluster.engineMetrics[0], EngineMetrics(kvCacheUsage: 0.9, waiting: 0))
        kv.handle(.timerFired(ElasticPolicy.syncTimer), at: tick, into: &a)
        XCTAssertEqual(kv.cluster.models[0].replicas, 3)
        // Inside the tolerance band (0.6 ± 10 %): held.
        var held = core(.kvCacheUsage, target: 0.6)
        held.handle(.engineMetrics(ModelID(0), kvCacheUsage: 0.63, waiting: 0), at: tick, into: &a)
        held.handle(.timerFired(ElasticPolicy.syncTimer), at: tick, into: &a)
        XCTAssertEqual(held.cluster.models[0].replicas, 2)
        // 6 waiting in the engines, a target of 2 per instance on 2: ceil(1.5 × 2) = 3.
        var queue = core(.queueLength, target: 2)
        queue.handle(.engineMetrics(ModelID(0), kvCacheUsage: 0.1, waiting: 6), at: tick, into: &a)
        queue.handle(.timerFired(ElasticPolicy.syncTimer), at: tick, into: &a)
        XCTAssertEqual(queue.cluster.models[0].replicas, 3)
        // 2,000 tokens/s on 2 instances, a target of 800 per instance: ceil(1.25 × 2) = 3.
        var tokens = core(.tokensPerSecond, target: 800)
        tokens.handle(.engineMetrics(ModelID(0), kvCacheUsage: 0.1, waiting: 0, tokensPerSecond: 2000), at: tick, into: &a)
        XCTAssertEqual(tokens.cluster.engineMetrics[0].tokensPerSecond, 2000)
        tokens.handle(.timerFired(ElasticPolicy.syncTimer), at: tick, into: &a)
        XCTAssertEqual(tokens.cluster.models[0].replicas, 3)
    }
}

/// autoscaling/v2 `behavior` on hand-computed sequences (autoscalers.md §1.4).
final class HPABehaviorTests: XCTestCase {
    let t = { (s: Int64) in TimePoint(nanoseconds: s * 1_000_000_000) }

    /// Default scale-up: the larger of +4 pods and +100 % per 15 s, measured from the replicas
    /// at the start of the period: 1 → 5 → 10 → 20 → 40 under a huge recommendation; nothing
    /// more inside a period already used.
    func testDefaultScaleUpPolicies() {
        var h = HPAHistory()
        let b = HPABehavior()
        var current = 1
        var sequence: [Int] = []
        for k in Int64(0)..<4 {
            let next = h.normalize(b, current: current, desired: 100, minReplicas: 1, maxReplicas: 1000, now: t(15 * k))
            h.record(change: next - current, at: t(15 * k))
            current = next
            sequence.append(current)
            if k == 0 {
                XCTAssertEqual(h.normalize(b, current: current, desired: 100, minReplicas: 1, maxReplicas: 1000, now: t(5)), 5,
                               "the +4 of t = 0 used the period's budget")
            }
        }
        XCTAssertEqual(sequence, [5, 10, 20, 40])
    }

    /// Default scale-down: the 300 s stabilisation window holds the highest recommendation;
    /// a custom Pods policy limits the step.
    func testScaleDownStabilisationAndPolicy() {
        var h = HPAHistory()
        let b = HPABehavior()
        _ = h.normalize(b, current: 10, desired: 10, minReplicas: 1, maxReplicas: 100, now: t(0))
        XCTAssertEqual(h.normalize(b, current: 10, desired: 2, minReplicas: 1, maxReplicas: 100, now: t(100)), 10, "10 is still in the window")
        XCTAssertEqual(h.normalize(b, current: 10, desired: 2, minReplicas: 1, maxReplicas: 100, now: t(301)), 2,
                       "the window now holds only 2s; -100 % per 15 s allows it")
        var custom = HPABehavior()
        custom.scaleDown = .init(stabilizationWindow: .zero, select: .max, policies: [.init(type: .pods, value: 1, period: .seconds(60))])
        var g = HPAHistory()
        XCTAssertEqual(g.normalize(custom, current: 10, desired: 2, minReplicas: 1, maxReplicas: 100, now: t(0)), 9)
        g.record(change: -1, at: t(0))
        XCTAssertEqual(g.normalize(custom, current: 9, desired: 2, minReplicas: 1, maxReplicas: 100, now: t(30)), 9, "one pod per 60 s")
        XCTAssertEqual(g.normalize(custom, current: 9, desired: 2, minReplicas: 1, maxReplicas: 100, now: t(61)), 8)
        var disabled = HPABehavior()
        disabled.scaleDown.select = .disabled
        var d = HPAHistory()
        XCTAssertEqual(d.normalize(disabled, current: 10, desired: 1, minReplicas: 1, maxReplicas: 100, now: t(0)), 10)
    }

    /// AverageValue metrics (requests in service or waiting per instance): tolerance band,
    /// then ceil(ratio × pods).
    func testAverageValueMetric() {
        XCTAssertEqual(ElasticPolicy.averageValueReplicas(ratio: 1.05, ready: 3, current: 3, tolerance: 0.1), 3)
        XCTAssertEqual(ElasticPolicy.averageValueReplicas(ratio: 2.0, ready: 3, current: 3, tolerance: 0.1), 6)
        XCTAssertEqual(ElasticPolicy.averageValueReplicas(ratio: 0.5, ready: 4, current: 4, tolerance: 0.1), 2)
    }
}

/// Step scaling's step choice and adjustments (autoscalers.md §6.1).
final class StepScalingTests: XCTestCase {
    func testStepChoiceAndAdjustments() {
        let steps = [StepScalingPolicy.Step(lower: 0, upper: 0.15, adjustment: .change(1)),
                     StepScalingPolicy.Step(lower: 0.15, upper: nil, adjustment: .change(3))]
        XCTAssertEqual(StepScalingPolicy.step(for: 0, in: steps), 0, "lower bound included")
        XCTAssertEqual(StepScalingPolicy.step(for: 0.149, in: steps), 0)
        XCTAssertEqual(StepScalingPolicy.step(for: 0.15, in: steps), 1, "upper bound excluded")
        XCTAssertNil(StepScalingPolicy.step(for: -0.1, in: steps))
        XCTAssertEqual(StepScalingPolicy.apply(.change(3), to: 4), 7)
        XCTAssertEqual(StepScalingPolicy.apply(.exact(2), to: 9), 2)
        XCTAssertEqual(StepScalingPolicy.apply(.percent(25), to: 4), 5)
        XCTAssertEqual(StepScalingPolicy.apply(.percent(0.5), to: 10), 11, "at least one")
        XCTAssertEqual(StepScalingPolicy.apply(.percent(-50), to: 3), 2, "−1.5 rounds toward zero")
        XCTAssertEqual(StepScalingPolicy.apply(.percent(150), to: 3), 7, "4.5 rounds down")
    }
}

/// Simple scaling's cooldown against step scaling's warm-up, on the same overload: one
/// instance, 100 requests that never finish, an alarm at 70 % utilisation adding 2 instances
/// that are ready 30 s after they start. Hand-computed:
/// - simple (cooldown 300 s): +2 at 60 s; the activity completes at 90 s, so alarms are
///   ignored until 390 s; +2 at 420 s (ready 450 s, cooldown to 750 s); +2 at 780 s.
/// - step (warm-up 300 s): +2 at 60 s; the same step adds nothing while warming, until
///   360 s; +2 at 360 s; +2 at 660 s.
final class SimpleScalingTests: XCTestCase {
    func replicasOverTime(cooldown: TimeSpan?) -> [Int: Int] {
        let node = NodeTypeSpec(capacity: Resources(milliCPU: 32000, memoryMiB: 65536, gpus: 0))
        let model = ModelSpec(requires: Resources(milliCPU: 1000, memoryMiB: 1024, gpus: 0), allowedNodeTypes: [NodeTypeID(0)],
                              concurrency: 1, queueLimit: 1000)
        let configuration = ClusterConfiguration(nodeTypes: [node], models: [model], targets: [TargetSpec(stages: [ModelID(0)])],
                                                 usesNodes: true, tracksUtilisation: true)
        var p = StepScalingPolicy.Parameters(minInstances: [1], maxInstances: [20], nodes: NodeAutoscaler.Parameters(minNodes: [1], maxNodes: [1]))
        p.scaleOut = StepScalingPolicy.Alarm(threshold: 0.7, evaluationPeriods: 1,
                                             steps: [StepScalingPolicy.Step(lower: nil, upper: nil, adjustment: .change(2))])
        p.cooldown = cooldown
        var core = Scheduler(configuration: configuration, policy: StepScalingPolicy(parameters: p))
        let t = { (s: Int64) in TimePoint(nanoseconds: s * 1_000_000_000) }
        var a: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &a)
        for r in 0..<100 { core.handle(.requestArrived(RequestID(r), target: TargetID(0)), at: t(1), into: &a) }
        var replicas: [Int: Int] = [:]
        var readyAt: [(Int64, InstanceID)] = []
        for second in stride(from: Int64(30), through: 900, by: 30) {
            for (at, instance) in readyAt where at == second { core.handle(.instanceReady(instance), at: t(second), into: &a) }
            guard second % 60 == 0 else { continue }
            a.removeAll()
            core.handle(.timerFired(StepScalingPolicy.periodTimer), at: t(second), into: &a)
            for case let .startInstance(instance, _, _, false) in a { readyAt.append((second + 30, instance)) }
            replicas[Int(second)] = core.cluster.models[0].replicas
        }
        return replicas
    }

    func testSimpleScalingWaitsForTheActivityAndTheCooldown() {
        let simple = replicasOverTime(cooldown: .seconds(300))
        XCTAssertEqual(simple[60], 3)
        XCTAssertEqual(simple[360], 3, "still cooling down (until 390 s)")
        XCTAssertEqual(simple[420], 5)
        XCTAssertEqual(simple[720], 5, "cooling down until 750 s")
        XCTAssertEqual(simple[780], 7)
        let step = replicasOverTime(cooldown: nil)
        XCTAssertEqual(step[60], 3)
        XCTAssertEqual(step[300], 3, "the same step adds nothing while warming")
        XCTAssertEqual(step[360], 5)
        XCTAssertEqual(step[660], 7)
    }
}
