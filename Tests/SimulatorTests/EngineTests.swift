import Foundation
import XCTest
import Scenario
import SchedulerCore
@testable import Simulator
import Reports

final class EngineTests: XCTestCase {
    func testEventQueueMatchesSortedReference() {
        for seed in 1...50 {
            var rng = RandomSource(seed: UInt64(seed))
            let queue = EventQueue()
            var reference: [(Int64, Int32)] = []
            var popped: [(Int64, Int32)] = []
            var subject: Int32 = 0
            for _ in 0..<2000 {
                if rng.next() % 3 != 0 || queue.isEmpty {
                    let time = Int64(rng.next() % 50)     // many ties
                    queue.push(time: time, kind: .timer, subject: subject)
                    reference.append((time, subject))
                    subject += 1
                } else {
                    let e = queue.pop()
                    popped.append((e.time, e.subject))
                }
            }
            while !queue.isEmpty { let e = queue.pop(); popped.append((e.time, e.subject)) }
            XCTAssertEqual(popped.count, reference.count)
            // Popped in (time, insertion) order whenever the queue held both: check per-time FIFO.
            var lastSubjectAt: [Int64: Int32] = [:]
            for (time, s) in popped {
                if let last = lastSubjectAt[time] { XCTAssertLessThan(last, s, "ties leave in insertion order") }
                lastSubjectAt[time] = s
            }
        }
        // A pure drain comes out fully sorted.
        var rng = RandomSource(seed: 9)
        let queue = EventQueue()
        var times: [Int64] = []
        for k in 0..<10_000 { let t = Int64(rng.next() % 1000); times.append(t); queue.push(time: t, kind: .sample, subject: Int32(k)) }
        var out: [Int64] = []
        while !queue.isEmpty { out.append(queue.pop().time) }
        XCTAssertEqual(out, times.sorted())
    }

    /// The deadline ring against a plain array: entries that end are dropped only by `compact`
    /// (or skipped at the head), the live ones keep their order, and memory stays bounded by
    /// the live entries, not by all pushes.
    func testDeadlineQueueCompactionKeepsLiveEntriesInOrder() {
        for seed in 1...20 {
            var rng = RandomSource(seed: UInt64(seed))
            let queue = DeadlineQueue()
            var ended = Set<Int32>()
            var reference: [Int32] = []          // live slots in push order
            var next: Int32 = 0
            for _ in 0..<20_000 {
                if queue.isFull { queue.compact { !ended.contains($0.slot) } }
                queue.push(Int64(next), slot: next, generation: 0)
                reference.append(next)
                next += 1
                // End a few random live entries (at most ~40 live at a time).
                while reference.count > 40 || (rng.next() % 2 == 0 && !reference.isEmpty) {
                    let k = Int(rng.next() % UInt64(reference.count))
                    ended.insert(reference.remove(at: k))
                }
                // Due heads are skipped when ended, as the loop does.
                while let e = queue.first, ended.contains(e.slot) { queue.removeFirst() }
            }
            var live: [Int32] = []
            while let e = queue.first { queue.removeFirst(); if !ended.contains(e.slot) { live.append(e.slot) } }
            XCTAssertEqual(live, reference, "seed \(seed)")
            XCTAssertLessThanOrEqual(queue.capacity, 1024, "the ring did not grow with ended entries")
        }
    }

    func testSamplerMeansAndSpread() {
        func moments(_ spec: DistributionSpec, n: Int = 200_000) -> (Double, Double) {
            var rng = RandomSource(seed: 77)
            let s = Sampler(spec)
            var sum = 0.0, sum2 = 0.0
            for _ in 0..<n { let x = s.sample(&rng); sum += x; sum2 += x * x }
            let mean = sum / Double(n)
            return (mean, (sum2 / Double(n) - mean * mean).squareRoot() / mean)
        }
        var (m, cv) = moments(.exponential(mean: 2))
        XCTAssertEqual(m, 2, accuracy: 0.02); XCTAssertEqual(cv, 1, accuracy: 0.02)
        (m, cv) = moments(.lognormal(mean: 0.18, cv: 0.6))
        XCTAssertEqual(m, 0.18, accuracy: 0.002); XCTAssertEqual(cv, 0.6, accuracy: 0.02)
        (m, cv) = moments(.gamma(mean: 3, cv: 0.5))
        XCTAssertEqual(m, 3, accuracy: 0.02); XCTAssertEqual(cv, 0.5, accuracy: 0.01)
        (m, cv) = moments(.gamma(mean: 1, cv: 2))   // shape 0.25 < 1
        XCTAssertEqual(m, 1, accuracy: 0.03); XCTAssertEqual(cv, 2, accuracy: 0.1)
        (m, _) = moments(.uniform(min: 1, max: 3))
        XCTAssertEqual(m, 2, accuracy: 0.01)
        let empirical = DistributionSpec.empirical([EmpiricalPoint(percentile: 0, value: 0.005), EmpiricalPoint(percentile: 50, value: 0.04),
                                                    EmpiricalPoint(percentile: 99, value: 0.9), EmpiricalPoint(percentile: 100, value: 2)])
        (m, _) = moments(empirical)
        XCTAssertEqual(m, empirical.mean, accuracy: empirical.mean * 0.01)
        var rng = RandomSource(seed: 1)
        XCTAssertEqual(Sampler(.tokens(base: 0.03, perInputToken: 0.00015, perOutputToken: 0.018)).sample(&rng, inputTokens: 1000, outputTokens: 10),
                       0.03 + 0.15 + 0.18, accuracy: 1e-12)
    }

