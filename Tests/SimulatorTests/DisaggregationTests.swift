import Foundation
import XCTest
import Scenario
@testable import Simulator
import Reports
import Planning

/// Disaggregated prefill and decode: exact times of a lone request on a profile of round
/// numbers (prefill, KV pull over the node's or the network's link, decode), and conservation
/// under load (every request prefilled once, its KV cache pulled once, decoded once).
final class DisaggregationTests: XCTestCase {
    /// Prefill 0.1 ms a token; a decode step 10 ms whatever the batch; 1 MB of KV a token.
    static let profile = """
    { "prefill": { "base": "0ms", "perToken": "0.1ms" }, "decode": { "base": "10ms", "perSequence": "0ms", "perKVToken": "0ms" },
      "gpuMemoryGiB": 80, "weightsGiB": 14, "kvBytesPerToken": 1000000 }
    """

    /// One prefill and one decode instance, on one node of two GPUs or on two nodes of one,
    /// replaying `rows` (seconds, prompt tokens, output tokens) as an Azure LLM trace.
    func run(_ rows: [(Double, Int, Int)], sameNode: Bool, decode: String = "", kv: Int = 100_000, timeout: String = "1h",
             requests: Bool = false) throws -> (PlanResult, [String]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let format = DateFormatter()
        format.dateFormat = "yyyy-MM-dd HH:mm:ss.SSSSSSS"
        format.timeZone = TimeZone(identifier: "UTC")
        let trace = "TIMESTAMP,ContextTokens,GeneratedTokens\n" + rows.map { r in
            "\(format.string(from: start.addingTimeInterval(r.0))),\(r.1),\(r.2)\n"
        }.joined()
        try trace.write(to: folder.appendingPathComponent("t.csv"), atomically: true, encoding: .utf8)
        let gpus = sameNode ? 2 : 1, nodes = sameNode ? 1 : 2
        let s = try scenario("""
        {
          "name": "pd", "seed": 1, "duration": "1h",
          "hardware": { "gpu": { "vcpus": 16, "memoryGiB": 200, "gpus": \(gpus), "pricePerHour": 4 } },
          "models": {
            "p": { "requires": { "vcpus": 4, "memoryGiB": 64, "gpus": 1 },
                   "engine": { "kind": "continuous-batching", "profile": \(Self.profile), "kvCacheTokens": 100000, "role": "prefill" } },
            "d": { "requires": { "vcpus": 4, "memoryGiB": 64, "gpus": 1 },
                   "engine": { "kind": "continuous-batching", "profile": \(Self.profile), "kvCacheTokens": \(kv), "role": "decode",
                               "kvTransfer": { "bandwidthGBps": 10, "sameNodeBandwidthGBps": 100, "latency": "5ms" }\(decode) } }
          },
          "pipelines": { "chat": ["p", "d"] },
          "workload": [ { "kind": "trace", "format": "azure-llm", "path": "t.csv", "target": "chat" } ],
          "slo": { "timeout": "\(timeout)" },
          "plans": { "one": { "policy": "traditional", "nodes": { "gpu": \(nodes) }, "instances": { "p": 1, "d": 1 } } }
        }
        """, directory: folder.path)
        return try runFirstPlan(s, requestLog: requests ? folder.path : nil)
    }

    /// Each request's latency and time to first token, in ms, in arrival order.
    func times(_ lines: [String]) throws -> [(latency: Double, ttft: Double)] {
        let rows = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let id = try XCTUnwrap(CSVReports.requestColumns.firstIndex(of: "id"))
        let arrival = try XCTUnwrap(CSVReports.requestColumns.firstIndex(of: "arrival_s")), end = try XCTUnwrap(CSVReports.requestColumns.firstIndex(of: "end_s"))
        let ttft = CSVReports.requestColumns.count
        return rows.sorted { Int($0[id])! < Int($1[id])! }.map { ((Double($0[end])! - Double($0[arrival])!) * 1000, Double($0[ttft])! * 1000) }
    }

