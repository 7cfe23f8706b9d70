import SchedulerCore
import Scenario

// A request's life on the virtual clock: its arrival, the core's actions it causes (the
// action loop), its service and the draw of its time, its end (completed, rejected, timed
// out) and the statistics it is booked on. The per-request path: `arrive` and `serviceDone`
// inline the core's request path and the action loop (see `Simulation.run`).

extension Simulation {
    /// Books a request's outcome on the version (model) that served or would have served its
    /// last stage, when the scenario has versions.
    @inline(__always) mutating func tallyVersion(_ r: Int, _ update: (inout OutcomeStats) -> Void) {
        guard tracksVersions, !isGraph[Int(req[r].target)] else { return }
        let m = core.cluster.currentModel(of: RequestID(r)).index
        perModel[m].requests += 1
        update(&perModel[m])
    }

    /// Source `k`'s next request arrives. (A function of its own, apart from the rare events:
    /// small enough for the core's `requestArrived` and the action loop to be inlined into it;
    /// likewise `serviceDone`. A wrapper around that loop's check was not inlined there: the
    /// check is written out.)
    @inline(__always) mutating func arrive(from k: Int) throws {
        let at = TimePoint(nanoseconds: now)
        let source = sources.pointer(k)
        let target = source.pointee.nextTarget
        let caller = source.pointee.nextCaller
        let r = allocateRequest(RequestSlot(
            prefix: source.pointee.nextPrefix, arrival: now, target: target, caller: caller, version: source.pointee.nextVersion,
            input: source.pointee.nextInput, output: source.pointee.nextOutput, stageSince: now, stageEntered: now,
            duringTraining: runningJobs > 0, service: source.pointee.nextService))
        while Int(caller) >= perCaller.count { perCaller.append(OutcomeStats()) }
        tally(r) { $0.requests += 1 }
        if runningJobs > 0 { training.servingDuring.requests += 1 }
        intervalArrivals += 1
        if deadlines.isFull {
            let table = req
            deadlines.compact { Self.isLive($0, in: table) }
            nextDeadline = deadlines.nextTime
        }
        deadlines.push(now + timeout, slot: Int32(r), generation: req[r].generation)
        if nextDeadline == Int64.max { nextDeadline = now + timeout }
        if isGraph[Int(target)] {
            startGraph(r)
        } else if routesByPrefix && req[r].prefix >= 0 {
            arriveWithPrefix(r, target: target, caller: caller, session: source.pointee.nextSession, at: at)
        } else {
            core.requestArrived(RequestID(r), target: TargetID(Int(target)), caller: CallerID(Int(caller)), at: at, into: &actions)
        }
        if performed < actions.count { try performActions() }
        if k < prefetchRefs.count, let p = prefetchRefs[k] {
            try p._withUnsafeGuaranteedRef { try $0.next(into: &sources.pointer(k).pointee) }
        } else {
            try sources[k].advance(callers: &callers, versions: &versions)
        }
        if sources[k].exhausted { activeSources -= 1 } else {
            scheduleArrival(k)
        }
    }

    /// A request's service ended (unless the event is stale).
    @inline(__always) mutating func serviceDone(_ event: Event) throws {
        let r = Int(event.subject)
        let q = req.pointer(r)
        // Stale when the slot was released, or when the service was cut off (a reclaimed
        // spot node) and the request has been dispatched again since.
        guard q.pointee.generation == event.generation, q.pointee.serviceEnd == event.time else { return }
        try endService(r)
    }

    /// Request `r`'s service on its instance ended: the instance's load is given back and the
    /// core is told (an engine's sequence ends here too).
    @inline(__always) mutating func endService(_ r: Int) throws {
        let at = TimePoint(nanoseconds: now)
        let q = req.pointer(r)
        let e = inst.pointer(Int(q.pointee.instance))
        if tracksProcessSharing, modelSharedProcess[Int(e.pointee.model)] { bookSharedService(r, on: Int(q.pointee.instance)) }
        e.pointee.inFlight -= 1
        busyCapacity -= inverseConcurrency[Int(e.pointee.model)]
        if e.pointee.inFlight == 0 {
            busyInstances -= 1
            nodeWentIdleMaybe(Int(e.pointee.node))
        }
        let t = Int(q.pointee.target)
        if !stageLatency[t].isEmpty && !q.pointee.ended {
            // A pipeline stage: from entering the stage (queue, cold start, service) to leaving it.
            stageLatency[t][Int(q.pointee.stage)].record(now - q.pointee.stageEntered)
            q.pointee.stage += 1
            q.pointee.stageEntered = now
        }
        q.pointee.stageSince = now
        core.requestFinished(RequestID(r), at: at, into: &actions)
        if performed < actions.count { try performActions() }
    }

