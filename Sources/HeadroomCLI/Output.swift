import Foundation
import Glibc

/// Where the CLI writes text. The executable uses the process's stdout and stderr; tests
/// capture the text.
public protocol TextSink: AnyObject {
    func write(_ text: String)
    /// Whether this is an interactive terminal.
    var isTerminal: Bool { get }
}

/// A standard stream of the process, written with write(2) so nothing is buffered twice.
public final class StandardStream: TextSink, Sendable {
    let fd: Int32

    public static let output = StandardStream(fd: STDOUT_FILENO)
    public static let error = StandardStream(fd: STDERR_FILENO)

    init(fd: Int32) { self.fd = fd }

    public func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { return }
            offset += n
        }
    }

    public var isTerminal: Bool { isatty(fd) != 0 }
}

/// Text kept in memory, for tests.
/// Thread-safe: `serve` writes from the runtime's threads while a test reads.
public final class CapturedText: TextSink, @unchecked Sendable {
    private var stored = ""
    private let lock = NSLock()
    public init() {}
    public func write(_ text: String) {
        lock.lock()
        stored += text
        lock.unlock()
    }
    public var text: String {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
    /// The text so far.
    public var snapshot: String { text }
    public var isTerminal: Bool { false }
}
