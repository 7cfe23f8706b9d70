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

public struct TraceSpec: Sendable, Equatable {
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// `time,target[,caller,version]` with a header row; time in seconds or ISO-8601.
        case csv
        /// Azure LLM inference trace: `TIMESTAMP,ContextTokens,GeneratedTokens`.
        case azureLLM = "azure-llm"
        /// Azure Functions 2019 invocation counts: `HashOwner,HashApp,HashFunction,Trigger,1..1440`,
        /// one row per function, one count per minute of the day.
        case azureFunctions2019 = "azure-functions-2019"
        /// Azure Functions 2021 invocations: `app,func,end_timestamp,duration`, one row per
        /// invocation in order of end time (seconds).
        case azureFunctions2021 = "azure-functions-2021"
    }
    /// How arrivals are placed within a minute of a per-minute count.
    public enum Spread: String, Sendable, Equatable, CaseIterable {
        /// Evenly spaced: the i-th of k at (i + ½) × 60 s / k.
        case uniform
        /// At independent uniform random times: a Poisson process given its count.
        case random
    }
    public var format: Format
    /// The path as written in the scenario.
    public var path: String
    /// The path resolved against the scenario's folder.
    public var resolvedPath: String
    /// Replay speed: 2 replays the trace twice as fast.
    public var speed: Double = 1
    /// Trace time (seconds after its first row) at which replay begins; earlier rows are skipped.
    public var offset: Double = 0
    /// Start again from the top when the trace ends before the source does.
    public var loop = false
    /// Keep only rows whose column (target, caller, version) has one of the values.
    public var filter: [TraceFilter] = []
    /// Azure Functions: targets by HashFunction or HashApp (others go to the source's target).
    public var functionTargets: [FunctionTarget] = []
    /// Azure Functions: keep only the N most invoked functions (by total count).
    public var top: Int?
    public var spread: Spread = .uniform
    /// Azure Functions 2021: how far (seconds of end time) rows are read ahead to put
    /// invocations back in order of start; an invocation longer than this is an error.
    public var reorderWindow: Double = 3600
    /// Azure Functions 2021: whether the trace's durations are the requests' service times.
    public var useDurations = true

    public init(format: Format, path: String, resolvedPath: String) {
        self.format = format
        self.path = path
        self.resolvedPath = resolvedPath
    }
}

/// A trace filter: keep rows whose `column` (target, caller or version) is one of `values`.
public struct TraceFilter: Sendable, Equatable {
    public var column: String
    public var values: [String]
}

/// An Azure Functions hash (function or app) and the target index its invocations go to.
public struct FunctionTarget: Sendable, Equatable {
    public var hash: String
    public var target: Int
}

/// One step of a canary rollout: from `at` on, the new version takes `weight` % of traffic.
public struct RolloutStep: Sendable, Equatable {
    public var at: Double
    public var weight: Double
}

/// A model's rollout of one of its versions.
public struct RolloutSpec: Sendable, Equatable {
    /// The declared model (its index) and the version rolled out (a model index too).
    public var model = 0
    public var variant = 0
    public var version: String
    /// Blue-green: one step; the new version is started at full size first and takes all
    /// traffic once it is ready. Canary: the steps as given.
    public var blueGreen: Bool
    public var steps: [RolloutStep]

    public init(version: String, blueGreen: Bool, steps: [RolloutStep]) {
        self.version = version
        self.blueGreen = blueGreen
        self.steps = steps
    }
}

/// A training job sharing the plan's pools: whole nodes of one type for a fixed duration.
public struct TrainingJob: Sendable, Equatable {
    public var name: String
    /// Index into `Scenario.hardware`.
    public var hardware: Int
    /// Whole nodes the job needs at once (gang scheduled).
    public var nodes: Int
    /// When it is first submitted (seconds).
    public var start: Double
    /// How long it runs once it holds its nodes (seconds); a preempted job starts over.
    public var duration: Double
    /// Serving runs at 0. Above 0 the job may take nodes from serving; jobs preempt jobs of
    /// lower priority. Default 1.
    public var priority: Int
    /// Submitted again every period (a nightly job: 24 h) while before the scenario's end.
    public var every: Double?
    public var jsonPath: String

