import Foundation
import Scenario

/// How a source's arrivals are generated.
enum ArrivalProcess {
    case poisson(rate: Double)
    case bursts(base: Double, peak: Double, every: Double, length: Double, offset: Double)
    case trace(TraceReader)
    case functionCounts(FunctionCountsTrace)
    /// A rate that varies continuously, sampled by thinning under its maximum.
    case varying(RateProfile)
    case mmpp([MMPPState])
    case counts(StepCounts)
    /// Another process's arrivals starting conversations whose prompts share prefixes.
    case conversations(Conversations)
}

/// A `counts` source's place while it is replayed: the interval, the arrival within it, and
/// (random spread) how far into the interval the last arrival fell.
final class StepCounts {
    let counts: [Int64]
    let interval: Double
    let random: Bool
    var step = 0
    var index: Int64 = 0
    var position = 0.0

    init(_ spec: CountsSpec) {
        counts = spec.counts
        interval = spec.interval
        random = spec.spread == .random
    }

    /// The next arrival's time in seconds after the source's start, or nil after the last.
    ///
    /// Evenly spaced, the i-th of k falls at (i + ½) / k of its interval; at random, the
    /// arrivals are k sorted uniforms drawn in order: after position p, the next of the
    /// remaining m is p + (1 − p)(1 − U^(1/m)) (the minimum of m uniforms on [p, 1)).
    ///
    /// - Complexity: O(1) amortised; empty intervals are skipped one by one.
    func next(_ rng: inout RandomSource) -> Double? {
        while step < counts.count && index >= counts[step] {
            step += 1
            index = 0
            position = 0
        }
        guard step < counts.count else { return nil }
        let k = counts[step]
        let fraction: Double
        if random {
            position += (1 - position) * (1 - Foundation.pow(rng.uniform(), 1 / Double(k - index)))
            fraction = position
        } else {
            fraction = (Double(2 * index + 1)) / Double(2 * k)
        }
        index += 1
        return (Double(step) + fraction) * interval
    }
}

/// A time-varying arrival rate (requests per second at time t, in seconds).
enum RateProfile {
    case diurnal(mean: Double, amplitude: Double, period: Double, peakAt: Double)
    case flashCrowd(base: Double, peak: Double, at: Double, rampUp: Double, hold: Double, decay: Double)

    /// The profile of a diurnal or flash-crowd source, nil for any other kind.
    init?(_ kind: WorkloadKind) {
        switch kind {
        case let .diurnal(mean, amplitude, period, peakAt):
            self = .diurnal(mean: mean, amplitude: amplitude, period: period, peakAt: peakAt)
        case let .flashCrowd(base, peak, at, rampUp, hold, decay):
            self = .flashCrowd(base: base, peak: peak, at: at, rampUp: rampUp, hold: hold, decay: decay)
        default:
            return nil
        }
    }

    func rate(at t: Double) -> Double {
        switch self {
        case let .diurnal(mean, amplitude, period, peakAt):
            return mean * (1 + amplitude * Foundation.cos(2 * Double.pi * (t - peakAt) / period))
        case let .flashCrowd(base, peak, at, rampUp, hold, decay):
            if t < at { return base }
            if t < at + rampUp { return base + (peak - base) * (t - at) / rampUp }
            if t < at + rampUp + hold { return peak }
            return base + (peak - base) * Foundation.exp(-(t - at - rampUp - hold) / decay)
        }
    }

    var maximum: Double {
        switch self {
        case let .diurnal(mean, amplitude, _, _): return mean * (1 + amplitude)
        case let .flashCrowd(base, peak, _, _, _, _): return Swift.max(base, peak)
        }
    }

    /// Expected arrivals between `from` and `to` (seconds): the integral of `rate(at:)`.
    func arrivals(from: Double, to: Double) -> Double {
        guard to > from else { return 0 }
        switch self {
        case let .diurnal(mean, amplitude, period, peakAt):
            let w = 2 * Double.pi / period
            return mean * (to - from) + mean * amplitude / w * (Foundation.sin(w * (to - peakAt)) - Foundation.sin(w * (from - peakAt)))
        case let .flashCrowd(base, peak, at, rampUp, hold, decay):
            // The excess over the base, integrated from `at` to t.
            func excess(_ t: Double) -> Double {
                let x = t - at
                guard x > 0 else { return 0 }
                if x < rampUp { return x * x / (2 * rampUp) }
                if x < rampUp + hold { return rampUp / 2 + (x - rampUp) }
                return rampUp / 2 + hold + decay * (1 - Foundation.exp(-(x - rampUp - hold) / decay))
            }
            return base * (to - from) + (peak - base) * (excess(to) - excess(from))
        }
    }
}

