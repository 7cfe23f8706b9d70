import Foundation
import Digest
import CEventLoop

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
    /// A streamed answer's timing: seconds from arrival to its first body byte and to its
    /// first server-sent event's end (nil: none came), its events and bytes.
    public var stream: StreamFacts?

    public struct StreamFacts: Sendable {
        public var firstByteSeconds: Double?
        public var firstEventSeconds: Double?
        public var events: Int
        public var bytes: Int
    }

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
///
/// A write, flush or fsync the system refuses (a full disk, an I/O error) is never silent:
/// the first of a run of failures is said on standard error, every one is counted
/// (`health`, `headroom_audit_write_failures_total` in `/metrics`), and `serve` exits 1 at
/// its stop when any occurred. The records that failed are missing from the file, so
/// `audit verify` finds the break in the chain where they should be. At start, a log whose
/// header cannot be written is an error: the runtime does not serve without its trail.
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
    /// Records chained so far (writer thread; `health` reads a copy under `statsLock`).
    public private(set) var written: Int64 = 0
    /// Opens the log file for appending (a test may hand out a failing device instead).
    private let openFile: (String) -> UnsafeMutablePointer<FILE>?
    /// Whether a write has failed since the last sync that wrote everything (writer thread).
    private var failing = false
    private var batchFailed = false
    /// Whether a line has been handed to the file since the last sync.
    private var wroteSinceSync = false
    /// Whether the writer thread runs (failures before it are `init`'s error).
    private var started = false
    private let statsLock = NSLock()
    private var recordsShared: Int64 = 0
    private var failuresShared: Int64 = 0
    private var lastFailureShared: String?

    /// Records chained so far, writes (or flushes, fsyncs, opens) of the file that failed,
    /// and what the last failure was. Safe from any thread.
    public var health: (records: Int64, failures: Int64, lastFailure: String?) {
        statsLock.lock()
        defer { statsLock.unlock() }
        return (recordsShared, failuresShared, lastFailureShared)
    }

    public static let zeros = String(repeating: "0", count: 64)

    public convenience init(options: Options, scenarioSHA256: String, plan: String, version: String) throws {
        try self.init(options: options, scenarioSHA256: scenarioSHA256, plan: plan, version: version, openFile: { fopen($0, "a") })
    }

    init(options: Options, scenarioSHA256: String, plan: String, version: String,
         openFile: @escaping (String) -> UnsafeMutablePointer<FILE>?) throws {
        self.openFile = openFile
        self.options = options
        self.scenarioSHA256 = scenarioSHA256
        self.plan = plan
        self.version = version
        head = Self.zeros
        // The log is renamed at rotation and read back at a restart: it must be a file. (A
        // device would be read without end, or renamed: /dev/stdout.1.)
        var info = stat()
        if stat(options.path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
            throw RuntimeError("\(options.path): --audit-log needs a regular file (it is rotated by renaming it); this is a device, pipe or directory")
        }
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
        if let failure = health.lastFailure {
            if let f = file { fclose(f) }
            throw RuntimeError("\(options.path): cannot write the audit log's header (\(failure)); the runtime does not serve without its audit trail")
        }
        started = true
        // Named from inside: Foundation on Linux does not apply a name set before start.
        Thread { [self] in
            cel_set_thread_name("audit-writer")
            run()
        }.start()
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
        guard let f = openFile(options.path) else { throw SystemError("open \(options.path)") }
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
            if file == nil && !batch.isEmpty {
                // A rotation could not open the next file: try again for this batch.
                do { try open() } catch { failed("open the log file") }
            }
            for r in batch { writeRecord(r) }
            if options.key != nil, sinceDigest > 0,
               last || MonotonicClock.nanoseconds() - lastDigest >= Int64(options.digestInterval * 1e9) {
                writeDigest()
            }
            sync()
            if bytes >= options.rotateBytes && !last { rotate() }
            if last {
                if let f = file, fclose(f) != 0 { failed("close the log file") }
                file = nil
                finished.signal()
                return
            }
        }
    }

    private func rotate() {
        guard let f = file else { return }   // the next batch opens a file first
        if options.key != nil && sinceDigest > 0 { writeDigest() }
        sync()
        if fclose(f) != 0 { failed("close the log file") }
        file = nil
        let aside = "\(options.path).\(fileNumber)"
        if rename(options.path, aside) != 0 {
            StandardError.say("headroom: audit log rotation failed (\(String(cString: strerror(errno)))); continuing in \(options.path)")
        } else {
            fileNumber += 1
        }
        do { try open() } catch { failed("open a new log file after rotating") }
    }

    private func writeLine(_ line: String) {
        var bytesOut = Array(line.utf8)
        // The chain moves on even when the line is lost: the next line written names it as
        // `prev`, so `audit verify` shows the gap there.
        head = SHA256.hex(bytesOut)
        guard let f = file else { return failed("write a record (no log file is open)", errno: 0) }
        bytesOut.append(UInt8(ascii: "\n"))
        if fwrite(bytesOut, 1, bytesOut.count, f) != bytesOut.count {
            failed("write a record")
            clearerr(f)
        } else {
            wroteSinceSync = true
        }
        bytes += Int64(bytesOut.count)
    }

    /// Counts a failed operation on the file and says so on standard error at the start of a
    /// run of failures. Writer thread (or `init`, before it starts).
    private func failed(_ what: String, errno code: Int32 = errno) {
        let reason = code == 0 ? "cannot \(what)" : "cannot \(what): \(String(cString: strerror(code)))"
        statsLock.lock()
        failuresShared += 1
        lastFailureShared = reason
        statsLock.unlock()
        batchFailed = true
        if !failing {
            failing = true
            // Before the writer starts, `init` throws instead: one message, the error's.
            guard started else { return }
            StandardError.say("headroom: audit log \(options.path): \(reason); records are missing from the log until it can be written again")
        }
    }

    /// The trail's counters in Prometheus text, for `GET /metrics`.
    public func metricsText() -> String {
        let h = health
        return """
            # HELP headroom_audit_records_total Records chained into the audit trail (those written when a write failed are missing from the file).
            # TYPE headroom_audit_records_total counter
            headroom_audit_records_total \(h.records)
            # HELP headroom_audit_write_failures_total Writes, flushes, fsyncs or opens of the audit log file that failed.
            # TYPE headroom_audit_write_failures_total counter
            headroom_audit_write_failures_total \(h.failures)

            """
    }

    private func writeDigest() {
        let mac = Hex.encode(HMACSHA256.authenticate(Array(head.utf8), key: options.key!))
        writeLine("{\"type\":\"digest\",\"prev\":\"\(head)\",\"records\":\(written),\"time\":\"\(Self.utc(Self.nowMicros()))\",\"hmac\":\"\(mac)\"}")
        sinceDigest = 0
        lastDigest = MonotonicClock.nanoseconds()
    }

    /// Flushes and fsyncs; ends a run of failures when lines written since the last sync all
    /// reached the file.
    private func sync() {
        if let f = file {
            if fflush(f) != 0 {
                failed("flush the log file")
                clearerr(f)
            } else if fsync(fileno(f)) != 0 && errno != EINVAL && errno != EROFS {
                // (EINVAL, EROFS: a file system that does not sync this file; nothing is lost.)
                failed("fsync the log file")
            }
        }
        // Recovered only when lines were written and synced since (an empty batch proves nothing).
        if failing && !batchFailed && wroteSinceSync {
            failing = false
            StandardError.say("headroom: audit log \(options.path): writing again")
        }
        batchFailed = false
        wroteSinceSync = false
        statsLock.lock()
        recordsShared = written
        statsLock.unlock()
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
        if let f = r.stream {
            s += ",\"stream\":{\"first_byte_s\":" + (f.firstByteSeconds.map(Self.seconds) ?? "null")
                + ",\"first_event_s\":" + (f.firstEventSeconds.map(Self.seconds) ?? "null") + ",\"events\":\(f.events),\"bytes\":\(f.bytes)}"
        }
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
