/// A JSON value with the line and column where it starts. Objects keep their key order, so
/// plans, models and hardware run in the order the file lists them.
public struct JSONNode: Sendable, Equatable {
    public var value: JSONValue
    public var line: Int
    public var column: Int

    public init(value: JSONValue, line: Int, column: Int) {
        self.value = value
        self.line = line
        self.column = column
    }
}

/// One key of a JSON object, with where the key stands.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var line: Int
    public var column: Int
    public var value: JSONNode
}

public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONNode])
    case object([JSONMember])

    /// A short name of the value's kind for error messages, with the value when short.
    public var kindDescription: String {
        switch self {
        case .null: return "null"
        case let .bool(b): return "\(b)"
        case let .number(n): return n == n.rounded() && abs(n) < 1e15 ? "\(Int64(n))" : "\(n)"
        case let .string(s): return s.count <= 40 ? "\"\(s)\"" : "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A strict RFC 8259 JSON reader that records where each value starts.
///
/// Foundation's `JSONSerialization` loses key order and positions; a scenario error must say
/// where it is, and runs must follow the file's order, so scenarios are read with this.
public struct JSONReader {
    let bytes: [UInt8]
    let file: String
    var position = 0
    var line = 1
    var lineStart = 0

    public init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    /// Parses a whole document.
    public static func parse(_ text: String, file: String) throws -> JSONNode {
        var reader = JSONReader(bytes: Array(text.utf8), file: file)
        return try reader.document()
    }

    mutating func document() throws -> JSONNode {
        skipWhitespace()
        let node = try value(depth: 0)
        skipWhitespace()
        if position < bytes.count { throw error("unexpected text after the JSON document") }
        return node
    }

    var column: Int { position - lineStart + 1 }

    func error(_ message: String, suggestion: String? = nil, raisedIn sourceFile: String = #fileID, at sourceLine: Int = #line) -> ScenarioError {
        ScenarioError(file: file, line: line, column: column, message: "invalid JSON: " + message, suggestion: suggestion,
                      raisedIn: sourceFile, at: sourceLine)
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                position += 1
            case UInt8(ascii: "\n"):
                position += 1
                line += 1
                lineStart = position
            default:
                return
            }
        }
    }

    mutating func value(depth: Int) throws -> JSONNode {
        guard depth < 200 else { throw error("nesting deeper than 200 levels") }
        guard position < bytes.count else { throw error("unexpected end of file, expected a value") }
        let startLine = line, startColumn = column
        let v: JSONValue
        switch bytes[position] {
        case UInt8(ascii: "{"): v = try object(depth: depth)
        case UInt8(ascii: "["): v = try array(depth: depth)
        case UInt8(ascii: "\""): v = .string(try string())
        case UInt8(ascii: "t"): try literal("true"); v = .bool(true)
        case UInt8(ascii: "f"): try literal("false"); v = .bool(false)
        case UInt8(ascii: "n"): try literal("null"); v = .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): v = .number(try number())
        case UInt8(ascii: "/"):
            throw error("comments are not JSON", suggestion: "put notes in a \"description\" string instead")
        default:
            throw error("unexpected character '\(Character(Unicode.Scalar(bytes[position])))', expected a value")
        }
        return JSONNode(value: v, line: startLine, column: startColumn)
    }

    mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard position + w.count <= bytes.count, Array(bytes[position..<position + w.count]) == w else {
            throw error("unexpected word, expected a value (true, false, null, a number, a string, [ or {)")
        }
        position += w.count
    }

    mutating func number() throws -> Double {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        func digits() -> Int {
            let s = position
            while position < bytes.count, bytes[position] >= 48, bytes[position] <= 57 { position += 1 }
            return position - s
        }
        let intDigits = digits()
        if intDigits == 0 { throw error("a number needs digits") }
        if intDigits > 1 && bytes[start + (bytes[start] == UInt8(ascii: "-") ? 1 : 0)] == 48 {
            throw error("numbers may not have leading zeros")
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            if digits() == 0 { throw error("a decimal point needs digits after it") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            if digits() == 0 { throw error("an exponent needs digits") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let d = Double(text), d.isFinite else { throw error("number \(text) is out of range") }
        return d
    }

    mutating func string() throws -> String {
        position += 1 // opening quote
        var out = [UInt8]()
        while true {
            guard position < bytes.count else { throw error("unterminated string") }
            let c = bytes[position]
            if c == UInt8(ascii: "\"") { position += 1; break }
            if c == UInt8(ascii: "\n") || c < 0x20 { throw error("control character or line break inside a string") }
            if c == UInt8(ascii: "\\") {
                position += 1
                guard position < bytes.count else { throw error("unterminated escape") }
                let e = bytes[position]
                position += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate in \\u escape, expected a high surrogate followed by a low one")
                        }
                        position += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw error("unpaired surrogate in \\u escape, expected a high surrogate followed by a low one") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw error("\\u escape of a lone low surrogate, expected a character or a high-low surrogate pair") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    throw error("unknown escape \\\(Character(Unicode.Scalar(e)))")
                }
                continue
            }
            out.append(c)
            position += 1
        }
        // The document came in as a Swift String (valid UTF-8) and escapes add whole
        // characters, so the bytes are valid UTF-8 by construction.
        return String(decoding: out, as: UTF8.self)
    }

    mutating func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: throw error("bad hex digit in \\u escape")
            }
            v = v * 16 + d
            position += 1
        }
        return v
    }

    mutating func array(depth: Int) throws -> JSONValue {
        position += 1
        var items: [JSONNode] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            guard position < bytes.count else { throw error("unterminated array, expected , or ]") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                skipWhitespace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") { throw error("trailing comma in array") }
                continue
            }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
            throw error("expected , or ] in array")
        }
    }

    mutating func object(depth: Int) throws -> JSONValue {
        position += 1
        var members: [JSONMember] = []
        // Keys seen, for the duplicate check: a linear search while the object is small, a
        // set once it is not (80,000 models would otherwise cost 3.2 × 10⁹ comparisons).
        var seen: Set<String>?
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                if position < bytes.count, bytes[position] == UInt8(ascii: "}") { throw error("trailing comma in object") }
                throw error("expected a key in double quotes")
            }
            let keyLine = line, keyColumn = column
            let key = try string()
            if members.count == 16 { seen = Set(members.map(\.key)) }
            let duplicate: Bool
            if seen != nil { duplicate = !seen!.insert(key).inserted } else { duplicate = members.contains { $0.key == key } }
            if duplicate {
                throw ScenarioError(file: file, line: keyLine, column: keyColumn, message: "invalid JSON: key \"\(key)\" appears twice in the same object")
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected : after key \"\(key)\"") }
            position += 1
            skipWhitespace()
            let v = try value(depth: depth + 1)
            members.append(JSONMember(key: key, line: keyLine, column: keyColumn, value: v))
            skipWhitespace()
            guard position < bytes.count else { throw error("unterminated object, expected , or }") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
            throw error("expected , or } in object")
        }
    }
}
