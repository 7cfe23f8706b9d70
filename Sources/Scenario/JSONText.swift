/// Writing JSON by hand: a string literal, escaped as RFC 8259 requires. Shared by every
/// module that writes small JSON documents (manifests, audit records, HTTP bodies).
public enum JSONText {
    /// A JSON string literal for `s`.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

extension JSONNode {
    /// The document as indented JSON text (two spaces; arrays of scalars on one line), for
    /// scenario files a tool writes and a person then reads. Numbers print in their shortest
    /// exact form; key order is kept.
    public func text(indent: String = "") -> String {
        switch value {
        case .null: return "null"
        case let .bool(b): return b ? "true" : "false"
        case let .number(n):
            if n == n.rounded() && abs(n) < 1e15 { return String(Int64(n)) }
            return "\(n)"
        case let .string(s): return JSONText.quote(s)
        case let .array(items):
            if items.isEmpty { return "[]" }
            let scalars = items.allSatisfy { if case .object = $0.value { return false }; if case .array = $0.value { return false }; return true }
            if scalars { return "[" + items.map { $0.text() }.joined(separator: ", ") + "]" }
            let inner = indent + "  "
            return "[\n" + items.map { inner + $0.text(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case let .object(members):
            if members.isEmpty { return "{}" }
            let inner = indent + "  "
            return "{\n" + members.map { inner + JSONText.quote($0.key) + ": " + $0.value.text(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "}"
        }
    }
}

extension JSONMember {
    public init(key: String, value: JSONNode) {
        self.init(key: key, line: value.line, column: value.column, value: value)
    }
}

/// Building and editing documents a tool writes into a scenario (imports): key order kept,
/// positions of new values 0.
extension JSONNode {
    /// An object of the members whose value is not nil, in the order given.
    public static func object(_ members: [(String, JSONNode?)]) -> JSONNode {
        JSONNode(value: .object(members.compactMap { m in m.1.map { JSONMember(key: m.0, value: $0) } }), line: 0, column: 0)
    }
    public static func string(_ s: String) -> JSONNode { JSONNode(value: .string(s), line: 0, column: 0) }
    public static func number(_ x: Double) -> JSONNode { JSONNode(value: .number(x), line: 0, column: 0) }
    public static func int(_ i: Int) -> JSONNode { number(Double(i)) }
    public static func array(_ items: [JSONNode]) -> JSONNode { JSONNode(value: .array(items), line: 0, column: 0) }

    /// The member `key` of an object (nil for other values or when absent).
    public func member(_ key: String) -> JSONNode? {
        guard case let .object(members) = value else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// This document with the member at `path` (object keys) set to `value`: objects are
    /// created on the way, and an existing key keeps its place.
    public func setting(_ value: JSONNode, at path: ArraySlice<String>) -> JSONNode {
        guard let key = path.first else { return value }
        var members: [JSONMember] = []
        if case let .object(m) = self.value { members = m }
        if let k = members.firstIndex(where: { $0.key == key }) {
            members[k].value = members[k].value.setting(value, at: path.dropFirst())
        } else {
            members.append(JSONMember(key: key, value: JSONNode.object([]).setting(value, at: path.dropFirst())))
        }
        var out = self
        out.value = .object(members)
        return out
    }

    /// This document without the member at `path` (unchanged when it is absent).
    public func removing(at path: ArraySlice<String>) -> JSONNode {
        guard let key = path.first, case var .object(members) = value, let k = members.firstIndex(where: { $0.key == key }) else { return self }
        if path.count == 1 { members.remove(at: k) } else { members[k].value = members[k].value.removing(at: path.dropFirst()) }
        var out = self
        out.value = .object(members)
        return out
    }
}
