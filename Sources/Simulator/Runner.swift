import Foundation
import SchedulerCore
import Scenario
import Planning

/// How to run a scenario.
public struct RunOptions: Sendable {
    /// Overrides the scenario's seed.
    public var seed: UInt64?
    /// Plans to run, by name (empty: all, in file order).
    public var planNames: [String] = []
    /// The `timeseries.csv` interval in seconds (0: no time series).
    public var interval: Double = 60
    /// Where to stream per-request rows (`requests.<plan index>.part`), if wanted.
    public var requestLogDirectory: String?
    /// Run plans on all cores.
    public var parallel = true
    /// Draw synthetic arrivals and the service-time stream ahead on threads of their own
    /// when the run's plans leave a core idle (`SourcePrefetch`, `StreamPrefetch`): the same
    /// draws, sooner. `run` applies that rule itself; callers of `runPlan` that run several
    /// simulations at once (sweeps, `check`) set it from `leavesCoreIdle`.
    public var drawAhead = false
    /// Seeds the draws of service times, cold starts, boots, stock-outs and spot notices
    /// apart from the workload's (nil: the run's seed). Replications with the same arrivals
    /// and other draws use it (`headroom calibrate` pools several to lower the simulation's
    /// own sampling noise).
    public var physicsSeed: UInt64?
    /// Start-up times given, not drawn: by model, the init phase (ns) of its k-th cold start,
    /// in the order the core starts them (−1, or past the end: drawn). `headroom calibrate`
    /// replays a measured run's starts with it.
    public var replayedInits: [[Int64]] = []
    /// Compresses the workload's arrival times (2: the same arrivals twice as fast, over half
    /// the duration), as `headroom loadgen --speed` sends them. Plan timers are not scaled.
    public var arrivalSpeed = 1.0
    /// Called now and then from the plans' threads with (plan position, simulated fraction of
    /// the duration done). For progress displays; nil for none.
    public var progress: (@Sendable (Int, Double) -> Void)?

    public init() {}
}

/// Runs scenarios: each plan on its own virtual timeline, with the same seed, so the plans see
/// the same arrivals (common random numbers) and differ only by policy.
public enum Runner {
    /// The plan indices selected by name, in file order. Throws for unknown names.
    public static func selectPlans(_ scenario: Scenario, names: [String]) throws -> [Int] {
        if names.isEmpty { return Array(scenario.plans.indices) }
        let all = scenario.plans.map(\.name)
        for name in names where !all.contains(name) {
            throw ScenarioError(file: scenario.file, path: "$.plans", message: "no plan named \"\(name)\"",
                                suggestion: Suggest.hint(for: name, in: all, noun: "plans are"))
        }
        return scenario.plans.indices.filter { names.contains(scenario.plans[$0].name) }
    }

    /// Checks what a run would find out late: plan capacity, and every trace row (a looping
    /// trace is read once: its later passes replay the same rows).
    ///
    /// - Returns: the trace rows read.
    public static func validate(_ scenario: Scenario) throws -> Int {
        for k in scenario.plans.indices { try PlanBuilder.checkPlan(scenario, planIndex: k) }
        var callers = StringTable(), versions = StringTable()
        var sources = try SourceState.make(scenario, seed: scenario.seed, callers: &callers, versions: &versions)
        var rows = 0
        for k in sources.indices {
            switch sources[k].process {
            case .trace, .functionCounts: break
            default: continue
            }
            // One pass: a dense looping trace would otherwise replay for the whole duration.
            sources[k].traceLoop = false
            repeat {
                try sources[k].advance(callers: &callers, versions: &versions)
                if !sources[k].exhausted { rows += 1 }
            } while !sources[k].exhausted
        }
        return rows
    }

    /// Runs the selected plans and returns their results in plan order.
    public static func run(_ scenario: Scenario, options: RunOptions) throws -> RunResult {
        let indices = try selectPlans(scenario, names: options.planNames)
        for k in indices { try PlanBuilder.checkPlan(scenario, planIndex: k) }
        let seed = options.seed ?? scenario.seed
        var options = options
        options.drawAhead = drawsAhead(options, plans: indices.count, cores: ProcessInfo.processInfo.activeProcessorCount)
        let fixed = options
        let plans = try ParallelWork.map(indices.count, parallel: options.parallel) { j in
            try runPlan(scenario, index: indices[j], seed: seed, options: fixed, position: j)
        }
        return RunResult(scenario: scenario, seed: seed, plans: plans, planIndices: indices,
                         requestLogs: options.requestLogDirectory.map { dir in indices.map { "\(dir)/requests.\($0).part" } } ?? [],
                         callers: plans.first?.callers ?? [""], versions: plans.first?.versions ?? [""])
    }

    /// Whether `plans` plans run with `options` on `cores` cores draw their arrivals ahead:
    /// when asked to, and when the plans running at once leave a core for it.
    static func drawsAhead(_ options: RunOptions, plans: Int, cores: Int) -> Bool {
        options.drawAhead && leavesCoreIdle(simulations: plans, parallel: options.parallel, cores: cores)
    }

    /// Whether `simulations` run through `ParallelWork.map` (min(simulations, cores) at once,
    /// or one at a time when not `parallel`) leave one of `cores` cores free for drawing ahead.
    public static func leavesCoreIdle(simulations: Int, parallel: Bool, cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Bool {
        (parallel ? Swift.min(simulations, cores) : 1) < cores
    }

    /// Runs one plan.
    public static func runPlan(_ s: Scenario, index: Int, seed: UInt64, options: RunOptions, position: Int = 0) throws -> PlanResult {
        // The sources as this plan serves them.
        let s = s.forPlan(index)
        let plan = s.plans[index]
        var callers = StringTable(), versions = StringTable()
        // Callers with a quota get the first ids, so the core's quota table is indexed by them.
        let directory = CallerDirectory(s)
        for name in directory.names.dropFirst() { _ = callers.intern(name) }
        let quotas = directory.quotas
        let prefixes = PrefixTree()
        let sources = try SourceState.make(s, seed: seed, callers: &callers, versions: &versions, speed: options.arrivalSpeed, prefixes: prefixes)
        let physics = PlanBuilder.physics(s, plan: plan)
        let log = try options.requestLogDirectory.map { try RequestLogWriter(path: "\($0)/requests.\(index).part", prefix: CSVNumber.field(plan.name) + ",") }
        /// Drives one core (specialised for its policy) on the virtual clock.
        struct Simulate: CoreVisitor {
            let s: Scenario, physics: PlanPhysics, seed: UInt64, options: RunOptions, position: Int
            let sources: [SourceState], callers: StringTable, versions: StringTable, log: RequestLogWriter?, prefixes: PrefixTree
            func visit<P: ScalingPolicy>(_ core: Scheduler<P>) throws -> PlanResult {
                var sim = Simulation(core: core, scenario: s, physics: physics, seed: options.physicsSeed ?? seed, interval: options.interval,
                                     speed: options.arrivalSpeed,
                                     sources: sources, callers: callers, versions: versions, log: log, prefixes: prefixes)
                if let p = options.progress { let position = position; sim.progress = { p(position, $0) } }
                sim.drawAhead = options.drawAhead
                if !options.replayedInits.isEmpty { sim.replayedInits = options.replayedInits }
                return try sim.run()
            }
        }
        var result = try PlanBuilder.withCore(s, planIndex: index, callerQuotas: quotas,
                                              Simulate(s: s, physics: physics, seed: seed, options: options, position: position,
                                                       sources: sources, callers: callers, versions: versions, log: log, prefixes: prefixes))
        try log?.close()
        result.plan = plan.name
        return result
    }
}
