import Scenario

/// A synthetic source whose prompts share prefixes (`prompts`): shared system prompts and
/// conversations of several turns, as a prefix cache and a cache-aware router see them.
///
/// Each arrival of the underlying process starts a conversation. Its prompt is one of the
/// system prompts (drawn uniformly) followed by a new message of `tokens.input` tokens; each
/// later turn arrives `thinkTime` after the previous turn's arrival (open loop: it does not
/// wait for the answer, as a trace's timestamps do not) and its prompt is the whole
/// conversation so far — the previous prompt, its answer (`tokens.output` tokens) and a new
/// message. In the prefix tree a system prompt is a chain of nodes, and each turn's new
/// tokens a chain after the previous turn's, in nodes of at most `blockTokens` (512, a
/// Mooncake hash block, so a cache-aware router weighs a prefix by its tokens as with a
/// Mooncake trace): a turn finds the previous turn's prompt cached where it was computed.
/// Draws come from a stream of the source's own, so adding `prompts` does not change the
/// process's arrival times.
final class Conversations {
    /// The source as declared, without prompts: its arrivals start conversations.
    var base: SourceState
    var started = false
    let prefixes: PrefixTree
    /// Tokens per prefix node at most (Mooncake's hash block).
    static let blockTokens: Int64 = 512
    /// Nodes one message or system prompt adds at most (64 × 512 = 32,768 tokens in blocks of
    /// 512; a longer one in longer blocks), so a drawn token count of billions cannot grow the
    /// tree by millions of nodes.
    static let maxBlocks: Int64 = 64
    /// The system prompts' last nodes (empty: none), and their tokens.
    let system: [Int32]
    let systemTokens: Int64
    let turns: Sampler?
    let thinkTime: Sampler
    var rng: RandomSource
    /// Later turns to come, a binary min-heap by (time, order of scheduling).
    var pending: [Turn] = []
    var scheduled: Int64 = 0

    struct Turn {
        var time: Int64
        var order: Int64
        /// The previous turn's prompt (its last node), and the conversation's tokens so far
        /// (that prompt and its answer).
        var leaf: Int32
        var context: Int64
        /// Turns left, this one included.
        var left: Int32
        var target: Int32
        var caller: Int32
        var version: Int32
        var session: Int32

        @inline(__always) static func < (a: Turn, b: Turn) -> Bool { (a.time, a.order) < (b.time, b.order) }
    }

    init(base: SourceState, spec: PromptSpec, prefixes: PrefixTree, rng: RandomSource) {
        self.base = base
        self.prefixes = prefixes
        systemTokens = Int64(spec.systemTokens)
        system = spec.systemTokens > 0 ? (0..<spec.systemVariants).map { _ in Self.chain(prefixes, after: -1, tokens: Int64(spec.systemTokens)) } : []
        turns = spec.turns.map(Sampler.init)
        thinkTime = Sampler(spec.thinkTime)
        self.rng = rng
    }

