/// How an HTTP/1.1 message's body is delimited, decided from its header fields alone
/// (RFC 9112 §6.3), with the same verdicts as h11, the reference sans-I/O implementation
/// (`Scripts/http-differential.py` checks the two against each other on fuzzed input).
///
/// Framing is where request smuggling lives: if Headroom and a proxy in front of it disagree
/// on where a message ends, bytes one of them took as a body the other parses as a request.
/// So every doubtful case is an error or ends the connection, never a guess.
enum HTTPFraming: Equatable {
    /// A body of this many bytes (0 for a request with neither Content-Length nor
    /// Transfer-Encoding).
    case length(Int)
    /// Chunked transfer coding.
    case chunked
    /// A response with neither: the body runs to the end of the connection.
    case untilClose

    /// The framing of a message with `headers`, and whether the connection must close after
    /// it. Throws `malformed` with `status` for a bad or conflicting Content-Length (400 for a
    /// request), `unsupported` for a transfer coding other than chunked (501 for a request),
    /// and `tooLarge` for a body over `limit`.
    ///
    /// - Transfer-Encoding: one field whose value is `chunked` (any case), as h11 accepts; a
    ///   second field or another coding is refused (RFC 9112 §6.1: a server that does not
    ///   understand a coding answers 501).
    /// - With Transfer-Encoding, Content-Length is ignored, and the connection closes after the
    ///   message (RFC 9112 §6.3 item 3: such a message "ought to be handled as an error", and
    ///   the server "MUST close the connection after responding"); likewise chunked framing in
    ///   HTTP/1.0 (§6.1).
    /// - Content-Length: `1*DIGIT` (no sign, no space inside), at most 20 digits; a
    ///   comma-separated list or repeated fields only when every value is the same (§6.3
    ///   item 5; h11 does the same).
    ///
    /// - Complexity: O(h), h the number of header fields.
    static func of(_ headers: [(name: String, value: String)], response: Bool, http10: Bool, limit: Int,
                   malformed: Int, unsupported: Int, tooLarge: Int) throws -> (framing: HTTPFraming, mustClose: Bool) {
        var transferEncoding = false
        var length: Substring?
        for h in headers {
            if HTTPRequest.sameName(h.name, "transfer-encoding") {
                guard !transferEncoding else {
                    throw HTTPReadError.malformed(status: unsupported, message: "more than one Transfer-Encoding field")
                }
                guard HTTPRequest.sameName(h.value, "chunked") else {
                    throw HTTPReadError.malformed(status: unsupported, message: "transfer coding \"\(h.value.prefix(80))\" is not supported (only chunked)")
                }
                transferEncoding = true
            } else if HTTPRequest.sameName(h.name, "content-length") {
                for part in h.value.split(separator: ",", omittingEmptySubsequences: false) {
                    let value = part.trimmingSpacesSubstring
                    guard !value.isEmpty, value.utf8.count <= 20, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                        throw HTTPReadError.malformed(status: malformed, message: "bad Content-Length \"\(h.value.prefix(80))\" (expected digits only)")
                    }
                    if let seen = length, seen != value {
                        throw HTTPReadError.malformed(status: malformed, message: "conflicting Content-Length values \"\(seen)\" and \"\(value)\"")
                    }
                    length = value
                }
            }
        }
        if transferEncoding { return (.chunked, length != nil || http10) }
        if let length {
            // Up to 20 digits: past 18, more than any limit (and than Int) allows.
            let n = length.utf8.count <= 18 ? Int(length) ?? .max : .max
            guard n <= limit else {
                throw HTTPReadError.malformed(status: tooLarge, message: "body of \(length) bytes; the limit is \(limit)")
            }
            return (.length(n), false)
        }
        return (response ? .untilClose : .length(0), false)
    }

    /// Whether `b` may be in a token: a method or a field name (RFC 9110 §5.6.2).
    @inline(__always)
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 48...57, 65...90, 97...122: return true
        case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: return true   // !#$%&'*+-.^_`|~
        default: return false
        }
    }

    /// Whether `b` may be in a field value between its first and last visible byte: anything
    /// but NUL, CR, LF, VT and FF (h11's `[^\x00\s]` with spaces and tabs between; RFC 9110
    /// §5.5: a value with CR, LF or NUL must be refused, as it could end the field early in
    /// another parser).
    @inline(__always)
    static func isFieldValueByte(_ b: UInt8) -> Bool {
        b != 0 && (b < 10 || b > 13)
    }
}

extension StringProtocol {
    /// Without spaces and tabs at either end, as a substring.
    var trimmingSpacesSubstring: Substring {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}

extension HTTPFraming {
    /// The size a chunk-size line gives, or nil when it is malformed: 1 to 20 hex digits, an
    /// optional extension from ";" to the line's end, optional spaces or tabs, then CRLF (a
    /// bare LF is not a chunk line's end, as in h11). `line` is the line without its CR,
    /// which must follow it at `line.upperBound`. A size past 2⁶² is more than any limit:
    /// Int.max. The one reading of the grammar, for the whole-message parser and the
    /// streaming decoder alike.
    ///
    /// - Complexity: O(n) for a line of n bytes.
    static func chunkSize(_ b: UnsafeBufferPointer<UInt8>, line: Range<Int>) -> Int? {
        guard line.upperBound < b.count, b[line.upperBound] == 13 else { return nil }
        var size = 0, digits = 0, i = line.lowerBound
        while i < line.upperBound, let d = hexValue(b[i]) {
            size = size >= 1 << 58 ? Int.max : size * 16 + d   // past 2⁶², more than any limit (leading zeros count for nothing)
            digits += 1
            i += 1
        }
        guard digits >= 1 && digits <= 20 else { return nil }
        if i < line.upperBound && b[i] == 59 { return size }   // ";" extension: anything to the line's end
        while i < line.upperBound && (b[i] == 32 || b[i] == 9) { i += 1 }
        return i == line.upperBound ? size : nil
    }

    private static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 48...57: return Int(b - 48)
        case 65...70: return Int(b - 55)
        case 97...102: return Int(b - 87)
        default: return nil
        }
    }
}
