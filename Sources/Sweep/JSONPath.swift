import Scenario

/// A path to one value inside a scenario's JSON: `plans.autoscaled.target`,
/// `plans.auto.nodes["gpu.t4"].max`, `workload[0].rate` (a leading `$.` is allowed, so the
/// paths of error messages can be pasted).
public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    public enum Segment: Sendable, Equatable {
        case key(String)
        case index(Int)
    }
    public var segments: [Segment]
    public let text: String

    public var description: String { text }

    public init(_ text: String) throws {
        self.text = text
        var s = Substring(text)
        if s.hasPrefix("$") { s = s.dropFirst() }
        var segments: [Segment] = []
        func fail(_ why: String, raisedIn f: String = #fileID, at l: Int = #line) -> SweepError {
            SweepError.usage("cannot read the path '\(text)': \(why)", raisedIn: f, at: l)
        }
        while !s.isEmpty {
            if s.hasPrefix(".") {
                s = s.dropFirst()
                let name = s.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty else { throw fail("an empty key") }
                segments.append(.key(String(name)))
                s = s.dropFirst(name.count)
            } else if s.hasPrefix("[\"") {
                s = s.dropFirst(2)
                guard let end = s.range(of: "\"]") else { throw fail("a [\" without its closing \"]") }
                segments.append(.key(String(s[..<end.lowerBound])))
                s = s[end.upperBound...]
            } else if s.hasPrefix("[") {
                s = s.dropFirst()
                let digits = s.prefix { $0.isNumber }
                guard let n = Int(digits), s.dropFirst(digits.count).hasPrefix("]") else { throw fail("expected [index] or [\"key\"]") }
                segments.append(.index(n))
                s = s.dropFirst(digits.count + 1)
            } else if segments.isEmpty {
                let name = s.prefix { $0 != "." && $0 != "[" }
                segments.append(.key(String(name)))
                s = s.dropFirst(name.count)
            } else {
                throw fail("unexpected '\(s.first!)'")
            }
        }
        guard !segments.isEmpty else { throw fail("it is empty") }
        self.segments = segments
    }

    /// The document with the value at this path replaced. The path must exist in the file.
    public func setting(_ value: JSONValue, in root: JSONNode) throws -> JSONNode {
        try set(value, in: root, at: 0, walked: "$")
    }

    func set(_ value: JSONValue, in node: JSONNode, at k: Int, walked: String) throws -> JSONNode {
        if k == segments.count {
            switch node.value {
            case .object, .array:
                throw SweepError.usage("the path '\(text)' names \(node.value.kindDescription), not a single value: name a key inside it")
            default:
                return JSONNode(value: value, line: node.line, column: node.column)
            }
        }
        switch (segments[k], node.value) {
        case let (.key(key), .object(members)):
            guard let m = members.firstIndex(where: { $0.key == key }) else {
                let hint = Suggest.closest(to: key, in: members.map(\.key)).map { " (did you mean '\($0)'?)" } ?? ""
                throw SweepError.usage("the path '\(text)' does not exist: \(walked) has no key \"\(key)\"\(hint); the key must be present in the file")
            }
            var copy = members
            copy[m].value = try set(value, in: members[m].value, at: k + 1, walked: walked + "." + key)
            return JSONNode(value: .object(copy), line: node.line, column: node.column)
        case let (.index(i), .array(items)):
            guard i < items.count else {
                throw SweepError.usage("the path '\(text)' does not exist: \(walked) has \(items.count) items, no [\(i)]")
            }
            var copy = items
            copy[i] = try set(value, in: items[i], at: k + 1, walked: walked + "[\(i)]")
            return JSONNode(value: .array(copy), line: node.line, column: node.column)
        default:
            throw SweepError.usage("the path '\(text)' does not exist: \(walked) is \(node.value.kindDescription), not an object or array to look inside")
        }
    }
}

/// A sweep problem that is the user's input (exit 64 for command-line mistakes, 1 for files).
public struct SweepError: RaisedError, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case usage, data }
    public let kind: Kind
    public let description: String
    public let raisedAt: String

    /// A mistake on the command line (`--vary`, `--shard`).
    public static func usage(_ message: String, raisedIn f: String = #fileID, at l: Int = #line) -> SweepError {
        SweepError(kind: .usage, description: message, raisedAt: "\(f):\(l)")
    }

    /// A problem in a file the sweep reads (a shard).
    public static func data(_ message: String, raisedIn f: String = #fileID, at l: Int = #line) -> SweepError {
        SweepError(kind: .data, description: message, raisedAt: "\(f):\(l)")
    }
}
