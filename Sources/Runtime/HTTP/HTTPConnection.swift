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
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0

    public init(socket: Socket, bufferSize: Int = 64 * 1024) {
        self.socket = socket
        buffer = [UInt8](repeating: 0, count: bufferSize)
    }

    /// Bytes read and not yet consumed.
    var buffered: Int { end - start }

    /// Reads more bytes; false at end of stream.
    private func fill(deadline: Int64) throws -> Bool {
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

    /// One line without its CRLF (a bare LF is accepted), at most `limit` bytes.
    private func readLine(limit: Int, deadline: Int64, tooLong: HTTPReadError) throws -> String {
        var scanned = start
        while true {
            if let lf = buffer[scanned..<end].firstIndex(of: 10) {
                var lineEnd = lf
                if lineEnd > start && buffer[lineEnd - 1] == 13 { lineEnd -= 1 }
                guard lineEnd - start <= limit else { throw tooLong }
                let line = String(decoding: buffer[start..<lineEnd], as: UTF8.self)
                start = lf + 1
                return line
            }
            if end - start > limit { throw tooLong }
            scanned = end
            guard try fill(deadline: deadline) else { throw HTTPReadError.malformed(status: 400, message: "the connection closed in the middle of a line") }
        }
    }

    private func readBytes(_ count: Int, deadline: Int64) throws -> [UInt8] {
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
        var total = 0
        let tooLarge = HTTPReadError.malformed(status: 431, message: "header fields larger than \(limits.headerBytes) bytes")
        while true {
            let line = try readLine(limit: limits.headerBytes, deadline: deadline, tooLong: tooLarge)
            if line.isEmpty { return headers }
            total += line.utf8.count
            guard total <= limits.headerBytes, headers.count < limits.headerCount else {
                throw HTTPReadError.malformed(status: 431, message: "more than \(limits.headerCount) header fields or \(limits.headerBytes) bytes of them")
            }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                  !line[..<colon].contains(where: { $0 == " " || $0 == "\t" }) else {
                throw HTTPReadError.malformed(status: 400, message: "malformed header line")
            }
            let value = line[line.index(after: colon)...].trimmingSpaces
            headers.append((String(line[..<colon]), value))
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
                _ = try readLine(limit: 2, deadline: deadline, tooLong: .malformed(status: 400, message: "missing CRLF after a chunk"))
            }
        }
        let lengths = headers.filter { HTTPRequest.sameName($0.name, "content-length") }.map(\.value)
        if let first = lengths.first {
            guard lengths.allSatisfy({ $0 == first }), let n = Int(first), n >= 0 else {
                throw HTTPReadError.malformed(status: 400, message: "bad Content-Length \"\(first)\"")
            }
            guard n <= limit else { throw HTTPReadError.malformed(status: 413, message: "body of \(n) bytes; the limit is \(limit)") }
            return try readBytes(n, deadline: deadline)
        }
        guard untilClose else { return [] }
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
        let now = MonotonicClock.nanoseconds()
        if start == end {
            guard try fill(deadline: now + Int64(limits.idleTimeout * 1e9)) else { throw HTTPReadError.closed }
        }
        let headDeadline = MonotonicClock.nanoseconds() + Int64(limits.headTimeout * 1e9)
        do {
            return try readRequestBegun(limits: limits, headDeadline: headDeadline)
        } catch HTTPReadError.timeout {
            // The request began and stalled: a slow (or slowloris) client.
            throw HTTPReadError.malformed(status: 408, message: "the request was not received in time")
        }
    }

    private func readRequestBegun(limits: HTTPLimits, headDeadline: Int64) throws -> HTTPRequest {
        var line = try readLine(limit: limits.requestLine, deadline: headDeadline,
                                tooLong: .malformed(status: 414, message: "request line longer than \(limits.requestLine) bytes"))
        if line.isEmpty {   // RFC 9112 §2.2: ignore one empty line before the request line
            line = try readLine(limit: limits.requestLine, deadline: headDeadline,
                                tooLong: .malformed(status: 414, message: "request line longer than \(limits.requestLine) bytes"))
        }
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter && $0.isUppercase }), parts[1].hasPrefix("/") || parts[1] == "*" else {
            throw HTTPReadError.malformed(status: 400, message: "malformed request line")
        }
        guard parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0" else {
            throw HTTPReadError.malformed(status: 505, message: "only HTTP/1.1 and HTTP/1.0 are served")
        }
        let headers = try readHeaders(limits: limits, deadline: headDeadline)
        // RFC 9110 §10.1.1: a client that sent Expect: 100-continue (curl does above 1 KiB)
        // waits for the interim answer before sending the body.
        if parts[2] == "HTTP/1.1", headers.contains(where: { HTTPRequest.sameName($0.name, "expect") && $0.value.lowercased() == "100-continue" }) {
            try? socket.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
        let body = try readBody(headers: headers, limit: limits.body, deadline: MonotonicClock.nanoseconds() + Int64(limits.bodyTimeout * 1e9), untilClose: false)
        return HTTPRequest(method: String(parts[0]), target: String(parts[1]), version: String(parts[2]), headers: headers, body: body)
    }

    /// Reads one response to a request with `method`, all of it before `deadline`.
    public func readResponse(method: String, deadline: Int64, limits: HTTPLimits = HTTPLimits()) throws -> HTTPResponse {
        if start == end {
            guard try fill(deadline: deadline) else { throw HTTPReadError.closed }
        }
        let line = try readLine(limit: limits.requestLine, deadline: deadline, tooLong: .malformed(status: 502, message: "status line too long"))
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100...999).contains(status) else {
            throw HTTPReadError.malformed(status: 502, message: "malformed status line \"\(line.prefix(80))\"")
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
