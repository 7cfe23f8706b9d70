import Foundation
import Glibc
import Dispatch
import Reports

/// SIGINT and SIGTERM for the commands that must stop what they started before exiting
/// (`serve`, `loadgen`, `calibrate`).
///
/// libdispatch installs its own handler the first time a signal source for a signal is
/// resumed, and only then: setting the disposition again afterwards (`SIG_DFL` when a command
/// ends) would take the signal away from every later source in the process. So the sources
/// are made once, the disposition set once, and commands register and unregister handlers.
/// A signal with no handler registered ends the process as the default disposition would.
final class SignalHub: @unchecked Sendable {
    static let shared = SignalHub()

    private let lock = NSLock()
    private var handlers: [(id: Int, action: @Sendable (Int32) -> Void)] = []
    private var nextID = 0
    private var sources: [DispatchSourceSignal] = []

    /// Calls `action` with the signal's number on SIGINT or SIGTERM until `unregister`.
    func register(_ action: @escaping @Sendable (Int32) -> Void) -> Int {
        lock.lock()
        defer { lock.unlock() }
        if sources.isEmpty {
            for s in [SIGINT, SIGTERM] {
                signal(s, SIG_IGN)   // the source takes it, not the default handler
                let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
                source.setEventHandler { [self] in deliver(s) }
                source.resume()
                sources.append(source)
            }
        }
        nextID += 1
        handlers.append((nextID, action))
        return nextID
    }

    func unregister(_ id: Int) {
        lock.withLock { handlers.removeAll { $0.id == id } }
    }

    private func deliver(_ s: Int32) {
        let current = lock.withLock { handlers.map(\.action) }
        if current.isEmpty {
            signal(s, SIG_DFL)
            kill(getpid(), s)
            return
        }
        for action in current { action(s) }
    }
}

extension SignalHub {
    /// Until `unregister`, SIGINT or SIGTERM discards `staging` and ends the process with
    /// 128 + the signal's number (130, 143), saying so on `err`: the folder keeps what it held
    /// before. A commit under way is let finish first (the staging's lock), then the process
    /// ends all the same.
    func exitDiscarding(_ staging: ReportStaging, err: TextSink) -> Int {
        let sink = UncheckedSink(err)
        return register { s in
            staging.discard()
            sink.value.write("\ninterrupted (\(s == SIGINT ? "SIGINT" : "SIGTERM")): no report written; \(staging.directory) holds what it held before\n")
            exit(128 + s)
        }
    }
}

/// A text sink handed to a signal handler.
struct UncheckedSink: @unchecked Sendable {
    let value: TextSink
    init(_ value: TextSink) { self.value = value }
}

/// A reference a signal handler reads while the command replaces it (the run under way).
final class SharedReference<T: AnyObject>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
