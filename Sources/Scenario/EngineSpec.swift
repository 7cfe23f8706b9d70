// An LLM instance's continuous batching (`models.<m>.engine`): the scheduler inside one
// serving process (vLLM's), and the iteration-time profile of the model on its GPUs.

/// How an instance of an LLM model batches its requests, token by token.
///
/// The instance accepts up to `maxSequences` requests from the scheduler core (its
/// concurrency) and keeps its own waiting line for those its KV cache or its token budget
/// cannot take yet, as vLLM does. The simulator runs the iteration loop; in the runtime the
/// real server (vLLM behind the HTTP worker contract) does.
public struct EngineSpec: Sendable, Equatable {
    public enum Preemption: String, Sendable, Equatable, CaseIterable {
        /// A preempted sequence frees its KV blocks and is prefilled again (prompt and the
        /// tokens generated so far) when it is readmitted: vLLM's default for single sequences.
        case recompute
    }

    public var profile: IterationProfile
    /// The model shape and GPU the profile was derived from (`engine.model` + `engine.gpu`),
    /// nil for a measured or inline profile.
    public var roofline: Roofline?
    /// With `engine.model` and no `engine.gpu`: the roofline on each node type (by hardware
    /// index) whose `gpuModel` is known; `profile` and `roofline` are then those of the first
    /// type the model runs on. Empty otherwise.
    public var rooflineByType: [Roofline?] = []
    /// Sequences in the running batch at most (vLLM `max_num_seqs`).
    public var maxSequences: Int
    /// Tokens processed in one iteration at most (vLLM `max_num_batched_tokens`).
    public var maxBatchTokens: Int
    /// KV-cache capacity in tokens; nil: derived from the profile's GPU memory ("auto").
    public var kvCacheTokens: Int?
    /// Tokens per KV block (vLLM `block_size`, default 16).
    public var blockTokens: Int
    /// The scheduler inside the instance (`engine.scheduler`).
    public enum Scheduler: String, Sendable, CaseIterable {
        /// vLLM V1 (the default since vLLM 0.8): chunked prefill always on.
        case vllmV1 = "vllm-v1"
        /// vLLM V0 (v0.4–0.6), as Vidur implements it: prefill-only admission iterations.
        case vllmV0 = "vllm-v0"
    }

    /// Chunked prefill (vLLM V1's scheduling; Sarathi-Serve's): prompts are split across
    /// iterations under the token budget and ride along with the running decodes. False:
    /// vLLM V0's prefill-only admission iterations.
    public var chunkedPrefill: Bool
    public var scheduler: Scheduler { chunkedPrefill ? .vllmV1 : .vllmV0 }
    public var preemption: Preemption
    /// Automatic prefix caching (vLLM's `enable_prefix_caching`: on by default in V1, off in
    /// V0): a prompt is prefilled only past its longest prefix whose KV blocks the instance
    /// still holds; freed blocks stay cached until evicted, least recently used first. Only
    /// requests whose prompts carry prefix identities (a mooncake trace's `hash_ids`) can hit.
    public var prefixCaching: Bool
    /// How the balancer in front of the model's instances spreads its requests.
    public var routing: Routing = .leastLoaded
    /// What the instances do of a request (`engine.role`): all of it, or one side of
    /// disaggregated serving.
    public var role: Role = .both
    /// For a decode pool: how it pulls a prompt's KV cache from the prefill instance.
    public var kvTransfer = KVTransfer()

    /// Aggregated serving (`both`), or one pool of disaggregated serving (DistServe,
    /// Splitwise, llm-d, Dynamo): a `prefill` instance computes the prompt's KV cache (vLLM's
    /// P/D proxy sends it the request with `max_tokens` 1) and a `decode` instance pulls that
    /// cache and generates every output token. The two run as consecutive stages of a chain
    /// pipeline.
    public enum Role: String, Sendable, Equatable, CaseIterable {
        case both
        case prefill
        case decode
    }

