import Foundation
import Scenario
import SchedulerCore
import Simulator

/// A load run as an ordinary report: the same `RunResult` a simulation gives, so the same
/// writers make `summary.csv`, `targets.csv`, `timeseries.csv` and `requests.csv`, and
/// `headroom compare` reads a measured folder beside a simulated one.
///
/// Client-side figures come from the answers: a 2xx is completed, a 504 or no answer within
/// the client's timeout is timed out, anything else is rejected (by the reason the endpoint
/// gave in `Headroom-Reject-Reason`, else by status). Latency runs from each request's due
/// time. Capacity figures (instance-seconds, starts, nodes) come from the endpoint's
/// `/metrics` when it is a Headroom runtime (differences of counters between the first and
/// last scrape; maxima and gauges from the samples); against another endpoint they are zero.
/// Cost is not measured (zero).
public enum MeasuredRun {
    public static func result(_ load: LoadRun, scenario: Scenario, plan: String, policy: String, interval: Double) -> RunResult {
        let names = scenario.targetNames
        // Load-run target index → scenario target index.
        let targetMap = load.targetNames.map { names.firstIndex(of: $0) ?? 0 }
        var r = PlanResult(plan: plan, policy: policy, targets: names.count, callers: load.callers, versions: load.versions,
                           hasSLO: scenario.slo.latency != nil)
        let slo = scenario.slo.latency.map { Int64($0 * 1e9) }
        let simulatedReasons = RejectReason.simulated.map(\.label)
        // Token timing of streamed LLM answers (`--api openai`), as the simulator's engine
        // reports its own: TTFT and TPOT of completed requests, tokens.
        let tokens = load.requests.contains { $0.tokens > 0 }
        var engine = EngineStats(simulated: false)
        var enginePerTarget = [EngineStats](repeating: EngineStats(simulated: false), count: names.count)
        for q in load.requests {
            let t = targetMap[Int(q.target)]
            var s = OutcomeStats()
            s.requests = 1
            if q.cold { s.coldStarts = 1 }
            switch q.outcome {
            case .completed:
                s.completed = 1
                let latency = max(0, q.end - q.due)
                s.latency.record(latency)
                if let slo, latency <= slo { s.withinSLO = 1 }
                if tokens {
                    book(q, into: &engine)
                    book(q, into: &enginePerTarget[t])
                }
            case .timedOut:
                s.timedOut = 1
            case .rejected:
                s.rejected = 1
                if let k = simulatedReasons.firstIndex(of: load.reasons[Int(q.reason)]) { r.rejectedByReason[k] += 1 }
            }
            r.perTarget[t].merge(s)
            r.perCaller[Int(q.caller)].merge(s)
        }
        for t in r.perTarget { r.totals.merge(t) }
        if tokens {
            r.engine = engine
            r.enginePerTarget = enginePerTarget
        }
        r.endTime = Double(load.end) / 1e9
        if let first = load.scrapes.first, let last = load.scrapes.last {
            r.instanceSeconds = last.instanceSeconds - first.instanceSeconds
            r.instanceStarts = Int64((last.instanceStarts - first.instanceStarts).rounded())
            r.nodeSeconds = last.nodeSeconds.keys.reduce(0) { $0 + last.nodeSeconds[$1]! - (first.nodeSeconds[$1] ?? 0) }
            r.instancesMax = Int(load.scrapes.map(\.liveInstances).max() ?? 0)
            r.nodesMax = Int(load.scrapes.map(\.liveNodes).max() ?? 0)
            // GPU-hours by the node types' GPUs.
            r.gpuSeconds = scenario.hardware.reduce(0) { sum, hw in
                sum + Double(hw.gpus) * ((last.nodeSeconds[hw.name] ?? 0) - (first.nodeSeconds[hw.name] ?? 0))
            }
        }
        if interval > 0 { r.timeseries = timeseries(load, interval: interval) }
        return RunResult(scenario: scenario, seed: scenario.seed, plans: [r], planIndices: [0], requestLogs: [],
                         callers: load.callers, versions: load.versions)
    }

    /// A completed request's token timing into an engine's figures (none without a token).
    static func book(_ q: SentRequest, into e: inout EngineStats) {
        guard let ttft = q.ttft else { return }
        e.ttft.record(ttft)
        if let tpot = q.tpot { e.tpot.record(tpot) }
        e.outputTokens += Int64(q.tokens)
        e.inputTokens += Int64(q.inputTokens)
    }

