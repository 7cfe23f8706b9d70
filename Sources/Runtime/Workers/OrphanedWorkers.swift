import Foundation
import Glibc

/// Finds and stops the workers a killed runtime left behind.
///
/// Each worker carries `HEADROOM_RUNTIME=<pid>:<start time>` in its environment: the runtime
/// that started it, named by its pid and its start time in clock ticks after boot
/// (/proc/PID/stat, field 22), which together name one process even after the pid is reused.
/// The kernel kills a worker when its runtime dies (`PR_SET_PDEATHSIG`), but not what the
/// worker itself started (a server's own child processes inherit the environment, not the
/// signal). A worker or child whose runtime is no longer running is an orphan; `serve` stops
/// them all before it starts its own, so their ports and memory are free again.
public enum OrphanedWorkers {
    public static let variable = "HEADROOM_RUNTIME"

    /// This process as a worker's owner: "pid:start time".
    public static let runtimeIdentity: String = identity(of: getpid()) ?? "\(getpid()):0"

    /// "pid:start time" of a running process, or nil when it is not running.
    static func identity(of pid: pid_t) -> String? {
        // The start time is field 22.
        guard let fields = ProcessCPU.statFields(pid), fields.count > 19 else { return nil }
        return "\(pid):\(fields[19])"
    }

    /// A process this runtime family left: its pid and the runtime it names.
    public struct Orphan: Equatable, Sendable {
        public var pid: pid_t
        public var runtime: String
    }

    /// Processes of this user whose runtime has died (not this process, nor any process whose
    /// runtime still runs).
    public static func find() -> [Orphan] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var orphans: [Orphan] = []
        let me = getpid()
        var alive: [String: Bool] = [:]
        for entry in entries {
            guard let pid = pid_t(entry), pid != me, let owner = runtime(of: pid) else { continue }
            let running: Bool
            if let known = alive[owner] {
                running = known
            } else {
                let ownerPid = pid_t(owner.prefix { $0 != ":" }) ?? 0
                running = ownerPid > 0 && identity(of: ownerPid) == owner
                alive[owner] = running
            }
            if !running { orphans.append(Orphan(pid: pid, runtime: owner)) }
        }
        return orphans.sorted { $0.pid < $1.pid }
    }

    /// The `HEADROOM_RUNTIME` value in a process's environment, if it has one (nil too when
    /// the environment cannot be read: another user's process, or one that just ended).
    static func runtime(of pid: pid_t) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
        let prefix = Array((variable + "=").utf8)
        for entry in data.split(separator: 0, omittingEmptySubsequences: true) where entry.starts(with: prefix) {
            return String(decoding: entry.dropFirst(prefix.count), as: UTF8.self)
        }
        return nil
    }

    /// Stops every orphan (SIGKILL: its runtime is gone, nobody waits for a graceful end),
    /// with its process group when it leads one, and returns them.
    @discardableResult
    public static func reap() -> [Orphan] {
        let orphans = find()
        for o in orphans {
            if getpgid(o.pid) == o.pid { _ = kill(-o.pid, SIGKILL) }
            _ = kill(o.pid, SIGKILL)
        }
        return orphans
    }
}