    /// Submission times within a scenario of `duration` seconds.
    public func submissions(until duration: Double) -> [Double] {
        guard start < duration else { return [] }
        guard let every else { return [start] }
        return Array(stride(from: start, to: duration, by: every))
    }
}

/// How many requests a named caller may have in flight at once.
public struct CallerQuota: Sendable, Equatable {
    public var caller: String
    public var maxConcurrent: Int
}

public enum WorkloadKind: Sendable, Equatable {
    case poisson(rate: Double)
    /// On/off bursts: `peak` per second during `length` every `every`, `base` otherwise,
    /// the first burst starting at `offset`.
    case bursts(base: Double, peak: Double, every: Double, length: Double, offset: Double)
    case trace(TraceSpec)
    /// A daily (or any period) sinusoid: mean × (1 + amplitude × cos(2π (t − peakAt) / period)).
    case diurnal(mean: Double, amplitude: Double, period: Double, peakAt: Double)
    /// A flash crowd: `base`, ramping linearly to `peak` from `at` over `rampUp`, holding for
    /// `hold`, then decaying back to `base` exponentially with time constant `decay`.
    case flashCrowd(base: Double, peak: Double, at: Double, rampUp: Double, hold: Double, decay: Double)
    /// A Markov-modulated Poisson process: each state has a rate and a mean stay
    /// (exponential); on leaving, the next state is drawn uniformly from the others.
    case mmpp(states: [MMPPState])
}

public struct MMPPState: Sendable, Equatable {
    public var rate: Double
    public var meanStay: Double
    public init(rate: Double, meanStay: Double) {
        self.rate = rate
        self.meanStay = meanStay
    }
}

/// One entry of a source's target mix: each arrival picks an entry with probability
/// proportional to its weight.
public struct MixEntry: Sendable, Equatable {
    public var target: TargetRef
    public var weight: Double
    public var caller: String?
    public var version: String?
}

public struct WorkloadSource: Sendable, Equatable {
    public var kind: WorkloadKind
    /// The target of every request (trace rows may name their own).
    public var target: TargetRef?
    public var caller: String?
    public var version: String?
    /// Arrivals begin at `start` and end at `end` (default: the scenario duration).
    public var start: Double
    public var end: Double?
    /// A weighted mix of targets (with their callers and versions), instead of one target.
    public var mix: [MixEntry] = []
    /// Token counts for synthetic sources feeding token-driven models.
    public var inputTokens: DistributionSpec?
    public var outputTokens: DistributionSpec?
    /// Where the source stands in the file, for errors found while running it.
    public var jsonPath: String
}

public struct SLO: Sendable, Equatable {
    /// Latency objective (seconds), if any.
    public var latency: Double?
    /// The percentile the objective is judged at.
    public var percentile: Double
    /// Requests unfinished this long after arrival end as timed out.
    public var timeout: Double
    /// Time to first token and time per output token objectives (seconds), for requests an
    /// engine model serves: such a request meets the SLO when it meets every bound given.
    public var ttft: Double? = nil
    public var tpot: Double? = nil

    public init(latency: Double?, percentile: Double, timeout: Double, ttft: Double? = nil, tpot: Double? = nil) {
        self.latency = latency
        self.percentile = percentile
        self.timeout = timeout
        self.ttft = ttft
        self.tpot = tpot
    }

    /// Whether any objective is set (then `slo_attainment` is reported).
    public var hasObjective: Bool { latency != nil || ttft != nil || tpot != nil }
}

public struct NodeRange: Sendable, Equatable {
    public var hardware: Int
    public var min: Int
    public var max: Int
}

