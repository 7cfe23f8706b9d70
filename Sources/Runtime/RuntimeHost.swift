import Foundation
import SchedulerCore
import Scenario
import Planning

/// What the HTTP front needs of a host, whatever its policy type.
protocol ServingHost: AnyObject, Sendable {
    var scenario: Scenario { get }
    /// The caller gave up on a request (a graph pipeline's other stage failed).
    func cancel(_ call: Call)
    /// Counts a graph pipeline's request (its stages are not counted on their own).
    func recordGraph(target: Int, caller: Int, outcome: Metrics.Outcome, latency: Double)
    /// The connection to an instance's worker broke, or a Lambda invocation ran past its
    /// deadline: the worker is stopped and reported failed.
    func workerBroken(instance: Int, generation: UInt64, why: String)
    /// Interns a caller name (0 for none).
    func callerID(_ name: String) -> Int
    func metricsText() -> String
    /// `GET /v2/models/{target}`: versions and instances by state.
    func modelMetadata(target: Int) -> String
    /// Whether the target has a ready instance for each of its stages (or can start one).
    func isReady(target: Int) -> Bool
    /// The way requests come in: hands a new request to the core (`submit`), and reports
    /// that a worker answered a call's current stage (`stageAnswered`). Closures made where
    /// the policy type is known, so they run the host's code specialised for it.
    var requestPath: RequestPath { get }
    /// Requests the host holds.
    var inFlight: Int { get }
    /// Deadlines filed, of requests held and of requests that ended before their deadline
    /// (at most about twice `inFlight`: see `RuntimeHost.armDeadline`).
    var deadlinesFiled: Int { get }
    /// Monotonic ns of the core's time zero (its `.start` input).
    var origin: Int64 { get }
    /// Stops every worker and node; flushes the decision log.
    func shutdown()
}

/// The scheduler core on the wall clock: the runtime's second host of the core, as the
/// simulator is the first.
///
/// Every input reaches the core on one serial executor (`executor`) with the monotonic time
/// since start-up, and every action the core appends is performed there: a dispatch is handed
/// to the request's connection thread, which calls the worker; worker processes are spawned
/// and stopped on background threads, which report back through the executor. Nothing decides
/// here: placement, queueing, scaling, keep-alive and rejection are the core's.
final class RuntimeHost<Policy: ScalingPolicy>: ServingHost, @unchecked Sendable {
    let scenario: Scenario
    let planName: String
    let executor = CoreExecutor()
    var core: Scheduler<Policy>
    var actions: [SchedulerAction] = []
    /// Monotonic ns of the core's time zero: when the plan's initial instances were all
    /// ready (see `start`). Read off the executor only after `start` returns.
    var origin: Int64
    /// While the plan starts, timers the core sets wait here to be armed from time zero.
    var deferredTimers: [(timer: Int, at: TimePoint)]?
    var lastNow: Int64 = 0
    let say: @Sendable (String) -> Void
    let provider: NodeProvider
    let decisionLog: DecisionLogWriter?
    let scenarioFolder: String
    /// Multiplies modelled delays (image pulls); node boots are the provider's.
    let delayScale: Double
    let timeout: Double

    // Requests, by slot.
    var calls: [Call?] = []
    var freeSlots: [Int32] = []
    var held = 0
    // Callers.
    var callers: CallerDirectory
    let callerLock = NSLock()

