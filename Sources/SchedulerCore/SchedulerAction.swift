/// Why a request was turned away.
public enum RejectReason: UInt8, Sendable, CaseIterable {
    /// The model's queue was full.
    case queueFull
    /// No capacity exists or can be created for the model under this plan.
    case noCapacity
    /// The provider's concurrency limit was reached (HTTP 429 on Lambda).
    case throttled
    /// The caller already has its quota of requests in flight.
    case quota
    /// It was in service on a spot node when the cloud reclaimed it, and the node type fails
    /// such requests rather than retrying them.
    case interrupted
    /// It was in service on an instance whose worker failed (`SchedulerInput.instanceFailed`).
    /// Only a real runtime reports that; simulated runs never produce it.
    case workerFailed

    /// The reasons a simulated run can produce, in report order (the `rejected_*` columns).
    public static let simulated: [RejectReason] = [.queueFull, .noCapacity, .throttled, .quota, .interrupted]

    /// The label used in reports.
    public var label: String {
        switch self {
        case .queueFull: return "queue_full"
        case .noCapacity: return "no_capacity"
        case .throttled: return "throttled"
        case .quota: return "quota"
        case .interrupted: return "interrupted"
        case .workerFailed: return "worker_failed"
        }
    }
}

/// Something the core asks its host to do. Cases are imperative verbs.
public enum SchedulerAction: Sendable, Equatable {
    /// Provision a node of a type. `warm` nodes exist from the start (no boot); otherwise the
    /// host reports `.nodeReady` when it has booted.
    case startNode(NodeID, type: NodeTypeID, warm: Bool)
    /// Release a node. It holds no instances.
    case stopNode(NodeID)
    /// Start an instance of a model, on a node (`nil` for provider-hosted capacity). `warm`
    /// instances are loaded from the start; otherwise the host runs the cold start (image pull
    /// unless cached on the node, runtime init, model load) and reports `.instanceReady`.
    case startInstance(InstanceID, model: ModelID, node: NodeID?, warm: Bool)
    /// Stop an instance. It serves no request.
    case stopInstance(InstanceID)
    /// Serve the request's current stage on the instance. `cold` is true when the request
    /// waited for this instance to start.
    case dispatch(RequestID, instance: InstanceID, cold: Bool)
    /// The request has finished its last stage. The core no longer holds its slot.
    case complete(RequestID)
    /// The request is turned away. The core no longer holds its slot.
    case reject(RequestID, reason: RejectReason)
    /// A timed-out request has left its queue or its instance: the core no longer holds its
    /// slot. (Completed and rejected requests need no release: those actions imply it.)
    case release(RequestID)
    /// Report `.timerFired(timer)` at `at`, replacing any earlier setting of the same timer.
    case setTimer(TimerID, at: TimePoint)
    /// Forget the timer: do not report it.
    case cancelTimer(TimerID)
    /// Stop serving the request at once: its node was reclaimed. The request's instance no
    /// longer serves it; a later action retries it (`dispatch`, or it queues) or rejects it.
    case interrupt(RequestID)
    /// Run the training job on the nodes it holds (`Cluster.jobs[job].nodes`, all ready and
    /// empty); report `.jobFinished` when its work is done.
    case startJob(JobID)
    /// Stop the running training job at once: a job of higher priority took its nodes. The core
    /// has queued it again; its work restarts from the beginning when it next starts.
    case stopJob(JobID)
}
