import SchedulerCore
import Scenario

// LLM engines on the virtual clock: the iteration loop inside an instance, as vLLM runs it.
//
// The core routes requests to instances and scales them, as for any model; an engine
// instance takes up to `maxSequences` (its concurrency) and keeps its own waiting line for
// what its KV cache or token budget cannot take yet. Each busy instance has one event per
// iteration (`engineStep`): the iteration's results are applied, the sequences that ended
// are handed back to the core, and the next batch is formed.
//
// The batching rules are vLLM v0's (vllm/core/scheduler.py, v0.4–0.6; as Vidur implements
// them, ../shared/reference/llm-vidur.md):
// - without chunked prefill, an iteration that admits waiting sequences is prefill-only:
//   first come first served, while fewer than maxSequences run, the batch's size × its
//   longest prompt stays within maxBatchTokens, and the KV blocks the prompts need leave
//   the 1 % watermark free; otherwise every running sequence decodes one token;
// - a decode that needs a new block when none is free preempts the most recently admitted
//   sequence (recompute: its blocks are freed and it goes back to the head of the line, to
//   be prefilled again with the tokens it had generated);
// - with chunked prefill (Sarathi-Serve; vLLM's chunked-prefill scheduler), each iteration
//   decodes every running sequence first, then spends what is left of the token budget on
//   prompt chunks: running sequences part-way through their prompt, then new admissions.

extension Simulation {
    /// Request `r` was dispatched to engine instance `i`: it joins the instance's line.
    mutating func engineAccept(_ r: Int, on i: Int, _ engine: EngineModel) {
        while r >= seq.count { seq.append(SequenceRecord()) }
        let q = req.pointer(r)
        let prompt = Swift.max(1, Int(q.pointee.input))
        // A prefill pool generates one token (vLLM's P/D proxy sends it `max_tokens` 1).
        let output = engine.role == .prefill ? 1 : Swift.max(1, Int(q.pointee.output))
        let s = seq.pointer(r)
        let hit = s.pointee.hit
        s.pointee = SequenceRecord(prompt: Int32(clamping: prompt), output: Int32(clamping: output), dispatched: now, inEngine: true,
                                   stamp: q.pointee.id)
        if engine.role != .both { disaggregatedAccept(r, on: i, prefill: engine.role == .prefill, hit: hit) }
        let e = engines[i]!
        if engine.tooLong(prompt: prompt, total: prompt + output) {
            s.pointee.refused = true
            e.refusedLine.append(Int32(r))
        } else {
            e.waiting.append(Int32(r))
        }
        if !e.busy {
            // A nanosecond on: requests dispatched at this same instant (arriving together, or
            // queued behind an instance that just became ready) join the first batch, as
            // Vidur's event order (arrivals before scheduling at equal times) has them.
            e.busy = true
            events.push(time: now + 1, kind: .engineStep, subject: Int32(i), generation: e.generation)
        }
    }

    /// Instance `i`'s iteration ended (or it has work to start): apply it, hand back what
    /// ended, form the next.
    mutating func engineStep(_ event: Event) throws {
        let i = Int(event.subject)
        guard i < engines.count, let e = engines[i], e.generation == event.generation, e.busy else { return }
        let engine = engineModels[e.engineIndex]!
        bookKV()
        engineEnded.removeAll(keepingCapacity: true)
        if !e.batch.isEmpty { applyIteration(e, engine) }
        engineEnded.append(contentsOf: e.refusedLine)
        e.refusedLine.removeAll(keepingCapacity: true)
        // The core hears of the ended sequences before the next batch is formed, so requests it
        // dispatches in their place (queued at the front, as they would be in vLLM's own line)
        // can join it.
        var k = 0
        while k < engineEnded.count {
            try engineFinished(Int(engineEnded[k]))
            k += 1
        }
        formIteration(i, e, engine)
    }

