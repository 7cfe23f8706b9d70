import Foundation
import Scenario
import Simulator
import Reports

// The two terms calibration fits by simulating the calibrated copy: the start-up interference,
// and the share of the measured waiting for a core that stays in the service times.

extension Calibration {
    /// The contention terms fitted from the measurements, and a line on each for the report.
    public struct ContentionFit: Sendable, Equatable {
        /// The share of each request's own wait for a core kept in its service time.
        public var keep = 0.0
        /// The start-up interference α on shared cores (nil: not fitted, starts kept as measured).
        public var startInterference: Double?
        public var notes: [String] = []
    }

    /// Fits the start-up interference, then the share of waiting kept.
    ///
    /// 1. **Start-up interference.** Concurrent starts on shared cores: the starts are taken
    ///    back to uncontended and α fitted so that the simulated cold starts take as long on
    ///    average as the measured ones (contention.md, "Calibrate", step 3). Fair sharing
    ///    alone falls short of what concurrent starts do to each other, and a term on every
    ///    activity would slow the warm requests beside them, which were not (their measured
    ///    waiting for a core is what it is). Fitted with every wait taken off the service times.
    /// 2. **Waiting kept.** What fair sharing of the cores does not place (contention.md §4:
    ///    the scheduler's time slices and wake-up placement, the runtime's and the load
    ///    generator's own threads): the measured waiting for a core, each request's own read
    ///    from its worker as it was sent and answered, against what the simulator's sharing
    ///    gives with every wait taken off. The share it does not give back stays in each
    ///    request's service time. Simulated with the starts as step 1 has them, taking the
    ///    cores they took: a copy whose starts are kept as measured declares no CPU for them,
    ///    so its warm requests would never share with a start, and the waiting the starts
    ///    caused would be kept twice (in the times, and again by the simulator's sharing).
    ///
    /// `copy(startInterference)` is the calibrated copy with every wait for a core taken off
    /// the service times (`calibrated` with no waiting kept, decoded); `replicated(scenario,
    /// metric)` is the metric's mean over a few simulations of it.
    public static func fitContention(_ samples: [ModelSamples], runs: Int,
                                     copy: (_ startInterference: Double?) throws -> Scenario,
                                     replicated: (Scenario, (PlanResult) -> Double?) throws -> Double) throws -> ContentionFit {
        var fit = ContentionFit()
        var alphaNote: String?
        if fitsStartInterference(samples), let target = meanColdStart(samples) {
            // Decoded once; each trial sets α.
            var s = try copy(0)
            let alpha = try fitInterference(target: target) { a in
                for k in s.hardware.indices { s.hardware[k].contention.startupInterference = a }
                return try replicated(s) { meanColdStart($0) }
            }
            fit.startInterference = alpha
            alphaNote = "start-up interference α \(CSVNumber.fixed(alpha, 3)) on shared cores, fitted so that the simulated cold starts average the measured \(ValueFormat.seconds(target))"
        }
        if let target = servingWaiting(samples, runs: runs), target > 0 {
            let shared = try replicated(try copy(fit.startInterference)) { servingWaiting($0) }
            fit.keep = keptShare(measured: target, shared: shared)
            fit.notes.append("the requests waited \(ValueFormat.seconds(target)) a run for a core beyond any throttling (each request's own wait, read from its worker's schedstat less its cgroup's throttled time); sharing the cores as the simulator does gives \(ValueFormat.seconds(shared))"
                + (fit.keep > 0 ? ", so \(Int((fit.keep * 100).rounded())) % of each request's own wait stays in its service time" : ", so every wait is taken off"))
        }
        if let alphaNote { fit.notes.append(alphaNote) }
        return fit
    }
}