    // Instances, by slot (reused by the core after a stop; `generation` tells them apart).
    var instances: [InstanceRuntime?] = []
    var nextGeneration: UInt64 = 1
    /// Per model: consecutive failures (the crash-loop back-off) since one became ready.
    var failures: [Int]
    // Nodes, by slot.
    var nodes: [NodeRuntime?] = []
    var timerGeneration: [UInt64] = []
    var metrics: Metrics
    /// Target names, and per model the path its worker is called on and its function name
    /// (computed once: the request path builds no string on the executor).
    let targetNames: [String]
    let stagePaths: [String]
    let functionNames: [String]
    /// Requests' deadlines in arrival order (see `armDeadline`), and each request slot's
    /// generation, so an entry of a request that ended is recognised.
    var deadlines = Deque<RequestDeadline>()
    /// When the one pending deadline check runs (nil: none pending).
    var deadlineCheckAt: Int64?
    var slotGeneration: [UInt32] = []
    /// Warm instances started with the plan, for start-up to wait on.
    let warmStarts = DispatchGroup()
    var warmFailure: String?
    var stopped = false
    /// Instances being stopped in the background.
    let stopping = DispatchGroup()
    /// The input being handled (performing its actions may depend on it).
    var currentInput: SchedulerInput?
    var workers: [WorkerProcess] { instances.compactMap { $0?.process } }
    /// Measured starts and service times, when a calibration wants them.
    var recorder: RuntimeRecorder?
    /// Per model: instance-seconds of instances already stopped (from the core's start
    /// action to its stop action, as the simulator counts them), and starts after t = 0.
    var closedInstanceSeconds: [Double]
    var instanceStartCounts: [Int]
    /// Per hardware type: node-seconds of nodes already stopped.
    var closedNodeSeconds: [Double]

    init(core: Scheduler<Policy>, scenario: Scenario, planName: String, provider: NodeProvider, decisionLog: DecisionLogWriter?,
         delayScale: Double, say: @escaping @Sendable (String) -> Void) {
        self.core = core
        self.scenario = scenario
        self.planName = planName
        self.provider = provider
        self.decisionLog = decisionLog
        self.delayScale = delayScale
        self.say = say
        timeout = scenario.slo.timeout
        callers = CallerDirectory(scenario)
        failures = [Int](repeating: 0, count: scenario.models.count)
        closedInstanceSeconds = [Double](repeating: 0, count: scenario.models.count)
        instanceStartCounts = [Int](repeating: 0, count: scenario.models.count)
        closedNodeSeconds = [Double](repeating: 0, count: scenario.hardware.count)
        targetNames = scenario.targetNames
        metrics = Metrics(targets: targetNames.count)
        functionNames = scenario.models.map { m in m.variantOf.map { scenario.models[$0].name } ?? m.name }
        stagePaths = scenario.models.enumerated().map { k, m in
            "/v2/models/" + (m.variantOf.map { scenario.models[$0].name } ?? m.name) + (m.variantOf != nil ? "/versions/" + (m.version ?? "") : "") + "/infer"
        }
        // Absolute: a worker's relative paths are resolved after its chdir.
        scenarioFolder = URL(fileURLWithPath: scenario.file).standardizedFileURL.deletingLastPathComponent().path
        origin = MonotonicClock.nanoseconds()
        actions.reserveCapacity(64)
        // Made here, in the initialiser the plan builder calls with the policy type known:
        // the closures call the specialised methods. (Through the protocol, the front reached
        // the unspecialised ones, which look up the core's generic metadata on every input.)
        requestPath = RequestPath(submit: { [unowned self] in submit($0) },
                                  stageAnswered: { [unowned self] in stageAnswered($0, $1, functionError: $2) })
    }

    private(set) var requestPath = RequestPath(submit: { _ in }, stageAnswered: { _, _, _ in })

    // MARK: The one way into the core

    /// Reports `input` to the core now and performs the actions. On the executor only.
    func feed(_ input: SchedulerInput) {
        executor.assertHeld()
        // After shutdown nothing reaches the core: a deadline timer or a late answer may still
        // arrive, and the decision log is closed.
        guard !stopped else { return }
        // The core requires time not to go backwards; the monotonic clock guarantees it, this
        // guards the conversion.
        lastNow = max(lastNow, MonotonicClock.nanoseconds() - origin)
        let now = TimePoint(nanoseconds: lastNow)
        actions.removeAll(keepingCapacity: true)
        currentInput = input
        defer { currentInput = nil }
        core.handle(input, at: now, into: &actions)
        decisionLog?.append(DecisionCodec.line(at: now, input: input, actions: actions[...]))
        for k in actions.indices { perform(actions[k], now: now) }
    }