    func testHistogramPercentilesWithinOnePercentOfExact() {
        for seed in 1...4 {
            var rng = RandomSource(seed: UInt64(seed))
            let s = Sampler(.lognormal(mean: 0.2, cv: 1.5))
            var h = LatencyHistogram()
            var values: [Int64] = []
            for _ in 0..<100_000 { let v = s.nanoseconds(&rng); values.append(v); h.record(v) }
            values.sort()
            for p in [50.0, 90, 95, 99, 99.9] {
                let rank = Int((p / 100 * Double(values.count)).rounded(.up)) - 1
                let exact = Double(values[rank])
                let approx = Double(h.percentile(p)!)
                XCTAssertLessThan(abs(approx - exact) / exact, 0.01, "p\(p) seed \(seed)")
            }
            XCTAssertEqual(h.percentile(100), values.last)
            XCTAssertEqual(h.mean!, Double(values.reduce(0, +)) / Double(values.count), accuracy: 1)
        }
        var small = LatencyHistogram()
        for v: Int64 in [5, 7, 100] { small.record(v) }
        XCTAssertEqual(small.percentile(50), 7, "values below 128 ns are exact")
    }

    func testBillingArithmetic() {
        // EC2 Linux: per second, 60 s minimum.
        XCTAssertEqual(BillingMath.billedSeconds(30, increment: 1, minimum: 60), 60)
        XCTAssertEqual(BillingMath.billedSeconds(61.2, increment: 1, minimum: 60), 62)
        XCTAssertEqual(BillingMath.billedSeconds(3601, increment: 3600, minimum: 0), 7200, "hourly billing rounds up")
        XCTAssertEqual(BillingMath.nodeCost(seconds: 1800, pricePerHour: 0.526, increment: 1, minimum: 60), 0.263, accuracy: 1e-12)
        // Lambda: 1.2345 ms rounds up to 2 ms; 2 GB × $0.0000166667 per GB-s.
        XCTAssertEqual(BillingMath.providerDurationCost(nanoseconds: 1_234_500, granularity: 0.001, memoryGB: 2,
                                                        perGBSecond: 0.0000166667, gpus: 0, perGPUSecond: 0),
                       0.002 * 2 * 0.0000166667, accuracy: 1e-18)
        XCTAssertEqual(BillingMath.providerDurationCost(nanoseconds: 1_000_000, granularity: 0.001, memoryGB: 1,
                                                        perGBSecond: 0, gpus: 1, perGPUSecond: 0.5), 0.0005, accuracy: 1e-15)
    }

    func testReservedNodesAreBilledForTheWholeRun() throws {
        let s = try scenario("""
        { "name": "bill", "duration": "1h",
          "hardware": { "n": { "vcpus": 2, "memoryGiB": 4, "pricePerHour": 0.36 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "10ms" } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 1 } ],
          "plans": { "r": { "policy": "traditional", "nodes": { "n": 2 } } } }
        """)
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        XCTAssertEqual(r.cost, 0.72, accuracy: 1e-9, "2 nodes × 1 h × $0.36")
        XCTAssertEqual(r.nodeSeconds, 7200, accuracy: 1e-6)
        XCTAssertEqual(r.instancesMax, 4, "2 vCPU nodes pack two 1-vCPU instances each")
    }