public struct InstanceRange: Sendable, Equatable {
    public var model: Int
    public var min: Int
    public var max: Int
}

/// An HPA `behavior` as written in the scenario (nil fields: the API server's defaults).
public struct BehaviorSpec: Sendable, Equatable {
    public struct Policy: Sendable, Equatable {
        public var type: String
        public var value: Int
        public var period: Double
    }
    public struct Rules: Sendable, Equatable {
        public var stabilizationWindow: Double?
        public var selectPolicy: String?
        public var policies: [Policy]?
    }
    public var scaleUp: Rules?
    public var scaleDown: Rules?
}

public struct ElasticPlan: Sendable, Equatable {
    public var scaler: String
    public var target: Double
    public var nodes: [NodeRange]
    public var instances: [InstanceRange]
    public var tolerance: Double?
    public var syncPeriod: Double?
    public var downscaleStabilization: Double?
    public var nodeScanInterval: Double?
    public var nodeUnneededTime: Double?
    public var scaleDownDelayAfterAdd: Double?
    /// `utilisation`, `concurrency` or `queue-length`.
    public var metric = "utilisation"
    /// autoscaling/v2 `behavior`; nil: the legacy normalisation.
    public var behavior: BehaviorSpec?
    /// `"scaler": "step"`: the alarms and steps.
    public var step: StepSpec?
    public var quota = NodeQuota()
}

/// Step scaling as written in the scenario.
public struct StepSpec: Sendable, Equatable {
    public struct Step: Sendable, Equatable {
        public var lower: Double?
        public var upper: Double?
        /// "change", "percent" or "exact", and its value.
        public var kind: String
        public var value: Double
    }
    public struct Alarm: Sendable, Equatable {
        public var threshold: Double
        public var evaluationPeriods: Int
        public var steps: [Step]
    }
    public var period: Double = 60
    public var warmup: Double = 300
    /// Simple scaling (`"scaler": "simple"`): the cooldown after each activity; nil for step
    /// scaling. Each alarm then has one step, unbounded.
    public var cooldown: Double?
    public var scaleOut: Alarm?
    public var scaleIn: Alarm?
}

/// Provider prices for serverless hosting.
public struct ProviderPricing: Sendable, Equatable {
    public var perGBSecond: Double
    public var perRequest: Double
    public var perGPUSecond: Double?
    /// Billed-duration rounding (seconds).
    public var granularity: Double
    /// Provisioned concurrency: USD per GB-s provisioned (capacity), and per GB-s of duration
    /// on provisioned environments (autoscalers.md §4.4, [S]).
    public var provisionedPerGBSecond = 0.0000041667
    public var provisionedDurationPerGBSecond = 0.0000097222
    /// AWS Lambda x86_64, US East: $0.0000166667 per GB-s, $0.20 per 1M requests, rounded up to
    /// 1 ms (autoscalers.md §4.4; [S] copies of the pricing page, [P-doc] for the 1 ms rounding).
    public static let lambda = ProviderPricing(perGBSecond: 0.0000166667, perRequest: 0.0000002,
                                               perGPUSecond: nil, granularity: 0.001)
}

public struct ServerlessPlan: Sendable, Equatable {
    public enum Hosting: String, Sendable, Equatable, CaseIterable {
        case provider
        case `self`
    }
    public var hosting: Hosting
    public var keepAlive: Double
    /// Self-hosted: the node pools.
    public var nodes: [NodeRange]
    /// Provider-hosted: concurrent instances allowed over all models (0 = unlimited).
    public var concurrencyLimit: Int
    public var pricing: ProviderPricing
    public var nodeScanInterval: Double?
    public var nodeUnneededTime: Double?
    public var scaleDownDelayAfterAdd: Double?
    /// Self-hosted with `"scaler": "kpa"`: the Knative Pod Autoscaler's settings (nil: the
    /// keep-alive scaler).
    public var kpa: KPASettings?
    /// `"keepAlivePolicy": "hybrid-histogram"`: windows learned per model (Shahrad et al.)
    /// instead of the fixed `keepAlive`.
    public var hybridKeepAlive = false
    /// New environments per model per 10 s (0: no limit).
    public var scaleRatePer10s = 0
    /// Provider hosting: provisioned concurrency by model index.
    public var provisioned: [Int] = []
    /// Self-hosting: limits over all pools.
    public var quota = NodeQuota()
}

