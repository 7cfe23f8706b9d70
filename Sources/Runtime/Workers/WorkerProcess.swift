import Foundation
import Glibc

/// Glibc functions Swift's Glibc module does not export (they sit behind _GNU_SOURCE),
/// looked up once by name.
enum GNU {
    /// RTLD_DEFAULT: the global symbol scope.
    private static var defaultHandle: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: 0) }

    typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// sched_setaffinity(2).
    static let setAffinity: SetAffinity? = dlsym(defaultHandle, "sched_setaffinity").map { unsafeBitCast($0, to: SetAffinity.self) }
    /// posix_spawn_file_actions_addchdir_np(3), glibc ≥ 2.29.
    static let addChdir: AddChdir? = dlsym(defaultHandle, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChdir.self) }

    /// Online CPU cores.
    static var cores: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}

/// A worker process: spawned in a process group of its own (so a worker that forks is stopped
/// whole), pinned to CPU cores, watched by a thread that reports its exit.
public final class WorkerProcess: @unchecked Sendable {
    public let pid: pid_t
    private let exited = Atomic<Int32?>(nil)
    private let exitGroup = DispatchGroup()

    /// Spawns `command` (a first element without "/" is looked up on PATH) in `directory`,
    /// with `environment` added to this process's own, its output sent to this process's
    /// standard error. `onExit` runs on the watcher thread with the wait status.
    public init(command: [String], environment: [(key: String, value: String)], directory: String, cpus: [Int],
                onExit: @escaping @Sendable (Int32) -> Void) throws {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let envStrings = env.keys.sorted().map { "\($0)=\(env[$0]!)" }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // stdout → stderr: `serve` keeps its own standard output for its status lines.
        posix_spawn_file_actions_adddup2(&actions, 2, 1)
        guard let addChdir = GNU.addChdir else { throw SystemError("posix_spawn_file_actions_addchdir_np", code: ENOSYS) }
        _ = directory.withCString { addChdir(&actions, $0) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let argv = command.map { strdup($0) } + [nil]
        let envp = envStrings.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) }; for p in envp { free(p) } }
        let rc = posix_spawnp(&pid, command[0], &actions, &attributes, argv, envp)
        guard rc == 0 else { throw SystemError("spawn \(command[0])", code: rc) }
        self.pid = pid
        if !cpus.isEmpty, let setAffinity = GNU.setAffinity {
            var set = cpu_set_t()
            withUnsafeMutableBytes(of: &set) { bytes in
                for c in cpus where c / 8 < bytes.count { bytes[c / 8] |= UInt8(1 << (c % 8)) }
            }
            _ = withUnsafeBytes(of: &set) { setAffinity(pid, $0.count, $0.baseAddress!) }
        }
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
