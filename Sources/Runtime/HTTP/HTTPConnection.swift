import Glibc

/// Size and time limits on what a peer may send.
public struct HTTPLimits: Sendable {
    /// The request line (method, target, version).
    public var requestLine = 8 * 1024
    /// All header lines together.
    public var headerBytes = 64 * 1024
    public var headerCount = 100
    /// The body (413 beyond it).
    public var body = 16 * 1024 * 1024
    /// Idle time allowed between requests on a kept-alive connection.
    public var idleTimeout = 60.0
    /// Time allowed to send the whole head once its first byte came (slow clients are cut).
    public var headTimeout = 10.0
    /// Time allowed to send the body once the head is read.
    public var bodyTimeout = 30.0

    public init() {}
}

/// Why reading a message failed.
public enum HTTPReadError: Error, Equatable {
    /// The peer closed the connection cleanly before a message began.
    case closed
    /// No (complete) message in time.
    case timeout
    /// Not HTTP as expected; the answer a server sends for it.
    case malformed(status: Int, message: String)
    /// The connection failed (reset, refused …).
    case failed(String)
}

/// A socket with a read buffer: reads HTTP/1.1 requests and responses within limits.
///
/// Not thread-safe: one thread uses a connection at a time.
public final class HTTPConnection: @unchecked Sendable {
    public let socket: Socket
    var buffer: [UInt8]
    var start = 0
    var end = 0
    /// Parsing only what is buffered (an event loop reads): a read that needs more throws
    /// `NeedMore` instead of blocking, and `eof` says the peer has finished sending.
    var nonblocking = false
    var eof = false
    /// A 100 Continue was sent for the request being read (a re-parse must not send another).
    var continueSent = false
    /// The peer has finished sending (the loop said so): read on to the end of stream even
    /// after a short read, since its end arrived with the last bytes and no edge will follow.
    var peerClosed = false
    /// When a parse of the buffered message is worth trying (`worthParsing`): how far the
    /// head's scan got, whether the head is complete, and the bytes needed before a new try.
    var scanned = 0
    var headDone = false
    var nextTry = 0

    public init(socket: Socket, bufferSize: Int = 64 * 1024) {
        self.socket = socket
        buffer = [UInt8](repeating: 0, count: bufferSize)
    }

    /// Bytes read and not yet consumed.
    var buffered: Int { end - start }

    /// Reads more bytes; false at end of stream.
    private func fill(deadline: Int64) throws -> Bool {
        if nonblocking {
            if eof { return false }
            throw NeedMore.unknown
        }
        if start == end { start = 0; end = 0 }
        if end == buffer.count {
            if start > 0 {
                buffer.withUnsafeMutableBufferPointer { b in
                    _ = memmove(b.baseAddress!, b.baseAddress! + start, end - start)
                }
                end -= start
                start = 0
            } else {
                buffer.append(contentsOf: repeatElement(0, count: buffer.count))
            }
        }
        let got: Int?
        do {
            got = try buffer.withUnsafeMutableBytes { try socket.read(into: $0.baseAddress! + end, count: $0.count - end, deadline: deadline) }
        } catch let e as SystemError {
            throw HTTPReadError.failed(e.description)
        }
        guard let n = got else { throw HTTPReadError.timeout }
        if n == 0 { return false }
        end += n
        return true
    }

    /// One line without its CRLF (a bare LF is accepted), at most `limit` bytes: its range
    /// in `buffer`, valid until the next read.
    /// `tooLong` is made only when thrown: most carry an interpolated message, and two
    /// strings made per message read were a measurable share of the proxy's allocations.
    private func readLineRange(limit: Int, deadline: Int64, tooLong: @autoclosure () -> HTTPReadError) throws -> Range<Int> {
        var scanned = start
        while true {
            let lf: Int? = buffer.withUnsafeBufferPointer { b in
                guard scanned < end, let p = memchr(b.baseAddress! + scanned, 10, end - scanned) else { return nil }
                return UnsafePointer<UInt8>(p.assumingMemoryBound(to: UInt8.self)) - b.baseAddress!
            }
            if let lf {
                var lineEnd = lf
                if lineEnd > start && buffer[lineEnd - 1] == 13 { lineEnd -= 1 }
                guard lineEnd - start <= limit else { throw tooLong() }
                let line = start..<lineEnd
                start = lf + 1
                return line
            }
            // One byte more than the limit may be the line's CR, its LF still to come: how
            // the bytes were cut into reads must not change the verdict (the fuzzer's check).
            if end - start > limit + 1 { throw tooLong() }
            let offset = end - start
            guard try fill(deadline: deadline) else { throw HTTPReadError.malformed(status: 400, message: "the connection closed in the middle of a line") }
            scanned = start + offset   // `fill` may have moved the bytes
        }
    }