    /// How a decode instance pulls a prompt's KV cache from the prefill instance that computed
    /// it (vLLM's NIXL connector reads it once the decode instance has allocated its blocks):
    /// bytes = prompt tokens × KV bytes per token, at `sameNodeBandwidth` (the GPUs' link)
    /// when the two instances share a node, at `bandwidth` (the network) otherwise, plus
    /// `latency` per transfer. Transfers into one instance take its link one at a time.
    public struct KVTransfer: Sendable, Equatable {
        /// Bytes/s between nodes. Default 64 GB/s, Dynamo's mocker's default ("inter-node
        /// InfiniBand", ai-dynamo/dynamo `--kv-transfer-bandwidth`).
        public var bandwidth: Double = 64e9
        /// Bytes/s within a node; nil: the GPU's interconnect one way (half the catalogue's
        /// both-ways figure: 450 GB/s on an H100's NVLink 4, the mocker's "~450" for NVLink).
        public var sameNodeBandwidth: Double?
        /// Seconds added to each transfer (connection set-up, the transfer's notification).
        public var latency: Double = 0

        public init(bandwidth: Double = 64e9, sameNodeBandwidth: Double? = nil, latency: Double = 0) {
            self.bandwidth = bandwidth
            self.sameNodeBandwidth = sameNodeBandwidth
            self.latency = latency
        }
    }

    /// The balancer in front of an LLM model's instances (`engine.routing`).
    public enum Routing: Sendable, Equatable {
        /// The instance with the fewest requests in flight (a least-request balancer).
        case leastLoaded
        /// SGLang's router's cache-aware policy: the instance the request's longest prompt
        /// prefix went to, unless that prefix is at most `cacheThreshold` of the prompt or the
        /// load is imbalanced (`balanceAbsThreshold` requests and `balanceRelThreshold` times).
        case cacheAware(cacheThreshold: Double, balanceAbsThreshold: Int, balanceRelThreshold: Double)
        /// Sticky sessions (llm-d's session-affinity scorer): a conversation's requests go to
        /// the instance its previous request went to, while it has a free slot; the least
        /// loaded otherwise. Conversations come from a source's `prompts.conversation`.
        case sessionAffinity

        /// The name in a scenario.
        public var name: String {
            switch self {
            case .leastLoaded: return "least-loaded"
            case .cacheAware: return "cache-aware"
            case .sessionAffinity: return "session-affinity"
            }
        }

        /// The names a scenario may give.
        public static let names = ["least-loaded", "cache-aware", "session-affinity"]
    }

    /// vLLM's `gpu_memory_utilization` default: the share of GPU memory the engine may use.
    public static let gpuMemoryUtilization = 0.9
    /// vLLM v0's block-manager watermark: admission leaves 1 % of the blocks free, so running
    /// sequences can grow without being preempted at once (`BlockSpaceManager(watermark=0.01)`).
    public static let watermark = 0.01

    public init(profile: IterationProfile, maxSequences: Int = 256, maxBatchTokens: Int = 4096, kvCacheTokens: Int? = nil,
                blockTokens: Int = 16, chunkedPrefill: Bool = true, preemption: Preemption = .recompute, roofline: Roofline? = nil,
                prefixCaching: Bool? = nil) {
        self.profile = profile
        self.roofline = roofline
        self.maxSequences = maxSequences
        self.maxBatchTokens = maxBatchTokens
        self.kvCacheTokens = kvCacheTokens
        self.blockTokens = blockTokens
        self.chunkedPrefill = chunkedPrefill
        self.preemption = preemption
        self.prefixCaching = prefixCaching ?? chunkedPrefill
    }

    /// Bytes/s a decode instance on node type `t` (whose GPUs are `nodeGPU`) pulls a KV cache
    /// at from a prefill instance on the same node: `kvTransfer.sameNodeBandwidth`, or one way
    /// of its GPU's interconnect (the engine's roofline GPU, else the node type's), or the
    /// network's bandwidth when neither GPU is known (a measured profile on a node type
    /// without `gpuModel`).
    public func sameNodeTransferBandwidth(onType t: Int, nodeGPU: GPUSpec?) -> Double {
        if let b = kvTransfer.sameNodeBandwidth { return b }
        let gpu = (t < rooflineByType.count ? rooflineByType[t]?.gpu : nil) ?? roofline?.gpu ?? nodeGPU
        return gpu.map { $0.interconnect / 2 } ?? kvTransfer.bandwidth
    }

