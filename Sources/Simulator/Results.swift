import Scenario
import SchedulerCore

/// Latency and outcome figures of a set of requests (a plan, or one target of a plan).
public struct OutcomeStats: Sendable {
    public var requests: Int64 = 0
    public var completed: Int64 = 0
    public var rejected: Int64 = 0
    public var timedOut: Int64 = 0
    /// End-to-end latency of completed requests.
    public var latency = LatencyHistogram()
    /// Requests that waited on an instance start.
    public var coldStarts: Int64 = 0
    /// Sum of queue waits of completed requests (nanoseconds). 128 bits, so no sum overflows
    /// within the bounds the decoder accepts: each wait is below `Sampler.never` (< 2⁶³ ns)
    /// and a run has fewer than 2⁶³ requests, so the sum is below 2¹²⁶. An Int64 sum
    /// overflowed after ~10³ requests that each waited 100 days (a 10⁹ queue limit and a
    /// 100-day timeout under 100× overload). Below 2⁶³ the figures are those of the former
    /// Int64 sum to the bit.
    public var waitNanoseconds: Int128 = 0
    /// Requests completed within the SLO latency (0 when there is none).
    public var withinSLO: Int64 = 0
    /// Service time consumed on instances (nanoseconds, every stage, timed-out work included):
    /// the basis of cost attribution.
    /// 128 bits, as `waitNanoseconds`.
    public var serviceNanoseconds: Int128 = 0

    public init() {}

    /// Adds another set's counts and latencies to this one.
    public mutating func merge(_ other: OutcomeStats) {
        requests += other.requests
        completed += other.completed
        rejected += other.rejected
        timedOut += other.timedOut
        latency.merge(other.latency)
        coldStarts += other.coldStarts
        waitNanoseconds += other.waitNanoseconds
        withinSLO += other.withinSLO
        serviceNanoseconds += other.serviceNanoseconds
    }
}

/// One row of `timeseries.csv`: what happened in the interval ending at `time`, and the state
/// at that moment.
public struct TimeseriesRow: Sendable, Equatable {
    public var time: Double
    public var arrivals: Int64
    public var completions: Int64
    public var rejections: Int64
    public var timeouts: Int64
    public var queued: Int
    public var instancesBusy: Int
    public var instancesIdle: Int
    public var instancesStarting: Int
    public var nodesReady: Int
    public var nodesBooting: Int
    public var costSoFar: Double
    /// Requests in the interval that waited on an instance start.
    public var coldStarts: Int64
    /// Seconds of cold-start phases begun in the interval, in `ColdStartPhase` order. Held
    /// inline (no array per row): a long run keeps hundreds of thousands of rows.
    public var coldPhaseSeconds = ColdPhaseSeconds()
    /// The engine columns over the interval (`EngineMetric.names` order); nil without engines.
    public var engine: [Double?]? = nil

    /// The phases' seconds as an array, in `ColdStartPhase` order.
    public var coldPhases: [Double] { coldPhaseSeconds.array }
}

/// Seconds per cold-start phase, stored inline.
public struct ColdPhaseSeconds: Sendable, Equatable {
    public var node = 0.0, pull = 0.0, initialise = 0.0, load = 0.0, warmup = 0.0
    public init() {}

    /// In `ColdStartPhase` order.
    public var array: [Double] { [node, pull, initialise, load, warmup] }

    public subscript(phase: ColdStartPhase) -> Double {
        get {
            switch phase {
            case .node: return node
            case .pull: return pull
            case .initialise: return initialise
            case .load: return load
            case .warmup: return warmup
            }
        }
        set {
            switch phase {
            case .node: node = newValue
            case .pull: pull = newValue
            case .initialise: initialise = newValue
            case .load: load = newValue
            case .warmup: warmup = newValue
            }
        }
    }
}

/// The phases of a cold start, in order: node boot (nodes started during the run), image pull
/// (the wait it caused, not repeated while a pull is shared), runtime init, weight load and
/// warm-up.
public enum ColdStartPhase: Int, CaseIterable, Sendable {
    case node, pull, initialise, load, warmup

    public var column: String {
        switch self {
        case .node: return "cold_start_node_s"
        case .pull: return "cold_start_pull_s"
        case .initialise: return "cold_start_init_s"
        case .load: return "cold_start_load_s"
        case .warmup: return "cold_start_warmup_s"
        }
    }
    public var label: String {
        switch self {
        case .node: return "node boot"
        case .pull: return "image pull"
        case .initialise: return "init"
        case .load: return "load"
        case .warmup: return "warm-up"
        }
    }
}

