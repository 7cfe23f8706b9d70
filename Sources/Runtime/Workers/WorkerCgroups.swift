import Foundation
import Glibc

/// CPU cgroups for the workers of models with a CPU limit: what a container runtime does with
/// a pod's `limits.cpu` and `requests.cpu`, so that what `serve` runs is held as the simulator
/// holds it (`limits.vcpus`, `limits.period`, `requires.vcpus`; a start-up boost).
///
/// Each such worker gets a cgroup of its own under one for this runtime (`headroom-<pid>`),
/// joined before it execs. The limit is CFS bandwidth control: a quota of limit × period
/// per period (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us`); the
/// request is the weight, as Kubernetes sets it: v1 `cpu.shares` = millicores × 1024 / 1000
/// (at least 2), v2 `cpu.weight` = 1 + (shares − 2) × 9999 / 262142 (KEP-2254; contention.md
/// §2). The kernel's own accounting of each group (`cpu.stat`: periods, throttled periods,
/// throttled time) is what calibration compares with the simulated throttling.
///
/// Needs a cpu controller this process may write: cgroup v2 with `cpu` delegated to its own
/// cgroup, or a cgroup v1 `cpu` hierarchy (as root, or delegated). Where there is none,
/// `open` says why and `serve` runs the workers unlimited, saying so.
public final class WorkerCgroups: @unchecked Sendable {
    public enum Kind: Sendable, Equatable { case v1, v2 }

    public let kind: Kind
    /// This runtime's cgroup, which holds one per worker.
    public let directory: String
    private let lock = NSLock()
    private var next = 0

    init(kind: Kind, directory: String) {
        self.kind = kind
        self.directory = directory
    }

    /// The name of a runtime's cgroup: the runtime's pid, so a later runtime can tell the
    /// ones whose runtime is gone.
    static let prefix = "headroom-"

    /// Finds a writable cpu controller under `root` and makes this runtime's cgroup in it,
    /// first removing those of runtimes that are no longer running. Fails with why.
    public static func open(root: String = "/sys/fs/cgroup") -> Result<WorkerCgroups, RuntimeError> {
        let fm = FileManager.default
        let base: String, kind: Kind
        let own = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        if let controllers = try? String(contentsOfFile: root + "/cgroup.controllers", encoding: .utf8) {
            guard controllers.split(whereSeparator: \.isWhitespace).contains("cpu") else {
                return .failure(RuntimeError("cgroup v2 at \(root) offers no cpu controller"))
            }
            // "0::/path" is this process's cgroup in the unified hierarchy.
            let path = own.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) } ?? "/"
            base = root + (path == "/" ? "" : path)
            kind = .v2
        } else {
            // A v1 hierarchy with the cpu controller: "N:cpu,cpuacct:/path" (or "N:cpu:/path").
            let line = own.split(separator: "\n").first { $0.split(separator: ":", maxSplits: 2).dropFirst().first?.split(separator: ",").contains("cpu") ?? false }
            let mount = [root + "/cpu", root + "/cpu,cpuacct"].first { fm.fileExists(atPath: $0 + "/cpu.cfs_quota_us") }
            guard let mount else { return .failure(RuntimeError("no cgroup v2 at \(root) and no cgroup v1 cpu hierarchy (\(root)/cpu)")) }
            let path = line.map { String($0.split(separator: ":", maxSplits: 2).last ?? "/") } ?? "/"
            base = mount + (path == "/" ? "" : path)
            kind = .v1
        }
        removeOrphans(in: base)
        let directory = base + "/" + prefix + String(getpid())
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            return .failure(RuntimeError("cannot make a cgroup at \(directory): \(String(cString: strerror(errno)))"))
        }
        let groups = WorkerCgroups(kind: kind, directory: directory)
        if kind == .v2 {
            // The workers' groups need the cpu controller: enabled in the parent's subtree (which
            // the kernel refuses while the parent holds processes itself, unless it is the
            // root), then in ours.
            for parent in [base, directory] {
                let control = parent + "/cgroup.subtree_control"
                let enabled = (try? String(contentsOfFile: control, encoding: .utf8)) ?? ""
                if enabled.split(whereSeparator: \.isWhitespace).contains("cpu") { continue }
                if let why = write("+cpu", to: control) {
                    groups.close()
                    return .failure(RuntimeError("cannot enable the cpu controller in \(control): \(why)"))
                }
            }
        }
        return .success(groups)
    }

    /// Makes a worker's cgroup, holding it to `limit` cores per `period` seconds (nil: no
    /// quota) with the weight of `vcpus` requested.
    public func make(limit: Double?, period: Double, vcpus: Double) throws -> WorkerCgroup {
        let name: Int = lock.withLock { next += 1; return next }
        let path = directory + "/w\(name)"
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw RuntimeError("cannot make the worker's cgroup \(path): \(String(cString: strerror(errno)))")
        }
        let group = WorkerCgroup(kind: kind, path: path)
        do {
            try group.set(limit: limit, period: period, vcpus: vcpus)
        } catch {
            group.remove()
            throw error
        }
        return group
    }

    /// Removes this runtime's cgroup (its workers' are removed as they stop).
    public func close() {
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) {
            for e in entries where e.hasPrefix("w") { WorkerCgroup(kind: kind, path: directory + "/" + e).remove() }
        }
        _ = rmdir(directory)
    }

    /// Removes the cgroups of runtimes that are no longer running (their workers have been
    /// killed by `OrphanedWorkers.reap` before this runs; a group empties as they exit).
    static func removeOrphans(in base: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: base) else { return }
        for e in entries.sorted() where e.hasPrefix(prefix) {
            guard let pid = pid_t(e.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let path = base + "/" + e
            for w in ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() where w.hasPrefix("w") {
                WorkerCgroup(kind: .v1, path: path + "/" + w).remove()
            }
            _ = rmdir(path)
        }
    }

    /// Writes `text` to a control file; nil on success, else why not.
    static func write(_ text: String, to file: String) -> String? {
        let fd = Glibc.open(file, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { Glibc.close(fd) }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress, $0.count) }
        return n == bytes.count ? nil : String(cString: strerror(errno))
    }

    /// Kubernetes' CPU shares for a request of `vcpus` (millicores × 1024 / 1000, at least 2;
    /// v1 `cpu.shares`, at most 262144).
    public static func shares(vcpus: Double) -> Int {
        Swift.min(262_144, Swift.max(2, Int((vcpus * 1000).rounded()) * 1024 / 1000))
    }

    /// The cgroup v2 weight Kubernetes gives those shares: 1 + (shares − 2) × 9999 / 262142
    /// (KEP-2254), 1 to 10,000.
    public static func weight(shares: Int) -> Int {
        Swift.min(10_000, Swift.max(1, 1 + (shares - 2) * 9999 / 262_142))
    }
}

