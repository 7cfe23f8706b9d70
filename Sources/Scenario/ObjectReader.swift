/// Reads one JSON object of a scenario, remembering which keys were asked for so that any
/// other key is reported as unknown, with a "did you mean" suggestion.
struct ObjectReader {
    let node: JSONNode
    let members: [JSONMember]
    let path: String
    let file: String
    private(set) var known: [String] = []
    /// Whether keys starting with "$" are allowed (and ignored): the document root only.
    var allowsDollarKeys = false

    init(_ node: JSONNode, path: String, file: String, what: String = "an object") throws {
        guard case let .object(members) = node.value else {
            throw ScenarioError(file: file, line: node.line, column: node.column, path: path,
                                message: "expected \(what), found \(node.value.kindDescription)")
        }
        self.node = node
        self.members = members
        self.path = path
        self.file = file
    }

    func childPath(_ key: String) -> String { Self.join(path, key) }

    static func join(_ path: String, _ key: String) -> String {
        let plain = key.unicodeScalars.allSatisfy { ($0.properties.isAlphabetic || $0 == "_" || ("0"..."9").contains($0)) }
        return plain ? "\(path).\(key)" : "\(path)[\"\(key)\"]"
    }

    /// The value of an optional key.
    mutating func optional(_ key: String) -> JSONNode? {
        if !known.contains(key) { known.append(key) }
        return members.first { $0.key == key }?.value
    }

    /// Whether the key is present, without counting it as a key this object accepts.
    func has(_ key: String) -> Bool { members.contains { $0.key == key } }

    /// The value of a required key.
    mutating func required(_ key: String, expected: String) throws -> JSONNode {
        if let v = optional(key) { return v }
        throw ScenarioError(file: file, line: node.line, column: node.column, path: path,
                            message: "missing key \"\(key)\" (\(expected))")
    }

    /// Fails on the first key that was never asked for.
    func finish() throws {
        for member in members where !known.contains(member.key) {
            if allowsDollarKeys && member.key.hasPrefix("$") { continue } // "$schema" and the like, top level only
            throw ScenarioError(file: file, line: member.line, column: member.column, path: childPath(member.key),
                                message: "unknown key \"\(member.key)\"",
                                suggestion: Suggest.hint(for: member.key, in: known, noun: "valid keys here are"))
        }
    }

    func error(_ node: JSONNode, _ path: String, _ message: String, suggestion: String? = nil,
               raisedIn sourceFile: String = #fileID, at sourceLine: Int = #line) -> ScenarioError {
        ScenarioError(file: file, line: node.line, column: node.column, path: path, message: message, suggestion: suggestion,
                      raisedIn: sourceFile, at: sourceLine)
    }
}

/// Typed reading of single JSON values, each error carrying the value's place.
struct ValueReader {
    let file: String

    func error(_ node: JSONNode, _ path: String, _ message: String, suggestion: String? = nil,
               raisedIn sourceFile: String = #fileID, at sourceLine: Int = #line) -> ScenarioError {
        ScenarioError(file: file, line: node.line, column: node.column, path: path, message: message, suggestion: suggestion,
                      raisedIn: sourceFile, at: sourceLine)
    }

    func string(_ node: JSONNode, _ path: String) throws -> String {
        guard case let .string(s) = node.value else {
            throw error(node, path, "expected a string, found \(node.value.kindDescription)")
        }
        return s
    }

    func number(_ node: JSONNode, _ path: String, min: Double? = nil, exclusiveMin: Bool = false, max: Double? = nil) throws -> Double {
        guard case let .number(n) = node.value else {
            throw error(node, path, "expected a number, found \(node.value.kindDescription)")
        }
        if let min, exclusiveMin ? n <= min : n < min {
            throw error(node, path, "expected a number \(exclusiveMin ? ">" : "≥") \(Self.show(min)), found \(Self.show(n))")
        }
        if let max, n > max { throw error(node, path, "expected a number ≤ \(Self.show(max)), found \(Self.show(n))") }
        return n
    }

    /// A whole number in `min...max` (at most 10¹⁵ − 1 unless a smaller bound is given).
    func integer(_ node: JSONNode, _ path: String, min: Int = 0, max: Int = 999_999_999_999_999) throws -> Int {
        guard case let .number(n) = node.value, n == n.rounded() else {
            throw error(node, path, "expected a whole number ≥ \(min), found \(node.value.kindDescription)")
        }
        guard n >= Double(min), n <= Double(max) else {
            throw error(node, path, "expected a whole number from \(min) to \(max), found \(Self.show(n))")
        }
        return Int(n)
    }

    /// The most nodes, instances or concurrent requests a count in a scenario may give: a
    /// million, so a plan's tables are sized in megabytes before anything runs.
    static let largestCount = 1_000_000

