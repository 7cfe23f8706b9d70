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
