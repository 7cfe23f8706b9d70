import Dispatch
import Foundation

/// A synthetic source's arrivals, drawn ahead on a thread of their own, in batches.
///
/// A run of one plan leaves the machine's other cores idle, and drawing an arrival (a uniform,
/// a `log`, the target mix and token draws) is about a sixth of such a run's work. Yet it
/// depends on nothing the simulation does: sources are open-loop, with random streams of their
/// own. So the drawing thread runs the very same `SourceState.advance` on its own copy of the
/// source, and the run's loop takes the draws from a ring of batches instead of drawing them:
/// the arrivals are bit-identical to drawing them inline (the tests compare both ways).
///
/// Only synthetic processes are drawn ahead: a trace replay interns caller and version names
/// into the run's tables as it reads them.
///
/// The ring holds `batches` batches of `batchSize` draws: the thread fills one while the loop
/// reads another, and waits when the loop is a whole ring behind. A batch with fewer draws
/// than `batchSize` is the last (the source ended). `stop` ends the thread whatever its state;
/// the run calls it on every way out, so no thread outlives its run.
final class SourcePrefetch: @unchecked Sendable {
    /// One arrival: `SourceState`'s `next…` fields.
    struct Draw {
        var time: Int64
        var service: Int64
        var target: Int32
        var caller: Int32
        var version: Int32
        var input: Int32
        var output: Int32
    }

    /// Draws a batch: by default 8,192 of 40 bytes, 320 KB, so that handing a batch over (a
    /// wake-up of the other thread) is rare.
    let batchSize: Int
    /// Batches in the ring.
    static let batches = 4

    /// Whether a source's arrivals can be drawn ahead (a synthetic process).
    static func canDrawAhead(_ source: SourceState) -> Bool {
        switch source.process {
        case .trace, .functionCounts: return false
        default: return true
        }
    }

    private let buffer: UnsafeMutablePointer<Draw>
    /// Per batch: the draws in it. Written by the drawing thread before it signals `filled`.
    private let counts: UnsafeMutablePointer<Int>
    private let filled = DispatchSemaphore(value: 0)
    /// Rooms free in the ring. Made at 0 and signalled up to `batches`: libdispatch traps
    /// when a semaphore is freed below the value it was made with.
    private let free = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    /// Set by `stop`, under `lock`.
    private var cancelled = false
    /// Set by the drawing thread before it signals its last batch: what `advance` threw.
    private var failure: Error?

    // The reading side (the run's thread only).
    /// The batch being read, copied out of the ring in one go: read one draw at a time from
    /// the ring, every cache line would come from the drawing core on demand, slower than
    /// drawing inline (measured).
    private let local: UnsafeMutablePointer<Draw>
    private var batch = 0
    private var index = 0
    private var available = 0
    private var ended = false
    private var stopped = false

    /// Starts drawing `source`'s arrivals after the one it holds now.
    init(_ source: SourceState, batchSize: Int = 8192) {
        self.batchSize = Swift.max(1, batchSize)
        buffer = .allocate(capacity: self.batchSize * Self.batches)
        local = .allocate(capacity: self.batchSize)
        counts = .allocate(capacity: Self.batches)
        counts.initialize(repeating: 0, count: Self.batches)
        for _ in 0..<Self.batches { free.signal() }
        nonisolated(unsafe) let start = source
        let thread = Thread { [self] in self.draw(start) }
        thread.name = "headroom-arrivals"
        thread.start()
    }

    deinit {
        buffer.deallocate()   // Draw is trivial
        local.deallocate()
        counts.deallocate()
    }

    /// The drawing thread: fills batches until the source ends or the run stops it.
    private func draw(_ start: SourceState) {
        var source = start
        // Synthetic processes never touch the name tables; these only satisfy the signature.
        var callers = StringTable(), versions = StringTable()
        var b = 0
        while true {
            free.wait()
            lock.lock()
            let stop = cancelled
            lock.unlock()
            if stop { break }
            let base = buffer + b * batchSize
            var n = 0
            do {
                while n < batchSize {
                    try source.advance(callers: &callers, versions: &versions)
                    if source.exhausted { break }
                    base[n] = Draw(time: source.nextTime, service: source.nextService, target: source.nextTarget,
                                   caller: source.nextCaller, version: source.nextVersion,
                                   input: source.nextInput, output: source.nextOutput)
                    n += 1
                }
            } catch {
                failure = error
            }
            counts[b] = n
            filled.signal()
            if n < batchSize { break }
            b = (b + 1) % Self.batches
        }
        finished.signal()
    }

    /// Sets `source`'s next arrival to the next draw, or marks it exhausted, as
    /// `source.advance` would; rethrows what `advance` threw on the drawing thread.
    ///
    /// - Complexity: O(1); waits for the drawing thread only when it is behind.
    @inline(__always) func next(into source: inout SourceState) throws {
        if index == available {
            if !(try nextBatch()) { source.exhausted = true; return }
        }
        let d = local[index]
        index += 1
        source.nextTime = d.time
        source.nextService = d.service
        source.nextTarget = d.target
        source.nextCaller = d.caller
        source.nextVersion = d.version
        source.nextInput = d.input
        source.nextOutput = d.output
    }

    /// Copies the next batch out of the ring and hands its room back; false when the source
    /// ended.
    private func nextBatch() throws -> Bool {
        if ended {
            if let failure { throw failure }
            return false
        }
        filled.wait()
        available = counts[batch]
        local.update(from: buffer + batch * batchSize, count: available)
        free.signal()
        batch = (batch + 1) % Self.batches
        index = 0
        if available < batchSize {
            ended = true
            if available == 0 { return try nextBatch() }
        }
        return true
    }

    /// Ends the drawing thread and waits until it has. Called once, when the run ends.
    func stop() {
        guard !stopped else { return }
        stopped = true
        lock.lock()
        cancelled = true
        lock.unlock()
        free.signal()   // wakes it if it waits for room
        finished.wait()
    }
}