    /// The profile an instance on node type `t` runs with.
    public func profile(onType t: Int) -> IterationProfile {
        t < rooflineByType.count ? rooflineByType[t]?.profile ?? profile : profile
    }

    /// KV blocks of the cache: `kvCacheTokens` ÷ `blockTokens`, or for "auto" the GPUs' memory
    /// × 0.9 less the profile's reserved memory, ÷ the KV bytes per token, in whole blocks.
    public var kvBlocks: Int { kvBlocks(for: profile) }

    /// The same for an instance running with profile `p`.
    public func kvBlocks(for p: IterationProfile) -> Int {
        if let tokens = kvCacheTokens { return tokens / blockTokens }
        let usable = Double(p.gpus) * p.gpuMemoryGiB * Self.gpuMemoryUtilization - p.weightsGiB
        let tokens = usable * 1_073_741_824 / p.kvBytesPerToken
        return tokens > 0 ? Int(tokens) / blockTokens : 0
    }
}

/// A piecewise-linear curve through measured points, extended linearly past either end.
public struct Curve: Sendable, Equatable {
    /// Points by increasing `x`; at least two.
    public var x: [Double]
    public var y: [Double]

    public init(x: [Double], y: [Double]) {
        precondition(x.count == y.count && x.count >= 2, "a curve needs two points or more")
        self.x = x
        self.y = y
    }

    /// A straight line: `intercept + slope · x`.
    public init(intercept: Double, slope: Double) {
        self.init(x: [0, 1], y: [intercept, intercept + slope])
    }

    /// The curve's value at `v`: interpolated between the two points around it, or extended
    /// from the nearest segment outside the points.
    ///
    /// - Complexity: O(log n) in the number of points.
    @inline(__always) public func callAsFunction(_ v: Double) -> Double {
        var lo = 0, hi = x.count - 1
        if v <= x[1] { hi = 1 } else if v >= x[hi - 1] { lo = hi - 1 } else {
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if x[mid] <= v { lo = mid } else { hi = mid }
            }
        }
        return y[lo] + (y[hi] - y[lo]) * (v - x[lo]) / (x[hi] - x[lo])
    }
}

/// The time of one engine iteration, as a function of what is in the batch.
///
/// - Prefill (seconds) = `prefill(prompt tokens in the batch)` + `prefillAttention` ×
///   Σ (prompt tokens)² — attention over a prompt grows with its square.
/// - Decode (seconds) = `decode(sequences)` + `perKVToken` × (KV tokens read −
///   `decodeKV(sequences)`) — a table of measured steps by batch size, each with the KV
///   tokens it read, corrected for a batch that reads more or fewer; with coefficients
///   `decodeKV` is 0 and the curve is `base + perSequence · B`. A step never costs less than
///   one sequence with no context does (reading the weights is paid whatever the batch).
/// - A mixed (chunked-prefill) iteration costs its decode step plus the prefill chunk's
///   marginal time (`prefill(T) − prefill(0)` and its attention): the weights are read once.
///
/// Every iteration takes at least one microsecond, so the virtual clock always advances.
public struct IterationProfile: Sendable, Equatable {
    /// The bundled name, or "inline".
    public var name: String
    /// Where the figures come from.
    public var source: String
    public var prefill: Curve
    public var prefillAttention: Double
    public var decode: Curve
    public var decodeKV: Curve
    public var perKVToken: Double
    /// GPUs one instance spans (tensor parallel), GiB of memory on each, memory not free for
    /// the KV cache (weights, activations; all GPUs together), and KV bytes per token (all
    /// layers, keys and values, all GPUs together).
    public var gpus: Int
    public var gpuMemoryGiB: Double
    public var weightsGiB: Double
    public var kvBytesPerToken: Double

