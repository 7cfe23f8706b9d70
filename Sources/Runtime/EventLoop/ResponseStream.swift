import Digest

/// What receives a streamed answer's bytes: the client's connection.
protocol ResponseStreamSink: AnyObject {
    /// A piece of the body (valid only during the call).
    func streamBytes(_ bytes: UnsafeBufferPointer<UInt8>)
    /// The body ended: whole, or cut (the worker failed, stalled or closed mid-answer).
    func streamEnded(_ end: ResponseStream.End)
}

/// A worker's answer relayed to its client as it arrives, on one event loop: the worker's
/// connection pushes the body's bytes in, the client's connection takes them out.
///
/// Back-pressure: the client's connection pauses the stream while it holds more unsent bytes
/// than it may (a slow reader), and the worker's connection stops reading until it resumes,
/// so the kernel's buffers and then TCP's window hold the worker back: a slow client slows
/// its own stream and makes no buffer grow. Either side may end it: the worker's connection
/// when the body is whole or broke, the client's connection when its client went away
/// (`cancel`), which closes the worker's connection, as vLLM aborts a request whose client
/// disconnected.
///
/// It also times the answer for the metrics and the audit trail: its first byte and, for a
/// `text/event-stream`, the end of each event with data (`ServerSentEvents`).
///
/// Loop thread only. (`@unchecked Sendable` so an `HTTPResponse` can carry it between the
/// closures of one loop.)
final class ResponseStream: @unchecked Sendable {
    enum End: Equatable {
        case finished
        case failed(String)
        /// The client's side let go of it (its client disconnected, or read too slowly).
        case cancelled(String)

        /// The ends as `/metrics` labels them, in `ordinal` order.
        static let labels = ["finished", "failed", "cancelled"]
        var ordinal: Int {
            switch self {
            case .finished: return 0
            case .failed: return 1
            case .cancelled: return 2
            }
        }
    }

    /// A `text/event-stream` answer's events as they end (nil: not one).
    private var eventParser: ServerSentEvents?
    /// Monotonic ns of the first body byte and of the first event's end (0: none yet).
    private(set) var firstByte: Int64 = 0
    private(set) var firstEvent: Int64 = 0
    private(set) var lastEvent: Int64 = 0
    /// Events, and the gaps between consecutive events (seconds; the first `gapsKept`).
    private(set) var events = 0
    private(set) var gaps: [Double] = []
    static let gapsKept = 65_536
    private(set) var bytes = 0
    /// The body's SHA-256, for the audit trail (only when `hashes`).
    private var digest = SHA256()
    let hashes: Bool
    /// How it ended (nil: still going).
    private(set) var end: End?

    /// Bytes that came before the client's connection took the stream.
    private var pending: [UInt8] = []
    private weak var sink: ResponseStreamSink?
    private var attached = false
    /// Set by the client's side; the worker's side reads no more while it is.
    private(set) var paused = false
    /// The worker's side: called when reading may go on, and when the client let go.
    var onResume: (() -> Void)?
    var onCancel: (() -> Void)?
    /// Called once when it ends, in order (the core's bookkeeping, metrics, the audit record).
    private var observers: [(End) -> Void] = []

    init(isEventStream: Bool, hashes: Bool) {
        eventParser = isEventStream ? ServerSentEvents() : nil
        self.hashes = hashes
    }

    /// Adds something to do when the stream ends (at once if it has).
    func whenEnded(_ observer: @escaping (End) -> Void) {
        if let end { return observer(end) }
        observers.append(observer)
    }

    // MARK: The worker's side

    /// A piece of the body has come.
    ///
    /// - Complexity: O(n) for n bytes (an event stream's are scanned for event ends).
    func push(_ p: UnsafeBufferPointer<UInt8>) {
        guard end == nil, p.count > 0 else { return }
        let now = MonotonicClock.nanoseconds()
        if firstByte == 0 { firstByte = now }
        bytes += p.count
        if hashes { digest.update(p) }
        eventParser?.feed(p) { _ in
            if events > 0 {
                if gaps.count < Self.gapsKept { gaps.append(Double(now - lastEvent) / 1e9) }
            } else {
                firstEvent = now
            }
            lastEvent = now
            events += 1
        }
        if let sink { sink.streamBytes(p) } else if !attached { pending.append(contentsOf: p) }
    }

    /// The body is whole.
    func finish() { close(.finished) }

    /// The body broke off.
    func fail(_ why: String) { close(.failed(why)) }

    // MARK: The client's side

    /// The client's connection takes the stream: what came already is handed over at once.
    func attach(_ sink: ResponseStreamSink) {
        attached = true
        if !pending.isEmpty {
            let held = pending
            pending = []
            held.withUnsafeBufferPointer { sink.streamBytes($0) }
        }
        if let end { return sink.streamEnded(end) }
        self.sink = sink
    }

    func pause() { paused = true }

    func resume() {
        guard paused else { return }
        paused = false
        onResume?()
    }

    /// The client's side lets go (its client went away): the worker's connection is closed.
    func cancel(_ why: String) {
        guard end == nil else { return }
        sink = nil
        close(.cancelled(why))
    }

    /// The body's SHA-256 (hex), when hashed.
    func bodyDigest() -> String {
        var d = digest
        return Hex.encode(d.finalize())
    }

    private func close(_ how: End) {
        guard end == nil else { return }
        end = how
        onResume = nil
        if case .cancelled = how { onCancel?() }
        onCancel = nil
        if let sink {
            self.sink = nil
            sink.streamEnded(how)
        }
        let all = observers
        observers = []
        for o in all { o(how) }
    }
}