/// One workload source while a run is under way: its process, its random streams and its
/// next arrival (one pending arrival event per source).
struct SourceState {
    var process: ArrivalProcess
    let target: Int32
    let caller: Int32
    let version: Int32
    /// Arrivals are generated in [start, end) seconds.
    let start: Double
    let end: Double
    var rng: RandomSource
    var tokenRng: RandomSource
    let inputTokens: Sampler?
    let outputTokens: Sampler?
    /// The synthetic clock, seconds.
    var clock: Double
    var exhausted = false
    /// MMPP: the current state and when it ends.
    var mmppState = 0
    var mmppStateEnd = 0.0
    /// A target mix: cumulative weights and each entry's target, caller and version ids.
    var mixCumulative: [Double] = []
    var mixTargets: [Int32] = []
    var mixCallers: [Int32] = []
    var mixVersions: [Int32] = []
    var mixRng = RandomSource(seed: 0)
    /// Trace replay: speed, offset (ns of trace time), looping and row filters.
    var traceSpeed = 1.0
    var traceOffset: Int64 = 0
    var traceLoop = false
    var targetFilter: [Int32]?
    var callerFilter: [String]?
    var versionFilter: [String]?
    var loopShift: Int64 = 0
    var rowsInPass = 0
    var firstReplayed: Int64 = -1
    var lastReplayed: Int64 = 0

    // The next arrival.
    var nextTime: Int64 = 0
    var nextTarget: Int32 = 0
    var nextCaller: Int32 = 0
    var nextVersion: Int32 = 0
    var nextInput: Int32 = 0
    var nextOutput: Int32 = 0
    /// The next request's service time from its trace row (nanoseconds), or -1.
    var nextService: Int64 = -1
    /// The next request's prompt prefix (`PrefixTree` node), or -1.
    var nextPrefix: Int32 = -1
    /// The next request's conversation (`PrefixTree.newSession`), or -1.
    var nextSession: Int32 = -1
    /// Nanoseconds of run time per second of workload time: 1e9, or 1e9 / speed when the
    /// arrivals are compressed (`RunOptions.arrivalSpeed`).
    var nanosPerSecond = 1e9

