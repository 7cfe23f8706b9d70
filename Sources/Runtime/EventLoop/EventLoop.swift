import CEventLoop
import Dispatch
import Glibc

/// What a descriptor registered on an `EventLoop` is told.
protocol EventLoopHandler: AnyObject {
    /// The descriptor may be read (or reached end of stream, or failed). `peerClosed`: the
    /// peer has finished sending, so reading must go on to the end of stream even after a
    /// short read (its end arrived with the last bytes, and no further edge will say so).
    func readable(peerClosed: Bool)
    /// The descriptor may be written (or a connect finished).
    func writable()
}

/// An epoll event loop on a thread of its own: descriptors, tasks and timers.
///
/// Descriptors are registered edge-triggered for reading and writing once, for their whole
/// life: a handler reads until the kernel has no more (or a short read says so) and writes
/// until it would block, and remembers that it may continue. So a request costs no
/// `epoll_ctl`, only the reads and writes themselves.
///
/// Everything registered with a loop is touched on its thread only. Other threads hand it
/// work with `execute`, which wakes the loop through an eventfd; work queued from the loop's
/// own thread (`enqueue`) runs after the events being handled, without a system call.
final class EventLoop: @unchecked Sendable {
    private let epoll: Int32
    private let wake: Int32
    private var handlers: [EventLoopHandler?] = []
    private var thread: pthread_t?
    private var running = true
    private var name = "event-loop"

    /// A queued task. Wrapped: a closure stored in an array as itself is re-abstracted to the
    /// array's generic representation, which allocates a thunk per task (three a request).
    private struct Task { let run: () -> Void }

    // Tasks from other threads, under `mutex`; `signalled` avoids a write per task.
    private var mutex = pthread_mutex_t()
    private var remote: [Task] = []
    private var signalled = false
    /// Tasks from the loop's own thread.
    private var local: [Task] = []
    /// The monotonic clock (ns) when the loop last woke: for deadlines measured in seconds
    /// (a connection's idle, head and body timeouts), which need no clock read of their own.
    /// Loop thread only.
    private(set) var now: Int64 = MonotonicClock.nanoseconds()
    private var timers = TimerHeap()
    private let finished = DispatchSemaphore(value: 0)
    private let started = DispatchSemaphore(value: 0)

    init() throws {
        epoll = cel_epoll_create()
        guard epoll >= 0 else { throw SystemError("epoll_create1") }
        wake = cel_eventfd()
        guard wake >= 0 else {
            Glibc.close(epoll)
            throw SystemError("eventfd")
        }
        _ = cel_epoll_ctl(epoll, 0, wake, 0, 0)
        pthread_mutex_init(&mutex, nil)
    }

    deinit {
        Glibc.close(wake)
        Glibc.close(epoll)
        pthread_mutex_destroy(&mutex)
    }

