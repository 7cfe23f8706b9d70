import SchedulerCore
import Scenario

/// One plan's run: the scheduler core driven on a virtual clock.
///
/// The host keeps the physics (boot, cold-start and service times, billing) and the metrics;
/// the core decides. Per event: a heap pop, a `handle` call (for a request's arrival and end
/// of service, `requestArrived` and `requestFinished`, inlined), and the actions it appends,
/// with every table a flat array indexed by a dense id.
struct Simulation<Policy: ScalingPolicy> {
    var core: Scheduler<Policy>
    var actions: [SchedulerAction] = []
    /// Actions in `actions` already performed.
    var performed = 0
    /// Pending events, and apart from them each active source's next arrival: the arrivals
    /// lane holds one event per source (a one-source run never sifts it), in the same
    /// (time, sequence) order as if both were one queue.
    let events = EventQueue()
    let arrivals = EventQueue(capacity: 16)
    let deadlines = DeadlineQueue()
    /// Arrival sources (a slot table: advanced once per arrival without a copy-on-write check).
    let sources: SlotTable<SourceState>
    var activeSources = 0
    /// Whether synthetic sources and the service-time stream are drawn ahead on threads of
    /// their own (`SourcePrefetch`, `StreamPrefetch`): set by the runner when the run leaves
    /// a core idle.
    var drawAhead = false
    /// By source, while the run's loop runs: the thread drawing it ahead, if any. Held here;
    /// the loop reaches them through `prefetchRefs`, unretained.
    var prefetch: [SourcePrefetch?] = []
    var prefetchRefs: [Unmanaged<SourcePrefetch>?] = []
    /// With `drawAhead`: the service-time stream's uniforms, drawn ahead; once set, service
    /// times are drawn from `serviceStream` instead of `serviceRNG` (the same values).
    var serviceAhead: StreamPrefetch?
    var serviceStream: PrefetchedStream?
    let physics: PlanPhysics
    let duration: Int64
    /// The drain ends here at the latest: `Sampler.never` past the duration. Every draw is
    /// held below `never`, so times stay far inside Int64 (a service time of 10¹² tokens at
    /// 5 ms each once chained queued requests past it); a request still in service then is
    /// one that would finish decades after the run.
    let drainHorizon: Int64
    let timeout: Int64
    let sloLatency: Int64?
    let interval: Int64
    var serviceRNG: RandomSource
    var coldRNG: RandomSource
    var bootRNG: RandomSource
    var callers: StringTable
    var versions: StringTable
    var now: Int64 = 0
    var eventCount: Int64 = 0
    /// Told the simulated fraction of the duration done, every 2^18 events.
    var progress: (@Sendable (Double) -> Void)?
    let log: RequestLogWriter?
    let modelNames: [String]
    let modelVersions: [String]
    /// Per model: whether it is one of several versions (then requests.csv names it).
    let modelHasVersions: [Bool]
    let targetNames: [String]
    let hardwareNames: [String]

    // Requests, by slot: one struct per slot, so touching a request is one array access.
    /// Released request slots, reused last-in first-out: a stack in a slot table (no
    /// copy-on-write check on the per-request push and pop).
    let freeSlots = SlotTable<Int32>(capacity: 1024)
    var inFlight = 0
    var nextRequestID: Int64 = 0
    let req = SlotTable<RequestSlot>(capacity: 1024)

    // Instances, by slot.
    let inst = SlotTable<InstanceSlot>(capacity: 64)

