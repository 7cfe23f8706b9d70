import Glibc

/// Keep-alive connections to one HTTP endpoint (a worker), driven by an `EventLoop`: a call
/// writes its request and is answered when the response has been read, with no thread waiting.
///
/// Loop thread only (`close` from anywhere).
final class UpstreamPool: @unchecked Sendable {
    enum Outcome {
        case answered(HTTPResponse)
        /// No answer by the deadline; the connection is still waiting for it (`extend` it
        /// or `abandon` it).
        case timedOut(UpstreamConnection)
        /// The endpoint could not be reached, or the connection broke.
        case failed(String)
    }

    let address: SocketAddress
    let loop: EventLoop
    /// Idle connections kept at most.
    let keep: Int
    private var idle: [UpstreamConnection] = []
    private var isClosed = false
    /// The Host header's value, made once.
    private let host: String

    init(address: SocketAddress, loop: EventLoop, keep: Int = 64) {
        self.address = address
        host = address.description
        self.loop = loop
        self.keep = keep
    }

    /// Sends `request` and calls `done` (on the loop) with its answer, or when `deadline`
    /// (monotonic ns) passes. A kept-alive connection that turns out closed before any byte of
    /// the answer came is retried once on a new one.
    /// `extra`: one more header field, written after the request's own.
    /// `stream`: an answer that streams (chunked, until close, or `text/event-stream`) is
    /// answered at its head, its body relayed through the `ResponseStream` it carries.
    func call(_ request: HTTPRequest, extra: (name: String, value: String)? = nil, deadline: Int64, connectTimeout: Double = 5,
              stream: StreamOptions? = nil, _ done: @escaping (Outcome) -> Void) {
        let bytes = request.serialized(host: host, extra: extra)
        send(bytes, method: request.method, deadline: deadline, connectTimeout: connectTimeout, retry: true, stream: stream, done)
    }

    /// Sends on an idle connection (or a new one). `retry`: when that connection was kept
    /// alive and fails before any byte of the answer, the connection calls this once more
    /// (with `retry` false, so on a new connection) instead of reporting the failure.
    fileprivate func send(_ bytes: [UInt8], method: String, deadline: Int64, connectTimeout: Double, retry: Bool, stream: StreamOptions?,
                          _ done: @escaping (Outcome) -> Void) {
        if isClosed { return done(.failed("the endpoint is closed")) }
        let connection: UpstreamConnection
        let reused: Bool
        if let c = idle.popLast() {
            connection = c
            reused = true
        } else {
            do {
                connection = try UpstreamConnection(pool: self, connectTimeout: connectTimeout)
            } catch {
                return done(.failed("\(error)"))
            }
            reused = false
        }
        connection.start(bytes, method: method, deadline: deadline, connectTimeout: connectTimeout, retryable: reused && retry, stream: stream, done)
    }

    fileprivate func release(_ c: UpstreamConnection) {
        if isClosed || idle.count >= keep {
            c.close()
        } else {
            idle.append(c)
        }
    }

    fileprivate func forget(_ c: UpstreamConnection) {
        if let k = idle.firstIndex(where: { $0 === c }) { idle.remove(at: k) }
    }

    /// Closes the idle connections and refuses new calls; calls in progress end by themselves.
    func close() {
        loop.execute { [self] in
            isClosed = true
            for c in idle { c.close() }
            idle = []
        }
    }
}

/// How a call's answer may stream (`UpstreamPool.call`).
struct StreamOptions: Sendable {
    /// A stream is cut when the worker sends nothing for this long (seconds) while its
    /// client keeps up.
    var stall: Double
    /// Whether the body is hashed as it passes (for the audit trail).
    var hashes: Bool
}

/// One connection of an `UpstreamPool`: connecting, idle, waiting for an answer, or relaying
/// a streamed one.
final class UpstreamConnection: EventLoopHandler {
    private unowned let pool: UpstreamPool
    private let http: HTTPConnection
    private var connecting = true
    private var canRead = false
    private var canWrite = false
    /// The request's bytes, kept until its answer (for a retry); `written` of them are sent.
    private var out: [UInt8] = []
    private var written = 0
    private var method = "POST"
    private var connectTimeout = 5.0
    /// A failure before the answer began sends the request again on a new connection.
    private var retryable = false
    private var done: ((UpstreamPool.Outcome) -> Void)?
    private var deadline: Int64 = 0
    private var timer: LoopTimer?
    private var connectDeadline: Int64 = 0
    private(set) var isClosed = false
    /// A byte of the answer arrived (a failure before that may be a stale kept-alive connection).
    private(set) var answerBegan = false
    /// Whether the call's answer may stream, and the stream being relayed (its body decoded
    /// as it comes) once its head was answered.
    private var streamOptions: StreamOptions?
    private var stream: ResponseStream?
    private var decoder = BodyDecoder(.length(0))
    /// Whether the connection is kept for another call once the stream is whole, and how long
    /// the worker may send nothing mid-stream (ns).
    private var keepAfterStream = false
    private var stallNanoseconds: Int64 = 0
    /// The buffer a streamed body is read through holds at most this (bytes).
    static let streamBuffer = 64 * 1024

