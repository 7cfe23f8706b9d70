import Foundation
import XCTest
import Scenario
@testable import Simulator
import Reports
import Planning

/// The LLM engine (continuous batching): exact cases on a profile of round numbers, the KV
/// cache's bookkeeping under preemption, and the comparison with Vidur's figures.
final class BatchingTests: XCTestCase {
    /// Prefill 0.1 ms per prompt token; decode 10 ms a step whatever the batch.
    static let roundProfile = """
    { "prefill": { "base": "0ms", "perToken": "0.1ms" }, "decode": { "base": "10ms", "perSequence": "0ms", "perKVToken": "0ms" } }
    """

    /// A scenario of one A100 node and one engine instance, replaying `rows` (seconds,
    /// prompt tokens, output tokens) as an Azure LLM trace.
    func run(rows: [(Double, Int, Int)], engine: String = "", kv: Int = 100_000, profile: String = roundProfile, slo: String = "",
             requests: Bool = false, interval: Double = 0, timeout: String = "1h") throws -> (PlanResult, RunResult, String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("batching-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var trace = "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        for (t, input, output) in rows {
            let whole = Int(t), micro = Int(((t - Double(whole)) * 1e7).rounded())
            trace += String(format: "2023-11-16 18:%02d:%02d.%07d,%d,%d\n", whole / 60, whole % 60, micro, input, output)
        }
        try trace.write(to: folder.appendingPathComponent("t.csv"), atomically: true, encoding: .utf8)
        // The exact cases below are vLLM V0's scheduling unless a case names its own.
        let engine = engine.contains("chunkedPrefill") || engine.contains("scheduler") ? engine : engine + #", "scheduler": "vllm-v0""#
        let s = try scenario("""
        {
          "name": "engine", "seed": 1, "duration": "10m",
          "hardware": { "gpu.a100": { "vcpus": 12, "memoryGiB": 85, "gpus": 1, "pricePerHour": 3.67 } },
          "models": { "llm": { "requires": { "vcpus": 8, "memoryGiB": 64, "gpus": 1 },
                               "engine": { "kind": "continuous-batching", "profile": \(profile), "kvCacheTokens": \(kv)\(engine) } } },
          "workload": [ { "kind": "trace", "format": "azure-llm", "path": "t.csv", "target": "llm" } ],
          "slo": { "timeout": "\(timeout)"\(slo) },
          "plans": { "one": { "policy": "traditional", "nodes": { "gpu.a100": 1 }, "instances": { "llm": 1 } } }
        }
        """, directory: folder.path)
        var options = RunOptions()
        options.interval = interval
        if requests { options.requestLogDirectory = folder.path }
        let result = try Runner.run(s, options: options)
        var log = ""
        if requests, let path = result.requestLogs.first { log = try String(contentsOfFile: path, encoding: .utf8) }
        return (result.plans[0], result, log)
    }

    func testLoneRequestTakesOnePrefillThenOneDecodePerFurtherToken() throws {
        let (r, _, _) = try run(rows: [(1, 100, 10)])
        let e = try XCTUnwrap(r.engine)
        // TTFT = prefill(100 tokens) = 10 ms; end to end = 10 ms + 9 decodes of 10 ms.
        XCTAssertEqual(Double(try XCTUnwrap(e.ttft.percentile(50))) / 1e6, 10, accuracy: 0.05)
        XCTAssertEqual(Double(try XCTUnwrap(r.totals.latency.percentile(50))) / 1e6, 100, accuracy: 0.4)
        XCTAssertEqual(Double(try XCTUnwrap(e.tpot.percentile(50))) / 1e6, 10, accuracy: 0.05)
        XCTAssertEqual(e.outputTokens, 10)
        XCTAssertEqual(e.iterations, 10)
        XCTAssertEqual(e.batchSizeMean, 1)
    }

    func testIdenticalRequestsArrivingTogetherEndTogether() throws {
        let (r, _, _) = try run(rows: Array(repeating: (2, 200, 20), count: 6))
        let e = try XCTUnwrap(r.engine)
        XCTAssertEqual(r.totals.completed, 6)
        // One prefill of 1,200 tokens (120 ms), then 19 decode steps of the six together.
        XCTAssertEqual(r.totals.latency.minimum, r.totals.latency.maximum)
        XCTAssertEqual(Double(r.totals.latency.maximum) / 1e6, 120 + 19 * 10, accuracy: 0.01)
        XCTAssertEqual(e.ttft.minimum, e.ttft.maximum)
        XCTAssertEqual(e.iterations, 20)
        XCTAssertEqual(e.batchSizeMean, 6)
    }

    func testVLLMPrefillBatchIsCappedBySizeTimesLongestPrompt() throws {
        // 4,096-token budget: two prompts of 1,500 fit (2 × 1,500), a third (3 × 1,500) does not.
        let (r, _, _) = try run(rows: Array(repeating: (1, 1500, 2), count: 3), engine: #", "maxBatchTokens": 4096"#)
        let e = try XCTUnwrap(r.engine)
        // Prefill of two (300 ms); then the third's prefill (150 ms) before their decodes.
        XCTAssertEqual(Double(e.ttft.minimum) / 1e6, 300, accuracy: 0.01)
        XCTAssertEqual(Double(e.ttft.maximum) / 1e6, 450, accuracy: 0.01)
    }

    func testChunkedPrefillSplitsALongPromptAndTheUnchunkedEngineRefusesIt() throws {
        // 10,000 prompt tokens under a 4,096 budget: chunks of 4,096, 4,096 and 1,808.
        let chunked = try run(rows: [(1, 10_000, 3)], engine: #", "chunkedPrefill": true"#).0
        let e = try XCTUnwrap(chunked.engine)
        XCTAssertEqual(chunked.totals.completed, 1)
        XCTAssertEqual(Double(e.ttft.minimum) / 1e6, 1000, accuracy: 0.01)
        XCTAssertEqual(e.iterations, 3 + 2)
        // Without chunking, vLLM refuses a prompt over max_num_batched_tokens.
        let (plain, _, log) = try run(rows: [(1, 10_000, 3), (2, 100, 2)], requests: true)
        XCTAssertEqual(plain.totals.rejected, 1)
        XCTAssertEqual(plain.totals.completed, 1)
        XCTAssertEqual(plain.engine?.refused, 1)
        XCTAssertTrue(log.contains(",rejected,"), log)
        XCTAssertTrue(log.contains("too_long"), log)
    }

    func testKVCacheIsNeverOverfilledAndEveryPreemptedRequestCompletesOnce() throws {
        // 40 requests of 300 + 400 tokens into 2,048 tokens of cache: sequences outgrow it and
        // are preempted (recomputed), again and again. Blocks are checked on every iteration
        // (assertions in debug builds); here every request completes exactly once.
        var rows: [(Double, Int, Int)] = []
        for k in 0..<40 { rows.append((1 + Double(k) * 0.05, 300, 400)) }
        let (r, _, log) = try run(rows: rows, engine: #", "maxSequences": 16"#, kv: 2048, requests: true)
        let e = try XCTUnwrap(r.engine)
        XCTAssertGreaterThan(e.preemptions, 0)
        XCTAssertEqual(r.totals.completed, 40)
        XCTAssertEqual(e.outputTokens, 40 * 400)
        XCTAssertLessThanOrEqual(try XCTUnwrap(e.kvUtilisation), 1)
        let ids = log.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false)[1] }
        XCTAssertEqual(Set(ids).count, 40)
        XCTAssertEqual(ids.count, 40)
    }

    func testAPreemptedSequenceThatOutgrowsOnePrefillEndsRefusedInsteadOfWaitingForever() throws {
        // Two prompts of 300 in 50 blocks: both run, grow, and the newer is preempted; its
        // recompute (300 + what it generated) no longer fits the 350-token prefill budget.
        let (r, _, _) = try run(rows: [(1, 300, 200), (1, 300, 200)], engine: #", "maxBatchTokens": 350"#, kv: 800)
        let e = try XCTUnwrap(r.engine)
        XCTAssertGreaterThanOrEqual(e.preemptions, 1)
        XCTAssertEqual(r.totals.completed, 1)
        XCTAssertEqual(r.totals.rejected, 1)
        XCTAssertEqual(e.refused, 1)
    }

    func testARefusedRequestEndsItsPipelineThere() throws {
        // Every prompt (5,000 tokens) is over the 4,096-token budget: the engine refuses each,
        // and neither the chain's next stage nor the graph's other stage serves it.
        let s = try scenario("""
        {
          "name": "refusals", "seed": 2, "duration": "1m",
          "hardware": { "gpu": { "vcpus": 16, "memoryGiB": 128, "gpus": 1, "pricePerHour": 6 } },
          "models": {
            "llm": { "requires": { "vcpus": 4, "memoryGiB": 32, "gpus": 1 },
                     "engine": { "kind": "continuous-batching", "profile": "llama-2-7b/h100", "maxBatchTokens": 4096, "scheduler": "vllm-v0" } },
            "post": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "10ms", "concurrency": 4 }
          },
          "pipelines": { "chain": ["llm", "post"], "fan": { "llm": [], "post": [] } },
          "workload": [
            { "kind": "poisson", "target": "chain", "rate": 2, "tokens": { "input": 5000, "output": 10 } },
            { "kind": "poisson", "target": "fan", "rate": 2, "tokens": { "input": 5000, "output": 10 } }
          ],
          "plans": { "one": { "policy": "traditional", "nodes": { "gpu": 1 } } }
        }
        """)
        var options = RunOptions()
        options.interval = 0
        let r = try Runner.run(s, options: options).plans[0]
        let chain = r.perTarget[2], fan = r.perTarget[3]
        XCTAssertGreaterThan(chain.requests, 50)
        XCTAssertEqual(chain.rejected, chain.requests)
        XCTAssertEqual(fan.rejected, fan.requests)
        XCTAssertEqual(r.totals.completed, 0)
        // The chain's second stage never ran.
        XCTAssertEqual(r.stageLatency[2][1].count, 0)
        XCTAssertEqual(r.engine?.refused, chain.requests + fan.requests)
    }

    func testATimedOutRequestIsAbortedAndFreesItsBlocks() throws {
        // 300 output tokens at 10 ms a step take 3 s; the caller leaves after 1 s: the engine
        // aborts the sequence then (as vLLM does when the client disconnects), after its
        // prefill and 99 decode steps, instead of running the other 200.
        let (r, _, _) = try run(rows: [(1, 100, 300)], timeout: "1s")
        let e = try XCTUnwrap(r.engine)
        XCTAssertEqual(r.totals.timedOut, 1)
        XCTAssertEqual(e.outputTokens, 0)
        XCTAssertEqual(e.iterations, 100)
        // The instance is free again: a later request is served as if alone.
        let (later, _, _) = try run(rows: [(1, 100, 300), (5, 100, 10)], timeout: "1s")
        XCTAssertEqual(later.totals.completed, 1)
        XCTAssertEqual(Double(try XCTUnwrap(later.engine?.ttft.maximum)) / 1e6, 10, accuracy: 0.01)
    }

    func testTokenSLOJudgesEachRequestOnTTFTAndTPOT() throws {
        // Alone, TTFT 10 ms and TPOT 10 ms: within a 20 ms / 15 ms SLO; a 5 ms TTFT bound fails it.
        let met = try run(rows: [(1, 100, 10)], slo: #", "ttft": "20ms", "tpot": "15ms", "percentile": 90"#).0
        XCTAssertEqual(met.totals.withinSLO, 1)
        let missed = try run(rows: [(1, 100, 10)], slo: #", "ttft": "5ms", "percentile": 90"#).0
        XCTAssertEqual(missed.totals.withinSLO, 0)
        XCTAssertTrue(missed.hasSLO)
    }

    func testEngineColumnsAppearOnlyWithAnEngine() throws {
        let (_, result, _) = try run(rows: [(1, 100, 10)])
        let header = CSVReports.summary(result).split(separator: "\n")[0]
        XCTAssertTrue(header.hasSuffix("end_time_s," + EngineMetric.names.joined(separator: ",")), String(header))
        let row = CSVReports.summary(result).split(separator: "\n")[1].split(separator: ",", omittingEmptySubsequences: false)
        let cells = Array(row.suffix(EngineMetric.names.count))
        XCTAssertEqual(cells[0], "0.010000")   // ttft_p50_s
        XCTAssertEqual(cells[9], "0")          // preemptions
        let targets = CSVReports.targets(result).split(separator: "\n")
        XCTAssertTrue(targets[0].hasSuffix("stage," + EngineMetric.names.joined(separator: ",")))
        let plain = try Runner.run(try scenario(queueScenario(servers: 1, rate: 1, service: #""0.5s""#, queueLimit: 10, duration: 10, seed: 1)),
                                   options: RunOptions())
        XCTAssertFalse(CSVReports.summary(plain).contains("ttft"))
        XCTAssertFalse(CSVReports.targets(plain).contains("ttft"))
    }

    func testTimeSeriesAndReportShowTheEngine() throws {
        var rows: [(Double, Int, Int)] = []
        for k in 0..<60 { rows.append((Double(k) * 2, 400, 50)) }
        let (_, result, _) = try run(rows: rows, interval: 60)
        let series = CSVReports.timeseries(result).split(separator: "\n")
        XCTAssertTrue(series[0].hasSuffix(EngineMetric.names.joined(separator: ",")))
        // Each interval's TTFT median: a lone 400-token prefill, 40 ms.
        let first = series[1].split(separator: ",", omittingEmptySubsequences: false)
        let ttft = first[first.count - EngineMetric.names.count]
        XCTAssertEqual(Double(ttft) ?? 0, 0.04, accuracy: 0.0005, String(series[1]))
        let html = HTMLReport.run(result, gates: [])
        XCTAssertTrue(html.contains("Time to first token"))
        XCTAssertTrue(html.contains("KV cache in use"))
        XCTAssertTrue(html.contains("TTFT p90 40.0 ms"), "the plan's card")
    }

    func testBundledProfilesAreSizedAndOrdered() throws {
        func step(_ name: String, _ b: Int, context: Int = 1000) -> Double {
            let spec = EngineSpec(profile: IterationProfile.named(name)!, maxSequences: 1024)
            let m = EngineModel(spec, profile: spec.profile)
            return Double(m.iterationNanoseconds(prefillTokens: 0, attention: 0, sequences: b, kvTokens: b * context)) / 1e6
        }
        func prefill(_ name: String, _ tokens: Int) -> Double {
            let spec = EngineSpec(profile: IterationProfile.named(name)!)
            let m = EngineModel(spec, profile: spec.profile)
            return Double(m.iterationNanoseconds(prefillTokens: tokens, attention: Double(tokens * tokens), sequences: 0, kvTokens: 0)) / 1e6
        }
        // The auto KV cache: Vidur's 7,424 blocks; 70B over four GPUs: (4 × 80 × 0.9 − 134) GiB ÷ 327,680 bytes.
        XCTAssertEqual(EngineSpec(profile: .vidurLlama2_7bA100).kvBlocks, 7424)
        XCTAssertEqual(EngineSpec(profile: .llama2_70bTP4H100).kvBlocks, Int((4 * 80 * 0.9 - 134) * 1_073_741_824 / 327_680) / 16)
        // (Not 7B against 70B at large batches: with grouped-query KV split four ways, a 70B
        // step reads far less KV per GPU than a 7B one on a single GPU.)
        for b in [1, 8, 64, 256] {
            XCTAssertLessThan(step("llama-2-7b/h100", b), step("llama-2-7b/a100", b))
            XCTAssertLessThan(step("llama-2-70b-tp4/h100", b), step("llama-2-70b-tp4/a100", b))
            if b <= 8 { XCTAssertLessThan(step("llama-2-7b/h100", b), step("llama-2-70b-tp4/h100", b)) }
        }
        // The H100 measurement the roofline starts from: a 7B step of about 5.5 ms at batch 1…64.
        XCTAssertEqual(step("llama-2-7b/h100", 1, context: 0), 5.3, accuracy: 0.01)
        // Past the compute bound, steps grow with the batch.
        XCTAssertGreaterThan(step("llama-2-7b/a100", 512), 2 * step("llama-2-7b/a100", 64))
        // The derived A100 profile within 25 % of Vidur's A100 figures (512-token prefill 37.1 ms).
        XCTAssertEqual(prefill("llama-2-7b/a100", 512) / 37.1, 1, accuracy: 0.25)
        XCTAssertEqual(step("llama-2-7b/a100", 8, context: 574) / 11.3, 1, accuracy: 0.25)
    }

    /// Many seeds of engines under every policy family, spot reclaims, scale to zero, a
    /// pipeline ending on the engine and tight caches: every request ends exactly once, the
    /// blocks stay within the cache (asserted on every iteration in debug builds), and the
    /// token figures add up.
    func testEnginesUnderEveryPolicyConserveRequestsAndBlocks() throws {
        var interrupted: Int64 = 0, preempted: Int64 = 0, coldStarts: Int64 = 0
        for seed in 1...12 {
            let chunked = seed % 2 == 0
            let kv = [2048, 8192, 65536][seed % 3]
            let s = try scenario("""
            {
              "name": "engines", "seed": \(seed), "duration": "4m",
              "hardware": { "gpu": { "vcpus": 16, "memoryGiB": 128, "gpus": 2, "pricePerHour": 6, "boot": "20s",
                                     "spot": { "interruptionsPerHour": 20, "notice": "5s" } } },
              "models": {
                "embed": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "20ms", "concurrency": 4 },
                "llm": { "requires": { "vcpus": 4, "memoryGiB": 32, "gpus": 1 }, "load": "5s",
                         "engine": { "kind": "continuous-batching", "profile": "llama-2-7b/h100", "maxSequences": \(8 + seed * 4),
                                     "maxBatchTokens": 2048, "kvCacheTokens": \(kv), "chunkedPrefill": \(chunked) } }
              },
              "pipelines": { "rag": ["embed", "llm"] },
              "workload": [
                { "kind": "bursts", "target": "llm", "base": 2, "peak": 12, "every": "1m", "length": "15s",
                  "tokens": { "input": { "dist": "lognormal", "mean": 700, "cv": 1 }, "output": { "dist": "lognormal", "mean": 120, "cv": 1 } } },
                { "kind": "poisson", "target": "rag", "rate": 1, "tokens": { "input": 300, "output": 40 } }
              ],
              "slo": { "ttft": "2s", "tpot": "80ms", "percentile": 90, "timeout": "40s" },
              "plans": {
                "reserved": { "policy": "traditional", "nodes": { "gpu": 2 } },
                "elastic": { "policy": "elastic", "metric": "concurrency", "target": 6, "nodes": { "gpu": { "min": 1, "max": 3 } } },
                "serverless": { "policy": "serverless", "hosting": "self", "keepAlive": "20s", "nodes": { "gpu": { "min": 0, "max": 3 } } }
              }
            }
            """)
            var options = RunOptions()
            options.interval = 30
            for r in try Runner.run(s, options: options).plans {
                let t = r.totals, e = try XCTUnwrap(r.engine)
                XCTAssertEqual(t.requests, t.completed + t.rejected + t.timedOut, "seed \(seed) \(r.plan)")
                XCTAssertGreaterThan(t.completed, 0, "seed \(seed) \(r.plan)")
                XCTAssertLessThanOrEqual(e.kvUtilisation ?? 0, 1, "seed \(seed) \(r.plan)")
                XCTAssertLessThanOrEqual(e.ttft.count, t.completed, "seed \(seed) \(r.plan)")
                XCTAssertEqual(r.enginePerTarget.reduce(0) { $0 + $1.outputTokens }, e.outputTokens)
                XCTAssertEqual(r.enginePerTarget.reduce(0) { $0 + $1.preemptions }, e.preemptions)
                interrupted += r.requestsInterrupted
                preempted += e.preemptions
                coldStarts += t.coldStarts
            }
        }
        // The paths this is about were taken: sequences cut off by reclaimed nodes, preempted
        // by a full cache, and dispatched to instances that had just started.
        XCTAssertGreaterThan(interrupted, 0)
        XCTAssertGreaterThan(preempted, 0)
        XCTAssertGreaterThan(coldStarts, 0)
    }

    func testExplainPlanShowsTheEngineAsItRuns() throws {
        let s = try scenario(Self.vidurScenario(rate: 4, seed: 1))
        let lines = try PlanBuilder.explain(s, planIndex: 0).lines.filter { $0.section == "LLM engine" }
        let cache = try XCTUnwrap(lines.first { $0.name == "llama: KV cache" })
        XCTAssertEqual(cache.value, "118784 tokens (7424 blocks of 16)")
        XCTAssertTrue(cache.origin.hasPrefix("auto: 1 × 80 GiB × 0.9 − 14 GiB"), cache.origin)
        XCTAssertEqual(lines.first { $0.name == "llama: max sequences" }?.value, "128")
        XCTAssertEqual(lines.first { $0.name == "llama: admission watermark" }?.value, "74 blocks kept free")
    }

    // MARK: Against Vidur

    /// Vidur's figures (../shared/reference/llm-vidur.md): Llama-2-7B, one A100, vLLM
    /// scheduler, batch cap 128, 4,096 tokens per batch; 1,000 Poisson arrivals of 512 prompt
    /// and 128 output tokens. Seconds: TTFT p50, p90; TPOT p50, p90; E2E p50, p90.
    static let vidur: [(rate: Double, figures: [Double])] = [
        (4, [0.0433, 0.0580, 0.0130, 0.0148, 1.7, 1.9]),
        (8, [0.0463, 0.0809, 0.0195, 0.0238, 2.5, 3.1]),
        (12, [0.0552, 0.1087, 0.0364, 0.0522, 4.7, 6.8]),
    ]

    static func vidurScenario(rate: Double, seed: Int) -> String {
        """
        {
          "name": "vidur", "seed": \(seed), "duration": \(1000 / rate),
          "hardware": { "gpu.a100": { "vcpus": 12, "memoryGiB": 85, "gpus": 1, "pricePerHour": 3.67 } },
          "models": { "llama": { "requires": { "vcpus": 8, "memoryGiB": 64, "gpus": 1 },
                                 "engine": { "kind": "continuous-batching", "profile": "vidur/llama-2-7b/a100",
                                             "maxSequences": 128, "maxBatchTokens": 4096, "scheduler": "vllm-v0" } } },
          "workload": [ { "kind": "poisson", "rate": \(rate), "target": "llama", "tokens": { "input": 512, "output": 128 } } ],
          "slo": { "timeout": "1h" },
          "plans": { "vidur": { "policy": "traditional", "nodes": { "gpu.a100": 1 }, "instances": { "llama": 1 } } }
        }
        """
    }

    /// The six figures of one run, as Vidur reports them (TPOT over the output tokens).
    static func figures(_ r: PlanResult) -> [Double] {
        let e = r.engine!
        let s = { (h: LatencyHistogram, q: Double) in Double(h.percentile(q)!) / 1e9 }
        // Vidur divides the decode time by every output token, the first included: × 127/128.
        return [s(e.ttft, 50), s(e.ttft, 90), s(e.tpot, 50) * 127 / 128, s(e.tpot, 90) * 127 / 128,
                s(r.totals.latency, 50), s(r.totals.latency, 90)]
    }

    func testAgreesWithVidurBelowSaturation() throws {
        // Vidur ran one seed; ours are the median of sixteen, whose spread is the sampling noise of
        // 1,000 requests (at 12 req/s, near the saturation of about 14, p90 ranges ±15 %).
        let seeds = 16
        for (rate, theirs) in Self.vidur {
            let runs = try replications(seeds) { try scenario(Self.vidurScenario(rate: rate, seed: $0)) }
            XCTAssertTrue(runs.allSatisfy { $0.engine!.preemptions == 0 })   // as in Vidur's runs
            let ours = (0..<6).map { k in runs.map { Self.figures($0)[k] }.sorted() }
            for k in 0..<6 {
                let median = (ours[k][seeds / 2 - 1] + ours[k][seeds / 2]) / 2
                let error = median / theirs[k] - 1
                print(String(format: "vidur comparison: rate %.0f figure %d: ours %.4f [%.4f–%.4f], Vidur %.4f, %+.1f %%", rate, k, median, ours[k].first!, ours[k].last!, theirs[k], error * 100))
                if k % 2 == 0 {
                    // Medians within 10 %.
                    XCTAssertLessThan(abs(error), 0.10, "rate \(rate), figure \(k): ours \(median), Vidur \(theirs[k])")
                } else if rate < 12 {
                    // p90s within 12 %: TTFT p90 at 4 req/s is 11 % above Vidur's, whose one run sits
                    // at the bottom of our seeds' range (docs/accuracy.md, "LLM engine").
                    XCTAssertLessThan(abs(error), 0.12, "rate \(rate), figure \(k): ours \(median), Vidur \(theirs[k])")
                } else {
                    // The p90s near saturation: Vidur's one run must fall within our seeds' range.
                    XCTAssertTrue((ours[k].first!...ours[k].last!).contains(theirs[k]),
                                  "rate \(rate), figure \(k): ours \(ours[k]), Vidur \(theirs[k])")
                }
            }
        }
    }

    func testSaturationPointMatchesVidur() throws {
        // Vidur: around 14 req/s the batch cap of 128 is reached and TTFT grows without bound
        // over the run. Below it, TTFT p99 stays in the hundreds of milliseconds; above, the
        // line grows for the whole run and p99 passes seconds.
        func growing(_ rate: Double) throws -> Bool {
            let r = try Runner.run(try scenario(Self.vidurScenario(rate: rate, seed: 1)), options: RunOptions()).plans[0]
            return Double(r.engine!.ttft.percentile(99)!) / 1e9 > 2
        }
        XCTAssertFalse(try growing(12.6))   // 10 % below 14
        XCTAssertTrue(try growing(15.4))    // 10 % above
    }
}
