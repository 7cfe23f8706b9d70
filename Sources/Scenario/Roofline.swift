import Foundation

// Iteration times of any model on any catalogued GPU (`engine.model` + `engine.gpu`): a
// roofline over the model's operators, at the shares of peak one measurement fixes.

/// A model's iteration-time profile from its shape and its GPU.
///
/// - **Matmuls.** A step over `n` tokens reads the weights it touches once and does
///   2 × (matmul parameters per token) FLOPs per token; it takes the longer of the two at
///   the achievable bandwidth and compute. Decode steps (one token per sequence) are
///   memory-bound until the batch's FLOPs take longer; prefill is compute-bound past a few
///   hundred tokens. The embedding table is looked up, not read or multiplied.
/// - **Mixture of experts.** A token passes through its `k` routed experts (its FLOPs are the
///   active parameters'), but a step reads every expert one of its tokens was routed to:
///   E × (1 − (1 − k/E)ⁿ) of them per layer for `n` tokens routed uniformly — one token
///   reads k experts, a large batch all of them.
/// - **Attention.** Prefill adds 2 × heads × head size × layers FLOPs per prompt token²
///   (QKᵀ and AV under the causal mask: 4 T² H h L ÷ 2); decode reads each sequence's KV
///   cache (KV bytes per token) at the memory bandwidth.
/// - **Tensor parallel** over `t` GPUs splits weights, FLOPs and the KV cache `t` ways (KV
///   heads are replicated when there are fewer than `t`, as vLLM does) and adds two
///   all-reduces per layer of n × hidden × bytes, each 2(t − 1)/t of that over the link
///   (a ring) plus a fixed latency.
/// - **Expert parallel** (a mixture of experts served as `d` data-parallel ranks, vLLM's
///   `--data-parallel-size d --enable-expert-parallel`): each rank runs its own batch through
///   attention, but the ranks split the experts, E ÷ (d × t) to a GPU, and every MoE layer
///   runs on the tokens of all `d` ranks. The ranks' batches are taken as equal (vLLM's
///   data-parallel coordinator balances them): a GPU reads the experts the group's n × d
///   tokens touch among its own, does its share of their FLOPs (the same as one rank's
///   tokens through all experts), and each MoE layer adds an all-gather and a
///   reduce-scatter of the group's tokens' hidden states (vLLM's default all2all backend,
///   `allgather_reducescatter`), (ep − 1)/ep of n × d × hidden × bytes each over the link.
///
/// The achievable shares of peak come from one measurement on an H100 80GB HBM3
/// (`../shared/reference/gpu-cold-start-measured.md`): a 7B bf16 decode step took 5.5 ms,
/// 76 % of the 3.35 TB/s, and a 2,048-token prefill ran at 745 TFLOP/s of the 989 dense
/// BF16. They are applied to every GPU's datasheet figures; a measured profile (`profile`)
/// is used instead of the roofline where one exists.
public struct Roofline: Sendable, Equatable {
    public var model: ModelShape
    public var gpu: GPUSpec
    public var tensorParallel: Int
    /// FP8 weights and activations (vLLM's `quantization: fp8`, W8A8): a parameter is one
    /// byte, and matmuls run at the GPU's FP8 peak — or, on a GPU without FP8 tensor cores,
    /// at its 16-bit peak with the weights dequantized (weight-only, W8A16). Attention and
    /// the all-reduces stay in 16 bits.
    public var fp8Weights = false
    /// An FP8 KV cache (vLLM's `kv_cache_dtype: fp8`): one byte an element.
    public var fp8KVCache = false
    /// Data-parallel ranks that split a mixture's experts (1: every instance holds them all).
    public var expertParallel = 1

