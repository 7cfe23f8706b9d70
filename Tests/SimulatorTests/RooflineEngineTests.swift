import Foundation
import XCTest
import Scenario
@testable import Simulator
import Reports

/// An engine whose iteration times come from a model's shape and a catalogued GPU: a lone
/// request's time to first token and time per output token are the roofline's prefill and
/// decode steps.
final class RooflineEngineTests: XCTestCase {
    /// A fresh folder holding `t.csv`: three requests of these token counts a minute apart,
    /// each alone in the engine (the caller removes the folder).
    func lonelyRequests(prompt: Int, output: Int) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roofline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let trace = "TIMESTAMP,ContextTokens,GeneratedTokens\n" + (1...3).map { "2023-11-16 18:0\($0):00.0000000,\(prompt),\(output)\n" }.joined()
        try trace.write(to: folder.appendingPathComponent("t.csv"), atomically: true, encoding: .utf8)
        return folder
    }

    func run(gpu: String, tensorParallel: Int, prompt: Int, output: Int) throws -> PlanResult {
        let folder = try lonelyRequests(prompt: prompt, output: output)
        defer { try? FileManager.default.removeItem(at: folder) }
        let s = try scenario("""
        { "name": "roofline", "seed": 1, "duration": "5m",
          "hardware": { "g": { "vcpus": 32, "memoryGiB": 512, "gpus": 8, "pricePerHour": 30 } },
          "models": { "llm": { "requires": { "vcpus": 8, "memoryGiB": 64, "gpus": \(tensorParallel) },
                               "engine": { "kind": "continuous-batching", "gpu": "\(gpu)", "tensorParallel": \(tensorParallel),
                                           "model": { "num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 8,
                                                      "intermediate_size": 14336, "vocab_size": 128256 } } } },
          "workload": [ { "kind": "trace", "format": "azure-llm", "path": "t.csv", "target": "llm" } ],
          "slo": { "timeout": "1h" },
          "plans": { "one": { "policy": "traditional", "nodes": { "g": 1 }, "instances": { "llm": 1 } } } }
        """, directory: folder.path)
        return try Runner.run(s, options: RunOptions()).plans[0]
    }

    func testALoneRequestTakesTheRooflinesPrefillAndDecodeSteps() throws {
        for (gpu, tp) in [("h100-sxm", 1), ("l40s", 2), ("mi300x", 1)] {
            let prompt = 1000, output = 101
            let r = try run(gpu: gpu, tensorParallel: tp, prompt: prompt, output: output)
            let e = try XCTUnwrap(r.engine)
            let model = ModelShape(source: "inline", layers: 32, hidden: 4096, heads: 32, kvHeads: 8, intermediate: 14336, vocab: 128_256)
            let roofline = Roofline(model: model, gpu: GPUSpec.named(gpu)!, tensorParallel: tp)
            // TTFT: the prefill of the whole prompt, matmuls, all-reduces and attention.
            let p = Double(prompt)
            let prefill = roofline.matmuls(p) + roofline.allReduces(p) + roofline.attentionPerTokenSquared * p * p
            XCTAssertEqual(Double(try XCTUnwrap(e.ttft.percentile(50))) / 1e9, prefill, accuracy: prefill * 0.015, gpu)
            // TPOT: one decode step per further token, reading the weights and a KV cache of
            // 1,000 to 1,100 tokens.
            let step = roofline.matmuls(1) + roofline.allReduces(1) + roofline.perKVToken * (p + Double(output) / 2)
            XCTAssertEqual(Double(try XCTUnwrap(e.tpot.percentile(50))) / 1e9, step, accuracy: step * 0.015, gpu)
            XCTAssertEqual(r.totals.completed, 3)
        }
    }

    /// Expert parallelism over two data-parallel ranks (Qwen3-30B-A3B's shape on H100s): a rank
    /// holds the dense weights and half the experts, reads the experts the two ranks' tokens
    /// touch among its own (about half of all at a large batch, where one rank alone would
    /// read nearly all), computes as many FLOPs as without it, and pays an all-gather and a
    /// reduce-scatter per MoE layer; a lone request takes those steps end to end.
    func testExpertParallelRanksSplitTheExperts() throws {
        let shape = ModelShape(source: "inline", layers: 48, hidden: 2048, heads: 32, kvHeads: 4, headDim: 128, intermediate: 6144, vocab: 151_936,
                               experts: 128, expertsPerToken: 8, expertIntermediate: 768)
        let gpu = GPUSpec.named("h100-sxm")!
        let one = Roofline(model: shape, gpu: gpu), two = Roofline(model: shape, gpu: gpu, expertParallel: 2)
        let experts = 48 * 128 * shape.expertParameters * 2
        XCTAssertEqual(two.instanceWeightBytes, one.weightBytes - experts / 2, accuracy: 1)
        XCTAssertLessThan(two.reservedGiB, one.reservedGiB)
        let dense = one.weightsRead(0)   // no token touches an expert
        for n in [1.0, 16, 128, 1024] {
            let touched = 128 * (1 - pow(1 - 8.0 / 128, 2 * n)) / 2
            XCTAssertEqual(two.weightsReadPerGPU(n), dense + 48 * touched * shape.expertParameters * 2, accuracy: 1, "n = \(n)")
            let bytes = n * 2 * 2048 * 2 * 0.5
            XCTAssertEqual(two.expertCollectives(n), 2 * 48 * (Roofline.allReduceLatency + bytes / (gpu.interconnect * Roofline.busShare)), accuracy: 1e-12)
        }
        XCTAssertEqual(one.expertCollectives(128), 0)
        // At 128 tokens a rank alone reads 128.0 experts a layer; split, 64.0 of its own.
        XCTAssertLessThan(two.weightsReadPerGPU(128), one.weightsReadPerGPU(128) * 0.55)
        // Compute-bound prefill: the same FLOPs a GPU.
        XCTAssertEqual(two.matmuls(65_536), one.matmuls(65_536), accuracy: one.matmuls(65_536) * 1e-9)

        let folder = try lonelyRequests(prompt: 1000, output: 101)
        defer { try? FileManager.default.removeItem(at: folder) }
        let s = try scenario("""
        { "name": "ep", "seed": 1, "duration": "5m",
          "hardware": { "g": { "vcpus": 32, "memoryGiB": 512, "gpus": 8, "pricePerHour": 30 } },
          "models": { "moe": { "requires": { "vcpus": 8, "memoryGiB": 64, "gpus": 1 },
                               "engine": { "kind": "continuous-batching", "gpu": "h100-sxm", "expertParallel": 2,
                                           "model": { "num_hidden_layers": 48, "hidden_size": 2048, "num_attention_heads": 32, "num_key_value_heads": 4,
                                                      "head_dim": 128, "intermediate_size": 6144, "moe_intermediate_size": 768, "num_experts": 128,
                                                      "num_experts_per_tok": 8, "vocab_size": 151936 } } } },
          "workload": [ { "kind": "trace", "format": "azure-llm", "path": "t.csv", "target": "moe" } ],
          "slo": { "timeout": "1h" },
          "plans": { "one": { "policy": "traditional", "nodes": { "g": 1 }, "instances": { "moe": 2 } } } }
        """, directory: folder.path)
        let e = try XCTUnwrap(try Runner.run(s, options: RunOptions()).plans[0].engine)
        let p = 1000.0
        let prefill = two.step(p) + two.attentionPerTokenSquared * p * p
        XCTAssertEqual(Double(try XCTUnwrap(e.ttft.percentile(50))) / 1e9, prefill, accuracy: prefill * 0.015)
        let decode = two.step(1) + two.perKVToken * (p + 101.0 / 2)
        XCTAssertEqual(Double(try XCTUnwrap(e.tpot.percentile(50))) / 1e9, decode, accuracy: decode * 0.015)
    }

    /// A CSV trace whose header has `input_tokens` and `output_tokens` feeds an engine named
    /// as the source's target; one without them is refused at its first row, saying why.
    func testACSVTraceWithTokenColumnsFeedsAnEngineTarget() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roofline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "time,input_tokens,output_tokens\n0,100,11\n60,200,21\n120,300,31\n".write(to: folder.appendingPathComponent("t.csv"), atomically: true, encoding: .utf8)
        try "time\n0\n".write(to: folder.appendingPathComponent("bare.csv"), atomically: true, encoding: .utf8)
        func make(_ trace: String) throws -> Scenario {
            try scenario("""
            { "name": "csv-tokens", "seed": 1, "duration": "5m",
              "hardware": { "g": { "vcpus": 32, "memoryGiB": 512, "gpus": 8, "pricePerHour": 30 } },
              "models": { "llm": { "requires": { "vcpus": 8, "memoryGiB": 64, "gpus": 1 },
                                   "engine": { "kind": "continuous-batching", "gpu": "h100-sxm", "model": "\(repositoryRoot.path)/Scenarios/models/llama-3-8b.json" } } },
              "workload": [ { "kind": "trace", "format": "csv", "path": "\(trace)", "target": "llm" } ],
              "slo": { "timeout": "1h" },
              "plans": { "one": { "policy": "traditional", "nodes": { "g": 1 }, "instances": { "llm": 1 } } } }
            """, directory: folder.path)
        }
        let r = try Runner.run(try make("t.csv"), options: RunOptions()).plans[0]
        XCTAssertEqual(r.totals.completed, 3)
        XCTAssertEqual(try XCTUnwrap(r.engine).outputTokens, 11 + 21 + 31, "each row's output tokens, generated")
        XCTAssertThrowsError(try Runner.run(try make("bare.csv"), options: RunOptions())) { error in
            XCTAssertTrue("\(error)".contains("but this trace has no token columns"), "\(error)")
        }
    }

    /// The bundled replay of three published vLLM runs reads its traces whole (every prompt
    /// and generated token the runs' own per-second totals add up to) and predicts Llama-3.1-8B's
    /// time per output token within 10 % of vLLM's measured median (33.4 ms), decode being
    /// memory-bound as on the H100 the roofline's shares come from (docs/accuracy.md).
    func testTheVLLMRunsReplayWhole() throws {
        let s = try ScenarioLoader.load(path: repositoryRoot.appendingPathComponent("Scenarios/llm-vllm-measured.json").path)
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        XCTAssertEqual(r.totals.completed, 900)
        let names = s.targetNames
        func engine(_ target: String) throws -> EngineStats { r.enginePerTarget[try XCTUnwrap(names.firstIndex(of: target), target)] }
        XCTAssertEqual(try engine("llama-3.1-8b").outputTokens, 195_753)
        XCTAssertEqual(try engine("qwen3-32b").outputTokens, 199_486)
        XCTAssertEqual(try engine("qwen3-30b-a3b").outputTokens, 199_486)
        let tpot = Double(try XCTUnwrap(try engine("llama-3.1-8b").tpot.percentile(50))) / 1e9
        XCTAssertEqual(tpot, 0.0334, accuracy: 0.0334 * 0.10, "Llama-3.1-8B's TPOT median against vLLM's 33.4 ms")
    }

    /// An engine without a GPU of its own runs with its node type's `gpuModel`: the same model
    /// on an H100 node and on an L40S node, one plan each, takes each GPU's roofline.
    func testTheGPUComesFromTheNodeType() throws {
        let folder = try lonelyRequests(prompt: 1000, output: 101)
        defer { try? FileManager.default.removeItem(at: folder) }
        let s = try scenario("""
        { "name": "gpu-by-type", "seed": 1, "duration": "5m",
          "hardware": { "h100": { "vcpus": 32, "memoryGiB": 512, "gpus": 8, "pricePerHour": 55.04, "gpuModel": "h100-sxm" },
                        "l40s": { "vcpus": 32, "memoryGiB": 512, "gpus": 4, "pricePerHour": 10, "gpuModel": "l40s" } },
          "models": { "llm": { "requires": { "vcpus": 8, "memoryGiB": 64, "gpus": 1 },
                               "engine": { "kind": "continuous-batching",
                                           "model": { "num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 8,
                                                      "intermediate_size": 14336, "vocab_size": 128256 } } } },
          "workload": [ { "kind": "trace", "format": "azure-llm", "path": "t.csv", "target": "llm" } ],
          "slo": { "timeout": "1h" },
          "plans": { "on-h100": { "policy": "traditional", "nodes": { "h100": 1 }, "instances": { "llm": 1 } },
                     "on-l40s": { "policy": "traditional", "nodes": { "l40s": 1 }, "instances": { "llm": 1 } } } }
        """, directory: folder.path)
        XCTAssertEqual(s.models[0].engine?.rooflineByType.compactMap { $0?.gpu.name }, ["h100-sxm", "l40s"])
        let run = try Runner.run(s, options: RunOptions())
        let model = ModelShape(source: "inline", layers: 32, hidden: 4096, heads: 32, kvHeads: 8, intermediate: 14336, vocab: 128_256)
        for (plan, gpu) in zip(run.plans, ["h100-sxm", "l40s"]) {
            let r = Roofline(model: model, gpu: GPUSpec.named(gpu)!)
            let prefill = r.matmuls(1000) + r.attentionPerTokenSquared * 1e6
            let ttft = Double(try XCTUnwrap(plan.engine?.ttft.percentile(50))) / 1e9
            XCTAssertEqual(ttft, prefill, accuracy: prefill * 0.015, "\(plan.plan) runs on \(gpu)")
        }
        XCTAssertGreaterThan(Double(run.plans[1].engine!.ttft.percentile(50)!), 2 * Double(run.plans[0].engine!.ttft.percentile(50)!),
                             "an L40S prefills at about a third of an H100's pace")
    }

    /// The cost per million tokens is the plan's whole cost over its completed requests'
    /// prompt and generated tokens; absent per target.
    func testCostPerMillionTokens() throws {
        let r = try run(gpu: "h100-sxm", tensorParallel: 1, prompt: 1000, output: 101)
        let row = Summary.row(r)
        XCTAssertGreaterThan(r.cost, 0)
        XCTAssertEqual(try XCTUnwrap(row.value("usd_per_million_output_tokens")), r.cost / 303 * 1e6, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(row.value("usd_per_million_input_tokens")), r.cost / 3000 * 1e6, accuracy: 1e-9)
        let target = r.enginePerTarget[0].columns(seconds: r.endTime, planWide: false)
        XCTAssertNil(target[EngineMetric.names.firstIndex(of: "usd_per_million_output_tokens")!])
    }
}
