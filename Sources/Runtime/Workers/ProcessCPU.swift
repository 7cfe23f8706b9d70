import Foundation
import Glibc

/// The CPU a process has run for, and waited for while runnable, from the kernel's own
/// accounting (`../shared/reference/contention.md` §5).
///
/// Running time is `/proc/PID/stat`'s utime + stime: every thread's, the ended ones' too, in
/// clock ticks (10 ms), precise enough summed over many requests. Waiting time — runnable but
/// without a core, the direct evidence of contention — is in `/proc/PID/task/TID/schedstat`
/// (second field, ns) of the threads still alive only; it is scaled up by the running time
/// of the threads that have ended (a server's per-connection threads), assuming they waited in
/// the same proportion as the live ones.
public struct ProcessCPU: Sendable, Equatable {
    /// Seconds on a CPU, all threads.
    public var running: Double
    /// Seconds runnable but waiting for a CPU.
    public var waiting: Double

    public init(running: Double, waiting: Double) {
        self.running = running
        self.waiting = waiting
    }

    /// Clock ticks per second (sysconf(_SC_CLK_TCK), 100 on Linux).
    static let ticks = Double(max(1, sysconf(Int32(_SC_CLK_TCK))))

    /// The fields of `/proc/PID/stat` from field 3 (the state) on — those after the command,
    /// which may itself hold spaces and parentheses — or nil when the process is not running.
    /// Field k of proc_pid_stat(5) is at index k − 3.
    static func statFields(_ pid: pid_t) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    /// The process's CPU so far, or nil when it is not running (or /proc is not there).
    public static func of(_ pid: pid_t) -> ProcessCPU? {
        // utime and stime are fields 14 and 15.
        guard let fields = statFields(pid), fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let running = (user + system) / ticks
        let live = schedstat(pid)
        let liveRunning = Double(live?.running ?? 0) / 1e9, liveWaiting = Double(live?.waiting ?? 0) / 1e9
        let waiting = liveRunning > 0 ? liveWaiting * Swift.max(1, running / liveRunning) : 0
        return ProcessCPU(running: Swift.max(running, liveRunning), waiting: waiting)
    }

    /// Nanoseconds the live threads of `pid` have spent runnable without a core, summed
    /// (schedstat's second field; time a cgroup was throttled counts too), or nil when /proc
    /// cannot say. A thread that ends between two readings takes its count with it, so a
    /// difference can come out negative: callers clamp at zero.
    public static func runDelay(_ pid: pid_t) -> Int64? { schedstat(pid)?.waiting }

    /// `/proc/PID/task/TID/schedstat`'s first two fields (ns on a CPU, ns runnable waiting),
    /// summed over the live threads, or nil when /proc cannot say.
    ///
    /// Read twice per request while the runtime records for calibration, so it goes straight
    /// to the system calls (a directory scan and one small read per thread) rather than
    /// through Foundation's strings.
    static func schedstat(_ pid: pid_t) -> (running: Int64, waiting: Int64)? {
        guard let dir = opendir("/proc/\(pid)/task") else { return nil }
        defer { closedir(dir) }
        var running: Int64 = 0, waiting: Int64 = 0
        var found = false
        var buffer = [UInt8](repeating: 0, count: 128)
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
            guard let first = name.utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { continue }
            let fd = open("/proc/\(pid)/task/\(name)/schedstat", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            close(fd)
            guard n > 0 else { continue }
            // "<ns on a CPU> <ns runnable waiting> <timeslices>\n"
            var field = 0, values: (Int64, Int64) = (0, 0)
            for k in 0..<n {
                let c = buffer[k]
                if c == UInt8(ascii: " ") { field += 1; if field == 2 { break }; continue }
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { continue }
                let digit = Int64(c - UInt8(ascii: "0"))
                if field == 0 { values.0 = values.0 * 10 + digit } else { values.1 = values.1 * 10 + digit }
            }
            running += values.0
            waiting += values.1
            found = true
        }
        return found ? (running, waiting) : nil
    }

    /// What was used between `earlier` and this reading.
    public func since(_ earlier: ProcessCPU) -> ProcessCPU {
        ProcessCPU(running: Swift.max(0, running - earlier.running), waiting: Swift.max(0, waiting - earlier.waiting))
    }

    /// The machine's busy CPU seconds so far (every core; /proc/stat's first line less idle
    /// and iowait), or nil.
    public static func machineBusy() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let line = text.split(separator: "\n").first,
              line.hasPrefix("cpu ") else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard values.count >= 8 else { return nil }
        // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
        return (values[0] + values[1] + values[2] + values[5] + values[6] + values[7]) / ticks
    }
}
