import Foundation

/// What the runtime measured of its workers while it served: each instance's start (process
/// spawn → ready) and each stage's service time (request sent to the worker → its answer).
///
/// `headroom calibrate` reads these to replace a scenario's declared cold-start and
/// service-time distributions with measured ones. Appends come from connection threads and
/// the core's executor, so they take a lock; a record is a few words, and a calibration run
/// has thousands of them.
public final class RuntimeRecorder: @unchecked Sendable {
    /// One instance that became ready.
    public struct InstanceStart: Sendable {
        /// The model's index in the scenario (a version is a model of its own).
        public var model: Int
        /// Seconds from the worker's spawn to its readiness: the measured part of a cold start.
        public var processStart: Double
        /// Modelled seconds before the spawn (node boot, image pull).
        public var modelled: Double
        /// Started with the plan (warm at t = 0 in a simulation).
        public var warm: Bool
        /// The worker's CPU from its spawn to readiness (nil where /proc cannot say).
        public var cpu: ProcessCPU? = nil
        /// Its cgroup's throttling from its spawn to readiness (nil: no cgroup).
        public var throttle: CgroupCPUStat? = nil
        /// Which of its model's cold starts it was, in the order the core asked for them
        /// (0 first; −1 for a warm one), and the recorder's run (`beginRun`): a simulation
        /// replaying the run gives its own start of that number the same time.
        public var ordinal = -1
        public var run = 0
    }

    /// One instance's CPU while it served, from readiness to its stop.
    public struct InstanceCPU: Sendable {
        public var model: Int
        public var cpu: ProcessCPU
        /// Its cgroup's throttling from readiness to its stop (nil: no cgroup).
        public var throttle: CgroupCPUStat? = nil
    }

    /// One stage served by a worker.
    public struct Stage: Sendable {
        public var model: Int
        public var seconds: Double
        /// The request waited for this instance's start.
        public var cold: Bool
        /// The instance (slot and generation) that served it, and when (monotonic ns, sent to
        /// the worker → answered): which stages shared a worker process at once.
        public var instance: Int = -1
        public var generation: UInt64 = 0
        public var sent: Int64 = 0
        public var answered: Int64 = 0
        /// The worker process's run delay (ns runnable without a core, every live thread:
        /// `ProcessCPU.runDelay`) read as the stage was sent and as it was answered; −1 where
        /// it could not be read. The difference is the time the process waited for a core
        /// while this stage (and any other in service on it at the time) was served.
        public var runDelay: (sent: Int64, answered: Int64) = (-1, -1)
        /// The worker's cgroup's throttled time (ns, `cpu.stat`) read at the same moments; −1
        /// where it has no cgroup (no CPU limit) or it could not be read. Run delay counts
        /// throttled time too: the difference of the two is the wait for a core.
        public var throttled: (sent: Int64, answered: Int64) = (-1, -1)
        /// The client's number for the request (the load generator's `headroom-request`
        /// header: its index in the workload), or −1; and the recorder's run it was served in
        /// (`beginRun`). Together they name the request across several measured runs.
        public var request: Int64 = -1
        public var run = 0

        public init(model: Int, seconds: Double, cold: Bool, instance: Int = -1, generation: UInt64 = 0, sent: Int64 = 0, answered: Int64 = 0,
                    runDelay: (sent: Int64, answered: Int64) = (-1, -1), throttled: (sent: Int64, answered: Int64) = (-1, -1), request: Int64 = -1) {
            self.model = model
            self.seconds = seconds
            self.cold = cold
            self.instance = instance
            self.generation = generation
            self.sent = sent
            self.answered = answered
            self.runDelay = runDelay
            self.throttled = throttled
            self.request = request
        }
    }

    private let lock = NSLock()
    private var starts: [InstanceStart] = []
    private var stages: [Stage] = []
    private var run = 0
    private var served: [InstanceCPU] = []
    private var answered: (calls: Int, nanoseconds: Int64) = (0, 0)
    private var machineFrom: (busy: Double, at: Int64)?
    private var machineTo: (busy: Double, at: Int64)?

    public init() {}

    func instanceServed(_ s: InstanceCPU) {
        lock.lock(); served.append(s); lock.unlock()
    }

    /// Marks the start and the end of the measured run: the machine's busy CPU between them,
    /// less the workers', is the load the workers shared their cores with.
    public func beginMachine() {
        guard let busy = ProcessCPU.machineBusy() else { return }
        lock.withLock { machineFrom = (busy, MonotonicClock.nanoseconds()) }
    }

    public func endMachine() {
        guard let busy = ProcessCPU.machineBusy() else { return }
        lock.withLock { machineTo = (busy, MonotonicClock.nanoseconds()) }
    }

    /// Cores busy on average between `beginMachine` and `endMachine` (nil without both).
    public var machineBusyCores: Double? {
        lock.withLock {
            guard let a = machineFrom, let b = machineTo, b.at > a.at else { return nil }
            return (b.busy - a.busy) / (Double(b.at - a.at) / 1e9)
        }
    }

    /// The seconds between `beginMachine` and `endMachine` (0 without both).
    public var machineSeconds: Double {
        lock.withLock {
            guard let a = machineFrom, let b = machineTo else { return 0 }
            return Double(b.at - a.at) / 1e9
        }
    }

    public var instancesServed: [InstanceCPU] { lock.withLock { served } }

    func instanceReady(_ s: InstanceStart) {
        lock.lock()
        var s = s
        s.run = run
        starts.append(s)
        lock.unlock()
    }

    func stageServed(_ s: Stage) {
        lock.lock()
        var s = s
        s.run = run
        stages.append(s)
        lock.unlock()
    }

    /// Stages served from now on belong to measured run `run` (0 until called).
    public func beginRun(_ run: Int) {
        lock.withLock { self.run = run }
    }

    /// A request answered 2xx by the front, `nanoseconds` after it arrived there: the
    /// platform's own time with it, which the client's latency adds its network leg to.
    func callAnswered(nanoseconds: Int64, status: Int) {
        guard (200..<300).contains(status) else { return }
        lock.lock(); answered.calls += 1; answered.nanoseconds += nanoseconds; lock.unlock()
    }

    /// Requests answered 2xx, and their time in the platform in all (seconds).
    public var callsAnswered: (count: Int, seconds: Double) { lock.withLock { (answered.calls, Double(answered.nanoseconds) / 1e9) } }

    /// The records so far.
    public var instanceStarts: [InstanceStart] { lock.withLock { starts } }
    public var stagesServed: [Stage] { lock.withLock { stages } }
}
