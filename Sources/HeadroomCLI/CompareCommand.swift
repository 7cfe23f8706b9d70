import Foundation
import Scenario
import Simulator
import Reports

/// `headroom compare DIR_A DIR_B`: two runs' summaries side by side.
enum CompareCommand {
    /// The metrics compared, and whether lower is better (nil: neither, e.g. request counts).
    static let metrics: [(name: String, label: String, lowerIsBetter: Bool?)] = [
        ("requests", "requests", nil), ("completed", "completed", nil), ("rejected", "rejected", true),
        ("timed_out", "timed out", true), ("latency_p50_s", "p50", true), ("latency_p99_s", "p99", true),
        ("wait_mean_s", "mean wait", true), ("cold_starts", "cold starts", true), ("slo_attainment", "SLO attainment", false),
        ("cost_usd", "cost", true), ("cost_per_1k_requests_usd", "per 1k req", true), ("utilisation", "utilisation", false),
        ("instances_max", "instances max", nil), ("nodes_max", "nodes max", nil),
    ]
    /// Compared when either run has them (an LLM engine simulated, or streamed tokens measured
    /// by `loadgen --api openai`).
    static let tokenMetrics: [(name: String, label: String, lowerIsBetter: Bool?)] = [
        ("ttft_p50_s", "TTFT p50", true), ("ttft_p90_s", "TTFT p90", true), ("tpot_p50_s", "TPOT p50", true), ("tpot_p90_s", "TPOT p90", true),
        ("output_tokens_per_s", "output tokens/s", false),
    ]

    struct Summary {
        var header: [String]
        var rows: [[String]]
        func value(_ row: [String], _ metric: String) -> Double? {
            guard let k = header.firstIndex(of: metric), k < row.count else { return nil }
            return Double(row[k])
        }
    }

    /// Splits one CSV line, honouring double-quoted fields.
    static func fields(_ line: Substring) -> [String] {
        var out: [String] = []
        var current = ""
        var quoted = false
        var chars = line.makeIterator()
        while let c = chars.next() {
            if quoted {
                if c == "\"" {
                    if let n = chars.next() {
                        if n == "\"" { current.append("\"") } else { quoted = false; if n == "," { out.append(current); current = "" } else { current.append(n) } }
                    } else { quoted = false }
                } else { current.append(c) }
            } else if c == "\"" { quoted = true }
            else if c == "," { out.append(current); current = "" }
            else { current.append(c) }
        }
        out.append(current)
        return out
    }

    static func read(_ directory: String) throws -> Summary {
        let path = directory + "/summary.csv"
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ScenarioError(file: path, message: "no such file: expected a report folder written by 'headroom run'")
        }
        let lines = text.split(separator: "\n")
        guard let first = lines.first else { throw ScenarioError(file: path, message: "is empty") }
        let header = fields(first)
        guard header.starts(with: ["scenario", "plan", "policy"]) else {
            throw ScenarioError(file: path, line: 1, message: "is not a Headroom summary.csv (expected the columns scenario,plan,policy,…)")
        }
        return Summary(header: header, rows: lines.dropFirst().map(fields))
    }

    static func execute(_ arguments: [String], out: TextSink) throws -> Int32 {
        if let option = arguments.first(where: { $0.hasPrefix("-") }) {
            throw UsageError(message: "Unknown option '\(option)'", usage: Help.compare.usage, subcommand: "compare")
        }
        guard arguments.count == 2 else {
            throw UsageError(message: arguments.count < 2 ? "Missing expected argument '<dir-\(arguments.isEmpty ? "a" : "b")>'" : "Unexpected argument '\(arguments[2])'",
                             usage: Help.compare.usage, subcommand: "compare")
        }
        let a = try read(arguments[0]), b = try read(arguments[1])
        var text = "A: \(arguments[0])\nB: \(arguments[1])\n"
        let plansA = a.rows.map { $0[1] }, plansB = b.rows.map { $0[1] }
        for plan in plansA + plansB.filter({ !plansA.contains($0) }) {
            text += "\n"
            guard let ra = a.rows.first(where: { $0[1] == plan }) else { text += "\(plan): only in B\n"; continue }
            guard let rb = b.rows.first(where: { $0[1] == plan }) else { text += "\(plan): only in A\n"; continue }
            var rows: [[String]] = [["\(plan) (\(ra[2]))", "A", "B", "change", ""]]
            let tokens = tokenMetrics.filter { a.header.contains($0.name) || b.header.contains($0.name) }
            for m in metrics + tokens {
                let x = a.value(ra, m.name), y = b.value(rb, m.name)
                rows.append([m.label, show(x, m.name), show(y, m.name), change(x, y), verdict(x, y, lowerIsBetter: m.lowerIsBetter)])
            }
            text += TerminalTable.render(rows, rightAligned: [1, 2, 3])
        }
        out.write(text)
        return 0
    }

    static func show(_ x: Double?, _ metric: String) -> String {
        guard let x else { return "–" }
        if metric.hasSuffix("_s") { return TerminalTable.duration(x) }
        if metric.hasPrefix("cost") { return TerminalTable.money(x) }
        if metric == "utilisation" || metric == "slo_attainment" { return CSVNumber.fixed(x * 100, 1) + "%" }
        return Gates.show(x)
    }

    static func change(_ x: Double?, _ y: Double?) -> String {
        guard let x, let y else { return "" }
        if x == y { return "=" }
        if x == 0 { return y > 0 ? "new" : "" }
        let pct = (y - x) / abs(x) * 100
        return (pct > 0 ? "+" : "") + CSVNumber.fixed(pct, 1) + "%"
    }

    static func verdict(_ x: Double?, _ y: Double?, lowerIsBetter: Bool?) -> String {
        guard let x, let y, x != y else { return "" }
        let arrow = y > x ? "▲" : "▼"
        guard let lower = lowerIsBetter else { return arrow }
        return arrow + ((y < x) == lower ? " better" : " worse")
    }
}
