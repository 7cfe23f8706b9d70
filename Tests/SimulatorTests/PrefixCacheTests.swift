import Foundation
import XCTest
import Scenario
@testable import Simulator
import Reports
import Planning
import SchedulerCore

/// Automatic prefix caching: the per-instance cache against a trivially correct reference,
/// exact cases on a profile of round numbers, the Mooncake trace's own reuse, and bad rows.
final class PrefixCacheTests: XCTestCase {
    // MARK: The cache against a reference

    /// The reference: cached nodes with their holders, and the evictable ones in a plain array
    /// in the order they became evictable.
    struct ReferenceCache {
        var refs: [Int32: Int] = [:]
        var evictable: [Int32] = []
        var blocks: [Int32: Int] = [:]

        var evictableBlocks: Int { evictable.reduce(0) { $0 + blocks[$1]! } }
    }

    func testCacheMatchesAReferenceOverManySeeds() {
        for seed in 0..<200 {
            var random = RandomSource(seed: UInt64(seed))
            func below(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
            var cache = PrefixCache()
            var reference = ReferenceCache()
            let nodes = Int32(1 + below(40))
            for step in 0..<400 {
                let n = Int32(below(Int(nodes)))
                let b = 1 + Int(n % 5)
                let context = "seed \(seed) step \(step) node \(n)"
                switch below(10) {
                case 0...2:
                    // Insert an uncached node, or hold a cached one once more.
                    if reference.refs[n] == nil {
                        cache.insert(n)
                        reference.refs[n] = 1
                        reference.blocks[n] = b
                    } else {
                        let wasEvictable = reference.refs[n] == 0
                        XCTAssertEqual(cache.acquire(n, blocks: b), wasEvictable, context)
                        reference.refs[n]! += 1
                        reference.evictable.removeAll { $0 == n }
                    }
                case 3...5:
                    guard let held = reference.refs[n], held > 0 else { continue }
                    XCTAssertEqual(cache.release(n, blocks: b), held == 1, context)
                    reference.refs[n] = held - 1
                    if held == 1 { reference.evictable.append(n) }
                case 6...8:
                    guard let first = reference.evictable.first else { continue }
                    let evicted = cache.evictOldest { Int($0 % 5) + 1 }.node
                    XCTAssertEqual(evicted, first, "the least recently freed goes first: " + context)
                    XCTAssertEqual(reference.refs[evicted], 0, "a held node is never evicted: " + context)
                    reference.evictable.removeFirst()
                    reference.refs[evicted] = nil
                default:
                    if below(10) == 0 {
                        cache.removeAll()
                        reference = ReferenceCache()
                    }
                }
                XCTAssertEqual(cache.evictableBlocks, reference.evictableBlocks, context)
                XCTAssertEqual(cache.entries, reference.refs.count, context)
                for k in 0..<nodes {
                    XCTAssertEqual(cache.contains(k), reference.refs[k] != nil, context)
                    if let r = reference.refs[k] { XCTAssertEqual(Int(cache.refs[Int(k)]), r, context) }
                }
            }
        }
    }

    // MARK: Exact cases

    /// Prefill 0.1 ms per prompt token; decode 10 ms a step.
    static let roundProfile = """
    { "prefill": { "base": "0ms", "perToken": "0.1ms" }, "decode": { "base": "10ms", "perSequence": "0ms", "perKVToken": "0ms" } }
    """

    /// One engine instance replaying `rows` (seconds, prompt tokens, output tokens, hash ids)
    /// as a mooncake trace.
    func run(_ rows: [(Double, Int, Int, [Int])], engine: String = "", kv: Int = 100_000, hashBlock: Int = 512,
             requests: Bool = false) throws -> (PlanResult, [String]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("prefix-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let trace = rows.map { r in
            "{\"timestamp\": \(Int(r.0 * 1000)), \"input_length\": \(r.1), \"output_length\": \(r.2), \"hash_ids\": [\(r.3.map(String.init).joined(separator: ", "))]}\n"
        }.joined()
        try trace.write(to: folder.appendingPathComponent("t.jsonl"), atomically: true, encoding: .utf8)
        let s = try scenario("""
        {
          "name": "prefix", "seed": 1, "duration": "10m",
          "hardware": { "gpu.a100": { "vcpus": 12, "memoryGiB": 85, "gpus": 1, "pricePerHour": 3.67 } },
          "models": { "llm": { "requires": { "vcpus": 8, "memoryGiB": 64, "gpus": 1 },
                               "engine": { "kind": "continuous-batching", "profile": \(Self.roundProfile), "kvCacheTokens": \(kv)\(engine) } } },
          "workload": [ { "kind": "trace", "format": "mooncake", "path": "t.jsonl", "target": "llm", "hashBlockTokens": \(hashBlock) } ],
          "slo": { "timeout": "1h" },
          "plans": { "one": { "policy": "traditional", "nodes": { "gpu.a100": 1 }, "instances": { "llm": 1 } } }
        }
        """, directory: folder.path)
        return try runFirstPlan(s, requestLog: requests ? folder.path : nil)
    }

    /// Time to first token of each request, in ms, in arrival order (requests.csv's `ttft_s`,
    /// after its usual columns; rows come in order of completion).
    func ttfts(_ lines: [String]) throws -> [Double] {
        let rows = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let id = try XCTUnwrap(CSVReports.requestColumns.firstIndex(of: "id")), ttft = CSVReports.requestColumns.count
        return rows.sorted { Int($0[id])! < Int($1[id])! }.map { Double($0[ttft])! * 1000 }
    }

    func testAPromptIsPrefilledOnlyPastItsCachedPrefix() throws {
        // A: two blocks. B: A's two blocks and a third. C: exactly A's prompt (a full hit: its
        // last token is computed again).
        let rows = [(1.0, 1024, 2, [1, 2]), (5.0, 1500, 2, [1, 2, 3]), (10.0, 1024, 2, [1, 2])]
        let (r, lines) = try run(rows, requests: true)
        let t = try ttfts(lines)
        XCTAssertEqual(t[0], 102.4, accuracy: 0.01, "1,024 tokens at 0.1 ms")
        XCTAssertEqual(t[1], 47.6, accuracy: 0.01, "only the 476 tokens past the cached 1,024")
        XCTAssertEqual(t[2], 0.1, accuracy: 0.01, "one token again")
        let e = try XCTUnwrap(r.engine)
        XCTAssertEqual(e.cachedTokens, 1024 + 1023)
        XCTAssertEqual(try XCTUnwrap(e.prefixCacheHitRate), Double(1024 + 1023) / Double(1024 + 1500 + 1024), accuracy: 1e-12)

        let (off, offLines) = try run(rows, engine: #", "prefixCaching": false"#, requests: true)
        for (got, want) in zip(try ttfts(offLines), [102.4, 150, 102.4]) { XCTAssertEqual(got, want, accuracy: 0.01) }
        XCTAssertEqual(off.engine?.prefixCacheHitRate, 0)
        // vLLM V0 has no prefix caching unless asked for.
        let (v0, _) = try run(rows, engine: #", "scheduler": "vllm-v0""#)
        XCTAssertEqual(v0.engine?.cachedTokens, 0)
        let (v0on, v0Lines) = try run(rows, engine: #", "scheduler": "vllm-v0", "prefixCaching": true"#, requests: true)
        XCTAssertEqual(v0on.engine?.cachedTokens, 1024 + 1023)
        for (got, want) in zip(try ttfts(v0Lines), [102.4, 47.6, 0.1]) { XCTAssertEqual(got, want, accuracy: 0.01, "V0's prefill-only iterations") }
    }

    func testOnlyWholeKVBlocksOfAPrefixAreReused() throws {
        // Hash blocks of 100 tokens do not end on 16-token KV blocks: of a 200-token prefix,
        // 192 tokens are reused.
        let (r, lines) = try run([(1.0, 200, 2, [1, 2]), (5.0, 300, 2, [1, 2, 3])], hashBlock: 100, requests: true)
        XCTAssertEqual(r.engine?.cachedTokens, 192)
        XCTAssertEqual(try ttfts(lines)[1], 10.8, accuracy: 0.01)
    }

    func testTheLeastRecentlyFreedBlockIsEvictedAndAPromptsLastBlockFirst() throws {
        // 128 KV blocks of 16 tokens (one kept free). A leaves its two 512-token blocks (32 KV
        // blocks each) cached; D (1,400 tokens, 88 KV blocks) finds 64 free and evicts one of
        // A's: A's last block, not the one it follows. B then reuses A's first block only.
        let rows = [(1.0, 1024, 2, [1, 2]), (3.0, 1400, 2, [7, 8, 9]), (5.0, 1500, 2, [1, 2, 3])]
        let (r, lines) = try run(rows, kv: 2048, requests: true)
        let t = try ttfts(lines)
        XCTAssertEqual(t[2], 98.8, accuracy: 0.01, "B prefills 1,500 − 512 tokens")
        XCTAssertEqual(r.engine?.cachedTokens, 512)
        XCTAssertEqual(r.totals.completed, 3)
    }

    func testAHeldBlockIsNeverEvicted() throws {
        // A's long answer holds its two blocks; B, arriving meanwhile, shares them. D then
        // needs more room than the free blocks, and every cached block is held: D waits for A
        // and B to end rather than evict what they hold.
        let rows = [(1.0, 1024, 200, [1, 2]), (1.5, 1500, 2, [1, 2, 3]), (2.0, 1400, 2, [7, 8, 9])]
        let (r, lines) = try run(rows, kv: 2048, requests: true)
        XCTAssertEqual(r.totals.completed, 3)
        XCTAssertEqual(r.engine?.cachedTokens, 1024, "B found both of A's blocks")
        let t = try ttfts(lines)
        // 476 tokens riding with A's decodes (10 ms a step), not 1,500 (150 ms).
        XCTAssertLessThan(t[1], 70)
        XCTAssertGreaterThan(t[2], 1000, "D waited for A to end (200 decodes of 10 ms)")
    }

    // MARK: The Mooncake trace

    /// The bundled Mooncake conversation trace (the whole hour).
    var bundledTrace: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scenarios/traces/mooncake/conversation_trace.jsonl").path
    }

    /// The first `rows` rows of the bundled trace in a file of their own.
    func traceHead(_ rows: Int) throws -> URL {
        let text = try String(contentsOfFile: bundledTrace, encoding: .utf8)
        let head = text.split(separator: "\n").prefix(rows).joined(separator: "\n") + "\n"
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mooncake-head-\(UUID().uuidString).jsonl")
        try head.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Prefix-cache hit rate of one H100-shaped instance replaying `trace` at a quarter of its
    /// pace (it keeps up, so requests seldom overlap) with a cache of `kv` tokens.
    func hitRate(_ trace: String, kv: Int, instances: Int = 1, routing: String = "least-loaded") throws -> Double {
        let s = try scenario("""
        {
          "name": "mooncake", "seed": 1, "duration": "5h",
          "hardware": { "gpu": { "vcpus": 24, "memoryGiB": 256, "gpus": 1, "gpuModel": "h100-sxm", "pricePerHour": 6.88 } },
          "models": { "llm": { "requires": { "vcpus": 8, "memoryGiB": 64, "gpus": 1 },
                               "engine": { "kind": "continuous-batching", "kvCacheTokens": \(kv), "maxBatchTokens": 8192, "routing": "\(routing)",
                                           "model": { "num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32,
                                                      "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256 } } } },
          "workload": [ { "kind": "trace", "format": "mooncake", "path": "\(trace)", "target": "llm", "speed": 0.25 } ],
          "slo": { "timeout": "1h" },
          "plans": { "one": { "policy": "traditional", "nodes": { "gpu": \(instances) }, "instances": { "llm": \(instances) } } }
        }
        """)
        let plan = try Runner.run(s, options: RunOptions()).plans[0]
        XCTAssertEqual(plan.totals.completed, plan.totals.requests)
        return try XCTUnwrap(plan.engine?.prefixCacheHitRate)
    }

    func testAnUnboundedCacheServesTheTracesOwnReuse() throws {
        let stats = try TraceStats.read(path: bundledTrace, format: .mooncake)
        let reuse = Double(try XCTUnwrap(stats.reusedTokens)) / Double(stats.promptTokens)
        // Computed here from hash_ids alone: the leading blocks an earlier row had.
        var seen = Set<Int>(), reused = 0, total = 0
        for line in try String(contentsOfFile: bundledTrace, encoding: .utf8).split(separator: "\n") {
            let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let ids = row["hash_ids"] as! [Int], input = row["input_length"] as! Int
            var k = 0
            while k < ids.count && seen.contains(ids[k]) { k += 1 }
            reused += Swift.min(512 * k, input)
            total += input
            seen.formUnion(ids)
        }
        XCTAssertEqual(reuse, Double(reused) / Double(total), accuracy: 1e-12)
        XCTAssertEqual(reuse, 0.3736, accuracy: 0.0001, "the conversation hour's reuse")
        let simulated = try hitRate(bundledTrace, kv: 1_000_000_000)
        XCTAssertEqual(simulated, reuse, accuracy: 0.01, "within 1 point of the trace's own reuse")
    }

    func testTheHitRateOnlyFallsAsTheCacheShrinks() throws {
        let head = try traceHead(3000)
        defer { try? FileManager.default.removeItem(at: head) }
        var previous = 1.0
        for kv in [1_000_000_000, 8_000_000, 2_000_000, 500_000, 150_000] {
            let rate = try hitRate(head.path, kv: kv)
            XCTAssertLessThanOrEqual(rate, previous + 1e-9, "\(kv) tokens")
            previous = rate
        }
        XCTAssertLessThan(previous, 0.2, "a small cache keeps little")
    }

    func testACacheAwareRouterKeepsConversationsWhereTheirPrefixesAre() throws {
        let head = try traceHead(3000)
        defer { try? FileManager.default.removeItem(at: head) }
        let one = try hitRate(head.path, kv: 1_000_000_000)
        let spread = try hitRate(head.path, kv: 1_000_000_000, instances: 4)
        let routed = try hitRate(head.path, kv: 1_000_000_000, instances: 4, routing: "cache-aware")
        // Four instances behind a least-request balancer each see a share of a conversation's
        // turns; the cache-aware router sends them where their prefix went.
        XCTAssertLessThan(spread, one - 0.1)
        XCTAssertGreaterThan(routed, spread + 0.1)
        XCTAssertLessThanOrEqual(routed, one + 0.005)
    }

    func testAPlanPutsItsOwnBalancerInFrontOfAModel() throws {
        let s = try scenario("""
        { "name": "r", "duration": "1h",
          "hardware": { "n": { "vcpus": 8, "memoryGiB": 32, "gpus": 2, "pricePerHour": 1 } },
          "models": { "llm": { "requires": { "vcpus": 1, "memoryGiB": 1, "gpus": 1 },
                               "engine": { "kind": "continuous-batching", "profile": \(Self.roundProfile), "kvCacheTokens": 4096,
                                           "routing": "cache-aware", "cacheThreshold": 0.5 } },
                      "cpu": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "10ms" } },
          "workload": [ { "kind": "poisson", "target": "llm", "rate": 1, "tokens": { "input": 10, "output": 2 } } ],
          "plans": { "engine": { "policy": "traditional", "nodes": { "n": 1 } },
                     "plan": { "policy": "traditional", "nodes": { "n": 1 }, "routing": { "llm": "least-loaded" } } } }
        """)
        XCTAssertEqual(PlanBuilder.configuration(s, providerHosted: false, routing: s.plans[0].routing).models[0].routing,
                       .cacheAware(.init(cacheThreshold: 0.5, balanceAbsThreshold: 64, balanceRelThreshold: 1.5)))
        XCTAssertEqual(PlanBuilder.configuration(s, providerHosted: false, routing: s.plans[1].routing).models[0].routing, .leastLoaded)
        XCTAssertEqual(PlanBuilder.configuration(s, providerHosted: false, routing: s.plans[1].routing).models[1].routing, .mostRecentlyUsed)
        let text = try PlanBuilder.explain(s, planIndex: 0).lines.map { "\($0.name) \($0.value) \($0.origin)" }.joined(separator: "\n")
        XCTAssertTrue(text.contains("cache-aware: the instance its longest prompt prefix went to when that is over 50 %"), text)
    }

    func testAnElasticPlanScalesAnLLMOnItsKVCache() throws {
        // Requests of 2,000 prompt tokens and 500 answer tokens, 10 a second, on instances of
        // 40,000 KV tokens: one instance's cache fills; the HPA adds instances until the
        // share in use is near the target, and the run reports what it held.
        func run(_ metric: String, target: Double, input: Int = 2000) throws -> PlanResult {
            let s = try scenario("""
            { "name": "kv", "seed": 3, "duration": "10m",
              "hardware": { "gpu": { "vcpus": 16, "memoryGiB": 128, "gpus": 1, "pricePerHour": 3, "boot": "30s" } },
              "models": { "llm": { "requires": { "vcpus": 8, "memoryGiB": 64, "gpus": 1 }, "init": "5s",
                                   "engine": { "kind": "continuous-batching", "profile": \(Self.roundProfile), "kvCacheTokens": 40000 } } },
              "workload": [ { "kind": "poisson", "target": "llm", "rate": 10, "tokens": { "input": \(input), "output": 500 } } ],
              "slo": { "timeout": "1h" },
              "plans": { "hpa": { "policy": "elastic", "metric": "\(metric)", "target": \(target),
                                  "nodes": { "gpu": { "min": 1, "max": 8 } }, "instances": { "llm": { "min": 1, "max": 8 } } } } }
            """)
            return try Runner.run(s, options: RunOptions()).plans[0]
        }
        let kv = try run("kv-cache-usage", target: 0.5)
        XCTAssertGreaterThan(kv.instancesMax, 1, "scaled out on the KV cache")
        XCTAssertLessThan(try XCTUnwrap(kv.engine?.kvUtilisation), 0.8, "held near its target")
        let loose = try run("kv-cache-usage", target: 0.95)
        XCTAssertLessThan(loose.instancesMean, kv.instancesMean, "a higher target needs fewer instances")
        let waiting = try run("queue-length", target: 1)
        XCTAssertGreaterThan(waiting.instancesMax, 1, "scaled out on the engines' waiting lines")
        // Short prompts: 10 requests/s × 500 tokens, 5,000 output tokens/s, which one instance
        // can make; at 1,500 per instance, four instances (ceil 3.33); at 6,000, the one it
        // starts with.
        let tokens = try run("tokens-per-second", target: 1500, input: 50)
        XCTAssertEqual(tokens.instancesMax, 4, "scaled out on the engines' output tokens")
        let few = try run("tokens-per-second", target: 6000, input: 50)
        XCTAssertEqual(few.instancesMax, 1)
    }

    // MARK: Bad input

    func testMalformedMooncakeRowsNameTheLineAndKey() throws {
        let good = #"{"timestamp": 0, "input_length": 600, "output_length": 5, "hash_ids": [0, 1]}"#
        let cases: [(String, Int, String, String?)] = [
            (#"{"timestamp": 0, "input_length": 600, "output_length": 5, "hash_ids": [0]}"#, 2, "expected 2 hash ids for input_length 600", "$.hash_ids"),
            (#"{"timestamp": 0, "input_length": 600, "hash_ids": [0, 1]}"#, 2, "missing \"output_length\"", nil),
            (#"{"timestamp": -5, "input_length": 600, "output_length": 5, "hash_ids": [0, 1]}"#, 2, "milliseconds", "$.timestamp"),
            (#"{"timestamp": 0, "input_length": 6.5, "output_length": 5, "hash_ids": [0, 1]}"#, 2, "whole number of tokens", "$.input_length"),
            (#"{"timestamp": 0, "input_length": 600, "output_length": 5, "hash_ids": [0, "x"]}"#, 2, "hash id", "$.hash_ids[1]"),
            (#"{"timestamp": 0, "input_length": 600, "output_length": 5, "hash_ids": [0, 1]} extra"#, 2, "unexpected text", nil),
            (#"[1, 2]"#, 2, "expected a JSON object", nil),
        ]
        for (row, line, fragment, key) in cases {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mooncake-bad-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            try (good + "\n" + row + "\n").write(to: dir.appendingPathComponent("bad.jsonl"), atomically: true, encoding: .utf8)
            let s = try scenario("""
            { "name": "bad", "duration": "1h",
              "hardware": { "n": { "vcpus": 8, "memoryGiB": 32, "pricePerHour": 1 } },
              "models": { "chat": { "requires": { "vcpus": 1, "memoryGiB": 1 },
                                    "service": { "dist": "tokens", "base": "20ms", "perInputToken": "0.02ms", "perOutputToken": "5ms" } } },
              "workload": [ { "kind": "trace", "format": "mooncake", "path": "bad.jsonl", "target": "chat" } ],
              "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 } } } }
            """, directory: dir.path)
            XCTAssertThrowsError(try Runner.validate(s), row) { error in
                guard let e = error as? ScenarioError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.line, line, row)
                XCTAssertNotNil(e.column, row)
                XCTAssertEqual(e.path, key, row)
                XCTAssertTrue(e.file.hasSuffix("bad.jsonl"), row)
                XCTAssertTrue(e.message.contains(fragment), "\(row): \(e.message)")
            }
        }
        // Out of order, and another key (skipped).
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mooncake-order-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = #"{"timestamp": 50, "input_length": 600, "output_length": 5, "hash_ids": [0, 1], "note": {"a": [1, "]"]}}"# + "\n" + good + "\n"
        try rows.write(to: dir.appendingPathComponent("t.jsonl"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TraceStats.read(path: dir.appendingPathComponent("t.jsonl").path, format: .mooncake)) { error in
            XCTAssertTrue("\(error)".contains("earlier than the row before"), "\(error)")
            XCTAssertEqual((error as? ScenarioError)?.line, 2)
        }
    }

    func testTheDecoderChecksTheNewKeys() throws {
        func source(_ extra: String, format: String = "mooncake") -> String {
            """
            { "name": "keys", "duration": "1h",
              "hardware": { "n": { "vcpus": 8, "memoryGiB": 32, "gpus": 1, "pricePerHour": 1 } },
              "models": { "llm": { "requires": { "vcpus": 1, "memoryGiB": 1, "gpus": 1 },
                                   "engine": { "kind": "continuous-batching", "profile": \(Self.roundProfile), "kvCacheTokens": 4096\(extra) } } },
              "workload": [ { "kind": "trace", "format": "\(format)", "path": "t", "target": "llm"\(format == "csv" ? ", \"hashBlockTokens\": 512" : "") } ],
              "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 } } } }
            """
        }
        XCTAssertThrowsError(try scenario(source(#", "prefixCaching": "yes""#))) { e in
            XCTAssertEqual((e as? ScenarioError)?.path, "$.models.llm.engine.prefixCaching")
            XCTAssertTrue("\(e)".contains("expected true or false"), "\(e)")
        }
        XCTAssertThrowsError(try scenario(source("", format: "csv"))) { e in
            XCTAssertEqual((e as? ScenarioError)?.path, "$.workload[0].hashBlockTokens")
            XCTAssertTrue("\(e)".contains("is for the mooncake format only"), "\(e)")
        }
        XCTAssertEqual(try scenario(source("")).models[0].engine?.prefixCaching, true, "on with vLLM V1 by default")
    }
}
