import Foundation
import Digest
import Scenario

/// Checks audit logs: the hash chain across lines and files, record sequence numbers, and —
/// with the key — every digest's HMAC of the chain head.
public enum AuditVerifier {
    /// The fields the chain check needs, read from a line as the writer lays it out
    /// (`{"type":"…","seq":N,"prev":"…"` or `{"type":"…","prev":"…"`), without parsing the
    /// whole object; nil for any other shape (then the JSON parser decides). Any other change
    /// to a line changes its SHA-256, which the next line's `prev` catches.
    static func fastFields(_ line: ArraySlice<UInt8>) -> (type: String, seq: Int64?, prev: String)? {
        let typeKey = Array("{\"type\":\"".utf8)
        guard line.count > 90, line.starts(with: typeKey) else { return nil }
        var i = line.startIndex + typeKey.count
        let typeStart = i
        while i < line.endIndex, line[i] != UInt8(ascii: "\"") { i += 1 }
        guard i < line.endIndex else { return nil }
        let type = String(decoding: line[typeStart..<i], as: UTF8.self)
        i += 1
        var seq: Int64?
        let seqKey = Array(",\"seq\":".utf8)
        if line[i...].starts(with: seqKey) {
            i += seqKey.count
            var n: Int64 = 0, digits = 0
            while i < line.endIndex, line[i] >= 48, line[i] <= 57, digits < 18 { n = n * 10 + Int64(line[i] - 48); i += 1; digits += 1 }
            guard digits > 0 else { return nil }
            seq = n
        }
        let prevKey = Array(",\"prev\":\"".utf8)
        guard line[i...].starts(with: prevKey) else { return nil }
        i += prevKey.count
        guard line.endIndex - i > 65, line[i + 64] == UInt8(ascii: "\"") else { return nil }
        return (type, seq, String(decoding: line[i..<(i + 64)], as: UTF8.self))
    }

    public struct Report: Sendable {
        public var records = 0
        public var files = 0
        public var digests = 0
        /// Records after the last authenticated digest (with a key): not covered by a MAC.
        public var unauthenticated = 0
        /// The last file ends with an incomplete line (the writer was killed mid-write).
        public var truncated: (file: String, line: Int)?
        /// The first problem: file, line, what differs. Nil when all holds.
        public var failure: (file: String, line: Int, message: String)?
    }

    public static func verify(_ paths: [String], key: [UInt8]?) throws -> Report {
        var report = Report()
        // Files in chain order, by their header's file number: only the first line of each is
        // read here; then one file at a time is held in memory.
        var order: [(path: String, number: Int)] = []
        for path in paths {
            guard let head = FileSystem.head(of: path, limit: 4096).map({ Data($0) }) else {
                throw RuntimeError("\(path): cannot read the audit log (expected a file written by serve --audit-log)")
            }
            let first = head.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false).first ?? Data()
            guard let header = try? JSONSerialization.jsonObject(with: Data(first)) as? [String: Any],
                  header["type"] as? String == "header", let number = (header["file"] as? NSNumber)?.intValue else {
                report.failure = (path, 1, "not a Headroom audit log (no header line)")
                return report
            }
            order.append((path, number))
        }
        order.sort { $0.number < $1.number }
        func load(_ k: Int) throws -> (path: String, number: Int, lines: [ArraySlice<UInt8>], endsWithNewline: Bool) {
            guard let data = FileManager.default.contents(atPath: order[k].path) else { throw RuntimeError("\(order[k].path): cannot read the audit log") }
            let bytes = [UInt8](data)
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            let endsWithNewline = bytes.last == UInt8(ascii: "\n")
            if endsWithNewline { lines.removeLast() }
            return (order[k].path, order[k].number, lines, endsWithNewline)
        }
        var previousHash: String?
        var previousSeq: Int64?
        var previousFile: (path: String, number: Int, lineCount: Int)?
        for k in order.indices {
            let file = try load(k)
            defer { previousFile = (file.path, file.number, file.lines.count) }
            report.files += 1
            if let p = previousFile, file.number != p.number + 1 {
                report.failure = (file.path, 1, "file \(file.number) follows file \(p.number): file \(p.number + 1) is missing")
                return report
            }
            for (n, line) in file.lines.enumerated() {
                let lineNumber = n + 1
                let isLastLine = k == order.count - 1 && n == file.lines.count - 1
                let fast = fastFields(line)
                let object: [String: Any]? = fast == nil || fast?.type == "digest" || fast?.type == "header"
                    ? (try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]) : [:]
                guard let object, let type = fast?.type ?? object["type"] as? String, let prev = fast?.prev ?? object["prev"] as? String else {
                    if isLastLine && !file.endsWithNewline {
                        report.truncated = (file.path, lineNumber)
                        return report
                    }
                    report.failure = (file.path, lineNumber, "line \(lineNumber) is not an audit record (changed, or cut)")
                    return report
                }
                let recordSeq = fast?.seq ?? (object["seq"] as? NSNumber)?.int64Value
                if let expected = previousHash, prev != expected {
                    // The request's number, or for a digest or header the next request's: a
                    // record deleted just before a digest leaves that gap too.
                    let seq = type == "request" ? recordSeq : file.lines[(n + 1)...].lazy.compactMap { fastFields($0) }.first { $0.type == "request" }?.seq
                    if let seq, let last = previousSeq, seq != last + 1 {
                        report.failure = (file.path, lineNumber, "record \(last + 1)\(seq > last + 2 ? "–\(seq - 1)" : "") is missing before line \(lineNumber) (deleted): its prev does not match line \(lineNumber - 1)")
                    } else if n + 1 < file.lines.count, let next = try? JSONSerialization.jsonObject(with: Data(file.lines[n + 1])) as? [String: Any],
                              let nextPrev = next["prev"] as? String, nextPrev != SHA256.hex(Array(line)) {
                        // The next line does not match this one either: this line was changed
                        // (in its own prev, or anywhere: its hash moved too).
                        report.failure = (file.path, lineNumber, "line \(lineNumber) was changed: neither its prev matches line \(lineNumber - 1) nor its SHA-256 the prev of line \(lineNumber + 1)")
                    } else {
                        let at = n == 0 ? "the last line of file \(previousFile?.number ?? 0)" : "line \(lineNumber - 1)"
                        report.failure = (n == 0 ? previousFile?.path ?? file.path : file.path, n == 0 ? previousFile?.lineCount ?? 0 : lineNumber - 1,
                                          "\(at) was changed: its SHA-256 is not the prev that line \(lineNumber) records (\(prev.prefix(12))…)")
                    }
                    return report
                }
                if previousHash == nil && n == 0 && file.number == 1 && prev != AuditLog.zeros {
                    report.failure = (file.path, 1, "the first file's header must start the chain (prev of 64 zeros)")
                    return report
                }
                switch type {
                case "request":
                    let seq = recordSeq ?? -1
                    if let last = previousSeq, seq != last + 1 {
                        report.failure = (file.path, lineNumber, "record \(last + 1) is missing before line \(lineNumber) (deleted)")
                        return report
                    }
                    previousSeq = seq
                    report.records += 1
                    report.unauthenticated += 1
                case "digest":
                    if let key {
                        let mac = HMACSHA256.authenticate(Array(prev.utf8), key: key)
                        guard let recorded = (object["hmac"] as? String).flatMap(Hex.decode), HMACSHA256.constantTimeEqual(recorded, mac) else {
                            report.failure = (file.path, lineNumber, "the digest on line \(lineNumber) does not authenticate the chain head: the chain was recomputed without the key (records edited), or the key is not this log's")
                            return report
                        }
                        report.digests += 1
                        report.unauthenticated = 0
                    }
                case "header":
                    break
                default:
                    report.failure = (file.path, lineNumber, "unknown record type \"\(type)\"")
                    return report
                }
                previousHash = SHA256.hex(Array(line))
            }
        }
        if key == nil { report.unauthenticated = 0 }
        return report
    }
}