    // Nodes, by slot.
    var nodeGeneration: [UInt32] = []
    var nodeType: [Int32] = []
    var nodeStart: [Int64] = []
    var nodeReady: [Bool] = []
    var nodeLive: [Bool] = []
    var nodeImages: [Int64] = []   // slot × image → when the image is on the node (Int64.max: absent)
    /// Per node slot: instances serving a request, and since when none has (when none does).
    /// A slot table (no copy-on-write check): touched on every request's start and end.
    let nodeIdle = SlotTable<NodeIdleRecord>(capacity: 16)
    /// USD of capacity paid for while it served nothing (see `PlanResult.idleCost`).
    var idleCost = 0.0
    /// Node requests the cloud could not fill (stock-outs), by slot while pending.
    var nodeFailed: [Bool] = []
    var nodeRequestFailures = 0
    var stockoutRNG: RandomSource
    /// Spot nodes: whether the node has had its interruption notice; the run's interruptions
    /// and the requests they cut off.
    var nodeNoticed: [Bool] = []
    var spotRNG: RandomSource
    var spotInterruptions = 0
    var requestsInterrupted: Int64 = 0
    /// Committed types: live nodes, and the on-demand cost of nodes beyond the commitment.
    var liveByType: [Int]
    var excessSince: [Int64]
    var excessCost = 0.0

    var timerGeneration: [UInt32] = []

    // Training jobs, by job id.
    let jobSubmittedAt: [Int64]
    let jobDuration: [Int64]
    /// GPUs and nodes a job holds while it runs.
    let jobGPUs: [Int]
    let jobNodes: [Int]
    var jobGeneration: [UInt32]
    /// When the job's current run started, or -1 while it does not run.
    var jobStartedAt: [Int64]
    var jobEverStarted: [Bool]
    var runningJobs = 0
    var training = TrainingStats()

    // Graph pipelines (fan-out / fan-in), by target: run by the host as one child request per
    // stage (see Simulation+Pipelines.swift).
    let graphs: [PipelineGraph?]
    let isGraph: [Bool]
    let maxGraphStages: Int
    /// Per parent slot × stage: prerequisites not yet finished.
    var graphWaiting: [Int32] = []
    var readyStages: [Int] = []

    // Model versions.
    /// Whether some model has versions: then outcomes are also kept per model (version).
    let tracksVersions: Bool
    var perModel: [OutcomeStats]

    // Metrics.
    var totals = OutcomeStats()
    let perTarget: SlotTable<OutcomeStats>
    /// Per pipeline target, the latency of each stage (empty for single-model targets).
    var stageLatency: [[LatencyHistogram]]
    /// Service-time samplers: by model × hardware type, or by model for provider hosting.
    let serviceSamplers: [Sampler]
    let hardwareCount: Int
    /// 1 ÷ concurrency, by model.
    let inverseConcurrency: [Double]
    /// Memory (GB) and GPUs by model, for provider billing per request: plain arrays, so the
    /// per-request path does not touch the larger `ModelInfo` (which holds samplers).
    let modelMemoryGB: [Double]
    let modelGPUs: [Int]
    let perCaller = SlotTable<OutcomeStats>(capacity: 16)
    var rejectedByReason = [Int64](repeating: 0, count: RejectReason.simulated.count)
    var closedCost = 0.0
    var providerCost = 0.0
    var providerInitCost = 0.0
    var livePriceRate = 0.0          // USD per second of the live nodes
    var livePriceStart = 0.0         // Σ price-per-second × start time (s) of live nodes
    var liveInstances = 0
    var busyInstances = 0
    var startingInstances = 0
    var busyCapacity = 0.0           // Σ in-flight ÷ concurrency
    var liveNodes = 0
    var bootingNodes = 0
    var liveGPUs = 0
    var lastIntegration: Int64 = 0
    var busyArea = 0.0
    /// ∫ instances, nodes and GPUs dt: booked only when their counts change (`bookCapacity`),
    /// not on every event.
    var instanceArea = 0.0, nodeArea = 0.0, gpuArea = 0.0
    var capacitySince: Int64 = 0
    var providerGPUSeconds = 0.0
    var instancesMax = 0
    var instanceStarts: Int64 = 0
    var nodesMax = 0
    var timeseries: [TimeseriesRow] = []
    var intervalArrivals: Int64 = 0, intervalCompletions: Int64 = 0, intervalRejections: Int64 = 0, intervalTimeouts: Int64 = 0
    var intervalColdStarts: Int64 = 0
    var coldPhases = ColdPhaseSeconds()
    var intervalColdPhases = ColdPhaseSeconds()

