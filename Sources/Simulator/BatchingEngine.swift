import Scenario

/// The iteration-time model of an engine, in nanoseconds, and its limits: what every instance
/// of one engine model shares.
struct EngineModel {
    let profile: IterationProfile
    let maxSequences: Int
    let maxBatchTokens: Int
    let blockTokens: Int
    let kvBlocks: Int
    /// Blocks admission leaves free (vLLM's 1 % watermark).
    let watermarkBlocks: Int
    let chunkedPrefill: Bool
    /// Automatic prefix caching (`PrefixCache`).
    let prefixCaching: Bool
    /// The prefill curve's value at zero tokens: what a prefill chunk riding along with
    /// decodes does not pay again.
    let prefillBase: Double
    /// The shortest decode step: one sequence with no context (a fit with a negative slope in
    /// B must not make a step of many short sequences cheaper than reading the weights once).
    let decodeFloor: Double

    /// All of a request, or one side of disaggregated serving.
    let role: EngineSpec.Role

    /// The engine of `spec` running with `profile` (its own, or its node type's GPU's).
    init(_ spec: EngineSpec, profile: IterationProfile) {
        role = spec.role
        self.profile = profile
        maxSequences = spec.maxSequences
        maxBatchTokens = spec.maxBatchTokens
        blockTokens = spec.blockTokens
        kvBlocks = spec.kvBlocks(for: profile)
        watermarkBlocks = Int((EngineSpec.watermark * Double(kvBlocks)).rounded(.down))
        chunkedPrefill = spec.chunkedPrefill
        prefixCaching = spec.prefixCaching
        prefillBase = profile.prefill(0)
        decodeFloor = Swift.max(0, profile.decode(1) - profile.perKVToken * profile.decodeKV(1))
    }

    /// KV blocks holding `tokens` tokens.
    @inline(__always) func blocks(_ tokens: Int) -> Int { (tokens + blockTokens - 1) / blockTokens }

    /// Whether a sequence of this many tokens (its prompt, or prompt and output) can never be
    /// served: more blocks than the cache holds above the watermark, or, without chunked
    /// prefill, a prompt over the token budget (vLLM refuses such a prompt).
    func tooLong(prompt: Int, total: Int) -> Bool {
        blocks(total) > kvBlocks - watermarkBlocks || (!chunkedPrefill && prompt > maxBatchTokens)
    }

    /// An iteration's duration (ns): `prefillTokens` prompt tokens (with Σ chunk × context for
    /// attention) and `sequences` decodes reading `kvTokens` KV tokens. At least 1 µs.
    @inline(__always) func iterationNanoseconds(prefillTokens: Int, attention: Double, sequences: Int, kvTokens: Int) -> Int64 {
        var seconds = 0.0
        if sequences > 0 {
            let b = Double(sequences)
            seconds = Swift.max(decodeFloor, profile.decode(b) + profile.perKVToken * (Double(kvTokens) - profile.decodeKV(b)))
            if prefillTokens > 0 { seconds += profile.prefill(Double(prefillTokens)) - prefillBase }
        } else if prefillTokens > 0 {
            seconds = profile.prefill(Double(prefillTokens))
        }
        if prefillTokens > 0 { seconds += profile.prefillAttention * attention }
        return Swift.max(1000, Int64((seconds * 1e9).rounded()))
    }
}

/// A decode pool's pull of a prompt's KV cache, by engine (`Simulation.engineLinks`; apart
/// from `EngineModel`, which every iteration copies): nanoseconds per prompt token from
/// another node and from the same node, and per transfer.
struct KVLink {
    var perTokenRemote = 0.0
    var perTokenLocal = 0.0
    var latency: Int64 = 0

    init() {}

    /// The link of `spec` running with `profile`, at `sameNodeBandwidth` bytes/s within a node.
    init(_ spec: EngineSpec, profile: IterationProfile, sameNodeBandwidth: Double) {
        perTokenRemote = profile.kvBytesPerToken / spec.kvTransfer.bandwidth * 1e9
        perTokenLocal = profile.kvBytesPerToken / sameNodeBandwidth * 1e9
        // Held at 10¹⁸ ns (31 years): an absurd latency ends the run's pulls past its end
        // rather than past Int64.
        latency = Int64(Swift.min(1e18, (spec.kvTransfer.latency * 1e9).rounded()))
    }
}