    /// Starts the loop's thread.
    func start(name: String) {
        self.name = name
        let box = Unmanaged.passRetained(self)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, 1 << 20)
        var t = pthread_t()
        pthread_create(&t, &attributes, { raw in
            let loop = Unmanaged<EventLoop>.fromOpaque(raw!).takeRetainedValue()
            loop.run()
            return nil
        }, box.toOpaque())
        pthread_attr_destroy(&attributes)
        pthread_detach(t)
        started.wait()   // so `inLoop` is right on every thread from here on
    }

    /// Whether the caller is on the loop's thread.
    var inLoop: Bool {
        guard let thread else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }

    /// Runs `task` on the loop, after whatever it is doing now. Any thread.
    func execute(_ task: @escaping () -> Void) {
        if inLoop {
            local.append(Task(run: task))
            return
        }
        pthread_mutex_lock(&mutex)
        remote.append(Task(run: task))
        let signal = !signalled
        signalled = true
        pthread_mutex_unlock(&mutex)
        if signal {
            var one: UInt64 = 1
            _ = Glibc.write(wake, &one, 8)
        }
    }

    /// Registers `fd` for reading and writing, edge-triggered. Loop thread only.
    func register(_ fd: Int32, _ handler: EventLoopHandler) { add(fd, handler, listener: false) }

    /// Registers a listening socket: level-triggered reads only. Loop thread only.
    func registerListener(_ fd: Int32, _ handler: EventLoopHandler) { add(fd, handler, listener: true) }

    private func add(_ fd: Int32, _ handler: EventLoopHandler, listener: Bool) {
        if Int(fd) >= handlers.count { handlers += Array(repeating: nil, count: Int(fd) + 1 - handlers.count + 64) }
        handlers[Int(fd)] = handler
        _ = cel_epoll_ctl(epoll, 0, fd, listener ? 0 : 1, listener ? 0 : 1)
    }

    /// Forgets `fd` (call before closing it). Loop thread only.
    func deregister(_ fd: Int32) {
        guard Int(fd) < handlers.count else { return }
        handlers[Int(fd)] = nil
        _ = cel_epoll_ctl(epoll, 2, fd, 0, 0)
    }

    /// Runs `task` on the loop at `deadline` (monotonic ns) unless cancelled first. Loop
    /// thread only.
    ///
    /// - Complexity: O(log n) in the timers pending.
    @discardableResult
    func schedule(at deadline: Int64, _ task: @escaping () -> Void) -> LoopTimer {
        let timer = LoopTimer(deadline: deadline, task: task)
        timers.push(timer)
        return timer
    }

    /// Ends the loop after the tasks queued before this call; waits for it to end. Not from
    /// the loop's thread.
    func stop() {
        execute { [self] in running = false }
        finished.wait()
    }

    private func run() {
        thread = pthread_self()
        cel_set_thread_name(name)
        started.signal()
        var fds = [Int32](repeating: 0, count: 256)
        var flags = [UInt32](repeating: 0, count: 256)
        while running {
            var timeout: Int32 = -1
            if !local.isEmpty {
                timeout = 0
            } else if let next = timers.nextDeadline {
                let left = next - MonotonicClock.nanoseconds()
                timeout = left <= 0 ? 0 : Int32(min(Int64(Int32.max), (left + 999_999) / 1_000_000))
            }
            let n = fds.withUnsafeMutableBufferPointer { f in
                flags.withUnsafeMutableBufferPointer { cel_epoll_wait(epoll, f.baseAddress, $0.baseAddress, Int32($0.count), timeout) }
            }
            now = MonotonicClock.nanoseconds()
            if n > 0 {
                for k in 0..<Int(n) {
                    let fd = fds[k]
                    if fd == wake {
                        var count: UInt64 = 0
                        _ = Glibc.read(wake, &count, 8)
                        takeRemote()
                        continue
                    }
                    let mask = flags[k]
                    // A handler may close another descriptor in this batch: look each up.
                    if mask & 0b101 != 0 {
                        if Int(fd) < handlers.count, let h = handlers[Int(fd)] { h.readable(peerClosed: mask & 0b1000 != 0) }
                    }
                    if mask & 0b110 != 0 {
                        if Int(fd) < handlers.count, let h = handlers[Int(fd)] { h.writable() }
                    }
                }
            }
            if timers.nextDeadline != nil {
                while let t = timers.popDue(now: now) { t.task?() ; t.task = nil }
            }
            runLocal()
            // Tasks from other threads that came while the loop was busy.
            if hasRemoteTasks { takeRemote(); runLocal() }
        }
        // Let go of what the handlers and tasks hold.
        handlers = []
        local = []
        timers = TimerHeap()
        finished.signal()
    }

    private var hasRemoteTasks: Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return !remote.isEmpty
    }

    private func takeRemote() {
        pthread_mutex_lock(&mutex)
        let tasks = remote
        remote = []
        signalled = false
        pthread_mutex_unlock(&mutex)
        local.append(contentsOf: tasks)
    }

    private func runLocal() {
        var i = 0
        // Tasks may queue more; they run in this pass too, in order.
        while i < local.count {
            let task = local[i]
            i += 1
            task.run()
        }
        local.removeAll(keepingCapacity: true)
    }
}

/// A task due at a time on an `EventLoop`; `cancel()` keeps it from running.
final class LoopTimer {
    let deadline: Int64
    fileprivate var task: (() -> Void)?
    fileprivate var sequence: UInt64 = 0

    fileprivate init(deadline: Int64, task: @escaping () -> Void) {
        self.deadline = deadline
        self.task = task
    }

    /// Keeps the task from running (its slot is dropped when it comes due). Loop thread only.
    func cancel() { task = nil }
}

/// A binary min-heap of timers ordered by (deadline, sequence).
struct TimerHeap {
    private var items: [LoopTimer] = []
    private var counter: UInt64 = 0

    /// The earliest deadline (a cancelled timer's too: it is popped with no task to run).
    var nextDeadline: Int64? { items.first?.deadline }

    private static func before(_ a: LoopTimer, _ b: LoopTimer) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.sequence < b.sequence
    }

    /// - Complexity: O(log n).
    mutating func push(_ t: LoopTimer) {
        counter += 1
        t.sequence = counter
        items.append(t)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard Self.before(items[i], items[p]) else { break }
            items.swapAt(i, p)
            i = p
        }
    }

    /// The earliest timer due at `now`, removed (cancelled ones are returned too: their task
    /// is nil).
    ///
    /// - Complexity: O(log n).
    mutating func popDue(now: Int64) -> LoopTimer? {
        guard let top = items.first, top.deadline <= now else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && Self.before(items[l], items[m]) { m = l }
                if r < items.count && Self.before(items[r], items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