/// Knative Pod Autoscaler settings a plan may override (nil: Knative's default).
public struct KPASettings: Sendable, Equatable {
    public var targetUtilisation: Double?
    public var stableWindow: Double?
    public var panicWindowPercentage: Double?
    public var panicThreshold: Double?
    public var maxScaleUpRate: Double?
    public var maxScaleDownRate: Double?
    public var scaleToZeroGrace: Double?
    public init() {}
}

public enum PlanPolicy: Sendable, Equatable {
    /// Nodes per hardware index; pinned instance counts per model index (nil: packed).
    case traditional(nodes: [Int], instances: [Int?])
    case elastic(ElasticPlan)
    case serverless(ServerlessPlan)

    public var family: String {
        switch self {
        case .traditional: return "traditional"
        case .elastic: return "elastic"
        case .serverless: return "serverless"
        }
    }
}

public struct Plan: Sendable, Equatable {
    public var name: String
    public var policy: PlanPolicy
    public var jsonPath: String
    /// Committed capacity bought for the whole run (reserved instances, savings plans,
    /// capacity blocks): nodes of a type paid at their own price whether used or not; live
    /// nodes beyond the commitment pay the type's on-demand price.
    public var commitments: [Commitment] = []
}

/// Limits over all of a plan's pools (a cloud account's quota): vCPUs and GPUs; 0: none.
public struct NodeQuota: Sendable, Equatable {
    public var vcpus = 0
    public var gpus = 0
    public init() {}
}

public struct Commitment: Sendable, Equatable {
    public var hardware: Int
    public var nodes: Int
    public var pricePerHour: Double
}

public struct Expectation: Sendable, Equatable {
    public enum Bound: Sendable, Equatable {
        case min(Double)
        case max(Double)
        /// metric(plan) ≤ value × metric(other plan)
        case maxRatioTo(plan: Int, value: Double)
        /// metric(plan) ≥ value × metric(other plan)
        case minRatioTo(plan: Int, value: Double)
    }
    /// Which requests a gate looks at.
    public enum Scope: Sendable, Equatable {
        /// The whole plan (summary.csv).
        case plan
        /// One target (targets.csv), by target index.
        case target(Int)
        /// One caller, by name (known only once the run has seen its requests).
        case caller(String)
    }
    public var plan: Int
    public var metric: String
    public var scope: Scope
    public var bounds: [Bound]
    /// "The cheapest plan meeting the SLO is `plan`" (`bounds` is empty).
    public var cheapestMeetingSLO: Bool
    public var jsonPath: String
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
    /// The file as the user named it.
    public var file: String

    /// Target names: the models, then the pipelines.
    public var targetNames: [String] { models.map(\.name) + pipelines.map(\.name) }

