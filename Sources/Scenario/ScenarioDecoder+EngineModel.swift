// Decoding an engine's model shape (`engine.model`: a Hugging Face config.json, or its keys
// inline) and its GPU (`engine.gpu`: a catalogue name, or the figures inline).

import Foundation

extension ScenarioDecoder {
    /// `engine.model`: a path to a `config.json` (relative to the scenario) or an inline
    /// object. A config file carries many keys Headroom has no use for, so it reads the ones it
    /// needs and ignores the rest; an inline object is checked key by key, as the rest of a
    /// scenario is, so a misspelt key is not silently defaulted.
    func decodeModelShape(_ node: JSONNode, path: String) throws -> ModelShape {
        if case let .string(name) = node.value {
            let resolved = name.hasPrefix("/") ? name : (directory.isEmpty ? name : directory + "/" + name)
            let text: String
            switch FileSystem.readWhole(resolved) {
            case let .success(bytes):
                guard let t = String(validating: bytes, as: UTF8.self) else {
                    throw v.error(node, path, "the model config \"\(name)\" is not UTF-8 text, expected a Hugging Face config.json")
                }
                text = t
            case let .failure(e):
                throw v.error(node, path, "the model config \"\(name)\" \(e.code == ENOENT ? "does not exist" : "cannot be read (\(e.reason))") (resolved to \(resolved))",
                              suggestion: "give a path to a Hugging Face config.json, relative to the scenario file, or the keys inline")
            }
            let root = try JSONReader.parse(text, file: resolved)
            let reader = ScenarioDecoder(file: resolved, directory: directory)
            var o = try ObjectReader(root, path: "$", file: resolved, what: "a Hugging Face config object")
            return try reader.shape(&o, source: name, strict: false)
        }
        var o = try ObjectReader(node, path: path, file: file, what: "a path to a Hugging Face config.json, or an object with its keys")
        return try shape(&o, source: "inline", strict: true)
    }

    private func shape(_ o: inout ObjectReader, source: String, strict: Bool) throws -> ModelShape {
        /// A key's value; a config file's `null` counts as absent (transformers writes
        /// `"head_dim": null` for "derive it").
        func value(_ key: String) -> JSONNode? {
            guard let n = o.optional(key) else { return nil }
            if case .null = n.value, !strict { return nil }
            return n
        }
        func count(_ key: String, required: Bool = true, min: Int = 1) throws -> Int? {
            guard let n = value(key) else {
                guard !required else {
                    throw ScenarioError(file: o.file, line: o.node.line, column: o.node.column, path: o.path, message: "missing key \"\(key)\" (a whole number)")
                }
                return nil
            }
            return try v.integer(n, o.childPath(key), min: min, max: 10_000_000)
        }
        let layers = try count("num_hidden_layers")!
        let hidden = try count("hidden_size")!
        let headsNode = try o.required("num_attention_heads", expected: "a whole number")
        let heads = try v.integer(headsNode, o.childPath("num_attention_heads"), min: 1, max: 100_000)
        let kvNode = value("num_key_value_heads")
        let kvHeads = try kvNode.map { try v.integer($0, o.childPath("num_key_value_heads"), min: 1, max: 100_000) } ?? heads
        if heads % kvHeads != 0 {
            throw v.error(kvNode!, o.childPath("num_key_value_heads"), "\(kvHeads) KV heads do not divide \(heads) attention heads: grouped-query attention shares each KV head among a whole number of query heads")
        }
        let headDim: Int
        if let n = value("head_dim") {
            headDim = try v.integer(n, o.childPath("head_dim"), min: 1, max: 100_000)
        } else {
            guard hidden % heads == 0 else {
                throw v.error(headsNode, o.childPath("num_attention_heads"), "\(heads) attention heads do not divide hidden_size \(hidden), and there is no head_dim",
                              suggestion: "give head_dim, or check num_attention_heads")
            }
            headDim = hidden / heads
        }
        let intermediate = try count("intermediate_size")!
        let vocab = try count("vocab_size")!
        var tied = false
        if let n = value("tie_word_embeddings") {
            guard case let .bool(b) = n.value else { throw v.error(n, o.childPath("tie_word_embeddings"), "expected true or false, found \(n.value.kindDescription)") }
            tied = b
        }
        // The dtype as served: vLLM's dtype "auto" serves float32 (and an absent dtype, which
        // transformers reads as float32) in float16, and bfloat16 as bfloat16.
        var dtype = "bfloat16"
        for key in ["torch_dtype", "dtype"] {
            guard let n = value(key) else { continue }
            let text = try v.string(n, o.childPath(key))
            guard ["bfloat16", "float16", "float32"].contains(text) else {
                throw v.error(n, o.childPath(key), "dtype \"\(text)\" is not modelled; expected \"bfloat16\", \"float16\" or \"float32\" (served in float16)",
                              suggestion: "the GPU catalogue's peaks are dense 16-bit: give the model's 16-bit dtype")
            }
            dtype = text
        }
        var experts = 1, perToken = 1
        let local = value("num_local_experts"), plain = value("num_experts")
        if let (key, n) = local.map({ ("num_local_experts", $0) }) ?? plain.map({ ("num_experts", $0) }) {
            experts = try v.integer(n, o.childPath(key), min: 1, max: 100_000)
            if experts > 1 {
                let k = try o.required("num_experts_per_tok", expected: "the experts each token is routed to")
                perToken = try v.integer(k, o.childPath("num_experts_per_tok"), min: 1, max: experts)
            }
        }
        if strict, experts <= 1, let k = value("num_experts_per_tok") {
            throw v.error(k, o.childPath("num_experts_per_tok"), "num_experts_per_tok needs num_local_experts (or num_experts) above 1, found none",
                          suggestion: "give num_local_experts for a mixture of experts, or remove num_experts_per_tok")
        }
        let expertWidth = try count("moe_intermediate_size", required: false)
        let shared = try count("shared_expert_intermediate_size", required: false, min: 0) ?? 0
        if strict { try o.finish() }
        return ModelShape(source: source, layers: layers, hidden: hidden, heads: heads, kvHeads: kvHeads, headDim: headDim, intermediate: intermediate,
                          vocab: vocab, tiedEmbeddings: tied, bytesPerElement: 2, dtype: dtype, experts: experts, expertsPerToken: perToken,
                          expertIntermediate: experts > 1 ? expertWidth : nil, sharedExpertIntermediate: shared)
    }