    /// Starts the plan: the policy's initial capacity, and the rollouts' clock. Waits until
    /// the warm instances the plan starts with are ready; throws if one cannot start.
    ///
    /// The core sees no time pass while the plan starts: its time zero is when the initial
    /// instances are ready, as in a simulation, where they are ready at t = 0. So the timers
    /// it sets at `.start` (HPA syncs, node scans) and the rollouts' steps run from the moment
    /// the plan can serve, in the same phase against the traffic as when simulated, however
    /// long the workers took to start.
    func start(startTimeout: Double) throws {
        executor.sync {
            deferredTimers = []
            feed(.start)
        }
        if warmStarts.wait(timeout: .now() + startTimeout) == .timedOut {
            throw RuntimeError("the plan's initial instances were not ready within \(Int(startTimeout)) s")
        }
        if let failure = executor.sync(execute: { warmFailure }) { throw RuntimeError(failure) }
        executor.sync {
            // The core's clock resumes where `.start` left it (it never goes backwards).
            origin = MonotonicClock.nanoseconds() - lastNow
            let timers = deferredTimers ?? []
            deferredTimers = nil
            for t in timers { setTimer(t.timer, at: t.at, now: TimePoint(nanoseconds: lastNow)) }
        }
        for (k, rollout) in scenario.rollouts.enumerated() {
            for (j, step) in rollout.steps.enumerated() {
                executor.asyncAfter(deadline: .now() + step.at) { [self] in if !stopped { feed(.rolloutStep(rollout: k, step: j)) } }
            }
        }
    }

    // MARK: Actions

    func perform(_ action: SchedulerAction, now: TimePoint) {
        switch action {
        case let .dispatch(r, i, cold):
            dispatch(request: r.index, instance: i.index, cold: cold)
        case let .complete(r):
            complete(r.index)
        case let .reject(r, reason):
            reject(r.index, reason: reason)
        case let .release(r):
            releaseSlot(r.index)
        case let .setTimer(t, at):
            setTimer(t.index, at: at, now: now)
        case let .cancelTimer(t):
            deferredTimers?.removeAll { $0.timer == t.index }
            if t.index < timerGeneration.count { timerGeneration[t.index] += 1 }
        case let .startNode(n, type, warm):
            startNode(n.index, type: type.index, warm: warm)
        case let .stopNode(n):
            stopNode(n.index)
        case let .startInstance(i, model, node, warm):
            startInstance(i.index, model: model.index, node: node?.index ?? -1, warm: warm)
        case let .stopInstance(i):
            stopInstance(i.index)
        case .interrupt, .startJob, .stopJob:
            // Only answers to inputs this host never reports (spot interruptions, training
            // jobs): `serve` refuses scenarios with training, and reports no interruption.
            break
        }
    }

    func setTimer(_ t: Int, at: TimePoint, now: TimePoint) {
        if deferredTimers != nil {
            deferredTimers!.removeAll { $0.timer == t }   // a timer set again replaces its earlier time
            deferredTimers!.append((t, at))
            return
        }
        while timerGeneration.count <= t { timerGeneration.append(0) }
        timerGeneration[t] += 1
        let generation = timerGeneration[t]
        let delay = Double(max(0, at.nanoseconds - now.nanoseconds)) / 1e9
        executor.asyncAfter(deadline: .now() + delay) { [self] in
            guard !stopped, timerGeneration[t] == generation else { return }
            feed(.timerFired(TimerID(t)))
        }
    }

    // MARK: Requests

