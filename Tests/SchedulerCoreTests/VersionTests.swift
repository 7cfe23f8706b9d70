import XCTest
@testable import SchedulerCore

/// Model versions: the traffic split, and rollout steps under each policy family.
final class VersionTests: XCTestCase {
    let node = NodeTypeSpec(capacity: Resources(milliCPU: 4000, memoryMiB: 8192, gpus: 0))
    let model = ModelSpec(requires: Resources(milliCPU: 2000, memoryMiB: 2048, gpus: 0), allowedNodeTypes: [NodeTypeID(0)],
                          concurrency: 1, queueLimit: 1000)
    let t = { (s: Int64) in TimePoint(nanoseconds: s * 1_000_000_000) }

    /// Model 0 ("v1") and model 1 ("v2") are versions of one model; target 0 addresses it.
    func configuration(blueGreen: Bool = false, weights: [Int] = [50, 250, 1000]) -> ClusterConfiguration {
        var c = ClusterConfiguration(nodeTypes: [node], models: [model, model], targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: true)
        c.variantGroups = [VariantGroup(members: [ModelID(0), ModelID(1)], weights: [1000, 0])]
        c.rollouts = [RolloutPlan(group: 0, variant: ModelID(1), blueGreen: blueGreen, weights: blueGreen ? [1000] : weights)]
        return c
    }

    /// The smooth weighted round-robin follows the weights exactly over a cycle and to within
    /// one request over every prefix.
    func testSplitIsExactAndSmooth() {
        var cluster = Cluster(configuration: configuration())
        cluster.setWeight(ModelID(1), 250)
        XCTAssertEqual(cluster.weights, [750, 250])
        var toV2 = 0
        for n in 1...4000 {
            if cluster.route(ModelID(0)) == ModelID(1) { toV2 += 1 }
            XCTAssertLessThanOrEqual(abs(Double(toV2) - 0.25 * Double(n)), 1.0, "after \(n) requests")
        }
        XCTAssertEqual(toV2, 1000)
        // Three members: the others keep their proportions of what is left.
        var c = ClusterConfiguration(nodeTypes: [node], models: [model, model, model], targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: true)
        c.variantGroups = [VariantGroup(members: [ModelID(0), ModelID(1), ModelID(2)], weights: [600, 400, 0])]
        var three = Cluster(configuration: c)
        three.setWeight(ModelID(2), 500)
        XCTAssertEqual(three.weights, [300, 200, 500])
    }