/// Answers questions of the audit trail: which version answered caller X on Tuesday.
public enum AuditQuery {
    public struct Filter: Sendable {
        public var caller: String?
        public var target: String?
        public var version: String?
        public var outcome: String?
        /// Inclusive bounds on the arrival time, as ISO 8601 text (compared as UTC text).
        public var from: String?
        public var to: String?
        public init() {}
    }

    /// The columns: requests.csv's, then the audit's own.
    public static let columns = ["plan", "id", "caller", "target", "model", "version", "arrival_s", "start_s", "end_s", "outcome", "cold",
                                 "node", "instance", "reason", "arrival", "status"]

    public static func rows(_ paths: [String], filter: Filter) throws -> [[String]] {
        var rows: [[String]] = []
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else { throw RuntimeError("\(path): cannot read the audit log") }
            // As `verify` does: a file without the header line is not an audit log (answering
            // "0 requests" for random bytes would read as an empty log).
            let first = data.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false).first ?? Data()
            guard let header = try? JSONSerialization.jsonObject(with: Data(first)) as? [String: Any], header["type"] as? String == "header" else {
                throw RuntimeError("\(path):1: not a Headroom audit log (no header line; expected a file written by serve --audit-log)")
            }
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], o["type"] as? String == "request" else { continue }
                func text(_ k: String) -> String {
                    switch o[k] {
                    case let s as String: return s
                    case let b as Bool: return b ? "true" : "false"
                    case let n as NSNumber: return n.stringValue
                    default: return ""
                    }
                }
                if let c = filter.caller, text("caller") != c { continue }
                if let t = filter.target, text("target") != t { continue }
                if let v = filter.version, text("version") != v { continue }
                if let x = filter.outcome, text("outcome") != x { continue }
                let arrival = text("arrival")
                if let from = filter.from, arrival < Self.normalized(from) { continue }
                if let to = filter.to, arrival > Self.normalized(to, end: true) { continue }
                rows.append(columns.map { k in k.hasSuffix("_s") ? (o[k] as? NSNumber).map { String(format: "%.6f", $0.doubleValue) } ?? "" : text(k) })
            }
        }
        return rows.sorted { $0[14] < $1[14] }
    }

    /// A bound as comparable UTC text: a date alone means its whole day.
    static func normalized(_ text: String, end: Bool = false) -> String {
        if text.count == 10 { return text + (end ? "T23:59:59.999999Z" : "T00:00:00.000000Z") }
        return text
    }
}