    /// Applies the iteration that just ended: tokens prefilled and generated; the sequences
    /// that produced their last token leave the batch and free their blocks.
    @inline(__always) mutating func applyIteration(_ e: EngineInstance, _ engine: EngineModel) {
        var produced: Int64 = 0
        defer { e.tokens &+= produced }
        for k in 0..<e.batch.count {
            let r = Int(e.batch[k])
            let s = seq.pointer(r)
            if s.pointee.prefilled < s.pointee.prefillTarget {
                s.pointee.prefilled += e.batchTokens[k]
                // The prefill's last chunk yields a token.
                guard s.pointee.prefilled == s.pointee.prefillTarget else { continue }
                if s.pointee.firstToken < 0 { s.pointee.firstToken = now }
                if engine.prefixCaching && req[r].prefix >= 0 { cachePrompt(e, r, engine) }
            } else if s.pointee.generated == 0 {
                // A decode pool's first token: its prompt was prefilled elsewhere. (Tested on
                // `generated`, which this loop reads anyway: `firstToken` lies on the record's
                // other cache line, and reading it for every token cost 2.5 % of an
                // engine-bound run.)
                s.pointee.firstToken = now
            }
            s.pointee.generated += 1
            produced &+= 1
            if s.pointee.generated >= s.pointee.output {
                releaseBlocks(e, r, engine)
                if let at = e.running.firstIndex(of: Int32(r)) { e.running.remove(at: at) }
                engineEnded.append(Int32(r))
            }
        }
        e.batch.removeAll(keepingCapacity: true)
        e.batchTokens.removeAll(keepingCapacity: true)
    }

    /// Forms and starts instance `i`'s next iteration, or leaves it idle when nothing is left.
    @inline(__always) mutating func formIteration(_ i: Int, _ e: EngineInstance, _ engine: EngineModel) {
        var prefillTokens = 0, attention = 0.0, decodes = 0, kvTokens = 0
        var budget = engine.maxBatchTokens
        if engine.role == .decode { arrivePulls(e) }
        if engine.chunkedPrefill {
            // Decodes first (one token each), then prompt chunks under what is left of the budget.
            decodeRunning(e, engine, budget: &budget, decodes: &decodes, kvTokens: &kvTokens)
            for r in e.running where budget > 0 {
                let s = seq.pointer(Int(r))
                let left = Int(s.pointee.prefillTarget - s.pointee.prefilled)
                // (A decode pool's sequence waiting for its KV cache has `prefilled` -1.)
                guard left > 0 && s.pointee.prefilled >= 0 else { continue }
                let chunk = Swift.min(left, budget)
                addChunk(e, Int(r), chunk, prefillTokens: &prefillTokens, attention: &attention)
                budget -= chunk
            }
            while budget > 0, let r = e.waiting.first, admit(e, Int(r), engine) {
                let s = seq.pointer(Int(r))
                // A KV cache to pull: nothing to prefill.
                guard s.pointee.prefillTarget > 0 else { continue }
                let chunk = Swift.min(Int(s.pointee.prefillTarget), budget)
                addChunk(e, Int(r), chunk, prefillTokens: &prefillTokens, attention: &attention)
                budget -= chunk
            }
        } else {
            // vLLM v0: an iteration that admits is prefill-only; the batch's size × its longest
            // prompt stays within the budget.
            var longest = 0
            while let r = e.waiting.first {
                if engine.role == .decode && pulls[Int(r)].state == .pending {
                    // A pulled KV cache takes blocks, and no room in a prefill.
                    guard admit(e, Int(r), engine) else { break }
                    continue
                }
                let length = Int(seq[Int(r)].prompt + seq[Int(r)].generated)
                if length > engine.maxBatchTokens {
                    // A preempted sequence whose prompt and tokens so far no longer fit one
                    // prefill: vLLM ignores it (FINISHED_IGNORED); here it ends refused.
                    e.waiting.removeFirst()
                    seq[Int(r)].refused = true
                    e.refusedLine.append(r)
                    continue
                }
                let wider = Swift.max(longest, length)
                guard (e.batch.count + 1) * wider <= engine.maxBatchTokens, admit(e, Int(r), engine) else { break }
                longest = wider
                // The whole prompt, past what the prefix cache holds.
                addChunk(e, Int(r), Int(seq[Int(r)].prefillTarget), prefillTokens: &prefillTokens, attention: &attention)
            }
            if e.batch.isEmpty { decodeRunning(e, engine, budget: &budget, decodes: &decodes, kvTokens: &kvTokens) }
        }
        // The cache is never overfilled nor given back more than it holds (debug builds).
        assert(e.freeBlocks >= 0 && e.freeBlocks + e.cache.evictableBlocks <= engine.kvBlocks && kvUsed >= 0 && kvUsed <= kvCapacity,
               "KV blocks out of bounds")
        guard !e.batch.isEmpty else {
            // Idle, unless refused sequences wait to be handed back or KV caches are on their way.
            if !e.refusedLine.isEmpty {
                events.push(time: now + 1, kind: .engineStep, subject: Int32(i), generation: e.generation)
            } else if engine.role == .decode, let ready = nextPull(e) {
                events.push(time: ready, kind: .engineStep, subject: Int32(i), generation: e.generation)
            } else {
                e.busy = false
            }
            return
        }
        let sequences = Int64(e.batch.count)
        bookPlanWide {
            $0.iterations += 1
            $0.batchSequences += sequences
        }
        let duration = engine.iterationNanoseconds(prefillTokens: prefillTokens, attention: attention, sequences: decodes, kvTokens: kvTokens)
        events.push(time: now + duration, kind: .engineStep, subject: Int32(i), generation: e.generation)
    }

