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

    init(spec: TraceSpec, defaultTarget: Int32, targetCount: Int, seed: UInt64, stream: UInt64) throws {
        spread = spec.spread
        rng = RandomSource(seed: seed, stream: stream)
        counts = [[Int64]](repeating: [], count: targetCount)
        var keep: Set<String>?
        if let top = spec.top {
            // First pass: the N functions with the most invocations.
            var totals: [(String, Int64)] = []
            try Self.rows(spec) { _, _, function, row in totals.append((function, row.reduce(0, +))) }
            totals.sort { ($0.1, $1.0) > ($1.1, $0.0) }
            keep = Set(totals.prefix(top).map(\.0))
        }
        var byHash: [String: Int] = [:]
        for f in spec.functionTargets { byHash[f.hash] = f.target }
        try Self.rows(spec) { _, app, function, row in
            if let keep, !keep.contains(function) { return }
            let target = byHash[function] ?? byHash[app] ?? Int(defaultTarget)
            if counts[target].isEmpty { counts[target] = [Int64](repeating: 0, count: 1440) }
            for m in 0..<1440 { counts[target][m] += row[m] }
        }
    }

    /// Calls `body(owner, app, function, counts)` for each row, with errors naming the line.
    static func rows(_ spec: TraceSpec, _ body: (String, String, String, [Int64]) throws -> Void) throws {
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
                }
                row[m] = v
            }
            try body(TraceReader.text(reader.field(raw, 0)), TraceReader.text(reader.field(raw, 1)), TraceReader.text(reader.field(raw, 2)), row)
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