    /// Share of the datasheet memory bandwidth a decode step achieves (H100, measured).
    public static let memoryShare = 0.76
    /// Share of the dense peak a long prefill achieves: 745 of 989 TFLOP/s (H100, measured).
    public static let computeShare = 745.0 / 989.0
    /// All-reduce bus bandwidth as a share of the link: 366 GB/s measured with nccl-tests on
    /// 4 × H100 over NVLink 4's 900 GB/s (waynehacking8.github.io, "Where tensor-parallel
    /// inference hits the NVLink wall", 31 May 2026).
    public static let busShare = 366.0 / 900.0
    /// Latency floor of one all-reduce: NCCL's small-message latency on NVLink, an
    /// assumption, not a measurement.
    public static let allReduceLatency = 10e-6
    /// Memory per GPU neither weights nor KV cache (activations, CUDA graphs): what Vidur's
    /// accounting leaves on an A100 for Llama-2-7B (80 GB × 0.9 − 14 GiB of weights and
    /// activations; `../shared/reference/llm-vidur.md`).
    public static let activationGiBPerGPU = 1.45

    public init(model: ModelShape, gpu: GPUSpec, tensorParallel: Int = 1, fp8Weights: Bool = false, fp8KVCache: Bool = false, expertParallel: Int = 1) {
        self.model = model
        self.gpu = gpu
        self.tensorParallel = tensorParallel
        self.fp8Weights = fp8Weights
        self.fp8KVCache = fp8KVCache
        self.expertParallel = expertParallel
    }

    var t: Double { Double(tensorParallel) }
    /// Data-parallel ranks sharing the experts.
    var d: Double { Double(expertParallel) }
    /// Whether the experts are split over data-parallel ranks.
    var isExpertParallel: Bool { expertParallel > 1 && model.isMoE }
    var bandwidth: Double { gpu.memoryBandwidth * Self.memoryShare }
    /// The matmuls' achievable FLOP/s: at the FP8 peak for FP8 weights where the GPU has one.
    var compute: Double { (fp8Weights ? gpu.fp8Flops ?? gpu.flops : gpu.flops) * Self.computeShare }
    /// Attention's (16-bit) achievable FLOP/s.
    var attentionCompute: Double { gpu.flops * Self.computeShare }
    /// Bytes a weight parameter and a KV element take as served.
    public var bytesPerParameter: Double { fp8Weights ? 1 : Double(model.bytesPerElement) }
    public var bytesPerKVElement: Double { fp8KVCache ? 1 : Double(model.bytesPerElement) }
    /// The weights' bytes as served.
    public var weightBytes: Double { model.totalParameters * bytesPerParameter }
    /// The weights one instance holds: all of them, or with expert parallelism its share of
    /// the experts and the rest whole.
    public var instanceWeightBytes: Double {
        guard isExpertParallel else { return weightBytes }
        let experts = Double(model.layers) * Double(model.experts) * model.expertParameters
        return (model.totalParameters - experts + experts / d) * bytesPerParameter
    }
    var bus: Double { gpu.interconnect * Self.busShare }

    /// KV heads as served: replicated up to the tensor-parallel degree.
    public var servedKVHeads: Int { Swift.max(model.kvHeads, tensorParallel) }

    /// KV-cache bytes per token, all GPUs together.
    public var kvBytesPerToken: Double {
        2 * Double(model.layers) * Double(servedKVHeads) * Double(model.headDim) * bytesPerKVElement
    }

    /// Distinct experts per layer that `tokens` tokens are routed to, in expectation.
    public func expertsTouched(_ tokens: Double) -> Double {
        guard model.isMoE else { return tokens > 0 ? 1 : 0 }
        let e = Double(model.experts), k = Double(model.expertsPerToken)
        return e * (1 - pow(1 - k / e, tokens))
    }

    /// Parameters every step reads whatever its tokens: all but the experts' (and the
    /// embedding table, which is looked up).
    var denseReadParameters: Double {
        Double(model.layers) * model.layerSharedParameters + model.outerParameters - model.lookedUpParameters
    }

    /// Bytes of weights a step over `tokens` tokens reads, all GPUs together.
    public func weightsRead(_ tokens: Double) -> Double {
        let experts = Double(model.layers) * (model.isMoE ? expertsTouched(tokens) : 1) * model.expertParameters
        return (denseReadParameters + experts) * bytesPerParameter
    }

    /// Bytes of weights one GPU reads in a step over `tokens` tokens (of this rank): its
    /// share of `weightsRead`, or with expert parallelism its share of the dense weights and
    /// the experts the group's tokens touch among its own.
    public func weightsReadPerGPU(_ tokens: Double) -> Double {
        guard isExpertParallel else { return weightsRead(tokens) / t }
        let experts = Double(model.layers) * expertsTouched(tokens * d) / (d * t) * model.expertParameters
        return (denseReadParameters / t + experts) * bytesPerParameter
    }

