// A transformer's shape, as a Hugging Face `config.json` gives it (`engine.model`), and what
// follows from it: parameters, weight bytes and KV-cache bytes per token.

/// The shape of a decoder-only transformer (Llama, Mistral, Qwen, Mixtral-style MoE).
///
/// The keys are those of a Hugging Face `config.json`: `num_hidden_layers`, `hidden_size`,
/// `num_attention_heads`, `num_key_value_heads` (grouped-query attention; absent means one KV
/// head per query head), `head_dim` (absent: hidden size ÷ heads), `intermediate_size`,
/// `vocab_size`, `tie_word_embeddings`, `torch_dtype` (or `dtype`), and for a mixture of
/// experts `num_local_experts` (Mixtral) or `num_experts` (Qwen-MoE), `num_experts_per_tok`,
/// `moe_intermediate_size` and `shared_expert_intermediate_size`.
///
/// Parameters are counted as the architecture lays them out: per layer, attention's query,
/// key, value and output projections (d × head size × (2 · heads + 2 · KV heads)), a gated
/// MLP per expert (3 × d × intermediate: gate, up and down, as SwiGLU models have), the
/// router (d × experts) and two norms (2 · d); then the input embedding and the output head
/// (V × d each, once when tied) and the final norm.
public struct ModelShape: Sendable, Equatable {
    /// Where the shape came from: the config file's path, or "inline".
    public var source: String
    public var layers: Int
    public var hidden: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var intermediate: Int
    public var vocab: Int
    public var tiedEmbeddings: Bool
    /// Bytes per weight and per KV element as served: 2 for bfloat16 and float16, and for
    /// float32 too, which vLLM's `dtype: auto` serves in float16.
    public var bytesPerElement: Int
    /// The config's dtype as written ("bfloat16" when it gave none).
    public var dtype: String
    /// Experts per MoE layer (1: a dense model) and experts each token is routed to.
    public var experts: Int
    public var expertsPerToken: Int
    /// Each expert's MLP width (the dense `intermediate` for a dense model or Mixtral).
    public var expertIntermediate: Int
    /// A shared expert every token passes through (Qwen-MoE), 0 for none.
    public var sharedExpertIntermediate: Int

    public init(source: String, layers: Int, hidden: Int, heads: Int, kvHeads: Int? = nil, headDim: Int? = nil, intermediate: Int,
                vocab: Int, tiedEmbeddings: Bool = false, bytesPerElement: Int = 2, dtype: String = "bfloat16",
                experts: Int = 1, expertsPerToken: Int = 1, expertIntermediate: Int? = nil, sharedExpertIntermediate: Int = 0) {
        self.source = source
        self.layers = layers
        self.hidden = hidden
        self.heads = heads
        self.kvHeads = kvHeads ?? heads
        self.headDim = headDim ?? hidden / max(1, heads)
        self.intermediate = intermediate
        self.vocab = vocab
        self.tiedEmbeddings = tiedEmbeddings
        self.bytesPerElement = bytesPerElement
        self.dtype = dtype
        self.experts = experts
        self.expertsPerToken = expertsPerToken
        self.expertIntermediate = expertIntermediate ?? intermediate
        self.sharedExpertIntermediate = sharedExpertIntermediate
    }

    public var isMoE: Bool { experts > 1 }

    /// Attention's four projections in one layer.
    public var attentionParameters: Double {
        Double(hidden) * Double(headDim) * Double(2 * heads + 2 * kvHeads)
    }

    /// One expert's gated MLP in one layer (the dense MLP of a dense model).
    public var expertParameters: Double { 3 * Double(hidden) * Double(expertIntermediate) }

    /// What every token of a layer passes through besides its routed experts: attention, the
    /// shared expert, the router and the norms.
    public var layerSharedParameters: Double {
        attentionParameters + 3 * Double(hidden) * Double(sharedExpertIntermediate) + (isMoE ? Double(hidden) * Double(experts) : 0) + 2 * Double(hidden)
    }

    /// The embedding table, the output head (unless tied to it) and the final norm.
    public var outerParameters: Double {
        Double(vocab) * Double(hidden) * (tiedEmbeddings ? 1 : 2) + Double(hidden)
    }

    /// Every parameter.
    public var totalParameters: Double {
        Double(layers) * (layerSharedParameters + Double(experts) * expertParameters) + outerParameters
    }

    /// The parameters one token passes through (its routed experts only).
    public var activeParameters: Double {
        Double(layers) * (layerSharedParameters + Double(expertsPerToken) * expertParameters) + outerParameters
    }

    /// The input embedding table when it is a table of its own: looked up a row per token,
    /// never read whole nor multiplied (tied to the head, it is the head's weights and is).
    public var lookedUpParameters: Double { tiedEmbeddings ? 0 : Double(vocab) * Double(hidden) }

    /// The weights one token multiplies by: the active parameters less the looked-up table.
    public var matmulParametersPerToken: Double { activeParameters - lookedUpParameters }

    public var weightBytes: Double { totalParameters * Double(bytesPerElement) }

    /// KV-cache bytes per token, all layers: 2 (keys and values) × layers × KV heads × head
    /// size × bytes per element.
    public var kvBytesPerToken: Double {
        2 * Double(layers) * Double(kvHeads) * Double(headDim) * Double(bytesPerElement)
    }
}
