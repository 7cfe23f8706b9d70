import Foundation
import Digest

/// One request as the audit trail records it. Field names shared with `requests.csv` of a
/// simulation (`plan`, `id`, `caller`, `target`, `model`, `version`, `arrival_s`, `start_s`,
/// `end_s`, `outcome`, `cold`, `node`, `instance`, `reason`) mean the same there, so one
/// notebook reads either.
public struct AuditRecord: Sendable {
    public struct Stage: Sendable {
        public var model: String
        public var version: String
        public var instance: String
        public var node: String
        public var cold: Bool
        /// Unix microseconds.
        public var start: Int64
        public var end: Int64?

        public init(model: String, version: String, instance: String, node: String, cold: Bool, start: Int64, end: Int64?) {
            self.model = model
            self.version = version
            self.instance = instance
            self.node = node
            self.cold = cold
            self.start = start
            self.end = end
        }
    }
    public var id: String
    public var caller: String
    public var target: String
    public var stages: [Stage] = []
    /// Unix microseconds.
    public var arrival: Int64
    public var end: Int64
    /// Seconds since the server started (as `requests.csv`'s seconds since the run began).
    public var arrivalSeconds: Double
    public var endSeconds: Double
    /// completed, rejected, timed_out, or refused (turned away before the core: 400–405).
    public var outcome: String
    public var reason: String
    public var status: Int
    public var requestSHA256: String
    public var responseSHA256: String
    public var requestBody: [UInt8]?
    public var responseBody: [UInt8]?

    public init(id: String, caller: String, target: String, stages: [Stage], arrival: Int64, end: Int64, arrivalSeconds: Double,
                endSeconds: Double, outcome: String, reason: String, status: Int, requestSHA256: String, responseSHA256: String,
                requestBody: [UInt8]? = nil, responseBody: [UInt8]? = nil) {
        self.id = id
        self.caller = caller
        self.target = target
        self.stages = stages
        self.arrival = arrival
        self.end = end
        self.arrivalSeconds = arrivalSeconds
        self.endSeconds = endSeconds
        self.outcome = outcome
        self.reason = reason
        self.status = status
        self.requestSHA256 = requestSHA256
        self.responseSHA256 = responseSHA256
        self.requestBody = requestBody
        self.responseBody = responseBody
    }
}

/// The tamper-evident audit trail, after CloudTrail's log-file integrity validation.
///
/// Every line is a JSON object carrying `prev`, the SHA-256 (hex) of the line before it: a
/// hash chain. Each file begins with a header whose `prev` is the previous file's last line
/// (64 zeros for the first). At a fixed interval, at rotation and at shutdown a digest line
/// carries an HMAC-SHA-256 of the chain head keyed by a secret kept apart from the log
/// (`--audit-key`): recomputing the chain after an edit is then detectable without the key.
/// Records are written by one thread in batches: flushed and fsync'ed every `flushInterval`.
/// A file rotates at `rotateBytes`: `PATH` is renamed `PATH.N` and a new `PATH` continues
/// the chain.
public final class AuditLog: @unchecked Sendable {
    public struct Options: Sendable {
        public var path: String
        public var key: [UInt8]?
        public var payloads = false
        public var flushInterval = 0.2
        public var digestInterval = 10.0
        public var rotateBytes: Int64 = 64 * 1024 * 1024

        public init(path: String, key: [UInt8]?) {
            self.path = path
            self.key = key
        }
    }

    let options: Options
    let scenarioSHA256: String
    let plan: String
    let version: String
    private let condition = NSCondition()
    private var pending: [AuditRecord] = []
    private var closing = false
    private let finished = DispatchSemaphore(value: 0)
    // Writer thread state.
    private var file: UnsafeMutablePointer<FILE>?
    private var fileNumber = 1
    private var bytes: Int64 = 0
    private var head: String
    private var seq: Int64 = 0
    private var sinceDigest = 0
    private var lastDigest = MonotonicClock.nanoseconds()
    /// Records written so far (for reports).
    public private(set) var written: Int64 = 0

    public static let zeros = String(repeating: "0", count: 64)

