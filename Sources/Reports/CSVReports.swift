import Scenario
import SchedulerCore
import Simulator

/// The CSV files of a run. Columns and their order are the contract of SCENARIO.md; columns
/// added beyond it come after those. Numbers: counts as integers, everything else with six
/// decimals, no exponent, no locale — the same run gives the same bytes.
public enum CSVReports {
    /// Columns of summary.csv.
    public static let summaryColumns: [String] = {
        let reasons: [String] = RejectReason.simulated.map { "rejected_" + $0.label }
        return ["scenario", "plan", "policy"] + SummaryMetric.names + reasons + ["end_time_s"]
    }()
    /// Columns of targets.csv.
    public static let targetColumns = ["scenario", "plan", "target", "requests", "completed", "rejected", "timed_out"] + LatencyColumns.names
        + ["stage"]
    /// Columns of callers.csv.
    public static let callerColumns = ["scenario", "plan", "caller", "requests", "completed", "rejected", "timed_out"] + LatencyColumns.names
        + ["cold_starts", "slo_attainment", "service_s", "cost_usd"]

    /// Columns of versions.csv.
    public static let versionColumns = ["scenario", "plan", "model", "version", "requests", "completed", "rejected", "timed_out"]
        + LatencyColumns.names + ["cold_starts", "slo_attainment", "share"]

    /// Columns of timeseries.csv.
    public static let timeseriesColumns = ["scenario", "plan", "time_s", "arrivals", "completions", "rejections", "timeouts", "queued",
                                           "instances_busy", "instances_idle", "instances_starting", "nodes_ready", "nodes_booting", "cost_usd",
                                           "cold_starts"] + ColdStartPhase.allCases.map(\.column)
    /// Columns of requests.csv.
    public static let requestColumns = ["plan", "id", "caller", "target", "model", "version", "arrival_s", "start_s", "end_s",
                                        "outcome", "cold", "node", "instance", "reason"]
    /// Columns requests.csv gains when a model has an engine (the simulator's request log
    /// writes them in this order).
    public static let requestEngineColumns = ["ttft_s", "tpot_s"]

    public static let integerMetrics: Set<String> = ["requests", "completed", "rejected", "timed_out", "cold_starts", "instances_max", "nodes_max", "instance_starts",
                                                            "training_jobs", "training_completed", "training_preemptions", "requests_during_training",
                                                            "node_request_failures", "spot_interruptions", "requests_interrupted"]

    /// A summary value as a CSV cell: counts as integers, others with six decimals, empty for none.
    public static func number(_ v: Double?, integer: Bool = false) -> String {
        guard let v else { return "" }
        return integer ? String(Int64(v.rounded())) : CSVNumber.fixed(v, 6)
    }

    /// Engine columns (after the others) when the scenario has an engine model: "," and
    /// their names, or nothing.
    static func engineHeader(_ run: RunResult) -> String {
        run.reportsTokens ? "," + EngineMetric.names.joined(separator: ",") : ""
    }

    /// The engine columns' cells (`EngineMetric.names` order); all empty for nil (a plan,
    /// target or interval no engine served).
    public static func engineFields(_ values: [Double?]?) -> [String] {
        guard let values else { return [String](repeating: "", count: EngineMetric.names.count) }
        return zip(EngineMetric.names, values).map { number($1, integer: EngineMetric.integers.contains($0)) }
    }