/// One worker's cgroup.
public struct WorkerCgroup: Sendable {
    public let kind: WorkerCgroups.Kind
    public let path: String

    /// The file a process writes to join it.
    public var procsFile: String { path + "/cgroup.procs" }

    /// Sets the quota (`limit` cores per `period` seconds; nil: none) and the weight of
    /// `vcpus` requested.
    public func set(limit: Double?, period: Double, vcpus: Double) throws {
        let periodMicros = Int((period * 1e6).rounded())
        // The kernel's least quota is 1 ms (sched-bwc.rst).
        let quotaMicros = limit.map { Swift.max(1000, Int(($0 * period * 1e6).rounded())) }
        let shares = WorkerCgroups.shares(vcpus: vcpus)
        let writes: [(String, String)]
        switch kind {
        case .v1:
            // The period first: the kernel checks the quota against the period in force.
            writes = [("cpu.cfs_period_us", String(periodMicros)), ("cpu.cfs_quota_us", quotaMicros.map(String.init) ?? "-1"),
                      ("cpu.shares", String(shares))]
        case .v2:
            writes = [("cpu.max", (quotaMicros.map(String.init) ?? "max") + " " + String(periodMicros)),
                      ("cpu.weight", String(WorkerCgroups.weight(shares: shares)))]
        }
        for (file, value) in writes {
            if let why = WorkerCgroups.write(value, to: path + "/" + file) {
                throw RuntimeError("cannot set \(file) of \(path) to \(value): \(why)")
            }
        }
    }

    /// What the kernel counted for the group: periods with work, periods throttled, and the
    /// time throttled (seconds). Nil when the file cannot be read.
    public func stat() -> CgroupCPUStat? {
        guard let text = try? String(contentsOfFile: path + "/cpu.stat", encoding: .utf8) else { return nil }
        return CgroupCPUStat(parsing: text, kind: kind)
    }

    /// Removes the group, once its processes have exited (a killed process leaves it a moment
    /// after the signal: retried for up to a second).
    public func remove() {
        for _ in 0..<100 {
            if rmdir(path) == 0 || errno == ENOENT { return }
            guard errno == EBUSY else { return }
            usleep(10_000)
        }
    }
}

/// A cgroup's `cpu.stat` throttling counters.
public struct CgroupCPUStat: Sendable, Equatable {
    public var periods: Int
    public var throttledPeriods: Int
    public var throttledSeconds: Double

    public init(periods: Int, throttledPeriods: Int, throttledSeconds: Double) {
        self.periods = periods
        self.throttledPeriods = throttledPeriods
        self.throttledSeconds = throttledSeconds
    }

    /// From the file's "key value" lines: v1 counts `throttled_time` in ns, v2
    /// `throttled_usec` in µs.
    public init?(parsing text: String, kind: WorkerCgroups.Kind) {
        var values: [Substring: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = Double(parts[1]) { values[parts[0]] = v }
        }
        guard let periods = values["nr_periods"], let throttled = values["nr_throttled"] else { return nil }
        let time = kind == .v1 ? values["throttled_time"].map { $0 / 1e9 } : values["throttled_usec"].map { $0 / 1e6 }
        guard let time else { return nil }
        self.init(periods: Int(periods), throttledPeriods: Int(throttled), throttledSeconds: time)
    }

    /// What was counted between `earlier` and this reading.
    public func since(_ earlier: CgroupCPUStat) -> CgroupCPUStat {
        CgroupCPUStat(periods: periods - earlier.periods, throttledPeriods: throttledPeriods - earlier.throttledPeriods,
                      throttledSeconds: throttledSeconds - earlier.throttledSeconds)
    }
}
