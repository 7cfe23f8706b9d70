import Scenario
import Simulator
import Reports

/// One run of a sweep: a variant × plan, as CSV fields.
public struct SweepRow: Sendable, Equatable {
    public var variant: Int
    public var fields: [String]
}

/// The rows of a sweep: one per variant × plan, as CSV fields, and the Pareto marks computed
/// from those same fields — so a merged set of shards gives byte for byte the file a single
/// run gives.
public struct SweepTable: Sendable, Equatable {
    public var header: [String]
    /// (variant index, fields), in variant order, plans in file order within a variant.
    public var rows: [SweepRow]
    /// Variants in the whole sweep (all shards).
    public var totalVariants: Int
    public var scenario: String

    /// A CSV cell as text: surrounding quotes removed, doubled quotes undone.
    public static func unquoted(_ field: String) -> String {
        guard field.count >= 2, field.hasPrefix("\""), field.hasSuffix("\"") else { return field }
        return String(field.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
    }

    public static let paretoColumns = ["pareto_cost_p99", "pareto_cost_cold_starts"]

    /// The columns: with `engine` (a model of the scenario has one), the engine columns last,
    /// so every other column keeps its place.
    public static func header(dimensions: [Dimension], engine: Bool = false) -> [String] {
        ["variant"] + dimensions.map { CSVNumber.field($0.path.text) } + ["plan", "policy"] + SummaryMetric.names + ["meets_slo"] + paretoColumns
            + (engine ? EngineMetric.names : [])
    }

    func column(_ name: String) -> Int { header.firstIndex(of: name)! }

    /// The rows with the Pareto columns filled: 1 for rows no other row beats on both cost
    /// and the other metric (p99 latency; cold-start ratio), else 0; empty without a value.
    public func markingPareto() -> SweepTable {
        var out = self
        let cost = column("cost_usd")
        for (metric, flag) in [("latency_p99_s", "pareto_cost_p99"), ("cold_start_ratio", "pareto_cost_cold_starts")] {
            let m = column(metric), f = column(flag)
            let front = Self.front(rows.map { (Double($0.fields[cost]), Double($0.fields[m])) })
            for k in out.rows.indices { out.rows[k].fields[f] = front[k].map { $0 ? "1" : "0" } ?? "" }
        }
        return out
    }

    /// Pareto front of (x, y), both minimised. nil where a value is missing.
    static func front(_ points: [(Double?, Double?)]) -> [Bool?] {
        var result = [Bool?](repeating: nil, count: points.count)
        let valid = points.indices.filter { points[$0].0 != nil && points[$0].1 != nil }
        let order = valid.sorted { (points[$0].0!, points[$0].1!, $0) < (points[$1].0!, points[$1].1!, $1) }
        var best = Double.infinity
        var k = 0
        while k < order.count {
            var j = k
            let x = points[order[k]].0!
            while j < order.count && points[order[j]].0! == x { j += 1 }
            let groupMin = points[order[k]].1!
            for i in k..<j { result[order[i]] = points[order[i]].1! == groupMin && groupMin < best }
            best = Swift.min(best, groupMin)
            k = j
        }
        for i in points.indices where result[i] == nil && points[i].0 != nil && points[i].1 != nil { result[i] = false }
        return result
    }

    /// The whole table as CSV (header + rows).
    public func csv() -> String {
        var text = header.joined(separator: ",") + "\n"
        for row in rows { text += row.fields.joined(separator: ",") + "\n" }
        return text
    }

    /// A shard's file: a `#` line saying which shard of how many variants, then the CSV.
    public func shardFile(index: Int, count: Int) -> String {
        "# headroom sweep shard \(index)/\(count); variants \(totalVariants); scenario \(scenario)\n" + csv()
    }

    /// Merges shard files into the table a single run gives. Checks that the shards belong
    /// to one sweep and that every shard is there exactly once.
    public static func merge(_ files: [(name: String, text: String)]) throws -> SweepTable {
        var parts: [(index: Int, count: Int, table: SweepTable)] = []
        for (name, text) in files {
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            guard let first = lines.first, first.hasPrefix("# headroom sweep shard "), lines.count >= 2 else {
                throw SweepError.data("\(name): not a sweep shard file (it should start with '# headroom sweep shard I/N'); written by 'headroom sweep --shard'")
            }
            let words = first.dropFirst("# headroom sweep shard ".count).split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let ic = words[0].split(separator: "/")
            guard ic.count == 2, let i = Int(ic[0]), let n = Int(ic[1]), words.count >= 3,
                  let total = Int(words[1].dropFirst("variants ".count)) else {
                throw SweepError.data("\(name):1: cannot read the shard line '\(first)'")
            }
            let scenario = String(words[2].dropFirst("scenario ".count))
            let header = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            var rows: [SweepRow] = []
            for (k, line) in lines.dropFirst(2).enumerated() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard fields.count == header.count, let v = Int(fields[0]) else {
                    throw SweepError.data("\(name):\(k + 3): expected \(header.count) fields starting with the variant number")
                }
                rows.append(SweepRow(variant: v, fields: fields))
            }
            parts.append((i, n, SweepTable(header: header, rows: rows, totalVariants: total, scenario: scenario)))
        }
        guard let first = parts.first else { throw SweepError.usage("merge needs at least one shard file") }
        for (k, p) in parts.enumerated() {
            guard p.count == first.count, p.table.totalVariants == first.table.totalVariants,
                  p.table.header == first.table.header, p.table.scenario == first.table.scenario else {
                throw SweepError.data("\(files[k].name) belongs to another sweep than \(files[0].name) (shard count, variants, scenario or columns differ): expected shards of one sweep")
            }
        }
        let indices = parts.map(\.index).sorted()
        guard indices == Array(1...first.count) else {
            let missing = Set(1...first.count).subtracting(indices).sorted()
            let twice = Dictionary(grouping: indices, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
            throw SweepError.data("the shards given (\(files.map(\.name).joined(separator: ", "))) do not make up the sweep: " + (missing.isEmpty ? "" : "missing shard \(missing.map(String.init).joined(separator: ", ")) of \(first.count)")
                                  + (twice.isEmpty ? "" : "\(missing.isEmpty ? "" : "; ")shard \(twice.map(String.init).joined(separator: ", ")) given twice"))
        }
        var rows = parts.flatMap(\.table.rows)
        rows.sort { $0.variant < $1.variant }   // stable: plans keep their order within a variant
        return SweepTable(header: first.table.header, rows: rows, totalVariants: first.table.totalVariants,
                          scenario: first.table.scenario).markingPareto()
    }
}