    init(pool: UpstreamPool, connectTimeout: Double) throws {
        self.pool = pool
        let address = pool.address
        let fd = Glibc.socket(address.isIPv6 ? AF_INET6 : AF_INET,
                              Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        let socket = Socket(fd: fd)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = try address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if rc != 0 && errno != EINPROGRESS { throw SystemError("connect \(address)") }
        connecting = rc != 0
        canWrite = rc == 0
        http = HTTPConnection(socket: socket, bufferSize: 16 * 1024)
        http.nonblocking = true
        connectDeadline = MonotonicClock.nanoseconds() + Int64(connectTimeout * 1e9)
        pool.loop.register(fd, self)
    }

    /// Sends a request's bytes and waits (on the loop) for the answer.
    func start(_ bytes: [UInt8], method: String, deadline: Int64, connectTimeout: Double, retryable: Bool, stream: StreamOptions?,
               _ done: @escaping (UpstreamPool.Outcome) -> Void) {
        streamOptions = stream
        out = bytes
        written = 0
        self.method = method
        self.connectTimeout = connectTimeout
        self.retryable = retryable
        self.done = done
        answerBegan = false
        arm(connecting ? min(deadline, connectDeadline) : deadline)
        self.deadline = deadline
        if !connecting { flush() }
    }

    /// Keeps waiting for the answer until a later `deadline`.
    func extend(until deadline: Int64, _ done: @escaping (UpstreamPool.Outcome) -> Void) {
        self.done = done
        self.deadline = deadline
        arm(deadline)
    }

    /// Drops the call still waiting (closes the connection).
    func abandon() {
        done = nil
        close()
    }

    /// When the wait ends. One timer at a time, which re-arms itself when it fires before the
    /// current deadline: a call costs a store, not a timer (a cancelled timer would stay in the
    /// loop's heap until its time, 30 s and more).
    private var due: Int64 = 0

    private func arm(_ at: Int64) {
        due = at
        if let t = timer, t.deadline > at { t.cancel(); timer = nil }
        // Strong: `close` cancels the timer, which lets go of the connection.
        if timer == nil { timer = pool.loop.schedule(at: at) { self.timerFired() } }
    }

    private func timerFired() {
        timer = nil
        if let s = stream, !isClosed {
            // Relaying: cut when the worker has sent nothing for the stall time, unless the
            // client is the one holding it back.
            let now = MonotonicClock.nanoseconds()
            if s.paused || now < due {
                if s.paused { due = now + stallNanoseconds }
                timer = pool.loop.schedule(at: due) { self.timerFired() }
                return
            }
            return failStream("the worker sent nothing for \(ValueText.seconds(Double(stallNanoseconds) / 1e9)) in the middle of its answer")
        }
        guard !isClosed, done != nil else { return }
        if MonotonicClock.nanoseconds() < due {
            timer = pool.loop.schedule(at: due) { self.timerFired() }
            return
        }
        if connecting {
            return finish(.failed(SystemError("connect \(pool.address)", code: ETIMEDOUT).description))
        }
        guard let done else { return }
        self.done = nil
        done(.timedOut(self))
    }

    func writable() {
        if connecting {
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(http.socket.fd, SOL_SOCKET, SO_ERROR, &err, &len)
            guard err == 0 else { return finish(.failed(SystemError("connect \(pool.address)", code: err).description)) }
            connecting = false
            if done != nil { arm(deadline) }
        }
        canWrite = true
        if written < out.count { flush() }   // else the answer is awaited (or none is)
    }

    func readable(peerClosed: Bool) {
        if connecting { return writable() }   // a refused connect reports as both
        canRead = true
        if peerClosed { http.peerClosed = true }
        if stream != nil { return pumpStream() }
        if done == nil {
            // Idle: the worker closed the kept-alive connection (or sent what nobody asked).
            pool.forget(self)
            close()
            return
        }
        pump()
    }

    private func flush() {
        if canWrite && written < out.count {
            switch http.send(out, written: &written) {
            case .all: break
            case .wouldBlock: canWrite = false
            case let .failed(why): return finish(.failed(why))
            }
        }
        if canRead { pump() }
    }

    private func pump() {
        while done != nil && !isClosed {
            if canRead {
                switch http.receive(limit: HTTPLimits().body + 128 * 1024) {
                case let .data(drained):
                    answerBegan = true
                    if drained { canRead = false }
                case .wouldBlock:
                    canRead = false
                case .endOfStream:
                    canRead = false
                case let .failed(why):
                    return finish(.failed(why))
                }
            }
            if http.start == http.end {
                if http.eof { return finish(.failed("closed")) }
                return
            }
            if !http.worthParsing(headLimit: UpstreamConnection.headLimit) {
                if !canRead { return }
                continue
            }
            let method = self.method
            let deadline = self.deadline
            let streams = streamOptions != nil
            switch http.parseBuffered({ () throws -> Answer in
                let head = try http.readResponseHead(method: method, deadline: deadline)
                if streams && Self.streams(head) { return .head(head) }
                return .whole(try http.readResponseBody(head, deadline: deadline))
            }) {
            case let .message(.head(head)):
                return beginStream(head)
            case let .message(.whole(response)):
                let keep = !response.asksToClose && !http.eof
                let done = self.done!
                self.done = nil
                out = []
                written = 0
                if keep && http.start == http.end {
                    pool.release(self)
                } else {
                    close()
                }
                return done(.answered(response))
            case .incomplete:
                if http.eof { return finish(.failed("the connection closed in the middle of an answer")) }
                if !canRead { return }
            case let .failed(e):
                switch e {
                case let .malformed(_, message): return finish(.failed(message))
                case let .failed(why): return finish(.failed(why))
                case .closed: return finish(.failed("closed"))
                case .timeout: return finish(.failed("timed out"))
                }
            }
        }
    }

    /// Past this, a worker's unfinished head is parsed so the parser calls it too large.
    static let headLimit = HTTPLimits().requestLine + HTTPLimits().headerBytes + 4

    /// What a parse of the buffered answer gives: all of it, or (for a call that may stream)
    /// the head of one that streams.
    private enum Answer {
        case whole(HTTPResponse)
        case head(HTTPConnection.ResponseHead)
    }

    /// Whether an answer streams: it has a body, and it is chunked, runs until the connection
    /// closes, or is a `text/event-stream` (server-sent events, whatever their framing).
    static func streams(_ head: HTTPConnection.ResponseHead) -> Bool {
        if head.noBody { return false }
        return head.framing == .chunked || head.framing == .untilClose || isEventStream(head.headers)
    }

    /// The answer's head came and its body streams: the call is answered now with a stream,
    /// which the body's bytes go through as they come.
    private func beginStream(_ head: HTTPConnection.ResponseHead) {
        guard let options = streamOptions, let done = self.done else { return }
        self.done = nil
        var response = HTTPResponse(status: head.status, headers: head.headers)
        response.framingFaulty = head.mustClose
        let s = ResponseStream(isEventStream: Self.isEventStream(head.headers), hashes: options.hashes)
        response.stream = s
        stream = s
        decoder = BodyDecoder(head.framing)
        keepAfterStream = !response.asksToClose && head.framing != .untilClose
        s.onResume = { [weak self] in self?.pumpStream() }
        s.onCancel = { [weak self] in self?.close() }
        stallNanoseconds = Int64(options.stall * 1e9)
        arm(MonotonicClock.nanoseconds() + stallNanoseconds)
        out = []
        written = 0
        done(.answered(response))
        pumpStream()
    }

    private static func isEventStream(_ headers: [(name: String, value: String)]) -> Bool {
        guard let type = HTTPRequest.first("content-type", in: headers) else { return false }
        return type.utf8.count >= 17 && HTTPRequest.sameName(String(type.prefix(17)), "text/event-stream")
    }

    /// Relays what the worker sent of a streamed body: decodes the buffered bytes into the
    /// stream, and reads more while the client keeps up (a paused stream reads nothing: the
    /// worker is then held back by the kernel's buffers and TCP's window).
    private func pumpStream() {
        guard let s = stream else { return }
        while !isClosed && s.end == nil && stream === s {
            if http.start < http.end || http.eof {
                let eof = http.eof
                let from = http.start, to = http.end
                do {
                    let used = try http.buffer.withUnsafeBufferPointer { b in
                        try decoder.decode(UnsafeBufferPointer(rebasing: b[from..<to]), eof: eof) { s.push($0) }
                    }
                    http.start += used
                } catch let HTTPReadError.malformed(_, message) {
                    return failStream(message)
                } catch {
                    return failStream("\(error)")
                }
                if decoder.isDone { return endStream() }
                if s.end != nil || isClosed { return }
            }
            if s.paused || !canRead { return }
            switch http.receive(limit: Self.streamBuffer) {
            case let .data(drained):
                if drained { canRead = false }
                due = MonotonicClock.nanoseconds() + stallNanoseconds
            case .wouldBlock:
                canRead = false
            case .endOfStream:
                canRead = false
            case let .failed(why):
                return failStream(why)
            }
        }
    }

    /// The streamed body is whole: the connection is kept for the next call when its framing
    /// allows (and nothing more came), then the stream is finished.
    private func endStream() {
        guard let s = stream else { return }
        stream = nil
        streamOptions = nil
        if keepAfterStream && http.start == http.end && !http.eof {
            pool.release(self)
        } else {
            close()
        }
        s.finish()
    }

    /// The streamed body broke off.
    private func failStream(_ why: String) {
        let s = stream
        stream = nil
        close()
        s?.fail(why)
    }

    private func finish(_ outcome: UpstreamPool.Outcome) {
        let done = self.done
        self.done = nil
        close()
        if case .failed = outcome, retryable, !answerBegan, let done {
            // A kept-alive connection the worker had closed: once more, on a new one.
            return pool.send(out, method: method, deadline: deadline, connectTimeout: connectTimeout, retry: false, stream: streamOptions, done)
        }
        done?(outcome)
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        stream = nil   // a stream still open was ended by whoever closed it
        timer?.cancel()
        timer = nil
        pool.loop.deregister(http.socket.fd)
        http.socket.close()
    }
}
