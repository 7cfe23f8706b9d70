/// The scheduler core: a synchronous state machine with no clock and no I/O.
///
/// A host (the simulator on a virtual clock, or a serving runtime on the wall clock) reports
/// what happened with `handle(_:at:into:)` and performs the actions appended to its buffer.
/// Same inputs at the same times give the same actions, whichever host drives the core.
/// The two request inputs also have methods of their own, `requestArrived` and
/// `requestFinished`, which `handle` forwards to: a host's per-request loop calls those.
///
/// ```
/// var core = Scheduler(configuration: config, policy: TraditionalPolicy(...))
/// var actions: [SchedulerAction] = []
/// core.handle(.start, at: .zero, into: &actions)
/// core.handle(.requestArrived(RequestID(0), target: TargetID(0)), at: t, into: &actions)
/// ```
public struct Scheduler<Policy: ScalingPolicy>: Sendable {
    /// The bookkeeping: nodes, instances, queues, requests.
    public var cluster: Cluster
    /// The decisions: when to add or remove capacity.
    public var policy: Policy
    /// Jobs submitted so far (their queue order).
    @usableFromInline var jobsSubmitted = 0

    public init(configuration: ClusterConfiguration, policy: Policy) {
        cluster = Cluster(configuration: configuration)
        self.policy = policy
    }

    /// Reports one input that happened at `now`; appends the resulting actions to `actions`.
    ///
    /// `now` must not decrease between calls.
    ///
    /// - Complexity: O(1) amortized for request inputs when a slot is free or the queue takes
    ///   the request; policy ticks and node events are linear in the instances.
    @inlinable
    public mutating func handle(_ input: SchedulerInput, at now: TimePoint, into actions: inout [SchedulerAction]) {
        cluster.prepareToChange()
        switch input {
        case .start:
            policy.start(&cluster, now: now, into: &actions)
        case let .requestArrived(request, target, caller):
            arrived(request, target: target, caller: caller, now: now, into: &actions)
        case let .requestFinished(request):
            finish(request, now: now, into: &actions)
        case let .requestTimedOut(request):
            cluster.callerLeft(request)
            cluster.timeOut(request, into: &actions)
        case let .instanceReady(instance):
            if cluster.beginServing(instance, now: now, into: &actions) {
                policy.instanceIdle(instance, &cluster, now: now, into: &actions)
            }
            if !cluster.pendingShifts.isEmpty { applyReadyShifts(now: now, into: &actions) }
        case let .instanceFailed(instance):
            instanceFailed(instance, now: now, into: &actions)
        case let .nodeReady(node):
            cluster.markNodeReady(node, now: now, into: &actions)
        case let .timerFired(timer):
            if timer.index >= TimerID.firstInstanceTimer {
                let instance = InstanceID(timer.index - TimerID.firstInstanceTimer)
                if cluster.keepAliveArmed(instance) {
                    cluster.disarmKeepAlive(instance)
                    policy.timerFired(timer, &cluster, now: now, into: &actions)
                }
            } else {
                policy.timerFired(timer, &cluster, now: now, into: &actions)
            }
        case let .jobSubmitted(job):
            cluster.submitJob(job, order: jobsSubmitted)
            jobsSubmitted += 1
            cluster.jobCheckPending = true
        case let .jobFinished(job):
            cluster.finishJob(job, now: now)
            cluster.jobCheckPending = true
            scheduleJobs(now: now, into: &actions)
            policy.nodesReturned(&cluster, now: now, into: &actions)
        case let .rolloutStep(rollout, step):
            rolloutStep(rollout, step: step, now: now, into: &actions)
        case let .nodeInterruptionNotice(node):
            if cluster.nodes[node.index].state != .free {
                cluster.cordon(node)
                policy.nodeInterruptionNotice(node, &cluster, now: now, into: &actions)
            }
        case let .nodeInterrupted(node):
            nodeInterrupted(node, now: now, into: &actions)
        case let .engineMetrics(model, kvCacheUsage, waiting, tokensPerSecond):
            cluster.engineReports[model.index] = EngineMetrics(kvCacheUsage: kvCacheUsage, waiting: waiting, tokensPerSecond: tokensPerSecond)
        }
        if cluster.jobCheckPending { scheduleJobs(now: now, into: &actions) }
    }