    /// Runs on the caller's (connection's) thread: `executor.sync` executes the block right there
    /// when the executor is free, so the usual path has no thread hand-off at all — the core's
    /// dispatch is already in the call's mailbox when this returns. Still one serial executor:
    /// blocks never overlap.
    func submit(_ call: Call) {
        executor.sync {
            if stopped {
                call.outcome = "rejected"
                call.reason = "shutting_down"
                call.post(.finished(.error(503, "the server is shutting down")))
                return
            }
            let r: Int
            if let slot = freeSlots.popLast() {
                r = Int(slot)
            } else {
                r = calls.count
                calls.append(nil)
            }
            calls[r] = call
            call.slot = r
            held += 1
            while slotGeneration.count <= r { slotGeneration.append(0) }
            slotGeneration[r] &+= 1
            armDeadline(RequestDeadline(time: call.deadline, slot: Int32(r), generation: slotGeneration[r]))
            feed(.requestArrived(RequestID(r), target: TargetID(call.target), caller: CallerID(call.caller)))
        }
    }

    /// Deadlines need no heap: every request has the same timeout, so they come in arrival
    /// order (a FIFO, as in the simulator); one timer is armed for the earliest.
    ///
    /// Entries of requests that ended stay until their time (removing each at once would cost
    /// a search per request), but not in unbounded numbers: once they outnumber the requests
    /// held (and 64), the FIFO keeps only the held ones. Without that it held every request of
    /// the last timeout: 48 k requests a second for a 30 s timeout took serve from 23 MB to
    /// 63 MB, and a timeout of an hour would have taken gigabytes.
    ///
    /// - Complexity: O(1) amortized (a compaction of n entries follows n/2 appends at least).
    func armDeadline(_ d: RequestDeadline) {
        if deadlines.count >= 2 * held + 64 {
            deadlines.keep { calls[Int($0.slot)] != nil && slotGeneration[Int($0.slot)] == $0.generation }
        }
        deadlines.append(d)
        if deadlines.count == 1 { scheduleDeadlineCheck(at: d.time) }
    }

    func scheduleDeadlineCheck(at deadline: Int64) {
        // One check pending at a time: a compaction that emptied the FIFO must not add a
        // second timer when the next request files its deadline.
        if let pending = deadlineCheckAt, pending <= deadline { return }
        deadlineCheckAt = deadline
        let delay = Double(max(0, deadline - MonotonicClock.nanoseconds())) / 1e9
        executor.asyncAfter(deadline: .now() + delay) { [self] in
            if deadlineCheckAt == deadline { deadlineCheckAt = nil }
            checkDeadlines()
        }
    }

    func checkDeadlines() {
        let now = MonotonicClock.nanoseconds()
        while let first = deadlines.first, first.time <= now {
            deadlines.removeFirst()
            let r = Int(first.slot)
            // Entries of calls that ended stay until their time (removing them early would
            // cost a search per request): the slot's generation tells them apart.
            if slotGeneration[r] == first.generation, let call = calls[r] { deadlinePassed(call) }
        }
        if let first = deadlines.first { scheduleDeadlineCheck(at: first.time) }
    }

    func cancel(_ call: Call) {
        executor.sync {
            guard call.slot >= 0, calls[call.slot] === call, !call.answered else { return }
            call.answered = true
            call.outcome = "cancelled"
            call.post(.finished(.error(504, "cancelled: the pipeline's request ended")))
            feed(.requestTimedOut(RequestID(call.slot)))
        }
    }

    func recordGraph(target: Int, caller: Int, outcome: Metrics.Outcome, latency: Double) {
        executor.sync {
            if outcome == .completed { metrics.latency[target].observe(latency) }
            metrics.requests[Metrics.RequestKey(target: Int32(target), version: -1, caller: Int32(caller), outcome: outcome), default: 0] += 1
        }
    }

