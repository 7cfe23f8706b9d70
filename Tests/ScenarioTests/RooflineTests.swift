import Foundation
import XCTest
@testable import Scenario

/// Model shapes from their config keys, and the roofline built on them, against hand
/// arithmetic and the bundled roofline profiles.
final class RooflineTests: XCTestCase {
    static let llama3_8b = ModelShape(source: "llama-3-8b", layers: 32, hidden: 4096, heads: 32, kvHeads: 8, intermediate: 14336, vocab: 128_256)
    static let llama2_7b = ModelShape(source: "llama-2-7b", layers: 32, hidden: 4096, heads: 32, intermediate: 11008, vocab: 32000)
    static let llama2_70b = ModelShape(source: "llama-2-70b", layers: 80, hidden: 8192, heads: 64, kvHeads: 8, intermediate: 28672, vocab: 32000)
    static let mixtral = ModelShape(source: "mixtral-8x7b", layers: 32, hidden: 4096, heads: 32, kvHeads: 8, intermediate: 14336, vocab: 32000,
                                    experts: 8, expertsPerToken: 2)

    /// Llama-3-8B: 2 × 32 layers × 8 KV heads × 128 × 2 bytes = 131,072 KV bytes per token;
    /// 32 × (41,943,040 attention + 176,160,768 MLP + 8,192 norms) + 2 × 128,256 × 4,096
    /// + 4,096 = 8,030,261,248 parameters (Hugging Face's count). Llama-2-7B: 6,738,415,616
    /// and 524,288 bytes (no grouped-query attention).
    func testDenseShapesAgainstHandArithmetic() {
        let m = Self.llama3_8b
        XCTAssertEqual(m.headDim, 128)
        XCTAssertEqual(m.kvBytesPerToken, 131_072)
        XCTAssertEqual(m.attentionParameters, 41_943_040)
        XCTAssertEqual(m.expertParameters, 176_160_768)
        XCTAssertEqual(m.totalParameters, 8_030_261_248)
        XCTAssertEqual(m.activeParameters, m.totalParameters)
        XCTAssertEqual(m.weightBytes, 16_060_522_496)
        XCTAssertEqual(Self.llama2_7b.totalParameters, 6_738_415_616)
        XCTAssertEqual(Self.llama2_7b.kvBytesPerToken, 524_288)
        XCTAssertEqual(Self.llama2_70b.kvBytesPerToken, 327_680)
        var tied = m
        tied.tiedEmbeddings = true
        XCTAssertEqual(m.totalParameters - tied.totalParameters, 128_256 * 4096, "a tied head is the embedding table")
    }

    /// Mixtral-8x7B: 46,702,792,704 parameters, of which a token passes through 12,879,925,248
    /// (two of eight experts): 32 × (41,943,040 + 2 × 176,160,768 + 32,768 router + 8,192)
    /// + 2 × 32,000 × 4,096 + 4,096.
    func testMixtureOfExpertsActiveAndTotal() {
        let m = Self.mixtral
        XCTAssertEqual(m.totalParameters, 46_702_792_704)
        XCTAssertEqual(m.activeParameters, 12_879_925_248)
        XCTAssertEqual(m.kvBytesPerToken, 131_072)
        let r = Roofline(model: m, gpu: GPUSpec.named("h100-sxm")!, tensorParallel: 2)
        XCTAssertEqual(r.expertsTouched(1), 2, accuracy: 1e-12, "one token reads its two experts")
        XCTAssertEqual(r.expertsTouched(64), 8, accuracy: 0.001, "a batch of 64 reads all eight")
        // One sequence reads the shared weights and two experts per layer; 64 read all.
        XCTAssertLessThan(r.weightsRead(1), 0.3 * m.weightBytes)
        XCTAssertEqual(r.weightsRead(64), m.weightBytes - 32000 * 4096 * 2, accuracy: 1e6)
        XCTAssertGreaterThan(r.profile.decode(64), 3 * r.profile.decode(1), "a batch touching every expert reads about 3.6 × the bytes")
    }

