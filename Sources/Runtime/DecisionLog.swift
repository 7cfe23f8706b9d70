import Foundation
import SchedulerCore

/// The core's decisions as JSON lines: a header, then one line per input the core saw, with
/// the time it was given and the actions it produced:
///
/// ```
/// {"headroom":"decision-log","version":1,"scenario":"/abs/serve-demo.json","plan":"serverless"}
/// {"t":1503000,"in":["requestArrived",0,0,0],"out":[["startInstance",0,0,null,false],["setTimer",8,61503000]]}
/// ```
///
/// Inputs and actions are arrays: their case name, then their fields in declaration order
/// (ids as integers, `null` for no node). `headroom replay` feeds the inputs to a fresh core
/// and compares the actions text for text.
public enum DecisionCodec {
    public static func encode(_ input: SchedulerInput) -> String {
        switch input {
        case .start: return "[\"start\"]"
        case let .requestArrived(r, target, caller): return "[\"requestArrived\",\(r.raw),\(target.raw),\(caller.raw)]"
        case let .requestFinished(r): return "[\"requestFinished\",\(r.raw)]"
        case let .requestTimedOut(r): return "[\"requestTimedOut\",\(r.raw)]"
        case let .instanceReady(i): return "[\"instanceReady\",\(i.raw)]"
        case let .instanceFailed(i): return "[\"instanceFailed\",\(i.raw)]"
        case let .nodeReady(n): return "[\"nodeReady\",\(n.raw)]"
        case let .timerFired(t): return "[\"timerFired\",\(t.raw)]"
        case let .jobSubmitted(j): return "[\"jobSubmitted\",\(j.raw)]"
        case let .jobFinished(j): return "[\"jobFinished\",\(j.raw)]"
        case let .rolloutStep(rollout, step): return "[\"rolloutStep\",\(rollout),\(step)]"
        case let .nodeInterruptionNotice(n): return "[\"nodeInterruptionNotice\",\(n.raw)]"
        case let .nodeInterrupted(n): return "[\"nodeInterrupted\",\(n.raw)]"
        // Swift prints a Double as the shortest text that reads back to it: valid JSON for a
        // finite value, which a share of the cache is.
        case let .engineMetrics(m, kv, waiting, tokens): return "[\"engineMetrics\",\(m.raw),\(kv),\(waiting),\(tokens)]"
        }
    }

    public static func encode(_ action: SchedulerAction) -> String {
        switch action {
        case let .startNode(n, type, warm): return "[\"startNode\",\(n.raw),\(type.raw),\(warm)]"
        case let .stopNode(n): return "[\"stopNode\",\(n.raw)]"
        case let .startInstance(i, model, node, warm): return "[\"startInstance\",\(i.raw),\(model.raw),\(node.map { String($0.raw) } ?? "null"),\(warm)]"
        case let .stopInstance(i): return "[\"stopInstance\",\(i.raw)]"
        case let .dispatch(r, i, cold): return "[\"dispatch\",\(r.raw),\(i.raw),\(cold)]"
        case let .complete(r): return "[\"complete\",\(r.raw)]"
        case let .reject(r, reason): return "[\"reject\",\(r.raw),\"\(reason.label)\"]"
        case let .release(r): return "[\"release\",\(r.raw)]"
        case let .setTimer(t, at): return "[\"setTimer\",\(t.raw),\(at.nanoseconds)]"
        case let .cancelTimer(t): return "[\"cancelTimer\",\(t.raw)]"
        case let .interrupt(r): return "[\"interrupt\",\(r.raw)]"
        case let .startJob(j): return "[\"startJob\",\(j.raw)]"
        case let .stopJob(j): return "[\"stopJob\",\(j.raw)]"
        }
    }

    public static func encode(_ actions: ArraySlice<SchedulerAction>) -> String {
        "[" + actions.map(encode).joined(separator: ",") + "]"
    }

    /// One line of the log.
    public static func line(at now: TimePoint, input: SchedulerInput, actions: ArraySlice<SchedulerAction>) -> String {
        "{\"t\":\(now.nanoseconds),\"in\":\(encode(input)),\"out\":\(encode(actions))}\n"
    }

