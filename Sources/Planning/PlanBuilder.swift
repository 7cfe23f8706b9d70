import SchedulerCore
import Scenario

/// Turns a scenario's plan into the scheduler core's configuration and policy.
///
/// Both hosts build their core here — the simulator on a virtual clock, the runtime on the
/// wall clock — so a plan means the same decisions in either: "what you simulated is what
/// runs". Physics (service, boot and cold-start times, prices) is each host's own.
public enum PlanBuilder {
    /// The models some workload source can reach.
    /// Call it on the scenario as a plan serves it (`Scenario.forPlan`).
    public static func usedModels(_ s: Scenario) -> [Bool] {
        var used = [Bool](repeating: false, count: s.models.count)
        for source in s.workload { for m in s.stages(reachedBy: source) { used[m] = true } }
        // A model with versions: its versions serve its traffic too.
        for m in s.models.indices where used[m] { for g in s.models[m].variantGroup { used[g] = true } }
        return used
    }

    ///
    /// `routing` (a plan's, by model) puts another balancer in front of an LLM model than its
    /// engine names.
    public static func configuration(_ s: Scenario, providerHosted: Bool, tracksUtilisation: Bool = false, callerQuotas: [Int] = [],
                                     routing: [EngineSpec.Routing?] = []) -> ClusterConfiguration {
        let nodeTypes = s.hardware.map { hw -> NodeTypeSpec in
            var spec = NodeTypeSpec(capacity: Resources(milliCPU: Int64((hw.vcpus * 1000).rounded()),
                                                        memoryMiB: Int64((hw.memoryGiB * 1024).rounded()), gpus: Int64(hw.gpuSlots)))
            spec.retriesInterrupted = hw.spot?.retryInterrupted ?? true
            return spec
        }
        let models = s.models.enumerated().map { k, m in
            var spec = ModelSpec(requires: Resources(milliCPU: Int64((m.requires.vcpus * 1000).rounded()),
                                                     memoryMiB: Int64((m.requires.memoryGiB * 1024).rounded()), gpus: Int64(m.requires.gpus)),
                                 allowedNodeTypes: m.runsOn.map { NodeTypeID($0) },
                                 // Provider hosting: one request per environment (Lambda; autoscalers.md §4.1).
                                 concurrency: providerHosted ? 1 : m.concurrency,
                                 queueLimit: m.queueLimit)
            // LLM servers sit behind a least-request balancer: a request's speed depends on the
            // batch it joins, so packing one server while another idles would be wrong.
            // A plan's balancer in place of the engine's; the engine's cache-aware thresholds
            // stay when both are cache-aware.
            var balancer = m.engine?.routing
            if k < routing.count, let r = routing[k], m.engine != nil {
                if case .cacheAware = r, case .cacheAware? = balancer {} else { balancer = r }
            }
            switch balancer {
            case .leastLoaded: spec.routing = .leastLoaded
            case let .cacheAware(threshold, absolute, relative):
                spec.routing = .cacheAware(ModelSpec.CacheAwareRouting(cacheThreshold: threshold, balanceAbsThreshold: absolute, balanceRelThreshold: relative))
            case .sessionAffinity: spec.routing = .sessionAffinity
            case nil: break
            }
            return spec
        }
        let targets = (0..<s.targetNames.count).map { TargetSpec(stages: s.stages(of: TargetRef(index: $0)).map { ModelID($0) }) }
        var configuration = ClusterConfiguration(nodeTypes: nodeTypes, models: models, targets: targets, usesNodes: !providerHosted,
                                                 tracksUtilisation: tracksUtilisation)
        configuration.callerQuotas = callerQuotas
        configuration.variantGroups = s.models.indices.compactMap { m in
            let model = s.models[m]
            guard model.variantOf == nil, !model.variantGroup.isEmpty else { return nil }
            // Before any rollout the declared version takes all traffic.
            return VariantGroup(members: model.variantGroup.map { ModelID($0) },
                                weights: model.variantGroup.map { $0 == m ? 1000 : 0 })
        }
        configuration.rollouts = s.rollouts.map { r in
            let group = configuration.variantGroups.firstIndex { $0.members.first == ModelID(r.model) }!
            return RolloutPlan(group: group, variant: ModelID(r.variant), blueGreen: r.blueGreen,
                               weights: r.steps.map { Int(($0.weight * 10).rounded()) })
        }
        configuration.jobs = s.trainingSubmissions.map { sub in
            let job = s.training[sub.job]
            return JobSpec(nodeType: NodeTypeID(job.hardware), nodes: job.nodes, priority: job.priority)
        }
        return configuration
    }