    /// Sets `s`'s next arrival: the earliest of the next turn due and the process's next
    /// arrival (a new conversation); marks `s` exhausted when neither is left.
    ///
    /// - Complexity: O(log pending turns).
    func advance(_ s: inout SourceState, callers: inout StringTable, versions: inout StringTable) throws {
        if !started {
            started = true
            try base.advance(callers: &callers, versions: &versions)
        }
        if let top = pending.first, base.exhausted || top.time <= base.nextTime {
            popTurn()
            let message = Int64(SourceState.tokenCount(base.inputTokens?.sample(&rng) ?? 0))
            let output = SourceState.tokenCount(base.outputTokens?.sample(&rng) ?? 0)
            // The previous answer and the new message follow the previous prompt.
            let previous = top.leaf >= 0 ? Int64(prefixes.end[Int(top.leaf)]) : 0
            let added = Swift.min(Int64(Int32.max / 2) - previous, top.context - previous + message)
            let leaf = Self.chain(prefixes, after: top.leaf, tokens: Swift.max(0, added))
            let prompt = leaf >= 0 ? Int64(prefixes.end[Int(leaf)]) : 0
            publish(&s, time: top.time, target: top.target, caller: top.caller, version: top.version, prompt: prompt, output: output, leaf: leaf)
            s.nextSession = top.session
            if top.left > 1 {
                schedule(after: top.time, leaf: leaf, context: prompt + Int64(output), left: top.left - 1, top.target, top.caller, top.version, session: top.session)
            }
            return
        }
        guard !base.exhausted else {
            s.exhausted = true
            return
        }
        // A new conversation.
        let parent = system.isEmpty ? -1 : system[Int(rng.next() % UInt64(system.count))]
        let message = Swift.min(Int32.max / 2 - Int32(systemTokens), base.nextInput)
        let leaf = Self.chain(prefixes, after: parent, tokens: Int64(message))
        let prompt = leaf >= 0 ? Int64(prefixes.end[Int(leaf)]) : 0
        publish(&s, time: base.nextTime, target: base.nextTarget, caller: base.nextCaller, version: base.nextVersion,
                prompt: prompt, output: base.nextOutput, leaf: leaf)
        let count = turns.map { Int32(Swift.max(1, Swift.min(1_000_000, $0.sample(&rng).rounded()))) } ?? 1
        // A conversation of one request is no session.
        let session = count > 1 ? prefixes.newSession() : -1
        s.nextSession = session
        if count > 1 {
            schedule(after: base.nextTime, leaf: leaf, context: prompt + Int64(base.nextOutput), left: count - 1, base.nextTarget, base.nextCaller, base.nextVersion,
                     session: session)
        }
        try base.advance(callers: &callers, versions: &versions)
    }

    /// New nodes after `parent` covering `tokens` more tokens, `blockTokens` at most each
    /// (at most `maxBlocks` nodes: a longer message's blocks are longer); the last (`parent`
    /// when `tokens` is 0).
    static func chain(_ prefixes: PrefixTree, after parent: Int32, tokens: Int64) -> Int32 {
        var leaf = parent, left = tokens
        let size = Swift.max(blockTokens, (tokens + maxBlocks - 1) / maxBlocks)
        while left > 0 {
            let block = Swift.min(left, size)
            leaf = prefixes.leaf(after: leaf, tokens: Int32(block))
            left -= block
        }
        return leaf
    }

    @inline(__always) func publish(_ s: inout SourceState, time: Int64, target: Int32, caller: Int32, version: Int32, prompt: Int64, output: Int32, leaf: Int32) {
        s.nextTime = time
        s.nextTarget = target
        s.nextCaller = caller
        s.nextVersion = version
        s.nextInput = Int32(clamping: prompt)
        s.nextOutput = output
        s.nextService = -1
        s.nextPrefix = leaf
    }

    /// Schedules a conversation's next turn `thinkTime` after `time`, unless the source has
    /// ended by then.
    func schedule(after time: Int64, leaf: Int32, context: Int64, left: Int32, _ target: Int32, _ caller: Int32, _ version: Int32, session: Int32) {
        let think = Swift.max(0, thinkTime.sample(&rng)) * base.nanosPerSecond
        guard think < 1e18 else { return }
        let at = time + Int64(think.rounded())
        guard Double(at) < base.end * base.nanosPerSecond else { return }
        pending.append(Turn(time: at, order: scheduled, leaf: leaf, context: context, left: left, target: target, caller: caller, version: version,
                            session: session))
        scheduled += 1
        var k = pending.count - 1
        while k > 0 {
            let p = (k - 1) / 2
            guard pending[k] < pending[p] else { break }
            pending.swapAt(k, p)
            k = p
        }
    }

    /// Removes the earliest pending turn.
    func popTurn() {
        let last = pending.removeLast()
        guard !pending.isEmpty else { return }
        pending[0] = last
        var k = 0
        while true {
            let l = 2 * k + 1, r = l + 1
            var m = k
            if l < pending.count && pending[l] < pending[m] { m = l }
            if r < pending.count && pending[r] < pending[m] { m = r }
            guard m != k else { break }
            pending.swapAt(k, m)
            k = m
        }
    }
}