    /// Seconds of the matmuls of a step over `tokens` tokens: reading the weights or
    /// computing, whichever is longer. With expert parallelism a GPU computes the group's
    /// tokens on its share of the experts: with equal ranks, as many FLOPs as its own.
    public func matmuls(_ tokens: Double) -> Double {
        Swift.max(weightsReadPerGPU(tokens) / bandwidth, tokens * 2 * model.matmulParametersPerToken / t / compute)
    }

    /// Seconds of a step's expert-parallel collectives: per MoE layer an all-gather and a
    /// reduce-scatter of the group's tokens' hidden states over the ep = d × t GPUs.
    public func expertCollectives(_ tokens: Double) -> Double {
        guard isExpertParallel else { return 0 }
        let ep = d * t
        let bytes = tokens * d * Double(model.hidden) * Double(model.bytesPerElement) * (ep - 1) / ep
        return 2 * Double(model.layers) * (Self.allReduceLatency + bytes / bus)
    }

    /// Seconds of a step over `tokens` tokens beside its attention: matmuls and collectives.
    public func step(_ tokens: Double) -> Double { matmuls(tokens) + allReduces(tokens) + expertCollectives(tokens) }

    /// Seconds of a step's all-reduces (none on one GPU).
    public func allReduces(_ tokens: Double) -> Double {
        guard tensorParallel > 1 else { return 0 }
        let bytes = tokens * Double(model.hidden) * Double(model.bytesPerElement) * 2 * (t - 1) / t
        return 2 * Double(model.layers) * (Self.allReduceLatency + bytes / bus)
    }

    /// Prefill attention, seconds per prompt token².
    public var attentionPerTokenSquared: Double {
        2 * Double(model.heads) * Double(model.headDim) * Double(model.layers) / t / attentionCompute
    }

    /// Decode, seconds per KV token read.
    public var perKVToken: Double { kvBytesPerToken / t / bandwidth }

    /// Memory that is not KV cache, all GPUs together (GiB, to 0.01).
    public var reservedGiB: Double { ((instanceWeightBytes / 1_073_741_824 + Self.activationGiBPerGPU * t) * 100).rounded() / 100 }

    /// The profile the engine runs on. Curves are sampled at powers of two (and where a
    /// dense step turns compute-bound), linear in between and past the last point.
    public var profile: IterationProfile {
        var points: [Double] = (0...16).map { pow(2, Double($0)) }
        let crossover = (weightsRead(1) / t / bandwidth) / (2 * model.matmulParametersPerToken / t / compute)
        if !model.isMoE, crossover > 1, crossover < 65_536 { points.append(crossover.rounded(.up)) }
        points = Array(Set(points)).sorted()
        let decodeX = points.filter { $0 <= 4096 }
        let decode = Curve(x: decodeX, y: decodeX.map(step))
        let prefillX = [0] + points
        let prefill = Curve(x: prefillX, y: prefillX.map(step))
        return IterationProfile(
            name: "\(model.source == "inline" ? "inline model" : model.source)\(fp8Weights ? " (fp8)" : "") on \(tensorParallel > 1 ? "\(tensorParallel) × " : "")\(gpu.name)"
                + (isExpertParallel ? ", one of \(expertParallel) expert-parallel ranks" : ""),
            source: "roofline: \(gpu.source); at the shares of peak measured on an H100 (../shared/reference/gpu-cold-start-measured.md)",
            prefill: prefill, prefillAttention: attentionPerTokenSquared, decode: decode, perKVToken: perKVToken,
            gpus: tensorParallel, gpuMemoryGiB: gpu.memoryGiB, weightsGiB: reservedGiB, kvBytesPerToken: kvBytesPerToken)
    }
}