    /// The roofline on the Llama-2 shapes gives the bundled profiles, which were computed by
    /// hand with the same shares of peak: equal KV and attention terms; decode and a long
    /// prefill within 3 % (the bundled ones counted the 0.13 B-parameter embedding table as
    /// read and multiplied: it is only looked up). A short prefill differs by design: the
    /// bundled line runs through zero, while a step over a few tokens still reads the weights.
    func testRooflineReproducesTheBundledProfiles() {
        let h100 = GPUSpec.named("h100-sxm")!, a100 = GPUSpec.named("a100-80g")!
        for (shape, gpu, tp, bundled) in [(Self.llama2_7b, h100, 1, IterationProfile.llama2_7bH100), (Self.llama2_7b, a100, 1, IterationProfile.llama2_7bA100),
                                          (Self.llama2_70b, h100, 4, IterationProfile.llama2_70bTP4H100)] {
            let p = Roofline(model: shape, gpu: gpu, tensorParallel: tp).profile
            let name = bundled.name
            XCTAssertEqual(p.perKVToken, bundled.perKVToken, accuracy: bundled.perKVToken * 1e-3, name)
            XCTAssertEqual(p.prefillAttention, bundled.prefillAttention, accuracy: bundled.prefillAttention * 2e-3, name)
            XCTAssertEqual(p.kvBytesPerToken, bundled.kvBytesPerToken, name)
            XCTAssertEqual(p.weightsGiB, bundled.weightsGiB, accuracy: 0.5, name)
            XCTAssertEqual(p.gpus, tp, name)
            for b in [1.0, 64, 512, 1024] {
                XCTAssertEqual(p.decode(b), bundled.decode(b), accuracy: bundled.decode(b) * 0.02, "\(name): decode of \(b)")
            }
            for t in [2048.0, 4096] {
                XCTAssertEqual(p.prefill(t), bundled.prefill(t), accuracy: bundled.prefill(t) * 0.03, "\(name): prefill of \(t)")
            }
            XCTAssertEqual(p.prefill(16), p.decode(1), accuracy: p.decode(1) * 0.02, "\(name): 16 prompt tokens read the weights as one decode step does")
        }
    }

    /// Tensor parallel splits the weights' read and adds two all-reduces per layer; KV heads
    /// fewer than the GPUs are replicated (vLLM), so the KV bytes per token grow.
    /// FP8 weights (vLLM quantization fp8) on an H100: one byte a parameter (8.03 GB for
    /// Llama-3-8B), so a lone decode step reads half the bytes; matmuls at the FP8 peak
    /// (1,979 dense TFLOP/s), so a long prefill's matmuls take half as long; attention stays
    /// at the 16-bit peak; an FP8 KV cache halves the KV bytes (65,536 a token). On an A100,
    /// which has no FP8 tensor cores, the weights are halved but the FLOPs are not faster.
    func testFP8HalvesWeightsAndDoublesComputeWhereTheGPUHasIt() throws {
        let h100 = try XCTUnwrap(GPUSpec.named("h100-sxm")), a100 = try XCTUnwrap(GPUSpec.named("a100-80g"))
        let bf16 = Roofline(model: Self.llama3_8b, gpu: h100)
        let fp8 = Roofline(model: Self.llama3_8b, gpu: h100, fp8Weights: true)
        XCTAssertEqual(fp8.weightBytes, 8_030_261_248)
        XCTAssertEqual(fp8.weightsRead(1) * 2, bf16.weightsRead(1), accuracy: 1)
        XCTAssertEqual(fp8.matmuls(1) * 2, bf16.matmuls(1), accuracy: 1e-12, "a lone decode step is memory-bound: half the bytes")
        XCTAssertEqual(fp8.matmuls(8192) * 1979 / 989, bf16.matmuls(8192), accuracy: 1e-12, "a long prefill is compute-bound: 1,979 TFLOP/s, not 989")
        XCTAssertEqual(fp8.attentionPerTokenSquared, bf16.attentionPerTokenSquared, "attention in 16 bits")
        XCTAssertEqual(fp8.kvBytesPerToken, 131_072)
        XCTAssertEqual(Roofline(model: Self.llama3_8b, gpu: h100, fp8Weights: true, fp8KVCache: true).kvBytesPerToken, 65_536)
        XCTAssertLessThan(fp8.reservedGiB, bf16.reservedGiB - 7, "about 7.5 GiB more room for the KV cache")
        let a100bf16 = Roofline(model: Self.llama3_8b, gpu: a100), a100fp8 = Roofline(model: Self.llama3_8b, gpu: a100, fp8Weights: true)
        XCTAssertEqual(a100fp8.matmuls(8192), a100bf16.matmuls(8192), accuracy: 1e-12, "weight-only on an A100: no faster to multiply")
        XCTAssertEqual(a100fp8.matmuls(1) * 2, a100bf16.matmuls(1), accuracy: 1e-12)
        XCTAssertTrue(a100fp8.derivation.contains { $0.arithmetic.contains("no FP8 tensor cores") })
    }

