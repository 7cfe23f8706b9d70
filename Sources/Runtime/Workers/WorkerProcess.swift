import Foundation
import Glibc

/// What Glibc tells of the machine.
enum GNU {
    /// Online CPU cores.
    static var cores: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}

/// A worker process: spawned in a process group of its own (so a worker that forks is stopped
/// whole), pinned to CPU cores, killed by the kernel if the runtime dies (so a `kill -9` or a
/// crash of `serve` leaves no worker holding its port), watched by a thread that reports its
/// exit.
public final class WorkerProcess: @unchecked Sendable {
    public let pid: pid_t
    private let exited = Atomic<Int32?>(nil)
    private let exitGroup = DispatchGroup()

    /// Spawns `command` (a first element without "/" is looked up on PATH) in `directory`,
    /// with `environment` added to this process's own, its output sent to this process's
    /// standard error, in `cgroup` when given (from before it execs). `onExit` runs on the watcher thread with the wait status.
    public init(command: [String], environment: [(key: String, value: String)], directory: String, cpus: [Int],
                cgroup: WorkerCgroup? = nil, onExit: @escaping @Sendable (Int32) -> Void) throws {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        // Marks the worker as this runtime's, so that a later `serve` finds what a killed one left.
        env[OrphanedWorkers.variable] = OrphanedWorkers.runtimeIdentity
        let envStrings = env.keys.sorted().map { "\($0)=\(env[$0]!)" }
        self.pid = try WorkerSpawner.shared.spawn(command: command, environment: envStrings, directory: directory, cpus: cpus,
                                                       cgroupProcs: cgroup?.procsFile)
        exitGroup.enter()
        let spawned = pid
        let watcher = Thread { [exited, exitGroup] in
            let pid = spawned
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            _ = exited.exchange(status)
            onExit(status)
            exitGroup.leave()
        }
        watcher.stackSize = 128 * 1024
        watcher.start()
    }

    public var hasExited: Bool { exited.load != nil }

    /// Sends `signal` to the worker's process group.
    public func signal(_ signal: Int32) {
        if !hasExited { _ = kill(-pid, signal) }
    }

    /// SIGTERM, up to `grace` seconds for it to exit, then SIGKILL; returns once it exited.
    public func stop(grace: Double) {
        signal(SIGTERM)
        if exitGroup.wait(timeout: .now() + max(0, grace)) == .timedOut {
            _ = kill(-pid, SIGKILL)
            _ = exitGroup.wait(timeout: .now() + 10)
        }
        // Whatever else of its group is left (a child that ignored SIGTERM) goes too.
        _ = kill(-pid, SIGKILL)
    }

    /// Waits until the process has exited, at most `timeout` seconds. True when it has.
    public func waitExit(timeout: Double) -> Bool {
        exitGroup.wait(timeout: .now() + timeout) == .success
    }

    /// A readable account of a wait status: "exited with status 1", "killed by signal 9".
    public static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        return "killed by signal \(signal)"
    }
}
