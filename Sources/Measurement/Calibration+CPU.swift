import Foundation
import Scenario
import Simulator
import Runtime
import Reports

// What calibration makes of the workers' CPU: the work per request and per start, the
// service and start times taken back to uncontended, the start-up interference fitted from
// concurrent starts, the load beside the workers, and their rows in accuracy.csv.

extension Calibration {
    /// What was measured of a model's CPU: its work per request, the share of its uncontended
    /// service time that work is, the factor that takes the measured service times back to
    /// uncontended (less the time the workers waited for a core), and its work per start.
    public struct CPUFit: Sendable, Equatable {
        public var perRequest: Double
        public var fraction: Double
        /// The basis's service times taken back to uncontended (seconds), and their mean over
        /// the measured mean.
        public var service: [Double]
        public var serviceScale: Double
        /// Whether each request's own wait for a core was read (else the instance totals were
        /// spread over the requests: see `cpuFit`).
        public var perRequestWaiting: Bool
        /// The wait for a core kept in the service times, per request on average (seconds):
        /// the share `keep` of each request's own run-queue wait that the simulator does not
        /// put back (`cpuFit`).
        public var kept: Double
        public var perStart: Double?
    }

    /// The fit, or nil when too little was measured.
    ///
    /// `keep` is the share of each request's own wait in the run queue (beyond any throttling)
    /// that stays in its service time: the part of the measured waiting that the simulator's
    /// sharing of the cores does not put back (time slices, wake-up placement, the runtime's
    /// own threads), so that it is neither lost nor counted twice. It needs the throttled
    /// part of each wait where the model has a CPU limit, else nothing is kept.
    public static func cpuFit(_ s: ModelSamples, keep: Double = 0) -> CPUFit? {
        guard s.service.count >= minimumSamples, s.servingInstances > 0 else { return nil }
        let perRequest = s.servingCPU.running / Double(s.service.count)
        let basis = s.basis
        let n = Double(basis.count)
        let meanService = basis.reduce(0, +) / n
        let uncontended: [Double]
        var kept = 0.0
        if let own = s.basisWaiting {
            // Each request less its own wait for a core (and any throttling by a CPU limit,
            // which schedstat's run delay counts too: a throttled task stays queued), read from
            // its worker as it was sent and answered: the requests that met no contention keep
            // their times, and those that met it lose exactly what they waited, less the share
            // of the run-queue wait the simulator will not put back.
            if keep > 0, let throttled = s.basisThrottled {
                let share = Swift.min(1, keep)
                uncontended = basis.indices.map { i in
                    let queued = Swift.max(0, own[i] - throttled[i])
                    kept += share * queued
                    return Swift.max(basis[i] - throttled[i] - (1 - share) * queued, basis[i] * 0.01)
                }
                kept /= n
            } else {
                uncontended = zip(basis, own).map { Swift.max($0 - $1, $0 * 0.01) }
            }
        } else {
            uncontended = spreadWaiting(s, basis: basis, perRequest: perRequest)
        }
        let mean = uncontended.reduce(0, +) / n
        var fit = CPUFit(perRequest: perRequest, fraction: Swift.min(1, perRequest / mean), service: uncontended, serviceScale: mean / meanService,
                         perRequestWaiting: s.basisWaiting != nil, kept: kept, perStart: nil)
        // The CPU per start is reported here; `startFit` takes the starts themselves back to
        // uncontended when an interference term is fitted from them.
        if !s.startsWithCPU.isEmpty {
            fit.perStart = s.startsWithCPU.reduce(0) { $0 + $1.cpu.running } / Double(s.startsWithCPU.count)
        }
        return fit
    }

    /// The basis taken back to uncontended when only each instance's total wait for a core
    /// is known (its worker's run delay from readiness to stop), not each request's. Its two
    /// parts fell differently:
    /// - waiting in the run queue for a shared core stretched every request in service at the
    ///   time alike (processor sharing), so it is taken off every time in proportion;
    /// - the time a cgroup was throttled by a CPU limit stalled only the requests that ran
    ///   into a period's end, so it is taken off the top of the distribution (the times are
    ///   cut to the level at which the cut-off parts add up to it).
    /// Never below the CPU work itself, nor below half the mean. The proportional part also
    /// shrinks the requests that met no contention, so the per-request readings are preferred.
    static func spreadWaiting(_ s: ModelSamples, basis: [Double], perRequest: Double) -> [Double] {
        let n = Double(basis.count)
        let meanService = basis.reduce(0, +) / n
        // The waiting of all requests, in proportion to the basis's share.
        let share = n / Double(s.service.count)
        let waiting = s.servingCPU.waiting * share
        let throttled = Swift.min(waiting, s.servingThrottled * share)
        let queued = waiting - throttled
        let floor = Swift.max(perRequest, meanService * 0.5)
        let scale = Swift.max(floor / meanService, (meanService * n - queued) / (meanService * n))
        let level = cutLevel(basis.map { $0 * scale }, removing: throttled, floor: floor)
        return basis.map { Swift.min($0 * scale, level) }
    }