    /// The request's `slo.timeout` passed: the client gets a 504 now; the core releases the
    /// slot when the request leaves its queue or its worker.
    func deadlinePassed(_ call: Call) {
        guard call.slot >= 0, calls[call.slot] === call, !call.answered else { return }
        call.answered = true
        call.outcome = "timed_out"
        count(call, .timedOut)
        call.post(.finished(.error(504, "no answer within the timeout of \(ValueText.seconds(timeout))")))
        feed(.requestTimedOut(RequestID(call.slot)))
    }

    func dispatch(request r: Int, instance i: Int, cold: Bool) {
        guard let call = calls[r], let inst = instances[i], let endpoint = inst.endpoint else { return }
        if cold { call.cold = true }
        call.lastModel = inst.model
        let model = scenario.models[inst.model]
        if call.logsStages { call.noteStage(AuditRecord.Stage(model: functionNames[inst.model], version: model.version ?? "", instance: "i\(i)",
                                         node: inst.node >= 0 ? "\(scenario.hardware[nodes[inst.node]?.type ?? 0].name)#\(inst.node)" : "",
                                         cold: cold, start: AuditLog.nowMicros(), end: nil)) }
        let path = call.query.isEmpty ? stagePaths[inst.model] : stagePaths[inst.model] + "?" + call.query
        let stage = StageCall(id: call.id, path: path, headers: call.headers, body: call.body,
                              function: functionNames[inst.model], deadlineUnixMs: call.deadlineUnixMs)
        if !call.answered {
            call.post(.dispatch(instance: i, generation: inst.generation, endpoint: endpoint, stage: stage))
        } else {
            // Timed out while bound to a starting instance, then dispatched: no one waits, so
            // the host ends the stage at once on the client's behalf.
            executor.async { [self] in
                if call.slot >= 0, calls[call.slot] === call { feed(.requestFinished(RequestID(call.slot))) }
            }
        }
    }

    /// On the caller's thread, like `submit`: the next stage's dispatch or the client's answer
    /// is in the call's mailbox when this returns.
    func stageAnswered(_ call: Call, _ response: HTTPResponse, functionError: Bool) {
        if call.logsStages { call.noteStageEnd(AuditLog.nowMicros()) }
        executor.sync {
            guard call.slot >= 0, calls[call.slot] === call else { return }
            call.lastStage = (response, functionError)
            if (functionError || response.status >= 400), call.stageError == nil { call.stageError = (response, functionError) }
            call.body = response.body
            feed(.requestFinished(RequestID(call.slot)))
        }
    }

    func complete(_ r: Int) {
        guard let call = calls[r] else { return }
        if !call.answered {
            call.answered = true
            let latency = Double(MonotonicClock.nanoseconds() - call.arrival) / 1e9
            if !call.isStage { metrics.latency[call.target].observe(latency) }
            call.outcome = "completed"
            count(call, .completed)
            call.post(.completed)   // the connection's thread builds the answer, off the executor
        }
        releaseSlot(r)
    }

    func reject(_ r: Int, reason: RejectReason) {
        guard let call = calls[r] else { return }
        let target = targetNames[call.target]
        metrics.rejections[Metrics.RejectionKey(target: Int32(call.target), reason: reason.rawValue), default: 0] += 1
        if !call.answered {
            call.answered = true
            call.outcome = "rejected"
            call.reason = reason.label
            count(call, .rejected)
            call.post(.finished(Self.rejection(reason, target: target)))
        }
        releaseSlot(r)
    }

    /// The HTTP answer for a rejection reason.
    static func rejection(_ reason: RejectReason, target: String) -> HTTPResponse {
        var response = rejectionBody(reason, target: target)
        // The core's reason, by its report label, for clients that tally them (loadgen).
        response.headers.append(("Headroom-Reject-Reason", reason.label))
        return response
    }

