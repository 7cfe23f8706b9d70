import Glibc

/// Lines the runtime's writer threads say on standard error (a log that cannot be written,
/// a rotation that failed): one write(2) per line, so lines from several threads do not
/// interleave. Not FileHandle.write: that one traps when stderr is closed.
enum StandardError {
    static func say(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
