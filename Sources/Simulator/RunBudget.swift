import Foundation
import Scenario

/// How much work a run of a scenario is, estimated before it starts: so `validate` can say
/// so, and `run`, `check` and `sweep` can refuse a run that would take hours or gigabytes
/// rather than discover it late.
public struct WorkEstimate: Sendable, Equatable {
    /// Expected arrivals of one plan's run (the same for every plan: the same workload).
    public var requestsPerPlan: Double
    /// Plans run.
    public var plans: Int
    /// `timeseries.csv` rows of all plans (held in memory until the files are written).
    public var timeseriesRows: Double
    /// Sources whose count is not known before reading them: a function-count or looping
    /// trace that cannot be read (the run then says why).
    public var uncounted: [String] = []
    /// Candidate arrivals one plan's run draws for its diurnal and flash-crowd sources, which
    /// are made by thinning (Lewis & Shedler): candidates at the source's peak rate over the
    /// whole run, each kept with probability rate ÷ peak. Their arrivals are a part of these,
    /// as small as a crowd whose peak falls outside the run makes them: the budget holds the
    /// draws too.
    public var drawsPerPlan = 0.0

    /// Arrivals over every plan.
    public var requests: Double { requestsPerPlan * Double(plans) }
    /// Thinning draws over every plan.
    public var draws: Double { drawsPerPlan * Double(plans) }

    /// Expected arrivals of each source of `scenario` over its duration, and the time-series
    /// rows at `interval` seconds, for `plans` plans. Trace files are counted by their lines.
    public static func of(_ scenario: Scenario, plans: Int, interval: Double) -> WorkEstimate {
        var perPlan = 0.0, draws = 0.0
        var uncounted: [String] = []
        for source in scenario.workload {
            let end = Swift.min(source.end ?? scenario.duration, scenario.duration)
            let span = Swift.max(0, end - source.start)
            // Conversations: each arrival is the first of its turns (at most; turns due after
            // the source ends are not made).
            let before = perPlan
            defer { if let turns = source.prompts?.turns { perPlan = before + (perPlan - before) * Swift.max(1, turns.mean) } }
            switch source.kind {
            case let .poisson(rate):
                perPlan += rate * span
            case let .bursts(base, peak, every, length, offset):
                // The base rate throughout, plus the bursts' excess over the time they cover.
                let afterOffset = Swift.max(0, span - Swift.max(0, offset - source.start))
                let bursts = every > 0 ? (afterOffset / every).rounded(.up) : 0
                perPlan += base * span + Swift.max(0, peak - base) * Swift.min(afterOffset, bursts * length)
            case .diurnal, .flashCrowd:
                // The rate's integral over the span (a run shorter than a diurnal period sees
                // the part of the cycle it covers, not the mean), and the candidates thinning
                // draws for it at the peak rate.
                let profile = RateProfile(source.kind)!
                perPlan += profile.arrivals(from: source.start, to: source.start + span)
                draws += profile.maximum * span
            case let .counts(spec):
                // The whole intervals before the source ends, and the part of the one it cuts.
                let covered = Swift.min(span / spec.interval, Double(spec.counts.count))
                let whole = Int(covered)
                perPlan += Double(spec.counts.prefix(whole).reduce(0, +))
                if whole < spec.counts.count { perPlan += Double(spec.counts[whole]) * (covered - Double(whole)) }
            case let .mmpp(states):
                let stay = states.reduce(0) { $0 + $1.meanStay }
                perPlan += stay > 0 ? states.reduce(0) { $0 + $1.rate * $1.meanStay } / stay * span : 0
            case let .trace(spec):
                if spec.format == .azureFunctions2019 {
                    // Read and summed before anything is allocated for it: a file asking for
                    // more than the budget is refused here (one that cannot be read is
                    // refused by the run itself, with the line at fault).
                    guard let minutes = try? FunctionCountsTrace.minuteTotals(spec) else {
                        uncounted.append(source.jsonPath)
                        continue
                    }
                    perPlan += functionCountsReplayed(minutes, spec: spec, span: span)
                    continue
                }
                if spec.loop {
                    // A looping trace replays until the source ends: its passes are counted
                    // from one read of it (rows and span), as the replay spaces them.
                    guard let pass = loopPass(spec, target: source.target?.index, targetNames: scenario.targetNames) else {
                        uncounted.append(source.jsonPath)
                        continue
                    }
                    perPlan += Double(pass.rows) * Swift.max(1, (span / pass.seconds).rounded(.up))
                } else {
                    perPlan += Double(Swift.max(0, lines(spec.resolvedPath) - 1))
                }
            }
        }
        let rows = interval > 0 ? (scenario.duration / interval).rounded(.up) * Double(plans) : 0
        return WorkEstimate(requestsPerPlan: perPlan, plans: plans, timeseriesRows: rows, uncounted: uncounted, drawsPerPlan: draws)
    }

