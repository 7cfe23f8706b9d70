import SchedulerCore
import Scenario

// Building one plan's run: tables sized, samplers and random streams made, the run's
// constants read from the scenario.

extension Simulation {
    init(core: Scheduler<Policy>, scenario: Scenario, physics: PlanPhysics, seed: UInt64, interval: Double, speed: Double = 1,
         sources: [SourceState], callers: StringTable, versions: StringTable, log: RequestLogWriter?,
         prefixes: PrefixTree = PrefixTree()) {
        self.core = core
        self.prefixes = prefixes
        self.physics = physics
        self.sources = SlotTable<SourceState>(capacity: sources.count)
        for source in sources { self.sources.append(source) }
        self.callers = callers
        self.versions = versions
        self.log = log
        duration = Int64((scenario.duration / speed * 1e9).rounded())
        drainHorizon = duration + Int64(Sampler.never * 1e9)
        timeout = Int64((scenario.slo.timeout * 1e9).rounded())
        sloLatency = scenario.slo.latency.map { Int64(($0 * 1e9).rounded()) }
        roundTrip = Int64((scenario.networkRoundTrip * 1e9).rounded())
        sloTTFT = scenario.slo.ttft.map { Int64(($0 * 1e9).rounded()) }
        sloTPOT = scenario.slo.tpot.map { Int64(($0 * 1e9).rounded()) }
        tokenSLO = sloTTFT != nil || sloTPOT != nil
        sharesCPU = !physics.providerHosted && scenario.models.contains { $0.cpu != nil }
        modelCPU = scenario.models.map(\.cpu)
        modelCPULimit = scenario.models.map { $0.limitVCPUs ?? .infinity }
        // Kubernetes gives a container at least 2 CPU shares (2/1024 of a core) as its weight.
        modelCPUWeight = scenario.models.map { Swift.max($0.requires.vcpus, 2.0 / 1024) }
        modelInstanceThreads = scenario.models.map { $0.cpu?.instanceThreads ?? .infinity }
        modelCPUPeriod = scenario.models.map { Int64(($0.limitPeriod * 1e9).rounded()) }
        modelBoostFactor = scenario.models.map { $0.cpu?.startupBoost?.factor ?? 1 }
        modelBoostAfter = scenario.models.map { Int64((($0.cpu?.startupBoost?.afterReady ?? 0) * 1e9).rounded()) }
        quotaModels = scenario.models.contains { $0.cpu != nil && ($0.limitVCPUs != nil || $0.cpu?.startupBoost != nil) }
        modelSharedProcess = scenario.models.map(\.sharesProcess)
        tracksProcessSharing = sharesCPU && modelSharedProcess.contains(true)
        sharedService = [LatencyHistogram](repeating: LatencyHistogram(), count: tracksProcessSharing ? scenario.models.count : 0)
        gpuSharing = scenario.hardware.map(\.gpuSharing)
        modelGPUFraction = scenario.models.map { $0.gpuFraction ?? 0 }
        gpusPerNodeMax = Swift.max(1, scenario.hardware.map(\.gpus).max() ?? 1)
        sharesGPU = !physics.providerHosted && scenario.hardware.contains { $0.gpuSharing.map { $0.mode != .mig } ?? false }
            && scenario.models.contains { ($0.gpuFraction ?? 0) > 0 }
        contention = [ContentionStats](repeating: ContentionStats(), count: sharesCPU || sharesGPU ? physics.hardware.count : 0)
        nodeCores = scenario.hardware.map(\.vcpus)
        nodeBackground = scenario.hardware.map(\.contention.backgroundVCPUs)
        nodeInterference = scenario.hardware.map(\.contention.interference)
        nodeStartupInterference = scenario.hardware.map(\.contention.startupInterference)
        nodePerCore = scenario.hardware.map { $0.contention.runQueues == .perCore }
        anyPerCore = nodePerCore.contains(true)
        // By model and node type (`engineIndex`): an engine that takes its GPU from the node
        // type runs with that type's profile.
        engineModels = scenario.models.flatMap { m in
            scenario.hardware.indices.map { t in m.engine.map { EngineModel($0, profile: $0.profile(onType: t)) } }
        }
        engineLinks = scenario.models.flatMap { m in
            scenario.hardware.indices.map { t in
                m.engine.map { KVLink($0, profile: $0.profile(onType: t), sameNodeBandwidth: $0.sameNodeTransferBandwidth(onType: t, nodeGPU: scenario.hardware[t].gpuModel)) }
                    ?? KVLink()
            }
        }
        anyEngine = engineModels.contains { $0 != nil }
        engineModel = scenario.models.map { $0.engine != nil }
        reportsEngines = anyEngine && (Policy.self == ElasticPolicy.self || Policy.self == StepScalingPolicy.self)
        routesByPrefix = core.cluster.configuration.models.contains { m in
            if case .cacheAware = m.routing { return true }
            if case .sessionAffinity = m.routing { return true }
            return false
        }
        enginePerTarget = anyEngine ? [EngineStats](repeating: EngineStats(), count: scenario.targetNames.count) : []
        if anyEngine { engineEnded.reserveCapacity(engineModels.reduce(0) { Swift.max($0, $1?.maxSequences ?? 0) }) }
        self.interval = Int64((interval * 1e9).rounded())
        serviceRNG = RandomSource(seed: seed, stream: 1)
        coldRNG = RandomSource(seed: seed, stream: 2)
        bootRNG = RandomSource(seed: seed, stream: 3)
        stockoutRNG = RandomSource(seed: seed, stream: 5)
        spotRNG = RandomSource(seed: seed, stream: 6)
        liveByType = [Int](repeating: 0, count: physics.hardware.count)
        excessSince = [Int64](repeating: 0, count: physics.hardware.count)
        perTarget = SlotTable<OutcomeStats>(capacity: scenario.targetNames.count)
        for _ in 0..<scenario.targetNames.count { perTarget.append(OutcomeStats()) }
        hardwareCount = physics.hardware.count
        stageLatency = (0..<scenario.targetNames.count).map { t in
            let stages = scenario.stages(of: TargetRef(index: t)).count
            return stages > 1 ? [LatencyHistogram](repeating: LatencyHistogram(), count: stages) : []
        }
        if physics.providerHosted {
            serviceSamplers = physics.models.map(\.providerService)
        } else {
            serviceSamplers = physics.models.flatMap { m in m.service.map { $0 ?? .constant(0) } }
        }
        inverseConcurrency = physics.models.map { 1 / Double($0.concurrency) }
        modelMemoryGB = physics.models.map(\.memoryGB)
        modelGPUs = physics.models.map(\.gpus)
        modelNames = scenario.models.map(\.name)
        modelVersions = scenario.models.map { $0.version ?? "" }
        modelHasVersions = scenario.models.map { !$0.variantGroup.isEmpty }
        targetNames = scenario.targetNames
        hardwareNames = scenario.hardware.map(\.name)
        actions.reserveCapacity(64)
        // One row per interval up to the duration (a few more while requests drain): reserved
        // up front so a long run never holds the old and the grown buffer at once.
        if self.interval > 0 { timeseries.reserveCapacity(Int(duration / self.interval) + 4) }
        let submissions = scenario.trainingSubmissions
        jobSubmittedAt = submissions.map { Int64(($0.time * 1e9).rounded()) }
        jobDuration = submissions.map { Int64((scenario.training[$0.job].duration * 1e9).rounded()) }
        jobNodes = submissions.map { scenario.training[$0.job].nodes }
        jobGPUs = submissions.map { scenario.training[$0.job].nodes * scenario.hardware[scenario.training[$0.job].hardware].gpus }
        jobGeneration = [UInt32](repeating: 0, count: submissions.count)
        jobStartedAt = [Int64](repeating: -1, count: submissions.count)
        jobEverStarted = [Bool](repeating: false, count: submissions.count)
        training.jobs = submissions.count
        graphs = (0..<scenario.targetNames.count).map { t in
            let m = scenario.models.count
            guard t >= m, let deps = scenario.pipelines[t - m].dependencies else { return nil }
            return PipelineGraph(stages: scenario.pipelines[t - m].stages.map { ModelID($0) }, dependencies: deps)
        }
        isGraph = graphs.map { $0 != nil }
        maxGraphStages = graphs.reduce(0) { Swift.max($0, $1?.stages.count ?? 0) }
        readyStages.reserveCapacity(maxGraphStages)
        tracksVersions = !scenario.rollouts.isEmpty || scenario.models.contains { !$0.variantGroup.isEmpty }
        perModel = tracksVersions ? [OutcomeStats](repeating: OutcomeStats(), count: scenario.models.count) : []
        rolloutSteps = scenario.rollouts.enumerated().flatMap { k, r in
            r.steps.enumerated().map { (time: Int64(($0.element.at * 1e9).rounded()), rollout: k, step: $0.offset) }
        }
    }
}