    /// Admits the head of the waiting line when a sequence slot is free and its blocks leave
    /// the watermark free: it takes its blocks and joins the running sequences.
    mutating func admit(_ e: EngineInstance, _ r: Int, _ engine: EngineModel) -> Bool {
        guard e.running.count < engine.maxSequences else { return false }
        let length = Int(seq[r].prompt + seq[r].generated), prompt = Int(seq[r].prompt)
        var need = engine.blocks(length), cachedTokens = 0, matched = 0
        // Cached blocks this admission would hold: they stop being evictable.
        var pinned = 0
        if engine.prefixCaching && req[r].prefix >= 0 {
            let count = loadPrefixPath(r, prompt: prompt, engine)
            while matched < count && e.cache.contains(prefixPath[matched]) {
                if e.cache.refs[Int(prefixPath[matched])] == 0 { pinned += nodeBlocks(prefixPath[matched], engine) }
                matched += 1
            }
            if matched > 0 {
                let end = Int(prefixes.end[Int(prefixPath[matched - 1])])
                need -= engine.blocks(end)
                // Whole blocks only, and the prompt's last token is computed again for its
                // logits (vLLM recomputes it on a full hit).
                cachedTokens = Swift.min(end / engine.blockTokens * engine.blockTokens, prompt - 1)
            }
        }
        guard e.freeBlocks + e.cache.evictableBlocks - pinned - need >= engine.watermarkBlocks else { return false }
        e.waiting.removeFirst()
        holdPrefix(e, r, count: matched, engine)
        takeBlocks(e, need, engine)
        let s = seq.pointer(r)
        s.pointee.blocks = Int32(need)
        s.pointee.cached = Int32(cachedTokens)
        if s.pointee.firstToken < 0 && engine.role != .decode { s.pointee.hit = Int32(cachedTokens) }
        s.pointee.prefillTarget = Int32(length - cachedTokens)
        s.pointee.prefilled = 0
        if engine.role == .decode && pulls[r].state == .pending {
            let link = engineLinks[e.engineIndex]
            pullKV(e, r, perToken: pulls[r].local ? link.perTokenLocal : link.perTokenRemote, latency: link.latency)
        }
        e.running.append(Int32(r))
        return true
    }

    /// A decode instance admitted a sequence whose prompt a prefill instance computed: it
    /// pulls the prompt's KV cache into the blocks it just took (vLLM's NIXL connector reads
    /// it then) and decodes once it has arrived. Pulls into one instance take its link one
    /// after the other.
    @inline(never) mutating func pullKV(_ e: EngineInstance, _ r: Int, perToken: Double, latency: Int64) {
        let start = Swift.max(now, e.linkFree)
        // Held at 4 × 10¹⁸ ns, as are the times an absurd bandwidth gives, so pulls queued
        // behind one another never pass Int64.
        let end = Swift.min(4_000_000_000_000_000_000, start + Swift.max(1, Int64(Swift.min(1e18, (Double(seq[r].prompt) * perToken).rounded()))))
        e.linkFree = end
        pulls[r].ready = end + latency
        pulls[r].state = .pulling
        // Neither decoded nor prefilled until its KV cache is here: `arrivePulls` clears it.
        seq[r].prefillTarget = 0
        seq[r].prefilled = -1
        let waited = pulls[r].ready - now
        bookPlanWide {
            $0.kvTransfers += 1
            $0.kvTransferNanoseconds += waited
        }
    }