    static func rejectionBody(_ reason: RejectReason, target: String) -> HTTPResponse {
        switch reason {
        case .queueFull:
            return .error(429, "\(target): the queue is full", headers: [("Retry-After", "1")])
        case .throttled:
            return .error(429, "\(target): throttled (concurrency or scaling-rate limit)", headers: [("Retry-After", "1")])
        case .quota:
            return .error(429, "\(target): the caller has its quota of requests in flight", headers: [("Retry-After", "1")])
        case .noCapacity:
            return .error(503, "\(target): no capacity can serve it under this plan")
        case .workerFailed, .interrupted:
            return .error(502, "\(target): the worker failed while serving the request")
        }
    }

    func releaseSlot(_ r: Int) {
        guard r < calls.count, let call = calls[r] else { return }
        call.slot = -1
        calls[r] = nil
        freeSlots.append(Int32(r))
        held -= 1
    }

    func count(_ call: Call, _ outcome: Metrics.Outcome) {
        if call.isStage { return }
        var version: Int32 = -1
        let m = call.lastModel
        if m >= 0, scenario.models[m].variantOf != nil || !scenario.models[m].variantGroup.isEmpty { version = Int32(m) }
        metrics.requests[Metrics.RequestKey(target: Int32(call.target), version: version, caller: Int32(call.caller), outcome: outcome), default: 0] += 1
    }

    func callerID(_ name: String) -> Int {
        callerLock.lock()
        defer { callerLock.unlock() }
        return callers.intern(name)
    }

    var inFlight: Int { executor.sync { held } }

    var deadlinesFiled: Int { executor.sync { deadlines.count } }
}

/// What the host keeps of an instance beside the core: its process, endpoint and timings.
/// Outside the generic host (as `RequestDeadline` is), so reading one on the request path
/// looks up no generic metadata (callgrind: 37.8 k → 37.0 k instructions a request).
struct InstanceRuntime {
    var generation: UInt64
    var model: Int
    var node: Int
    var warm: Bool
    var stopping = false
    var ready = false
    var process: WorkerProcess?
    var endpoint: WorkerEndpoint?
    /// When the core asked for it, and when its process was spawned (monotonic ns).
    var started: Int64
    var spawnedAt: Int64 = 0
    var bootSeconds = 0.0
    var pullSeconds = 0.0
    /// Seconds slept before the spawn: the modelled image pull and any crash-loop back-off.
    var delaySeconds = 0.0
    /// Started warm with the plan: start-up waits for it.
    var awaitedAtStart = false
    var startTimedOut = false
}

/// What the host keeps of a node beside the core.
struct NodeRuntime {
    var generation: UInt64
    var type: Int
    var ready: Bool
    var readyAt: Int64
    var bootSeconds: Double
    /// When the core started it (monotonic ns).
    var since: Int64 = MonotonicClock.nanoseconds()
    /// Image names pulled onto the node (modelled).
    var images: Set<String> = []
}

/// A host's request path: `ServingHost.submit` and `stageAnswered` as closures.
struct RequestPath: Sendable {
    let submit: @Sendable (Call) -> Void
    let stageAnswered: @Sendable (Call, HTTPResponse, Bool) -> Void
}

/// A request's deadline as the host files it (see `RuntimeHost.armDeadline`): the slot's
/// generation tells an entry of a request that ended from its slot's next request. Outside the
/// generic host, so its queue is a concrete type (nested, every use looked up its metadata).
struct RequestDeadline { var time: Int64; var slot: Int32; var generation: UInt32 }

/// An error of the runtime, with a message for the user.
public struct RuntimeError: RaisedError, CustomStringConvertible {
    public let description: String
    public let raisedAt: String
    public init(_ message: String, raisedIn sourceFile: String = #fileID, at sourceLine: Int = #line) {
        description = message
        raisedAt = "\(sourceFile):\(sourceLine)"
    }
}

/// Numbers as the runtime prints them.
enum ValueText {
    static func seconds(_ s: Double) -> String {
        if s < 1 { return String(format: "%.0f ms", s * 1000) }
        if s < 120 { return String(format: "%.2f s", s) }
        return String(format: "%.1f min", s / 60)
    }
}