    // LLM engines (continuous batching; see Simulation+Engine.swift). Untouched by runs
    // without an engine model but for one test of `anyEngine` where a request starts,
    // completes or is cut off.
    /// By model: the engine's limits and iteration times (nil: a service-time model).
    let engineModels: [EngineModel?]
    let anyEngine: Bool
    /// By instance slot: the engine's state (nil for service-time instances).
    var engines: [EngineInstance?] = []
    /// By request slot: the request inside an engine.
    let seq = SlotTable<SequenceRecord>(capacity: 16)
    var engineTotals = EngineStats()
    /// The same, over the current time-series interval (which began at `intervalStart`).
    var intervalEngine = EngineStats()
    var intervalStart: Int64 = 0
    var enginePerTarget: [EngineStats]
    /// KV blocks in use and in the cache, over all engine instances, and since when booked.
    var kvUsed = 0, kvCapacity = 0
    var kvSince: Int64 = 0
    /// Requests whose engine work ended in the iteration just applied (reused buffer).
    var engineEnded: [Int32] = []
    let sloTTFT: Int64?
    let sloTPOT: Int64?
    /// Whether an SLO bound on tokens (TTFT, TPOT) applies.
    let tokenSLO: Bool

    // The setup (`init`) is in Simulation+Setup.swift.

    let rolloutSteps: [(time: Int64, rollout: Int, step: Int)]

    /// Books a request's outcome on the version (model) that served or would have served its
    /// last stage, when the scenario has versions.
    @inline(__always) mutating func tallyVersion(_ r: Int, _ update: (inout OutcomeStats) -> Void) {
        guard tracksVersions, !isGraph[Int(req[r].target)] else { return }
        let m = core.cluster.currentModel(of: RequestID(r)).index
        perModel[m].requests += 1
        update(&perModel[m])
    }

    // MARK: The loop

    mutating func run() throws -> PlanResult {
        core.handle(.start, at: .zero, into: &actions)
        try perform()
        for k in 0..<sources.count {
            try sources[k].advance(callers: &callers, versions: &versions)
            if !sources[k].exhausted {
                activeSources += 1
                scheduleArrival(k)
            }
        }
        if drawAhead {
            prefetch = (0..<sources.count).map { k in
                !sources[k].exhausted && SourcePrefetch.canDrawAhead(sources[k]) ? SourcePrefetch(sources[k]) : nil
            }
            prefetchRefs = prefetch.map { $0.map(Unmanaged.passUnretained) }
            if drawsServiceTimes {
                let ahead = StreamPrefetch(serviceRNG)
                serviceAhead = ahead
                serviceStream = ahead.stream
            }
        }
        // Every way out of the loop (its end, or an error) stops the drawing threads.
        defer {
            for p in prefetch { p?.stop() }
            serviceAhead?.stop()
        }
        if interval > 0 { events.push(time: interval, kind: .sample, subject: 0) }
        for j in jobSubmittedAt.indices { events.push(time: jobSubmittedAt[j], kind: .jobSubmitted, subject: Int32(j)) }
        for s in rolloutSteps { events.push(time: s.time, kind: .rolloutStep, subject: Int32(s.rollout), generation: UInt32(s.step)) }
        for (t, hw) in physics.hardware.enumerated() {
            for wave in hw.spot?.waves ?? [] { events.push(time: Int64((wave * 1e9).rounded()), kind: .interruptionWave, subject: Int32(t)) }
        }

        // Arrivals stop at the duration; in-flight requests drain. Until the duration the
        // policies keep acting (scale-down, keep-alive expiry) even when no request is left.
        while true {
            let fromArrivals = arrivals.headPrecedes(events)
            let heapTime = fromArrivals ? arrivals.nextTime : events.nextTime
            var deadline = deadlines.nextTime
            if deadline < heapTime || inFlight == 0 {
                // Only a due (or, at the end, any) head is checked: entries of requests that
                // already ended are skipped here rather than removed when they end.
                while let e = deadlines.first, !Self.isLive(e, in: req) { deadlines.removeFirst() }
                deadline = deadlines.nextTime
            }
            if activeSources == 0 && inFlight == 0 && Swift.min(heapTime, deadline) > duration { break }
            if deadline < heapTime {
                let r = Int(deadlines.first!.slot)   // live: ended requests' entries were dropped above
                deadlines.removeFirst()
                advanceClock(to: deadline)
                try timeOut(r)
                if isGraph[Int(req[r].target)] {
                    cancelChildren(of: r)
                } else {
                    core.handle(.requestTimedOut(RequestID(r)), at: TimePoint(nanoseconds: now), into: &actions)
                }
                if anyEngine { try abortSequences(of: r) }
                try perform()
                continue
            }
            guard heapTime <= drainHorizon else { break }   // (Int64.max: nothing left)
            // The arrivals lane holds only arrivals: they skip `dispatch`'s switch over kinds.
            let event = fromArrivals ? arrivals.pop() : events.pop()
            advanceClock(to: event.time)
            eventCount += 1
            if eventCount & 0x3FFFF == 0, let progress { progress(Swift.min(1, Double(now) / Double(duration))) }
            if fromArrivals { try arrive(from: Int(event.subject)) } else { try dispatch(event) }
        }
        return finish()
    }