    public static func summary(_ run: RunResult) -> String {
        var out = summaryColumns.joined(separator: ",") + engineHeader(run) + "\n"
        for plan in run.plans {
            let row = Summary.row(plan)
            var fields = [CSVNumber.field(run.scenario.name), CSVNumber.field(row.plan), row.policy]
            for (k, name) in SummaryMetric.names.enumerated() {
                fields.append(number(row.values[k], integer: integerMetrics.contains(name)))
            }
            fields += row.rejectedByReason.map { String($0) }
            fields.append(CSVNumber.fixed(row.endTime, 6))
            if run.reportsTokens { fields += engineFields(row.engineValues) }
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }

    public static func targets(_ run: RunResult) -> String {
        var out = targetColumns.joined(separator: ",") + engineHeader(run) + "\n"
        let names = run.scenario.targetNames
        let hasEngine = run.reportsTokens
        let noEngine = hasEngine ? engineFields(nil) : []
        for plan in run.plans {
            for (t, stats) in plan.perTarget.enumerated() where stats.requests > 0 {
                var fields = [CSVNumber.field(run.scenario.name), CSVNumber.field(plan.plan), CSVNumber.field(names[t]),
                              String(stats.requests), String(stats.completed), String(stats.rejected), String(stats.timedOut)]
                fields += LatencyColumns.values(stats.latency).map { number($0) }
                fields.append("")
                if hasEngine {
                    // Only targets an engine served have engine figures.
                    let served = run.scenario.stages(of: TargetRef(index: t)).contains { run.scenario.models[$0].engine != nil }
                    fields += engineFields(served && t < plan.enginePerTarget.count
                                           ? plan.enginePerTarget[t].columns(seconds: plan.endTime, planWide: false) : nil)
                }
                out += fields.joined(separator: ",") + "\n"
                // A pipeline's stages: each stage's latency (queue, cold start and service) over
                // the requests that finished it; the outcome columns are for whole requests only.
                let stages = t < plan.stageLatency.count ? plan.stageLatency[t] : []
                for (k, h) in stages.enumerated() {
                    let model = run.scenario.models[run.scenario.stages(of: TargetRef(index: t))[k]].name
                    var row = [CSVNumber.field(run.scenario.name), CSVNumber.field(plan.plan), CSVNumber.field(names[t]),
                               String(h.count), String(h.count), "", ""]
                    row += LatencyColumns.values(h).map { number($0) }
                    row.append(CSVNumber.field("\(k + 1):\(model)"))
                    row += noEngine
                    out += row.joined(separator: ",") + "\n"
                }
            }
        }
        return out
    }

    /// One row per (plan, caller), plus a row with an empty caller for requests that named
    /// none, so the rows of a plan add up to its totals. A plan's cost is attributed to callers
    /// in proportion to the service time their requests used.
    public static func callers(_ run: RunResult) -> String {
        var out = callerColumns.joined(separator: ",") + "\n"
        for plan in run.plans {
            var rows: [(String, OutcomeStats)] = []
            var named = OutcomeStats()
            for (c, stats) in plan.perCaller.enumerated() where c > 0 && stats.requests > 0 {
                rows.append((plan.callers[c], stats))
                named.merge(stats)
            }
            let anonymous = plan.totals.requests - named.requests
            if anonymous > 0 {
                // Everything not sent by a named caller: totals minus the named callers' sums.
                var rest = OutcomeStats()
                rest.requests = anonymous
                rest.completed = plan.totals.completed - named.completed
                rest.rejected = plan.totals.rejected - named.rejected
                rest.timedOut = plan.totals.timedOut - named.timedOut
                rest.coldStarts = plan.totals.coldStarts - named.coldStarts
                rest.withinSLO = plan.totals.withinSLO - named.withinSLO
                rest.serviceNanoseconds = plan.totals.serviceNanoseconds - named.serviceNanoseconds
                rows.insert(("", rest), at: 0)
            }
            let totalService = Double(plan.totals.serviceNanoseconds)
            for (name, stats) in rows {
                var fields = [CSVNumber.field(run.scenario.name), CSVNumber.field(plan.plan), CSVNumber.field(name),
                              String(stats.requests), String(stats.completed), String(stats.rejected), String(stats.timedOut)]
                // Latencies are known only for named callers (the anonymous row has none).
                fields += LatencyColumns.values(stats.latency).map { number($0) }
                fields.append(String(stats.coldStarts))
                fields.append(plan.hasSLO && stats.requests > 0 ? CSVNumber.fixed(Double(stats.withinSLO) / Double(stats.requests), 6) : "")
                fields.append(CSVNumber.fixed(Double(stats.serviceNanoseconds) / 1e9, 6))
                fields.append(CSVNumber.fixed(totalService > 0 ? plan.cost * Double(stats.serviceNanoseconds) / totalService : 0, 6))
                out += fields.joined(separator: ",") + "\n"
            }
        }
        return out
    }

    /// versions.csv: per plan, one row per version of each model with versions (the declared
    /// version first, then the others in file order). `share` is the version's part of its
    /// model's requests; a request counts for the version chosen for its last stage.
    public static func versions(_ run: RunResult) -> String {
        var out = versionColumns.joined(separator: ",") + "\n"
        let models = run.scenario.models
        for plan in run.plans where !plan.perModel.isEmpty {
            for (m, model) in models.enumerated() where model.variantOf == nil && !model.variantGroup.isEmpty {
                let groupRequests = model.variantGroup.reduce(Int64(0)) { $0 + plan.perModel[$1].requests }
                for v in model.variantGroup {
                    let stats = plan.perModel[v]
                    var fields = [CSVNumber.field(run.scenario.name), CSVNumber.field(plan.plan), CSVNumber.field(models[m].name),
                                  CSVNumber.field(models[v].version ?? ""),
                                  String(stats.requests), String(stats.completed), String(stats.rejected), String(stats.timedOut)]
                    fields += LatencyColumns.values(stats.latency).map { number($0) }
                    fields.append(String(stats.coldStarts))
                    fields.append(plan.hasSLO && stats.requests > 0 ? CSVNumber.fixed(Double(stats.withinSLO) / Double(stats.requests), 6) : "")
                    fields.append(groupRequests > 0 ? CSVNumber.fixed(Double(stats.requests) / Double(groupRequests), 6) : "")
                    out += fields.joined(separator: ",") + "\n"
                }
            }
        }
        return out
    }

    public static func timeseries(_ run: RunResult) -> String {
        var out = timeseriesColumns.joined(separator: ",") + engineHeader(run) + "\n"
        let hasEngine = run.reportsTokens
        out.reserveCapacity(run.plans.reduce(0) { $0 + $1.timeseries.count } * 180)
        for plan in run.plans {
            let prefix = CSVNumber.field(run.scenario.name) + "," + CSVNumber.field(plan.plan) + ","
            // Field by field into one string: a long run has hundreds of thousands of rows.
            for r in plan.timeseries {
                out += prefix
                out += CSVNumber.fixed(r.time, 6)
                func count(_ n: some BinaryInteger) {
                    out += ","
                    out += String(n)
                }
                count(r.arrivals); count(r.completions); count(r.rejections); count(r.timeouts); count(r.queued)
                count(r.instancesBusy); count(r.instancesIdle); count(r.instancesStarting); count(r.nodesReady); count(r.nodesBooting)
                out += ","
                out += CSVNumber.fixed(r.costSoFar, 6)
                out += ","
                out += String(r.coldStarts)
                for phase in ColdStartPhase.allCases {
                    out += ","
                    out += CSVNumber.fixed(r.coldPhaseSeconds[phase], 6)
                }
                if hasEngine {
                    // Over the interval: TTFT and TPOT of requests completed in it, output tokens
                    // per second, KV use and batch size averaged over it.
                    for field in engineFields(r.engine) {
                        out += ","
                        out += field
                    }
                }
                out += "\n"
            }
        }
        return out
    }
}
