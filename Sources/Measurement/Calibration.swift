import Foundation
import Scenario
import Simulator
import Runtime
import Reports

/// Turns what the runtime measured of its workers into a scenario, and compares a
/// simulation of it with the measured run.
public enum Calibration {
    /// Percentile points of an empirical distribution drawn from `n` samples: as fine as the
    /// samples support (a tail point only when at least ten samples lie beyond it).
    static func percentiles(samples n: Int) -> [Double] {
        var points: [Double] = [0]
        let step: Double = n >= 200 ? 1 : n >= 40 ? 5 : n >= 10 ? 10 : 25
        var p = step
        while p < 100 { points.append(p); p += step }
        for tail in [97.5, 99, 99.5, 99.9] where Double(n) * (100 - tail) / 100 >= 10 && !points.contains(tail) { points.append(tail) }
        points.append(100)
        return points.sorted()
    }

    /// The sample quantile at `p` percent (linear between order statistics).
    static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        let x = p / 100 * Double(sorted.count - 1)
        let k = Int(x.rounded(.down))
        guard k + 1 < sorted.count else { return sorted[sorted.count - 1] }
        return sorted[k] + (sorted[k + 1] - sorted[k]) * (x - Double(k))
    }

    /// An empirical distribution of `samples` (seconds) as a scenario's JSON.
    public static func empirical(_ samples: [Double]) -> JSONNode {
        let sorted = samples.sorted()
        let members = percentiles(samples: sorted.count).map { p -> JSONMember in
            let key = p == p.rounded() ? String(Int(p)) : String(p)
            // Microseconds are finer than any timer this runs on.
            let v = (quantile(sorted, p) * 1e6).rounded() / 1e6
            return JSONMember(key: key, value: JSONNode(value: .number(v), line: 0, column: 0))
        }
        return JSONNode(value: .object([
            JSONMember(key: "dist", value: JSONNode(value: .string("empirical"), line: 0, column: 0)),
            JSONMember(key: "percentiles", value: JSONNode(value: .object(members), line: 0, column: 0)),
        ]), line: 0, column: 0)
    }

    /// What was measured of one model.
    public struct ModelSamples: Sendable {
        public var model: String
        public var service: [Double]
        public var start: [Double]
        /// The workers' CPU while they served.
        public var servingCPU = ProcessCPU(running: 0, waiting: 0)
        /// Instances whose serving CPU was read.
        public var servingInstances = 0
        /// Seconds the workers' cgroups were throttled by their CPU limit while they served
        /// and while they started, and whether any worker had such a cgroup.
        public var servingThrottled = 0.0
        public var startThrottled = 0.0
        public var limited = false
        /// Starts whose CPU was read (where /proc said), each with its time (process start →
        /// ready) and its CPU over it; and the
        /// times of the cold ones (started after t = 0, as the simulator counts them).
        public var startsWithCPU: [(seconds: Double, cpu: ProcessCPU)] = []
        public var coldStarts: [Double] = []
        /// The service times of the requests that had their worker process to themselves (no
        /// other request in service on the same instance at any moment of theirs).
        public var aloneService: [Double] = []
        /// Each service time's own wait for a core (seconds), aligned with `service` and
        /// `aloneService`: its worker's run delay over the stage, shared equally with the
        /// stages in service beside it on the same process (nil where it was not read).
        public var serviceWaiting: [Double?] = []
        public var aloneWaiting: [Double?] = []
        /// The part of each wait that its worker's cgroup was throttled by a CPU limit
        /// (seconds), read and shared the same way (nil where the worker had no cgroup or it
        /// was not read).
        public var serviceThrottled: [Double?] = []
        public var aloneThrottled: [Double?] = []
        /// Which request each service time was (measured run and the client's number), aligned
        /// with `service` and `aloneService`; nil where the client did not number it.
        public var serviceRequests: [RequestKey?] = []
        public var aloneRequests: [RequestKey?] = []
        /// The service times of the others: requests that shared their worker process with
        /// another at some moment of theirs.
        public var sharedService: [Double] = []
        /// Whether the scenario models sharing within one process (`cpu.instanceThreads` below
        /// what its concurrent requests could use): the simulator then puts that contention
        /// back, so the calibrated times must be those of requests alone in their process.
        public var sharedProcess = false

        /// The service times calibration takes the model's times from: those of requests alone
        /// in their process when the scenario models sharing within it (and enough were),
        /// else all.
        public var basis: [Double] {
            usesAlone ? aloneService : service
        }

        /// The basis's own waits for a core, when every one was read.
        public var basisWaiting: [Double]? {
            let w = usesAlone ? aloneWaiting : serviceWaiting
            guard w.count == basis.count, !w.isEmpty else { return nil }
            let read = w.compactMap { $0 }
            return read.count == w.count ? read : nil
        }

        /// The basis's own throttled times: zeros for a model without a CPU limit, nil for
        /// one with a limit when some were not read.
        public var basisThrottled: [Double]? {
            guard limited else { return [Double](repeating: 0, count: basis.count) }
            let t = usesAlone ? aloneThrottled : serviceThrottled
            guard t.count == basis.count else { return nil }
            let read = t.compactMap { $0 }
            return read.count == t.count ? read : nil
        }

        /// The basis's requests, aligned with `basis`.
        public var basisRequests: [RequestKey?] { usesAlone ? aloneRequests : serviceRequests }

        private var usesAlone: Bool { sharedProcess && aloneService.count >= Calibration.minimumSamples }
    }

    /// The runtime's records grouped by model (models in scenario order, those with any).
    public static func samples(_ recorder: RuntimeRecorder, scenario: Scenario) -> [ModelSamples] {
        var out = scenario.models.map { m in
            var s = ModelSamples(model: m.name, service: [], start: [])
            s.sharedProcess = m.sharesProcess
            return s
        }
        let stages = recorder.stagesServed
        // Stages alone on their instance: sorted by instance and start, each overlaps the
        // stages before it that are still in service when it starts, and after it those that
        // start before it ends.
        let order = stages.indices.filter { stages[$0].instance >= 0 && out.indices.contains(stages[$0].model) }.sorted {
            let a = stages[$0], b = stages[$1]
            return (a.instance, a.generation, a.sent, $0) < (b.instance, b.generation, b.sent, $1)
        }
        var alone = [Bool](repeating: true, count: stages.count)
        var k = 0
        while k < order.count {
            var j = k
            var end = Int64.min, endIndex = -1
            while j < order.count, stages[order[j]].instance == stages[order[k]].instance, stages[order[j]].generation == stages[order[k]].generation {
                let s = stages[order[j]]
                if s.sent < end {
                    alone[order[j]] = false
                    if endIndex >= 0 { alone[endIndex] = false }
                }
                if s.answered > end { end = s.answered; endIndex = order[j] }
                j += 1
            }
            k = j
        }
        let waiting = stageWaiting(stages, order: order)
        let throttled = stageWaiting(stages, order: order) { $0.throttled }
        for (k, s) in stages.enumerated() where out.indices.contains(s.model) {
            out[s.model].service.append(s.seconds)
            out[s.model].serviceWaiting.append(waiting[k])
            out[s.model].serviceThrottled.append(throttled[k])
            out[s.model].serviceRequests.append(RequestKey(s))
        }
        for k in order where !alone[k] {
            out[stages[k].model].sharedService.append(stages[k].seconds)
        }
        for k in order where alone[k] {
            out[stages[k].model].aloneService.append(stages[k].seconds)
            out[stages[k].model].aloneWaiting.append(waiting[k])
            out[stages[k].model].aloneThrottled.append(throttled[k])
            out[stages[k].model].aloneRequests.append(RequestKey(stages[k]))
        }
        for s in recorder.instanceStarts where out.indices.contains(s.model) {
            out[s.model].start.append(s.processStart)
            if let cpu = s.cpu {
                out[s.model].startsWithCPU.append((s.processStart, cpu))
            }
            if !s.warm { out[s.model].coldStarts.append(s.processStart) }
            if let t = s.throttle {
                out[s.model].startThrottled += t.throttledSeconds
                out[s.model].limited = true
            }
        }
        for s in recorder.instancesServed where out.indices.contains(s.model) {
            out[s.model].servingCPU.running += s.cpu.running
            out[s.model].servingCPU.waiting += s.cpu.waiting
            out[s.model].servingInstances += 1
            if let t = s.throttle {
                out[s.model].servingThrottled += t.throttledSeconds
                out[s.model].limited = true
            }
        }
        return out.filter { !$0.service.isEmpty || !$0.start.isEmpty }
    }

    /// The network leg of the measured requests (seconds, `network.roundTrip`): the load
    /// generator's mean latency of its completed requests (due → answer, so late sends count
    /// as a client saw them) less the runtime's mean time with each request it answered 2xx
    /// (arrival at its front → answer). Nil when either side has none; never below 0.
    public static func networkRoundTrip(_ loads: [LoadRun], recorder: RuntimeRecorder) -> Double? {
        var sum = 0.0, count = 0
        for load in loads {
            for r in load.requests where r.outcome == .completed {
                sum += Double(r.end - r.due) / 1e9
                count += 1
            }
        }
        let platform = recorder.callsAnswered
        guard count > 0, platform.count > 0 else { return nil }
        return Swift.max(0, sum / Double(count) - platform.seconds / Double(platform.count))
    }

    /// Fewer samples than this and the declared distribution is kept.
    public static let minimumSamples = 5

    /// The scenario `root` with each measured model's `service` replaced by its measured
    /// service times, and its cold start by its measured process start → ready (`init`;
    /// `load` and `warmup` removed, since the measurement covers them). Image pulls and node
    /// boots stay as declared: the runtime models them from the same keys. Returns the text
    /// and one line per model saying what changed.
    public static func calibrated(_ root: JSONNode, samples: [ModelSamples], provenance: String, background: Double? = nil,
                                  keep: Double = 0, startInterference: Double? = nil, roundTrip: Double? = nil) throws -> (text: String, notes: [String]) {
        guard case var .object(top) = root.value, let mk = top.firstIndex(where: { $0.key == "models" }),
              case var .object(models) = top[mk].value.value else {
            throw LoadError.data("the scenario has no \"models\" object to calibrate")
        }
        var notes: [String] = []
        for s in samples {
            guard let k = models.firstIndex(where: { $0.key == s.model }), case var .object(fields) = models[k].value.value else {
                notes.append("\(s.model): a version of another model; its measurements are reported, the file keeps its declared times")
                continue
            }
            func put(_ key: String, _ node: JSONNode) {
                if let j = fields.firstIndex(where: { $0.key == key }) { fields[j].value = node } else { fields.append(JSONMember(key: key, value: node)) }
            }
            var changed: [String] = []
            // The CPU the workers burned: a share of each (uncontended) service and start-up
            // time, which the simulator then shares between neighbours; the measured times are
            // taken back to uncontended by the time the workers waited for a core.
            let fit = cpuFit(s, keep: keep)
            let serviceScale = fit?.serviceScale ?? 1
            let uncontendedService = calibratedService(s, fit: fit).times
            if let fit {
                var cpu: [JSONMember] = []
                if let j = fields.firstIndex(where: { $0.key == "cpu" }), case let .object(old) = fields[j].value.value {
                    // The measured starts replace init, load and warm-up: their shares go too.
                    // Threads, the instance's bound and a boost are the worker's, kept.
                    cpu = old.filter { !["fraction", "init", "load", "warmup"].contains($0.key) }
                }
                func number(_ x: Double) -> JSONNode { JSONNode(value: .number((x * 1e4).rounded() / 1e4), line: 0, column: 0) }
                cpu.insert(JSONMember(key: "fraction", value: number(fit.fraction)), at: 0)
                let shared = startInterference != nil ? startFit(s) : nil
                if let shared {
                    cpu.insert(JSONMember(key: "init", value: number(shared.fraction)), at: 1)
                }
                put("cpu", JSONNode(value: .object(cpu), line: 0, column: 0))
                changed.append("CPU work \(ValueFormat.seconds(fit.perRequest)) per request (\(Int((fit.fraction * 100).rounded())) % of the uncontended service time)"
                               + (fit.perStart.map { " and \(ValueFormat.seconds($0)) per start" + (shared == nil ? " (starts kept as measured)" : "") } ?? "")
                               + (serviceScale < 0.999 ? "; measured times less the \(Int(((1 - serviceScale) * 100).rounded())) % spent waiting for a core\(s.limited ? " or throttled by the CPU limit" : "")"
                                  + (fit.perRequestWaiting ? " (each request's own wait, read from its worker's schedstat as it was sent and answered)" : " (the workers' totals, spread over their requests)") : "")
                               + (fit.kept > 0 ? "; \(ValueFormat.seconds(fit.kept)) a request of waiting for a core kept in the service times (\(Int((keep * 100).rounded())) % of each request's own)" : ""))
            }
            if fields.contains(where: { $0.key == "engine" }) {
                // Its times come from the engine's iterations, which the scenario declares;
                // the comparison sets its TTFT and TPOT beside the measured ones.
                changed.append("service times from its engine as declared (\(s.service.count) requests measured; TTFT and TPOT compared)")
            } else if s.service.count >= minimumSamples {
                put("service", empirical(uncontendedService))
                changed.append("service from \(uncontendedService.count) requests\(uncontendedService.count < s.service.count ? " that had their worker process to themselves (of \(s.service.count))" : "") (median \(ValueFormat.seconds(quantile(uncontendedService.sorted(), 50))))")
            } else if !s.service.isEmpty {
                changed.append("service kept: only \(s.service.count) requests measured")
            }
            if startInterference != nil, fit != nil, let shared = startFit(s) {
                // The starts taken back to uncontended (less the time they waited for a core),
                // their CPU share declared: the simulator puts the contention back by fair
                // sharing, and the interference fitted from the concurrent starts the rest.
                let starts = shared.uncontended
                put("init", starts.count >= minimumSamples ? empirical(starts)
                    : JSONNode(value: .number((starts.reduce(0, +) / Double(starts.count) * 1e6).rounded() / 1e6), line: 0, column: 0))
                fields.removeAll { $0.key == "load" || $0.key == "warmup" }
                changed.append("init from \(starts.count) worker start\(starts.count == 1 ? "" : "s") less the time they waited for a core (median \(ValueFormat.seconds(quantile(starts.sorted(), 50))), \(Int((shared.fraction * 100).rounded())) % CPU work)")
            } else if s.start.count >= 1 {
                put("init", s.start.count >= minimumSamples ? empirical(s.start)
                    : JSONNode(value: .number((s.start.reduce(0, +) / Double(s.start.count) * 1e6).rounded() / 1e6), line: 0, column: 0))
                fields.removeAll { $0.key == "load" || $0.key == "warmup" }
                changed.append("init from \(s.start.count) worker start\(s.start.count == 1 ? "" : "s") (median \(ValueFormat.seconds(quantile(s.start.sorted(), 50))))\(s.start.count < minimumSamples ? ", as their mean" : "")")
            }
            models[k].value.value = .object(fields)
            notes.append("\(s.model): " + changed.joined(separator: "; "))
        }
        top[mk].value.value = .object(models)
        let description = JSONNode(value: .string(provenance), line: 0, column: 0)
        if let d = top.firstIndex(where: { $0.key == "description" }) {
            if case let .string(old) = top[d].value.value { top[d].value.value = .string(provenance + " Original description: " + old) }
            else { top[d].value = description }
        } else {
            top.insert(JSONMember(key: "description", value: description), at: min(1, top.count))
        }
        var calibrated = JSONNode(value: .object(top), line: 1, column: 1)
        if let roundTrip {
            // The client's leg, which the runtime's records of service times do not hold.
            calibrated = calibrated.setting(JSONNode(value: .number((roundTrip * 1e6).rounded() / 1e6), line: 0, column: 0), at: ["network", "roundTrip"])
            notes.append("network round trip \(ValueFormat.seconds(roundTrip)): the load generator's mean latency less the runtime's mean time with each request (sending, the loopback network, reading the answer), which the simulator adds to every request's latency")
        }
        // On every node type, as the measuring machine was each of them: the load beside the
        // workers (the runtime, the load generator), at most 0.9 of the type's cores, and the
        // start-up interference fitted from concurrent starts.
        var types: [JSONMember] = []
        if let hardware = calibrated.member("hardware"), case let .object(t) = hardware.value { types = t }
        for type in types {
            var cores = 1.0
            if case let .number(x)? = type.value.member("vcpus")?.value { cores = x }
            let settings = [("backgroundVCPUs", background.flatMap { $0 > 0.005 ? Swift.min($0, cores * 0.9) : nil }),
                            ("startupInterference", startInterference)]
            for case let (key, value?) in settings {
                calibrated = calibrated.setting(JSONNode(value: .number((value * 1e3).rounded() / 1e3), line: 0, column: 0),
                                                at: ["hardware", type.key, "contention", key])
            }
        }
        if let background, background > 0.005, !types.isEmpty {
            notes.append("background load: \(ValueFormat.number(background)) cores busy beside the workers on average (/proc/stat less the workers' CPU)")
        }
        return (calibrated.text() + "\n", notes)
    }

    /// One line of accuracy.csv.
    public struct Row: Sendable {
        public var plan: String
        /// "" for the whole plan.
        public var target: String
        public var metric: String
        public var simulated: Double?
        public var measured: Double?
        /// For a latency percentile: the 95 % interval of the measured value from its own
        /// sample (order statistics), to tell model error from measurement noise.
        public var measuredLow: Double?
        public var measuredHigh: Double?
        /// The range of the metric over the simulated replications (2.5th to 97.5th
        /// percentile of the per-replication values): how much one run of the model varies,
        /// which a single measured run does as well.
        public var simulatedLow: Double?
        public var simulatedHigh: Double?
        /// The metric of the replayed simulations: the calibrated scenario driven by the
        /// measured runs' own requests, each with its measured service time
        /// (`Calibration.replayTrace`); nil when nothing was replayed.
        public var replayed: Double?
        /// (simulated − measured) / measured; nil when either is missing or measured is 0.
        public var relativeError: Double? { Self.error(simulated, measured) }
        /// The same of the replayed simulations.
        public var replayedError: Double? { Self.error(replayed, measured) }

        static func error(_ simulated: Double?, _ measured: Double?) -> Double? {
            guard let simulated, let measured else { return nil }
            if measured == 0 { return simulated == 0 ? 0 : nil }
            return (simulated - measured) / measured
        }
    }

    public static let columns = ["plan", "target", "metric", "simulated", "measured", "relative_error", "measured_low", "measured_high",
                                 "simulated_low", "simulated_high", "replayed", "replayed_error"]

    /// The 95 % interval of the q-th percentile of a sample held in a histogram: the values
    /// at ranks n·q ± 1.96·√(n·q·(1 − q)) (the binomial approximation of the order
    /// statistics' coverage).
    static func interval(_ h: LatencyHistogram, _ q: Double) -> (Double, Double)? {
        guard h.count >= 10 else { return nil }
        let n = Double(h.count), p = q / 100
        let half = 1.96 * (n * p * (1 - p)).squareRoot()
        let lo = max(0, (n * p - half) / n * 100), hi = min(100, (n * p + half) / n * 100)
        guard let a = h.percentile(lo), let b = h.percentile(hi) else { return nil }
        return (Double(a) / 1e9, Double(b) / 1e9)
    }

    /// Simulated vs measured: the plan-wide rows, then each target's request rows (when the
    /// plan has several targets).
    ///
    /// `simulated` holds replications of the calibrated scenario with the measured run's
    /// arrivals and independent draws of everything else: latencies are pooled over them and
    /// counts averaged, so the simulation's own sampling noise shrinks with their number and
    /// what remains is the model's error plus the measurement's noise.
    ///
    /// `measured` holds one result per measured run (`calibrate --runs`), pooled the same way.
    public static func compare(simulated: [PlanResult], measured runs: [PlanResult], targetNames: [String]) -> [Row] {
        let plan = runs[0].plan
        let k = Double(simulated.count), m = Double(runs.count)
        func mean(_ f: (PlanResult) -> Double) -> Double { simulated.reduce(0) { $0 + f($1) } / k }
        func pooled(_ results: [PlanResult], _ f: (PlanResult) -> OutcomeStats) -> OutcomeStats {
            var all = OutcomeStats()
            for r in results { all.merge(f(r)) }
            return all
        }
        func pooled(_ f: (PlanResult) -> OutcomeStats) -> OutcomeStats { pooled(simulated, f) }
        var measured = runs[0]
        measured.totals = pooled(runs, \.totals)
        measured.perTarget = measured.perTarget.indices.map { t in pooled(runs) { $0.perTarget[t] } }
        measured.instanceSeconds = runs.reduce(0) { $0 + $1.instanceSeconds } / m
        measured.nodeSeconds = runs.reduce(0) { $0 + $1.nodeSeconds } / m
        let measuredStarts = runs.reduce(0) { $0 + Double($1.instanceStarts) } / m
        func latency(_ h: LatencyHistogram, _ q: Double) -> Double? { h.count > 0 ? h.percentile(q).map { Double($0) / 1e9 } : nil }
        func requestRows(_ a: OutcomeStats, _ b: OutcomeStats, target: String) -> [Row] {
            var rows = [Row(plan: plan, target: target, metric: "requests", simulated: Double(a.requests) / k, measured: Double(b.requests) / m),
                        Row(plan: plan, target: target, metric: "rejected", simulated: Double(a.rejected) / k, measured: Double(b.rejected) / m),
                        Row(plan: plan, target: target, metric: "timed_out", simulated: Double(a.timedOut) / k, measured: Double(b.timedOut) / m),
                        Row(plan: plan, target: target, metric: "cold_starts", simulated: Double(a.coldStarts) / k, measured: Double(b.coldStarts) / m)]
            for q in [50.0, 95, 99] {
                let ci = interval(b.latency, q)
                rows.append(Row(plan: plan, target: target, metric: "latency_p\(Int(q))_s", simulated: latency(a.latency, q), measured: latency(b.latency, q),
                                measuredLow: ci?.0, measuredHigh: ci?.1))
            }
            return rows
        }
        var rows = requestRows(pooled(\.totals), measured.totals, target: "")
        withRange(&rows, simulated.map { Summary.row($0) }) { row, metric in
            switch metric {
            case "instance_seconds", "node_seconds", "instance_starts": return nil
            default: return row.value(metric)
            }
        }
        var capacity = [Row(plan: plan, target: "", metric: "instance_seconds", simulated: mean(\.instanceSeconds), measured: measured.instanceSeconds),
                        Row(plan: plan, target: "", metric: "instance_starts", simulated: mean { Double($0.instanceStarts) }, measured: measuredStarts),
                        Row(plan: plan, target: "", metric: "node_seconds", simulated: mean(\.nodeSeconds), measured: measured.nodeSeconds)]
        withRange(&capacity, simulated) { r, metric in
            metric == "instance_seconds" ? r.instanceSeconds : metric == "node_seconds" ? r.nodeSeconds : Double(r.instanceStarts)
        }
        rows += capacity
        rows += tokenRows(simulated: simulated, measured: runs, plan: plan)
        let targets = measured.perTarget.indices.filter { t in measured.perTarget[t].requests > 0 || simulated.contains { $0.perTarget[t].requests > 0 } }
        if targets.count > 1 {
            for t in targets {
                var more = requestRows(pooled { $0.perTarget[t] }, measured.perTarget[t], target: targetNames[t])
                withRange(&more, simulated) { r, metric in Summary.scoped(r.perTarget[t], metric, hasSLO: r.hasSLO) }
                rows += more
            }
        }
        return rows
    }

    /// Time to first token and per output token of LLM requests (p50, p90), simulated by the
    /// engine against measured by `loadgen --api openai`, pooled over the replications and
    /// the runs; none unless both sides have them.
    static func tokenRows(simulated: [PlanResult], measured runs: [PlanResult], plan: String) -> [Row] {
        let a = simulated.compactMap(\.engine), b = runs.compactMap(\.engine)
        guard !a.isEmpty, !b.isEmpty else { return [] }
        func pooled(_ e: [EngineStats], _ f: (EngineStats) -> LatencyHistogram) -> LatencyHistogram {
            var h = LatencyHistogram()
            for x in e { h.merge(f(x)) }
            return h
        }
        func value(_ h: LatencyHistogram, _ q: Double) -> Double? { h.count > 0 ? h.percentile(q).map { Double($0) / 1e9 } : nil }
        let metrics: [(name: String, histogram: (EngineStats) -> LatencyHistogram, q: Double)] = [
            ("ttft_p50_s", \.ttft, 50), ("ttft_p90_s", \.ttft, 90), ("tpot_p50_s", \.tpot, 50), ("tpot_p90_s", \.tpot, 90)]
        var rows = metrics.map { m -> Row in
            let measured = pooled(b, m.histogram), ci = interval(measured, m.q)
            return Row(plan: plan, target: "", metric: m.name, simulated: value(pooled(a, m.histogram), m.q), measured: value(measured, m.q),
                       measuredLow: ci?.0, measuredHigh: ci?.1)
        }
        withRange(&rows, a) { e, metric in metrics.first { $0.name == metric }.flatMap { value($0.histogram(e), $0.q) } }
        return rows
    }

    /// Sets each row's range over the replications, from `value` (a replication's figure for
    /// the row's metric, or nil for none).
    static func withRange<R>(_ rows: inout [Row], _ replications: [R], _ value: (R, String) -> Double?) {
        guard replications.count > 1 else { return }
        for k in rows.indices {
            let values = replications.compactMap { value($0, rows[k].metric) }.sorted()
            guard values.count == replications.count else { continue }
            let n = Double(values.count - 1)
            rows[k].simulatedLow = values[Int((0.025 * n).rounded(.down))]
            rows[k].simulatedHigh = values[Int((0.975 * n).rounded(.up))]
        }
    }

    public static func csv(_ rows: [Row]) -> String {
        var out = columns.joined(separator: ",") + "\n"
        func cell(_ x: Double?) -> String { x.map { CSVNumber.fixed($0, 6) } ?? "" }
        for r in rows {
            out += [CSVNumber.field(r.plan), CSVNumber.field(r.target), r.metric, cell(r.simulated), cell(r.measured), cell(r.relativeError),
                    cell(r.measuredLow), cell(r.measuredHigh), cell(r.simulatedLow), cell(r.simulatedHigh),
                    cell(r.replayed), cell(r.replayedError)].joined(separator: ",") + "\n"
        }
        return out
    }

    /// The value of an accuracy gate: the absolute relative error of its metric, drawn
    /// (`accuracy_<metric>`) or replayed (`accuracy_replayed_<metric>`).
    public static func gateValue(_ e: Expectation, rows: [Row], scenario: Scenario) -> Double? {
        var metric = String(e.metric.dropFirst("accuracy_".count))
        let replayed = metric.hasPrefix("replayed_")
        if replayed { metric = String(metric.dropFirst("replayed_".count)) }
        let target: String
        switch e.scope {
        case .plan: target = ""
        case let .target(t): target = scenario.targetNames[t]
        case .caller: return nil
        }
        let plan = scenario.plans[e.plan].name
        let row = rows.first { $0.plan == plan && $0.metric == metric && $0.target == target }
            ?? (target.isEmpty ? nil : rows.first { $0.plan == plan && $0.metric == metric && $0.target == "" })
        return (replayed ? row?.replayedError : row?.relativeError).map(abs)
    }
}