    /// A canary on reserved capacity: the new version's share of the reserved instances starts
    /// cold (on a surge node when the pool is full); the weight changes only once it is
    /// ready; at 100 % the old version is retired and the surge sweep runs.
    func testCanaryOnReservedCapacityWaitsForReadyInstancesThenRetiresTheOld() {
        var core = Scheduler(configuration: configuration(), policy: TraditionalPolicy(nodes: [2], instances: [nil, nil], packable: [true, true]))
        var actions: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &actions)
        XCTAssertEqual(core.cluster.models[0].replicas, 4, "the declared version fills the pool")
        XCTAssertEqual(core.cluster.models[1].replicas, 0, "the new version has no instance before its rollout")
        actions.removeAll()
        core.handle(.rolloutStep(rollout: 0, step: 0), at: t(60), into: &actions)   // 5 % of 4 instances → 1
        XCTAssertEqual(core.cluster.models[1].replicas, 1)
        XCTAssertTrue(actions.contains { if case .startNode(_, _, false) = $0 { return true } else { return false } }, "a surge node")
        XCTAssertEqual(core.cluster.weights, [1000, 0], "no traffic before the canary is ready")
        // Requests still all go to the old version.
        core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t(61), into: &actions)
        XCTAssertEqual(core.cluster.currentModel(of: RequestID(0)), ModelID(0))
        core.handle(.requestFinished(RequestID(0)), at: t(62), into: &actions)
        let surgeNode = core.cluster.nodes.indices.first { core.cluster.nodes[$0].state == .booting }!
        core.handle(.nodeReady(NodeID(surgeNode)), at: t(120), into: &actions)
        let canary = core.cluster.instances.indices.first { core.cluster.instances[$0].model == ModelID(1) }!
        core.handle(.instanceReady(InstanceID(canary)), at: t(150), into: &actions)
        XCTAssertEqual(core.cluster.weights, [950, 50])
        // 100 %: four instances of the new version are needed; two more fit nowhere → surge.
        actions.removeAll()
        core.handle(.rolloutStep(rollout: 0, step: 2), at: t(600), into: &actions)
        XCTAssertEqual(core.cluster.models[1].replicas, 4)
        XCTAssertEqual(core.cluster.weights, [950, 50])
        for n in core.cluster.nodes.indices where core.cluster.nodes[n].state == .booting {
            core.handle(.nodeReady(NodeID(n)), at: t(700), into: &actions)
        }
        for i in core.cluster.instances.indices where core.cluster.instances[i].model == ModelID(1) && core.cluster.instances[i].state == .starting {
            core.handle(.instanceReady(InstanceID(i)), at: t(720), into: &actions)
        }
        XCTAssertEqual(core.cluster.weights, [0, 1000])
        XCTAssertEqual(core.cluster.models[0].replicas, 0, "the old version is retired")
        XCTAssertTrue(core.cluster.isRetired(ModelID(0)))
        // The sweep releases empty nodes beyond the reserved two.
        actions.removeAll()
        core.handle(.timerFired(TraditionalPolicy.surgeTimer), at: t(730), into: &actions)
        let live = core.cluster.nodes.filter { $0.state != .free }
        XCTAssertEqual(live.count, core.cluster.nodes.filter { $0.state != .free && $0.instances > 0 }.count, "no empty node left")
        XCTAssertEqual(live.reduce(0) { $0 + Int($1.instances) }, 4)
    }

    /// Blue-green: the new version is started at the size of the live one and takes all
    /// traffic when every instance is ready; the old one is retired then.
    func testBlueGreenSwitchesWhenTheNewVersionIsReady() {
        let policy = ElasticPolicy(parameters: .init(target: 0.5, minInstances: [3, 1], maxInstances: [10, 10],
                                                     nodes: .init(minNodes: [3], maxNodes: [4])))
        var core = Scheduler(configuration: configuration(blueGreen: true), policy: policy)
        var actions: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &actions)
        XCTAssertEqual(core.cluster.models[0].replicas, 3)
        XCTAssertEqual(core.cluster.models[1].replicas, 0)
        core.handle(.rolloutStep(rollout: 0, step: 0), at: t(100), into: &actions)
        XCTAssertEqual(core.cluster.models[1].replicas, 3, "green at blue's size")
        // An HPA sync while green is preparing does not scale it away.
        core.handle(.timerFired(ElasticPolicy.syncTimer), at: t(105), into: &actions)
        XCTAssertEqual(core.cluster.models[1].replicas, 3)
        let green = core.cluster.instances.indices.filter { core.cluster.instances[$0].model == ModelID(1) }
        for i in green where core.cluster.instances[i].state == .starting {
            core.handle(.instanceReady(InstanceID(i)), at: t(130), into: &actions)
            if core.cluster.models[1].ready < 3 { XCTAssertEqual(core.cluster.weights, [1000, 0]) }
        }
        XCTAssertEqual(core.cluster.weights, [0, 1000], "all traffic moved once green was ready")
        XCTAssertEqual(core.cluster.models[0].replicas, 0, "blue retired")
    }

    /// Serverless: a canary weight takes effect at once; the new version scales from zero as
    /// its traffic arrives.
    func testServerlessCanaryShiftsAtOnce() {
        var c = configuration()
        c.usesNodes = false
        var core = Scheduler(configuration: c, policy: ServerlessPolicy(parameters: .init(keepAlive: .seconds(600), concurrencyLimit: 0, nodes: nil)))
        var actions: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &actions)
        core.handle(.rolloutStep(rollout: 0, step: 1), at: t(10), into: &actions)
        XCTAssertEqual(core.cluster.weights, [750, 250])
        XCTAssertEqual(core.cluster.models[1].replicas, 0)
        for r in 0..<4 { core.handle(.requestArrived(RequestID(r), target: TargetID(0)), at: t(11), into: &actions) }
        XCTAssertEqual((0..<4).filter { core.cluster.currentModel(of: RequestID($0)) == ModelID(1) }.count, 1)
        XCTAssertEqual(core.cluster.models[1].replicas, 1, "started for the request routed to it")
    }
}
