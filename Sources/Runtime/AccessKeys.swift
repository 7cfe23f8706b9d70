import Foundation
import Scenario
import Digest

/// Who may call what: API keys mapped to callers and the targets (and versions) they may
/// invoke, kept as SHA-256 hashes — the keys themselves are never stored.
///
/// ```json
/// { "keys": [ { "caller": "web", "sha256": "9f86…", "targets": ["echo", "iris"], "versions": ["2.0"],
///               "created": "2026-12-01T06:44:00Z" } ] }
/// ```
/// `versions` is optional (absent: every version). A request carries its key as
/// `Authorization: Bearer …` or `x-api-key: …`.
public struct AccessKeys: Sendable {
    public struct Entry: Sendable, Equatable {
        public var caller: String
        public var hash: [UInt8]
        public var targets: [String]
        public var versions: [String]?
        public var created: String?
    }

    public private(set) var entries: [Entry]
    public let path: String

    /// Reads a keys file; errors name the file and the JSON path of what is wrong.
    public static func load(_ path: String) throws -> AccessKeys {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuntimeError("\(path): cannot read the keys file (create one with `headroom keys add CALLER --targets … --file \(path)`)")
        }
        return try parse(data, path: path)
    }

    static func parse(_ data: Data, path: String) throws -> AccessKeys {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RuntimeError("\(path): not a JSON object; expected {\"keys\": [{\"caller\", \"sha256\", \"targets\"}, …]}")
        }
        guard let list = root["keys"] as? [Any] else { throw RuntimeError("\(path): $.keys: expected an array of keys") }
        var entries: [Entry] = []
        for (k, item) in list.enumerated() {
            let at = "\(path): $.keys[\(k)]"
            guard let o = item as? [String: Any] else { throw RuntimeError("\(at): expected an object") }
            for key in o.keys where !["caller", "sha256", "targets", "versions", "created"].contains(key) {
                throw RuntimeError("\(at).\(key): unknown key; expected caller, sha256, targets, versions, created")
            }
            guard let caller = o["caller"] as? String, !caller.isEmpty else { throw RuntimeError("\(at).caller: expected a non-empty caller name") }
            guard let hex = o["sha256"] as? String, let hash = Hex.decode(hex), hash.count == 32 else {
                throw RuntimeError("\(at).sha256: expected the key's SHA-256 as 64 hex digits (the key itself is never stored)")
            }
            guard let targets = o["targets"] as? [String], !targets.isEmpty else {
                throw RuntimeError("\(at).targets: expected a non-empty array of target names (\"*\" for all)")
            }
            var versions: [String]?
            if let v = o["versions"] {
                guard let list = v as? [String] else { throw RuntimeError("\(at).versions: expected an array of version labels") }
                versions = list
            }
            entries.append(Entry(caller: caller, hash: hash, targets: targets, versions: versions, created: o["created"] as? String))
        }
        return AccessKeys(entries: entries, path: path)
    }

    /// The entry whose hash matches `key`, comparing every entry in constant time each.
    public func authenticate(_ key: String) -> Entry? {
        let hash = SHA256.hash(Array(key.utf8))
        var found: Entry?
        for e in entries where HMACSHA256.constantTimeEqual(e.hash, hash) && found == nil { found = e }
        return found
    }

    /// Whether the entry may call `target` (a model or pipeline name) at `version` (nil: the
    /// version the traffic split chooses).
    public static func allows(_ e: Entry, target: String, version: String?) -> Bool {
        guard e.targets.contains(target) || e.targets.contains("*") else { return false }
        guard let allowed = e.versions else { return true }
        guard let version else { return false }   // a caller limited to versions names one
        return allowed.contains(version)
    }

    /// Adds a new random key for `caller` to the file (created if missing, written whole via a
    /// temporary file and a rename, mode 0600) and returns the key — the only time it is shown.
    public static func add(caller: String, targets: [String], versions: [String]?, file: String) throws -> String {
        var existing: [Any] = []
        if FileManager.default.fileExists(atPath: file) {
            _ = try load(file)   // refuse to extend a file that does not read
            let root = try JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: file)!) as! [String: Any]
            existing = root["keys"] as! [Any]
        }
        var random = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let key = "hr_" + Hex.encode(secret)
        let formatter = ISO8601DateFormatter()
        var entry: [String: Any] = ["caller": caller, "sha256": SHA256.hex(Array(key.utf8)), "targets": targets,
                                    "created": formatter.string(from: Date())]
        if let versions { entry["versions"] = versions }
        existing.append(entry)
        let data = try JSONSerialization.data(withJSONObject: ["keys": existing], options: [.prettyPrinted, .sortedKeys])
        // Owner-only: the file holds the keys' hashes and what each caller may call.
        if let why = FileSystem.writeWhole(Array(data) + [0x0A], to: file, mode: 0o600) {
            throw RuntimeError("\(file): cannot write the keys file: \(why)")
        }
        return key
    }

    /// The key a request carries: `Authorization: Bearer …`, else `x-api-key`.
    static func presented(in request: HTTPRequest) -> String? {
        if let auth = request.header("authorization") {
            let parts = auth.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingSpaces }
        }
        return request.header("x-api-key")
    }
}