    func testProviderBillingPerInvocationAndInit() throws {
        // Constant 100 ms service, 1 GiB, Lambda prices; one request every 2 s with a 10-minute
        // keep-alive: exactly one cold start, whose 1 s init is billed.
        let s = try scenario("""
        { "name": "lambda", "duration": "2000s",
          "hardware": { "n": { "vcpus": 2, "memoryGiB": 4, "pricePerHour": 0.1 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "100ms", "init": "1s" } },
          "workload": [ { "kind": "trace", "format": "csv", "path": "ticks.csv", "target": "m" } ],
          "plans": { "s": { "policy": "serverless", "hosting": "provider", "keepAlive": "10m" } } }
        """, directory: try tickTrace(count: 1000, every: 2))
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        XCTAssertEqual(r.totals.completed, 1000)
        XCTAssertEqual(r.coldStarts, 1)
        let expected = 1000 * (0.1 * 0.0000166667 + 0.0000002) + 1 * 0.0000166667
        XCTAssertEqual(r.cost, expected, accuracy: 1e-12)
        XCTAssertEqual(r.nodeSeconds, 0)
    }

    /// Provisioned concurrency: no cold start, invocations at the provisioned duration price,
    /// and the capacity billed for the run rounded up to 5 minutes (autoscalers.md §4.4).
    func testProvisionedConcurrencyBilling() throws {
        let s = try scenario("""
        { "name": "pc", "duration": "2000s",
          "hardware": { "n": { "vcpus": 2, "memoryGiB": 4, "pricePerHour": 0.1 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "100ms", "init": "1s" } },
          "workload": [ { "kind": "trace", "format": "csv", "path": "ticks.csv", "target": "m" } ],
          "plans": { "s": { "policy": "serverless", "hosting": "provider", "keepAlive": "10m", "provisionedConcurrency": { "m": 2 } } } }
        """, directory: try tickTrace(count: 1000, every: 2))
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        XCTAssertEqual(r.totals.completed, 1000)
        XCTAssertEqual(r.coldStarts, 0)
        let end = (r.endTime / 300).rounded(.up) * 300
        let expected = 1000 * (0.1 * 0.0000097222 + 0.0000002) + 2 * 1 * end * 0.0000041667
        XCTAssertEqual(r.cost, expected, accuracy: 1e-12)
    }

    /// The cold-start chain on a deterministic case: a request at t = 0 on an empty
    /// self-hosted pool waits for the node layer's first scan (10 s), a 90 s node boot, a
    /// 2 GB image pulled at 100 MB/s (20 s), 5.6 s of init, 14 GB of weights at 4 GB/s
    /// (3.5 s) and 2 s of warm-up; each phase is booked on its own.
    func testColdStartPhasesAreBookedSeparately() throws {
        let s = try scenario("""
        { "name": "chain", "duration": "5m",
          "hardware": { "g": { "vcpus": 8, "memoryGiB": 64, "gpus": 1, "pricePerHour": 1, "boot": "90s", "pullMBps": 100, "loadGBps": 4 } },
          "models": { "llm": { "requires": { "vcpus": 4, "memoryGiB": 32, "gpus": 1 }, "image": { "name": "vllm", "sizeGB": 2 },
                               "init": "5.6s", "weightsGB": 14, "warmup": "2s", "service": "100ms" } },
          "workload": [ { "kind": "trace", "format": "csv", "path": "ticks.csv", "target": "llm" } ],
          "plans": { "s": { "policy": "serverless", "hosting": "self", "keepAlive": "10m", "nodes": { "g": { "min": 0, "max": 1 } } } } }
        """, directory: try tickTrace(count: 1, every: 1))
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        XCTAssertEqual(r.totals.completed, 1)
        XCTAssertEqual(r.coldPhases[ColdStartPhase.node.rawValue], 90, accuracy: 1e-9)
        XCTAssertEqual(r.coldPhases[ColdStartPhase.pull.rawValue], 20, accuracy: 1e-9)
        XCTAssertEqual(r.coldPhases[ColdStartPhase.initialise.rawValue], 5.6, accuracy: 1e-9)
        XCTAssertEqual(r.coldPhases[ColdStartPhase.load.rawValue], 3.5, accuracy: 1e-9)
        XCTAssertEqual(r.coldPhases[ColdStartPhase.warmup.rawValue], 2, accuracy: 1e-9)
        XCTAssertEqual(Double(r.totals.latency.maximum) / 1e9, 10 + 90 + 20 + 5.6 + 3.5 + 2 + 0.1, accuracy: 1e-6)
        XCTAssertEqual(r.timeseries.reduce(0) { $0 + $1.coldPhases.reduce(0, +) }, 121.1, accuracy: 1e-6, "the intervals add up")
    }

