import Scenario
import Simulator

/// The verdict of one `expect` gate.
public struct GateResult: Sendable {
    public enum Verdict: String, Sendable {
        case pass = "PASS"
        case fail = "FAIL"
        /// The gate's plan (or the plan it compares with) was not run (`--plan`).
        case skipped = "SKIP"
    }
    public var plan: String
    public var metric: String
    /// The measured value (a ratio for ratio gates), nil when there is none.
    public var measured: Double?
    /// The bound, as text: "≤ 0.8", "≥ 0.95", "≤ 0.7 × reserved".
    public var bound: String
    public var verdict: Verdict
    public var note: String
    /// What the measured number is when it is not the metric itself: " × reserved" for a
    /// ratio gate, so a ratio of costs is not read as dollars.
    public var measuredUnit: String = ""

    /// The measured value for people: "0.45 × reserved", "∞", or "–" when there is none.
    public var shownMeasured: String {
        guard let measured else { return "–" }
        return (measured.isFinite ? Gates.show(measured) : "∞") + measuredUnit
    }
}

public enum Gates {
    /// Evaluates every gate of the scenario against the run's results, in file order.
    ///
    /// Accuracy gates (`accuracy_…`) compare a simulation with a measured run: `accuracy`
    /// gives their values (the absolute relative error) when `headroom calibrate` evaluates
    /// them; without it they are skipped.
    public static func evaluate(_ run: RunResult, accuracy: ((Expectation) -> Double?)? = nil) -> [GateResult] {
        var byPlan: [Int: PlanResult] = [:]
        for (j, k) in run.planIndices.enumerated() { byPlan[k] = run.plans[j] }
        let names = run.scenario.plans.map(\.name)
        let targetNames = run.scenario.targetNames

        /// The metric of a plan in the gate's scope; nil when there is no value.
        func value(_ e: Expectation, plan: Int) -> Double? {
            guard let r = byPlan[plan] else { return nil }
            switch e.scope {
            case .plan: return Summary.row(r).value(e.metric)
            case let .target(t):
                return Summary.scoped(r.perTarget[t], e.metric, hasSLO: r.hasSLO,
                                      engine: t < r.enginePerTarget.count ? r.enginePerTarget[t] : nil, endTime: r.endTime)
            case let .caller(name):
                guard let c = r.callers.firstIndex(of: name), c < r.perCaller.count else { return nil }
                return Summary.scoped(r.perCaller[c], e.metric, hasSLO: r.hasSLO)
            }
        }
        func scopeLabel(_ e: Expectation) -> String {
            switch e.scope {
            case .plan: return names[e.plan]
            case let .target(t): return "\(names[e.plan])/\(targetNames[t])"
            case let .caller(c): return "\(names[e.plan])/caller \(c)"
            }
        }

        var results: [GateResult] = []
        for e in run.scenario.expectations {
            if e.cheapestMeetingSLO {
                results.append(cheapest(e, run: run, byPlan: byPlan, names: names))
                continue
            }
            let isAccuracy = e.metric.hasPrefix("accuracy_")
            if isAccuracy && (accuracy == nil || byPlan[e.plan] == nil) {
                let bound = e.bounds.map { b -> String in
                    switch b {
                    case let .min(x): return "≥ \(show(x))"
                    case let .max(x): return "≤ \(show(x))"
                    case let .maxRatioTo(o, x): return "≤ \(show(x)) × \(names[o])"
                    case let .minRatioTo(o, x): return "≥ \(show(x)) × \(names[o])"
                    }
                }.joined(separator: ", ")
                results.append(GateResult(plan: scopeLabel(e), metric: e.metric, measured: nil, bound: bound, verdict: .skipped,
                                          note: accuracy == nil ? "measured by headroom calibrate" : "plan \(names[e.plan]) was not calibrated"))
                continue
            }
            for bound in e.bounds {
                var result = GateResult(plan: scopeLabel(e), metric: e.metric, measured: nil, bound: "", verdict: .fail, note: "")
                let measured = isAccuracy ? accuracy?(e) : value(e, plan: e.plan)
                switch bound {
                case let .min(x):
                    result.bound = "≥ \(show(x))"
                    result.measured = measured
                    if let measured { result.verdict = measured >= x ? .pass : .fail }
                case let .max(x):
                    result.bound = "≤ \(show(x))"
                    result.measured = measured
                    if let measured { result.verdict = measured <= x ? .pass : .fail }
                case let .maxRatioTo(other, x), let .minRatioTo(other, x):
                    let isMax: Bool
                    if case .maxRatioTo = bound { isMax = true } else { isMax = false }
                    result.bound = "\(isMax ? "≤" : "≥") \(show(x)) × \(names[other])"
                    result.measuredUnit = " × \(names[other])"
                    guard byPlan[other] != nil else {
                        result.verdict = .skipped
                        result.note = "plan \(names[other]) was not run"
                        results.append(result)
                        continue
                    }
                    if let measured, let base = value(e, plan: other) {
                        if base == 0 {
                            result.measured = measured == 0 ? 1 : .infinity
                            result.verdict = (measured == 0 || !isMax) ? .pass : .fail
                        } else {
                            let ratio = measured / base
                            result.measured = ratio
                            result.verdict = (isMax ? ratio <= x : ratio >= x) ? .pass : .fail
                        }
                    }
                }
                if byPlan[e.plan] == nil {
                    result.verdict = .skipped
                    result.note = "plan \(names[e.plan]) was not run"
                } else if result.measured == nil {
                    if case let .caller(c) = e.scope, let r = byPlan[e.plan], !r.callers.contains(c) {
                        let seen = r.callers.filter { !$0.isEmpty }
                        result.note = "no request came from caller \"\(c)\"" + (Suggest.closest(to: c, in: seen).map { " (did you mean '\($0)'?)" } ?? "")
                    } else {
                        result.note = "no value (for example, no request completed)"
                    }
                }
                results.append(result)
            }
        }
        return results
    }

    /// "The cheapest plan meeting the SLO is X": among the plans that ran and meet the SLO
    /// (`slo.percentile` % of requests within `slo.latency`), the lowest cost_usd.
    static func cheapest(_ e: Expectation, run: RunResult, byPlan: [Int: PlanResult], names: [String]) -> GateResult {
        let percentile = run.scenario.slo.percentile
        var result = GateResult(plan: names[e.plan], metric: "cheapest meeting SLO", measured: nil,
                                bound: "is \(names[e.plan])", verdict: .fail, note: "")
        guard byPlan[e.plan] != nil else {
            result.verdict = .skipped
            result.note = "plan \(names[e.plan]) was not run"
            return result
        }
        var best: Int?
        for k in byPlan.keys.sorted() where Summary.meetsSLO(byPlan[k]!, percentile: percentile) {
            if best == nil || byPlan[k]!.cost < byPlan[best!]!.cost { best = k }
        }
        guard let best else {
            result.note = "no plan meets the SLO"
            return result
        }
        result.measured = byPlan[best]!.cost
        result.verdict = best == e.plan ? .pass : .fail
        result.note = best == e.plan ? "" : "the cheapest plan meeting the SLO is \(names[best])"
        return result
    }

    /// A bound or measured value for people: integers plain, others without trailing zeros.
    public static func show(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e12 { return String(Int64(x)) }
        var s = CSVNumber.fixed(x, 6)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }
}