    /// `handle(.requestArrived(request, target:, caller:), at: now, into: &actions)`, as a
    /// method of its own: a host's per-request loop calls it directly, so neither the input
    /// enum nor `handle`'s switch stands between it and the request path.
    ///
    /// - Complexity: O(1) amortized when a slot is free or the queue takes the request.
    @inlinable @inline(__always)
    public mutating func requestArrived(_ request: RequestID, target: TargetID, caller: CallerID = CallerID(0),
                                        at now: TimePoint, into actions: inout [SchedulerAction]) {
        cluster.prepareToChange()
        arrived(request, target: target, caller: caller, now: now, into: &actions)
        if cluster.jobCheckPending { scheduleJobs(now: now, into: &actions) }
    }

    /// `requestArrived` for a request whose prompt the host names by its blocks (`prefix`,
    /// root first, the host's dense ids) and, when it belongs to one, its conversation
    /// (`session`, a dense id; -1: none): a cache-aware model routes it by its blocks
    /// (`Cluster.availableInstance(_:prefix:)`), a session-affinity model by its
    /// conversation (`Cluster.availableInstance(_:session:)`); any other routes it as
    /// `requestArrived`.
    ///
    /// - Complexity: as `requestArrived`, plus O(blocks of the prompt + instances with a free
    ///   slot) for a cache-aware model.
    @inlinable
    public mutating func requestArrived(_ request: RequestID, target: TargetID, caller: CallerID = CallerID(0),
                                        prefix: UnsafeBufferPointer<Int32>, session: Int32 = -1, at now: TimePoint,
                                        into actions: inout [SchedulerAction]) {
        cluster.prepareToChange()
        cluster.beginRequest(request, target: target, now: now)
        if cluster.admitCaller(request, caller) {
            let model = cluster.currentModel(of: request)
            policy.requestArrived(for: model, &cluster, now: now)
            let sticky = cluster.modelTable[slot: model.index].sessionAffinity
            if let instance = sticky ? cluster.availableInstance(model, session: session) : cluster.availableInstance(model, prefix: prefix) {
                cluster.dispatch(request, to: instance, now: now, into: &actions)
                if cluster.modelTable[slot: model.index].cacheAware { cluster.noteRouted(prefix, to: instance) }
                if sticky { cluster.noteSession(session, to: instance) }
            } else {
                noFreeSlot(request, model: model, now: now, into: &actions)
            }
        } else {
            cluster.turnAway(request, reason: .quota, into: &actions)
        }
        if cluster.jobCheckPending { scheduleJobs(now: now, into: &actions) }
    }

    /// A request arrived: admitted (served, bound to a starting instance or queued) or turned
    /// away. The body of `requestArrived`, which `handle` calls after its own `prepareToChange`.
    @inlinable @inline(__always)
    mutating func arrived(_ request: RequestID, target: TargetID, caller: CallerID, now: TimePoint,
                          into actions: inout [SchedulerAction]) {
        cluster.beginRequest(request, target: target, now: now)
        if cluster.admitCaller(request, caller) {
            admit(request, now: now, into: &actions)
        } else {
            cluster.turnAway(request, reason: .quota, into: &actions)
        }
    }

    /// `handle(.requestFinished(request), at: now, into: &actions)`, as a method of its own
    /// (see `requestArrived`).
    ///
    /// - Complexity: O(1) amortized when the instance refills from its queue.
    @inlinable @inline(__always)
    public mutating func requestFinished(_ request: RequestID, at now: TimePoint, into actions: inout [SchedulerAction]) {
        cluster.prepareToChange()
        finish(request, now: now, into: &actions)
        if cluster.jobCheckPending { scheduleJobs(now: now, into: &actions) }
    }

    /// A rollout step: the policy starts what the new weight needs (a canary's share, or for
    /// blue-green the new version at the size of the live ones) and says how many instances
    /// must be ready; the weight takes effect once they are (at once when none are needed).
    @usableFromInline
    mutating func rolloutStep(_ k: Int, step: Int, now: TimePoint, into actions: inout [SchedulerAction]) {
        let plan = cluster.configuration.rollouts[k]
        let weight = plan.blueGreen ? 1000 : plan.weights[step]
        cluster.awaitShift(k, weight: weight, needed: Int.max)   // preparing: not retired meanwhile
        let needed = policy.prepareShift(plan.variant, weight: weight, blueGreen: plan.blueGreen, &cluster, now: now, into: &actions)
        cluster.awaitShift(k, weight: weight, needed: needed)
        applyReadyShifts(now: now, into: &actions)
    }

    /// Applies waiting rollout steps whose instances are ready, then lets the policy retire
    /// what lost its traffic.
    @usableFromInline
    mutating func applyReadyShifts(now: TimePoint, into actions: inout [SchedulerAction]) {
        for variant in cluster.applyReadyShifts() {
            policy.trafficShifted(variant, &cluster, now: now, into: &actions)
        }
    }