/// One engine instance's state: its running batch, its own waiting line, its KV blocks and
/// the iteration under way. Arrays are reserved for `maxSequences` when the instance starts
/// and reused: an iteration allocates nothing.
final class EngineInstance {
    var model: Int
    /// Its engine in `Simulation.engineModels` (the model's, on its node's type).
    var engineIndex: Int
    /// Request slots admitted (holding KV blocks), oldest first.
    var running: [Int32] = []
    /// Request slots dispatched to the instance and not admitted yet (preempted ones first).
    var waiting: [Int32] = []
    /// Request slots refused (too long), to be handed back at the next step.
    var refusedLine: [Int32] = []
    /// The iteration under way: its members and the tokens each processes in it.
    var batch: [Int32] = []
    var batchTokens: [Int32] = []
    /// KV blocks neither held by a sequence nor cached.
    var freeBlocks: Int
    /// Prefix blocks cached: held by running sequences, or evictable (their blocks count as
    /// free to admission and to a growing decode, evicted when taken).
    var cache = PrefixCache()
    /// Tokens generated since the engines last reported (`Simulation.reportEngines`).
    var tokens: Int64 = 0
    /// A decode instance's link: when the KV transfers into it already queued end (ns).
    var linkFree: Int64 = 0
    /// An iteration is under way, or a step event is queued.
    var busy = false
    /// Bumped when the instance stops: its queued step event is then stale.
    var generation: UInt32 = 0

    init(model: Int, engine: EngineModel, index: Int) {
        self.model = model
        engineIndex = index
        freeBlocks = engine.kvBlocks
        reserve(engine.maxSequences)
    }

    func reserve(_ n: Int) {
        running.reserveCapacity(n)
        waiting.reserveCapacity(n)
        batch.reserveCapacity(n)
        batchTokens.reserveCapacity(n)
    }

    /// Empties the instance for a new start of `model` (its slot reused).
    func reset(model: Int, engine: EngineModel, index: Int) {
        self.model = model
        engineIndex = index
        running.removeAll(keepingCapacity: true)
        waiting.removeAll(keepingCapacity: true)
        refusedLine.removeAll(keepingCapacity: true)
        batch.removeAll(keepingCapacity: true)
        batchTokens.removeAll(keepingCapacity: true)
        freeBlocks = engine.kvBlocks
        cache.removeAll()
        linkFree = 0
        tokens = 0
        busy = false
        generation &+= 1
        reserve(engine.maxSequences)
    }
}

/// The host's record of a request inside an engine, by request slot.
struct SequenceRecord {
    var prompt: Int32 = 0
    var output: Int32 = 0
    /// Output tokens produced so far.
    var generated: Int32 = 0
    /// Tokens this admission prefills (prompt, plus what was generated before a preemption),
    /// and how many of them are done.
    var prefillTarget: Int32 = 0
    var prefilled: Int32 = 0
    /// KV blocks it holds alone (past its cached prefix blocks).
    var blocks: Int32 = 0
    /// The deepest prefix node whose path from the root it holds in its instance's cache
    /// (-1: none), and their KV blocks.
    var held: Int32 = -1
    var heldBlocks: Int32 = 0
    /// Prompt tokens its current admission found cached (not prefilled again), and those its
    /// first token's admission found (booked as prefix-cache hits).
    var cached: Int32 = 0
    var hit: Int32 = 0
    /// When it entered the engine, and when its first token came (-1: not yet).
    var dispatched: Int64 = 0
    var firstToken: Int64 = -1
    /// The engine refused it (longer than the cache or the token budget allows).
    var refused = false
    /// It is in its instance's engine (waiting, running or about to be handed back).
    var inEngine = false
    /// For the request id `stamp`: its time to first token and per output token (ns; -1:
    /// none), kept for the SLO check when the request completes.
    var stamp: Int64 = -1
    var ttft: Int64 = -1
    var tpot: Int64 = -1
}

