import Scenario
import Simulator

/// Human-readable renderings for the terminal: the plan comparison table and gate lines.
public enum TerminalTable {
    /// Renders rows as aligned columns; the first row is the header. Numbers align right.
    public static func render(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        guard let header = rows.first else { return "" }
        var widths = header.map(\.count)
        for row in rows { for (k, cell) in row.enumerated() { widths[k] = max(widths[k], cell.count) } }
        var out = ""
        for (r, row) in rows.enumerated() {
            var line = ""
            for (k, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[k] - cell.count)
                line += k == 0 ? "" : "  "
                line += rightAligned.contains(k) ? pad + cell : (k == row.count - 1 ? cell : cell + pad)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
            if r == 0 {
                var rule = widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")
                while rule.hasSuffix(" ") { rule.removeLast() }
                out += rule + "\n"
            }
        }
        return out
    }

    /// A duration for people: "0 s", "850 µs", "42.1 ms", "1.25 s", "3.5 min".
    public static func duration(_ seconds: Double?) -> String {
        guard let s = seconds else { return "–" }
        if s == 0 { return "0 s" }   // (a training job that never waited: not "0 µs")
        if s < 0.001 { return trim(s * 1e6, 0) + " µs" }
        if s < 1 { return trim(s * 1000, s < 0.1 ? 1 : 0) + " ms" }
        if s < 120 { return trim(s, 2) + " s" }
        return trim(s / 60, 1) + " min"
    }

    public static func money(_ usd: Double?) -> String {
        guard let usd else { return "–" }
        return "$" + (usd >= 100 ? CSVNumber.fixed(usd, 0) : usd >= 1 ? CSVNumber.fixed(usd, 2) : CSVNumber.fixed(usd, 4))
    }

    static func trim(_ x: Double, _ decimals: Int) -> String { CSVNumber.fixed(x, decimals) }

    static func percent(_ x: Double?) -> String {
        guard let x else { return "–" }
        return CSVNumber.fixed(x * 100, 1) + "%"
    }

    static func count(_ x: Double?) -> String {
        guard let x else { return "–" }
        return String(Int64(x.rounded()))
    }

    /// The plan comparison table.
    public static func plans(_ run: RunResult) -> String {
        var rows: [[String]] = [["plan", "policy", "requests", "completed", "rejected", "timed out", "p50", "p99", "cold starts",
                                 "cost", "per 1k req", "util", "inst max", "nodes max"]]
        for plan in run.plans {
            let r = Summary.row(plan)
            rows.append([r.plan, r.policy, count(r.value("requests")), count(r.value("completed")), count(r.value("rejected")),
                         count(r.value("timed_out")), duration(r.value("latency_p50_s")), duration(r.value("latency_p99_s")),
                         count(r.value("cold_starts")), money(r.value("cost_usd")), money(r.value("cost_per_1k_requests_usd")),
                         percent(r.value("utilisation")), count(r.value("instances_max")), count(r.value("nodes_max"))])
        }
        var text = render(rows, rightAligned: Set(2..<14))
        if run.plans.contains(where: { $0.training.jobs > 0 }) { text += "\n" + training(run) }
        if run.plans.contains(where: { $0.coldPhases.reduce(0, +) > 0 }) { text += "\n" + coldStartPhases(run) }
        if run.reportsTokens { text += "\n" + engines(run) }
        if ContentionReport.applies(run) { text += "\n" + ContentionReport.table(run) }
        return text
    }

    /// Where each plan's cold-start time went, by phase: seconds and share.
    public static func coldStartPhases(_ run: RunResult) -> String {
        var rows: [[String]] = [["cold-start time"] + ColdStartPhase.allCases.map(\.label) + ["total"]]
        for plan in run.plans {
            let total = plan.coldPhases.reduce(0, +)
            var row = [plan.plan]
            for p in ColdStartPhase.allCases {
                let x = plan.coldPhases[p.rawValue]
                row.append(x > 0 ? duration(x) + " (" + (total > 0 ? trim(100 * x / total, 0) : "0") + "%)" : "–")
            }
            row.append(total > 0 ? duration(total) : "–")
            rows.append(row)
        }
        return render(rows, rightAligned: Set(1...ColdStartPhase.allCases.count + 1))
    }

    /// The LLM engines per plan: time to first token, time per output token, throughput,
    /// KV-cache use, prefix-cache hits, batch size, preemptions.
    public static func engines(_ run: RunResult) -> String {
        var rows: [[String]] = [["LLM engine", "TTFT p50", "TTFT p90", "TPOT p50", "TPOT p90", "tokens/s", "$/M out", "$/M in", "KV use", "cache hit", "batch", "preempted", "too long"]]
        for plan in run.plans {
            let r = Summary.row(plan)
            rows.append([r.plan, duration(r.value("ttft_p50_s")), duration(r.value("ttft_p90_s")),
                         duration(r.value("tpot_p50_s")), duration(r.value("tpot_p90_s")),
                         r.value("output_tokens_per_s").map { trim($0, 0) } ?? "–",
                         r.value("usd_per_million_output_tokens").map { "$" + trim($0, 2) } ?? "–", r.value("usd_per_million_input_tokens").map { "$" + trim($0, 2) } ?? "–",
                         percent(r.value("kv_cache_utilisation")), percent(r.value("prefix_cache_hit_rate")),
                         r.value("batch_size_mean").map { trim($0, 1) } ?? "–",
                         count(r.value("preemptions")), count(r.value("rejected_too_long"))])
        }
        return render(rows, rightAligned: Set(1..<13))
    }

    /// Training jobs per plan, and how serving fared while they ran.
    public static func training(_ run: RunResult) -> String {
        var rows: [[String]] = [["plan", "jobs", "completed", "preempted", "wait", "training GPU-h", "serving GPU-h",
                                 "requests during", "SLO during", "p99 during"]]
        for plan in run.plans {
            let r = Summary.row(plan)
            rows.append([r.plan, count(r.value("training_jobs")), count(r.value("training_completed")),
                         count(r.value("training_preemptions")), duration(r.value("training_wait_mean_s")),
                         r.value("training_gpu_hours").map { trim($0, 1) } ?? "–", r.value("serving_gpu_hours").map { trim($0, 1) } ?? "–",
                         count(r.value("requests_during_training")), percent(r.value("slo_attainment_during_training")),
                         duration(r.value("latency_p99_during_training_s"))])
        }
        return render(rows, rightAligned: Set(1..<10))
    }

    /// One line per gate, then a closing count.
    public static func gates(_ results: [GateResult], scenario: String) -> String {
        let notes = results.contains { !$0.note.isEmpty }
        var rows: [[String]] = [["gate", "plan", "metric", "measured", "bound"] + (notes ? ["note"] : [])]
        for g in results {
            rows.append([g.verdict.rawValue, g.plan, g.metric, g.shownMeasured, g.bound] + (notes ? [g.note] : []))
        }
        var out = render(rows, rightAligned: [3])
        let passed = results.filter { $0.verdict == .pass }.count
        let failed = results.filter { $0.verdict == .fail }.count
        let skipped = results.filter { $0.verdict == .skipped }.count
        out += "gates: \(passed) passed, \(failed) failed" + (skipped > 0 ? ", \(skipped) skipped" : "") + "\n"
        return out
    }
}
