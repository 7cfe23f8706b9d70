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

    private func readHeaders(limits: HTTPLimits, deadline: Int64) throws -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(8)
        var total = 0
        while true {
            let line = try readLineRange(limit: limits.headerBytes, deadline: deadline,
                                         tooLong: .malformed(status: 431, message: "header fields larger than \(limits.headerBytes) bytes"))
            if line.isEmpty { return headers }
            total += line.count
            guard total <= limits.headerBytes, headers.count < limits.headerCount else {
                throw HTTPReadError.malformed(status: 431, message: "more than \(limits.headerCount) header fields or \(limits.headerBytes) bytes of them")
            }
            // name ":" OWS value OWS, with no white space in the name (RFC 9112 §5). Scanned
            // in the buffer's storage: indexing the buffer, a class's property, byte by byte
            // costs an exclusivity check per byte.
            let (colon, from, to) = buffer.withUnsafeBufferPointer { b -> (Int, Int, Int) in
                var colon = -1
                for i in line {
                    if b[i] == 58 { colon = i; break }
                    if Self.isSpace(b[i]) { break }
                }
                guard colon > line.lowerBound else { return (-1, 0, 0) }
                var from = colon + 1, to = line.upperBound
                while from < to && Self.isSpace(b[from]) { from += 1 }
                while to > from && Self.isSpace(b[to - 1]) { to -= 1 }
                return (colon, from, to)
            }
            guard colon > line.lowerBound else { throw HTTPReadError.malformed(status: 400, message: "malformed header line") }
            headers.append((text(line.lowerBound..<colon), text(from..<to)))
        }
    }

    private func readBody(headers: [(name: String, value: String)], limit: Int, deadline: Int64, untilClose: Bool) throws -> [UInt8] {
        let te = headers.first { HTTPRequest.sameName($0.name, "transfer-encoding") }?.value.lowercased()
        if let te, te != "identity" {
            guard te.hasSuffix("chunked") else { throw HTTPReadError.malformed(status: 501, message: "transfer coding \"\(te)\" is not supported") }
            var body: [UInt8] = []
            while true {
                let sizeLine = try readLine(limit: 1024, deadline: deadline, tooLong: .malformed(status: 400, message: "chunk size line too long"))
                let hex = sizeLine.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces } ?? ""
                guard let size = Int(hex, radix: 16), size >= 0 else { throw HTTPReadError.malformed(status: 400, message: "bad chunk size \"\(sizeLine)\"") }
                if size == 0 {
                    // Trailer fields up to the empty line.
                    while try !readLine(limit: 8192, deadline: deadline, tooLong: .malformed(status: 400, message: "trailer too long")).isEmpty {}
                    return body
                }
                guard body.count + size <= limit else { throw HTTPReadError.malformed(status: 413, message: "body larger than \(limit) bytes") }
                body += try readBytes(size, deadline: deadline)
                // The chunk's data ends with CRLF and nothing else (a wrong chunk size lands
                // here; "bc" used to pass as the line end).
                _ = try readLineRange(limit: 0, deadline: deadline, tooLong: .malformed(status: 400, message: "missing CRLF after a chunk"))
            }
        }
        // Every Content-Length must agree (RFC 9112 §6.3); found without making arrays.
        var first: String?
        var agree = true
        for h in headers where HTTPRequest.sameName(h.name, "content-length") {
            if let f = first { agree = agree && f == h.value } else { first = h.value }
        }
        if let first {
            guard agree, let n = Int(first), n >= 0 else {
                throw HTTPReadError.malformed(status: 400, message: "bad Content-Length \"\(first)\"")
            }
            guard n <= limit else { throw HTTPReadError.malformed(status: 413, message: "body of \(n) bytes; the limit is \(limit)") }
            return try readBytes(n, deadline: deadline, whole: true)
        }
        guard untilClose else { return [] }
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
        var line = try readLineRange(limit: limits.requestLine, deadline: headDeadline, tooLong: tooLong())
        if line.isEmpty {   // RFC 9112 §2.2: ignore one empty line before the request line
            line = try readLineRange(limit: limits.requestLine, deadline: headDeadline, tooLong: tooLong())
        }
        // method SP request-target SP HTTP-version, single spaces (RFC 9112 §3).
        let malformed = HTTPReadError.malformed(status: 400, message: "malformed request line")
        let valid = buffer.withUnsafeBufferPointer { b -> (Int, Int)? in
            var spaces = (-1, -1)
            for i in line where b[i] == 32 {
                if spaces.0 < 0 { spaces.0 = i } else if spaces.1 < 0 { spaces.1 = i } else { return nil }
            }
            let (s1, s2) = spaces
            guard s1 > line.lowerBound, s2 > s1 + 1, s2 < line.upperBound,
                  b[line.lowerBound..<s1].allSatisfy({ $0 >= 65 && $0 <= 90 }),   // an upper-case token
                  b[s1 + 1] == 47 || (s2 == s1 + 2 && b[s1 + 1] == 42) else {   // "/…" or "*"
                return nil
            }
            return spaces
        }
        guard let (s1, s2) = valid else { throw malformed }
        let version = text(s2 + 1..<line.upperBound)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            throw HTTPReadError.malformed(status: 505, message: "only HTTP/1.1 and HTTP/1.0 are served")
        }
        let method = text(line.lowerBound..<s1)
        let target = text(s1 + 1..<s2)
        let headers = try readHeaders(limits: limits, deadline: headDeadline)
        // RFC 9110 §10.1.1: a client that sent Expect: 100-continue (curl does above 1 KiB)
        // waits for the interim answer before sending the body.
        if version == "HTTP/1.1", !continueSent,
           headers.contains(where: { HTTPRequest.sameName($0.name, "expect") && HTTPRequest.sameName($0.value, "100-continue") }) {
            continueSent = true
            try? socket.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
        let body = try readBody(headers: headers, limit: limits.body, deadline: nonblocking ? 0 : MonotonicClock.nanoseconds() + Int64(limits.bodyTimeout * 1e9), untilClose: false)
        continueSent = false
        return HTTPRequest(method: method, target: target, version: version, headers: headers, body: body)
    }

    /// Reads one response to a request with `method`, all of it before `deadline`.
    public func readResponse(method: String, deadline: Int64, limits: HTTPLimits = HTTPLimits()) throws -> HTTPResponse {
        if start == end {
            guard try fill(deadline: deadline) else { throw HTTPReadError.closed }
        }
        // HTTP-version SP 3DIGIT SP [reason] (RFC 9112 §4).
        let line = try readLineRange(limit: limits.requestLine, deadline: deadline, tooLong: .malformed(status: 502, message: "status line too long"))
        let l = line.lowerBound
        var status = 0
        let valid = line.count >= 12 && buffer.withUnsafeBufferPointer { b in
            let prefix: StaticString = "HTTP/1."
            guard memcmp(b.baseAddress! + l, prefix.utf8Start, 7) == 0, b[l + 8] == 32, line.count == 12 || b[l + 12] == 32 else { return false }
            return b[l + 9..<l + 12].allSatisfy { d in
                guard d >= 48 && d <= 57 else { return false }
                status = status * 10 + Int(d - 48)
                return true
            }
        }
        guard valid, status >= 100 else {
            throw HTTPReadError.malformed(status: 502, message: "malformed status line \"\(text(line).prefix(80))\"")
        }
        let headers = try readHeaders(limits: limits, deadline: deadline)
        if status < 200 { return try readResponse(method: method, deadline: deadline, limits: limits) }   // 1xx: the real one follows
        let noBody = method == "HEAD" || status == 204 || status == 304
        let body = noBody ? [] : try readBody(headers: headers, limit: limits.body, deadline: deadline, untilClose: true)
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