/// Disaggregated serving: where a request's prompt was prefilled and how its KV cache moves,
/// by request slot (kept apart from `SequenceRecord`, which every engine iteration reads).
struct PullRecord {
    enum State: UInt8 {
        case none
        /// Its prompt was prefilled by a prefill pool (it ends there at its first token).
        case prefilled
        /// On a decode instance, its KV cache to pull when admitted.
        case pending
        /// Admitted, its KV cache on its way until `ready` (its `prefilled` is -1 meanwhile).
        case pulling
    }
    var state = State.none
    /// From the same node as the decode instance (decided when dispatched there).
    var local = false
    /// The prefill instance's node.
    var node: Int32 = -1
    var ready: Int64 = 0
    /// The request id it belongs to.
    var stamp: Int64 = -1
}

/// What the engines of one plan did, over the run or for one target.
public struct EngineStats: Sendable {
    /// Time to first token (arrival → end of the prefill that produced it) and time per output
    /// token ((end − first token) ÷ (output tokens − 1)), of completed requests, in ns.
    public var ttft = LatencyHistogram()
    public var tpot = LatencyHistogram()
    public var outputTokens: Int64 = 0
    /// Prompt tokens of the completed requests, and those of them served from the prefix
    /// cache (not prefilled for the first token).
    public var inputTokens: Int64 = 0
    public var cachedTokens: Int64 = 0
    /// Simulated (iterations known), or measured from a real server's answers.
    public var simulated: Bool
    /// Sequences preempted (their KV freed, to be recomputed).
    public var preemptions: Int64 = 0
    /// Requests the engine refused as too long for its cache or token budget.
    public var refused: Int64 = 0
    /// Disaggregated serving: sequences a prefill pool finished and handed on, KV caches a
    /// decode pool pulled, and Σ each pull's time from admission to arrival (ns).
    public var prefillHandoffs: Int64 = 0
    public var kvTransfers: Int64 = 0
    public var kvTransferNanoseconds: Int64 = 0
    /// Iterations run, and Σ sequences in them.
    public var iterations: Int64 = 0
    public var batchSequences: Int64 = 0
    /// ∫ used KV blocks dt and ∫ KV blocks dt over the engine instances' lives (block·ns).
    public var kvUsedArea = 0.0
    public var kvCapacityArea = 0.0

    public init(simulated: Bool = true) {
        self.simulated = simulated
    }

    /// Mean sequences per iteration, and the time-average share of the KV cache in use.
    public var batchSizeMean: Double? { iterations > 0 ? Double(batchSequences) / Double(iterations) : nil }
    public var kvUtilisation: Double? { kvCapacityArea > 0 ? kvUsedArea / kvCapacityArea : nil }
    /// The share of completed requests' prompt tokens served from the prefix cache.
    public var prefixCacheHitRate: Double? { simulated && inputTokens > 0 ? Double(cachedTokens) / Double(inputTokens) : nil }

    /// The report columns (`EngineMetric.names` order): output tokens per second over
    /// `seconds`; the KV and batch columns only `planWide` (they are the instances', not a
    /// target's); the cost per million tokens only with the plan's `cost` (USD), which is the
    /// whole plan's: a target's or an interval's share of it is not defined.
    public func columns(seconds: Double, planWide: Bool, cost: Double? = nil) -> [Double?] {
        let perMillion = { (tokens: Int64) -> Double? in cost.flatMap { tokens > 0 ? $0 / Double(tokens) * 1e6 : nil } }
        let p = { (h: LatencyHistogram, q: Double) -> Double? in h.percentile(q).map { Double($0) / 1e9 } }
        return [p(ttft, 50), p(ttft, 90), p(ttft, 99), p(tpot, 50), p(tpot, 90), p(tpot, 99),
                seconds > 0 ? Double(outputTokens) / seconds : nil,
                planWide ? kvUtilisation : nil, planWide ? batchSizeMean : nil,
                // Measured (no iteration simulated): preemptions, refusals and cache hits are not known.
                simulated ? Double(preemptions) : nil, simulated ? Double(refused) : nil,
                prefixCacheHitRate,
                perMillion(inputTokens), perMillion(outputTokens)]
    }
}