    /// Idle cost: a reserved node at $3.60/h (0.1 ¢/s) serving a 1 s request every 10 s for
    /// 100 s is busy 10 s: 90 s of it, $0.09, bought nothing.
    func testIdleCostIsTheNodeTimeThatServedNothing() throws {
        let s = try scenario("""
        { "name": "idle", "duration": "100s",
          "hardware": { "n": { "vcpus": 2, "memoryGiB": 4, "pricePerHour": 3.6 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1s" } },
          "workload": [ { "kind": "trace", "format": "csv", "path": "ticks.csv", "target": "m" } ],
          "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 }, "instances": { "m": 2 } } } }
        """, directory: try tickTrace(count: 10, every: 10))
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        XCTAssertEqual(r.totals.completed, 10)
        XCTAssertEqual(r.cost, 0.1, accuracy: 1e-9)
        XCTAssertEqual(r.idleCost, 0.09, accuracy: 1e-9)
        XCTAssertEqual(Summary.row(r).value("idle_cost_usd")!, 0.09, accuracy: 1e-9)
    }

    /// Committed capacity: 2 of 3 reserved nodes committed at $0.10/h for the hour, the third
    /// at the on-demand $0.17/h: $0.37. A commitment larger than the pool is still paid.
    func testCommitmentsArePaidWhetherUsedOrNot() throws {
        func cost(_ commitment: String) throws -> Double {
            let s = try scenario("""
            { "name": "commit", "duration": "1h",
              "hardware": { "c": { "vcpus": 4, "memoryGiB": 8, "pricePerHour": 0.17 } },
              "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "10ms" } },
              "workload": [ { "kind": "poisson", "target": "m", "rate": 1 } ],
              "plans": { "r": { "policy": "traditional", "nodes": { "c": 3 }, "commitments": { "c": \(commitment) } } } }
            """)
            return try Runner.run(s, options: RunOptions()).plans[0].cost
        }
        XCTAssertEqual(try cost("{ \"nodes\": 2, \"pricePerHour\": 0.10 }"), 0.37, accuracy: 1e-6)
        XCTAssertEqual(try cost("{ \"nodes\": 5, \"pricePerHour\": 0.10 }"), 0.50, accuracy: 1e-6)
    }

    func testKeepAliveDecidesColdStarts() throws {
        func run(every: Double, keepAlive: String) throws -> PlanResult {
            let s = try scenario("""
            { "name": "ka", "duration": "1d",
              "hardware": { "n": { "vcpus": 2, "memoryGiB": 4, "pricePerHour": 0.1 } },
              "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "100ms", "init": "2s" } },
              "workload": [ { "kind": "trace", "format": "csv", "path": "ticks.csv", "target": "m" } ],
              "plans": { "s": { "policy": "serverless", "hosting": "provider", "keepAlive": "\(keepAlive)" } } }
            """, directory: try tickTrace(count: 50, every: every))
            return try Runner.run(s, options: RunOptions()).plans[0]
        }
        XCTAssertEqual(try run(every: 300, keepAlive: "10m").coldStarts, 1, "every 5 min with a 10 min keep-alive: only the first is cold")
        XCTAssertEqual(try run(every: 1200, keepAlive: "10m").coldStarts, 50, "every 20 min: each one is cold")
        let cold = try run(every: 1200, keepAlive: "10m")
        XCTAssertEqual(cold.totals.latency.percentile(50)!, 2_100_000_000, "cold latency = init + service")
        XCTAssertEqual(cold.waitSum, 0, accuracy: 1e-9, "waiting on a cold start is not queue wait")
    }

    /// Writes `count` rows, one every `every` seconds from 1 s, into a fresh folder's ticks.csv.
    func tickTrace(count: Int, every: Double) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-ticks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var text = "time\n"
        for k in 0..<count { text += "\(1 + Double(k) * every)\n" }
        try text.write(to: folder.appendingPathComponent("ticks.csv"), atomically: true, encoding: .utf8)
        return folder.path
    }
}

extension EngineTests {
    func testHistogramMergeAndWindowEdges() {
        var a = LatencyHistogram(), b = LatencyHistogram(), all = LatencyHistogram()
        var rng = RandomSource(seed: 4)
        for k in 0..<20_000 {
            let v = Int64(rng.exponential(mean: k % 2 == 0 ? 1e6 : 5e8))
            if k % 3 == 0 { a.record(v) } else { b.record(v) }
            all.record(v)
        }
        var merged = LatencyHistogram()
        merged.merge(a)
        merged.merge(b)
        merged.merge(LatencyHistogram())
        for p in [1.0, 50, 99, 100] { XCTAssertEqual(merged.percentile(p), all.percentile(p)) }
        XCTAssertEqual(merged.count, all.count)
        XCTAssertEqual(merged.cdf().count, all.cdf().count)
        var edges = LatencyHistogram()
        for v: Int64 in [1_000_000, 5, Int64.max / 2, 1_000_000] { edges.record(v) }
        XCTAssertEqual(edges.percentile(25), 5)
        XCTAssertEqual(edges.percentile(100), Int64.max / 2)
        XCTAssertEqual(edges.fraction(atOrBelow: 2), 0)
    }
}