    /// A prefill or decode pool's instance `i` took sequence `r`: a prefill pool's notes where
    /// it is; a decode pool's carries the prefill's prefix-cache hit and, when the request was
    /// prefilled by a prefill pool, is to pull its KV cache, over the node's link when the two
    /// instances share a node.
    @inline(never) mutating func disaggregatedAccept(_ r: Int, on i: Int, prefill: Bool, hit: Int32) {
        while r >= pulls.count { pulls.append(PullRecord()) }
        let id = req[r].id, node = inst[i].node
        if prefill {
            pulls[r] = PullRecord(state: .prefilled, node: node, stamp: id)
            return
        }
        let p = pulls[r]
        guard p.stamp == id, p.state == .prefilled else {
            pulls[r] = PullRecord()
            return
        }
        seq[r].hit = hit
        pulls[r].state = .pending
        pulls[r].local = p.node >= 0 && p.node == node
    }

    /// A decode instance's sequences whose KV caches have arrived become decodable.
    mutating func arrivePulls(_ e: EngineInstance) {
        for r in e.running where seq[Int(r)].prefilled < 0 && pulls[Int(r)].ready <= now {
            seq[Int(r)].prefilled = 0
            pulls[Int(r)].state = .none
        }
    }

    /// When the first KV cache still on its way into instance `e` arrives, if one is.
    func nextPull(_ e: EngineInstance) -> Int64? {
        var first = Int64.max
        for r in e.running where seq[Int(r)].prefilled < 0 { first = Swift.min(first, pulls[Int(r)].ready) }
        return first < .max ? first : nil
    }

    /// Puts `chunk` prompt tokens of sequence `r` in the batch.
    @inline(__always) mutating func addChunk(_ e: EngineInstance, _ r: Int, _ chunk: Int, prefillTokens: inout Int, attention: inout Double) {
        let done = Int(seq[r].cached + seq[r].prefilled)
        e.batch.append(Int32(r))
        e.batchTokens.append(Int32(chunk))
        prefillTokens += chunk
        attention += Double(chunk) * Double(done + chunk)
    }

    /// Puts one decode of every running sequence past its prefill in the batch (oldest first,
    /// within the budget), giving each the block its next token needs; when none is free, the
    /// newest running sequence is preempted (possibly the one in need itself).
    @inline(__always) mutating func decodeRunning(_ e: EngineInstance, _ engine: EngineModel, budget: inout Int, decodes: inout Int, kvTokens: inout Int) {
        var k = 0
        while k < e.running.count && budget > 0 {
            let r = Int(e.running[k])
            let s = seq.pointer(r)
            // Past its prefill (a decode pool's sequence: its KV cache here, `prefilled` ≥ 0).
            guard s.pointee.prefilled >= s.pointee.prefillTarget else { k += 1; continue }
            let context = Int(s.pointee.prompt + s.pointee.generated)
            // A new block is needed once every `blockTokens` tokens: the instance's free and
            // evictable counts are read only then.
            let need = engine.blocks(context) - Int(s.pointee.heldBlocks) - Int(s.pointee.blocks)
            if need > 0 {
                var preemptedSelf = false
                while need > e.freeBlocks + e.cache.evictableBlocks {
                    let victim = Int(e.running.removeLast())
                    preempt(e, victim, engine)
                    if victim == r { preemptedSelf = true; break }
                }
                if preemptedSelf { break }
                takeBlocks(e, need, engine)
                s.pointee.blocks += Int32(need)
            }
            e.batch.append(Int32(r))
            e.batchTokens.append(1)
            decodes += 1
            kvTokens += context
            budget -= 1
            k += 1
        }
    }

    /// Preempts sequence `r` (already taken off the running list): its blocks are freed and
    /// it goes to the head of the line, to be prefilled again with what it had generated.
    mutating func preempt(_ e: EngineInstance, _ r: Int, _ engine: EngineModel) {
        releaseBlocks(e, r, engine)
        let s = seq.pointer(r)
        s.pointee.cached = 0
        s.pointee.prefilled = 0
        s.pointee.prefillTarget = 0
        // A decode pool's sequence is recomputed here if preempted, its pull (even one under
        // way) forgotten.
        if r < pulls.count && pulls[r].state == .pulling { pulls[r].state = .none }
        e.waiting.insert(Int32(r), at: 0)
        let owner = req[r].parent >= 0 ? Int(req[r].parent) : r
        book(target: Int(req[owner].target)) { $0.preemptions += 1 }
    }

