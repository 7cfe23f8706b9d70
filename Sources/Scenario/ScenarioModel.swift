// The typed form of a scenario file. Durations are seconds (Double), money USD, sizes GiB,
// rates per second. Every entity keeps the file's order; references are resolved to indices.

/// A probability distribution of a duration (seconds) or of a count.
public enum DistributionSpec: Sendable, Equatable {
    case constant(Double)
    case exponential(mean: Double)
    /// Lognormal given by its mean and coefficient of variation (σ/μ).
    case lognormal(mean: Double, cv: Double)
    case uniform(min: Double, max: Double)
    /// Gamma given by its mean and coefficient of variation (shape = 1/cv²).
    case gamma(mean: Double, cv: Double)
    /// Piecewise-linear inverse CDF through (percentile 0…100, value) points, sorted.
    case empirical([EmpiricalPoint])
    /// Token-driven service time: base + input tokens × perInputToken + output × perOutputToken.
    case tokens(base: Double, perInputToken: Double, perOutputToken: Double)

    /// The mean, where it has a closed form (tokens: the base only).
    public var mean: Double {
        switch self {
        case let .constant(v): return v
        case let .exponential(mean): return mean
        case let .lognormal(mean, _): return mean
        case let .uniform(a, b): return (a + b) / 2
        case let .gamma(mean, _): return mean
        case let .empirical(points):
            var total = 0.0
            for k in 1..<points.count {
                total += (points[k].percentile - points[k - 1].percentile) / 100 * (points[k].value + points[k - 1].value) / 2
            }
            return total
        case let .tokens(base, _, _): return base
        }
    }

    /// Whether the distribution needs request token counts.
    public var isTokenDriven: Bool {
        if case .tokens = self { return true }
        return false
    }
}

public struct EmpiricalPoint: Sendable, Equatable {
    public var percentile: Double
    public var value: Double
    public init(percentile: Double, value: Double) {
        self.percentile = percentile
        self.value = value
    }
}

/// Node billing: increment and minimum billed duration.
public struct Billing: Sendable, Equatable {
    public var increment: Double
    public var minimum: Double
    /// EC2 Linux: per second with a 60-second minimum (AWS, 2 Oct 2017; autoscalers.md §6.2).
    public static let ec2Linux = Billing(increment: 1, minimum: 60)
    public init(increment: Double, minimum: Double) {
        self.increment = increment
        self.minimum = minimum
    }
}

public struct HardwareType: Sendable, Equatable {
    public var name: String
    public var vcpus: Double
    public var memoryGiB: Double
    public var gpus: Int
    public var pricePerHour: Double
    public var boot: DistributionSpec
    public var billing: Billing
    /// Image pull bandwidth (MB/s) for images given by `sizeGB`, and the bandwidth (GB/s) at
    /// which weights given by `weightsGB` reach the accelerator (storage / PCIe); nil: none.
    public var pullMBps: Double? = nil
    public var loadGBps: Double? = nil
    /// Stock-outs: a node request the cloud cannot fill (it never becomes ready), with a
    /// probability, and always within the windows (seconds from the start).
    public var stockoutProbability = 0.0
    public var stockoutWindows: [ClosedRange<Double>] = []
    /// Spot capacity: nodes the cloud takes back after a notice; nil for on-demand nodes.
    public var spot: SpotSpec? = nil
    /// Background load and interference of its shared cores.
    public var contention = NodeContention()
    /// How instances share its GPUs; nil: each instance has whole GPUs of its own.
    public var gpuSharing: GPUSharing? = nil
    /// The GPU model its GPUs are (`gpuModel`): an engine with a `model` and no `gpu` of its
    /// own takes its iteration times from the GPU of the node type an instance runs on.
    public var gpuModel: GPUSpec? = nil

    /// GPUs one node offers instances: its GPUs times the instances each may hold.
    public var gpuSlots: Int { gpus * (gpuSharing?.replicas ?? 1) }
}

/// How the cloud takes back spot nodes of a type. The node type's `pricePerHour` is the spot
/// price.
public struct SpotSpec: Sendable, Equatable {
    /// Interruptions per node-hour: each node is reclaimed after an exponential time with this
    /// rate, from its launch (0: only at `waves`).
    public var interruptionsPerHour = 0.0
    /// Warning before the node goes: 120 s on EC2 ("a warning that is issued two minutes
    /// before Amazon EC2 stops or terminates your Spot Instance", EC2 User Guide, Spot
    /// Instance interruption notices); 30 s on GCE Spot VMs and Azure Spot VMs.
    public var notice: Double = 120
    /// Times (seconds from the start) at which every node of the type still up is reclaimed:
    /// a capacity crunch.
    public var waves: [Double] = []
    /// Requests still in service when the node goes: retried (queued again for the model,
    /// like a load balancer's retry on reset) or failed (rejected as `interrupted`).
    public var retryInterrupted = true