    // MARK: The action loop

    /// The action loop: out of line through `perform` for the rare events, inlined into the
    /// per-request paths (arrival, end of service), where a call costs as much as the loop's
    /// one or two actions.
    @inline(__always) mutating func performActions() throws {
        // The core appends after what was already performed; the buffer is cleared only
        // when it has grown, not on every event.
        var k = performed
        while k < actions.count {
            switch actions[k] {
            case let .dispatch(request, instance, cold):
                startService(request.index, on: instance.index, cold: cold)
            case let .complete(request):
                try complete(request.index)
            case let .reject(request, reason):
                try reject(request.index, reason: reason)
            case let .release(request):
                releaseRequest(request.index)
            case let .setTimer(timer, at):
                let t = timer.index
                if t >= timerGeneration.count { timerGeneration.append(contentsOf: repeatElement(0, count: t + 1 - timerGeneration.count)) }
                timerGeneration[t] &+= 1
                events.push(time: at.nanoseconds, kind: .timer, subject: Int32(t), generation: timerGeneration[t])
            case let .cancelTimer(timer):
                if timer.index < timerGeneration.count { timerGeneration[timer.index] &+= 1 }
            case let .startInstance(instance, model, node, warm):
                startInstance(instance.index, model: model.index, node: node?.index ?? -1, warm: warm)
            case let .stopInstance(instance):
                stopInstance(instance.index)
            case let .startNode(node, type, warm):
                startNode(node.index, type: type.index, warm: warm)
            case let .stopNode(node):
                stopNode(node.index)
            case let .startJob(job):
                startJob(job.index)
            case let .stopJob(job):
                endJobRun(job.index)
                training.preemptions += 1
            case let .interrupt(request):
                interrupt(request.index)
            }
            k += 1
        }
        performed = k
        if performed >= 4096 {
            actions.removeAll(keepingCapacity: true)
            performed = 0
        }
    }

    /// Takes a free request slot and stores a fresh record in it, with the next request id
    /// (the slot's generation is kept: it moves on when the slot is released).
    @inline(__always) mutating func allocateRequest(_ fresh: RequestSlot) -> Int {
        inFlight += 1
        let r: Int
        if let slot = freeSlots.popLast() {
            r = Int(slot)
        } else {
            r = req.count
            req.append(RequestSlot())
        }
        let p = req.pointer(r)
        var record = fresh
        record.generation = p.pointee.generation
        record.id = nextRequestID
        nextRequestID += 1
        p.pointee = record
        return r
    }

    mutating func releaseRequest(_ r: Int) {
        let q = req.pointer(r)
        if q.pointee.parent >= 0 {
            childGone(r)
            return
        }
        if q.pointee.childrenLive > 0 {
            // A graph pipeline's request ended while some of its stages still run: its slot
            // is freed when the last of them is gone.
            q.pointee.releasePending = true
            return
        }
        q.pointee.generation &+= 1
        q.pointee.releasePending = false
        freeSlots.append(Int32(r))
    }

    mutating func startService(_ r: Int, on i: Int, cold: Bool) {
        // Slot addresses: no slot is added until this returns.
        let q = req.pointer(r), e = inst.pointer(i)
        let m = Int(e.pointee.model)
        // A graph pipeline's stage counts for the request it belongs to.
        let owner = q.pointee.parent >= 0 ? Int(q.pointee.parent) : r
        let since = q.pointee.stageSince
        var waited = now - since
        if cold {
            waited -= Swift.max(0, Swift.min(now, e.pointee.readyAt) - since)
            if !req[owner].cold {
                req[owner].cold = true
                intervalColdStarts += 1
                tally(owner) { $0.coldStarts += 1 }
                if tracksVersions { perModel[m].coldStarts += 1 }
            }
        }
        q.pointee.wait += waited
        if q.pointee.firstStart < 0 { q.pointee.firstStart = now }
        q.pointee.instance = Int32(i)
        if tracksProcessSharing, modelSharedProcess[m] { markService(r, on: i, alongside: e.pointee.inFlight > 0) }
        if e.pointee.inFlight == 0 {
            busyInstances += 1
            nodeWentBusyMaybe(Int(e.pointee.node))
        }
        e.pointee.inFlight += 1
        busyCapacity += inverseConcurrency[m]
        if anyEngine, let engine = engineModels[engineIndex(m, node: Int(e.pointee.node))] {
            // Its time comes from the engine's iterations, not from a service-time draw.
            q.pointee.serviceEnd = now
            engineAccept(r, on: i, engine)
            return
        }
        let k = Int(e.pointee.sampler)
        precondition(k >= 0, "instance \(i) serves with no service-time sampler (no node outside provider hosting)")
        // A trace may give the request's own service time (Azure Functions 2021 durations).
        let service: Int64
        if q.pointee.service >= 0 {
            service = q.pointee.service
        } else if serviceStream != nil {
            service = serviceSamplers[k].nanoseconds(&serviceStream!, inputTokens: q.pointee.input, outputTokens: q.pointee.output)
        } else {
            service = serviceSamplers[k].nanoseconds(&serviceRNG, inputTokens: q.pointee.input, outputTokens: q.pointee.output)
        }
        tally(owner) { $0.serviceNanoseconds += Int128(service) }
        if physics.providerHosted { billInvocation(service, on: i, model: m) }
        if sharesCPU, let cpu = modelCPU[m], e.pointee.node >= 0, shareRequest(r, on: i, node: Int(e.pointee.node), service: service, cpu: cpu) {
            return
        }
        if sharesGPU, modelGPUFraction[m] > 0 {
            let gpu = gpuPart(service, on: i)
            // No CPU part shared: the GPU part first, then the rest.
            if gpu > 0, gpuRequest(r, on: i, part: gpu, rest: service - gpu) { return }
        }
        q.pointee.serviceEnd = now + service
        events.push(time: now + service, kind: .serviceDone, subject: Int32(r), generation: q.pointee.generation)
    }