    /// Whether some request may draw its service time from `serviceRNG`: a model served by
    /// a sampler that takes uniforms (engine models take their time from iterations).
    var drawsServiceTimes: Bool {
        let perModel = physics.providerHosted ? 1 : Swift.max(1, hardwareCount)
        return serviceSamplers.indices.contains { k in
            serviceSamplers[k].drawsUniforms && engineModels[k / perModel] == nil
        }
    }

    /// Queues source `k`'s next arrival in the arrivals lane, in the main queue's order.
    @inline(__always) func scheduleArrival(_ k: Int) {
        arrivals.push(time: sources[k].nextTime, kind: .arrival, subject: Int32(k), generation: 0, sequence: events.takeSequence())
    }

    /// Whether a deadline entry still belongs to a request in flight.
    @inline(__always) static func isLive(_ e: DeadlineQueue.Entry, in req: SlotTable<RequestSlot>) -> Bool {
        req[Int(e.slot)].generation == e.generation && !req[Int(e.slot)].ended
    }

    /// Books the instance, node and GPU areas up to now; called before their counts change.
    mutating func bookCapacity() {
        let dt = Double(now - capacitySince)
        instanceArea += Double(liveInstances) * dt
        nodeArea += Double(liveNodes) * dt
        gpuArea += Double(liveGPUs) * dt
        capacitySince = now
    }

    @inline(__always) mutating func advanceClock(to time: Int64) {
        if time > now {
            busyArea += busyCapacity * Double(time - lastIntegration)
            lastIntegration = time
            now = time
        }
    }

