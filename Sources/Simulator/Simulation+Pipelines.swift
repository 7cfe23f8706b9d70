import SchedulerCore

// Graph pipelines (fan-out / fan-in). The request for the pipeline is a host record only: it
// carries the deadline and the statistics. Each stage runs as a request of its own for the
// stage's model (a child), submitted to the core when every stage it waits for has finished;
// the request completes when all its stages have. A stage turned away fails the request
// (rejected, with the stage's reason); a request that fails or times out cancels its stages
// still queued or running, as a caller that gave up would.

extension Simulation {
    /// Submits the root stages of a graph pipeline's request.
    mutating func startGraph(_ p: Int) {
        let graph = graphs[Int(req[p].target)]!
        let base = p * maxGraphStages
        if graphWaiting.count < base + maxGraphStages {
            graphWaiting.append(contentsOf: repeatElement(0, count: base + maxGraphStages - graphWaiting.count))
        }
        for s in graph.stages.indices { graphWaiting[base + s] = Int32(graph.indegree[s]) }
        req[p].stagesLeft = Int32(graph.stages.count)
        for s in graph.roots { spawnStage(of: p, stage: s) }
    }

    /// Submits one stage of a graph pipeline's request to the core, as a request for the
    /// stage's model. The caller performs the actions.
    mutating func spawnStage(of p: Int, stage s: Int) {
        let model = graphs[Int(req[p].target)]!.stages[s]
        // A model is the target of its own index.
        let c = allocateRequest(RequestSlot(
            prefix: req[p].prefix, arrival: now, target: Int32(model.index), caller: req[p].caller, version: req[p].version,
            input: req[p].input, output: req[p].output, stageSince: now, stageEntered: now,
            service: req[p].service, parent: Int32(p), nextSibling: req[p].firstChild, stage: Int32(s)))
        req[p].firstChild = Int32(c)
        req[p].childrenLive += 1
        // Quotas are the caller's, counted on the pipeline's request, not on each stage.
        core.handle(.requestArrived(RequestID(c), target: TargetID(model.index), caller: CallerID(0)),
                    at: TimePoint(nanoseconds: now), into: &actions)
    }

    /// A stage finished: its latency is booked, the stages waiting only for it are submitted,
    /// and the request completes with its last stage.
    mutating func stageFinished(_ c: Int) throws {
        let p = Int(req[c].parent), s = Int(req[c].stage)
        let t = Int(req[p].target)
        if !stageLatency[t].isEmpty { stageLatency[t][s].record(now - req[c].arrival) }
        req[p].wait += req[c].wait
        if req[p].firstStart < 0 || (req[c].firstStart >= 0 && req[c].firstStart < req[p].firstStart) { req[p].firstStart = req[c].firstStart }
        req[p].instance = req[c].instance
        let parentEnded = req[p].ended
        childGone(c)
        guard !parentEnded else { return }
        req[p].stagesLeft -= 1
        if req[p].stagesLeft == 0 {
            try complete(p)
            return
        }
        readyStages.removeAll(keepingCapacity: true)
        graphs[t]!.finish(s, waiting: &graphWaiting, offset: p * maxGraphStages, ready: &readyStages)
        for k in readyStages.indices { spawnStage(of: p, stage: readyStages[k]) }
    }

    /// A stage was turned away: the request fails with the stage's reason.
    mutating func stageRejected(_ c: Int, reason: RejectReason) throws {
        let p = Int(req[c].parent)
        childGone(c)
        guard !req[p].ended else { return }
        cancelChildren(of: p)
        try reject(p, reason: reason)
    }

    /// Tells the core that the request's stages still queued or running are abandoned.
    mutating func cancelChildren(of p: Int) {
        var c = Int(req[p].firstChild)
        while c >= 0 {
            let next = Int(req[c].nextSibling)
            if !req[c].ended {
                req[c].ended = true
                core.handle(.requestTimedOut(RequestID(c)), at: TimePoint(nanoseconds: now), into: &actions)
            }
            c = next
        }
        // A request that already ended (timed out) is freed now, or once its last stage goes.
        if req[p].ended { releaseRequest(p) }
    }

    /// A stage's request is over (finished, rejected or released after a cancel): it leaves
    /// its request's list and its slot is freed; so is the request's, if it waited for it.
    mutating func childGone(_ c: Int) {
        let p = Int(req[c].parent)
        // Unlink from the parent's list of live stages.
        var k = Int(req[p].firstChild), previous = -1
        while k >= 0 && k != c { previous = k; k = Int(req[k].nextSibling) }
        if k == c {
            if previous < 0 { req[p].firstChild = req[c].nextSibling } else { req[previous].nextSibling = req[c].nextSibling }
        }
        req[p].childrenLive -= 1
        inFlight -= 1
        req[c].ended = true
        req[c].parent = -1
        req[c].generation &+= 1
        freeSlots.append(Int32(c))
        if req[p].childrenLive == 0 && req[p].releasePending { releaseRequest(p) }
    }
}
