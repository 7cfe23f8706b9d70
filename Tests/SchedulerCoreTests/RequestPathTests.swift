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

/// Cache-aware routing (SGLang's router's policy): a request follows its longest routed prompt
/// prefix when that is over the threshold of its blocks and the load is balanced; otherwise
/// it goes to the least loaded.
final class CacheAwareRoutingTests: XCTestCase {
    /// Half the time, when any request is in service: finishes one of them at random, and
    /// notes the queued requests the core dispatches in its place (`serving`: request →
    /// instance). True when it finished one.
    func finishOneAtRandom(_ core: inout Scheduler<TraditionalPolicy>, _ serving: inout [Int: Int], _ rng: inout SplitMix, at t: Int64) -> Bool {
        guard !serving.isEmpty && rng.below(2) == 0 else { return false }
        let done = serving.keys.sorted()[rng.below(serving.count)]
        var actions: [SchedulerAction] = []
        core.requestFinished(RequestID(done), at: TimePoint(nanoseconds: t), into: &actions)
        serving[done] = nil
        for case let .dispatch(request, instance, _) in actions { serving[request.index] = instance.index }
        return true
    }

    func core(instances: Int, concurrency: Int = 8, rule: ModelSpec.CacheAwareRouting = .init()) -> (Scheduler<TraditionalPolicy>, [Int]) {
        var model = ModelSpec(requires: Resources(milliCPU: 1000, memoryMiB: 1000, gpus: 0), allowedNodeTypes: [NodeTypeID(0)],
                              concurrency: concurrency, queueLimit: 1000)
        model.routing = .cacheAware(rule)
        let c = ClusterConfiguration(nodeTypes: [NodeTypeSpec(capacity: Resources(milliCPU: 64000, memoryMiB: 64000, gpus: 0))],
                                     models: [model], targets: [TargetSpec(stages: [ModelID(0)])], usesNodes: true)
        var core = Scheduler(configuration: c, policy: TraditionalPolicy(nodes: [1], instances: [instances], packable: [true]))
        var actions: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &actions)
        for case let .startNode(node, _, _) in actions { core.handle(.nodeReady(node), at: .zero, into: &actions) }
        var started: [Int] = []
        for case let .startInstance(instance, _, _, _) in actions {
            core.handle(.instanceReady(instance), at: .zero, into: &actions)
            started.append(instance.index)
        }
        return (core, started)
    }

    /// Where request `r` with prompt blocks `blocks` went (nil: not dispatched).
    func arrive(_ core: inout Scheduler<TraditionalPolicy>, _ r: Int, _ blocks: [Int32], at t: Int64 = 1) -> Int? {
        var actions: [SchedulerAction] = []
        blocks.withUnsafeBufferPointer {
            core.requestArrived(RequestID(r), target: TargetID(0), prefix: $0, at: TimePoint(nanoseconds: t), into: &actions)
        }
        for case let .dispatch(request, instance, _) in actions where request.index == r { return instance.index }
        return nil
    }

    func testAConversationStaysOnItsInstanceWhileItHasRoom() {
        // Session affinity: over many seeds, a request of a known conversation goes where the
        // conversation's previous request went when that instance has a free slot, else (and
        // the first of a conversation) to the least loaded; prefixes are ignored.
        var followed = 0, fellBack = 0
        for seed in 0..<100 {
            var rng = SplitMix(x: UInt64(seed))
            let n = 2 + rng.below(4), concurrency = 1 + rng.below(4)
            var (core, _) = core(instances: n, concurrency: concurrency)
            core = Scheduler(configuration: { var c = core.cluster.configuration; c.models[0].routing = .sessionAffinity; return c }(),
                             policy: TraditionalPolicy(nodes: [1], instances: [n], packable: [true]))
            var actions: [SchedulerAction] = []
            core.handle(.start, at: .zero, into: &actions)
            for case let .startNode(node, _, _) in actions { core.handle(.nodeReady(node), at: .zero, into: &actions) }
            for case let .startInstance(instance, _, _, _) in actions { core.handle(.instanceReady(instance), at: .zero, into: &actions) }
            var last: [Int32: Int] = [:]
            var serving: [Int: Int] = [:]
            var t: Int64 = 1
            for r in 0..<300 {
                t += 1
                if finishOneAtRandom(&core, &serving, &rng, at: t) { continue }
                let session = Int32(rng.below(12)) - 2   // -2, -1: no conversation
                let loads = (0..<core.cluster.instances.count).map { Int(core.cluster.instances[$0].inFlight) }
                let free = loads.indices.filter { loads[$0] < concurrency }
                var arrived: [SchedulerAction] = []
                let blocks: [Int32] = [Int32(rng.below(3))]
                blocks.withUnsafeBufferPointer {
                    core.requestArrived(RequestID(r), target: TargetID(0), prefix: $0, session: Swift.max(-1, session),
                                        at: TimePoint(nanoseconds: t), into: &arrived)
                }
                var chosen: Int?
                for case let .dispatch(request, instance, _) in arrived where request.index == r { chosen = instance.index }
                let context = "seed \(seed) request \(r) session \(session) loads \(loads)"
                guard let chosen else {
                    XCTAssertTrue(free.isEmpty, "queued with a free slot: " + context)
                    continue
                }
                serving[r] = chosen
                if session >= 0, let previous = last[session], free.contains(previous) {
                    XCTAssertEqual(chosen, previous, "sticky: " + context)
                    followed += 1
                } else {
                    XCTAssertEqual(loads[chosen], free.map { loads[$0] }.min()!, "least loaded: " + context)
                    fellBack += 1
                }
                if session >= 0 { last[session] = chosen }
            }
        }
        XCTAssertGreaterThan(followed, 1000)
        XCTAssertGreaterThan(fellBack, 1000)
    }

    func testARequestFollowsItsLongestRoutedPrefixAboveTheThreshold() {
        var (core, _) = core(instances: 3)
        let a = arrive(&core, 0, [0, 1, 2])!
        // Three of four blocks went to a's instance: it goes there, though others are idle.
        XCTAssertEqual(arrive(&core, 1, [0, 1, 2, 3]), a)
        // One of four (0.25 ≤ 0.3): the least loaded instead.
        let c = arrive(&core, 2, [0, 9, 10, 11])!
        XCTAssertNotEqual(c, a)
        XCTAssertEqual(core.cluster.instances[c].inFlight, 1)
        // A prompt without blocks routes least-loaded.
        let d = arrive(&core, 3, [])!
        XCTAssertEqual(core.cluster.instances[d].inFlight, 1)
        XCTAssertNotEqual(d, a)
        // The blocks now point where they last went: 0 to c's instance, 9… too.
        XCTAssertEqual(arrive(&core, 4, [0, 9, 10]), c)
    }

    func testAnImbalancedLoadGoesToTheLeastLoadedWhateverThePrefix() {
        var (core, _) = core(instances: 2, rule: .init(cacheThreshold: 0.3, balanceAbsThreshold: 1, balanceRelThreshold: 1.5))
        let a = arrive(&core, 0, [5, 6])!
        XCTAssertEqual(arrive(&core, 1, [5, 6, 7]), a, "1 − 0 is not over 1: balanced")
        let other = arrive(&core, 2, [5, 6, 7, 8])!
        XCTAssertNotEqual(other, a, "2 − 0 > 1 and 2 > 1.5 × 0: imbalanced")
    }

    func testChoicesAgainstTheRuleOverManySeeds() {
        var followed = 0, balanced = 0, queued = 0
        for seed in 0..<100 {
            var rng = SplitMix(x: UInt64(seed))
            let n = 2 + rng.below(4), concurrency = 1 + rng.below(6)
            let rule = ModelSpec.CacheAwareRouting(cacheThreshold: [0, 0.3, 0.6][rng.below(3)], balanceAbsThreshold: rng.below(4),
                                                   balanceRelThreshold: [1, 1.5, 3][rng.below(3)])
            var (core, _) = core(instances: n, concurrency: concurrency, rule: rule)
            var routed: [Int32: Int] = [:]
            var serving: [Int: Int] = [:]   // request → instance
            var t: Int64 = 1
            for r in 0..<300 {
                t += 1
                if finishOneAtRandom(&core, &serving, &rng, at: t) { continue }
                // A prompt of 1–5 blocks drawn from a small tree: ids 0…19 per level.
                let depth = 1 + rng.below(5)
                var blocks: [Int32] = []
                var id: Int32 = 0
                for level in 0..<depth {
                    id = id * 4 + Int32(rng.below(4)) + Int32(level * 1000)
                    blocks.append(id)
                }
                let loads = (0..<core.cluster.instances.count).map { Int(core.cluster.instances[$0].inFlight) }
                let free = loads.indices.filter { loads[$0] < concurrency }
                let chosen = arrive(&core, r, blocks, at: t)
                let context = "seed \(seed) request \(r) loads \(loads) blocks \(blocks)"
                guard let chosen else {
                    XCTAssertTrue(free.isEmpty, "queued with a free slot: " + context)
                    queued += 1
                    continue
                }
                serving[r] = chosen
                let low = free.map { loads[$0] }.min()!
                let high = free.count < n ? concurrency : free.map { loads[$0] }.max()!
                let imbalanced = high - low > rule.balanceAbsThreshold && Double(high) > rule.balanceRelThreshold * Double(low)
                var match: (depth: Int, instance: Int)?
                for (k, b) in blocks.enumerated().reversed() {
                    if let i = routed[b], free.contains(i) { match = (k + 1, i); break }
                }
                if !imbalanced, let match, Double(match.depth) > rule.cacheThreshold * Double(blocks.count) {
                    XCTAssertEqual(chosen, match.instance, "affinity: " + context)
                    followed += 1
                } else {
                    XCTAssertEqual(loads[chosen], low, "least loaded: " + context)
                    balanced += 1
                }
                for b in blocks { routed[b] = chosen }
            }
        }
        // Each way of choosing was taken many times.
        XCTAssertGreaterThan(followed, 1000)
        XCTAssertGreaterThan(balanced, 1000)
        XCTAssertGreaterThan(queued, 100)
    }
}
