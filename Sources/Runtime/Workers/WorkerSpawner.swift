import CWorkerSpawn
import Foundation
import Glibc

/// Spawns worker processes from one thread that lives as long as the runtime.
///
/// A worker asks the kernel for SIGKILL when its parent dies (`PR_SET_PDEATHSIG`), but the
/// kernel sends it when the *thread* that forked the worker ends, not the process
/// (prctl(2): "the parent thread"). Workers are started from short-lived threads (one per
/// start, waiting on readiness), so the fork itself happens here, on a thread that never
/// ends: the signal then comes exactly when the runtime dies.
final class WorkerSpawner: @unchecked Sendable {
    static let shared = WorkerSpawner()

    private struct Job {
        var command: [String]
        var environment: [String]
        var directory: String
        var cpus: [Int32]
        var cgroupProcs: String?
        var result: Result<pid_t, SystemError>?
    }

    private let condition = NSCondition()
    private var jobs: [Int: Job] = [:]
    private var order: [Int] = []
    private var nextJob = 0

    private init() {
        let thread = Thread { [self] in run() }
        thread.name = "worker-spawner"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// Spawns `command` as `cws_spawn` does and returns its pid; throws with the spawn's or
    /// the exec's error. With `cgroupProcs`, the worker joins that cgroup before it execs.
    func spawn(command: [String], environment: [String], directory: String, cpus: [Int], cgroupProcs: String? = nil) throws -> pid_t {
        guard !command.isEmpty else { throw SystemError("spawn", code: EINVAL) }
        condition.lock()
        let id = nextJob
        nextJob += 1
        jobs[id] = Job(command: command, environment: environment, directory: directory, cpus: cpus.map(Int32.init), cgroupProcs: cgroupProcs, result: nil)
        order.append(id)
        condition.broadcast()
        while jobs[id]!.result == nil { condition.wait() }
        let result = jobs.removeValue(forKey: id)!.result!
        condition.unlock()
        return try result.get()
    }

    private func run() {
        while true {
            condition.lock()
            while order.isEmpty { condition.wait() }
            let id = order.removeFirst()
            let job = jobs[id]!
            condition.unlock()
            let result = Self.fork(job)
            condition.lock()
            jobs[id]!.result = result
            condition.broadcast()
            condition.unlock()
        }
    }

    private static func fork(_ job: Job) -> Result<pid_t, SystemError> {
        let argv = job.command.map { strdup($0) } + [nil]
        let envp = job.environment.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) }; for p in envp { free(p) } }
        var pid: pid_t = 0
        let procs = job.cgroupProcs.map { strdup($0) } ?? nil
        defer { free(procs) }
        let rc = job.directory.withCString { directory in
            job.cpus.withUnsafeBufferPointer { cpus in
                cws_spawn(job.command[0], argv, envp, directory, cpus.baseAddress, Int32(cpus.count), procs, &pid)
            }
        }
        return rc == 0 ? .success(pid) : .failure(SystemError("spawn \(job.command[0])", code: rc))
    }
}