    public init(name: String, source: String, prefill: Curve, prefillAttention: Double = 0, decode: Curve,
                decodeKV: Curve = Curve(intercept: 0, slope: 0), perKVToken: Double,
                gpus: Int, gpuMemoryGiB: Double, weightsGiB: Double, kvBytesPerToken: Double) {
        self.name = name
        self.source = source
        self.prefill = prefill
        self.prefillAttention = prefillAttention
        self.decode = decode
        self.decodeKV = decodeKV
        self.perKVToken = perKVToken
        self.gpus = gpus
        self.gpuMemoryGiB = gpuMemoryGiB
        self.weightsGiB = weightsGiB
        self.kvBytesPerToken = kvBytesPerToken
    }

    /// Bundled profiles, by name.
    public static let bundled: [IterationProfile] = [vidurLlama2_7bA100, llama2_7bA100, llama2_7bH100, llama2_70bTP4A100, llama2_70bTP4H100]

    public static func named(_ name: String) -> IterationProfile? {
        bundled.first { $0.name == name }
    }

    /// Llama-2-7B on one A100 80 GB as Vidur models it (`../shared/reference/llm-vidur.md`:
    /// Vidur's own runs, microsoft/vidur main of 2024-11-19, its shipped A100 profiles).
    ///
    /// Prefill: Vidur's prefill-only iterations of k prompts of 512 tokens (k = 1, 2, 3, 4, 5,
    /// 8), by total tokens; below 512 tokens the first segment runs through zero. Decode: the
    /// linear fit over Vidur's 18,186 decode iterations, 10.5 ms − 0.95 ms × B + 0.00197 ms ×
    /// KV tokens (median error 4.5 %, p90 9 %). Its per-batch-size medians (11.8, 10.1, 11.3,
    /// 15.1, 16.9, 20.4, 34.2 ms at B = 1 … 128) wander ±11 % around the fit; interpolating them
    /// instead put TPOT 15 % above Vidur's at 8 req/s (docs/accuracy.md, "LLM engine").
    /// Memory: 80 GB × 0.9 less 14 GiB leaves 58 GiB, 7,424 blocks of 16 tokens at 0.5 MiB per
    /// token (2 × 32 layers × 4,096 × 2 bytes) — Vidur's 118,784 tokens.
    public static let vidurLlama2_7bA100 = IterationProfile(
        name: "vidur/llama-2-7b/a100",
        source: "Vidur (microsoft/vidur, 2024-11-19) iteration times for meta-llama/Llama-2-7b-hf on one A100 80 GB, vLLM scheduler; ../shared/reference/llm-vidur.md",
        prefill: Curve(x: [0, 512, 1024, 1536, 2048, 2560, 4096],
                       y: [0, 37.1e-3, 74.2e-3, 104.8e-3, 142.1e-3, 170.7e-3, 268.4e-3]),
        decode: Curve(intercept: 10.5e-3, slope: -0.95e-3),
        perKVToken: 0.00197e-3,
        gpus: 1, gpuMemoryGiB: 80, weightsGiB: 14, kvBytesPerToken: 524_288)

    // Roofline profiles. One machine's measurement fixes how close to the datasheet a GPU
    // gets: on an H100 80GB HBM3 a 7B bf16 decode step (GEMV over 14 GB) took 5.5 ms, 76 % of
    // the 3.35 TB/s HBM3 bandwidth, and a 2,048-token prefill ran at 745 TFLOP/s, 75 % of the
    // 989 TFLOP/s dense BF16 peak (../shared/reference/gpu-cold-start-measured.md). The same
    // shares are applied to the A100 SXM 80GB's 2.039 TB/s and 312 TFLOP/s (NVIDIA A100 and
    // H100 datasheets). Decode reads the weights once per step (memory-bound) until the
    // batch's 2 × parameters FLOPs per sequence take longer (compute-bound), plus the KV cache
    // at the same bandwidth; prefill is 2 × parameters FLOPs per token plus attention, 2 × d ×
    // layers FLOPs per token². Llama-2 (Touvron et al. 2023): 7B has 6.74 B parameters, 32
    // layers, d 4,096, full multi-head KV (524,288 bytes per token); 70B has 68.98 B
    // parameters, 80 layers, d 8,192, grouped-query KV with 8 heads of 128 (327,680 bytes).
    // Tensor parallel 4 splits weights, FLOPs and KV four ways and adds two all-reduces per
    // layer: 366 GB/s bus bandwidth measured with nccl-tests on 4 × H100 (waynehacking8.github.io,
    // "Where tensor-parallel inference hits the NVLink wall", 31 May 2026), scaled by NVLink
    // 600/900 GB/s for the A100, for the B × 8,192 × 2 bytes of a ring all-reduce (× 1.5), and
    // a 10 µs latency floor per all-reduce — an assumption (NCCL's small-message latency on
    // NVLink), not a measurement. Memory reserved beside the KV cache: the weights plus the
    // 1.45 GiB per GPU of activations Vidur's accounting leaves (14 GiB for 7B on one GPU).
    // docs/scenario-format.md lists how they compare with Vidur's A100 figures.

