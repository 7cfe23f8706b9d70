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

    /// Whether a header name is one of `lowerNames`.
    static func isOne(of lowerNames: [String], _ name: String) -> Bool {
        lowerNames.contains { sameName(name, $0) }
    }

    /// ASCII case-insensitive comparison of a header name with a lower-case one, without
    /// allocating.
    static func sameName(_ a: String, _ lower: String) -> Bool {
        guard a.utf8.count == lower.utf8.count else { return false }   // O(1) for native strings
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
        guard let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target[...] }
        return target[..<q]
    }

    /// The query without its "?" ("" when none).
    public var query: Substring {
        guard let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return "" }
        return target[target.index(after: q)...]
    }

    /// Whether the connection stays open after the answer (HTTP/1.1 default; 1.0 asks).
    public var keepAlive: Bool {
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
    public func serialized(host: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 + target.utf8.count + headers.count * 48 + body.count)
        bytes.append(contentsOf: method.utf8)
        bytes.append(32)
        bytes.append(contentsOf: target.utf8)
        bytes.append(contentsOf: " HTTP/1.1\r\nHost: ".utf8)
        bytes.append(contentsOf: host.utf8)
        bytes.append(contentsOf: "\r\n".utf8)
        for h in headers { HTTPResponse.appendField(h.name, h.value, to: &bytes) }
        HTTPResponse.appendField("Content-Length", String(body.count), to: &bytes)
        bytes.append(contentsOf: "\r\n".utf8)
        bytes.append(contentsOf: body)
        return bytes
    }
}

/// An HTTP/1.1 response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { HTTPRequest.first(name, in: headers) }

    /// Header fields about the message's framing, which the sender sets itself.
    static let framing = ["content-length", "transfer-encoding", "connection", "keep-alive"]

    /// A small JSON error body: `{"error": message}` (KServe v2's error shape).
    public static func error(_ status: Int, _ message: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers,
                     body: Array("{\"error\":\(JSON.quote(message))}".utf8))
    }

    public static func json(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(text.utf8))
    }

    /// The response as bytes, with Content-Length; `close` adds `Connection: close`.
    public func serialized(close: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 + headers.count * 48 + body.count)
        bytes.append(contentsOf: "HTTP/1.1 ".utf8)
        bytes.append(contentsOf: String(status).utf8)
        bytes.append(32)
        bytes.append(contentsOf: HTTPResponse.reason(status).utf8)
        bytes.append(contentsOf: "\r\n".utf8)
        for h in headers {
            // Framing is ours: the body is sent whole with its length.
            if HTTPRequest.isOne(of: HTTPResponse.framing, h.name) { continue }
            HTTPResponse.appendField(h.name, h.value, to: &bytes)
        }
        HTTPResponse.appendField("Content-Length", String(body.count), to: &bytes)
        if close { bytes.append(contentsOf: "Connection: close\r\n".utf8) }
        bytes.append(contentsOf: "\r\n".utf8)
        bytes.append(contentsOf: body)
        return bytes
    }

    /// Appends "name: value" CRLF.
    static func appendField(_ name: String, _ value: String, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: name.utf8)
        bytes.append(58)
        bytes.append(32)
        bytes.append(contentsOf: value.utf8)
        bytes.append(13)
        bytes.append(10)
    }

    /// Whether the sender asked to close the connection after this message.
    var asksToClose: Bool { header("connection").map { HTTPRequest.hasToken($0, "close") } ?? false }

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