    func testALoneRequestPaysItsPrefillItsPullAndItsDecodes() throws {
        // 1,000 prompt tokens: prefill 100 ms; pull 1 GB at 10 GB/s between nodes (100 ms) or
        // 100 GB/s within one (10 ms), plus 5 ms; the first token comes with the decode
        // instance's first step (10 ms), ten more steps after it; the same with a vLLM V0
        // decode pool.
        for (sameNode, pull, decode) in [(false, 100.0, ""), (true, 10.0, ""), (false, 100.0, #", "scheduler": "vllm-v0""#)] {
            let (r, lines) = try run([(1, 1000, 11)], sameNode: sameNode, decode: decode, requests: true)
            let t = try XCTUnwrap(try times(lines).first)
            XCTAssertEqual(t.ttft, 100 + pull + 5 + 10, accuracy: 0.01, "same node: \(sameNode)")
            XCTAssertEqual(t.latency, 100 + pull + 5 + 10 + 100, accuracy: 0.01, "same node: \(sameNode)")
            let e = try XCTUnwrap(r.engine)
            XCTAssertEqual(try XCTUnwrap(e.tpot.percentile(50)), 10_000_000, accuracy: 50_000, "a decode step a token")
            XCTAssertEqual(e.outputTokens, 11, "the decode pool's tokens; the prefill pool's one token is not output")
            XCTAssertEqual(e.inputTokens, 1000)
            XCTAssertEqual(e.prefillHandoffs, 1)
            XCTAssertEqual(e.kvTransfers, 1)
            XCTAssertEqual(e.kvTransferNanoseconds, Int64((pull + 5) * 1e6))
        }
    }

    func testPullsIntoOneInstanceTakeItsLinkInTurn() throws {
        // Two prompts prefilled in one iteration (200 ms) reach the decode pool together: the
        // second pull waits for the first (100 ms each between nodes).
        let (_, lines) = try run([(1, 1000, 2), (1, 1000, 2)], sameNode: false, requests: true)
        let t = try times(lines)
        XCTAssertEqual(t.count, 2)
        XCTAssertEqual(t[0].ttft, 200 + 100 + 5 + 10, accuracy: 0.01)
        XCTAssertEqual(t[1].ttft, 200 + 200 + 5 + 10, accuracy: 0.01, "its pull began when the first one's ended")
    }

    func testEveryRequestIsPrefilledPulledAndDecodedOnce() throws {
        // Bursty arrivals and a decode cache of 6,000 tokens: decodes are preempted (recomputed
        // on the decode instance, not pulled again), and every request still completes once.
        var rows: [(Double, Int, Int)] = []
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { x &+= 0x9E37_79B9_7F4A_7C15; var z = x; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB; return z ^ (z >> 31) }
        var time = 1.0
        for _ in 0..<400 {
            time += Double(next() % 1000) / 4000
            rows.append((time, 100 + Int(next() % 1500), 1 + Int(next() % 300)))
        }
        let (r, lines) = try run(rows, sameNode: false, kv: 6000, requests: true)
        let e = try XCTUnwrap(r.engine)
        XCTAssertEqual(r.totals.requests, 400)
        XCTAssertEqual(r.totals.completed, 400)
        XCTAssertEqual(lines.count, 400)
        XCTAssertEqual(e.prefillHandoffs, 400, "each request prefilled once")
        XCTAssertEqual(e.kvTransfers, 400, "each KV cache pulled once")
        XCTAssertGreaterThan(e.preemptions, 0, "the decode cache is tight enough to preempt")
        XCTAssertEqual(e.outputTokens, Int64(rows.reduce(0) { $0 + $1.2 }), "each output token generated once, on the decode pool")
        XCTAssertEqual(e.inputTokens, Int64(rows.reduce(0) { $0 + $1.1 }))
        XCTAssertEqual(e.ttft.count, 400)
        for t in try times(lines) { XCTAssertGreaterThanOrEqual(t.latency + 0.001, t.ttft) }
    }

    func testAPlanServesAModelAsItsDisaggregatedPipeline() throws {
        // One CSV trace whose rows name the model; the second plan serves the model as its
        // prefill/decode pipeline: same requests, reported under the pipeline, with its stages.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pd-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let rows = (0..<200).map { k in "\(Double(k) * 0.05),chat,\(200 + k * 7 % 900),\(1 + k * 13 % 120)\n" }.joined()
        try ("time,target,input_tokens,output_tokens\n" + rows).write(to: folder.appendingPathComponent("t.csv"), atomically: true, encoding: .utf8)
        let engine = #""kind": "continuous-batching", "profile": \#(Self.profile), "kvCacheTokens": 100000"#
        let s = try scenario("""
        {
          "name": "serve", "seed": 1, "duration": "1h",
          "hardware": { "gpu": { "vcpus": 16, "memoryGiB": 200, "gpus": 2, "pricePerHour": 4 } },
          "models": {
            "chat": { "requires": { "vcpus": 4, "memoryGiB": 64, "gpus": 1 }, "engine": { \(engine) } },
            "p": { "requires": { "vcpus": 4, "memoryGiB": 64, "gpus": 1 }, "engine": { \(engine), "role": "prefill" } },
            "d": { "requires": { "vcpus": 4, "memoryGiB": 64, "gpus": 1 }, "engine": { \(engine), "role": "decode" } }
          },
          "pipelines": { "chat-pd": ["p", "d"] },
          "workload": [ { "kind": "trace", "format": "csv", "path": "t.csv" } ],
          "plans": { "aggregated": { "policy": "traditional", "nodes": { "gpu": 2 }, "instances": { "chat": 2, "p": 1, "d": 1 } },
                     "disaggregated": { "policy": "traditional", "nodes": { "gpu": 1 }, "instances": { "p": 1, "d": 1 }, "serve": { "chat": "chat-pd" } } }
        }
        """, directory: folder.path)
        let result = try Runner.run(s, options: RunOptions())
        let chat = try XCTUnwrap(s.target(named: "chat")).index, pipeline = try XCTUnwrap(s.target(named: "chat-pd")).index
        let (agg, dis) = (result.plans[0], result.plans[1])
        XCTAssertEqual(agg.perTarget[chat].completed, 200)
        XCTAssertEqual(agg.perTarget[pipeline].requests, 0)
        XCTAssertEqual(dis.perTarget[chat].requests, 0, "the rows naming chat are the pipeline's in this plan")
        XCTAssertEqual(dis.perTarget[pipeline].completed, 200)
        XCTAssertEqual(dis.engine?.kvTransfers, 200)
        XCTAssertEqual(agg.engine?.kvTransfers, 0)
        XCTAssertEqual(agg.engine?.outputTokens, dis.engine?.outputTokens)
        // The disaggregated plan starts no aggregated instance (the aggregated one needs the
        // pools too: a trace's rows could name the pipeline).
        XCTAssertEqual(PlanBuilder.usedModels(s.forPlan(0)), [true, true, true])
        XCTAssertEqual(PlanBuilder.usedModels(s.forPlan(1)), [false, true, true])
    }
}