    /// One line without its CRLF, as text.
    private func readLine(limit: Int, deadline: Int64, tooLong: @autoclosure () -> HTTPReadError) throws -> String {
        let r = try readLineRange(limit: limit, deadline: deadline, tooLong: tooLong())
        return text(r)
    }

    private func text(_ r: Range<Int>) -> String {
        buffer.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[r]), as: UTF8.self) }
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 }

    private func readBytes(_ count: Int, deadline: Int64, whole: Bool = false) throws -> [UInt8] {
        if nonblocking && end - start < count {
            if eof { throw HTTPReadError.malformed(status: 400, message: "the connection closed before the body's end") }
            throw whole ? NeedMore.exact(count - (end - start)) : NeedMore.chunk(count - (end - start))
        }
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            if start == end {
                guard try fill(deadline: deadline) else { throw HTTPReadError.malformed(status: 400, message: "the connection closed before the body's end") }
            }
            let take = min(count - out.count, end - start)
            out.append(contentsOf: buffer[start..<(start + take)])
            start += take
        }
        return out
    }

    /// Header (or trailer) fields up to the empty line. Each line is `name ":" OWS value OWS`
    /// with a token for a name and no NUL, CR, LF, VT or FF in the value (RFC 9110 §5.5,
    /// RFC 9112 §5); a line that begins with a space or a tab continues the field before it
    /// (obs-fold, RFC 9112 §5.2: replaced by one space, as h11 does), and is an error before
    /// any field. `status` is the answer to a malformed line (400 from a client, 502 from a
    /// worker).
    private func readHeaders(limits: HTTPLimits, deadline: Int64, status: Int = 400) throws -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(8)
        var total = 0
        // The white space at the end of the last field's line, which a continuation line keeps
        // (h11 joins the raw lines, then trims the whole).
        var lastTrailing = ""
        while true {
            let line = try readLineRange(limit: limits.headerBytes, deadline: deadline,
                                         tooLong: .malformed(status: 431, message: "header fields larger than \(limits.headerBytes) bytes"))
            if line.isEmpty { return headers }
            total += line.count
            guard total <= limits.headerBytes, headers.count < limits.headerCount else {
                throw HTTPReadError.malformed(status: 431, message: "more than \(limits.headerCount) header fields or \(limits.headerBytes) bytes of them")
            }
            // Scanned in the buffer's storage: indexing the buffer, a class's property, byte
            // by byte costs an exclusivity check per byte.
            let (colon, from, to) = buffer.withUnsafeBufferPointer { b -> (Int, Int, Int) in
                var colon = -3   // a continuation line
                if !Self.isSpace(b[line.lowerBound]) {
                    colon = -1
                    for i in line {
                        if b[i] == 58 { colon = i; break }
                        if !HTTPFraming.isTokenByte(b[i]) { break }
                    }
                    guard colon > line.lowerBound else { return (-1, 0, 0) }
                }
                var from = colon == -3 ? line.lowerBound : colon + 1, to = line.upperBound
                while from < to && Self.isSpace(b[from]) { from += 1 }
                while to > from && Self.isSpace(b[to - 1]) { to -= 1 }
                for i in from..<to where !HTTPFraming.isFieldValueByte(b[i]) { return (-2, 0, 0) }
                return (colon, from, to)
            }
            if colon == -2 {
                throw HTTPReadError.malformed(status: status, message: "a header field value with a NUL, CR, LF, VT or FF byte")
            }
            if colon == -3 {
                // obs-fold: the line continues the field before it.
                guard let last = headers.indices.last else {
                    throw HTTPReadError.malformed(status: status, message: "a continuation line (starting with white space) before any header field")
                }
                if from == to {
                    // Only white space: the join's space stays at the end, for a later line.
                    lastTrailing += " "
                } else {
                    let joined = headers[last].value + lastTrailing + " " + text(from..<to)
                    headers[last].value = String(joined.trimmingSpacesSubstring)
                    lastTrailing = to < line.upperBound ? text(to..<line.upperBound) : ""
                }
                continue
            }
            guard colon > line.lowerBound else { throw HTTPReadError.malformed(status: status, message: "malformed header line") }
            headers.append((text(line.lowerBound..<colon), text(from..<to)))
            lastTrailing = to < line.upperBound ? text(to..<line.upperBound) : ""
        }
    }

    /// The body as `framing` delimits it; `status` answers a malformed chunk (400 from a
    /// client, 502 from a worker).
    private func readBody(_ framing: HTTPFraming, headerLimits: HTTPLimits, limit: Int, deadline: Int64, status: Int) throws -> [UInt8] {
        switch framing {
        case let .length(n):
            return n == 0 ? [] : try readBytes(n, deadline: deadline, whole: true)
        case .chunked:
            var body: [UInt8] = []
            while true {
                let size = try readChunkSize(limit: headerLimits.headerBytes, deadline: deadline, status: status)
                if size == 0 {
                    // Trailer fields up to the empty line, held to the header rules.
                    let trailer = try readHeaders(limits: headerLimits, deadline: deadline, status: status)
                    _ = try HTTPFraming.of(trailer, response: false, http10: false, limit: .max, malformed: status, unsupported: status, tooLarge: status)
                    return body
                }
                guard size <= limit - body.count else { throw HTTPReadError.malformed(status: status == 400 ? 413 : status, message: "body larger than \(limit) bytes") }
                body += try readBytes(size, deadline: deadline)
                // The chunk's data ends with CRLF and nothing else (a wrong chunk size lands
                // here).
                let crlf = try readBytes(2, deadline: deadline)
                guard crlf == [13, 10] else { throw HTTPReadError.malformed(status: status, message: "missing CRLF after a chunk") }
            }
        case .untilClose:
            if nonblocking {
                // The body ends where the stream does.
                guard eof else {
                    if end - start > limit { throw HTTPReadError.malformed(status: 502, message: "body larger than \(limit) bytes") }
                    throw NeedMore.untilClose
                }
                let body = Array(buffer[start..<end])
                start = end
                guard body.count <= limit else { throw HTTPReadError.malformed(status: 502, message: "body larger than \(limit) bytes") }
                return body
            }
            var body: [UInt8] = []
            while true {
                body.append(contentsOf: buffer[start..<end])
                start = end
                guard body.count <= limit else { throw HTTPReadError.malformed(status: 502, message: "body larger than \(limit) bytes") }
                guard try fill(deadline: deadline) else { return body }
            }
        }
    }

    /// A chunk-size line (`HTTPFraming.chunkSize`), read to its end.
    private func readChunkSize(limit: Int, deadline: Int64, status: Int) throws -> Int {
        let line = try readLineRange(limit: limit, deadline: deadline, tooLong: .malformed(status: status, message: "chunk size line too long"))
        guard let size = buffer.withUnsafeBufferPointer({ HTTPFraming.chunkSize($0, line: line) }) else {
            throw HTTPReadError.malformed(status: status, message: "bad chunk size line")
        }
        return size
    }

    /// Reads one request. Waits `limits.idleTimeout` for it to begin, then `headTimeout` for
    /// its head and `bodyTimeout` for its body.
    public func readRequest(limits: HTTPLimits) throws -> HTTPRequest {
        // Parsing what an event loop buffered waits for nothing (its timers keep the time):
        // no clock is read.
        let now = nonblocking ? 0 : MonotonicClock.nanoseconds()
        if start == end {
            guard try fill(deadline: now + Int64(limits.idleTimeout * 1e9)) else { throw HTTPReadError.closed }
        }
        let headDeadline = nonblocking ? 0 : MonotonicClock.nanoseconds() + Int64(limits.headTimeout * 1e9)
        do {
            return try readRequestBegun(limits: limits, headDeadline: headDeadline)
        } catch HTTPReadError.timeout {
            // The request began and stalled: a slow (or slowloris) client.
            throw HTTPReadError.malformed(status: 408, message: "the request was not received in time")
        }
    }

    private func readRequestBegun(limits: HTTPLimits, headDeadline: Int64) throws -> HTTPRequest {
        func tooLong() -> HTTPReadError { .malformed(status: 414, message: "request line longer than \(limits.requestLine) bytes") }
        // No empty line is skipped before the request line: h11 refuses one too (RFC 9112
        // §2.2 lets a server ignore it; refusing is the choice that cannot be framed two ways).
        let line = try readLineRange(limit: limits.requestLine, deadline: headDeadline, tooLong: tooLong())
        // method SP request-target SP HTTP-version (RFC 9112 §3): a token, visible ASCII,
        // HTTP/d.d, single spaces.
        let malformed = HTTPReadError.malformed(status: 400, message: "malformed request line")
        let valid = buffer.withUnsafeBufferPointer { b -> (Int, Int)? in
            var s1 = -1
            var i = line.lowerBound
            while i < line.upperBound && HTTPFraming.isTokenByte(b[i]) { i += 1 }
            guard i > line.lowerBound, i < line.upperBound, b[i] == 32 else { return nil }
            s1 = i
            i += 1
            while i < line.upperBound && b[i] >= 0x21 && b[i] <= 0x7e { i += 1 }
            guard i > s1 + 1, i < line.upperBound, b[i] == 32 else { return nil }
            let s2 = i
            let v = s2 + 1
            guard line.upperBound - v == 8, b[v] == 72, b[v + 1] == 84, b[v + 2] == 84, b[v + 3] == 80, b[v + 4] == 47,   // "HTTP/"
                  b[v + 5] >= 48 && b[v + 5] <= 57, b[v + 6] == 46, b[v + 7] >= 48 && b[v + 7] <= 57 else { return nil }
            return (s1, s2)
        }
        guard let (s1, s2) = valid else { throw malformed }
        let version = text(s2 + 1..<line.upperBound)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            throw HTTPReadError.malformed(status: 505, message: "only HTTP/1.1 and HTTP/1.0 are served")
        }
        let method = text(line.lowerBound..<s1)
        let target = text(s1 + 1..<s2)
        let headers = try readHeaders(limits: limits, deadline: headDeadline)
        // RFC 9112 §3.2: an HTTP/1.1 request without Host, or any request with two, is
        // answered 400.
        var hosts = 0
        for h in headers where HTTPRequest.sameName(h.name, "host") { hosts += 1 }
        guard hosts == 1 || (hosts == 0 && version == "HTTP/1.0") else {
            throw HTTPReadError.malformed(status: 400, message: hosts == 0 ? "no Host header field (HTTP/1.1 requires one)" : "more than one Host header field")
        }
        let (framing, mustClose) = try HTTPFraming.of(headers, response: false, http10: version == "HTTP/1.0", limit: limits.body,
                                                      malformed: 400, unsupported: 501, tooLarge: 413)
        // RFC 9110 §10.1.1: a client that sent Expect: 100-continue (curl does above 1 KiB)
        // waits for the interim answer before sending the body.
        if version == "HTTP/1.1", !continueSent,
           headers.contains(where: { HTTPRequest.sameName($0.name, "expect") && HTTPRequest.sameName($0.value, "100-continue") }) {
            continueSent = true
            try? socket.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
        let body = try readBody(framing, headerLimits: limits, limit: limits.body,
                                deadline: nonblocking ? 0 : MonotonicClock.nanoseconds() + Int64(limits.bodyTimeout * 1e9), status: 400)
        continueSent = false
        var request = HTTPRequest(method: method, target: target, version: version, headers: headers, body: body)
        request.framingFaulty = mustClose
        return request
    }

    /// A response's status line and header fields, and how its body is framed.
    struct ResponseHead {
        var status: Int
        var headers: [(name: String, value: String)]
        var framing: HTTPFraming
        /// The connection is not used again after this answer (`framingFaulty`).
        var mustClose: Bool
        /// No body follows, whatever the framing says (a HEAD request, 204, 304).
        var noBody: Bool
    }

    /// Reads one response to a request with `method`, all of it before `deadline`.
    public func readResponse(method: String, deadline: Int64, limits: HTTPLimits = HTTPLimits()) throws -> HTTPResponse {
        let head = try readResponseHead(method: method, deadline: deadline, limits: limits)
        return try readResponseBody(head, deadline: deadline, limits: limits)
    }

    /// The body of the response whose head was read.
    func readResponseBody(_ head: ResponseHead, deadline: Int64, limits: HTTPLimits = HTTPLimits()) throws -> HTTPResponse {
        let body = head.noBody ? [] : try readBody(head.framing, headerLimits: limits, limit: limits.body, deadline: deadline, status: 502)
        var response = HTTPResponse(status: head.status, headers: head.headers, body: body)
        response.framingFaulty = head.mustClose
        return response
    }

    /// Reads a response's head (interim 1xx answers skipped), leaving its body unread.
    func readResponseHead(method: String, deadline: Int64, limits: HTTPLimits = HTTPLimits()) throws -> ResponseHead {
        if start == end {
            guard try fill(deadline: deadline) else { throw HTTPReadError.closed }
        }
        // HTTP/d.d SP 3DIGIT [SP reason], the reason without NUL, CR, LF, VT or FF (RFC 9112
        // §4; h11's grammar, which lets the reason be left out).
        let line = try readLineRange(limit: limits.requestLine, deadline: deadline, tooLong: .malformed(status: 502, message: "status line too long"))
        let l = line.lowerBound
        var status = 0
        let valid = line.count >= 12 && buffer.withUnsafeBufferPointer { b in
            let prefix: StaticString = "HTTP/"
            guard memcmp(b.baseAddress! + l, prefix.utf8Start, 5) == 0, b[l + 5] >= 48 && b[l + 5] <= 57, b[l + 6] == 46,
                  b[l + 7] >= 48 && b[l + 7] <= 57, b[l + 8] == 32, line.count == 12 || b[l + 12] == 32 else { return false }
            for i in (l + 12)..<line.upperBound where !(Self.isSpace(b[i]) || HTTPFraming.isFieldValueByte(b[i])) { return false }
            return b[l + 9..<l + 12].allSatisfy { d in
                guard d >= 48 && d <= 57 else { return false }
                status = status * 10 + Int(d - 48)
                return true
            }
        }
        guard valid, status >= 100 else {
            throw HTTPReadError.malformed(status: 502, message: "malformed status line \"\(text(line).prefix(80))\"")
        }
        let headers = try readHeaders(limits: limits, deadline: deadline, status: 502)
        if status < 200 {
            // 101 switches protocols, which is only an answer to a request that asked (the
            // runtime never does): anything after it is not HTTP/1.1.
            guard status != 101 else { throw HTTPReadError.malformed(status: 502, message: "101 Switching Protocols to a request that asked for no upgrade") }
            _ = try HTTPFraming.of(headers, response: true, http10: false, limit: limits.body, malformed: 502, unsupported: 502, tooLarge: 502)
            return try readResponseHead(method: method, deadline: deadline, limits: limits)   // 1xx: the real one follows
        }
        let http10 = buffer[l + 5] == 49 && buffer[l + 7] == 48 || buffer[l + 5] == 48
        // Without a body (RFC 9112 §6.3 item 1) the framing fields are still checked, not
        // their size.
        let noBody = method == "HEAD" || status == 204 || status == 304
        let (framing, mustClose) = try HTTPFraming.of(headers, response: true, http10: http10, limit: noBody ? .max : limits.body,
                                                      malformed: 502, unsupported: 502, tooLarge: 502)
        return ResponseHead(status: status, headers: headers, framing: framing, mustClose: mustClose, noBody: noBody)
    }
}

extension StringProtocol {
    var trimmingSpaces: String { String(trimmingSpacesSubstring) }
}
