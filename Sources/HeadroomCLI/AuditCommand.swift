import Foundation
import Glibc
import Scenario
import Simulator
import Reports
import Runtime

/// The audit HMAC key: a file of random bytes kept apart from the log.
enum AuditKeyFile {
    /// Reads the key, or creates the file with 32 random bytes (mode 0600) when it does not exist.
    static func loadOrCreate(_ path: String, say: (String) -> Void) throws -> [UInt8] {
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count >= 16 else { throw RuntimeError("\(path): an audit key needs at least 16 bytes; this file has \(data.count)") }
            return [UInt8](data)
        }
        guard !FileManager.default.fileExists(atPath: path) else { throw RuntimeError("\(path): cannot read the audit key") }
        var random = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        guard FileManager.default.createFile(atPath: path, contents: Data(key), attributes: [.posixPermissions: 0o600]) else {
            throw RuntimeError("\(path): cannot create the audit key")
        }
        say("created audit key \(path) (32 random bytes, mode 0600): keep it apart from the log")
        return key
    }

    static func load(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 16 else {
            throw RuntimeError("\(path): cannot read an audit key (at least 16 bytes)")
        }
        return [UInt8](data)
    }
}

/// `headroom audit verify PATH… [--audit-key FILE]` and `headroom audit query PATH… [filters] [--csv]`.
enum AuditCommand {
    static func execute(_ arguments: [String], out: TextSink, err: TextSink) throws -> Int32 {
        guard let sub = arguments.first, sub == "verify" || sub == "query" else {
            throw UsageError(message: arguments.isEmpty ? "Missing subcommand: 'verify' or 'query'" : "Unknown subcommand '\(arguments[0])'; expected 'verify' or 'query'",
                             usage: Help.audit.usage, subcommand: "audit")
        }
        var paths: [String] = []
        var keyFile: String?
        var filter = AuditQuery.Filter()
        var csv = false
        var k = 1
        func value(_ option: String) throws -> String {
            k += 1
            guard k < arguments.count else { throw UsageError(message: "Missing value for '\(option)'", usage: Help.audit.usage, subcommand: "audit") }
            return arguments[k]
        }
        while k < arguments.count {
            let a = arguments[k]
            switch (sub, a) {
            case ("verify", "--audit-key"): keyFile = try value(a)
            case ("query", "--caller"): filter.caller = try value(a)
            case ("query", "--target"): filter.target = try value(a)
            case ("query", "--version"): filter.version = try value(a)
            case ("query", "--outcome"): filter.outcome = try value(a)
            case ("query", "--from"): filter.from = try value(a)
            case ("query", "--to"): filter.to = try value(a)
            case ("query", "--csv"): csv = true
            default:
                if a.hasPrefix("-") { throw UsageError(message: "Unknown option '\(a)' for 'audit \(sub)'", usage: Help.audit.usage, subcommand: "audit") }
                paths.append(a)
            }
            k += 1
        }
        guard !paths.isEmpty else { throw UsageError(message: "Missing expected argument '<path>'", usage: Help.audit.usage, subcommand: "audit") }
        if sub == "verify" {
            let report = try AuditVerifier.verify(paths, key: try keyFile.map { try AuditKeyFile.load($0) })
            if let f = report.failure {
                out.write("\(f.file):\(f.line): \(f.message)\n")
                out.write("verification failed after \(report.records) good records\n")
                return 1
            }
            var line = "verified \(report.records) records in \(report.files) file\(report.files == 1 ? "" : "s")"
            if keyFile != nil { line += ", \(report.digests) digest\(report.digests == 1 ? "" : "s") authenticated" }
            out.write(line + "\n")
            if let t = report.truncated {
                out.write("note: \(t.file):\(t.line) is an incomplete last line (the writer stopped mid-write, e.g. killed): records up to it verified\n")
            }
            if keyFile != nil && report.unauthenticated > 0 {
                out.write("note: the last \(report.unauthenticated) record\(report.unauthenticated == 1 ? " is" : "s are") after the last digest: chained, not authenticated by the key\n")
            }
            if keyFile == nil { out.write("note: without --audit-key the digests were not checked: a log rewritten whole would pass\n") }
            return 0
        }
        let rows = try AuditQuery.rows(paths, filter: filter)
        if csv {
            var text = AuditQuery.columns.joined(separator: ",") + "\n"
            for r in rows { text += r.map(CSVNumber.field).joined(separator: ",") + "\n" }
            out.write(text)
        } else {
            let shown = ["arrival", "caller", "target", "model", "version", "status", "outcome", "cold", "id"]
            let index = shown.map { AuditQuery.columns.firstIndex(of: $0)! }
            out.write(TerminalTable.render([shown] + rows.map { r in index.map { r[$0] } }, rightAligned: [5]))
            out.write("\(rows.count) request\(rows.count == 1 ? "" : "s")\n")
        }
        return 0
    }
}
