import XCTest
@testable import SchedulerCore

/// `requestArrived(_:target:caller:at:into:)` and `requestFinished(_:at:into:)` are the
/// request-path inputs as methods of their own (the simulator's per-request loop calls them).
/// `handle` forwards those two inputs to them; this keeps the two entry points one: many seeds
/// of random inputs go to two cores, one through `handle` only and one through the direct
/// methods, and every action and the final bookkeeping must be the same. (What the request
/// path does is tested through `handle` by the other core tests.)
final class RequestPathTests: XCTestCase {
    /// Two versions of model 0 (a 70/30 split), a two-stage pipeline ending on the split model,
    /// a caller with a quota of 2, short queues.
    func configuration(usesNodes: Bool) -> ClusterConfiguration {
        let model = ModelSpec(requires: Resources(milliCPU: 1000, memoryMiB: 1000, gpus: 0),
                              allowedNodeTypes: usesNodes ? [NodeTypeID(0)] : [], concurrency: 2, queueLimit: 3)
        var c = ClusterConfiguration(
            nodeTypes: usesNodes ? [NodeTypeSpec(capacity: Resources(milliCPU: 4000, memoryMiB: 4000, gpus: 0))] : [],
            models: [model, model, model],
            targets: [TargetSpec(stages: [ModelID(0)]), TargetSpec(stages: [ModelID(2), ModelID(0)])],
            usesNodes: usesNodes)
        c.variantGroups = [VariantGroup(members: [ModelID(0), ModelID(1)], weights: [700, 300])]
        c.callerQuotas = [0, 0, 2]
        return c
    }

    func testDirectRequestInputsActLikeHandle() {
        for seed in 1...60 {
            drive(seed: seed, configuration: configuration(usesNodes: true),
                  policy: TraditionalPolicy(nodes: [2], instances: [2, 1, 1], packable: [true]))
            drive(seed: seed, configuration: configuration(usesNodes: false),
                  policy: ServerlessPolicy(parameters: .init(keepAlive: .seconds(5), concurrencyLimit: 4, nodes: nil)))
        }
    }

    /// A small host: it reports what the actions asked for (instances and nodes ready, timers
    /// due, services ending, callers giving up) in a random order, to both cores alike.
    func drive<P: ScalingPolicy>(seed: Int, configuration: ClusterConfiguration, policy: P) {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        func next(_ n: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(n))
        }
        var viaHandle = Scheduler(configuration: configuration, policy: policy)
        var direct = Scheduler(configuration: configuration, policy: policy)
        var a: [SchedulerAction] = [], b: [SchedulerAction] = []
        var inService: [Int] = [], live: [Int] = []
        var starting: [Int] = [], booting: [Int] = []
        var timers: [Int: TimePoint] = [:]
        var nextRequest = 0, dispatches = 0, completions = 0
        viaHandle.handle(.start, at: .zero, into: &a)
        direct.handle(.start, at: .zero, into: &b)
        for step in 1...500 {
            let now = TimePoint(nanoseconds: Int64(step) * 100_000_000)
            // Stop at the first difference: the cores' states have parted, and inputs meant for
            // one (a finish for a request only it dispatched) would trip the other's preconditions.
            guard a == b else { return XCTFail("seed \(seed) step \(step): \(a) ≠ \(b)") }
            for action in a {
                switch action {
                case let .dispatch(r, _, _): inService.append(r.index); dispatches += 1
                case let .complete(r): live.removeAll { $0 == r.index }; completions += 1
                case let .reject(r, _), let .release(r): live.removeAll { $0 == r.index }
                case let .startInstance(i, _, _, warm): if !warm { starting.append(i.index) }
                case let .stopInstance(i): starting.removeAll { $0 == i.index }
                case let .startNode(n, _, warm): if !warm { booting.append(n.index) }
                case let .setTimer(t, at): timers[t.index] = at
                case let .cancelTimer(t): timers[t.index] = nil
                default: break
                }
            }
            a.removeAll(); b.removeAll()
            let input: SchedulerInput
            if let (t, _) = timers.filter({ $0.value <= now }).min(by: { $0.key < $1.key }) {
                timers[t] = nil
                input = .timerFired(TimerID(t))
            } else if !booting.isEmpty && next(3) == 0 {
                input = .nodeReady(NodeID(booting.removeFirst()))
            } else if !starting.isEmpty && next(3) == 0 {
                input = .instanceReady(InstanceID(starting.removeFirst()))
            } else {
                switch next(10) {
                case 0..<5:
                    let r = nextRequest
                    nextRequest += 1
                    live.append(r)
                    input = .requestArrived(RequestID(r), target: TargetID(next(2)), caller: CallerID(next(3)))
                case 5..<9 where !inService.isEmpty:
                    input = .requestFinished(RequestID(inService.remove(at: next(inService.count))))
                default:
                    guard !live.isEmpty else { continue }
                    // A request in service stays in `inService`: its service still ends.
                    input = .requestTimedOut(RequestID(live.remove(at: next(live.count))))
                }
            }
            viaHandle.handle(input, at: now, into: &a)
            switch input {
            case let .requestArrived(r, target, caller): direct.requestArrived(r, target: target, caller: caller, at: now, into: &b)
            case let .requestFinished(r): direct.requestFinished(r, at: now, into: &b)
            default: direct.handle(input, at: now, into: &b)
            }
        }
        XCTAssertEqual(a, b, "seed \(seed): last step")
        XCTAssertGreaterThan(dispatches, 50, "seed \(seed): the run exercised the request path")
        XCTAssertGreaterThan(completions, 10, "seed \(seed)")
        for m in 0..<3 {
            XCTAssertEqual(viaHandle.cluster.models[m].queued, direct.cluster.models[m].queued, "seed \(seed) model \(m)")
            XCTAssertEqual(viaHandle.cluster.models[m].replicas, direct.cluster.models[m].replicas, "seed \(seed) model \(m)")
            XCTAssertEqual(viaHandle.cluster.models[m].busySlots, direct.cluster.models[m].busySlots, "seed \(seed) model \(m)")
        }
        XCTAssertEqual(viaHandle.cluster.callerInFlight, direct.cluster.callerInFlight, "seed \(seed)")
        XCTAssertEqual(viaHandle.cluster.instances.map(\.state), direct.cluster.instances.map(\.state), "seed \(seed)")
    }
}