/// Seconds as people read them, for notes.
public enum ValueFormat {
    public static func seconds(_ s: Double) -> String {
        if s < 1 { return CSVNumber.fixed(s * 1000, 1) + " ms" }
        return CSVNumber.fixed(s, 2) + " s"
    }

    public static func number(_ x: Double) -> String { CSVNumber.fixed(x, 2) }
}

extension Calibration {
    /// `root` with the paths that are relative to the scenario's folder made absolute, so a
    /// copy written elsewhere still finds its traces and workers: each workload `path`, each
    /// worker's `directory` (set to the folder when absent, since it defaults to it) and a
    /// worker command's program when given as a relative path.
    public static func absolutePaths(_ root: JSONNode, folder: String) -> JSONNode {
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : URL(fileURLWithPath: folder + "/" + p).standardizedFileURL.path }
        func string(_ s: String) -> JSONNode { JSONNode(value: .string(s), line: 0, column: 0) }
        guard case var .object(top) = root.value else { return root }
        for k in top.indices {
            switch (top[k].key, top[k].value.value) {
            case let ("workload", .array(items)):
                top[k].value.value = .array(items.map { item in
                    guard case var .object(fields) = item.value, let j = fields.firstIndex(where: { $0.key == "path" }),
                          case let .string(p) = fields[j].value.value else { return item }
                    fields[j].value = string(absolute(p))
                    return JSONNode(value: .object(fields), line: item.line, column: item.column)
                })
            case let ("models", .object(models)):
                top[k].value.value = .object(models.map { member in
                    var member = member
                    guard case var .object(fields) = member.value.value, let w = fields.firstIndex(where: { $0.key == "worker" }),
                          case var .object(worker) = fields[w].value.value else { return member }
                    if let d = worker.firstIndex(where: { $0.key == "directory" }), case let .string(p) = worker[d].value.value {
                        worker[d].value = string(absolute(p))
                    } else {
                        worker.append(JSONMember(key: "directory", value: string(folder)))
                    }
                    if let c = worker.firstIndex(where: { $0.key == "command" }), case var .array(parts) = worker[c].value.value,
                       let first = parts.first, case let .string(program) = first.value, program.contains("/") {
                        parts[0] = string(absolute(program))
                        worker[c].value.value = .array(parts)
                    }
                    fields[w].value.value = .object(worker)
                    member.value.value = .object(fields)
                    return member
                })
            default:
                break
            }
        }
        return JSONNode(value: .object(top), line: root.line, column: root.column)
    }
}