    /// Sequence `r` left its engine (done, or refused): its figures are booked and the core is
    /// told its service ended.
    mutating func engineFinished(_ r: Int) throws {
        seq[r].inEngine = false
        let s = seq[r]
        let owner = req[r].parent >= 0 ? Int(req[r].parent) : r
        let t = Int(req[owner].target)
        if s.refused {
            book(target: t) { $0.refused += 1 }
            // The request ends here, rejected. The core hears that its caller is gone (as for a
            // timeout) before the service ends, so it releases the request rather than pass it
            // to a pipeline's next stage; a graph pipeline's other stages are cancelled.
            if owner != r {
                if !req[owner].ended {
                    try refuse(owner)
                    cancelChildren(of: owner)
                }
            } else if !req[r].ended {
                try refuse(r)
                core.handle(.requestTimedOut(RequestID(r)), at: TimePoint(nanoseconds: now), into: &actions)
            }
        } else {
            tally(owner) { $0.serviceNanoseconds += Int128(now - s.dispatched) }
            // On provider capacity (one request per instance) the invocation is billed now.
            if physics.providerHosted {
                let i = Int(req[r].instance)
                billInvocation(now - s.dispatched, on: i, model: Int(inst[i].model))
            }
            if r < pulls.count && pulls[r].state == .prefilled && pulls[r].stamp == req[r].id {
                // Handed to the decode pool: its tokens and times are booked there.
                bookPlanWide { $0.prefillHandoffs += 1 }
                try endService(r)
                return
            }
            let ttft = s.firstToken - req[owner].arrival
            let tpot = s.output > 1 ? (now - s.firstToken) / Int64(s.output - 1) : -1
            if !req[owner].ended {
                book(target: t) {
                    $0.ttft.record(ttft)
                    if tpot >= 0 { $0.tpot.record(tpot) }
                    $0.outputTokens += Int64(s.output)
                    $0.inputTokens += Int64(s.prompt)
                    $0.cachedTokens += Int64(s.hit)
                }
            }
            // Kept on the request that completes, for its SLO check.
            if owner != r {
                while owner >= seq.count { seq.append(SequenceRecord()) }
                seq[owner].stamp = req[owner].id
                seq[owner].refused = false
            }
            seq[owner].ttft = ttft
            seq[owner].tpot = tpot
        }
        try endService(r)
    }

    /// Applies an update to the run's, the interval's and the target's engine figures.
    @inline(__always) mutating func book(target t: Int, _ update: (inout EngineStats) -> Void) {
        bookPlanWide(update)
        update(&enginePerTarget[t])
    }

    /// Applies an update to the run's and the interval's engine figures (what belongs to the
    /// instances, not to a target: iterations, KV use).
    @inline(__always) mutating func bookPlanWide(_ update: (inout EngineStats) -> Void) {
        update(&engineTotals)
        update(&intervalEngine)
    }

    /// Whether a completed request met the SLO's token bounds.
    func meetsTokenSLO(_ s: SequenceRecord) -> Bool {
        if let bound = sloTTFT, s.ttft > bound { return false }
        if let bound = sloTPOT, s.tpot > bound { return false }
        return true
    }

    /// A request an engine refused (too long for its cache or token budget) ends rejected;
    /// its slot is freed when the core releases it.
    mutating func refuse(_ r: Int) throws {
        endRequest(r)
        tallyEnd(r) { $0.rejected += 1 }
        intervalRejections += 1
        try logRow(r, outcome: "rejected", reason: "too_long")
    }

    /// Request `r` was cut off on engine instance `i` (a reclaimed node): it leaves the
    /// engine and gives back its blocks.
    mutating func engineDrop(_ r: Int, from i: Int) {
        guard i < engines.count, let e = engines[i] else { return }
        bookKV()
        seq[r].inEngine = false
        let slot = Int32(r)
        if let at = e.running.firstIndex(of: slot) { e.running.remove(at: at) }
        if let at = e.waiting.firstIndex(of: slot) { e.waiting.remove(at: at) }
        if let at = e.refusedLine.firstIndex(of: slot) { e.refusedLine.remove(at: at) }
        if let at = e.batch.firstIndex(of: slot) {
            e.batch.remove(at: at)
            e.batchTokens.remove(at: at)
        }
        releaseBlocks(e, r, engineModels[e.engineIndex]!)
        // Time in the engine counts as service until the cut.
        let owner = req[r].parent >= 0 ? Int(req[r].parent) : r
        let served = now - seq[r].dispatched
        tally(owner) { $0.serviceNanoseconds += Int128(served) }
    }