/// Routing: the most recently used instance packs the load; least-loaded spreads it (LLM
/// servers, whose requests slow down with their batch).
final class RoutingTests: XCTestCase {
    func dispatches(_ routing: ModelSpec.Routing) -> [Int] {
        var model = ModelSpec(requires: Resources(milliCPU: 1000, memoryMiB: 1000, gpus: 0), allowedNodeTypes: [NodeTypeID(0)],
                              concurrency: 8, queueLimit: 10)
        model.routing = routing
        let c = ClusterConfiguration(nodeTypes: [NodeTypeSpec(capacity: Resources(milliCPU: 4000, memoryMiB: 4000, gpus: 0))],
                                     models: [model], targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: true)
        var core = Scheduler(configuration: c, policy: TraditionalPolicy(nodes: [1], instances: [3], packable: [true]))
        var actions: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &actions)
        for case let .startNode(node, _, _) in actions { core.handle(.nodeReady(node), at: .zero, into: &actions) }
        for case let .startInstance(instance, _, _, _) in actions { core.handle(.instanceReady(instance), at: .zero, into: &actions) }
        actions.removeAll()
        for r in 0..<6 { core.handle(.requestArrived(RequestID(r), target: TargetID(0)), at: TimePoint(nanoseconds: 1_000_000_000), into: &actions) }
        // One finishes: under least-loaded routing the next goes where the fewest are.
        var dispatched: [Int] = []
        for case let .dispatch(_, instance, _) in actions { dispatched.append(instance.index) }
        actions.removeAll()
        core.handle(.requestFinished(RequestID(0)), at: TimePoint(nanoseconds: 2_000_000_000), into: &actions)
        core.handle(.requestArrived(RequestID(6), target: TargetID(0)), at: TimePoint(nanoseconds: 2_000_000_000), into: &actions)
        for case let .dispatch(_, instance, _) in actions { dispatched.append(instance.index) }
        return dispatched
    }

    func testLeastLoadedSpreadsAndMostRecentlyUsedPacks() {
        let packed = dispatches(.mostRecentlyUsed)
        XCTAssertEqual(Set(packed.prefix(6)).count, 1, "\(packed)")
        let spread = dispatches(.leastLoaded)
        let counts = Dictionary(grouping: spread.prefix(6), by: { $0 }).mapValues(\.count)
        XCTAssertEqual(counts.values.sorted(), [2, 2, 2], "\(spread)")
        // Request 0 left the first instance it went to: the seventh goes there.
        XCTAssertEqual(spread[6], spread[0], "\(spread)")
    }
}