    /// Every submission of every training job, by time (ties in file order): the job ids of
    /// a run. A job repeated with `every` is one submission per period.
    public var trainingSubmissions: [(job: Int, time: Double)] {
        var all: [(job: Int, time: Double)] = []
        for (k, job) in training.enumerated() {
            for t in job.submissions(until: duration) { all.append((k, t)) }
        }
        return all.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    /// The model indices of a target's stages.
    public func stages(of target: TargetRef) -> [Int] {
        target.index < models.count ? [target.index] : pipelines[target.index - models.count].stages
    }

    /// The target index for a name, if it names a model or a pipeline.
    public func target(named name: String) -> TargetRef? {
        if let m = models.firstIndex(where: { $0.name == name }) { return TargetRef(index: m) }
        if let p = pipelines.firstIndex(where: { $0.name == name }) { return TargetRef(index: models.count + p) }
        return nil
    }
}

/// Metrics a gate may name for one target or one caller.
/// What `headroom calibrate` compares between a simulation and a measured run, as the
/// `metric` column of accuracy.csv. A gate names `accuracy_<metric>` to bound the absolute
/// relative error (0.05: within 5 %); `run` and `check` skip such gates, `calibrate`
/// evaluates them.
public enum AccuracyMetric {
    public static let names = ["requests", "rejected", "timed_out", "cold_starts", "latency_p50_s", "latency_p95_s", "latency_p99_s",
                               "instance_seconds", "instance_starts", "node_seconds"]
    /// The gate metric names: `accuracy_` and an accuracy.csv metric.
    public static let gateNames = names.map { "accuracy_" + $0 }
}

public enum ScopedMetric {
    public static let names = [
        "requests", "completed", "rejected", "timed_out",
        "latency_mean_s", "latency_p50_s", "latency_p90_s", "latency_p95_s", "latency_p99_s", "latency_p999_s", "latency_max_s",
        "wait_mean_s", "cold_starts", "cold_start_ratio", "slo_attainment", "rejected_ratio", "timed_out_ratio",
    ]
}

/// The columns an engine (continuous batching) adds to `summary.csv` and `targets.csv`, in
/// file order, after the others; present only when some model has an engine (SCENARIO.md,
/// "Keys added with the runtime and the LLM engine"). `kv_cache_utilisation` and
/// `batch_size_mean` are plan-wide (empty in `targets.csv`).
public enum EngineMetric {
    public static let names = [
        "ttft_p50_s", "ttft_p90_s", "ttft_p99_s", "tpot_p50_s", "tpot_p90_s", "tpot_p99_s",
        "output_tokens_per_s", "kv_cache_utilisation", "batch_size_mean", "preemptions",
        // Beyond SCENARIO.md's list: requests the engine refused as longer than its KV cache
        // (or, without chunked prefill, its token budget) allows.
        "rejected_too_long",
    ]
    public static let integers: Set<String> = ["preemptions", "rejected_too_long"]
}

extension Scenario {
    /// Whether some model has an engine: then the reports carry the engine columns.
    public var hasEngine: Bool { models.contains { $0.engine != nil } }
}

/// The numeric columns of `summary.csv` that `expect` gates may name, in file order
/// (SCENARIO.md, "Report files").
public enum SummaryMetric {
    public static let names = [
        "requests", "completed", "rejected", "timed_out",
        "latency_mean_s", "latency_p50_s", "latency_p90_s", "latency_p95_s", "latency_p99_s", "latency_p999_s", "latency_max_s",
        "wait_mean_s", "cold_starts", "cold_start_ratio", "slo_attainment",
        "cost_usd", "cost_per_1k_requests_usd", "node_hours", "gpu_hours", "utilisation",
        "instances_mean", "instances_max", "nodes_mean", "nodes_max",
        // Beyond SCENARIO.md's list: outcome ratios, handy as gates.
        "rejected_ratio", "timed_out_ratio", "instance_starts",
        // Training jobs sharing the pools, and serving while they ran.
        "training_jobs", "training_completed", "training_preemptions", "training_wait_mean_s",
        "training_gpu_hours", "serving_gpu_hours", "requests_during_training",
        "slo_attainment_during_training", "latency_p99_during_training_s",
        // Capacity paid for while idle.
        "idle_instance_hours", "idle_cost_usd", "node_request_failures",
        // Where cold-start time went: node boot, image pull, init, weight load, warm-up (s).
        "cold_start_node_s", "cold_start_pull_s", "cold_start_init_s", "cold_start_load_s", "cold_start_warmup_s",
        // Spot nodes reclaimed (at their notice) and request stages cut off in service there.
        "spot_interruptions", "requests_interrupted",
    ]
}