    /// Computes the next arrival; marks the source exhausted when there is none before `end`.
    mutating func advance(callers: inout StringTable, versions: inout StringTable) throws {
        // The commonest process first, before the general switch over every kind.
        if case let .poisson(rate) = process, rate > 0 {
            clock += rng.exponential(mean: 1 / rate)
            return publishDraw()
        }
        switch process {
        case .poisson:   // a rate of 0: no arrival (positive rates are drawn above)
            exhausted = true
            return
        case let .bursts(base, peak, every, length, offset):
            // Piecewise-constant rate: draw with the current rate; if the draw crosses the next
            // rate change, restart from the change (memorylessness keeps this exact).
            while true {
                let rate: Double, boundary: Double
                if clock < offset {
                    rate = base; boundary = offset
                } else {
                    let k = ((clock - offset) / every).rounded(.down)
                    let burstStart = offset + k * every
                    if clock < burstStart + length { rate = peak; boundary = burstStart + length }
                    else { rate = base; boundary = burstStart + every }
                }
                if boundary >= end && rate <= 0 { exhausted = true; return }
                if rate > 0 {
                    let candidate = clock + rng.exponential(mean: 1 / rate)
                    if candidate < boundary || boundary >= end { clock = candidate; break }
                }
                clock = boundary
            }
        case let .varying(profile):
            // Thinning (Lewis & Shedler): candidates at the maximum rate, each kept with
            // probability rate(t) / maximum.
            let top = profile.maximum
            guard top > 0 else { exhausted = true; return }
            while true {
                clock += rng.exponential(mean: 1 / top)
                if clock >= end { exhausted = true; return }
                if rng.uniform() * top <= profile.rate(at: clock) { break }
            }
        case let .mmpp(states):
            while true {
                let rate = states[mmppState].rate
                let candidate = rate > 0 ? clock + rng.exponential(mean: 1 / rate) : Double.infinity
                if candidate < mmppStateEnd { clock = candidate; break }
                clock = mmppStateEnd
                if clock >= end { exhausted = true; return }
                var next = Int(rng.next() % UInt64(states.count - 1))
                if next >= mmppState { next += 1 }
                mmppState = next
                mmppStateEnd = clock + rng.exponential(mean: states[next].meanStay)
            }
        case let .counts(c):
            guard let t = c.next(&rng) else { exhausted = true; return }
            clock = start + t
        case let .conversations(c):
            // Sets the next arrival itself (a turn due, or a new conversation).
            return try c.advance(&self, callers: &callers, versions: &versions)
        case .trace, .functionCounts:
            var row: TraceRow
            var replay: Int64
            while true {
                let read: TraceRow?
                switch process {
                case let .trace(reader): read = try reader.next(callers: &callers, versions: &versions)
                case let .functionCounts(counts): read = counts.next()
                default: read = nil
                }
                guard let next = read else {
                    // Looping: the next pass follows the last replayed row after one mean gap;
                    // after 1 s when there is no gap to take (one row, or rows that all share
                    // one time — a zero gap would replay the trace forever at one instant).
                    if traceLoop && rowsInPass > 0 {
                        let span = lastReplayed - firstReplayed
                        let gap = rowsInPass > 1 ? span / Int64(rowsInPass - 1) : 0
                        loopShift = lastReplayed + (gap > 0 ? gap : 1_000_000_000)
                        rowsInPass = 0
                        firstReplayed = -1
                        switch process {
                        case let .trace(reader): try reader.rewind()
                        case let .functionCounts(counts): counts.minute = 0; counts.pending.removeAll(); counts.cursor = 0
                        default: break
                        }
                        continue
                    }
                    exhausted = true
                    return
                }
                if next.offset < traceOffset { continue }
                if let allowed = targetFilter, !allowed.contains(next.target) { continue }
                if let allowed = callerFilter, !allowed.contains(callers.strings[Int(next.caller)]) { continue }
                if let allowed = versionFilter, !allowed.contains(versions.strings[Int(next.version)]) { continue }
                row = next
                // Held at 10¹⁸ ns (31 years): a trace slowed a millionfold lands past any run's
                // end, where its source stops, rather than past Int64.
                replay = loopShift + Int64(Swift.min(Double(next.offset - traceOffset) / traceSpeed, 1e18))
                if rowsInPass == 0 { firstReplayed = replay }
                rowsInPass += 1
                lastReplayed = replay
                break
            }
            clock = start + Double(replay) / 1e9
            if clock >= end { exhausted = true; return }
            nextTime = Int64((start * nanosPerSecond).rounded()) + replay
            nextTarget = row.target
            nextCaller = row.caller != 0 ? row.caller : caller
            nextVersion = row.version != 0 ? row.version : version
            nextInput = row.inputTokens
            nextOutput = row.outputTokens
            nextService = row.service
            nextPrefix = row.prefix
            if row.inputTokens == 0 && row.outputTokens == 0, let inputTokens, let outputTokens {
                nextInput = SourceState.tokenCount(inputTokens.sample(&tokenRng))
                nextOutput = SourceState.tokenCount(outputTokens.sample(&tokenRng))
            }
            return
        }
        publishDraw()
    }

    /// Sets the next arrival of a synthetic process from `clock`: its time, and target,
    /// caller, version and token counts (from the mix and the token samplers when given).
    @inline(__always) mutating func publishDraw() {
        if clock >= end { exhausted = true; return }
        nextTime = Int64(clock * nanosPerSecond + 0.5)   // clock ≥ 0: round half up without a libm call
        if mixCumulative.isEmpty {
            nextTarget = target
            nextCaller = caller
            nextVersion = version
        } else {
            let u = mixRng.uniform() * mixCumulative[mixCumulative.count - 1]
            var k = 0
            while k < mixCumulative.count - 1 && mixCumulative[k] < u { k += 1 }
            nextTarget = mixTargets[k]
            nextCaller = mixCallers[k] != 0 ? mixCallers[k] : caller
            nextVersion = mixVersions[k] != 0 ? mixVersions[k] : version
        }
        if let inputTokens, let outputTokens {
            nextInput = SourceState.tokenCount(inputTokens.sample(&tokenRng))
            nextOutput = SourceState.tokenCount(outputTokens.sample(&tokenRng))
        }
    }
}

extension SourceState {
    /// A drawn token count as a whole number from 0 to Int32.max: a distribution's mean may be
    /// anything the user wrote (10³⁰⁰ once trapped the conversion).
    @inlinable static func tokenCount(_ x: Double) -> Int32 {
        x >= Double(Int32.max) ? Int32.max : (x > 0 ? Int32(x.rounded()) : 0)
    }