    public init() {}
}

public struct ImageSpec: Sendable, Equatable {
    public var name: String
    public var pull: DistributionSpec
    /// Image size: with the node type's `pullMBps`, adds size ÷ bandwidth to the pull.
    public var sizeGB: Double? = nil
}

public struct ResourceRequest: Sendable, Equatable {
    public var vcpus: Double
    public var memoryGiB: Double
    public var gpus: Int
}

public struct ModelDefinition: Sendable, Equatable {
    public var name: String
    public var version: String?
    public var image: ImageSpec?
    public var initTime: DistributionSpec
    public var load: DistributionSpec
    public var requires: ResourceRequest
    /// Hardware indices the model may run on, in preference order.
    public var runsOn: [Int]
    /// Service time per hardware index (same length as the hardware list; nil where not given).
    public var service: [DistributionSpec?]
    /// Service time on provider-hosted serverless capacity (`service.serverless`), if given.
    public var serverlessService: DistributionSpec?
    public var concurrency: Int
    public var queueLimit: Int
    /// Weights size: with the node type's `loadGBps`, adds size ÷ bandwidth to the load.
    public var weightsGB: Double? = nil
    /// Warm-up after the load (first inferences, graph compilation), before it serves.
    public var warmup: DistributionSpec = .constant(0)
    /// The CPU work in its service and start-up times, shared with the node's other work;
    /// nil: it shares nothing (every instance an island, as before `cpu` existed).
    public var cpu: CPUWork? = nil
    /// Whether its concurrent requests share one process held to fewer cores than their
    /// threads could use (`cpu.instanceThreads`, a Python worker's GIL): the simulator then
    /// shares the process between them, and calibration tells the requests that had it to
    /// themselves from those that did not.
    public var sharesProcess: Bool {
        cpu.map { $0.instanceThreads < Double(concurrency) * $0.threads } ?? false
    }
    /// `gpu.fraction`: the share of its service time that is GPU work, shared with the other
    /// instances on its GPU where the node type shares GPUs (`gpuSharing`); nil: none declared
    /// (its times are as given whatever shares its GPU).
    public var gpuFraction: Double? = nil
    /// `limits.vcpus`: the CPU one instance may use, all its requests and its start-up
    /// together (a container's CPU limit, its cgroup's cpu.max): a quota of this many cores ×
    /// the period per period, which CFS bandwidth control enforces by throttling; nil: none.
    public var limitVCPUs: Double? = nil
    /// `limits.period`: the CFS bandwidth period in which the limit is enforced (cgroup
    /// `cpu.max`'s period; the kernel's default is 100 ms, sched-bwc.rst), in seconds.
    public var limitPeriod: Double = 0.1
    /// How `headroom serve` runs it (a real worker process); nil: it cannot be served.
    /// The simulator ignores it.
    public var worker: WorkerSpec? = nil
    /// An LLM's continuous batching (`engine`): its instances run iterations of a batch of
    /// sequences instead of one service time per request. nil: a service-time model.
    public var engine: EngineSpec? = nil
    /// For a version declared under another model's `versions` (named "model@version"): that
    /// model's index. Requests address the model; its traffic split picks the version.
    public var variantOf: Int?
    /// The models that are versions of one another (the declared one first), for a model with
    /// `versions`, and for each of those versions; empty otherwise.
    public var variantGroup: [Int] = []

    /// The service time on provider-hosted capacity: `service.serverless`, else the first
    /// `runsOn` hardware's.
    /// (An engine model without a service time has none: it is never provider-hosted, which
    /// the decoder refuses, so the zero stands for nothing that runs.)
    public var providerService: DistributionSpec {
        serverlessService ?? service[runsOn[0]] ?? .constant(0)
    }
    /// Whether the model needs request token counts: a token-driven service time, or an engine.
    public var isTokenDriven: Bool {
        engine != nil || service.contains { $0?.isTokenDriven == true } || serverlessService?.isTokenDriven == true
    }
}

public struct Pipeline: Sendable, Equatable {
    public var name: String
    /// Model indices, in order (for a graph: in declaration order).
    public var stages: [Int]
    /// For a graph pipeline: each stage's prerequisite stages (indices into `stages`); nil
    /// for a chain, which runs `stages` one after the other.
    public var dependencies: [[Int]]?

    public init(name: String, stages: [Int], dependencies: [[Int]]? = nil) {
        self.name = name
        self.stages = stages
        self.dependencies = dependencies
    }
}