extension Roofline {
    /// Each derived figure with its arithmetic, for `explain-plan`.
    public var derivation: [(what: String, value: String, arithmetic: String)] {
        let m = model
        var out: [(String, String, String)] = []
        let attention = m.attentionParameters, expert = m.expertParameters
        out.append(("model shape", "\(m.layers) layers, hidden \(m.hidden), \(m.heads) heads of \(m.headDim), \(m.kvHeads) KV heads, MLP \(m.expertIntermediate)"
                    + (m.isMoE ? ", \(m.experts) experts (\(m.expertsPerToken) per token)" : "") + ", vocabulary \(m.vocab), \(m.dtype)", m.source))
        out.append(("parameters", Self.count(m.totalParameters),
                    "\(m.layers) layers × (\(Self.count(attention)) attention + \(m.isMoE ? "\(m.experts) × " : "")\(Self.count(expert)) MLP"
                    + (m.sharedExpertIntermediate > 0 ? " + \(Self.count(3 * Double(m.hidden) * Double(m.sharedExpertIntermediate))) shared expert" : "")
                    + (m.isMoE ? " + \(Self.count(Double(m.hidden * m.experts))) router" : "") + " + \(Self.count(Double(2 * m.hidden))) norms) + \(Self.count(m.outerParameters)) embeddings\(m.tiedEmbeddings ? " (tied head)" : ", head") and final norm"))
        if m.isMoE {
            out.append(("active parameters per token", Self.count(m.activeParameters), "the same with \(m.expertsPerToken) of \(m.experts) experts"))
        }
        out.append(("weights", Self.bytes(weightBytes), fp8Weights
                    ? "\(Self.count(m.totalParameters)) × 1 byte (fp8 quantization\(gpu.fp8Flops == nil ? "; \(gpu.name) has no FP8 tensor cores: dequantized to 16 bits to multiply, weight-only" : ""))"
                    : "\(Self.count(m.totalParameters)) × \(m.bytesPerElement) bytes (\(m.dtype)\(m.dtype == "float32" ? ", served in float16 as vLLM's dtype auto does" : ""))"))
        out.append(("KV bytes per token", Self.whole(kvBytesPerToken),
                    "2 × \(m.layers) layers × \(servedKVHeads) KV heads × \(m.headDim) × \(Int(bytesPerKVElement)) byte\(bytesPerKVElement == 1 ? " (fp8 KV cache)" : "s")" + (servedKVHeads > m.kvHeads ? " (\(m.kvHeads) KV heads replicated to \(tensorParallel) GPUs)" : "")))
        let tp = tensorParallel > 1 ? " ÷ \(tensorParallel) GPUs" : ""
        out.append(("achievable", "\(Self.rate(bandwidth, "B/s")) memory, \(Self.rate(compute, "FLOP/s"))",
                    "\(gpu.name): \(Self.rate(gpu.memoryBandwidth, "B/s")) × \(Self.memoryShare), \(Self.rate(fp8Weights ? gpu.fp8Flops ?? gpu.flops : gpu.flops, "FLOP/s")) dense\(fp8Weights && gpu.fp8Flops != nil ? " FP8" : "") × \(String(format: "%.3f", Self.computeShare)) (shares measured on an H100)"))
        if isExpertParallel {
            out.append(("expert parallel", "\(expertParallel) ranks × \(tensorParallel) GPU\(tensorParallel > 1 ? "s" : ""): \(m.experts / (expertParallel * tensorParallel)) experts a GPU",
                        "\(m.experts) experts ÷ \(expertParallel * tensorParallel); each MoE layer runs on the \(expertParallel) ranks' tokens (their batches taken as equal) and adds an all-gather and a reduce-scatter of n × \(expertParallel) × \(m.hidden) × \(m.bytesPerElement) bytes × \(String(format: "%.2f", (d * t - 1) / (d * t))) at \(Self.rate(bus, "B/s")) + \(Self.seconds(Self.allReduceLatency)) (vLLM's allgather_reducescatter)"))
            out.append(("weights held", Self.bytes(instanceWeightBytes), "the dense weights whole and 1/\(expertParallel) of the experts'"))
        }
        out.append(("decode step, 1 sequence", Self.seconds(step(1)),
                    "\(Self.bytes(weightsReadPerGPU(1) * t)) of weights read\(tp) at \(Self.rate(bandwidth, "B/s"))" + (tensorParallel > 1 ? " + \(Self.seconds(allReduces(1))) of all-reduces" : "")
                    + (isExpertParallel ? " + \(Self.seconds(expertCollectives(1))) of expert collectives" : "")))
        let perToken = 2 * m.matmulParametersPerToken / t / compute
        out.append(("compute per token", Self.seconds(perToken), "2 × \(Self.count(m.matmulParametersPerToken)) FLOPs\(tp) at \(Self.rate(compute, "FLOP/s"))"))
        if !m.isMoE {
            let crossover = (weightsRead(1) / t / bandwidth) / perToken
            out.append(("decode compute-bound from", "\(Int(crossover.rounded(.up))) sequences", "weights read ÷ compute per token"))
        } else {
            out.append(("decode step, 64 sequences", Self.seconds(step(64)),
                        isExpertParallel
                            ? "\(String(format: "%.1f", expertsTouched(64 * d) / (d * t))) of a GPU's \(m.experts / (expertParallel * tensorParallel)) experts per layer read (E × (1 − (1 − k/E)^(64 × \(expertParallel))) ÷ \(expertParallel * tensorParallel))"
                            : "\(String(format: "%.1f", expertsTouched(64))) of \(m.experts) experts per layer read (E × (1 − (1 − k/E)^64))"))
        }
        out.append(("prefill, 2,048 tokens", Self.seconds(step(2048) + attentionPerTokenSquared * 2048 * 2048),
                    "matmuls \(Self.seconds(matmuls(2048))) + attention 2 × \(m.heads) × \(m.headDim) × \(m.layers) FLOPs per token² (\(Self.seconds(attentionPerTokenSquared * 2048 * 2048)))"
                    + (tensorParallel > 1 ? " + all-reduces \(Self.seconds(allReduces(2048)))" : "")
                    + (isExpertParallel ? " + expert collectives \(Self.seconds(expertCollectives(2048)))" : "")))
        out.append(("decode KV read", "\(Self.seconds(perKVToken)) per KV token", "\(Self.whole(kvBytesPerToken)) bytes\(tp) at \(Self.rate(bandwidth, "B/s"))"))
        if tensorParallel > 1 {
            out.append(("all-reduces", "2 per layer, \(Self.seconds(Self.allReduceLatency)) + n × \(m.hidden) × \(m.bytesPerElement) bytes × \(String(format: "%.2f", 2 * (t - 1) / t)) at \(Self.rate(bus, "B/s"))",
                        "\(gpu.interconnectName) \(Self.rate(gpu.interconnect, "B/s")) × \(String(format: "%.3f", Self.busShare)) (nccl-tests bus bandwidth on 4 × H100)"))
        }
        out.append(("memory beside the KV cache", "\(String(format: "%.2f", reservedGiB)) GiB", "weights \(String(format: "%.2f", instanceWeightBytes / 1_073_741_824)) GiB + \(tensorParallel > 1 ? "\(tensorParallel) × " : "")\(Self.activationGiBPerGPU) GiB of activations per GPU"))
        return out
    }

    static func count(_ x: Double) -> String {
        x >= 1e9 ? String(format: "%.2f B", x / 1e9) : x >= 1e6 ? String(format: "%.1f M", x / 1e6) : whole(x)
    }

    static func whole(_ x: Double) -> String {
        let n = Int(x.rounded())
        var digits = String(n), out = ""
        while digits.count > 3 { out = "," + digits.suffix(3) + out; digits.removeLast(3) }
        return digits + out
    }

    static func bytes(_ x: Double) -> String { String(format: "%.2f GB", x / 1e9) }

    static func rate(_ x: Double, _ unit: String) -> String {
        x >= 1e12 ? String(format: "%.3g", x / 1e12) + " T" + unit : String(format: "%.3g", x / 1e9) + " G" + unit
    }

    static func seconds(_ x: Double) -> String {
        x >= 1 ? String(format: "%.2f s", x) : x >= 1e-3 ? String(format: "%.3f ms", x * 1e3)
            : x >= 1e-6 ? String(format: "%.2f µs", x * 1e6) : String(format: "%.1f ns", x * 1e9)
    }
}