    /// Builds the run state of every source of a scenario.
    ///
    /// `speed` compresses the arrivals' times (2: twice as fast), as a load generator's
    /// `--speed` does; the draws are the same.
    ///
    /// Trace readers add their prompts' prefix blocks to `prefixes`.
    static func make(_ scenario: Scenario, seed: UInt64, callers: inout StringTable, versions: inout StringTable,
                     speed: Double = 1, prefixes: PrefixTree = PrefixTree()) throws -> [SourceState] {
        let needsTokens = (0..<scenario.targetNames.count).map { t in
            scenario.stages(of: TargetRef(index: t)).contains { scenario.models[$0].isTokenDriven }
        }
        let stageOnly = scenario.targetNames.indices.map(scenario.isPool)
        let takesService = scenario.targetNames.indices.map(scenario.takesServiceTime)
        return try scenario.workload.enumerated().map { k, source in
            let process: ArrivalProcess
            switch source.kind {
            case let .poisson(rate): process = .poisson(rate: rate)
            case let .bursts(base, peak, every, length, offset):
                process = .bursts(base: base, peak: peak, every: every, length: length, offset: offset)
            case .diurnal, .flashCrowd:
                process = .varying(RateProfile(source.kind)!)
            case let .mmpp(states):
                process = .mmpp(states)
            case let .counts(spec):
                process = .counts(StepCounts(spec))
            case let .trace(spec) where spec.format == .azureFunctions2019:
                process = .functionCounts(try FunctionCountsTrace(spec: spec, defaultTarget: Int32(source.target?.index ?? 0),
                                                                  targetCount: scenario.targetNames.count, seed: seed, stream: 4000 + UInt64(k)))
            case let .trace(spec):
                process = .trace(try TraceReader(spec: spec, defaultTarget: Int32(source.target?.index ?? -1),
                                                 targetNames: scenario.targetNames,
                                                 needsTokens: source.inputTokens == nil ? needsTokens : [], stageOnly: stageOnly, takesService: takesService,
                                                 servedAs: scenario.servedAs, prefixes: prefixes))
            }
            let end = Swift.min(source.end ?? scenario.duration, scenario.duration)
            var state = SourceState(process: process, target: Int32(source.target?.index ?? -1),
                               caller: callers.intern(source.caller ?? ""), version: versions.intern(source.version ?? ""),
                               start: source.start, end: end,
                               rng: RandomSource(seed: seed, stream: 1000 + UInt64(k)),
                               tokenRng: RandomSource(seed: seed, stream: 2000 + UInt64(k)),
                               inputTokens: source.inputTokens.map(Sampler.init), outputTokens: source.outputTokens.map(Sampler.init),
                               clock: source.start)
            state.nanosPerSecond = 1e9 / speed
            if case let .trace(spec) = source.kind {
                state.traceSpeed = spec.speed * speed
                state.traceOffset = Int64((spec.offset * 1e9).rounded())
                state.traceLoop = spec.loop
                for f in spec.filter {
                    switch f.column {
                    case "target":
                        state.targetFilter = f.values.compactMap { name in
                            scenario.target(named: name).map { Int32($0.index < scenario.servedAs.count ? scenario.servedAs[$0.index] : $0.index) }
                        }
                    case "caller": state.callerFilter = f.values
                    default: state.versionFilter = f.values
                    }
                }
            }
            if case let .mmpp(states) = source.kind {
                state.mmppStateEnd = source.start + state.rng.exponential(mean: states[0].meanStay)
            }
            if !source.mix.isEmpty {
                var total = 0.0
                for entry in source.mix {
                    total += entry.weight
                    state.mixCumulative.append(total)
                    state.mixTargets.append(Int32(entry.target.index))
                    state.mixCallers.append(entry.caller.map { callers.intern($0) } ?? 0)
                    state.mixVersions.append(entry.version.map { versions.intern($0) } ?? 0)
                }
                state.mixRng = RandomSource(seed: seed, stream: 3000 + UInt64(k))
            }
            // Prompts that share prefixes: the process's arrivals start conversations.
            if let prompts = source.prompts {
                let base = state
                state.process = .conversations(Conversations(base: base, spec: prompts, prefixes: prefixes,
                                                             rng: RandomSource(seed: seed, stream: 5000 + UInt64(k))))
            }
            return state
        }
    }
}