    /// A model's starts taken back to uncontended: each start's time less the time it waited
    /// for a core (never below its CPU time), and the share of that which is CPU work. Nil
    /// without cold starts whose CPU was read: concurrent starts are what an interference
    /// term is fitted from.
    public static func startFit(_ s: ModelSamples) -> (uncontended: [Double], fraction: Double)? {
        guard !s.coldStarts.isEmpty, !s.startsWithCPU.isEmpty else { return nil }
        let uncontended = s.startsWithCPU.map { uncontendedStart($0.seconds, $0.cpu) }
        let total = uncontended.reduce(0, +)
        guard total > 0 else { return nil }
        let cpu = s.startsWithCPU.reduce(0) { $0 + $1.cpu.running }
        return (uncontended, Swift.min(1, cpu / total))
    }

    /// A start taken back to uncontended: its time less the time it waited for a core, never
    /// below its CPU time.
    static func uncontendedStart(_ seconds: Double, _ cpu: ProcessCPU) -> Double {
        Swift.max(cpu.running, seconds - cpu.waiting)
    }

    /// Whether the starts can be calibrated with a fitted interference term (some model has
    /// cold starts whose CPU was read, and a CPU fit).
    public static func fitsStartInterference(_ samples: [ModelSamples]) -> Bool {
        samples.contains { startFit($0) != nil && cpuFit($0) != nil }
    }

    /// The time the workers waited in the run queue for a core while they served, per
    /// measured run (seconds): each request's wait as read from its worker, less the time
    /// their cgroups were throttled by a CPU limit (which the simulator models as such): what
    /// the simulator's sharing is compared with to find the share kept (`keptShare`). Nil
    /// when some model's waits were not read
    /// per request, or when a model shares its process between requests
    /// (`cpu.instanceThreads`): the simulator counts that sharing as contention, while a
    /// thread waiting for a Python GIL sleeps and no counter sees it, so the two would not be
    /// the same quantity.
    public static func servingWaiting(_ samples: [ModelSamples], runs: Int) -> Double? {
        var total = 0.0
        for s in samples where !s.service.isEmpty {
            guard !s.sharedProcess, s.servingInstances > 0 else { return nil }
            let read = s.serviceWaiting.compactMap { $0 }
            guard read.count == s.service.count else { return nil }
            total += Swift.max(0, read.reduce(0, +) - s.servingThrottled)
        }
        return total / Double(Swift.max(1, runs))
    }

    /// A simulated run's time waiting for a core while serving (seconds): its requests' CPU
    /// phases as they took (shared, interfered with) less as they would have alone, less the
    /// time instances were throttled by a CPU limit.
    public static func servingWaiting(_ p: PlanResult) -> Double {
        Swift.max(0, p.contention.reduce(0) { $0 + $1.requestCPUActual - $1.requestCPUNominal - $1.throttledSeconds })
    }

    /// The share of each request's own wait for a core that stays in its service time: what
    /// the simulator's sharing of the cores (`shared`, with every wait taken off) does not
    /// give back of the `measured` waiting, 0 when it gives back all of it.
    public static func keptShare(measured: Double, shared: Double) -> Double {
        guard measured > 0 else { return 0 }
        return Swift.min(1, Swift.max(0, 1 - shared / measured))
    }

    /// The measured cold starts' mean (seconds), over every model.
    public static func meanColdStart(_ samples: [ModelSamples]) -> Double? {
        let all = samples.flatMap(\.coldStarts)
        return all.isEmpty ? nil : all.reduce(0, +) / Double(all.count)
    }

    /// A simulated run's mean cold start (the process part: init, load and warm-up as they
    /// took, stretched by shared cores), or nil without starts.
    public static func meanColdStart(_ p: PlanResult) -> Double? {
        guard p.instanceStarts > 0 else { return nil }
        let given = p.coldPhases[ColdStartPhase.initialise.rawValue] + p.coldPhases[ColdStartPhase.load.rawValue] + p.coldPhases[ColdStartPhase.warmup.rawValue]
        let stretch = p.contention.reduce(0) { $0 + $1.startupCPUActual - $1.startupCPUNominal }
        return (given + stretch) / Double(p.instanceStarts)
    }