    /// A duration: a string with a unit ("250ms", "30s", "10m", "2h", "1d", "1h30m") or a
    /// number of seconds. Never negative.
    func duration(_ node: JSONNode, _ path: String, positive: Bool = false) throws -> Double {
        let seconds: Double
        switch node.value {
        case let .number(n):
            seconds = n
        case let .string(s):
            guard let d = Self.parseDuration(s) else {
                throw error(node, path, "expected a duration such as \"250ms\", \"30s\", \"10m\", \"2h\" or \"1d\", found \"\(s)\"",
                            suggestion: "units are ns, us, ms, s, m (minutes), h and d; a plain number means seconds")
            }
            seconds = d
        default:
            throw error(node, path, "expected a duration (\"30s\", or a number of seconds), found \(node.value.kindDescription)")
        }
        if seconds < 0 || (positive && seconds == 0) {
            throw error(node, path, "expected a \(positive ? "positive" : "non-negative") duration, found \(Self.show(seconds)) s")
        }
        if seconds > Self.longestDuration {
            throw error(node, path, "expected a duration of at most 10 years (315360000 s), found \(Self.show(seconds)) s",
                        suggestion: "durations are held in nanoseconds; nothing a plan models takes longer")
        }
        return seconds
    }

    /// The longest duration a scenario may give: 10 years. Held in nanoseconds it is 3.2 × 10¹⁷,
    /// so sums of a few of them (a start time plus a timeout plus a keep-alive) stay far inside
    /// Int64 (9.2 × 10¹⁸): no conversion on the engine's paths can overflow.
    static let longestDuration = 10 * 365 * 86_400.0

    /// Parses "250ms", "1.5s", "10m", "1h30m", "-2s"; nil when malformed.
    ///
    /// The grammar: an optional "-", then one or more NUMBER UNIT parts with units from largest
    /// to smallest, each unit at most once (so "1h30m" but not "30m1h" or "1s1s"), or one bare
    /// number of seconds. Units: ns; us or µs; ms; s, sec, secs; m, min, mins; h, hr, hrs; d,
    /// day, days.
    static func parseDuration(_ text: String) -> Double? {
        let s = Array(text.trimmingSpaces().unicodeScalars)
        if s.isEmpty { return nil }
        var i = 0
        var negative = false
        if s[0] == "-" { negative = true; i = 1 }
        var total = 0.0
        var parts = 0
        var lastScale = Double.infinity
        while i < s.count {
            let startNumber = i
            while i < s.count, ("0"..."9").contains(s[i]) || s[i] == "." { i += 1 }
            guard i > startNumber, let value = Double(String(String.UnicodeScalarView(s[startNumber..<i]))) else { return nil }
            let startUnit = i
            while i < s.count, s[i].properties.isAlphabetic || s[i] == "µ" { i += 1 }
            let unit = String(String.UnicodeScalarView(s[startUnit..<i]))
            let scale: Double
            switch unit {
            case "ns": scale = 1e-9
            case "us", "µs": scale = 1e-6
            case "ms": scale = 1e-3
            case "s", "sec", "secs", "": scale = 1
            case "m", "min", "mins": scale = 60
            case "h", "hr", "hrs": scale = 3600
            case "d", "day", "days": scale = 86400
            default: return nil
            }
            if unit.isEmpty && (i < s.count || parts > 0) { return nil }
            guard scale < lastScale else { return nil }   // largest unit first, each once
            lastScale = scale
            total += value * scale
            parts += 1
        }
        return negative ? -total : total
    }

    static func show(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? "\(Int64(x))" : "\(x)"
    }

    enum Quantity { case duration, count }

