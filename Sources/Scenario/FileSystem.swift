import Foundation
import Glibc

/// Making folders and writing files, with the system's own words for what went wrong.
///
/// Foundation's `createDirectory` reports failures on Linux as "The operation could not be
/// completed. (NSCocoaErrorDomain error 512.)" and `createFile` only as false, which tell a
/// user nothing; `mkdir`, `open`, `write` and `strerror` name the cause ("Not a directory",
/// "Permission denied", "No space left on device").
public enum FileSystem {
    /// Creates `path` and any missing parents, like `mkdir -p`.
    ///
    /// - Returns: nil on success, else what went wrong, naming the part of the path that
    ///   failed (e.g. "/tmp/a is a file, not a folder").
    public static func create(_ path: String) -> String? {
        let absolute = path.hasPrefix("/")
        var prefix = absolute ? "" : "."
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + part
            let shown = absolute ? prefix : String(prefix.dropFirst(2))
            var info = stat()
            if stat(prefix, &info) == 0 {
                if (info.st_mode & S_IFMT) != S_IFDIR { return "\(shown) is a file, not a folder" }
                continue
            }
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                return "cannot create \(shown): \(String(cString: strerror(errno)))"
            }
        }
        return nil
    }

    /// Creates the one folder `path` (its parent must exist).
    ///
    /// - Returns: nil on success, else the system's reason.
    public static func createOne(_ path: String) -> String? {
        mkdir(path, 0o755) == 0 ? nil : String(cString: strerror(errno))
    }

    /// Writes `bytes` to `path` whole or not at all: into a temporary file beside it, then
    /// renamed over it.
    ///
    /// - Returns: nil on success, else what went wrong (the temporary file is removed).
    public static func writeWhole(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) -> String? {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { return "cannot create \(temporary): \(String(cString: strerror(errno)))" }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let why = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                return "cannot write \(temporary): \(why)"
            }
            written += n
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            return "cannot replace \(path): \(why)"
        }
        return nil
    }

    /// Why a read failed: the errno and the system's words for it.
    public struct ReadFailure: Error {
        public let code: Int32
        public var reason: String { String(cString: strerror(code)) }
    }

    /// The whole content of `path`, read to its end (a regular file, a pipe or a device).
    ///
    /// - Complexity: O(n) in the file's size.
    public static func readWhole(_ path: String) -> Result<[UInt8], ReadFailure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(ReadFailure(code: errno)) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return .success(bytes) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(ReadFailure(code: errno))
            }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// Up to `limit` bytes from the start of the regular file at `path`, or nil when it is
    /// not a regular file (a folder, a pipe one must not consume) or cannot be read.
    ///
    /// Foundation's `FileHandle.readData(ofLength:)` traps on a read error (a folder gives
    /// EISDIR), so nothing here uses it.
    public static func head(of path: String, limit: Int) -> [UInt8]? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: limit)
        var filled = 0
        while filled < limit {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, limit - filled) }
            if n == 0 { break }
            if n < 0 { if errno == EINTR { continue }; return nil }
            filled += n
        }
        return Array(bytes[0..<filled])
    }
}