    /// Decodes an input from its JSON array (as JSONSerialization gives it).
    public static func decodeInput(_ value: Any) -> SchedulerInput? {
        guard let a = value as? [Any], let kind = a.first as? String else { return nil }
        func int(_ k: Int) -> Int? { k < a.count ? (a[k] as? NSNumber)?.intValue : nil }
        switch (kind, a.count) {
        case ("start", 1): return .start
        case ("requestArrived", 4):
            guard let r = int(1), let t = int(2), let c = int(3) else { return nil }
            return .requestArrived(RequestID(r), target: TargetID(t), caller: CallerID(c))
        case ("requestFinished", 2): return int(1).map { .requestFinished(RequestID($0)) }
        case ("requestTimedOut", 2): return int(1).map { .requestTimedOut(RequestID($0)) }
        case ("instanceReady", 2): return int(1).map { .instanceReady(InstanceID($0)) }
        case ("instanceFailed", 2): return int(1).map { .instanceFailed(InstanceID($0)) }
        case ("nodeReady", 2): return int(1).map { .nodeReady(NodeID($0)) }
        case ("timerFired", 2): return int(1).map { .timerFired(TimerID($0)) }
        case ("jobSubmitted", 2): return int(1).map { .jobSubmitted(JobID($0)) }
        case ("jobFinished", 2): return int(1).map { .jobFinished(JobID($0)) }
        case ("rolloutStep", 3):
            guard let r = int(1), let s = int(2) else { return nil }
            return .rolloutStep(rollout: r, step: s)
        case ("nodeInterruptionNotice", 2): return int(1).map { .nodeInterruptionNotice(NodeID($0)) }
        case ("nodeInterrupted", 2): return int(1).map { .nodeInterrupted(NodeID($0)) }
        case ("engineMetrics", 5):
            guard let m = int(1), let kv = (a[2] as? NSNumber)?.doubleValue, kv.isFinite, let w = int(3),
                  let tokens = (a[4] as? NSNumber)?.doubleValue, tokens.isFinite else { return nil }
            return .engineMetrics(ModelID(m), kvCacheUsage: kv, waiting: w, tokensPerSecond: tokens)
        default: return nil
        }
    }
}

/// Appends decision lines to a file, buffered; flushed every `flushInterval` lines and on
/// `close`. Used on the core's serial executor only.
///
/// A line the system refuses (a full disk) is not silent: the first failure is said on
/// standard error, every one is counted (`failures`), and `serve` exits 1 at its stop when any
/// occurred (a replay of the log would report the lines missing as differences). A header
/// that cannot be written is an error at start.
final class DecisionLogWriter: @unchecked Sendable {
    private var file: UnsafeMutablePointer<FILE>?
    private var unflushed = 0
    let path: String
    private let lock = NSLock()
    private var failureCount = 0
    private var lastFailureText: String?

    init(path: String, header: String) throws {
        guard let f = fopen(path, "w") else { throw SystemError("open \(path)") }
        self.path = path
        guard fputs(header + "\n", f) >= 0, fflush(f) == 0 else {
            let reason = String(cString: strerror(errno))
            fclose(f)
            throw RuntimeError("\(path): cannot write the decision log's header (\(reason))")
        }
        file = f
    }

    /// Writes, flushes or closes of the log that failed, and the last failure.
    var failures: (count: Int, last: String?) {
        lock.lock()
        defer { lock.unlock() }
        return (failureCount, lastFailureText)
    }

    func append(_ line: String) {
        guard let file else { return }   // closed: nothing more is recorded
        if fputs(line, file) < 0 { failed("write a line", file) }
        unflushed += 1
        if unflushed >= 256 { flush() }
    }

    func flush() {
        guard let file else { return }
        if fflush(file) != 0 { failed("flush", file) }
        unflushed = 0
    }

    /// Flushes and closes; later appends are ignored.
    func close() {
        guard let f = file else { return }
        if fflush(f) != 0 { failed("flush", f) }
        if fclose(f) != 0 { failed("close", nil) }
        file = nil
    }

    private func failed(_ what: String, _ f: UnsafeMutablePointer<FILE>?) {
        let reason = "cannot \(what): \(String(cString: strerror(errno)))"
        if let f { clearerr(f) }
        lock.lock()
        failureCount += 1
        lastFailureText = reason
        let first = failureCount == 1
        lock.unlock()
        if first { StandardError.say("headroom: decision log \(path): \(reason); lines are missing from it") }
    }
}
