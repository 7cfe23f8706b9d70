// The typed form of a scenario's workload: request sources (generated or replayed traces),
// rollouts, training jobs, caller quotas and SLOs.

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
        /// Mooncake's trace release (FAST'25): one JSON object a line, `timestamp` (ms),
        /// `input_length`, `output_length` and `hash_ids` (one per block of the prompt; equal
        /// ids are the same prefix).
        case mooncake
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
    /// Mooncake: prompt tokens one hash id stands for (512 in Mooncake's release; the last
    /// block of a prompt may be shorter).
    public var hashBlockTokens = 512

    /// Whether the format carries each request's token counts.
    public var carriesTokens: Bool { format == .azureLLM || format == .mooncake }

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
    /// Counts of arrivals per interval (`counts[j]` in [start + j × interval, start + (j + 1) ×
    /// interval)), each interval's placed evenly or at uniform random times: a request-rate
    /// series from a monitoring system replayed (`headroom import prometheus`).
    case counts(CountsSpec)
}

/// A `counts` source: arrivals per interval, and how they are spread within it.
public struct CountsSpec: Sendable, Equatable {
    public var interval: Double
    public var counts: [Int64]
    public var spread: TraceSpec.Spread
    public init(interval: Double, counts: [Int64], spread: TraceSpec.Spread) {
        self.interval = interval
        self.counts = counts
        self.spread = spread
    }
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
    /// What its prompts share (`prompts`): a system prompt, conversations of several turns.
    public var prompts: PromptSpec?
    /// Where the source stands in the file, for errors found while running it.
    public var jsonPath: String
}

/// The prompts of a synthetic source's requests, as a prefix cache sees them (`prompts`):
/// each begins with one of `systemVariants` shared system prompts of `systemTokens` tokens,
/// and an arrival of the source starts a conversation of `turns` requests, each turn
/// `thinkTime` after the previous one's arrival, its prompt the whole conversation so far
/// (the previous prompt, its answer, and the new message of `tokens.input` tokens).
public struct PromptSpec: Sendable, Equatable {
    public var systemTokens = 0
    public var systemVariants = 1
    /// Turns per conversation (rounded, at least 1); nil: one.
    public var turns: DistributionSpec?
    /// Seconds from a turn's arrival to the next turn's.
    public var thinkTime: DistributionSpec = .constant(0)

    public init() {}
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
