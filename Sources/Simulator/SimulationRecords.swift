// The host's per-slot records of requests, instances and nodes.

/// The host's record of one request slot.
struct RequestSlot {
    /// Bumped when the slot is released: events and deadlines of an earlier request are stale.
    var generation: UInt32 = 0
    /// Its prompt's last block in the run's `PrefixTree` (-1: the prompt has no known prefix).
    var prefix: Int32 = -1
    var id: Int64 = 0
    var arrival: Int64 = 0
    var target: Int32 = 0
    var caller: Int32 = 0
    var version: Int32 = 0
    var input: Int32 = 0
    var output: Int32 = 0
    /// When the current stage was handed to the core (again, after an interruption).
    var stageSince: Int64 = 0
    /// When the current pipeline stage began (for per-stage latency).
    var stageEntered: Int64 = 0
    /// When the service under way ends (its `serviceDone` event's time).
    var serviceEnd: Int64 = -1
    var wait: Int64 = 0
    var firstStart: Int64 = -1
    var instance: Int32 = -1
    var cold = false
    var ended = false
    /// Arrived while a training job ran.
    var duringTraining = false
    /// Service time given by the trace (nanoseconds), or -1.
    var service: Int64 = -1
    /// Graph pipelines: the request this stage belongs to (-1: none), its first live stage
    /// request and the next sibling, the stages still running, the stages left to finish,
    /// and whether its slot waits for its stages to go before it is freed.
    var parent: Int32 = -1
    var firstChild: Int32 = -1
    var nextSibling: Int32 = -1
    var childrenLive: Int32 = 0
    var stagesLeft: Int32 = 0
    var releasePending = false
    /// Pipeline stages finished so far (a graph stage request: its stage index).
    var stage: Int32 = 0
}

/// When a request's service began on an instance whose requests share one process, and what
/// tells whether another request was in service beside it at some moment of it.
struct ServiceMark {
    var began: Int64 = 0
    /// Its instance's service starts before its own.
    var starts: UInt32 = 0
    /// Another request was in service on the instance when it began.
    var shared = false
}

/// A node slot's serving state, for idle cost.
struct NodeIdleRecord {
    var busy: Int32 = 0
    var since: Int64 = 0
    /// The node's price (USD per second), kept here so booking idle time reads one record.
    var pricePerSecond = 0.0
}

/// The host's record of one instance slot.
struct InstanceSlot {
    /// Bumped when the instance starts or stops: its pending ready event is then stale.
    var generation: UInt32 = 0
    var model: Int32 = 0
    var node: Int32 = -1
    var inFlight: Int32 = 0
    var readyAt: Int64 = 0
    var ready = false
    /// Its service-time sampler (`serviceSamplers`: by model, and by node type unless the
    /// provider hosts it), or -1 when it has none (an instance on no node, outside provider
    /// hosting).
    var sampler: Int32 = -1
}
