import Scenario
import Planning

/// One request of a workload: when it arrives and what it calls.
public struct Arrival: Sendable, Equatable {
    /// Nanoseconds after the run's start.
    public var time: Int64
    /// Index into the scenario's `targetNames` (or into `ArrivalStream.targetNames` for a
    /// trace read without a scenario).
    public var target: Int
    public var caller: String
    public var version: String
    public var inputTokens: Int32
    public var outputTokens: Int32
}

/// The arrivals a simulation of a scenario sees, in time order, outside the simulation: the
/// load generator sends exactly these to a live endpoint.
///
/// The sources are built by the same code as the simulator's (`SourceState.make`) with the
/// same seed and random streams, so for a given scenario and seed the stream yields the same
/// requests at the same times as `headroom run`. Sources are merged by (time, source index);
/// the simulator breaks a tie between two sources at the very same nanosecond by event
/// sequence instead, which may order those two differently but never changes the set.
public final class ArrivalStream {
    var sources: [SourceState]
    var callers = StringTable()
    var versions = StringTable()
    /// Target names, by `Arrival.target`.
    public let targetNames: [String]
    /// Arrivals yielded so far.
    public private(set) var count: Int64 = 0
    private let traceReader: TraceReader?

    /// The workload of `scenario` with `seed` (the scenario's own when nil).
    public init(scenario: Scenario, seed: UInt64? = nil) throws {
        let directory = CallerDirectory(scenario)
        for name in directory.names.dropFirst() { _ = callers.intern(name) }
        sources = try SourceState.make(scenario, seed: seed ?? scenario.seed, callers: &callers, versions: &versions)
        targetNames = scenario.targetNames
        traceReader = nil
        try prime()
    }

    /// A trace replayed on its own: targets come from its target column (or `defaultTarget`
    /// for formats without one), times are divided by `speed`, and replay stops at `duration`
    /// seconds when given.
    public init(trace spec: TraceSpec, defaultTarget: String?, duration: Double?) throws {
        var seen = StringTable()
        let fallback = defaultTarget.map { seen.intern($0) } ?? -1
        let reader = try TraceReader(spec: spec, defaultTarget: fallback, targetNames: [])
        reader.seenTargets = seen
        traceReader = reader
        var state = SourceState(process: .trace(reader), target: fallback, caller: 0, version: 0, start: 0, end: duration ?? .infinity,
                                rng: RandomSource(seed: 0, stream: 1000), tokenRng: RandomSource(seed: 0, stream: 2000),
                                inputTokens: nil, outputTokens: nil, clock: 0)
        state.traceSpeed = spec.speed
        state.traceOffset = Int64((spec.offset * 1e9).rounded())
        state.traceLoop = spec.loop
        sources = [state]
        targetNames = []
        try prime()
    }

    /// The name of an arrival's target. For a trace read without a scenario, names are those
    /// of its target column as met so far; a row with no target (a format without the
    /// column, and no default given) has none.
    public func targetName(_ target: Int) -> String? {
        guard let reader = traceReader else { return targetNames.indices.contains(target) ? targetNames[target] : nil }
        let seen = reader.seenTargets?.strings ?? []
        return target > 0 && target < seen.count ? seen[target] : nil
    }

    private func prime() throws {
        for k in sources.indices { try sources[k].advance(callers: &callers, versions: &versions) }
    }

    /// The next arrival, or nil when every source has ended.
    ///
    /// - Complexity: O(s) for s sources (a scenario has a handful).
    public func next() throws -> Arrival? {
        var best = -1
        for k in sources.indices where !sources[k].exhausted {
            if best < 0 || sources[k].nextTime < sources[best].nextTime { best = k }
        }
        guard best >= 0 else { return nil }
        let s = sources[best]
        let arrival = Arrival(time: s.nextTime, target: Int(s.nextTarget), caller: callers.strings[Int(s.nextCaller)],
                              version: versions.strings[Int(s.nextVersion)], inputTokens: s.nextInput, outputTokens: s.nextOutput)
        try sources[best].advance(callers: &callers, versions: &versions)
        count += 1
        return arrival
    }
}