    mutating func dispatch(_ event: Event) throws {
        let at = TimePoint(nanoseconds: now)
        switch event.kind {
        case .arrival:
            try arrive(from: Int(event.subject))
        case .serviceDone:
            try serviceDone(event)
        case .instanceReady:
            let i = Int(event.subject)
            guard inst[i].generation == event.generation else { return }
            inst[i].ready = true
            inst[i].readyAt = now
            startingInstances -= 1
            core.handle(.instanceReady(InstanceID(i)), at: at, into: &actions)
            try perform()
        case .nodeReady:
            let n = Int(event.subject)
            guard nodeGeneration[n] == event.generation else { return }
            nodeReady[n] = true
            bootingNodes -= 1
            core.handle(.nodeReady(NodeID(n)), at: at, into: &actions)
            try perform()
        case .timer:
            let t = Int(event.subject)
            guard timerGeneration[t] == event.generation else { return }
            core.handle(.timerFired(TimerID(t)), at: at, into: &actions)
            try perform()
        case .sample:
            sample()
            events.push(time: now + interval, kind: .sample, subject: 0)
        case .rolloutStep:
            core.handle(.rolloutStep(rollout: Int(event.subject), step: Int(event.generation)), at: at, into: &actions)
            try perform()
        case .jobSubmitted:
            core.handle(.jobSubmitted(JobID(Int(event.subject))), at: at, into: &actions)
            try perform()
        case .interruptionNotice:
            let n = Int(event.subject)
            guard nodeGeneration[n] == event.generation, nodeLive[n], !nodeNoticed[n] else { return }
            try interruptionNotice(n)
        case .interruption:
            let n = Int(event.subject)
            guard nodeGeneration[n] == event.generation, nodeLive[n] else { return }
            core.handle(.nodeInterrupted(NodeID(n)), at: at, into: &actions)
            try perform()
        case .interruptionWave:
            try interruptionWave(type: Int(event.subject))
        case .engineStep:
            try engineStep(event)
        case .jobDone:
            let j = Int(event.subject)
            guard jobGeneration[j] == event.generation else { return }
            endJobRun(j)
            training.completed += 1
            core.handle(.jobFinished(JobID(j)), at: at, into: &actions)
            try perform()
        }
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
            arrival: now, target: target, caller: caller, version: source.pointee.nextVersion,
            input: source.pointee.nextInput, output: source.pointee.nextOutput, stageSince: now, stageEntered: now,
            duringTraining: runningJobs > 0, service: source.pointee.nextService))
        while Int(caller) >= perCaller.count { perCaller.append(OutcomeStats()) }
        tally(r) { $0.requests += 1 }
        if runningJobs > 0 { training.servingDuring.requests += 1 }
        intervalArrivals += 1
        if deadlines.isFull {
            let table = req
            deadlines.compact { Self.isLive($0, in: table) }
        }
        deadlines.push(now + timeout, slot: Int32(r), generation: req[r].generation)
        if isGraph[Int(target)] {
            startGraph(r)
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

    // MARK: Actions

    /// Performs the actions the core appended since the last call (often none: a request
    /// that queues asks for nothing).
    @inline(__always) mutating func perform() throws {
        if performed < actions.count { try performPending() }
    }

    mutating func performPending() throws {
        try performActions()
    }

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
        if e.pointee.inFlight == 0 {
            busyInstances += 1
            nodeWentBusyMaybe(Int(e.pointee.node))
        }
        e.pointee.inFlight += 1
        busyCapacity += inverseConcurrency[m]
        if anyEngine, let engine = engineModels[m] {
            // Its time comes from the engine's iterations, not from a service-time draw.
            q.pointee.serviceEnd = now
            engineAccept(r, on: i, engine)
            return
        }
        let k = physics.providerHosted ? m : m * hardwareCount + Int(nodeType[Int(e.pointee.node)])
        // A trace may give the request's own service time (Azure Functions 2021 durations).
        let service: Int64
        if q.pointee.service >= 0 {
            service = q.pointee.service
        } else if serviceStream != nil {
            service = serviceSamplers[k].nanoseconds(&serviceStream!, inputTokens: q.pointee.input, outputTokens: q.pointee.output)
        } else {
            service = serviceSamplers[k].nanoseconds(&serviceRNG, inputTokens: q.pointee.input, outputTokens: q.pointee.output)
        }
        tally(owner) { $0.serviceNanoseconds = $0.serviceNanoseconds.saturatingSum(service) }
        if physics.providerHosted { billInvocation(service, on: i, model: m) }
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
        let latency = now - q.pointee.arrival
        let wait = q.pointee.wait
        var within: Int64 = sloLatency.map { latency <= $0 ? 1 : 0 } ?? (tokenSLO ? 1 : 0)
        if tokenSLO, within == 1, r < seq.count, seq[r].stamp == q.pointee.id { within = meetsTokenSLO(seq[r]) ? 1 : 0 }
        tallyEnd(r) {
            $0.completed += 1
            $0.latency.record(latency)
            $0.waitNanoseconds += wait
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