    /// Invocations a replay of a function-count file makes over `span` seconds: the minutes
    /// from the trace offset on, at the replay speed, passes repeated when it loops.
    static func functionCountsReplayed(_ minutes: [Int64], spec: TraceSpec, span: Double) -> Double {
        var replayed = 0.0, day = 0.0
        for (m, count) in minutes.enumerated() {
            let at = (Double(m) * 60 - spec.offset) / spec.speed
            guard at >= -60 / spec.speed else { continue }
            day += Double(count)
            if at < span { replayed += Double(count) }
        }
        if spec.loop, day > 0 {
            let pass = (86_400 - spec.offset) / spec.speed
            return pass > 0 ? Swift.max(replayed, day * (span / pass).rounded(.up)) : replayed
        }
        return replayed
    }

    /// One pass of a looping trace: its rows, and the seconds from one pass's start to the
    /// next's (the replayed span plus the gap the replay leaves before starting again: the
    /// mean gap between rows, or 1 s when there is none). Nil when the trace cannot be read.
    static func loopPass(_ spec: TraceSpec, target: Int?, targetNames: [String]) -> (rows: Int, seconds: Double)? {
        guard let reader = try? TraceReader(spec: spec, defaultTarget: Int32(target ?? -1), targetNames: targetNames) else { return nil }
        var callers = StringTable(), versions = StringTable()
        var rows = 0
        var first: Int64 = 0, last: Int64 = 0
        while let row = (try? reader.next(callers: &callers, versions: &versions)) ?? nil {
            if rows == 0 { first = row.offset }
            last = row.offset
            rows += 1
        }
        guard rows > 0 else { return nil }
        let span = Double(last - first) / 1e9 / spec.speed
        let gap = rows > 1 && span > 0 ? span / Double(rows - 1) : 1
        return (rows, span + gap)
    }

    /// Lines of a file (0 when it cannot be read): one pass of 64 KiB reads.
    static func lines(_ path: String) -> Int {
        guard let f = fopen(path, "rb") else { return 0 }
        defer { fclose(f) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var count = 0
        var last: UInt8 = 0x0A
        while true {
            let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n == 0 { break }
            for k in 0..<n where buffer[k] == 0x0A { count += 1 }
            last = buffer[n - 1]
        }
        return last == 0x0A ? count : count + 1
    }
}

/// Limits on a run's size that a laptop finishes in minutes: about 10⁹ simulated requests
/// (a few minutes at the engine's 5 M requests/s on two cores) and 2 × 10⁶ time-series rows
/// (about 300 MB held until the files are written). Raised with `--max-requests` and
/// `--max-rows`.
public struct RunBudget: Sendable, Equatable {
    public var maxRequests: Double = 1e9
    public var maxRows: Double = 2e6
    public init() {}

    /// Throws when the estimate is over the budget, naming the estimate, the budget and the
    /// flag that raises it.
    public func check(_ e: WorkEstimate, scenario: Scenario, what: String = "the run") throws {
        if e.requests > maxRequests || e.draws > maxRequests {
            // The arrivals, or else the candidates thinning draws to make them.
            let drawn = e.requests <= maxRequests
            let plans = "\(e.plans) plan\(e.plans == 1 ? "" : "s")"
            throw ScenarioError(file: scenario.file, path: "$.workload",
                                message: drawn
                                    ? "\(what) would draw about \(Self.show(e.draws)) candidate arrivals (\(plans) × \(Self.show(e.drawsPerPlan))) to make about \(Self.show(e.requestsPerPlan)) requests a plan, over the budget of \(Self.show(maxRequests)): a diurnal or flash-crowd source is drawn at its peak rate over the whole run and thinned"
                                    : "\(what) would simulate about \(Self.show(e.requests)) requests (\(plans) × \(Self.show(e.requestsPerPlan))), over the budget of \(Self.show(maxRequests))",
                                suggestion: drawn
                                    ? "give the source a start and end around its peak, lower the peak, or raise the budget with --max-requests \(Self.show((e.draws * 1.1).rounded(.up)))"
                                    : "shorten the duration or lower the rates, or raise the budget with --max-requests \(Self.show((e.requests * 1.1).rounded(.up)))")
        }
        if e.timeseriesRows > maxRows {
            throw ScenarioError(file: scenario.file, path: "$.duration",
                                message: "\(what) would keep about \(Self.show(e.timeseriesRows)) timeseries.csv rows, over the budget of \(Self.show(maxRows))",
                                suggestion: "use a coarser --interval, --interval 0 for none, or raise the budget with --max-rows \(Self.show((e.timeseriesRows * 1.1).rounded(.up)))")
        }
    }

    /// A count for people: plain below a million, else like 3.2e12.
    public static func show(_ x: Double) -> String {
        if x < 1e6 { return String(Int64(x.rounded())) }
        var exponent = Int(Foundation.log10(x).rounded(.down))
        var mantissa = (x / Foundation.pow(10, Double(exponent)) * 10).rounded() / 10
        // 9.96e7 rounds to 10.0: say 1.0e8.
        if mantissa >= 10 { mantissa /= 10; exponent += 1 }
        return CSVNumber.fixed(mantissa, 1) + "e" + String(exponent)
    }

    /// Parses a budget given on the command line: a positive whole number, plain or with an
    /// exponent (1e10).
    public static func parse(_ text: String) -> Double? {
        guard let x = Double(text), x.isFinite, x >= 1, x <= 1e18, x == x.rounded() else { return nil }
        return x
    }
}