    /// Per interval: what the client saw (arrivals by due time, ends by answer time) and the
    /// endpoint's gauges at the sample nearest the interval's end.
    static func timeseries(_ load: LoadRun, interval: Double) -> [TimeseriesRow] {
        let step = Int64(interval * 1e9)
        let rows = Int((load.end + step - 1) / step)
        guard rows > 0, rows < 10_000_000 else { return [] }
        var out = (1...rows).map { TimeseriesRow(time: Double($0) * interval) }
        func row(_ t: Int64) -> Int { min(rows - 1, max(0, Int(t / step))) }
        for q in load.requests {
            out[row(q.due)].arrivals += 1
            if q.cold { out[row(q.due)].coldStarts += 1 }
            let k = row(q.end)
            switch q.outcome {
            case .completed: out[k].completions += 1
            case .timedOut: out[k].timeouts += 1
            case .rejected: out[k].rejections += 1
            }
        }
        var j = 0
        for k in out.indices {
            let end = Int64(k + 1) * step
            while j + 1 < load.scrapes.count && load.scrapes[j + 1].time <= end { j += 1 }
            guard let s = load.scrapes.indices.contains(j) ? load.scrapes[j] : nil, s.time <= end + step else { continue }
            out[k].queued = Int(s.queued)
            // The runtime's gauges tell ready from starting, not busy from idle: in flight
            // requests beyond the queue are in service.
            let ready = Int(s.instances["ready", default: 0] + s.instances["draining", default: 0])
            out[k].instancesBusy = min(ready, max(0, Int(s.inFlight - s.queued)))
            out[k].instancesIdle = ready - out[k].instancesBusy
            out[k].instancesStarting = Int(s.instances["starting", default: 0] + s.instances["pending", default: 0] + s.instances["waiting_for_node", default: 0])
            out[k].nodesReady = Int(s.nodes["ready", default: 0])
            out[k].nodesBooting = Int(s.nodes["booting", default: 0])
        }
        return out
    }

    /// The rows of requests.csv (without its header), one per request in id order; with
    /// `tokens`, each ends with its `ttft_s` and `tpot_s` (empty where none was measured).
    public static func requestRows(_ load: LoadRun, plan: String, tokens: Bool = false) -> String {
        var out = ""
        for q in load.requests {
            let outcome = q.outcome
            let target = load.targetNames[Int(q.target)]
            let fields = [CSVNumber.field(plan), String(q.id), CSVNumber.field(load.callers[Int(q.caller)]), CSVNumber.field(target),
                          CSVNumber.field(target), CSVNumber.field(load.versions[Int(q.version)]),
                          CSVNumber.seconds(q.due), CSVNumber.seconds(q.sent), CSVNumber.seconds(q.end), outcome.rawValue, q.cold ? "true" : "false", "", "",
                          CSVNumber.field(outcome == .rejected ? load.reasons[Int(q.reason)] : "")]
            out += fields.joined(separator: ",")
            if tokens {
                let done = outcome == .completed
                func cell(_ ns: Int64?) -> String { done ? ns.map { CSVNumber.fixed(Double($0) / 1e9, 6) } ?? "" : "" }
                out += "," + cell(q.ttft) + "," + cell(q.tpot)
            }
            out += "\n"
        }
        return out
    }

    /// Writes the load run's requests.csv rows as a part file in `folder` (a report
    /// staging folder) and names it in `run`, for the report writer to join under its header.
    public static func stageRequests(_ load: LoadRun, plan: String, in folder: String, into run: inout RunResult) throws {
        let part = folder + "/requests.measured.part"
        guard FileManager.default.createFile(atPath: part, contents: Data(requestRows(load, plan: plan, tokens: run.reportsTokens).utf8)) else {
            throw SimulationError.io("cannot write \(part)")
        }
        run.requestLogs = [part]
    }

    /// A scenario that only names a trace's targets, so a trace replayed without one still
    /// gets ordinary report files.
    public static func traceScenario(name: String, targets: [String], file: String) throws -> Scenario {
        let models = targets.filter { !$0.isEmpty }.map { "\(JSONText.quote($0)):{\"requires\":{\"vcpus\":1,\"memoryGiB\":1},\"service\":\"1ms\"}" }
        let text = "{\"name\":\(JSONText.quote(name)),\"duration\":\"1s\",\"hardware\":{\"endpoint\":{\"vcpus\":1,\"memoryGiB\":1,\"pricePerHour\":0}},"
            + "\"models\":{\(models.joined(separator: ","))},\"workload\":[{\"kind\":\"poisson\",\"target\":\(JSONText.quote(targets.first { !$0.isEmpty } ?? "")),\"rate\":0}],"
            + "\"plans\":{\"measured\":{\"policy\":\"traditional\",\"nodes\":{\"endpoint\":1}}}}"
        return try ScenarioLoader.decode(text, file: file)
    }
}