    public init(options: Options, scenarioSHA256: String, plan: String, version: String) throws {
        self.options = options
        self.scenarioSHA256 = scenarioSHA256
        self.plan = plan
        self.version = version
        head = Self.zeros
        // An existing log (a restart) is moved aside, and the new file continues its chain.
        if let existing = FileManager.default.contents(atPath: options.path), !existing.isEmpty {
            let (number, last) = try Self.tail(of: existing, path: options.path)
            let aside = "\(options.path).\(number)"
            guard !FileManager.default.fileExists(atPath: aside), rename(options.path, aside) == 0 else {
                throw RuntimeError("\(options.path): the log exists and cannot be moved to \(aside)")
            }
            fileNumber = number + 1
            head = last
        }
        try open()
        let t = Thread { [self] in run() }
        t.name = "audit-writer"
        t.start()
    }

    /// The file number in an existing log's header and the hash of its last complete line.
    static func tail(of data: Data, path: String) throws -> (Int, String) {
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        guard let first = lines.first, let header = try? JSONSerialization.jsonObject(with: Data(first)) as? [String: Any],
              header["type"] as? String == "header", let number = (header["file"] as? NSNumber)?.intValue else {
            throw RuntimeError("\(path): exists and is not a Headroom audit log; move it away or choose another --audit-log")
        }
        // The last complete line: one that ends with a newline.
        let complete = data.last == UInt8(ascii: "\n") ? lines.dropLast() : lines.dropLast(2)
        return (number, SHA256.hex(Array(complete.last ?? first)))
    }

    private func open() throws {
        guard let f = fopen(options.path, "a") else { throw SystemError("open \(options.path)") }
        file = f
        bytes = 0
        writeLine("{\"type\":\"header\",\"file\":\(fileNumber),\"prev\":\"\(head)\",\"headroom\":\(JSON.quote(version)),"
                  + "\"scenario_sha256\":\"\(scenarioSHA256)\",\"plan\":\(JSON.quote(plan)),\"opened\":\"\(Self.utc(Self.nowMicros()))\"}")
        sync()
    }

    /// Records queued at most: beyond it `append` waits for the writer (back-pressure on the
    /// requests, rather than memory without bound or a dropped record).
    static let queueLimit = 50_000

    /// Queues a record; the writer thread chains and writes it.
    public func append(_ record: AuditRecord) {
        condition.lock()
        while pending.count >= Self.queueLimit && !closing { condition.wait() }
        pending.append(record)
        condition.unlock()
    }

    /// Writes what is queued, a final digest, and closes the file.
    public func close() {
        condition.lock()
        closing = true
        condition.signal()
        condition.unlock()
        finished.wait()
    }

    private func run() {
        while true {
            condition.lock()
            if !closing { _ = condition.wait(until: Date(timeIntervalSinceNow: options.flushInterval)) }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            let last = closing
            condition.broadcast()   // appenders waiting on a full queue
            condition.unlock()
            for r in batch { writeRecord(r) }
            if options.key != nil, sinceDigest > 0,
               last || MonotonicClock.nanoseconds() - lastDigest >= Int64(options.digestInterval * 1e9) {
                writeDigest()
            }
            sync()
            if bytes >= options.rotateBytes && !last { rotate() }
            if last {
                if let f = file { fclose(f) }
                file = nil
                finished.signal()
                return
            }
        }
    }

    private func rotate() {
        if options.key != nil && sinceDigest > 0 { writeDigest() }
        sync()
        fclose(file!)
        file = nil
        let aside = "\(options.path).\(fileNumber)"
        if rename(options.path, aside) != 0 {
            // write(2), not FileHandle.write: that one traps when stderr is closed.
            let line = Array("headroom: audit log rotation failed (\(String(cString: strerror(errno)))); continuing in \(options.path)\n".utf8)
            _ = line.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
        } else {
            fileNumber += 1
        }
        try? open()
    }

    private func writeLine(_ line: String) {
        guard let f = file else { return }
        var bytesOut = Array(line.utf8)
        head = SHA256.hex(bytesOut)
        bytesOut.append(UInt8(ascii: "\n"))
        fwrite(bytesOut, 1, bytesOut.count, f)
        bytes += Int64(bytesOut.count)
    }

