import Dispatch
import Foundation

/// Values drawn ahead on a thread of their own, in batches, for a run's loop to take in order.
///
/// A run of one plan leaves the machine's other cores idle, while some of its work does not
/// depend on the simulation at all: the arrivals of an open-loop source, and the uniforms (and
/// their logarithms) of a random stream. A `DrawAhead` runs that work on another thread with
/// the same code and the same streams, so what the loop takes is bit-identical to drawing it
/// inline (the tests compare both ways).
///
/// The ring holds `batches` batches of `batchSize` values: the thread fills one while the loop
/// reads another, and waits when the loop is a whole ring behind. The loop copies a batch out
/// of the ring in one go: read one value at a time from the ring, every cache line would come
/// from the drawing core on demand, which measured slower than drawing inline. A batch with
/// fewer values than `batchSize` is the last (the values ended, or `fill` threw).
///
/// `stop` ends the thread whatever its state; its owner calls it on every way out (the thread
/// holds the ring until then), so no thread outlives its run.
final class DrawAhead<Element>: @unchecked Sendable {
    /// Values a batch holds.
    let batchSize: Int
    /// Batches in the ring. The loop hands them back half a ring at a time: each hand-back
    /// wakes the waiting thread (a system call and an interrupt of the other core), which
    /// then fills them all.
    static var batches: Int { 8 }

    private let ring: UnsafeMutablePointer<Element>
    /// Per batch: the values in it. Written by the drawing thread before it signals `filled`.
    private let counts: UnsafeMutablePointer<Int>
    private let filled = DispatchSemaphore(value: 0)
    /// Rooms free in the ring. Made at 0 and signalled up to `batches`: libdispatch traps when
    /// a semaphore is freed below the value it was made with.
    private let free = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    /// Set by `stop`, under `lock`.
    private var cancelled = false
    /// Set by the drawing thread before it signals its last batch: what `fill` threw.
    private var failure: Error?

    // The reading side (the loop's thread only).
    /// The batch being read, copied out of the ring.
    private let local: UnsafeMutablePointer<Element>
    /// The next value to read in `local`, and the values there.
    private var index = 0
    private var available = 0
    private var batch = 0
    /// Batches copied out but not yet handed back.
    private var copied = 0
    private var ended = false
    private var stopped = false

    /// Starts a thread named `name` (at most 15 bytes: Linux's limit, beyond which the name
    /// is refused) that fills batches with `fill(buffer, capacity)`: it
    /// writes up to `capacity` values and returns how many (fewer: there are no more).
    init(batchSize: Int, name: String, fill: @escaping (UnsafeMutablePointer<Element>, Int) throws -> Int) {
        precondition(_isPOD(Element.self), "DrawAhead moves plain values only (its buffers are never deinitialised)")
        self.batchSize = Swift.max(1, batchSize)
        ring = .allocate(capacity: self.batchSize * Self.batches)
        local = .allocate(capacity: self.batchSize)
        counts = .allocate(capacity: Self.batches)
        counts.initialize(repeating: 0, count: Self.batches)
        for _ in 0..<Self.batches { free.signal() }
        nonisolated(unsafe) let fill = fill
        Thread { [self] in
            Self.nameCurrentThread(name)
            self.draw(fill)
        }.start()
    }

    /// Names the calling thread (as `top -H`, `perf` and /proc show it) by writing
    /// /proc/thread-self/comm (Linux 3.17+). `Thread.current.name` did not always take:
    /// Foundation on Linux applies it only once the thread's creator has recorded its handle,
    /// which races with the thread's first instructions. (The runtime calls
    /// pthread_setname_np through its C module, CEventLoop; the simulator has no C module and
    /// needs none for this.) Naming is for people reading process listings; where /proc is
    /// missing the thread runs unnamed.
    static func nameCurrentThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        guard fd >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    deinit {
        // Element is trivial (plain numbers): nothing to deinitialise.
        ring.deallocate()
        local.deallocate()
        counts.deallocate()
    }

    /// The drawing thread: fills batches until the values end or `stop`.
    private func draw(_ fill: (UnsafeMutablePointer<Element>, Int) throws -> Int) {
        var b = 0
        while true {
            free.wait()
            lock.lock()
            let stop = cancelled
            lock.unlock()
            if stop { break }
            var n = 0
            do {
                n = try fill(ring + b * batchSize, batchSize)
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

    /// The next value, in the order drawn; nil once the values ended. Rethrows what `fill`
    /// threw, once the values drawn before it were taken.
    ///
    /// - Complexity: O(1) amortized; waits only when the drawing thread is behind.
    @inline(__always) func next() throws -> Element? {
        if index == available, !(try nextBatch()) { return nil }
        let value = local[index]
        index += 1
        return value
    }

    /// Copies the next batch out of the ring into `local` and hands its room back; false when
    /// the values ended.
    ///
    /// - Complexity: O(batch size).
    private func nextBatch() throws -> Bool {
        if ended {
            if let failure { throw failure }
            return false
        }
        filled.wait()
        available = counts[batch]
        local.update(from: ring + batch * batchSize, count: available)
        copied += 1
        if copied == Self.batches / 2 {
            // Never more than half a ring held back, so the thread always has the other half
            // filled or filling: the loop cannot wait for a batch the thread waits to fill.
            for _ in 0..<copied { free.signal() }
            copied = 0
        }
        batch = (batch + 1) % Self.batches
        index = 0
        if available < batchSize {
            ended = true
            if available == 0 { return try nextBatch() }
        }
        return true
    }

    /// Ends the drawing thread and waits until it has. Later calls do nothing.
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
