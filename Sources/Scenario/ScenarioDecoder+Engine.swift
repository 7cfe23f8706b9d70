// Decoding `models.<m>.engine`: an LLM instance's continuous batching and its iteration-time
// profile (bundled by name, or inline).

extension ScenarioDecoder {
    func decodeEngine(_ node: JSONNode, path: String, hardware: [HardwareType]) throws -> EngineSpec {
        var o = try ObjectReader(node, path: path, file: file)
        let kindNode = try o.required("kind", expected: "\"continuous-batching\"")
        let kind = try v.string(kindNode, o.childPath("kind"))
        guard kind == "continuous-batching" else {
            throw v.error(kindNode, o.childPath("kind"), "unknown engine kind \"\(kind)\"; expected \"continuous-batching\"",
                          suggestion: Suggest.hint(for: kind, in: ["continuous-batching"]))
        }
        // The iteration times: a measured (bundled or inline) profile, or a roofline from the
        // model's shape and its GPU.
        let profileNode = o.optional("profile")
        let modelNode = o.optional("model"), gpuNode = o.optional("gpu"), tpNode = o.optional("tensorParallel"), epNode = o.optional("expertParallel")
        let quantNode = o.optional("quantization"), kvDtypeNode = o.optional("kvCacheDtype")
        let profile: IterationProfile
        var roofline: Roofline?
        var byType: [Roofline?] = []
        if let profileNode {
            if let other = quantNode ?? kvDtypeNode {
                throw v.error(other, path, "found a profile and \(quantNode != nil ? "a quantization" : "a kvCacheDtype") too: a measured profile's times are those of its own weights and cache",
                              suggestion: "give \"model\" and \"gpu\" for a roofline that quantizes, or remove it")
            }
            if let other = modelNode ?? gpuNode ?? tpNode ?? epNode {
                throw v.error(other, path, "found a profile and \(modelNode != nil ? "a model" : gpuNode != nil ? "a gpu" : tpNode != nil ? "a tensorParallel" : "an expertParallel") too: a profile's measured times are its own model's on its own GPUs",
                              suggestion: "give either \"profile\" (measured iteration times) or \"model\" and \"gpu\" (a roofline), not both")
            }
            if case let .string(name) = profileNode.value {
                guard let p = IterationProfile.named(name) else {
                    throw v.error(profileNode, o.childPath("profile"), "unknown engine profile \"\(name)\"",
                                  suggestion: Suggest.hint(for: name, in: IterationProfile.bundled.map(\.name), noun: "bundled profiles are"))
                }
                profile = p
            } else {
                profile = try decodeProfile(profileNode, path: o.childPath("profile"))
            }
        } else {
            guard let modelNode else {
                throw v.error(node, path, "missing key \"profile\" (a bundled profile's name: \(IterationProfile.bundled.map { "\"\($0.name)\"" }.joined(separator: ", ")); or an inline profile object), or \"model\" and \"gpu\" for a roofline",
                              suggestion: "for example \"model\": \"config.json\" (a Hugging Face config) and \"gpu\": \"h100-sxm\"")
            }
            let shape = try decodeModelShape(modelNode, path: o.childPath("model"))
            // The GPU: the engine's own, or each node type's (hardware.<type>.gpuModel), so that
            // plans on different node types compare GPUs.
            let gpu: GPUSpec
            if let gpuNode {
                gpu = try decodeGPU(gpuNode, path: o.childPath("gpu"))
            } else {
                guard let first = hardware.first(where: { $0.gpuModel != nil })?.gpuModel else {
                    throw v.error(node, path, "missing key \"gpu\" (a catalogue GPU: \(GPUSpec.catalogue.map { "\"\($0.name)\"" }.joined(separator: ", ")); or an inline one), and no node type names its gpuModel",
                                  suggestion: "give engine.gpu, or hardware.<type>.gpuModel for the node types the model runs on")
                }
                gpu = first
            }
            let tp = try tpNode.map { try v.integer($0, o.childPath("tensorParallel"), min: 1, max: 64) } ?? 1
            // vLLM's checks: the attention heads split evenly over the GPUs, and so do the KV
            // heads (or each is replicated to a whole number of GPUs).
            if shape.heads % tp != 0 || (tp <= shape.kvHeads ? shape.kvHeads % tp : tp % shape.kvHeads) != 0 {
                throw v.error(tpNode!, o.childPath("tensorParallel"),
                              "tensor parallel \(tp) does not split \(shape.heads) attention heads and \(shape.kvHeads) KV heads evenly (vLLM requires both to divide, or the GPUs to be a multiple of the KV heads)",
                              suggestion: "use a tensorParallel that divides \(shape.heads), such as \(Self.divisors(shape.heads, of: shape.kvHeads).map(String.init).joined(separator: ", "))")
            }
            // Expert parallelism: the instance is one of `ep` data-parallel ranks that split a
            // mixture's experts (vLLM's --data-parallel-size with --enable-expert-parallel),
            // which needs experts, and as many of them on every GPU (vLLM splits them evenly).
            let ep = try epNode.map { try v.integer($0, o.childPath("expertParallel"), min: 1, max: 1024) } ?? 1
            if ep > 1 {
                guard shape.isMoE else {
                    throw v.error(epNode!, o.childPath("expertParallel"), "expert parallelism needs a mixture of experts, but the model has none (no num_local_experts or num_experts)",
                                  suggestion: "remove expertParallel, or use data-parallel instances without it")
                }
                guard shape.experts % (ep * tp) == 0 else {
                    throw v.error(epNode!, o.childPath("expertParallel"),
                                  "expert parallel \(ep) × tensor parallel \(tp) does not split \(shape.experts) experts evenly over \(ep * tp) GPUs",
                                  suggestion: "use an expertParallel that, times the tensorParallel, divides \(shape.experts)")
                }
            }
            // vLLM's `quantization: fp8` and `kv_cache_dtype: fp8`: "fp8", or the default's name.
            func isFP8(_ node: JSONNode?, _ key: String, default off: String) throws -> Bool {
                guard let node else { return false }
                let text = try v.string(node, o.childPath(key))
                guard text == "fp8" || text == off else {
                    throw v.error(node, o.childPath(key), "unknown \(key) \"\(text)\"; expected \"\(off)\" or \"fp8\"", suggestion: Suggest.hint(for: text, in: [off, "fp8"]))
                }
                return text == "fp8"
            }
            let fp8Weights = try isFP8(quantNode, "quantization", default: "none"), fp8KV = try isFP8(kvDtypeNode, "kvCacheDtype", default: "auto")
            let r = Roofline(model: shape, gpu: gpu, tensorParallel: tp, fp8Weights: fp8Weights, fp8KVCache: fp8KV, expertParallel: ep)
            roofline = r
            profile = r.profile
            if gpuNode == nil {
                byType = hardware.map { h in h.gpuModel.map { Roofline(model: shape, gpu: $0, tensorParallel: tp, fp8Weights: fp8Weights, fp8KVCache: fp8KV, expertParallel: ep) } }
            }
        }
        var engine = EngineSpec(profile: profile, roofline: roofline)
        engine.rooflineByType = byType
        // Defaults are vLLM's: max_num_seqs 256; max_num_batched_tokens max(max_model_len,
        // 2048), 4,096 for Llama-2's context; block_size 16 (vllm/config.py, v0.4–0.6).
        if let n = o.optional("maxSequences") { engine.maxSequences = try v.integer(n, o.childPath("maxSequences"), min: 1, max: 65_536) }
        if let n = o.optional("maxBatchTokens") { engine.maxBatchTokens = try v.integer(n, o.childPath("maxBatchTokens"), min: 1, max: 10_000_000) }
        if let n = o.optional("blockTokens") { engine.blockTokens = try v.integer(n, o.childPath("blockTokens"), min: 1, max: 4096) }
        if let n = o.optional("kvCacheTokens") {
            if case let .string(text) = n.value {
                guard text == "auto" else {
                    throw v.error(n, o.childPath("kvCacheTokens"), "expected \"auto\" or a number of tokens, found \"\(text)\"")
                }
            } else {
                engine.kvCacheTokens = try v.integer(n, o.childPath("kvCacheTokens"), min: engine.blockTokens, max: 1_000_000_000)
            }
        }
        // The scheduler: vLLM V1's by default (chunked prefill always on: every running decode
        // first, prompt chunks in the rest of the token budget; docs/configuration/
        // optimization.md), V0's for Vidur's configuration. `chunkedPrefill` is the older
        // spelling of the same choice (true: V1's scheduling, false: V0's). EngineSpec's own
        // default is V1's.
        if let n = o.optional("scheduler") {
            let text = try v.string(n, o.childPath("scheduler"))
            guard let s = EngineSpec.Scheduler(rawValue: text) else {
                throw v.error(n, o.childPath("scheduler"), "unknown scheduler \"\(text)\"",
                              suggestion: Suggest.hint(for: text, in: EngineSpec.Scheduler.allCases.map(\.rawValue)))
            }
            engine.chunkedPrefill = s == .vllmV1
        }
        if let n = o.optional("chunkedPrefill") {
            guard case let .bool(b) = n.value else {
                throw v.error(n, o.childPath("chunkedPrefill"), "expected true or false, found \(n.value.kindDescription)")
            }
            if o.has("scheduler"), b != engine.chunkedPrefill {
                throw v.error(n, o.childPath("chunkedPrefill"), "expected chunkedPrefill \(!b) with this scheduler, found \(b): vllm-v1 always chunks prefills, vllm-v0 never does",
                              suggestion: "give only \"scheduler\"")
            }
            engine.chunkedPrefill = b
        }
        // Prefix caching follows the scheduler's default (vLLM V1 on, V0 off) unless given.
        engine.prefixCaching = engine.chunkedPrefill
        if let n = o.optional("prefixCaching") {
            guard case let .bool(b) = n.value else {
                throw v.error(n, o.childPath("prefixCaching"), "expected true or false, found \(n.value.kindDescription)")
            }
            engine.prefixCaching = b
        }
        // The balancer: least-loaded, or SGLang's router's cache-aware policy with its
        // defaults (sgl-model-gateway docs, concepts/routing/cache-aware.md).
        if let n = o.optional("routing") {
            let text = try v.string(n, o.childPath("routing"))
            switch text {
            case "least-loaded": engine.routing = .leastLoaded
            case "cache-aware": engine.routing = .cacheAware(cacheThreshold: 0.3, balanceAbsThreshold: 64, balanceRelThreshold: 1.5)
            case "session-affinity": engine.routing = .sessionAffinity
            default:
                throw v.error(n, o.childPath("routing"), "unknown routing \"\(text)\"", suggestion: Suggest.hint(for: text, in: EngineSpec.Routing.names))
            }
        }
        for key in ["cacheThreshold", "balanceAbsThreshold", "balanceRelThreshold"] {
            guard let n = o.optional(key) else { continue }
            guard case let .cacheAware(threshold, absolute, relative) = engine.routing else {
                throw v.error(n, o.childPath(key), "\"\(key)\" is for \"routing\": \"cache-aware\" only", suggestion: "add \"routing\": \"cache-aware\", or remove \"\(key)\"")
            }
            switch key {
            case "cacheThreshold":
                engine.routing = .cacheAware(cacheThreshold: try v.number(n, o.childPath(key), min: 0, max: 1), balanceAbsThreshold: absolute, balanceRelThreshold: relative)
            case "balanceAbsThreshold":
                engine.routing = .cacheAware(cacheThreshold: threshold, balanceAbsThreshold: try v.integer(n, o.childPath(key), min: 0, max: 1_000_000), balanceRelThreshold: relative)
            default:
                engine.routing = .cacheAware(cacheThreshold: threshold, balanceAbsThreshold: absolute, balanceRelThreshold: try v.number(n, o.childPath(key), min: 1, max: 1e6))
            }
        }
        if let n = o.optional("role") {
            let text = try v.string(n, o.childPath("role"))
            guard let role = EngineSpec.Role(rawValue: text) else {
                throw v.error(n, o.childPath("role"), "unknown role \"\(text)\"; expected \"both\", \"prefill\" or \"decode\"",
                              suggestion: Suggest.hint(for: text, in: EngineSpec.Role.allCases.map(\.rawValue)))
            }
            engine.role = role
            // A decode pool computes no prompt: nothing of it is cached.
            if role == .decode {
                if let p = o.optional("prefixCaching"), case .bool(true) = p.value {
                    throw v.error(p, o.childPath("prefixCaching"), "a decode pool computes no prompt, so it caches none: prefix caching belongs to the prefill pool",
                                  suggestion: "remove \"prefixCaching\" here and set it on the prefill model's engine")
                }
                engine.prefixCaching = false
            }
        }
        if let n = o.optional("kvTransfer") {
            guard engine.role == .decode else {
                throw v.error(n, o.childPath("kvTransfer"), "\"kvTransfer\" is only for a decode pool (how it pulls prompts' KV caches), and this engine's role is \(engine.role.rawValue)",
                              suggestion: "add \"role\": \"decode\", or remove \"kvTransfer\"")
            }
            var t = try ObjectReader(n, path: o.childPath("kvTransfer"), file: file)
            if let b = t.optional("bandwidthGBps") { engine.kvTransfer.bandwidth = try v.number(b, t.childPath("bandwidthGBps"), min: 0, exclusiveMin: true, max: 1e6) * 1e9 }
            if let b = t.optional("sameNodeBandwidthGBps") {
                engine.kvTransfer.sameNodeBandwidth = try v.number(b, t.childPath("sameNodeBandwidthGBps"), min: 0, exclusiveMin: true, max: 1e6) * 1e9
            }
            if let l = t.optional("latency") { engine.kvTransfer.latency = try v.duration(l, t.childPath("latency")) }
            try t.finish()
        }
        if let n = o.optional("preemption") {
            let text = try v.string(n, o.childPath("preemption"))
            guard let p = EngineSpec.Preemption(rawValue: text) else {
                throw v.error(n, o.childPath("preemption"), "unknown preemption \"\(text)\"; expected \"recompute\"" + (text == "swap" ? " (swapping to host memory is not modelled)" : ""),
                              suggestion: "use \"recompute\"")
            }
            engine.preemption = p
        }
        try o.finish()
        // Per node type, the cache is checked once the types the model runs on are known.
        if engine.rooflineByType.isEmpty, engine.kvBlocks == 0 {
            let p = engine.profile
            throw v.error(node, path, "the KV cache would hold no block: \(p.gpus) GPU(s) × \(ValueReader.show(p.gpuMemoryGiB)) GiB × \(EngineSpec.gpuMemoryUtilization) leaves nothing beside \(ValueReader.show(p.weightsGiB)) GiB of weights",
                          suggestion: engine.roofline == nil ? "give kvCacheTokens, or a profile with more GPU memory" : "raise tensorParallel, or choose a GPU with more memory")
        }
        return engine
    }

    /// Tensor-parallel degrees vLLM accepts for `heads` attention and `kv` KV heads, up to 16.
    static func divisors(_ heads: Int, of kv: Int) -> [Int] {
        (1...16).filter { t in heads % t == 0 && (t <= kv ? kv % t == 0 : t % kv == 0) }
    }

    /// An inline profile: `prefill` and `decode` as coefficients or measured points, and the
    /// memory that sizes an "auto" KV cache.
    func decodeProfile(_ node: JSONNode, path: String) throws -> IterationProfile {
        var o = try ObjectReader(node, path: path, file: file, what: "a profile object with prefill and decode")
        // Prefill: points {"tokens", "time"}, or base + perToken; optional perTokenSquared.
        let pNode = try o.required("prefill", expected: "{\"base\": d, \"perToken\": d} or {\"points\": [{\"tokens\": n, \"time\": d}, …]}")
        var po = try ObjectReader(pNode, path: o.childPath("prefill"), file: file)
        let prefill = try curve(&po, xKey: "tokens", lineKeys: ("base", "perToken")).curve
        let attention = try po.optional("perTokenSquared").map { try signedDuration($0, po.childPath("perTokenSquared")) } ?? 0
        try po.finish()
        // Decode: points {"sequences", "kvTokens", "time"} plus perKVToken, or base +
        // perSequence + perKVToken.
        let dNode = try o.required("decode", expected: "{\"base\": d, \"perSequence\": d, \"perKVToken\": d} or {\"points\": [{\"sequences\": n, \"kvTokens\": n, \"time\": d}, …], \"perKVToken\": d}")
        var dobj = try ObjectReader(dNode, path: o.childPath("decode"), file: file)
        let (decode, kvCurve) = try curve(&dobj, xKey: "sequences", lineKeys: ("base", "perSequence"), extraKey: "kvTokens")
        let perKV = try dobj.optional("perKVToken").map { try signedDuration($0, dobj.childPath("perKVToken")) } ?? 0
        try dobj.finish()
        let gpus = try o.optional("gpus").map { try v.integer($0, o.childPath("gpus"), min: 1, max: 1024) } ?? 1
        let memory = try o.optional("gpuMemoryGiB").map { try v.number($0, o.childPath("gpuMemoryGiB"), min: 0, exclusiveMin: true, max: 1e6) } ?? 0
        let weights = try o.optional("weightsGiB").map { try v.number($0, o.childPath("weightsGiB"), min: 0, max: 1e6) } ?? 0
        let kvBytes = try o.optional("kvBytesPerToken").map { try v.number($0, o.childPath("kvBytesPerToken"), min: 0, exclusiveMin: true, max: 1e12) } ?? 1
        try o.finish()
        return IterationProfile(name: "inline", source: "the scenario (\(path))", prefill: prefill, prefillAttention: attention,
                                decode: decode, decodeKV: kvCurve ?? Curve(intercept: 0, slope: 0), perKVToken: perKV,
                                gpus: gpus, gpuMemoryGiB: memory, weightsGiB: weights, kvBytesPerToken: kvBytes)
    }

    /// A curve given either as `points` (objects with `xKey` and `time`, increasing in `xKey`)
    /// or as a line (`lineKeys`: intercept and slope durations). With `extraKey`, each point
    /// also gives a second value, returned as a curve of its own over the same `xKey` (nil for
    /// a line).
    private func curve(_ o: inout ObjectReader, xKey: String, lineKeys: (String, String),
                       extraKey: String? = nil) throws -> (curve: Curve, extra: Curve?) {
        if let pts = o.optional("points") {
            // Asked for (so they count as known keys), and refused beside points.
            let line = [lineKeys.0, lineKeys.1].filter { o.optional($0) != nil }
            if let k = line.first {
                throw v.error(pts, o.childPath("points"), "give either points or \"\(lineKeys.0)\"/\"\(lineKeys.1)\", not both (found \"\(k)\" too)")
            }
            guard case let .array(items) = pts.value, items.count >= 2 else {
                throw v.error(pts, o.childPath("points"), "expected an array of two points or more, to interpolate between")
            }
            var xs: [Double] = [], ys: [Double] = [], es: [Double] = []
            for (k, item) in items.enumerated() {
                let p = o.childPath("points") + "[\(k)]"
                var io = try ObjectReader(item, path: p, file: file)
                let x = Double(try v.integer(try io.required(xKey, expected: "a whole number"), io.childPath(xKey), max: 100_000_000))
                if let last = xs.last, x <= last {
                    throw v.error(item, io.childPath(xKey), "points must be in increasing \(xKey): \(ValueReader.show(x)) follows \(ValueReader.show(last))")
                }
                xs.append(x)
                if let extraKey {
                    es.append(Double(try v.integer(try io.required(extraKey, expected: "the KV tokens the measured step read"), io.childPath(extraKey), max: 1_000_000_000)))
                }
                ys.append(try v.duration(try io.required("time", expected: "the iteration's duration"), io.childPath("time")))
                try io.finish()
            }
            return (Curve(x: xs, y: ys), extraKey != nil ? Curve(x: xs, y: es) : nil)
        }
        let base = try o.required(lineKeys.0, expected: "a duration (or give points)")
        let slope = try o.required(lineKeys.1, expected: "a duration per unit")
        return (Curve(intercept: try v.duration(base, o.childPath(lineKeys.0)),
                      slope: try signedDuration(slope, o.childPath(lineKeys.1))), nil)
    }

    /// A duration that may be negative (a fitted coefficient: "-0.95ms").
    private func signedDuration(_ node: JSONNode, _ path: String) throws -> Double {
        let seconds: Double
        switch node.value {
        case let .number(n): seconds = n
        case let .string(text):
            guard let d = ValueReader.parseDuration(text) else {
                throw v.error(node, path, "expected a duration such as \"0.07ms\" or \"-0.95ms\", found \"\(text)\"")
            }
            seconds = d
        default:
            throw v.error(node, path, "expected a duration (\"0.07ms\", or a number of seconds), found \(node.value.kindDescription)")
        }
        guard seconds.isFinite, abs(seconds) <= 3600 else {
            throw v.error(node, path, "expected a coefficient of at most an hour, found \(ValueReader.show(seconds)) s")
        }
        return seconds
    }
}