    public static func nodeParameters(_ s: Scenario, _ ranges: [NodeRange], scan: Double?, unneeded: Double?, delay: Double?,
                               quota: NodeQuota = NodeQuota()) -> NodeAutoscaler.Parameters {
        var minNodes = [Int](repeating: 0, count: s.hardware.count)
        var maxNodes = [Int](repeating: 0, count: s.hardware.count)
        for r in ranges { minNodes[r.hardware] = r.min; maxNodes[r.hardware] = r.max }
        var p = NodeAutoscaler.Parameters(minNodes: minNodes, maxNodes: maxNodes)
        if let scan { p.scanInterval = .seconds(scan) }
        if let unneeded { p.unneededTime = .seconds(unneeded) }
        if let delay { p.delayAfterAdd = .seconds(delay) }
        p.maxVCPUsTotal = quota.vcpus
        p.maxGPUsTotal = quota.gpus
        return p
    }

    public static func traditional(_ s: Scenario, nodes: [Int], instances: [Int?]) -> TraditionalPolicy {
        let used = usedModels(s)
        return TraditionalPolicy(nodes: nodes, instances: instances, packable: used)
    }

    public static func elastic(_ s: Scenario, _ e: ElasticPlan) -> ElasticPolicy {
        let used = usedModels(s)
        var minI = used.map { $0 ? 1 : 0 }                 // HPA minReplicas API default 1
        var maxI = used.map { $0 ? 1000 : 0 }
        for r in e.instances where used[r.model] { minI[r.model] = r.min; maxI[r.model] = r.max }
        var p = ElasticPolicy.Parameters(target: e.target, minInstances: minI, maxInstances: maxI,
                                         nodes: nodeParameters(s, e.nodes, scan: e.nodeScanInterval, unneeded: e.nodeUnneededTime, delay: e.scaleDownDelayAfterAdd, quota: e.quota))
        if let t = e.tolerance { p.tolerance = t }
        if let sp = e.syncPeriod { p.syncPeriod = .seconds(sp) }
        if let d = e.downscaleStabilization { p.downscaleStabilization = .seconds(d) }
        p.metric = ElasticPolicy.Metric(rawValue: e.metric) ?? .utilisation
        if let b = e.behavior { p.behavior = behavior(b, downscaleStabilization: p.downscaleStabilization) }
        if let k = e.keda {
            var keda = KEDASettings()
            if let x = k.pollingInterval { keda.pollingInterval = .seconds(x) }
            if let x = k.cooldownPeriod { keda.cooldownPeriod = .seconds(x) }
            if let x = k.activationThreshold { keda.activationThreshold = x }
            p.keda = keda
        }
        return ElasticPolicy(parameters: p)
    }

    /// Step scaling: the elastic plan's instance ranges and node layer, with its alarms.
    public static func stepScaling(_ s: Scenario, _ e: ElasticPlan) -> StepScalingPolicy {
        let hpa = elastic(s, e).parameters
        var p = StepScalingPolicy.Parameters(minInstances: hpa.minInstances, maxInstances: hpa.maxInstances, nodes: hpa.nodes)
        let spec = e.step!
        p.period = .seconds(spec.period)
        p.warmup = .seconds(spec.warmup)
        p.cooldown = spec.cooldown.map { .seconds($0) }
        p.metric = hpa.metric
        func alarm(_ a: StepSpec.Alarm?) -> StepScalingPolicy.Alarm? {
            a.map { a in
                StepScalingPolicy.Alarm(threshold: a.threshold, evaluationPeriods: a.evaluationPeriods, steps: a.steps.map { step in
                    let adjustment: StepScalingPolicy.Adjustment
                    switch step.kind {
                    case "percent": adjustment = .percent(step.value)
                    case "exact": adjustment = .exact(Int(step.value))
                    default: adjustment = .change(Int(step.value))
                    }
                    return StepScalingPolicy.Step(lower: step.lower, upper: step.upper, adjustment: adjustment)
                })
            }
        }
        p.scaleOut = alarm(spec.scaleOut)
        p.scaleIn = alarm(spec.scaleIn)
        return StepScalingPolicy(parameters: p)
    }

