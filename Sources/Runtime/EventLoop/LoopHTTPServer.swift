import CEventLoop
import Dispatch
import Glibc

/// An HTTP/1.1 server on an `EventLoop`: every connection is a small state machine on the
/// loop's thread, so a connection costs a buffer rather than a thread, and a request costs its
/// reads and writes rather than two thread wake-ups.
///
/// At most `maxConnections` are open at once (beyond that a new connection gets a 503 and is
/// closed, not queued). Keep-alive, size limits and the idle, head and body timeouts come from
/// `HTTPLimits`; a slow client is cut when its timeout passes without stalling any other.
///
/// The handler is called on the loop's thread and must not block: it answers through the
/// `respond` it is given, from any thread, once.
final class LoopHTTPServer: @unchecked Sendable {
    typealias Respond = @Sendable (HTTPResponse) -> Void
    typealias Handler = (HTTPRequest, _ loop: EventLoop, _ respond: @escaping Respond) -> Void

    let address: SocketAddress
    let loop: EventLoop
    let limits: HTTPLimits
    let maxConnections: Int
    let handler: Handler
    /// Told of a request the server itself refused before the handler saw it (malformed,
    /// too large, too slow), with the answer it sent: the audit trail records those too. Set
    /// before `start`; called on the loop's thread.
    var onRefused: ((HTTPResponse) -> Void)?
    /// Reshapes the answer to a refused request whose request line was read, by its target
    /// (the Lambda Invoke API's error shape on its path). Set before `start`.
    var shapeRefusal: ((String, HTTPResponse) -> HTTPResponse)?
    private let listener: Socket
    private var acceptor: Acceptor?

    // Loop thread only.
    private var open: [ObjectIdentifier: ServerConnection] = [:]
    var stopping = false
    private var drained: DispatchSemaphore?

    private let counts = Atomic((open: 0, refused: 0))
    /// The longest a connection's timer waits before looking at its deadline again: the
    /// shortest of the timeouts, so no deadline can fall before the timer (ns).
    let timerStep: Int64

    init(address: SocketAddress, limits: HTTPLimits, maxConnections: Int, loop: EventLoop, handler: @escaping Handler) throws {
        listener = try Socket.listen(address)
        self.address = SocketAddress(host: address.host, port: listener.localPort)
        self.limits = limits
        self.maxConnections = maxConnections
        self.loop = loop
        self.handler = handler
        timerStep = Int64(max(0.001, min(limits.idleTimeout, limits.headTimeout, limits.bodyTimeout)) * 1e9)
        let flags = fcntl(listener.fd, F_GETFL)
        _ = fcntl(listener.fd, F_SETFL, flags | O_NONBLOCK)
    }

    /// Connections open now, and refused for the limit so far.
    var connectionCounts: (open: Int, refused: Int) { counts.load }

    /// Starts accepting (on the loop).
    func start() {
        loop.execute { [self] in
            let a = Acceptor(server: self)
            acceptor = a
            loop.registerListener(listener.fd, a)
        }
    }

    fileprivate func acceptAll() {
        while true {
            let fd = cel_accept(listener.fd)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                // EAGAIN: none left. EMFILE/ENFILE: out of descriptors; the listener stays
                // readable and is tried again on the next turn of the loop.
                return
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let socket = Socket(fd: fd)
            if stopping || open.count >= maxConnections {
                let busy = HTTPResponse.error(503, stopping ? "the server is shutting down" : "too many connections (the limit is \(maxConnections))")
                if !stopping {
                    counts.withLock { $0.refused += 1 }
                    onRefused?(busy)   // no request was read: refused before any
                }
                try? socket.write(busy.serialized(close: true))
                socket.close()
                continue
            }
            let c = ServerConnection(socket: socket, server: self)
            open[ObjectIdentifier(c)] = c
            counts.withLock { $0.open = open.count }
            loop.register(fd, c)
            c.armIdle()
        }
    }

    fileprivate func closed(_ c: ServerConnection) {
        open.removeValue(forKey: ObjectIdentifier(c))
        counts.withLock { $0.open = open.count }
        if stopping && open.isEmpty { drained?.signal() }
    }

    /// Stops accepting, closes idle connections, and waits up to `grace` seconds for
    /// connections with a request in progress to finish; then cuts them and ends the loop.
    func stop(grace: Double = 0) {
        let done = DispatchSemaphore(value: 0)
        loop.execute { [self] in
            stopping = true
            drained = done
            loop.deregister(listener.fd)
            listener.close()
            for c in Array(open.values) { c.stopIfIdle() }
            if open.isEmpty { done.signal() }
        }
        if done.wait(timeout: .now() + max(0, grace)) == .timedOut {
            let cut = DispatchSemaphore(value: 0)
            loop.execute { [self] in
                for c in Array(open.values) { c.close() }
                cut.signal()
            }
            cut.wait()
        }
    }
}

