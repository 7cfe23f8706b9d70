import Foundation
import Scenario
import Simulator
import Runtime

// The replayed comparison: the calibrated scenario driven by each measured run's own requests,
// every one with the service time measured of it, so that a difference from the measurement
// is the model's (queueing, scaling, starts, sharing) and not the luck of independent draws.
// It is the "correlated inspection" of Law & Kelton (Simulation Modeling and Analysis, §5.6.2):
// the model and the system driven by the same historical inputs, their outputs compared.

extension Calibration {
    /// A measured request: the run it was served in and the client's number for it (its
    /// index in the workload).
    public struct RequestKey: Hashable, Sendable {
        public var run: Int
        public var request: Int64

        public init(run: Int, request: Int64) {
            self.run = run
            self.request = request
        }

        /// The request a stage served, or nil when the client did not number it.
        init?(_ stage: RuntimeRecorder.Stage) {
            guard stage.request >= 0 else { return nil }
            self.init(run: stage.run, request: stage.request)
        }
    }

    /// The service times calibration takes a model's from, and the requests they were: taken
    /// back to uncontended with the CPU fit (of the basis), else all as measured.
    static func calibratedService(_ s: ModelSamples, fit: CPUFit?) -> (times: [Double], requests: [RequestKey?]) {
        fit.map { ($0.service, s.basisRequests) } ?? (s.service, s.serviceRequests)
    }

    /// Each measured request's service time as calibration takes it (the very values the
    /// calibrated `empirical` distribution is made of: less the waiting for a core that the
    /// simulator puts back), by request. Models whose times the calibrated file keeps as
    /// declared (an LLM engine's, a version's, one with too few requests) have none, and
    /// neither have requests outside the basis (those that shared their worker process, when
    /// the simulator puts that sharing back): the replay draws theirs.
    public static func replayedServices(_ samples: [ModelSamples], root: JSONNode, keep: Double) -> [RequestKey: Double] {
        var out: [RequestKey: Double] = [:]
        for s in samples {
            guard let model = root.member("models")?.member(s.model), model.member("engine") == nil,
                  s.service.count >= minimumSamples else { continue }
            let calibrated = calibratedService(s, fit: cpuFit(s, keep: keep))
            for (value, key) in zip(calibrated.times, calibrated.requests) {
                if let key { out[key] = value }
            }
        }
        return out
    }

    /// Each measured run's cold starts as calibration takes them (the values the calibrated
    /// `init` is made of: each start less its wait for a core when a start-up interference
    /// is fitted, else as measured), by run, then by model in scenario order, then in the
    /// order the core asked for them (`RunOptions.replayedInits`; −1: drawn). Models whose
    /// starts the calibrated file keeps as declared have none.
    public static func replayedInits(_ recorder: RuntimeRecorder, samples: [ModelSamples], scenario: Scenario, root: JSONNode,
                                     keep: Double, startInterference: Double?, runs: Int) -> [[[Int64]]] {
        // By model: nil when its starts are kept as declared, else whether they are taken back
        // to uncontended (as `calibrated` decides).
        let uncontended: [Bool?] = scenario.models.map { m in
            guard root.member("models")?.member(m.name) != nil, let s = samples.first(where: { $0.model == m.name }) else { return nil }
            return startInterference != nil && cpuFit(s, keep: keep) != nil && startFit(s) != nil
        }
        var out = [[[Int64]]](repeating: [[Int64]](repeating: [], count: scenario.models.count), count: runs)
        for start in recorder.instanceStarts where start.ordinal >= 0 && start.run < runs && uncontended.indices.contains(start.model) {
            guard let takenBack = uncontended[start.model] else { continue }
            let seconds: Double
            if takenBack {
                guard let cpu = start.cpu else { continue }   // as `startFit`: only the starts whose CPU was read
                seconds = uncontendedStart(start.processStart, cpu)
            } else {
                seconds = start.processStart
            }
            var list = out[start.run][start.model]
            if list.count <= start.ordinal { list += [Int64](repeating: -1, count: start.ordinal + 1 - list.count) }
            list[start.ordinal] = Int64((seconds * 1e9).rounded())
            out[start.run][start.model] = list
        }
        return out
    }

    /// A measured run's workload written as a trace.
    public struct ReplayTrace: Sendable {
        public var text: String
        /// Requests given their measured service time, and all requests.
        public var replayed: Int
        public var requests: Int
        /// The first arrival (seconds): the trace's times count from its first row.
        public var firstArrival: Double
    }

    /// The workload of measured run `run` as a CSV trace (`time,target,caller,version,
    /// input_tokens,output_tokens,service_s`): the arrivals the load generator sent, from the
    /// same stream, so row k is the client's request k, at the time it was due (the workload's
    /// divided by `speed`, as the load generator divides it), each with the service time
    /// measured of it where there is one (an empty `service_s`: the simulation draws it).
    public static func replayTrace(_ scenario: Scenario, seed: UInt64?, length: Double, speed: Double, run: Int,
                                   services: [RequestKey: Double]) throws -> ReplayTrace {
        let stream = try ArrivalStream(scenario: scenario, seed: seed)
        let limit = Int64((length * 1e9).rounded())
        var trace = ReplayTrace(text: "time,target,caller,version,input_tokens,output_tokens,service_s\n", replayed: 0, requests: 0, firstArrival: 0)
        var k: Int64 = 0
        while let a = try stream.next(), a.time < limit {
            let due = Int64(Double(a.time) / speed)
            if k == 0 { trace.firstArrival = Double(due) / 1e9 }
            // Only where the trace may give one, whatever the records hold.
            let service = scenario.takesServiceTime(a.target) ? services[RequestKey(run: run, request: k)] : nil
            if service != nil { trace.replayed += 1 }
            trace.text += seconds(due) + "," + CSVNumber.field(scenario.targetNames[a.target]) + "," + CSVNumber.field(a.caller) + ","
                + CSVNumber.field(a.version) + ",\(a.inputTokens),\(a.outputTokens),"
                + (service.map { seconds(Int64(($0 * 1e9).rounded())) } ?? "") + "\n"
            k += 1
        }
        trace.requests = Int(k)
        return trace
    }

    /// Nanoseconds as seconds with nine decimals, exactly.
    static func seconds(_ ns: Int64) -> String {
        let fraction = String(ns % 1_000_000_000)
        return "\(ns / 1_000_000_000)." + String(repeating: "0", count: 9 - fraction.count) + fraction
    }

    /// `scenario` with its workload replaced by the replay trace at `path` (written by
    /// `replayTrace`): one source, its rows' times kept as they are.
    public static func replaying(_ scenario: Scenario, trace path: String, firstArrival: Double) -> Scenario {
        var s = scenario
        var source = scenario.workload[0]
        source.kind = .trace(TraceSpec(format: .csv, path: path, resolvedPath: path))
        source.target = nil
        source.caller = nil
        source.version = nil
        source.start = firstArrival
        source.end = nil
        source.mix = []
        source.inputTokens = nil
        source.outputTokens = nil
        source.prompts = nil
        s.workload = [source]
        return s
    }

    /// The replayed simulations' figures set beside the drawn ones: each row's `replayed`
    /// from the row of the same plan, target and metric in `replayedRows`.
    public static func merge(_ rows: inout [Row], replayed replayedRows: [Row]) {
        for k in rows.indices {
            let match = replayedRows.first { $0.plan == rows[k].plan && $0.target == rows[k].target && $0.metric == rows[k].metric }
            rows[k].replayed = match?.simulated
        }
    }
}
