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
    /// `deadlines.nextTime`, kept beside the loop's other state: the loop compares it with the
    /// next event's time on every event, and the queue's head is three loads away.
    var nextDeadline = Int64.max
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
    /// `network.roundTrip` (ns): added to each request's latency as its client sees it.
    let roundTrip: Int64
    let interval: Int64
    var serviceRNG: RandomSource
    var coldRNG: RandomSource
    /// `RunOptions.replayedInits`, and each model's cold starts so far (their index into it).
    var replayedInits: [[Int64]] = [] {
        didSet { coldStartsByModel = [Int](repeating: 0, count: replayedInits.count) }
    }
    var coldStartsByModel: [Int] = []
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
    /// LLM engines' limits and iteration times by model and node type (`engineIndex`: model ×
    /// node types + type); nil for a service-time model (on every type alike).
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
    /// Disaggregated serving's KV-cache moves, by request slot (empty without prefill pools).
    var pulls: [PullRecord] = []
    /// When the engines last reported to the core (`reportEngines`), ns.
    var lastEngineReport: Int64 = 0
    /// By engine (`engineModels`' index): how a decode pool pulls KV caches.
    var engineLinks: [KVLink] = []
    /// The prompts' prefix blocks (filled by the trace readers as they read), and one prompt's
    /// path in it, root first (reused buffer).
    let prefixes: PrefixTree
    var prefixPath: [Int32] = []
    /// Some model's balancer routes by prompt prefix (cache-aware): arrivals with a prefix
    /// hand the core their prompt's blocks.
    let routesByPrefix: Bool
    /// LLM models whose engines report to the core before each autoscaler tick (elastic
    /// plans: `ElasticPolicy.Metric`'s queue and KV-cache signals read them); by model.
    let reportsEngines: Bool
    let engineModel: [Bool]
    let sloTTFT: Int64?
    let sloTPOT: Int64?
    /// Whether an SLO bound on tokens (TTFT, TPOT) applies.
    let tokenSLO: Bool

    // Shared cores (see Simulation+Contention.swift). Untouched by runs in which no model
    // declares `cpu` work, or that run on provider capacity.
    let sharesCPU: Bool
    /// By model: its CPU work (nil: it shares nothing), its instances' CPU limit (infinity:
    /// none) and their weight (the CPU request, at least Kubernetes' minimum of 2 shares).
    let modelCPU: [CPUWork?]
    let modelCPULimit: [Double]
    let modelCPUWeight: [Double]
    /// By model: cores all of an instance's work can use at once (infinity: no bound), its
    /// limit's CFS period (ns), and its start-up boost's factor (1: none) and length after
    /// ready (ns).
    let modelInstanceThreads: [Double]
    let modelCPUPeriod: [Int64]
    let modelBoostFactor: [Double]
    let modelBoostAfter: [Int64]
    /// Whether any model has a CPU limit or a start-up boost: only then are quotas kept.
    let quotaModels: Bool
    /// By model: whether its instances are one process held below its requests' threads
    /// (`cpu.instanceThreads`: a Python worker's GIL), whose requests that share it are
    /// counted apart (calibration compares them with the measured ones); and whether any is.
    let modelSharedProcess: [Bool]
    let tracksProcessSharing: Bool
    /// By request slot (process-sharing runs only): when its service began, the count of its
    /// instance's service starts then, and whether another request was in service on it.
    var serviceMarks: [ServiceMark] = []
    /// By instance slot (process-sharing runs only): service starts so far.
    var instanceServiceStarts: [UInt32] = []
    /// By model: the service times of requests that shared their instance with another
    /// request at some moment of theirs.
    var sharedService: [LatencyHistogram] = []
    /// By node type: its vCPUs, background load (cores) and interference factor α.
    let nodeCores: [Double]
    let nodeBackground: [Double]
    let nodeInterference: [Double]
    /// By node type: the interference that slows start-ups only (α for start-ups).
    let nodeStartupInterference: [Double]
    /// By node type: whether its cores have a run queue each (`contention.runQueues`).
    let nodePerCore: [Bool]
    /// Whether any node type has them (a scalar, checked before the array on the hot path).
    let anyPerCore: Bool
    /// By node slot, and by instance slot for start-ups that share the cores.
    var shares: [NodeShare] = []
    var startupPlans: [StartupPlan] = []
    /// By instance slot: its CPU limit's quota in the current period, and its boost.
    var quotas: [InstanceQuota] = []

    // Shared GPUs (see Simulation+GPUSharing.swift). Untouched unless a node type shares its
    // GPUs by time-slicing or MPS and a model declares GPU work.
    let sharesGPU: Bool
    /// By node type: how its GPUs are shared (nil: not at all).
    let gpuSharing: [GPUSharing?]
    /// By model: the share of its service time that is GPU work (0: none declared).
    let modelGPUFraction: [Double]
    /// The most GPUs of any node type: a node's GPUs are `gpuShares[n * gpusPerNodeMax + g]`.
    let gpusPerNodeMax: Int
    var gpuShares: [GPUShare] = []
    /// By instance slot: its GPU's slot in `gpuShares` (-1: none shared).
    var instanceGPU: [Int32] = []
    let shareScratch = ShareScratch()
    /// By node type.
    var contention: [ContentionStats]

    // The setup (`init`) is in Simulation+Setup.swift.

    let rolloutSteps: [(time: Int64, rollout: Int, step: Int)]

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
            var deadline = nextDeadline
            if deadline < heapTime || inFlight == 0 {
                // Only a due (or, at the end, any) head is checked: entries of requests that
                // already ended are skipped here rather than removed when they end.
                while let e = deadlines.first, !Self.isLive(e, in: req) { deadlines.removeFirst() }
                deadline = deadlines.nextTime
                nextDeadline = deadline
            }
            if activeSources == 0 && inFlight == 0 && Swift.min(heapTime, deadline) > duration { break }
            if deadline < heapTime {
                let r = Int(deadlines.first!.slot)   // live: ended requests' entries were dropped above
                deadlines.removeFirst()
                nextDeadline = deadlines.nextTime
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
            serviceSamplers[k].drawsUniforms && engineModels[engineIndex(k / perModel, node: -1)] == nil
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
            if sharesCPU { boostReady(i) }
            core.handle(.instanceReady(InstanceID(i)), at: at, into: &actions)
            try perform()
        case .nodeReady:
            let n = Int(event.subject)
            guard nodeGeneration[n] == event.generation else { return }
            nodeReady[n] = true
            bootingNodes -= 1
            if sharesCPU { shareOpen(n) }
            core.handle(.nodeReady(NodeID(n)), at: at, into: &actions)
            try perform()
        case .timer:
            let t = Int(event.subject)
            guard timerGeneration[t] == event.generation else { return }
            // An autoscaler's tick reads what the engines report, as the HPA reads vLLM's
            // gauges through the metrics API.
            if reportsEngines && (t == ElasticPolicy.syncTimer.index || t == StepScalingPolicy.periodTimer.index) { reportEngines(at: at) }
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
        case .shareDone:
            try shareDone(event)
        case .gpuDone:
            try gpuDone(event)
        case .startupSegment:
            let i = Int(event.subject)
            guard inst[i].generation == event.generation else { return }
            startupAdvance(i)
        case .jobDone:
            let j = Int(event.subject)
            guard jobGeneration[j] == event.generation else { return }
            endJobRun(j)
            training.completed += 1
            core.handle(.jobFinished(JobID(j)), at: at, into: &actions)
            try perform()
        }
    }

    // MARK: Actions of the rare events

    /// Performs the actions the core appended since the last call (often none: a request
    /// that queues asks for nothing).
    @inline(__always) mutating func perform() throws {
        if performed < actions.count { try performPending() }
    }

    mutating func performPending() throws {
        try performActions()
    }
}