    /// Llama-2-7B on one A100 SXM 80GB, roofline.
    public static let llama2_7bA100 = IterationProfile(
        name: "llama-2-7b/a100",
        source: "roofline: A100 SXM 80GB datasheet at the shares measured on an H100 (../shared/reference/gpu-cold-start-measured.md); Llama-2 shapes",
        prefill: Curve(intercept: 0, slope: 0.05736e-3), prefillAttention: 1.1154e-9,
        decode: Curve(x: [1, 151, 512, 1024], y: [8.701e-3, 8.701e-3, 29.366e-3, 58.732e-3]),
        perKVToken: 0.0003384e-3,
        gpus: 1, gpuMemoryGiB: 80, weightsGiB: 14, kvBytesPerToken: 524_288)

    /// Llama-2-7B on one H100 SXM 80GB, roofline from the H100 measurement.
    public static let llama2_7bH100 = IterationProfile(
        name: "llama-2-7b/h100",
        source: "roofline at the shares measured on an H100 80GB HBM3 (../shared/reference/gpu-cold-start-measured.md); Llama-2 shapes",
        prefill: Curve(intercept: 0, slope: 0.018094e-3), prefillAttention: 3.5187e-10,
        decode: Curve(x: [1, 292, 512, 1024], y: [5.296e-3, 5.296e-3, 9.264e-3, 18.528e-3]),
        perKVToken: 0.00020597e-3,
        gpus: 1, gpuMemoryGiB: 80, weightsGiB: 14, kvBytesPerToken: 524_288)

    /// Llama-2-70B, tensor parallel over four A100 SXM 80GB.
    public static let llama2_70bTP4A100 = IterationProfile(
        name: "llama-2-70b-tp4/a100",
        source: "roofline: A100 SXM 80GB datasheet at the shares measured on an H100 (../shared/reference/gpu-cold-start-measured.md); Llama-2 shapes; all-reduce from nccl-tests on 4 × H100 scaled to NVLink 3",
        prefill: Curve(intercept: 1.6e-3, slope: 0.16287e-3), prefillAttention: 1.3942e-9,
        decode: Curve(x: [1, 151, 512, 1024], y: [23.878e-3, 26.295e-3, 84.987e-3, 168.374e-3]),
        perKVToken: 0.000052875e-3,
        gpus: 4, gpuMemoryGiB: 80, weightsGiB: 134, kvBytesPerToken: 327_680)

    /// Llama-2-70B, tensor parallel over four H100 SXM 80GB.
    public static let llama2_70bTP4H100 = IterationProfile(
        name: "llama-2-70b-tp4/h100",
        source: "roofline at the shares measured on an H100 80GB HBM3 (../shared/reference/gpu-cold-start-measured.md); Llama-2 shapes; all-reduce from nccl-tests on 4 × H100",
        prefill: Curve(intercept: 1.6e-3, slope: 0.057039e-3), prefillAttention: 4.3984e-10,
        decode: Curve(x: [1, 292, 512, 1024], y: [15.16e-3, 18.287e-3, 30.804e-3, 60.008e-3]),
        perKVToken: 0.000032183e-3,
        gpus: 4, gpuMemoryGiB: 80, weightsGiB: 134, kvBytesPerToken: 327_680)
}
