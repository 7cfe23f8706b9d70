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
    }

    /// One stage served by a worker.
    public struct Stage: Sendable {
        public var model: Int
        public var seconds: Double
        /// The request waited for this instance's start.
        public var cold: Bool
    }

    private let lock = NSLock()
    private var starts: [InstanceStart] = []
    private var stages: [Stage] = []

    public init() {}

    func instanceReady(_ s: InstanceStart) {
        lock.lock(); starts.append(s); lock.unlock()
    }

    func stageServed(_ s: Stage) {
        lock.lock(); stages.append(s); lock.unlock()
    }

    /// The records so far.
    public var instanceStarts: [InstanceStart] { lock.withLock { starts } }
    public var stagesServed: [Stage] { lock.withLock { stages } }
}
