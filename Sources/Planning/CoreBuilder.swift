import SchedulerCore
import Scenario

/// Something that runs a scheduler core, whatever its policy type: the simulator's run loop,
/// the runtime's host, a decision-log replay.
///
/// The core is generic over its policy so the request path has no existential call; a host
/// receives the concrete `Scheduler<P>` here and is specialised for it.
public protocol CoreVisitor {
    associatedtype Output
    func visit<P: ScalingPolicy>(_ core: Scheduler<P>) throws -> Output
}

/// The callers a plan's core knows by id: those with a quota get the first ids (from 1, in
/// file order), so the core's quota table is indexed by them.
public struct CallerDirectory: Sendable {
    /// Caller names by id; id 0 is "no caller" ("").
    public private(set) var names: [String] = [""]
    /// In-flight limits by caller id (0: none), the core's `callerQuotas`.
    public private(set) var quotas: [Int] = [0]
    private var index: [String: Int] = ["": 0]

    public init(_ scenario: Scenario) {
        for q in scenario.callerQuotas {
            let id = intern(q.caller)
            quotas[id] = q.maxConcurrent
        }
    }

    /// The id of a caller name, adding it when new.
    ///
    /// - Complexity: O(1) amortized.
    public mutating func intern(_ name: String) -> Int {
        if let k = index[name] { return k }
        names.append(name)
        quotas.append(0)
        index[name] = names.count - 1
        return names.count - 1
    }
}

extension PlanBuilder {
    /// Builds the core for plan `planIndex` — configuration and policy, exactly as every host
    /// runs it — and hands it to `visitor`, specialised for the plan's policy type.
    @inlinable
    public static func withCore<V: CoreVisitor>(_ s: Scenario, planIndex: Int, callerQuotas: [Int], _ visitor: V) throws -> V.Output {
        switch s.plans[planIndex].policy {
        case let .traditional(nodes, instances):
            // Reserved capacity never reads busy-slot counts: the core skips them.
            var config = configuration(s, providerHosted: false, callerQuotas: callerQuotas, routing: s.plans[planIndex].routing)
            config.countsBusySlots = false
            return try visitor.visit(Scheduler(configuration: config, policy: traditional(s, nodes: nodes, instances: instances)))
        case let .elastic(e) where e.step != nil:
            return try visitor.visit(Scheduler(configuration: configuration(s, providerHosted: false, tracksUtilisation: true, callerQuotas: callerQuotas, routing: s.plans[planIndex].routing),
                                               policy: stepScaling(s, e)))
        case let .elastic(e):
            return try visitor.visit(Scheduler(configuration: configuration(s, providerHosted: false, tracksUtilisation: true, callerQuotas: callerQuotas, routing: s.plans[planIndex].routing),
                                               policy: elastic(s, e)))
        case let .serverless(sv) where sv.kpa != nil:
            return try visitor.visit(Scheduler(configuration: configuration(s, providerHosted: false, tracksUtilisation: true, callerQuotas: callerQuotas, routing: s.plans[planIndex].routing),
                                               policy: knative(s, sv)))
        case let .serverless(sv):
            return try visitor.visit(Scheduler(configuration: configuration(s, providerHosted: sv.hosting == .provider, callerQuotas: callerQuotas, routing: s.plans[planIndex].routing),
                                               policy: serverless(s, sv)))
        }
    }
}

extension PlanBuilder {
    /// A model the plan can never serve, and why.
    public struct NoCapacity: Sendable, Equatable {
        public var model: Int
        public var why: String
    }

    /// The models that plan `planIndex` gives no capacity at all, as the core decides at its
    /// start: a reserved plan that places no instance of a model (its instances are shared out
    /// by the workload, and no workload source calls it), or an autoscaler whose instance
    /// range for it is 0…0. Each such model answers every request with "no capacity".
    public static func modelsWithoutCapacity(_ s: Scenario, planIndex: Int) -> [NoCapacity] {
        struct Probe: CoreVisitor {
            let s: Scenario
            func visit<P: ScalingPolicy>(_ core: Scheduler<P>) throws -> [NoCapacity] {
                var core = core
                var actions: [SchedulerAction] = []
                core.handle(.start, at: .zero, into: &actions)
                let used = PlanBuilder.usedModels(s)
                var none: [NoCapacity] = []
                for m in s.models.indices where !core.cluster.isRetired(ModelID(m)) {
                    let reason: String
                    if let range = core.policy as? any InstanceRangePolicy {
                        guard range.maxInstances[m] == 0 else { continue }
                        reason = used[m] ? "the plan allows it no instance" : "no workload source calls it, so the plan's instance range for it is 0"
                    } else if core.policy is TraditionalPolicy {
                        guard core.cluster.models[m].replicas == 0 else { continue }
                        reason = used[m] ? "no node of the plan has room for it"
                            : "the plan reserves no instance for it: reserved instances are shared out by the workload, and no workload source calls it"
                    } else {
                        continue
                    }
                    none.append(NoCapacity(model: m, why: reason))
                }
                return none
            }
        }
        let s = s.forPlan(planIndex)
        return (try? withCore(s, planIndex: planIndex, callerQuotas: CallerDirectory(s).quotas, Probe(s: s))) ?? []
    }
}