    /// The interference α at which `simulate(α)` (a simulated mean cold start) meets
    /// `target`: the first of a rising grid (0, 0.01 … 5) at which it reaches the target, then
    /// bisection down to the grid point before; 0 when even none is too slow. A node slowed
    /// too far saturates (its starts then stop finishing, and their mean falls), so the curve
    /// is not monotone beyond the point that matters: when no grid point reaches the target,
    /// the one that came closest.
    public static func fitInterference(target: Double, steps: Int = 10, _ simulate: (Double) throws -> Double) rethrows -> Double {
        let grid = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]
        var best = (alpha: 0.0, miss: Double.infinity)
        var previous = 0.0
        for alpha in grid {
            let value = try simulate(alpha)
            if value >= target {
                if alpha == 0 { return 0 }
                var low = previous, high = alpha
                for _ in 0..<steps {
                    let mid = (low + high) / 2
                    if try simulate(mid) < target { low = mid } else { high = mid }
                }
                return (low + high) / 2
            }
            if target - value < best.miss { best = (alpha, target - value) }
            previous = alpha
        }
        return best.alpha
    }

    /// Each stage's own wait for a core (seconds; nil where its worker's run delay was not
    /// read), from the readings taken as each stage was sent and answered; with `reading`
    /// `\.throttled`, the time its worker's cgroup was throttled, shared the same way. `order` lists the
    /// stages with an instance, sorted by instance, generation and send time.
    ///
    /// On one worker process, the run delay between two consecutive readings (of any of its
    /// stages) fell on the stages in service over that interval, and is shared equally between
    /// them; between an answer and the next send there is none in service and it is nobody's.
    /// A negative difference (a thread ended and took its count along) counts as none.
    ///
    /// - Complexity: O(n log n) for n stages (at most a worker's concurrency in service).
    static func stageWaiting(_ stages: [RuntimeRecorder.Stage], order: [Int],
                             reading: (RuntimeRecorder.Stage) -> (sent: Int64, answered: Int64) = { $0.runDelay }) -> [Double?] {
        var waiting = [Double?](repeating: nil, count: stages.count)
        var k = 0
        while k < order.count {
            var j = k
            while j < order.count, stages[order[j]].instance == stages[order[k]].instance, stages[order[j]].generation == stages[order[k]].generation { j += 1 }
            // One process: its readings in time order (an answer before a send at the same instant).
            var events: [(at: Int64, send: Bool, reading: Int64, stage: Int)] = []
            for i in order[k..<j] {
                let s = stages[i]
                let r = reading(s)
                guard r.sent >= 0, r.answered >= 0 else { continue }
                events.append((s.sent, true, r.sent, i))
                events.append((s.answered, false, r.answered, i))
                waiting[i] = 0
            }
            events.sort { ($0.at, $0.send ? 1 : 0, $0.stage) < ($1.at, $1.send ? 1 : 0, $1.stage) }
            var active: [Int] = []
            for e in events.indices {
                if e > 0, !active.isEmpty {
                    let delta = Double(Swift.max(0, events[e].reading - events[e - 1].reading)) / 1e9 / Double(active.count)
                    for i in active { waiting[i]! += delta }
                }
                if events[e].send { active.append(events[e].stage) } else { active.removeAll { $0 == events[e].stage } }
            }
            k = j
        }
        return waiting
    }

    /// The level L at which Σ max(0, xᵢ − L) = `removing` (the water level that takes that
    /// much off the top of the samples), at least `floor`.
    ///
    /// - Complexity: O(n log n).
    static func cutLevel(_ samples: [Double], removing: Double, floor: Double) -> Double {
        let sorted = samples.sorted(by: >)
        guard removing > 0, let top = sorted.first else { return sorted.first ?? floor }
        var above = 0.0   // Σ of the k largest
        for k in 0..<sorted.count {
            above += sorted[k]
            // Cutting the k+1 largest to L removes above − (k+1)·L; L must not pass the next.
            let level = (above - removing) / Double(k + 1)
            let next = k + 1 < sorted.count ? sorted[k + 1] : -Double.infinity
            if level >= next { return Swift.max(floor, Swift.min(top, level)) }
        }
        return floor
    }

    /// Cores busy beside the workers on average while the load ran (the runtime, the load
    /// generator, everything else), or nil when /proc could not say.
    public static func background(_ recorder: RuntimeRecorder, samples: [ModelSamples]) -> Double? {
        guard let busy = recorder.machineBusyCores, recorder.machineSeconds > 0 else { return nil }
        let workers = samples.reduce(0) { $0 + $1.servingCPU.running + $1.startsWithCPU.reduce(0) { $0 + $1.cpu.running } }
        return Swift.max(0, busy - workers / recorder.machineSeconds)
    }
}

