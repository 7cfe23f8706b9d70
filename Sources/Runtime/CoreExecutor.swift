import Dispatch
import Glibc

/// The one serial executor that touches the scheduler core.
///
/// A mutex makes it serial: `sync` runs its block on the calling thread while holding it, so
/// a connection thread feeds the core itself and finds the core's answer (a dispatch, a
/// rejection) in its mailbox when `sync` returns — no thread hand-off on the request path.
/// Work that must not run inline (a callback from inside an action, a timer) goes through
/// `async`/`asyncAfter`: a serial dispatch queue whose blocks take the same mutex, so they
/// run in the order they were queued and never overlap any other block.
///
/// (A `DispatchQueue.sync` gives the same exclusion, but under contention libdispatch parks
/// and wakes waiters through its slow path: with 64 connections that was a third of the
/// runtime's CPU time. An adaptive mutex spins briefly first.)
final class CoreExecutor: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private let deferred = DispatchQueue(label: "headroom.core.deferred")
    #if HEADROOM_INVARIANTS
    private var owner: pthread_t?
    #endif

    init() {
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        pthread_mutex_init(&mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    /// Runs `block` on this thread with the executor held. Never call it from a block already
    /// on the executor (the mutex is not recursive): use `async` there.
    func sync<T>(execute block: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        #if HEADROOM_INVARIANTS
        owner = pthread_self()
        #endif
        defer {
            #if HEADROOM_INVARIANTS
            owner = nil
            #endif
            pthread_mutex_unlock(&mutex)
        }
        return try block()
    }

    /// Runs `block` later, on the executor, after the blocks queued before it.
    func async(_ block: @escaping @Sendable () -> Void) {
        deferred.async { self.sync(execute: block) }
    }

    /// Runs `block` on the executor at `deadline`.
    func asyncAfter(deadline: DispatchTime, execute block: @escaping @Sendable () -> Void) {
        deferred.asyncAfter(deadline: deadline) { self.sync(execute: block) }
    }

    /// Checks (when built with HEADROOM_INVARIANTS) that the caller holds the executor.
    func assertHeld() {
        #if HEADROOM_INVARIANTS
        precondition(owner.map { pthread_equal($0, pthread_self()) != 0 } ?? false, "the core was touched off its executor")
        #endif
    }
}