/// The listening socket's handler.
private final class Acceptor: EventLoopHandler {
    unowned let server: LoopHTTPServer
    init(server: LoopHTTPServer) { self.server = server }
    func readable(peerClosed: Bool) { server.acceptAll() }
    func writable() {}
}

/// One client connection: reads a request, hands it to the handler, writes the answer, and
/// reads the next (pipelined requests wait in the kernel's buffer meanwhile).
///
/// A streamed answer (`HTTPResponse.stream`) is written as it comes: its head at once, then
/// each piece of its body as a chunk (to an HTTP/1.1 client; to an HTTP/1.0 one, raw, and
/// the connection closes at its end). While more than `streamHighWater` bytes wait to be
/// written the stream is paused, so a slow reader holds back its own worker and no buffer
/// grows; a client that reads nothing for `bodyTimeout` is cut, and one that disconnects
/// cancels the stream (which closes the worker's connection).
final class ServerConnection: EventLoopHandler, ResponseStreamSink, @unchecked Sendable {
    private let http: HTTPConnection
    private unowned let server: LoopHTTPServer
    private var limits: HTTPLimits { server.limits }

    /// The socket may have bytes to read / room to write (edge-triggered: until told no).
    private var canRead = false
    private var canWrite = true
    /// A request is with the handler.
    private var busy = false
    private var isClosed = false
    /// Bytes of the answer still to write, and whether to close after them.
    private var out: [UInt8] = []
    private var written = 0
    private var closeAfterWrite = false
    /// A streamed answer being written, whether it is framed in chunks, and whether its end
    /// has been queued in `out`.
    private var streaming: ResponseStream?
    private var chunkedStream = true
    private var streamDone = false
    /// Why a stream is cancelled if the connection closes now.
    private var cutReason = "the client disconnected"
    /// The request being answered is HTTP/1.0 (a streamed answer then runs until close).
    private var http10 = false
    /// Unsent bytes of a streamed answer past which its stream is paused.
    static let streamHighWater = 64 * 1024

    /// When the connection is cut if nothing happens, and what that means. `streaming`: a
    /// streamed answer waits for its worker, which its own stall timeout bounds.
    private enum Phase { case idle, head, body, writing, streaming }
    private var phase = Phase.idle
    private var deadline: Int64 = 0
    private var timer: LoopTimer?

    init(socket: Socket, server: LoopHTTPServer) {
        http = HTTPConnection(socket: socket, bufferSize: 16 * 1024)
        http.nonblocking = true
        self.server = server
    }

    private var headLimit: Int { limits.requestLine + limits.headerBytes + 4 }

    func readable(peerClosed: Bool) {
        canRead = true
        if peerClosed { http.peerClosed = true }
        if streaming != nil {
            // A client that hung up in the middle of its stream: the worker's request is
            // cancelled (its bytes would go nowhere).
            if peerClosed { close() }
            return
        }
        if !busy && out.isEmpty { pump() }
    }

    func writable() {
        canWrite = true
        if !out.isEmpty { flush() }
    }

    func armIdle() { setDeadline(.idle, seconds: limits.idleTimeout) }

    /// Moves the deadline (a store per phase, four a request). The one timer is never
    /// cancelled: it fires at most `server.timerStep` after it was armed and re-arms itself
    /// until the deadline, so a deadline moved earlier (idle → head) is still caught in time.
    /// (Cancelling and re-arming it per request left a cancelled timer in the loop's heap for
    /// each request until its time, and cost two allocations a request.)
    private func setDeadline(_ p: Phase, seconds: Double) {
        phase = p
        deadline = server.loop.now + Int64(seconds * 1e9)
        if timer == nil { armTimer(now: server.loop.now) }
    }

    private func armTimer(now: Int64) {
        // Strong: `close` cancels the timer, which lets go of the connection.
        timer = server.loop.schedule(at: min(deadline, now + server.timerStep)) { self.timerFired() }
    }

    private func timerFired() {
        timer = nil
        guard !isClosed else { return }
        let now = server.loop.now
        if busy || now < deadline {
            // Busy: the handler's timeout applies; the phase after the answer sets the deadline.
            armTimer(now: now)
            return
        }
        switch phase {
        case .streaming:
            armTimer(now: now)
        case .idle, .writing:
            if streaming != nil { cutReason = "the client read nothing of its stream for \(ValueText.seconds(limits.bodyTimeout))" }
            close()   // an idle keep-alive connection, or a client that does not read its answer
        case .head, .body:
            // The request began and stalled: a slow (or slowloris) client.
            refuse(.error(408, "the request was not received in time"))
        }
    }

