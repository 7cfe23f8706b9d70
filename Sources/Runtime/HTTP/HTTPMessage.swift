import Glibc
import Scenario

/// An HTTP/1.1 request as the runtime sees it.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target as sent (path and query).
    public var target: String
    /// "HTTP/1.1" or "HTTP/1.0".
    public var version: String
    /// Header fields in order, names as sent.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The message's framing was doubtful (Transfer-Encoding with Content-Length, or chunked
    /// in HTTP/1.0): the connection closes after the answer (RFC 9112 §6.1, §6.3).
    public var framingFaulty = false

    public init(method: String, target: String, version: String = "HTTP/1.1", headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, by case-insensitive name (`name` in lower case).
    public func header(_ name: String) -> String? { HTTPRequest.first(name, in: headers) }

    /// The first value of `name` (lower case) among `headers`.
    static func first(_ name: String, in headers: [(name: String, value: String)]) -> String? {
        headers.first { sameName($0.name, name) }?.value
    }

    /// ASCII case-insensitive comparison of a header name with a lower-case one, without
    /// allocating.
    static func sameName(_ a: String, _ lower: String) -> Bool {
        guard a.utf8.count == lower.utf8.count else { return false }   // O(1) for native strings
        // Both strings' bytes in place (native and small strings have them): a byte loop, where
        // the two views' iterators cost ~150 instructions a comparison (callgrind, `serve`).
        if let same = a.utf8.withContiguousStorageIfAvailable({ x in
            lower.utf8.withContiguousStorageIfAvailable { y in
                for k in 0..<x.count {
                    let b = x[k], l = y[k]
                    if b != l && !(b >= 65 && b <= 90 && b + 32 == l) { return false }
                }
                return true
            }
        }), let same { return same }
        var i = a.utf8.makeIterator(), j = lower.utf8.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return true
            case let (x?, y?):
                if x == y || (x >= 65 && x <= 90 && x + 32 == y) { continue }
                return false
            default: return false
            }
        }
    }

    /// The path without the query.
    public var path: Substring {
        guard let q = queryMark else { return target[...] }
        return target[..<q]
    }

    /// The query without its "?" ("" when none).
    public var query: Substring {
        guard let q = queryMark else { return "" }
        return target[target.index(after: q)...]
    }

    /// Where the target's "?" is (found with memchr in the target's bytes when they are
    /// contiguous, as a parsed target's are).
    private var queryMark: String.Index? {
        let found: Int?? = target.utf8.withContiguousStorageIfAvailable { b in
            guard let base = b.baseAddress, let p = memchr(base, Int32(UInt8(ascii: "?")), b.count) else { return nil }
            return UnsafeRawPointer(p) - UnsafeRawPointer(base)
        }
        switch found {
        case let .some(offset?): return target.utf8.index(target.utf8.startIndex, offsetBy: offset)
        case .some(nil): return nil
        case nil: return target.utf8.firstIndex(of: UInt8(ascii: "?"))
        }
    }

    /// Whether the connection stays open after the answer (HTTP/1.1 default; 1.0 asks).
    public var keepAlive: Bool {
        if framingFaulty { return false }
        let c = header("connection") ?? ""
        if version == "HTTP/1.0" { return HTTPRequest.hasToken(c, "keep-alive") }
        return !HTTPRequest.hasToken(c, "close")
    }

    /// Whether a comma-separated header value lists `lower` (ASCII case-insensitive), e.g.
    /// "close" in "Keep-Alive, Close".
    static func hasToken(_ value: String, _ lower: StaticString) -> Bool {
        // A static string's bytes, read in place: no array per call.
        let want = UnsafeBufferPointer(start: lower.utf8Start, count: lower.utf8CodeUnitCount)
        var i = 0, matched = true, any = false
        for b in value.utf8 {
            switch b {
            case 44:   // ","
                if matched && i == want.count && any { return true }
                i = 0; matched = true; any = false
            case 32, 9:
                if any && i > 0 { matched = matched && i == want.count }   // spaces inside a token end it
            default:
                let l = b >= 65 && b <= 90 ? b + 32 : b
                if matched && i < want.count && want[i] == l { i += 1 } else { matched = false }
                any = true
            }
        }
        return matched && i == want.count && any
    }

    /// The request as bytes on the wire, with Content-Length.
    /// `extra`: one more field after the request's own (the request id a worker is sent).
    public func serialized(host: String, extra: (name: String, value: String)? = nil) -> [UInt8] {
        var size = WireWriter.count(method) + 1 + WireWriter.count(target) + 17 + WireWriter.count(host) + 2
        for h in headers { size += WireWriter.count(field: h.name, h.value) }
        if let extra { size += WireWriter.count(field: extra.name, extra.value) }
        size += 16 + WireWriter.count(decimal: body.count) + 4 + body.count
        return WireWriter.bytes(size: size) { w in
            w.write(method)
            w.write(UInt8(ascii: " "))
            w.write(target)
            w.write(" HTTP/1.1\r\nHost: " as StaticString)
            w.write(host)
            w.write("\r\n" as StaticString)
            for h in headers { w.write(field: h.name, h.value) }
            if let extra { w.write(field: extra.name, extra.value) }
            w.write("Content-Length: " as StaticString)
            w.write(decimal: body.count)
            w.write("\r\n\r\n" as StaticString)
            w.write(body)
        }
    }
}

