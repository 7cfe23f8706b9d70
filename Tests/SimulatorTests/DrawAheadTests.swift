import Dispatch
import Foundation
import XCTest
import Scenario
import Reports
@testable import Simulator

/// Arrivals drawn ahead on another thread (`SourcePrefetch`, over `DrawAhead`) against the same sources drawn
/// inline: the same draws, in the same order, to the same end.
final class SourcePrefetchTests: XCTestCase {
    /// Every synthetic process, a target mix with callers and versions, and token draws.
    let workloads = """
    [ { "kind": "poisson", "target": "a", "rate": 40 },
      { "kind": "bursts", "target": "b", "base": 5, "peak": 60, "every": "2m", "length": "20s", "offset": "30s" },
      { "kind": "mmpp", "target": "a", "states": [ { "rate": 5, "meanStay": "30s" }, { "rate": 80, "meanStay": "10s" } ] },
      { "kind": "diurnal", "target": "b", "mean": 20, "amplitude": 0.8, "period": "5m", "peakAt": "1m" },
      { "kind": "poisson", "rate": 30,
        "tokens": { "input": { "dist": "lognormal", "mean": 500, "cv": 1 }, "output": { "dist": "exponential", "mean": 200 } },
        "mix": [ { "target": "a", "weight": 3, "caller": "web" }, { "target": "b", "weight": 1, "caller": "batch", "version": "v2" } ] } ]
    """

    func makeScenario(duration: String = "900s", seed: Int = 5) throws -> Scenario {
        try scenario("""
        { "name": "draws", "duration": "\(duration)", "seed": \(seed),
          "hardware": { "n": { "vcpus": 64, "memoryGiB": 64, "pricePerHour": 1 } },
          "models": { "a": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": { "dist": "exponential", "mean": "20ms" }, "concurrency": 4 },
                      "b": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "5ms", "concurrency": 4, "version": "v1", "versions": { "v2": {} } } },
          "workload": \(workloads),
          "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 }, "instances": { "a": 3, "b": 2 } },
                     "e": { "policy": "elastic", "metric": "concurrency", "target": 2, "nodes": { "n": { "min": 1, "max": 8 } } },
                     "s": { "policy": "serverless", "hosting": "self", "keepAlive": "20s", "nodes": { "n": { "min": 1, "max": 8 } } } } }
        """)
    }

    /// The `next…` fields of a source, and whether it ended.
    struct Next: Equatable {
        var time: Int64, service: Int64, target: Int32, caller: Int32, version: Int32, input: Int32, output: Int32
        var exhausted: Bool
        init(_ s: SourceState) {
            time = s.nextTime; service = s.nextService; target = s.nextTarget; caller = s.nextCaller
            version = s.nextVersion; input = s.nextInput; output = s.nextOutput; exhausted = s.exhausted
        }
    }

    func testDrawsMatchInlineAcrossBatchBoundariesToTheEnd() throws {
        let s = try makeScenario()
        var callers = StringTable(), versions = StringTable()
        var sources = try SourceState.make(s, seed: s.seed, callers: &callers, versions: &versions)
        XCTAssertEqual(sources.count, 5)
        for k in sources.indices {
            XCTAssertTrue(SourcePrefetch.canDrawAhead(sources[k]))
            try sources[k].advance(callers: &callers, versions: &versions)
            // Inline: the reference.
            var inline = sources[k]
            var expected: [Next] = []
            repeat {
                try inline.advance(callers: &callers, versions: &versions)
                expected.append(Next(inline))
            } while !inline.exhausted
            XCTAssertGreaterThan(expected.count, 2_000, "source \(k)")
            let n = expected.count - 1   // draws before the end
            // Batch sizes that divide the draws exactly (the last batch is then empty), that
            // leave a remainder, and that hold them all.
            for size in [1, 3, 7, n, n + 1, 8192] {
                var drawn = sources[k]
                let prefetch = SourcePrefetch(sources[k], batchSize: size)
                var got: [Next] = []
                repeat {
                    try prefetch.next(into: &drawn)
                    got.append(Next(drawn))
                } while !drawn.exhausted && got.count <= expected.count
                prefetch.stop()
                XCTAssertEqual(got.count, expected.count, "source \(k), batches of \(size)")
                // Past the end a source only says it is exhausted (its other fields stay).
                XCTAssertEqual(got.dropLast(), expected.dropLast(), "source \(k), batches of \(size)")
                XCTAssertTrue(got.last!.exhausted)
                // Asked again after the end, it stays ended.
                try prefetch.next(into: &drawn)
                XCTAssertTrue(drawn.exhausted)
            }
        }
    }

    /// `stop` ends the drawing thread whether it is waiting for room, drawing, or done.
    func testStopEndsTheThreadAtAnyPoint() throws {
        let s = try makeScenario(duration: "100d")   // millions of arrivals: the ring fills and waits
        var callers = StringTable(), versions = StringTable()
        var sources = try SourceState.make(s, seed: s.seed, callers: &callers, versions: &versions)
        try sources[0].advance(callers: &callers, versions: &versions)
        let source = sources[0]
        for reads in [0, 1, 5000, 40_000] {
            let prefetch = SourcePrefetch(source, batchSize: 1024)
            var drawn = source
            for _ in 0..<reads { try prefetch.next(into: &drawn) }
            XCTAssertFalse(drawn.exhausted)
            let stopped = DispatchSemaphore(value: 0)
            let draws = prefetch.draws
            DispatchQueue.global().async { draws.stop(); stopped.signal() }
            XCTAssertEqual(stopped.wait(timeout: .now() + 10), .success, "stop after \(reads) reads did not return")
            prefetch.stop()   // a second stop does nothing
        }
        // A source that ended before it was stopped.
        let short = try makeScenario(duration: "2s")
        var shortSources = try SourceState.make(short, seed: short.seed, callers: &callers, versions: &versions)
        try shortSources[0].advance(callers: &callers, versions: &versions)
        let prefetch = SourcePrefetch(shortSources[0], batchSize: 16)
        var drawn = shortSources[0]
        repeat { try prefetch.next(into: &drawn) } while !drawn.exhausted
        prefetch.stop()
    }