    private func writeDigest() {
        let mac = Hex.encode(HMACSHA256.authenticate(Array(head.utf8), key: options.key!))
        writeLine("{\"type\":\"digest\",\"prev\":\"\(head)\",\"records\":\(written),\"time\":\"\(Self.utc(Self.nowMicros()))\",\"hmac\":\"\(mac)\"}")
        sinceDigest = 0
        lastDigest = MonotonicClock.nanoseconds()
    }

    private func sync() {
        guard let f = file else { return }
        fflush(f)
        fsync(fileno(f))
    }

    private func writeRecord(_ r: AuditRecord) {
        seq += 1
        var s = "{\"type\":\"request\",\"seq\":\(seq),\"prev\":\"\(head)\",\"plan\":\(JSON.quote(plan)),\"id\":\(JSON.quote(r.id)),"
        s += "\"caller\":\(JSON.quote(r.caller)),\"target\":\(JSON.quote(r.target)),"
        let last = r.stages.last
        s += "\"model\":\(JSON.quote(last?.model ?? "")),\"version\":\(JSON.quote(last?.version ?? "")),"
        s += "\"arrival\":\"\(Self.utc(r.arrival))\",\"start\":" + (r.stages.first.map { "\"\(Self.utc($0.start))\"" } ?? "null")
        s += ",\"end\":\"\(Self.utc(r.end))\",\"arrival_s\":\(Self.seconds(r.arrivalSeconds)),"
        s += "\"start_s\":" + (r.stages.first.map { Self.seconds(r.arrivalSeconds + Double($0.start - r.arrival) / 1e6) } ?? "null")
        s += ",\"end_s\":\(Self.seconds(r.endSeconds)),\"outcome\":\"\(r.outcome)\",\"reason\":\(JSON.quote(r.reason)),\"status\":\(r.status),"
        s += "\"cold\":\(r.stages.contains { $0.cold }),\"node\":\(JSON.quote(last?.node ?? "")),\"instance\":\(JSON.quote(last?.instance ?? "")),"
        s += "\"stages\":[" + r.stages.map { st in
            "{\"model\":\(JSON.quote(st.model)),\"version\":\(JSON.quote(st.version)),\"instance\":\(JSON.quote(st.instance)),\"node\":\(JSON.quote(st.node)),"
                + "\"cold\":\(st.cold),\"start\":\"\(Self.utc(st.start))\",\"end\":" + (st.end.map { "\"\(Self.utc($0))\"" } ?? "null") + "}"
        }.joined(separator: ",") + "],"
        s += "\"request_sha256\":\"\(r.requestSHA256)\",\"response_sha256\":\"\(r.responseSHA256)\""
        if options.payloads {
            s += ",\"request_body\":\(JSON.quote(Data(r.requestBody ?? []).base64EncodedString())),\"response_body\":\(JSON.quote(Data(r.responseBody ?? []).base64EncodedString()))"
        }
        s += ",\"scenario_sha256\":\"\(scenarioSHA256)\"}"
        writeLine(s)
        written += 1
        sinceDigest += 1
    }

    /// Six decimals, without `String(format:)` (slow, and this runs for every record).
    static func seconds(_ x: Double) -> String {
        let micros = Int64((x * 1e6).rounded())
        let whole = micros / 1_000_000, fraction = abs(micros % 1_000_000)
        return (micros < 0 && whole == 0 ? "-" : "") + String(whole) + "." + pad(fraction, 6)
    }

    static func pad(_ n: Int64, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    public static func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    /// ISO 8601 in UTC with microseconds: 2026-12-01T06:44:00.123456Z.
    public static func utc(_ micros: Int64) -> String {
        var t = time_t(micros / 1_000_000)
        var parts = tm()
        gmtime_r(&t, &parts)
        return pad(Int64(parts.tm_year) + 1900, 4) + "-" + pad(Int64(parts.tm_mon) + 1, 2) + "-" + pad(Int64(parts.tm_mday), 2) + "T"
            + pad(Int64(parts.tm_hour), 2) + ":" + pad(Int64(parts.tm_min), 2) + ":" + pad(Int64(parts.tm_sec), 2) + "." + pad(micros % 1_000_000, 6) + "Z"
    }
}