/// Everything measured in one plan's run.
public struct PlanResult: Sendable {
    public var plan: String
    public var policy: String
    public var totals: OutcomeStats
    public var perTarget: [OutcomeStats]
    /// By caller id (see `callers`).
    public var perCaller: [OutcomeStats]
    public var rejectedByReason: [Int64]
    /// Whether the scenario has an SLO latency (else `withinSLO` counts mean nothing).
    public var hasSLO: Bool
    public var cost: Double
    public var nodeSeconds: Double
    public var gpuSeconds: Double
    public var busyInstanceSeconds: Double
    public var instanceSeconds: Double
    public var instancesMax: Int
    /// Cold starts of instances (instances started after t = 0, each paying its cold start).
    public var instanceStarts: Int64
    public var nodesMax: Int
    /// Simulated end time (arrivals end at the scenario duration; in-flight work drains).
    public var endTime: Double
    public var timeseries: [TimeseriesRow]
    /// Events processed (for speed figures).
    public var events: Int64
    /// Caller and version names seen, by id (id 0 is "").
    public var callers: [String]
    public var versions: [String]
    /// Per target: for pipelines, the latency of each stage in order (empty otherwise).
    public var stageLatency: [[LatencyHistogram]] = []
    /// Training jobs on the plan's pools.
    public var training = TrainingStats()
    /// Seconds spent in each cold-start phase over the run (`ColdStartPhase` order).
    public var coldPhases = [Double](repeating: 0, count: ColdStartPhase.allCases.count)
    /// USD paid for capacity while it served no request: node-hours (at the node's price)
    /// during which no instance on the node was serving, boot included; for provider
    /// hosting, INIT charges and the provisioned-concurrency capacity fee.
    public var idleCost = 0.0
    /// Node requests the cloud could not fill (stock-outs).
    public var nodeRequestFailures = 0
    /// By model (versions are models "name@version"): the requests whose last stage the
    /// model served or was chosen for; empty when no model has versions.
    public var perModel: [OutcomeStats] = []
    /// By model whose instances are one process held below its requests' threads
    /// (`cpu.instanceThreads`): the service times of its requests that shared their instance
    /// with another at some moment of theirs (empty when no model is such).
    public var sharedService: [LatencyHistogram] = []
    /// Spot nodes the cloud warned and took back (counted at the notice).
    public var spotInterruptions = 0
    /// Request stages cut off in service by a reclaimed node (retried or failed).
    public var requestsInterrupted: Int64 = 0
    /// What the LLM engines did (nil when no model of the scenario has an engine), over the
    /// run and by target (empty then).
    public var engine: EngineStats? = nil
    public var enginePerTarget: [EngineStats] = []
    /// By node type, what sharing the cores did (empty when no model declares CPU work).
    public var contention: [ContentionStats] = []

    /// Sum of queue waits of completed requests (seconds).
    public var waitSum: Double { Double(totals.waitNanoseconds) / 1e9 }
    public var coldStarts: Int64 { totals.coldStarts }
    /// Requests (of all) that completed within the SLO latency; nil when there is no SLO.
    public var withinSLO: Int64? { hasSLO ? totals.withinSLO : nil }

    public var instancesMean: Double { endTime > 0 ? instanceSeconds / endTime : 0 }
    public var nodesMean: Double { endTime > 0 ? nodeSeconds / endTime : 0 }
}

/// A whole run: one result per plan, in the scenario's plan order.
public struct RunResult: Sendable {
    public var scenario: Scenario
    public var seed: UInt64
    public var plans: [PlanResult]
    /// Plan indices (into `scenario.plans`) that ran, in order.
    public var planIndices: [Int]
    /// Per-plan request logs (temporary files), when requested.
    public var requestLogs: [String]
    public var callers: [String]
    public var versions: [String]

    /// Whether the reports have token columns (TTFT, TPOT, tokens/s): a model of the scenario
    /// has an engine, or a plan's token figures were measured (`loadgen --api openai`).
    public var reportsTokens: Bool { scenario.hasEngine || plans.contains { $0.engine != nil } }

    public init(scenario: Scenario, seed: UInt64, plans: [PlanResult], planIndices: [Int], requestLogs: [String],
                callers: [String], versions: [String]) {
        self.scenario = scenario
        self.seed = seed
        self.plans = plans
        self.planIndices = planIndices
        self.requestLogs = requestLogs
        self.callers = callers
        self.versions = versions
    }
}

/// What training jobs did on a plan, and how serving fared while they ran.
public struct TrainingStats: Sendable {
    /// Job submissions.
    public var jobs = 0
    /// Jobs that ran to the end of their work.
    public var completed = 0
    /// Times a running job was stopped: by a job of higher priority, or by losing a spot node.
    public var preemptions = 0
    /// Σ (first start − submission) over jobs that started (seconds).
    public var waitSum = 0.0
    public var started = 0
    /// GPU-seconds of nodes held by running jobs.
    public var gpuSeconds = 0.0
    /// Node-seconds of nodes held by running jobs.
    public var nodeSeconds = 0.0
    /// Requests that arrived while at least one job ran.
    public var servingDuring = OutcomeStats()

    public init() {}
}

extension PlanResult {
    /// An empty result for `plan`, to be filled from measurements rather than a simulation
    /// (a load run against a live endpoint).
    public init(plan: String, policy: String, targets: Int, callers: [String], versions: [String], hasSLO: Bool) {
        self.init(plan: plan, policy: policy, totals: OutcomeStats(), perTarget: [OutcomeStats](repeating: OutcomeStats(), count: targets),
                  perCaller: [OutcomeStats](repeating: OutcomeStats(), count: callers.count),
                  rejectedByReason: [Int64](repeating: 0, count: RejectReason.simulated.count), hasSLO: hasSLO,
                  cost: 0, nodeSeconds: 0, gpuSeconds: 0, busyInstanceSeconds: 0, instanceSeconds: 0, instancesMax: 0, instanceStarts: 0,
                  nodesMax: 0, endTime: 0, timeseries: [], events: 0, callers: callers, versions: versions)
    }
}

extension TimeseriesRow {
    /// An empty row for the interval ending at `time`.
    public init(time: Double) {
        self.init(time: time, arrivals: 0, completions: 0, rejections: 0, timeouts: 0, queued: 0, instancesBusy: 0, instancesIdle: 0,
                  instancesStarting: 0, nodesReady: 0, nodesBooting: 0, costSoFar: 0, coldStarts: 0)
    }
}
