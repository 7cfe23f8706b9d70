import Scenario

/// Arrivals from an Azure Functions 2019 invocation-count file (one row per function, one
/// count per minute of the day), in time order.
///
/// The file is function-major, so it is read once (twice with `top`) and its counts are summed
/// per (target, minute): memory follows the number of targets, not the size of the file.
/// Within a minute, a target's k arrivals are evenly spaced or at uniform random times
/// (`spread`), and all targets' arrivals of the minute are merged in time order.
final class FunctionCountsTrace {
    /// counts[target][minute]
    var counts: [[Int64]]
    let spread: TraceSpec.Spread
    var rng: RandomSource
    var minute = 0
    var pending: [(time: Int64, target: Int32)] = []
    var cursor = 0

    /// The most invocations one minute of the file may ask for, all functions together. A
    /// minute's arrivals are held in memory while it is replayed (16 bytes each: 160 MB at
    /// this bound), and the even spacing's arithmetic, (2i + 1) × 60 s / 2k in nanoseconds,
    /// stays within 64 bits (below 1.2 × 10¹⁸). The busiest minute of the real 2019 day
    /// files is far below it.
    static let maxPerMinute: Int64 = 10_000_000

    init(spec: TraceSpec, defaultTarget: Int32, targetCount: Int, seed: UInt64, stream: UInt64) throws {
        spread = spec.spread
        rng = RandomSource(seed: seed, stream: stream)
        var counts = [[Int64]](repeating: [], count: targetCount)
        var byHash: [String: Int] = [:]
        for f in spec.functionTargets { byHash[f.hash] = f.target }
        try Self.read(spec) { function, app in
            byHash[function] ?? byHash[app] ?? Int(defaultTarget)
        } into: { target, row in
            if counts[target].isEmpty { counts[target] = [Int64](repeating: 0, count: 1440) }
            for m in 0..<1440 { counts[target][m] += row[m] }
        }
        self.counts = counts
    }

    /// Invocations per minute of the day, all kept functions together: what a run of the file
    /// will replay, read before anything is allocated for it (the run budget counts it).
    /// Throws as replaying would.
    static func minuteTotals(_ spec: TraceSpec) throws -> [Int64] {
        var totals = [Int64](repeating: 0, count: 1440)
        try read(spec) { _, _ in 0 } into: { _, row in
            for m in 0..<1440 { totals[m] += row[m] }
        }
        return totals
    }

    /// Reads the file's rows (the `top` functions only, when given), passing each kept row
    /// with the target `route(function, app)` names. Every count is a whole number of at
    /// most `maxPerMinute`, and no minute's total over the kept rows passes it: so no sum
    /// the replay makes can overflow.
    static func read(_ spec: TraceSpec, route: (String, String) -> Int,
                     into body: (Int, [Int64]) throws -> Void) throws {
        var keep: Set<String>?
        if let top = spec.top {
            // First pass: the N functions with the most invocations (each row's total is
            // below 1,440 × maxPerMinute: no overflow).
            var totals: [(String, Int64)] = []
            try rows(spec) { _, _, function, row, _ in totals.append((function, row.reduce(0, +))) }
            totals.sort { ($0.1, $1.0) > ($1.1, $0.0) }
            keep = Set(totals.prefix(top).map(\.0))
        }
        var perMinute = [Int64](repeating: 0, count: 1440)
        try rows(spec) { _, app, function, row, reader in
            if let keep, !keep.contains(function) { return }
            for m in 0..<1440 {
                perMinute[m] += row[m]
                if perMinute[m] > maxPerMinute {
                    throw reader.fail("minute \(m + 1) of the day asks for more than \(RunBudget.show(Double(maxPerMinute))) invocations (all functions together, up to this row): a replay holds at most that many arrivals for one minute",
                                      column: String(m + 1), suggestion: "replay fewer functions with \"top\", or split the file")
                }
            }
            try body(route(function, app), row)
        }
    }
    /// Calls `body(owner, app, function, counts)` for each row, with errors naming the line.
    static func rows(_ spec: TraceSpec, _ body: (String, String, String, [Int64], TraceReader) throws -> Void) throws {
        let reader = try TraceReader(spec: spec, defaultTarget: 0, targetNames: [""])
        var row = [Int64](repeating: 0, count: 1440)
        while let raw = reader.nextLine() {
            if raw.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            reader.split(raw)
            guard reader.starts.count == 1444 else {
                throw reader.fail("expected 1,444 comma-separated fields (4 hashes and 1,440 minutes), found \(reader.starts.count)")
            }
            for m in 0..<1440 {
                let field = reader.field(raw, 4 + m)
                var v: Int64 = 0
                for b in field {
                    guard b >= 48 && b <= 57 else {
                        throw reader.fail("expected a whole number of invocations, found \"\(TraceReader.text(field))\"", column: String(m + 1))
                    }
                    v = v * 10 + Int64(b - 48)
                    // Checked digit by digit: a 20-digit count would overflow 64 bits.
                    guard v <= maxPerMinute else {
                        throw reader.fail("\(field.count > 12 ? "a \(field.count)-digit count of" : "a count of \(TraceReader.text(field))") invocations in one minute: at most \(RunBudget.show(Double(maxPerMinute))) are replayed per minute",
                                          column: String(m + 1), suggestion: "check the file's column \(m + 5); the Azure Functions 2019 day files count invocations per function and minute")
                    }
                }
                row[m] = v
            }
            try body(TraceReader.text(reader.field(raw, 0)), TraceReader.text(reader.field(raw, 1)), TraceReader.text(reader.field(raw, 2)), row, reader)
        }
    }

    /// The next arrival (nanoseconds after midnight, target), or nil after the last minute.
    func next() -> TraceRow? {
        while cursor == pending.count {
            guard minute < 1440 else { return nil }
            pending.removeAll(keepingCapacity: true)
            cursor = 0
            let start = Int64(minute) * 60_000_000_000
            for (t, perMinute) in counts.enumerated() where !perMinute.isEmpty {
                let k = perMinute[minute]
                guard k > 0 else { continue }
                for i in 0..<k {
                    let within: Int64
                    switch spread {
                    case .uniform: within = (2 * i + 1) * 60_000_000_000 / (2 * k)
                    case .random: within = Int64(rng.uniform() * 60e9)
                    }
                    pending.append((start + within, Int32(t)))
                }
            }
            pending.sort { ($0.time, $0.target) < ($1.time, $1.target) }
            minute += 1
        }
        let (time, target) = pending[cursor]
        cursor += 1
        return TraceRow(offset: time, target: target, caller: 0, version: 0, inputTokens: 0, outputTokens: 0)
    }
}