/// An HTTP/1.1 response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// As `HTTPRequest.framingFaulty`: the connection is not used again after this answer.
    public var framingFaulty = false
    /// Headroom itself answered this error (`error(_:_:)`, body `{"error": message}`), so an
    /// API with its own error shape (Lambda's, OpenAI's) can reshape it; false for a worker's
    /// answer. A flag beside `framingFaulty`, not the message: the struct keeps its size, and
    /// every answer is copied through several closures (a `String?` here cost 3 % of the
    /// instructions of a proxied request under callgrind).
    public var isHeadroomError = false
    /// A streamed answer's body, relayed as it comes (`body` is then empty); nil for an
    /// answer whole in `body`.
    var stream: ResponseStream?

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { HTTPRequest.first(name, in: headers) }


    /// A small JSON error body: `{"error": message}` (KServe v2's error shape).
    public static func error(_ status: Int, _ message: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        var r = HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers,
                             body: Array("{\"error\":\(JSON.quote(message))}".utf8))
        r.isHeadroomError = true
        return r
    }

    public static func json(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(text.utf8))
    }

    /// The response as bytes, with Content-Length; `close` adds `Connection: close`.
    public func serialized(close: Bool) -> [UInt8] {
        let reason = HTTPResponse.reason(status)
        // Framing is ours: the body is sent whole with its length.
        let size = headSize(reason) + 16 + WireWriter.count(decimal: body.count) + 2 + (close ? 19 : 0) + 2 + body.count
        return WireWriter.bytes(size: size) { w in
            writeHead(&w, reason)
            w.write("Content-Length: " as StaticString)
            w.write(decimal: body.count)
            w.write("\r\n" as StaticString)
            if close { w.write("Connection: close\r\n" as StaticString) }
            w.write("\r\n" as StaticString)
            w.write(body)
        }
    }

    /// The status line and header fields of a streamed answer: its body follows in chunks
    /// (`chunked`, for an HTTP/1.1 client), or runs until the connection closes (an HTTP/1.0
    /// client, which then gets `Connection: close`).
    func serializedHead(close: Bool, chunked: Bool) -> [UInt8] {
        let reason = HTTPResponse.reason(status)
        let size = headSize(reason) + (chunked ? 28 : 0) + (close || !chunked ? 19 : 0) + 2
        return WireWriter.bytes(size: size) { w in
            writeHead(&w, reason)
            if chunked { w.write("Transfer-Encoding: chunked\r\n" as StaticString) }
            if close || !chunked { w.write("Connection: close\r\n" as StaticString) }
            w.write("\r\n" as StaticString)
        }
    }

    /// The bytes of the status line and the header fields but those of framing.
    private func headSize(_ reason: String) -> Int {
        var size = 9 + WireWriter.count(decimal: status) + 1 + WireWriter.count(reason) + 2
        for h in headers where !HTTPResponse.framing.contains(h.name) { size += WireWriter.count(field: h.name, h.value) }
        return size
    }

    /// Writes the status line and the header fields but those of framing.
    @inline(__always) private func writeHead(_ w: inout WireWriter, _ reason: String) {
        w.write("HTTP/1.1 " as StaticString)
        w.write(decimal: status)
        w.write(UInt8(ascii: " "))
        w.write(reason)
        w.write("\r\n" as StaticString)
        for h in headers where !HTTPResponse.framing.contains(h.name) { w.write(field: h.name, h.value) }
    }

    /// Header fields about the message's framing, which the sender sets itself.
    static let framing = HeaderNames(["content-length", "transfer-encoding", "connection", "keep-alive"])

    /// Whether the sender asked to close the connection after this message.
    var asksToClose: Bool { framingFaulty || (header("connection").map { HTTPRequest.hasToken($0, "close") } ?? false) }

    public static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}

/// Minimal JSON text helpers (the runtime writes small objects by hand).
public enum JSON {
    /// A JSON string literal for `s`.
    @inline(__always) public static func quote(_ s: String) -> String { JSONText.quote(s) }
}

/// A set of header names (lower case), matched ASCII case-insensitively: a name is compared
/// only with the members of its own length. (Comparing every header with every member of a
/// list cost ~850 instructions a request for the eight forwarded names alone.)
struct HeaderNames: Sendable {
    /// The members, as given.
    let names: [String]
    /// The members by their length in bytes.
    private let byLength: [[String]]

    init(_ lowerNames: [String]) {
        names = lowerNames
        var byLength = [[String]](repeating: [], count: (lowerNames.map { $0.utf8.count }.max() ?? 0) + 1)
        for n in lowerNames { byLength[n.utf8.count].append(n) }
        self.byLength = byLength
    }

    /// Whether `name` is a member, in any case.
    ///
    /// - Complexity: O(length of `name`) for the members of that length.
    func contains(_ name: String) -> Bool {
        let n = name.utf8.count
        guard n < byLength.count else { return false }
        for member in byLength[n] where HTTPRequest.sameName(name, member) { return true }
        return false
    }
}