    /// A distribution: a constant (duration or number), or an object with "dist".
    func distribution(_ node: JSONNode, _ path: String, of quantity: Quantity = .duration) throws -> DistributionSpec {
        func scalar(_ n: JSONNode, _ p: String, positive: Bool = false) throws -> Double {
            switch quantity {
            case .duration: return try duration(n, p, positive: positive)
            case .count: return try number(n, p, min: 0, exclusiveMin: positive)
            }
        }
        guard case .object = node.value else { return .constant(try scalar(node, path)) }
        var o = try ObjectReader(node, path: path, file: file)
        let kinds = ["constant", "exponential", "lognormal", "uniform", "gamma", "empirical"] + (quantity == .duration ? ["tokens"] : [])
        let distNode = try o.required("dist", expected: "one of \(kinds.joined(separator: ", "))")
        let kind = try string(distNode, o.childPath("dist"))
        let result: DistributionSpec
        switch kind {
        case "constant":
            result = .constant(try scalar(try o.required("value", expected: "the constant value"), o.childPath("value")))
        case "exponential":
            result = .exponential(mean: try scalar(try o.required("mean", expected: "the mean"), o.childPath("mean"), positive: true))
        case "lognormal":
            let mean = try scalar(try o.required("mean", expected: "the mean"), o.childPath("mean"), positive: true)
            let cv = try number(try o.required("cv", expected: "the coefficient of variation σ/μ"), o.childPath("cv"), min: 0, exclusiveMin: true)
            result = .lognormal(mean: mean, cv: cv)
        case "uniform":
            let lo = try scalar(try o.required("min", expected: "the lower bound"), o.childPath("min"))
            let hiNode = try o.required("max", expected: "the upper bound")
            let hi = try scalar(hiNode, o.childPath("max"))
            guard hi >= lo else { throw error(hiNode, o.childPath("max"), "max must not be below min") }
            result = .uniform(min: lo, max: hi)
        case "gamma":
            if o.has("shape"), let shapeNode = o.optional("shape") {
                let shape = try number(shapeNode, o.childPath("shape"), min: 0, exclusiveMin: true)
                let scale = try scalar(try o.required("scale", expected: "the scale, with shape"), o.childPath("scale"), positive: true)
                result = .gamma(mean: shape * scale, cv: 1 / shape.squareRoot())
            } else {
                let mean = try scalar(try o.required("mean", expected: "the mean (or shape and scale)"), o.childPath("mean"), positive: true)
                let cv = try number(try o.required("cv", expected: "the coefficient of variation σ/μ"), o.childPath("cv"), min: 0, exclusiveMin: true)
                result = .gamma(mean: mean, cv: cv)
            }
        case "empirical":
            let pNode = try o.required("percentiles", expected: "an object from percentile (\"0\" … \"100\") to value")
            let pPath = o.childPath("percentiles")
            guard case let .object(members) = pNode.value, members.count >= 2 else {
                throw error(pNode, pPath, "expected an object with at least the percentiles \"0\" and \"100\"")
            }
            var points: [EmpiricalPoint] = []
            for m in members {
                guard let p = Double(m.key), p >= 0, p <= 100 else {
                    throw ScenarioError(file: file, line: m.line, column: m.column, path: ObjectReader.join(pPath, m.key),
                                        message: "percentile keys are numbers from 0 to 100, found \"\(m.key)\"")
                }
                points.append(EmpiricalPoint(percentile: p, value: try scalar(m.value, ObjectReader.join(pPath, m.key))))
            }
            points.sort { $0.percentile < $1.percentile }
            guard points.first!.percentile == 0, points.last!.percentile == 100 else {
                throw error(pNode, pPath, "the percentiles must include \"0\" and \"100\"")
            }
            for k in 1..<points.count where points[k].value < points[k - 1].value {
                throw error(pNode, pPath, "values must not decrease as the percentile grows (percentile \(ValueReader.show(points[k].percentile)))")
            }
            result = .empirical(points)
        case "tokens" where quantity == .duration:
            let base = try o.optional("base").map { try duration($0, o.childPath("base")) } ?? 0
            let perIn = try o.optional("perInputToken").map { try duration($0, o.childPath("perInputToken")) } ?? 0
            let perOut = try o.optional("perOutputToken").map { try duration($0, o.childPath("perOutputToken")) } ?? 0
            result = .tokens(base: base, perInputToken: perIn, perOutputToken: perOut)
        default:
            throw error(distNode, o.childPath("dist"), "unknown distribution \"\(kind)\"",
                        suggestion: Suggest.hint(for: kind, in: kinds))
        }
        try o.finish()
        return result
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

/// Duration parsing for command-line options, with the scenario file's grammar.
public enum ValueReaderBridge {
    /// Seconds for "250ms", "30s", "10m", "2h", "1d", "1h30m" or a plain number; nil when malformed.
    public static func duration(_ text: String) -> Double? { ValueReader.parseDuration(text) }

    /// A number as a scenario file writes it: whole numbers without a decimal point.
    public static func show(_ x: Double) -> String { ValueReader.show(x) }

    /// A duration as a scenario file (and Kubernetes, and Go) writes it: "300s", "1.5s".
    public static func seconds(_ s: Double) -> String { ValueReader.show(s) + "s" }
}

/// Upper bounds of a node's or a request's size: far above any machine sold (the largest
/// cloud instances have 448 vCPUs, 24 TiB of memory and 16 GPUs), low enough that every sum
/// and product the placement makes of them (milli-CPUs and MiB times a million, for its
/// best-fit score) stays inside 64 bits.
enum Bounds {
    static let vcpus = 100_000.0
    static let memoryGiB = 1_000_000.0
    static let gpus = 10_000
}