    /// Provider hosting: one invocation of `service` ns on instance slot `i` is billed.
    @inline(__always) mutating func billInvocation(_ service: Int64, on i: Int, model m: Int) {
        let p = physics.pricing
        // Invocations on provisioned environments pay the lower duration price.
        let perGB = i < physics.provisionedSlots ? p.provisionedDurationPerGBSecond : p.perGBSecond
        providerCost += p.perRequest + BillingMath.providerDurationCost(
            nanoseconds: service, granularity: p.granularity, memoryGB: modelMemoryGB[m],
            perGBSecond: perGB, gpus: modelGPUs[m], perGPUSecond: p.perGPUSecond ?? 0)
        providerGPUSeconds += Double(modelGPUs[m]) * Double(service) / 1e9
    }

    mutating func complete(_ r: Int) throws {
        let q = req.pointer(r)
        if q.pointee.parent >= 0 { return try stageFinished(r) }
        guard !q.pointee.ended else { return }
        endRequest(r)
        let latency = now - q.pointee.arrival + roundTrip
        let wait = q.pointee.wait
        var within: Int64 = sloLatency.map { latency <= $0 ? 1 : 0 } ?? (tokenSLO ? 1 : 0)
        if tokenSLO, within == 1, r < seq.count, seq[r].stamp == q.pointee.id { within = meetsTokenSLO(seq[r]) ? 1 : 0 }
        tallyEnd(r) {
            $0.completed += 1
            $0.latency.record(latency)
            $0.waitNanoseconds += Int128(wait)
            $0.withinSLO += within
        }
        intervalCompletions += 1
        if log != nil { try logRow(r, outcome: "completed", reason: "") }
        releaseRequest(r)
    }

    mutating func reject(_ r: Int, reason: RejectReason) throws {
        if req[r].parent >= 0 { return try stageRejected(r, reason: reason) }
        guard !req[r].ended else { return }
        endRequest(r)
        tallyEnd(r) { $0.rejected += 1 }
        rejectedByReason[Int(reason.rawValue)] += 1
        intervalRejections += 1
        try logRow(r, outcome: "rejected", reason: reason.label)
        releaseRequest(r)
    }

    mutating func timeOut(_ r: Int) throws {
        endRequest(r)
        tallyEnd(r) { $0.timedOut += 1 }
        intervalTimeouts += 1
        try logRow(r, outcome: "timed_out", reason: "timeout")
    }

    /// Applies an update to the statistics of the request's target and of its caller (caller
    /// id 0 is "no caller": nothing is kept for it).
    @inline(__always) func tally(_ r: Int, _ update: (inout OutcomeStats) -> Void) {
        let q = req.pointer(r)
        update(&perTarget.pointer(Int(q.pointee.target)).pointee)
        let c = Int(q.pointee.caller)
        if c != 0 { update(&perCaller.pointer(c).pointee) }
    }

    /// Books a request's end on every set of statistics it counts in: its target and caller,
    /// its version (when the scenario has versions), and serving while training ran.
    @inline(__always) mutating func tallyEnd(_ r: Int, _ update: (inout OutcomeStats) -> Void) {
        tally(r, update)
        tallyVersion(r, update)
        if req[r].duringTraining { update(&training.servingDuring) }
    }

    @inline(__always) mutating func endRequest(_ r: Int) {
        req[r].ended = true
        inFlight -= 1
    }
}
