import Foundation
import Scenario

/// Streams per-request rows (the audit trail) to a file as requests end, through a fixed
/// buffer: memory does not grow with the number of requests.
public final class RequestLogWriter {
    public let path: String
    let handle: UnsafeMutablePointer<FILE>
    var buffer: [UInt8] = []

    /// Written at the start of every row (the plan's name and a comma).
    let prefix: String

    public init(path: String, prefix: String = "") throws {
        self.prefix = prefix
        guard let f = fopen(path, "wb") else {
            throw SimulationError.io("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        handle = f
        buffer.reserveCapacity(1 << 16)
    }

    deinit { fclose(handle) }

    func append(_ s: String) { buffer.append(contentsOf: s.utf8) }
    func byte(_ b: UInt8) { buffer.append(b) }

    func flushIfNeeded() throws {
        if buffer.count >= 1 << 16 { try flush() }
    }

    public func flush() throws {
        if buffer.isEmpty { return }
        let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
        guard written == buffer.count else { throw SimulationError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and flushes the stream. Throws when any of it did not reach
    /// the file: stdio keeps up to a buffer of rows itself, and a full disk refuses them only
    /// here, so an unchecked flush would leave a short `requests.csv` that looks whole.
    public func close() throws {
        try flush()
        guard fflush(handle) == 0, ferror(handle) == 0 else {
            throw SimulationError.io("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Failures of a run that are not the scenario's fault.
/// A file could not be read or written.
public struct SimulationError: RaisedError, CustomStringConvertible, Sendable {
    public let description: String
    public let raisedAt: String

    /// An input or output failure, saying which file and why.
    public static func io(_ message: String, raisedIn sourceFile: String = #fileID, at sourceLine: Int = #line) -> SimulationError {
        SimulationError(description: message, raisedAt: "\(sourceFile):\(sourceLine)")
    }
}

/// Deterministic number formatting for CSV files: fixed decimals, no locale, no exponent.
public enum CSVNumber {
    /// Nanoseconds as seconds with 6 decimals ("12.000250").
    public static func seconds(_ ns: Int64) -> String {
        let micro = (ns >= 0 ? ns + 500 : ns - 500) / 1000
        return fixedFromScaled(micro, decimals: 6)
    }

    /// A double with `decimals` decimals, rounded half away from zero.
    public static func fixed(_ x: Double, _ decimals: Int) -> String {
        guard x.isFinite else { return "" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (x * scale).rounded(.toNearestOrAwayFromZero)
        guard abs(scaled) < 9e18 else { return String(x) }
        return fixedFromScaled(Int64(scaled), decimals: decimals)
    }

    static func fixedFromScaled(_ v: Int64, decimals: Int) -> String {
        if decimals == 0 { return String(v) }
        // Digits written backwards into a stack buffer: one String per number, no
        // intermediate strings (timeseries.csv formats millions of these).
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { buffer in
            var i = buffer.count
            var magnitude = v.magnitude
            var written = 0
            repeat {
                i -= 1
                buffer[i] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
                magnitude /= 10
                written += 1
                if written == decimals {
                    i -= 1
                    buffer[i] = 0x2E   // "."
                }
            } while magnitude > 0 || written <= decimals
            if v < 0 {
                i -= 1
                buffer[i] = 0x2D       // "-"
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[i...]), as: UTF8.self)
        }
    }

    /// A field quoted for CSV when it holds a comma, quote or line break.
    public static func field(_ s: String) -> String {
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }
}
