import Glibc

/// What the runtime's recorder reads of a worker as each stage is sent to it and answered:
/// its process's run delay (schedstat) and, where a CPU limit holds it, its cgroup's throttled
/// time (`cpu.stat`). Calibration shares the differences among the stages in service on the
/// worker between two readings, so each request's wait for a core is told apart from the time
/// its worker was throttled: the simulator puts the second back with its CPU-limit model, and
/// only part of the first with its sharing of the cores.
struct WorkerMeter: Sendable {
    let pid: pid_t
    let cgroup: WorkerCgroup?

    /// What a stage without a meter records: nothing read.
    static let unread: (runDelay: Int64, throttled: Int64) = (-1, -1)

    /// Nanoseconds: the run delay (−1 where /proc could not say) and the throttled time (−1
    /// without a cgroup or where its counters could not be read).
    func read() -> (runDelay: Int64, throttled: Int64) {
        let delay = pid > 0 ? ProcessCPU.runDelay(pid) ?? -1 : -1
        let throttled = cgroup?.stat().map { Int64(($0.throttledSeconds * 1e9).rounded()) } ?? -1
        return (delay, throttled)
    }
}