    /// Gives nodes to waiting training jobs, the head of the queue first (highest priority,
    /// then first submitted): empty nodes, then nodes the policy adds, then (for a job that
    /// outranks serving) serving nodes, then nodes of lower-priority jobs. A job starts once
    /// all its nodes are ready and empty; jobs behind a head that cannot start wait (gang
    /// scheduling without backfill, so a large job is not starved by small ones).
    @usableFromInline
    mutating func scheduleJobs(now: TimePoint, into actions: inout [SchedulerAction]) {
        cluster.jobCheckPending = false
        while let job = cluster.headOfQueue() {
            let spec = cluster.configuration.jobs[job.index]
            var missing = cluster.claimEmptyNodes(for: job)
            if missing > 0 {
                policy.provideNodes(forJob: job, type: spec.nodeType, count: missing, &cluster, now: now, into: &actions)
                missing = cluster.missingNodes(job)
            }
            if missing > 0 && spec.priority > 0 { missing = cluster.claimServingNodes(for: job, now: now, into: &actions) }
            if missing > 0 { missing = cluster.preemptJobs(for: job, now: now, into: &actions) }
            guard cluster.startJobIfReady(job, into: &actions) else { break }
        }
        // Starting or stopping here may have emptied held nodes again; they are handled now.
        cluster.jobCheckPending = false
    }

    /// An instance died on its own: requests in service on it fail, and the policy may
    /// replace it.
    @usableFromInline
    mutating func instanceFailed(_ instance: InstanceID, now: TimePoint, into actions: inout [SchedulerAction]) {
        guard let (model, wanted, failed) = cluster.failInstance(instance, now: now, into: &actions) else { return }
        for request in failed { cluster.turnAway(request, reason: .workerFailed, into: &actions) }
        policy.instanceFailed(model: model, wasWanted: wanted, &cluster, now: now, into: &actions)
        if !cluster.pendingShifts.isEmpty { applyReadyShifts(now: now, into: &actions) }
    }

    /// A spot node was reclaimed: requests cut off there are retried as new arrivals of their
    /// current stage (a load balancer's retry on a reset connection) or failed, as the node
    /// type says; then the policy may replace the node.
    @usableFromInline
    mutating func nodeInterrupted(_ node: NodeID, now: TimePoint, into actions: inout [SchedulerAction]) {
        guard cluster.nodes[node.index].state != .free else { return }
        let type = cluster.nodes[node.index].type
        let retry = cluster.configuration.nodeTypes[type.index].retriesInterrupted
        for request in cluster.reclaim(node, now: now, into: &actions) {
            if retry {
                admit(request, now: now, into: &actions)
            } else {
                cluster.turnAway(request, reason: .interrupted, into: &actions)
            }
        }
        policy.nodeReclaimed(type: type, &cluster, now: now, into: &actions)
    }

    /// Sends the request's current stage to a free slot, or queues it, or turns it away.
    @inlinable @inline(__always)
    mutating func admit(_ request: RequestID, now: TimePoint, into actions: inout [SchedulerAction]) {
        let model = cluster.currentModel(of: request)
        policy.requestArrived(for: model, &cluster, now: now)
        if let instance = cluster.availableInstance(model) {
            cluster.dispatch(request, to: instance, now: now, into: &actions)
            return
        }
        noFreeSlot(request, model: model, now: now, into: &actions)
    }

    /// No instance of the model has a free slot for the request: the policy says whether it
    /// queues, waits for a starting instance or is turned away.
    @inlinable @inline(__always)
    mutating func noFreeSlot(_ request: RequestID, model: ModelID, now: TimePoint, into actions: inout [SchedulerAction]) {
        switch policy.noFreeSlot(for: model, &cluster, now: now, into: &actions) {
        case .queue:
            if !cluster.enqueue(request, model: model) {
                cluster.turnAway(request, reason: .queueFull, into: &actions)
            }
        case let .reject(reason):
            cluster.turnAway(request, reason: reason, into: &actions)
        case let .waitFor(instance):
            cluster.bind(request, to: instance)
        }
    }

    /// The current stage of a request ended on its instance.
    @inlinable @inline(__always)
    mutating func finish(_ request: RequestID, now: TimePoint, into actions: inout [SchedulerAction]) {
        let instance = cluster.endService(request, now: now)
        // Refill the instance first, so requests already queued keep their FIFO turn.
        if cluster.afterService(instance, now: now, into: &actions) {
            policy.instanceIdle(instance, &cluster, now: now, into: &actions)
        }
        if cluster.advance(request, into: &actions) {
            admit(request, now: now, into: &actions)
        }
    }
}