    func testTensorParallelSplitsAndReplicates() {
        let h100 = GPUSpec.named("h100-sxm")!
        let one = Roofline(model: Self.llama3_8b, gpu: h100), two = Roofline(model: Self.llama3_8b, gpu: h100, tensorParallel: 2)
        let bus: Double = 366e9   // 900 GB/s × 366/900
        let perAllReduce: Double = 10e-6 + 4096.0 * 2 / bus   // one token's 4,096 × 2 bytes, × 2(t − 1)/t = 1
        XCTAssertEqual(two.allReduces(1), 64 * perAllReduce, accuracy: 1e-12)
        XCTAssertEqual(two.profile.decode(1), one.profile.decode(1) / 2 + two.allReduces(1), accuracy: 1e-9)
        let sixteen = Roofline(model: Self.llama3_8b, gpu: h100, tensorParallel: 16)
        XCTAssertEqual(sixteen.servedKVHeads, 16)
        XCTAssertEqual(sixteen.kvBytesPerToken, 2 * 131_072)
    }

    /// A config.json is read from beside the scenario, its other keys ignored; `explain`'s
    /// derivation gives each figure with its arithmetic.
    func testConfigFileIsReadAndExplained() throws {
        let folder = NSTemporaryDirectory() + "roofline-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
        { "architectures": ["MixtralForCausalLM"], "hidden_act": "silu", "hidden_size": 4096, "intermediate_size": 14336,
          "max_position_embeddings": 32768, "model_type": "mixtral", "num_attention_heads": 32, "num_experts_per_tok": 2,
          "num_hidden_layers": 32, "num_key_value_heads": 8, "num_local_experts": 8, "rms_norm_eps": 1e-05, "rope_theta": 1e6,
          "router_aux_loss_coef": 0.02, "sliding_window": null, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
          "transformers_version": "4.36.0.dev0", "use_cache": true, "vocab_size": 32000, "head_dim": null }
        """.write(toFile: folder + "/mixtral.json", atomically: true, encoding: .utf8)
        let s = try ScenarioLoader.decode("""
        { "name": "moe", "duration": "1m", "hardware": { "g": { "vcpus": 16, "memoryGiB": 256, "gpus": 8, "pricePerHour": 98 } },
          "models": { "moe": { "requires": { "vcpus": 8, "memoryGiB": 64, "gpus": 2 },
                               "engine": { "kind": "continuous-batching", "model": "mixtral.json", "gpu": "h100-sxm", "tensorParallel": 2 } } },
          "workload": [ { "kind": "poisson", "target": "moe", "rate": 1, "tokens": { "input": 1000, "output": 100 } } ],
          "plans": { "p": { "policy": "traditional", "nodes": { "g": 1 } } } }
        """, file: folder + "/s.json", directory: folder)
        let engine = try XCTUnwrap(s.models[0].engine)
        let r = try XCTUnwrap(engine.roofline)
        XCTAssertEqual(r.model, Self.mixtral.with(source: "mixtral.json"))
        XCTAssertEqual(engine.profile.gpus, 2)
        // 2 × 80 GiB × 0.9 less 87 GiB of weights and 2 × 1.45 of activations, in 16-token blocks.
        let weightsGiB: Double = 46_702_792_704.0 * 2 / 1_073_741_824
        let reserved: Double = ((weightsGiB + 2.9) * 100).rounded() / 100   // to 0.01 GiB
        let usable: Double = 2 * 80 * 0.9 - reserved
        XCTAssertEqual(engine.kvBlocks, Int(usable * 1_073_741_824 / 131_072) / 16)
        let lines = Dictionary(r.derivation.map { ($0.what, $0) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(lines["KV bytes per token"]?.value, "131,072")
        XCTAssertEqual(lines["KV bytes per token"]?.arithmetic, "2 × 32 layers × 8 KV heads × 128 × 2 bytes")
        XCTAssertEqual(lines["parameters"]?.value, "46.70 B")
        XCTAssertEqual(lines["active parameters per token"]?.value, "12.88 B")
        XCTAssertNotNil(lines["all-reduces"])
        // Its weights' size is known, so a node type's loadGBps times its load.
        XCTAssertEqual(try XCTUnwrap(s.models[0].weightsGB), 93.405585408, accuracy: 1e-9)
    }
}

extension ModelShape {
    func with(source: String) -> ModelShape {
        var m = self
        m.source = source
        return m
    }
}
