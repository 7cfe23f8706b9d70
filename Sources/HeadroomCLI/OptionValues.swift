import Scenario

/// Values of options several commands share, read and checked one way, with one message
/// each: `--seed`, `--speed`, whole numbers in a range, durations, and which plan to serve.
/// `usage` makes the command's usage error from a message and where it was raised.
enum OptionValue {
    static func seed(_ text: String, usage: (String, String, Int) -> UsageError) throws -> UInt64 {
        guard let s = UInt64(text) else { throw usage("The value '\(text)' is invalid for '--seed': expected a whole number ≥ 0", #fileID, #line) }
        return s
    }

    /// A replay speed: arrival times are divided by it.
    static func speed(_ text: String, usage: (String, String, Int) -> UsageError) throws -> Double {
        guard let x = Double(text), x.isFinite, x > 0, x <= 1000 else {
            throw usage("The value '\(text)' is invalid for '--speed': expected a number above 0 and at most 1000", #fileID, #line)
        }
        return x
    }

    static func whole(_ text: String, option: String, in range: ClosedRange<Int>, usage: (String, String, Int) -> UsageError) throws -> Int {
        guard let n = Int(text), range.contains(n) else {
            throw usage("The value '\(text)' is invalid for '\(option)': expected a whole number from \(range.lowerBound) to \(range.upperBound)", #fileID, #line)
        }
        return n
    }

    static func duration(_ text: String, option: String, usage: (String, String, Int) -> UsageError) throws -> Double {
        guard let d = ValueReaderBridge.duration(text), d.isFinite, d > 0 else {
            throw usage("The value '\(text)' is invalid for '\(option)': expected a positive duration such as 20s or 2m", #fileID, #line)
        }
        return d
    }

    /// The plan `name` names, or the only plan when none is named.
    static func plan(_ name: String?, in scenario: Scenario, usage: (String, String, Int) -> UsageError) throws -> Int {
        let names = scenario.plans.map(\.name)
        if let name {
            guard let k = names.firstIndex(of: name) else {
                throw usage("Unknown plan '\(name)'" + Headroom.suggestion(name, names) + "; plans are " + names.joined(separator: ", "), #fileID, #line)
            }
            return k
        }
        guard names.count == 1 else {
            throw usage("Missing '--plan': the scenario has \(names.count) plans (\(names.joined(separator: ", ")))", #fileID, #line)
        }
        return 0
    }
}

/// A command's arguments split into positional ones, `--option value` pairs (in order, an
/// option repeatable; `-o` is `--out`) and flags, checked against what the command takes.
struct OptionPairs {
    var positional: [String] = []
    var values: [(option: String, value: String)] = []
    var flags: Set<String> = []

    /// The last value given for `option`.
    func last(_ option: String) -> String? { values.last { $0.option == option }?.value }
    /// Every value given for `option`, in order.
    func all(_ option: String) -> [String] { values.filter { $0.option == option }.map(\.value) }

    static func parse(_ arguments: ArraySlice<String>, options: [String], flags: [String] = [],
                      usage: (String, String, Int) -> UsageError) throws -> OptionPairs {
        var parsed = OptionPairs()
        var k = arguments.startIndex
        while k < arguments.endIndex {
            let a = arguments[k]
            k += 1
            guard a.hasPrefix("-") else { parsed.positional.append(a); continue }
            if flags.contains(a) { parsed.flags.insert(a); continue }
            let name = a == "-o" ? "--out" : a
            guard options.contains(name) else { throw usage("Unknown option '\(a)'" + Headroom.suggestion(a, options + flags), #fileID, #line) }
            guard k < arguments.endIndex else { throw usage("Missing value for '\(a)'", #fileID, #line) }
            parsed.values.append((name, arguments[k]))
            k += 1
        }
        return parsed
    }
}