/// What a workload source's requests address: a model or a pipeline.
public struct TargetRef: Sendable, Equatable, Hashable {
    /// Index into `Scenario.targetNames` (models first, then pipelines).
    public var index: Int
    public init(index: Int) { self.index = index }
}

/// A whole scenario file.
public struct Scenario: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var seed: UInt64
    public var duration: Double
    public var hardware: [HardwareType]
    public var models: [ModelDefinition]
    public var pipelines: [Pipeline]
    public var workload: [WorkloadSource]
    public var slo: SLO
    public var plans: [Plan]
    public var expectations: [Expectation]
    /// Requests each named caller may have in flight at once (`callers.<name>.maxConcurrent`).
    public var callerQuotas: [CallerQuota] = []
    /// Training jobs sharing the pools (`workload` entries of kind "training").
    public var training: [TrainingJob] = []
    /// Version rollouts (a model's `rollout`).
    public var rollouts: [RolloutSpec] = []
    /// Seconds each request spends between its client and the platform, there and back
    /// (`network.roundTrip`): added to every request's latency as its client sees it; the
    /// platform's scheduling does not see it.
    public var networkRoundTrip: Double = 0
    /// The file as the user named it.
    public var file: String

    /// Target names: the models, then the pipelines.
    public var targetNames: [String] { models.map(\.name) + pipelines.map(\.name) }

    /// By target: the target its requests are served as (`plans.<p>.serve`, set by
    /// `forPlan`); empty when every target serves its own.
    public var servedAs: [Int] = []

    /// The scenario as plan `i` serves it: its sources' targets (a trace's target column
    /// too, through `servedAs`) replaced as the plan's `serve` says. Itself when the plan
    /// says nothing.
    public func forPlan(_ i: Int) -> Scenario {
        guard i < plans.count, !plans[i].serve.isEmpty else { return self }
        var s = self
        var map = Array(0..<targetNames.count)
        for a in plans[i].serve { map[a.from] = a.to }
        s.servedAs = map
        for k in s.workload.indices {
            if let t = s.workload[k].target { s.workload[k].target = TargetRef(index: map[t.index]) }
            for j in s.workload[k].mix.indices { s.workload[k].mix[j].target = TargetRef(index: map[s.workload[k].mix[j].target.index]) }
            if case var .trace(t) = s.workload[k].kind {
                for j in t.functionTargets.indices { t.functionTargets[j].target = map[t.functionTargets[j].target] }
                s.workload[k].kind = .trace(t)
            }
        }
        return s
    }

    /// Every submission of every training job, by time (ties in file order): the job ids of
    /// a run. A job repeated with `every` is one submission per period.
    public var trainingSubmissions: [(job: Int, time: Double)] {
        var all: [(job: Int, time: Double)] = []
        for (k, job) in training.enumerated() {
            for t in job.submissions(until: duration) { all.append((k, t)) }
        }
        return all.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    /// Whether a request to target `t` can be given its own service time (a trace's
    /// `service_s`): a model served by service times, not a pipeline (its stages have their
    /// own) nor an LLM engine's model (timed by its iterations).
    public func takesServiceTime(_ t: Int) -> Bool {
        t < models.count && models[t].engine == nil
    }

    /// The model indices of a target's stages.
    public func stages(of target: TargetRef) -> [Int] {
        target.index < models.count ? [target.index] : pipelines[target.index - models.count].stages
    }

    /// Whether target `t` is a prefill or decode pool of disaggregated serving, which serves
    /// only as a stage of its pipeline: no source, trace row or plan may name it.
    public func isPool(_ t: Int) -> Bool {
        t < models.count && (models[t].engine?.role ?? .both) != .both
    }

    /// The models a source's requests may reach, as the scenario (or a plan's view of it,
    /// `forPlan`) serves them: its target's or its mix's stages; for a trace whose rows name
    /// their targets, every target but a pool and those the plan serves as others.
    public func stages(reachedBy source: WorkloadSource) -> [Int] {
        if !source.mix.isEmpty { return source.mix.flatMap { stages(of: $0.target) } }
        if let t = source.target { return stages(of: t) }
        return targetNames.indices.filter { (servedAs.isEmpty || servedAs[$0] == $0) && !isPool($0) }.flatMap { stages(of: TargetRef(index: $0)) }
    }

    /// The target index for a name, if it names a model or a pipeline.
    public func target(named name: String) -> TargetRef? {
        if let m = models.firstIndex(where: { $0.name == name }) { return TargetRef(index: m) }
        if let p = pipelines.firstIndex(where: { $0.name == name }) { return TargetRef(index: models.count + p) }
        return nil
    }
}

extension Scenario {
    /// Whether some model has an engine: then the reports carry the engine columns.
    public var hasEngine: Bool { models.contains { $0.engine != nil } }
}