    /// `engine.gpu`: a catalogue name, or an inline entry with the figures the roofline uses.
    func decodeGPU(_ node: JSONNode, path: String) throws -> GPUSpec {
        if case let .string(name) = node.value {
            guard let gpu = GPUSpec.named(name) else {
                throw v.error(node, path, "unknown GPU \"\(name)\"",
                              suggestion: Suggest.hint(for: name, in: GPUSpec.catalogue.map(\.name), noun: "the catalogue has")
                                  + " (or give an inline entry: {\"tflops\", \"memoryTBps\", \"memoryGiB\", \"interconnectGBps\"})")
            }
            return gpu
        }
        var o = try ObjectReader(node, path: path, file: file, what: "a catalogue GPU's name or an object with its figures")
        func figure(_ key: String, _ what: String) throws -> Double {
            try v.number(try o.required(key, expected: what), o.childPath(key), min: 0, exclusiveMin: true, max: 1e9)
        }
        let name = try o.optional("name").map { try v.string($0, o.childPath("name")) } ?? "inline GPU"
        let tflops = try figure("tflops", "dense BF16/FP16 TFLOP/s, not the sparse figure")
        let memory = try figure("memoryTBps", "memory bandwidth in TB/s")
        let size = try figure("memoryGiB", "GPU memory in GiB")
        let link = try o.optional("interconnectGBps").map { try v.number($0, o.childPath("interconnectGBps"), min: 0, exclusiveMin: true, max: 1e9) } ?? 64
        let fp8 = try o.optional("fp8TFlops").map { try v.number($0, o.childPath("fp8TFlops"), min: 0, exclusiveMin: true, max: 1e9) }
        try o.finish()
        return GPUSpec(name: name, flops: tflops * 1e12, memoryBandwidth: memory * 1e12, memoryGiB: size, interconnect: link * 1e9,
                       interconnectName: o.has("interconnectGBps") ? "link" : "PCIe Gen4 x16 (default)", source: "the scenario (\(path))",
                       fp8Flops: fp8.map { $0 * 1e12 })
    }
}