    /// The HPA behavior with the API server's defaults where the scenario is silent; a
    /// scale-down stabilisation left unset takes the controller flag's value.
    public static func behavior(_ b: BehaviorSpec, downscaleStabilization: TimeSpan) -> HPABehavior {
        var h = HPABehavior()
        h.scaleDown.stabilizationWindow = downscaleStabilization
        func apply(_ spec: BehaviorSpec.Rules?, to rules: inout HPABehavior.Rules) {
            guard let spec else { return }
            if let w = spec.stabilizationWindow { rules.stabilizationWindow = .seconds(w) }
            if let s = spec.selectPolicy, let select = HPABehavior.Select(rawValue: s) { rules.select = select }
            if let ps = spec.policies {
                rules.policies = ps.map { HPABehavior.Policy(type: HPABehavior.PolicyType(rawValue: $0.type) ?? .pods, value: $0.value, period: .seconds($0.period)) }
            }
        }
        apply(b.scaleUp, to: &h.scaleUp)
        apply(b.scaleDown, to: &h.scaleDown)
        return h
    }

    public static func serverless(_ s: Scenario, _ sv: ServerlessPlan) -> ServerlessPolicy {
        let nodes = sv.hosting == .self
            ? nodeParameters(s, sv.nodes, scan: sv.nodeScanInterval, unneeded: sv.nodeUnneededTime, delay: sv.scaleDownDelayAfterAdd, quota: sv.quota)
            : nil
        var parameters = ServerlessPolicy.Parameters(keepAlive: .seconds(sv.keepAlive), concurrencyLimit: sv.concurrencyLimit, nodes: nodes)
        if sv.hybridKeepAlive { parameters.hybridHistogram = HybridHistogram.Parameters() }
        parameters.scaleRatePer10s = sv.scaleRatePer10s
        parameters.provisioned = sv.provisioned
        return ServerlessPolicy(parameters: parameters)
    }

    public static func knativeParameters(_ k: KPASettings) -> KPADecider.Parameters {
        var p = KPADecider.Parameters()
        if let x = k.targetUtilisation { p.targetUtilisation = x }
        if let x = k.stableWindow { p.stableWindow = Int(x.rounded()) }
        if let x = k.panicWindowPercentage { p.panicWindowPercentage = x }
        if let x = k.panicThreshold { p.panicThreshold = x }
        if let x = k.maxScaleUpRate { p.maxScaleUpRate = x }
        if let x = k.maxScaleDownRate { p.maxScaleDownRate = x }
        if let x = k.scaleToZeroGrace { p.scaleToZeroGrace = Int(x.rounded(.up)) }
        return p
    }

    public static func knative(_ s: Scenario, _ sv: ServerlessPlan) -> KnativePolicy {
        KnativePolicy(parameters: knativeParameters(sv.kpa!),
                      nodes: nodeParameters(s, sv.nodes, scan: sv.nodeScanInterval, unneeded: sv.nodeUnneededTime, delay: sv.scaleDownDelayAfterAdd, quota: sv.quota),
                      used: usedModels(s))
    }

    /// A traditional plan's core after its start: its nodes up and its instances placed
    /// (pinned counts as written, the rest packed).
    public static func startedTraditional(_ s: Scenario, nodes: [Int], instances: [Int?]) -> Scheduler<TraditionalPolicy> {
        var core = Scheduler(configuration: configuration(s, providerHosted: false), policy: traditional(s, nodes: nodes, instances: instances))
        var actions: [SchedulerAction] = []
        core.handle(.start, at: .zero, into: &actions)
        return core
    }

    /// Checks that a plan's starting capacity makes sense: a traditional plan gives every used
    /// model at least one instance and every pinned instance a place. Throws a scenario error.
    public static func checkPlan(_ s: Scenario, planIndex: Int) throws {
        let s = s.forPlan(planIndex)
        let plan = s.plans[planIndex]
        guard case let .traditional(nodes, instances) = plan.policy else { return }
        let core = startedTraditional(s, nodes: nodes, instances: instances)
        if core.cluster.pendingInstances > 0 {
            let over = s.models.indices.filter { m in core.cluster.instances.contains { $0.model == ModelID(m) && $0.state == .pending } }
            throw ScenarioError(file: s.file, path: plan.jsonPath + ".instances",
                                message: "the pinned instances do not fit on the plan's nodes (no room for \(over.map { "\"\(s.models[$0].name)\"" }.joined(separator: ", ")))",
                                suggestion: "add nodes of a type these models run on, or pin fewer instances")
        }
        let used = usedModels(s)
        for m in s.models.indices where used[m] && core.cluster.models[m].replicas == 0 && !core.cluster.isRetired(ModelID(m)) {
            let types = s.models[m].runsOn.map { s.hardware[$0].name }.joined(separator: ", ")
            throw ScenarioError(file: s.file, path: plan.jsonPath + ".nodes",
                                message: "model \"\(s.models[m].name)\" gets no instance: no node of this plan that it runs on (\(types)) has room for it",
                                suggestion: "add nodes of \(s.hardware[s.models[m].runsOn[0]].name), or pin fewer instances of other models")
        }
    }
}
