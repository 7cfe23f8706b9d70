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
}

public enum Gates {
    /// Evaluates every gate of the scenario against the run's results, in file order.
    public static func evaluate(_ run: RunResult) -> [GateResult] {
        var rows: [Int: SummaryRow] = [:]
        for (j, k) in run.planIndices.enumerated() { rows[k] = Summary.row(run.plans[j]) }
        let names = run.scenario.plans.map(\.name)
        var results: [GateResult] = []
        for e in run.scenario.expectations {
            for bound in e.bounds {
                var result = GateResult(plan: names[e.plan], metric: e.metric, measured: nil, bound: "", verdict: .fail, note: "")
                let value = rows[e.plan]?.value(e.metric)
                switch bound {
                case let .min(x):
                    result.bound = "≥ \(show(x))"
                    result.measured = value
                    if let value { result.verdict = value >= x ? .pass : .fail }
                case let .max(x):
                    result.bound = "≤ \(show(x))"
                    result.measured = value
                    if let value { result.verdict = value <= x ? .pass : .fail }
                case let .maxRatioTo(other, x), let .minRatioTo(other, x):
                    let isMax: Bool
                    if case .maxRatioTo = bound { isMax = true } else { isMax = false }
                    result.bound = "\(isMax ? "≤" : "≥") \(show(x)) × \(names[other])"
                    guard rows[other] != nil else {
                        result.verdict = .skipped
                        result.note = "plan \(names[other]) was not run"
                        results.append(result)
                        continue
                    }
                    if let value, let base = rows[other]?.value(e.metric) {
                        if base == 0 {
                            result.measured = value == 0 ? 1 : .infinity
                            result.verdict = (value == 0 || !isMax) ? .pass : .fail
                        } else {
                            let ratio = value / base
                            result.measured = ratio
                            result.verdict = (isMax ? ratio <= x : ratio >= x) ? .pass : .fail
                        }
                    }
                }
                if rows[e.plan] == nil {
                    result.verdict = .skipped
                    result.note = "plan \(names[e.plan]) was not run"
                } else if result.measured == nil {
                    result.note = "no value (for example, no request completed)"
                }
                results.append(result)
            }
        }
        return results
    }

    static func show(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e12 { return String(Int64(x)) }
        var s = CSVNumber.fixed(x, 6)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }
}
