import Scenario
import Simulator

/// One varied field: `path=lo..hi step s` (numbers or durations) or `path=a,b,c`.
public struct Dimension: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case number(Double)
        case text(String)
        /// `true` or `false`: a JSON boolean (a key such as `engine.prefixCaching`).
        case flag(Bool)

        /// The JSON value set into the scenario (durations as seconds).
        var json: JSONValue {
            switch self {
            case let .number(x): return .number(x)
            case let .text(s): return .string(s)
            case let .flag(b): return .bool(b)
            }
        }

        /// The CSV cell.
        public var cell: String {
            switch self {
            case let .number(x): return Self.show(x)
            case let .text(s): return CSVNumber.field(s)
            case let .flag(b): return b ? "true" : "false"
            }
        }

        static func show(_ x: Double) -> String {
            if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
            var s = CSVNumber.fixed(x, 9)
            while s.hasSuffix("0") { s.removeLast() }
            return s
        }
    }

    public var path: JSONPath
    /// The grid's values, in order.
    public var values: [Value]
    /// For ranges: the continuous interval random and Latin-hypercube samples draw from.
    public var range: ClosedRange<Double>?

    /// Parses `path=spec`.
    public init(_ text: String) throws {
        guard let eq = text.firstIndex(of: "=") else {
            throw SweepError.usage("--vary '\(text)': expected PATH=LO..HI step S or PATH=A,B,C")
        }
        path = try JSONPath(String(text[..<eq]).trimmingCharacters(in: .whitespaces))
        let spec = String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        func number(_ s: String) -> Double? {
            let t = s.trimmingCharacters(in: .whitespaces)
            guard let x = Double(t) ?? ValueReaderBridge.duration(t), x.isFinite else { return nil }   // no NaN or infinity
            return x
        }
        if let dots = spec.range(of: "..") {
            let lower = String(spec[..<dots.lowerBound])
            var rest = String(spec[dots.upperBound...])
            var step: Double?
            if let s = rest.range(of: " step ") {
                step = number(String(rest[s.upperBound...]))
                guard step != nil, step! > 0 else { throw SweepError.usage("--vary '\(text)': expected a step that is a positive number or duration") }
                rest = String(rest[..<s.lowerBound])
            }
            guard let lo = number(lower), let hi = number(rest), hi >= lo else {
                throw SweepError.usage("--vary '\(text)': expected LO..HI with LO ≤ HI, numbers or durations (30s, 5m)")
            }
            range = lo...hi
            guard let step else {
                throw SweepError.usage("--vary '\(text)': a range needs a step for the grid, e.g. '\(lower)..\(rest) step …'")
            }
            var values: [Value] = []
            var k = 0.0
            while true {
                let x = lo + k * step
                if x > hi + step * 1e-9 { break }
                values.append(.number((x * 1e9).rounded() / 1e9))
                k += 1
                if values.count > 100_000 { throw SweepError.usage("--vary '\(text)': expected at most 100,000 values, found more") }
            }
            self.values = values
        } else {
            let items = spec.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard !items.contains(where: \.isEmpty) else { throw SweepError.usage("--vary '\(text)': expected a value between every two commas, found an empty one") }
            values = items.map { item in
                if item == "true" || item == "false" { return .flag(item == "true") }
                return number(item).map { .number($0) } ?? .text(item)
            }
            range = nil
        }
    }
}

/// How variants are chosen from the dimensions.
public enum SweepDesign: Sendable, Equatable {
    /// Every combination, the first dimension varying slowest.
    case grid
    /// `n` points drawn independently (uniform over ranges, uniform choice from lists).
    case random(Int)
    /// `n` points of a Latin hypercube: each dimension split into `n` strata, one point per
    /// stratum, strata paired at random.
    case latinHypercube(Int)

    public init(_ text: String) throws {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let n = Int(parts[1]), n > 0 else {
            throw SweepError.usage("--sample '\(text)': expected random:N or lhs:N")
        }
        switch parts[0] {
        case "random": self = .random(n)
        case "lhs": self = .latinHypercube(n)
        default: throw SweepError.usage("--sample '\(text)': expected random:N or lhs:N")
        }
    }

    /// How many variants `variants` would make, counted without making them (a grid of ten
    /// dimensions with a hundred values each is 10²⁰).
    public func count(_ dimensions: [Dimension]) -> Double {
        switch self {
        case .grid: return dimensions.reduce(1.0) { $0 * Double($1.values.count) }
        case let .random(n), let .latinHypercube(n): return Double(n)
        }
    }

    /// The variants: one value per dimension each, in a deterministic order.
    public func variants(_ dimensions: [Dimension], seed: UInt64) -> [[Dimension.Value]] {
        switch self {
        case .grid:
            var out: [[Dimension.Value]] = [[]]
            for d in dimensions { out = out.flatMap { prefix in d.values.map { prefix + [$0] } } }
            return out
        case let .random(n):
            var rng = RandomSource(seed: seed, stream: 9001)
            return (0..<n).map { _ in dimensions.map { d in Self.draw(d, u: rng.uniform()) } }
        case let .latinHypercube(n):
            var rng = RandomSource(seed: seed, stream: 9002)
            var columns: [[Dimension.Value]] = []
            for d in dimensions {
                var strata = Array(0..<n)
                for i in stride(from: n - 1, to: 0, by: -1) {   // Fisher–Yates
                    let j = Int(rng.next() % UInt64(i + 1))
                    strata.swapAt(i, j)
                }
                columns.append(strata.map { s in Self.draw(d, u: (Double(s) + rng.uniform()) / Double(n)) })
            }
            return (0..<n).map { i in columns.map { $0[i] } }
        }
    }

    /// The value at quantile `u` in (0, 1) of a dimension.
    static func draw(_ d: Dimension, u: Double) -> Dimension.Value {
        if let r = d.range {
            let x = r.lowerBound + u * (r.upperBound - r.lowerBound)
            return .number((x * 1e6).rounded() / 1e6)
        }
        return d.values[Swift.min(Int(u * Double(d.values.count)), d.values.count - 1)]
    }
}