extension Calibration {
    /// The CPU figures measured, for accuracy.csv (measured only: the calibrated copy uses
    /// them as they are): each model's CPU work per request (`cpu_per_request_s`) and per
    /// start (`cpu_per_start_s`), and the cores busy beside the workers (`background_vcpus`).
    public static func cpuRows(_ samples: [ModelSamples], plan: String, background: Double?) -> [Row] {
        var rows: [Row] = []
        for s in samples {
            guard let fit = cpuFit(s) else { continue }
            rows.append(Row(plan: plan, target: s.model, metric: "cpu_per_request_s", simulated: nil, measured: fit.perRequest))
            if let start = fit.perStart { rows.append(Row(plan: plan, target: s.model, metric: "cpu_per_start_s", simulated: nil, measured: start)) }
        }
        if let background { rows.append(Row(plan: plan, target: "", metric: "background_vcpus", simulated: nil, measured: background)) }
        return rows
    }

    /// The service times of the requests that shared their worker process with another at
    /// some moment of theirs, simulated against measured, for each model whose instances are
    /// one process held below its requests' threads (`cpu.instanceThreads`: a Python worker's
    /// GIL): `shared_service_p10_s` (mostly two requests overlapping for a while) and
    /// `shared_service_p50_s` (more of those that shared it through a burst of starts). The
    /// calibrated service times are those of the requests alone in their process, so these
    /// show how well the simulator puts the sharing back: a miss in the latency that comes
    /// from there shows here first. Pooled over the simulated runs, with the measured 95 %
    /// interval; none for a model with fewer than `minimumSamples` such requests.
    public static func sharedServiceRows(_ samples: [ModelSamples], simulated: [PlanResult], scenario: Scenario, plan: String) -> [Row] {
        var rows: [Row] = []
        for s in samples where s.sharedProcess && s.sharedService.count >= minimumSamples {
            guard let m = scenario.models.firstIndex(where: { $0.name == s.model }) else { continue }
            var measured = LatencyHistogram(), pooled = LatencyHistogram()
            for x in s.sharedService { measured.record(Int64((x * 1e9).rounded())) }
            for p in simulated where m < p.sharedService.count { pooled.merge(p.sharedService[m]) }
            let sorted = s.sharedService.sorted()
            for q in [10.0, 50] {
                let ci = interval(measured, q)
                rows.append(Row(plan: plan, target: s.model, metric: "shared_service_p\(Int(q))_s",
                                simulated: pooled.count > 0 ? pooled.percentile(q).map { Double($0) / 1e9 } : nil,
                                measured: quantile(sorted, q), measuredLow: ci?.0, measuredHigh: ci?.1))
            }
        }
        return rows
    }

    /// The mean cold start (process start → ready), simulated against measured. Nil without
    /// measured cold starts.
    public static func coldStartRow(_ samples: [ModelSamples], simulated: [PlanResult], plan: String) -> Row? {
        guard let measured = meanColdStart(samples) else { return nil }
        let perRun = simulated.compactMap { meanColdStart($0) }
        guard !perRun.isEmpty else { return Row(plan: plan, target: "", metric: "cold_start_mean_s", simulated: nil, measured: measured) }
        return Row(plan: plan, target: "", metric: "cold_start_mean_s", simulated: perRun.reduce(0, +) / Double(perRun.count), measured: measured,
                   simulatedLow: perRun.min(), simulatedHigh: perRun.max())
    }

    /// Time throttled by CPU limits per request served (instance-seconds, starts included):
    /// the simulated replications' mean (`contention.csv`'s throttled time) against what the
    /// workers' cgroups counted (`cpu.stat`). Nil when no worker ran in a cgroup.
    public static func throttleRow(_ samples: [ModelSamples], requests: Int, simulated: [PlanResult], plan: String) -> Row? {
        guard samples.contains(where: \.limited), requests > 0, !simulated.isEmpty else { return nil }
        let measured = samples.reduce(0) { $0 + $1.servingThrottled + $1.startThrottled } / Double(requests)
        let perRun = simulated.map { p in
            p.contention.reduce(0) { $0 + $1.throttledSeconds } / Double(Swift.max(1, p.totals.completed))
        }
        return Row(plan: plan, target: "", metric: "throttled_per_request_s", simulated: perRun.reduce(0, +) / Double(perRun.count), measured: measured,
                   simulatedLow: perRun.min(), simulatedHigh: perRun.max())
    }
}