    /// A plan run with arrivals drawn ahead gives the same results as one drawing inline, with
    /// every plan kind's own events (scaling, timers) interleaved.
    func testRunsWithDrawAheadMatchInlineRuns() throws {
        let s = try makeScenario()
        for index in s.plans.indices {
            var options = RunOptions()
            options.interval = 30
            options.parallel = false
            let inline = try Runner.runPlan(s, index: index, seed: s.seed, options: options)
            options.drawAhead = true
            let ahead = try Runner.runPlan(s, index: index, seed: s.seed, options: options)
            XCTAssertGreaterThan(inline.totals.requests, 50_000)
            XCTAssertEqual(ahead.totals.requests, inline.totals.requests)
            XCTAssertEqual(ahead.totals.latency.sum, inline.totals.latency.sum)
            XCTAssertEqual(ahead.cost, inline.cost)
            XCTAssertEqual(ahead.timeseries, inline.timeseries)
            XCTAssertEqual(ahead.events, inline.events)
            XCTAssertEqual(ahead.callers, inline.callers)
            XCTAssertEqual(Summary.row(ahead).values, Summary.row(inline).values)
        }
    }

    /// The runner draws ahead only when asked and when the plans running at once leave a core.
    func testRunnerDrawsAheadOnlyWithAnIdleCore() {
        var options = RunOptions()
        XCTAssertFalse(Runner.drawsAhead(options, plans: 1, cores: 8), "not asked")
        options.drawAhead = true
        XCTAssertTrue(Runner.drawsAhead(options, plans: 1, cores: 2))
        XCTAssertFalse(Runner.drawsAhead(options, plans: 1, cores: 1))
        XCTAssertFalse(Runner.drawsAhead(options, plans: 2, cores: 2), "both cores run plans")
        XCTAssertTrue(Runner.drawsAhead(options, plans: 3, cores: 4))
        options.parallel = false
        XCTAssertTrue(Runner.drawsAhead(options, plans: 5, cores: 2), "one plan at a time")
    }
}

/// A random stream's uniforms drawn ahead (`StreamPrefetch`) against the stream itself: every
/// distribution draws the same values from either.
final class StreamPrefetchTests: XCTestCase {
    func testEveryDistributionDrawsTheSameValuesFromTheStreamDrawnAhead() {
        let samplers: [Sampler] = [
            .exponential(mean: 0.7), .constant(0.25), Sampler(.lognormal(mean: 0.3, cv: 1.4)), .uniform(min: 0.1, width: 2),
            Sampler(.gamma(mean: 2, cv: 0.5)), Sampler(.gamma(mean: 2, cv: 3)),   // shapes 4 and 1/9 (the boost)
            .empirical(percentiles: [0, 0.5, 0.9, 1], values: [0.01, 0.2, 1, 5]), .tokens(base: 0.01, perInput: 0.001, perOutput: 0.02),
        ]
        for batchSize in [1, 3, 8192] {
            for seed: UInt64 in [1, 2, 99] {
                var inline = RandomSource(seed: seed, stream: 1)
                let ahead = StreamPrefetch(inline, batchSize: batchSize)
                var drawn = ahead.stream
                var mix = RandomSource(seed: seed, stream: 7)   // picks the sampler of each draw
                for k in 0..<20_000 {
                    let sampler = samplers[Int(mix.next() % UInt64(samplers.count))]
                    let a = sampler.nanoseconds(&inline, inputTokens: 100, outputTokens: 30)
                    let b = sampler.nanoseconds(&drawn, inputTokens: 100, outputTokens: 30)
                    if a != b { XCTFail("draw \(k) of \(sampler), seed \(seed), batches of \(batchSize): \(a) inline, \(b) drawn ahead"); break }
                }
                XCTAssertEqual(drawn.uniform(), inline.uniform())
                XCTAssertEqual(drawn.normal(), inline.normal())
                XCTAssertEqual(drawn.exponential(mean: 3), inline.exponential(mean: 3))
                ahead.stop()
            }
        }
    }

    /// A run starts drawing its service stream ahead only when some sampler takes uniforms:
    /// `drawsUniforms` says which do, as drawing from a stream shows.
    func testDrawsUniformsSaysWhichSamplersTakeFromTheStream() {
        let samplers: [Sampler] = [
            .exponential(mean: 1), .constant(2), Sampler(.lognormal(mean: 1, cv: 1)), .uniform(min: 0, width: 1),
            Sampler(.gamma(mean: 1, cv: 2)), .empirical(percentiles: [0, 1], values: [0, 1]), .tokens(base: 1, perInput: 0, perOutput: 0),
        ]
        for sampler in samplers {
            var rng = RandomSource(seed: 3, stream: 1)
            let before = rng
            _ = sampler.nanoseconds(&rng, inputTokens: 10, outputTokens: 10)
            var untouched = before
            XCTAssertEqual(rng.next() != untouched.next(), sampler.drawsUniforms, "\(sampler)")
        }
    }
}