    /// Reads and parses until a request is complete, the socket has nothing more, or the
    /// connection ends.
    private func pump() {
        while !busy && !isClosed && out.isEmpty {
            if canRead {
                switch http.receive(limit: limits.body + headLimit) {
                case let .data(drained):
                    if drained { canRead = false }
                case .wouldBlock:
                    canRead = false
                case .endOfStream:
                    canRead = false
                case .failed:
                    close()
                    return
                }
            }
            let buffered = http.end - http.start
            if buffered == 0 {
                if http.eof { close(); return }
                if !canRead { return }
                continue
            }
            if phase == .idle { setDeadline(.head, seconds: limits.headTimeout) }
            let hadHead = http.headDone
            let worth = http.worthParsing(headLimit: headLimit)
            if !hadHead && http.headDone { setDeadline(.body, seconds: limits.bodyTimeout) }
            if !worth {
                if !canRead { return }
                continue
            }
            switch http.parseBuffered({ try http.readRequest(limits: limits) }) {
            case let .message(request):
                begin(request)
            case .incomplete:
                if http.eof { refuse(.error(400, "the connection closed in the middle of a request")); return }
                if !canRead { return }
            case let .failed(e):
                switch e {
                case let .malformed(status, message): refuse(.error(status, message))
                default: close()
                }
                return
            }
        }
    }

    private func begin(_ request: HTTPRequest) {
        busy = true
        http10 = request.version == "HTTP/1.0"
        let loop = server.loop
        let keepAlive = request.keepAlive
        // Strong: the connection lives until it is answered (a closed one ignores the answer).
        server.handler(request, loop) { response in
            loop.execute { self.finish(keepAlive: keepAlive, response) }
        }
    }

    private func finish(keepAlive: Bool, _ response: HTTPResponse) {
        guard busy, !isClosed else {
            response.stream?.cancel("the client's connection closed before its answer began")
            return
        }
        busy = false
        let close = !keepAlive || server.stopping || response.asksToClose
        if let stream = response.stream { return beginStream(stream, response, close: close) }
        send(response.serialized(close: close), thenClose: close)
    }

    /// Writes a streamed answer's head, then its body as it comes.
    private func beginStream(_ stream: ResponseStream, _ response: HTTPResponse, close: Bool) {
        streaming = stream
        chunkedStream = !http10
        streamDone = false
        cutReason = "the client disconnected"
        out = response.serializedHead(close: close, chunked: chunkedStream)
        written = 0
        closeAfterWrite = close || !chunkedStream
        setDeadline(.writing, seconds: limits.bodyTimeout)
        stream.attach(self)   // what came already is queued now
        flush()
    }

    func streamBytes(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard !isClosed, !streamDone else { return }
        if written > 0 && written == out.count {
            out.removeAll(keepingCapacity: true)
            written = 0
        }
        if chunkedStream {
            out.append(contentsOf: String(bytes.count, radix: 16).utf8)
            out.append(13)
            out.append(10)
            out.append(contentsOf: bytes)
            out.append(13)
            out.append(10)
        } else {
            out.append(contentsOf: bytes)
        }
        if out.count - written > Self.streamHighWater { streaming?.pause() }
        flush()
    }

    func streamEnded(_ end: ResponseStream.End) {
        guard !isClosed, !streamDone else { return }
        streamDone = true
        switch end {
        case .finished:
            if chunkedStream { out.append(contentsOf: "0\r\n\r\n".utf8) }
        case .failed, .cancelled:
            // Cut: what came is written, then the connection closes without the last chunk,
            // so the client sees its answer end in error rather than look complete.
            closeAfterWrite = true
        }
        flush()
    }

    /// Answers a request the handler never saw, tells `onRefused`, and closes.
    private func refuse(_ response: HTTPResponse) {
        var response = response
        if let shape = server.shapeRefusal, let target = http.bufferedTarget { response = shape(target, response) }
        server.onRefused?(response)
        send(response.serialized(close: true), thenClose: true)
    }

    private func send(_ bytes: [UInt8], thenClose: Bool) {
        out = bytes
        written = 0
        closeAfterWrite = thenClose
        setDeadline(.writing, seconds: limits.bodyTimeout)
        flush()
    }

    private func flush() {
        guard canWrite else { return }
        let before = written
        switch http.send(out, written: &written) {
        case .all: break
        case .wouldBlock:
            canWrite = false   // the rest when the socket has room
            // A stream's reader is cut when it takes nothing for the body timeout.
            if streaming != nil && written > before { setDeadline(.writing, seconds: limits.bodyTimeout) }
            return
        case .failed: close(); return
        }
        if let s = streaming {
            if !streamDone {
                // All written: wait for the worker's next piece.
                setDeadline(.streaming, seconds: limits.bodyTimeout)
                s.resume()
                return
            }
            streaming = nil
        }
        out = []
        written = 0
        if closeAfterWrite || server.stopping {
            close()
            return
        }
        armIdle()
        pump()   // a pipelined request may be buffered already
    }

    /// At shutdown: closes the connection unless a request is in progress.
    func stopIfIdle() {
        if !busy && out.isEmpty && streaming == nil { close() }
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        if let s = streaming {
            streaming = nil
            s.cancel(cutReason)
        }
        timer?.cancel()
        timer = nil
        server.loop.deregister(http.socket.fd)
        http.socket.close()
        server.closed(self)
    }
}