    /// Request `r` timed out: its sequences still in an engine (its own, or for a graph
    /// pipeline its stages') are aborted, as vLLM aborts a request whose client went away;
    /// their blocks are freed and the core, told already, releases them.
    mutating func abortSequences(of r: Int) throws {
        if isGraph[Int(req[r].target)] {
            var c = Int(req[r].firstChild)
            while c >= 0 {
                let next = Int(req[c].nextSibling)
                try abortSequence(c)
                c = next
            }
        } else {
            try abortSequence(r)
        }
    }

    mutating func abortSequence(_ r: Int) throws {
        guard r < seq.count, seq[r].inEngine, seq[r].stamp == req[r].id else { return }
        engineDrop(r, from: Int(req[r].instance))
        try endService(r)
    }

    /// Instance slot `i` starts as model `m`: an engine model's instance gets an empty engine
    /// with its whole KV cache.
    mutating func engineInstanceStarted(_ i: Int, model m: Int) {
        while i >= engines.count { engines.append(nil) }
        let k = engineIndex(m, node: Int(inst[i].node))
        guard let engine = engineModels[k] else {
            engines[i] = nil
            return
        }
        bookKV()
        if let e = engines[i] { e.reset(model: m, engine: engine, index: k) } else { engines[i] = EngineInstance(model: m, engine: engine, index: k) }
        kvCapacity += engine.kvBlocks
    }

    mutating func engineInstanceStopped(_ i: Int) {
        guard i < engines.count, let e = engines[i] else { return }
        bookKV()
        let engine = engineModels[e.engineIndex]!
        kvCapacity -= engine.kvBlocks
        kvUsed -= engine.kvBlocks - e.freeBlocks - e.cache.evictableBlocks
        // Emptied (its queued step now stale) and kept for the slot's next start.
        e.reset(model: e.model, engine: engine, index: e.engineIndex)
    }

    /// Where model `m`'s engine on node `n`'s type is in `engineModels` (type 0 without a node).
    @inline(__always) func engineIndex(_ m: Int, node n: Int) -> Int {
        m * hardwareCount + (n >= 0 ? Int(nodeType[n]) : 0)
    }

    /// Books the KV areas up to now; called before blocks are taken or freed.
    @inline(__always) mutating func bookKV() {
        let used = Double(kvUsed) * Double(now - kvSince), capacity = Double(kvCapacity) * Double(now - kvSince)
        bookPlanWide {
            $0.kvUsedArea += used
            $0.kvCapacityArea += capacity
        }
        kvSince = now
    }

    /// The run's engine figures, with the KV areas booked to the end.
    mutating func engineResult(end: Int64) -> EngineStats {
        bookKV()
        return engineTotals
    }
}

extension Simulation {
    /// Reports each LLM model's engines to the core: the share of their KV cache in use and
    /// the requests in their waiting lines, over its ready instances (vLLM's
    /// `vllm:kv_cache_usage_perc`, in which cached blocks no sequence holds count as free,
    /// and `vllm:num_requests_waiting`), and the output tokens per second its instances
    /// generated since the last report (the rate of `vllm:generation_tokens_total`).
    ///
    /// - Complexity: O(instance slots × LLM models); once per autoscaler tick.
    mutating func reportEngines(at: TimePoint) {
        for m in engineModel.indices where engineModel[m] {
            var used = 0, capacity = 0, waiting = 0, tokens: Int64 = 0
            for i in 0..<engines.count {
                guard let e = engines[i], e.model == m else { continue }
                // Tokens since the last report, on whichever instance made them.
                tokens += e.tokens
                e.tokens = 0
                guard i < inst.count, inst[i].ready, let engine = engineModels[e.engineIndex] else { continue }
                capacity += engine.kvBlocks
                used += engine.kvBlocks - e.freeBlocks - e.cache.evictableBlocks
                waiting += e.waiting.count
            }
            let seconds = Double(at.nanoseconds - lastEngineReport) / 1e9
            core.handle(.engineMetrics(ModelID(m), kvCacheUsage: capacity > 0 ? Double(used) / Double(capacity) : 0, waiting: waiting,
                                       tokensPerSecond: seconds > 0 ? Double(tokens) / seconds : 0),
                        at: at, into: &actions)
        }
        lastEngineReport = at.nanoseconds
    }
}
