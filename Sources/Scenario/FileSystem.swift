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
}
