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
