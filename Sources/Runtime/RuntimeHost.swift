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
    /// A worker began a streamed answer (see `RuntimeHost.streamBegan`).
    func streamBegan(_ call: Call)
    /// A streamed answer ended (see `RuntimeHost.streamEnded`).
    func streamEnded(_ call: Call, _ end: ResponseStream.End, timing: StreamTiming)
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
    /// Where workers of models with a CPU limit get their cgroups (nil: limits not applied).
    var cgroups: WorkerCgroups?
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
    /// Which of its model's cold starts it is, in the core's order (−1: warm).
    var ordinal = -1
    var startTimedOut = false
    /// The worker's CPU when it became ready (nil until then, or where /proc cannot say).
    var readyCPU: ProcessCPU?
    /// The cgroup holding it to its model's CPU limit (nil: none), and its throttling
    /// counters when it became ready.
    var cgroup: WorkerCgroup?
    var readyThrottle: CgroupCPUStat?
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
