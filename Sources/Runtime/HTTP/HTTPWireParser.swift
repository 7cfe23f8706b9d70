/// The runtime's HTTP/1.1 parser as a pure function: bytes in, messages out, exactly as the
/// event loop parses what it buffered (no socket is read, no clock is looked at).
///
/// What `Scripts/http-differential.py` sets beside h11 on the same bytes, through the
/// `headroom-http-oracle` executable: the framing decisions compared are these.
public enum HTTPWireParser {
    public enum Event: Equatable {
        case request(method: String, target: String, version: String, headers: [String], body: [UInt8])
        case response(status: Int, headers: [String], body: [UInt8])
        /// The message was refused, with the status the runtime answers.
        case error(status: Int, message: String)
        /// The bytes ended inside a message.
        case incomplete
        /// The connection closes after the message before (it asked to, or its framing was
        /// doubtful).
        case close
    }

    /// Requests as a client's connection carries them, then the end of the stream: every
    /// request up to an error, the stream's end, or one after which the connection closes.
    /// Header fields are "name: value" with the name in lower case, Content-Length and
    /// Transfer-Encoding left out (the body shows what they framed).
    public static func requests(_ bytes: [UInt8], limits: HTTPLimits) -> [Event] {
        let c = connection(bytes)
        var events: [Event] = []
        while c.start < c.end {
            switch c.parseBuffered({ try c.readRequest(limits: limits) }) {
            case let .message(r):
                events.append(.request(method: r.method, target: r.target, version: r.version, headers: shown(r.headers), body: r.body))
                if !r.keepAlive {
                    events.append(.close)
                    return events
                }
            case .incomplete:
                events.append(.incomplete)
                return events
            case let .failed(e):
                events.append(event(e))
                return events
            }
        }
        return events
    }

    /// One response, as a worker's connection carries it to a request with `method`, then the
    /// end of the stream.
    public static func response(_ bytes: [UInt8], method: String = "POST", limits: HTTPLimits) -> [Event] {
        let c = connection(bytes)
        switch c.parseBuffered({ try c.readResponse(method: method, deadline: .max, limits: limits) }) {
        case let .message(r):
            return [.response(status: r.status, headers: shown(r.headers), body: r.body)] + (r.asksToClose ? [.close] : [])
        case .incomplete: return [.incomplete]
        case let .failed(e): return [event(e)]
        }
    }

    static func connection(_ bytes: [UInt8]) -> HTTPConnection {
        let c = HTTPConnection(socket: Socket(fd: -1), bufferSize: max(64, bytes.count))
        c.nonblocking = true
        c.buffer.replaceSubrange(0..<bytes.count, with: bytes)
        c.end = bytes.count
        c.eof = true
        c.peerClosed = true
        return c
    }

    static func shown(_ headers: [(name: String, value: String)]) -> [String] {
        headers.filter { !HTTPRequest.sameName($0.name, "content-length") && !HTTPRequest.sameName($0.name, "transfer-encoding") }
            .map { $0.name.lowercased() + ": " + $0.value }
    }

    static func event(_ e: HTTPReadError) -> Event {
        switch e {
        case let .malformed(status, message): return .error(status: status, message: message)
        case .closed: return .incomplete
        case .timeout: return .error(status: 408, message: "timeout")
        case let .failed(why): return .error(status: 0, message: why)
        }
    }
}
