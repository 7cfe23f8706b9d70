/// The lifecycle state of an instance slot.
public enum InstanceState: UInt8, Sendable {
    /// The slot is unused.
    case free
    /// Wanted, but no node has room: waits for the node autoscaler.
    case pending
    /// Placed on a node that is still booting; starts when the node is ready.
    case waitingForNode
    /// Cold-starting (image pull, runtime init, model load) on the host.
    case starting
    /// Serving.
    case ready
    /// Being removed: takes no new request and stops once its requests finish.
    case draining
}

/// The lifecycle state of a node slot.
public enum NodeState: UInt8, Sendable {
    case free, booting, ready
}

/// Where a request stands inside the core.
public enum RequestState: UInt8, Sendable {
    case free
    /// Waiting in its current stage's model queue.
    case queued
    /// Being served on `instance`.
    case inService
    /// Timed out while served: the instance finishes the work, then the slot is released.
    case abandonedInService
    /// Timed out while queued: skipped when it reaches the queue's front, then released.
    case abandonedQueued
    /// Waiting for the one instance started for it (`InstanceRecord.reservedFor`).
    case bound
    /// Timed out while bound: released when its instance becomes ready.
    case abandonedBound
}

/// One request slot, as the core sees it.
public struct RequestRecord: Sendable {
    public var state: RequestState = .free
    /// The stage (index into the target's stages) being served or waited for.
    public var stage: Int32 = 0
    public var target: Int32 = 0
    /// The instance serving it, or -1.
    public var instance: Int32 = -1
    public var arrival = TimePoint.zero
    /// The caller counted against a quota, or 0.
    public var quotaCaller: Int32 = 0
    /// The model its current stage runs on (the version the traffic split chose).
    public var model: Int32 = 0

    @inlinable init(state: RequestState, stage: Int32, target: Int32, instance: Int32, arrival: TimePoint,
                    quotaCaller: Int32, model: Int32) {
        self.state = state
        self.stage = stage
        self.target = target
        self.instance = instance
        self.arrival = arrival
        self.quotaCaller = quotaCaller
        self.model = model
    }

    @inlinable init() {}
}

/// One instance slot.
public struct InstanceRecord: Sendable {
    public var model: ModelID
    /// The node index, or -1 (pending, or provider-hosted).
    public var node: Int32
    public var state: InstanceState
    /// Requests being served.
    public var inFlight: Int32
    /// When it became ready (`distantFuture` before that).
    public var readyAt: TimePoint
    /// When it last became idle (no request in flight).
    public var idleSince: TimePoint
    /// Links of the model's list of instances with a free slot (most recently used first).
    @usableFromInline var previous: Int32
    @usableFromInline var next: Int32
    @usableFromInline var available: Bool
    /// Whether its keep-alive timer is set.
    public var keepAliveArmed: Bool
    /// The request waiting for this instance alone, or -1.
    public var reservedFor: Int32 = -1
}

/// One node slot.
public struct NodeRecord: Sendable {
    public var type: NodeTypeID
    public var state: NodeState
    /// Allocatable resources not reserved by instances.
    public var free: Resources
    /// Instances placed on the node (any state).
    public var instances: Int32
    /// When its last instance left (meaningful while `instances == 0`).
    public var emptySince: TimePoint
    /// The training job that holds (or has claimed) the node, or -1. No instance is placed
    /// on a held node.
    public var heldBy: Int32 = -1
    /// When it was requested.
    public var requestedAt = TimePoint.zero
    /// Being drained by the node layer: nothing new is placed on it.
    public var cordoned = false
}

/// Per-model bookkeeping: the FIFO queue, the free-slot list and counts.
public struct ModelRecord: Sendable {
    /// Requests waiting for a slot. Timed-out entries stay until they reach the front.
    public var queue = RingQueue()
    /// Live (not timed-out) requests in `queue`.
    public var queued = 0
    /// Head of the list of ready instances with a free slot, most recently used first.
    @usableFromInline var availableHead: Int32 = -1
    /// Whether the model routes to its least-loaded instance (`ModelSpec.routing`): kept
    /// here, beside the list it reads (in the head's padding), not in the cluster, which
    /// the arrival path copies.
    @usableFromInline var leastLoaded = false
    /// Whether it routes cache-aware (`ModelSpec.Routing.cacheAware`; `leastLoaded` is set too).
    @usableFromInline var cacheAware = false
    /// Whether it routes by session (`ModelSpec.Routing.sessionAffinity`; `leastLoaded` too).
    @usableFromInline var sessionAffinity = false
    /// Instances wanted and not draining: pending, waiting for a node, starting or ready.
    public var replicas = 0
    /// Of `replicas`, how many are ready.
    public var ready = 0
    /// Of `replicas`, how many are not yet started on a node (pending or waiting for a node).
    public var unplaced = 0
    /// Instances draining.
    public var draining = 0
    /// Requests in service on this model's instances (kept when the configuration
    /// `countsBusySlots`, as it does unless a plan never reads it).
    public var busySlots = 0
    /// ∫ busy slots dt and ∫ ready slots dt (slot·nanoseconds), for utilisation metrics.
    public var busySlotTime: Double = 0
    public var readySlotTime: Double = 0
    @usableFromInline var lastIntegration = TimePoint.zero
}

/// An LLM model's engines as they last reported (`SchedulerInput.engineMetrics`).
public struct EngineMetrics: Sendable, Equatable {
    /// The share of their KV cache in use, 0–1.
    public var kvCacheUsage = 0.0
    /// Requests they hold and have not scheduled yet.
    public var waiting = 0
    /// Output tokens per second they generated together.
    public var tokensPerSecond = 0.0

    public init(kvCacheUsage: Double = 0, waiting: Int = 0, tokensPerSecond: Double = 0) {
        self.kvCacheUsage = kvCacheUsage
        self.waiting = waiting
        self.tokensPerSecond = tokensPerSecond
    }
}

/// Identity only: whether a cluster's tables may be shared (`Cluster.prepareToChange`).
public final class WriteToken: Sendable {
    @usableFromInline init() {}
}

/// The bookkeeping of the scheduler core: nodes, instances, queues and requests, and the
/// mechanics that change them (placement, dispatch, start and stop). Policies decide; the
/// cluster carries out their decisions and keeps the tables consistent.
public struct Cluster: Sendable {
    public let configuration: ClusterConfiguration
    public internal(set) var nodes: [NodeRecord] = []
    /// The instance slots (read-only: the core writes them through `instanceTable`).
    public var instances: RecordTable<InstanceRecord> { instanceTable.pinned(by: writeToken) }
    /// The per-model records (read-only: the core writes them through `modelTable`).
    public var models: RecordTable<ModelRecord> { modelTable.pinned(by: writeToken) }
    /// The storage behind `instances` and `models`: the core writes it (`subscript(slot:)`,
    /// after `prepareToChange`), the public views only read it.
    @usableFromInline var instanceTable = RecordTable<InstanceRecord>()
    @usableFromInline var modelTable: RecordTable<ModelRecord>
    var freeNodes: [Int32] = []
    /// The nodes an instance may go on, grouped for best-fit placement (Cluster+Placement).
    @usableFromInline var roomIndex = RoomIndex()
    var freeInstances: [Int32] = []

    /// Per-request records, indexed by request slot; grown when the host uses a larger slot.
    @usableFromInline var requests = RecordTable<RequestRecord>()
    /// Shared by every copy of this cluster and kept alive by every view of its tables
    /// (`instances`, `models`): while only this cluster holds it, no one else holds the
    /// tables' storage either, so `prepareToChange` checks it alone.
    @usableFromInline var writeToken = WriteToken()
    /// Requests in flight per caller with a quota (by caller id).
    public internal(set) var callerInFlight: [Int] {
        _read { yield callerInFlightTable }
        _modify { yield &callerInFlightTable }
    }
    /// The storage of `callerInFlight`, named apart so the inlinable request path can change
    /// it: a `public internal(set)` property's setter cannot be used from inlinable code.
    @usableFromInline var callerInFlightTable: [Int] = []

    /// Nodes per type that are booting or ready.
    public internal(set) var liveNodes: [Int]
    /// Instances in any non-free state, over all models.
    public internal(set) var liveInstances = 0
    /// Instances in `pending` state, over all models.
    public internal(set) var pendingInstances = 0

    /// Training jobs, by job id.
    public internal(set) var jobs: [JobRecord]
    /// Per model: its variant group, or -1.
    public let groupOf: [Int32]
    /// Per model: its traffic weight within its group (per mille; 1000 outside groups).
    public internal(set) var weights: [Int]
    /// Per model: the smooth weighted round-robin's running score.
    var routeScore: [Int]
    /// Rollout steps waiting for their version's instances to be ready (Argo Rollouts sets a
    /// weight once the canary's pods are available): rollout, weight, ready instances needed.
    public internal(set) var pendingShifts: [(rollout: Int, weight: Int, needed: Int)] = []
    /// Per model: a version being started for a rollout step that has not taken effect yet.
    public internal(set) var preparing: [Bool]
    /// Set when a node held by a job became ready or empty: a job may be able to start.
    @usableFromInline var jobCheckPending = false
    /// Cache-aware routing: by prompt block (the host's prefix ids), the instance a request
    /// holding it was last sent to, or -1 (`Cluster+Routing.swift`).
    @usableFromInline var routedTo: [Int32] = []
    /// Session affinity: by conversation (the host's dense ids), the instance its last
    /// request was sent to, or -1.
    @usableFromInline var sessionTo: [Int32] = []
    /// By model: what its engines last reported (`SchedulerInput.engineMetrics`).
    public var engineMetrics: [EngineMetrics] { engineReports }
    @usableFromInline var engineReports: [EngineMetrics]

    public init(configuration: ClusterConfiguration) {
        self.configuration = configuration
        modelTable = RecordTable(repeating: ModelRecord(), count: configuration.models.count)
        engineReports = [EngineMetrics](repeating: EngineMetrics(), count: configuration.models.count)
        for (m, spec) in configuration.models.enumerated() {
            modelTable[slot: m].leastLoaded = spec.routing != .mostRecentlyUsed
            if case .cacheAware = spec.routing { modelTable[slot: m].cacheAware = true }
            if case .sessionAffinity = spec.routing { modelTable[slot: m].sessionAffinity = true }
        }
        liveNodes = [Int](repeating: 0, count: configuration.nodeTypes.count)
        jobs = [JobRecord](repeating: JobRecord(), count: configuration.jobs.count)
        var groupOf = [Int32](repeating: -1, count: configuration.models.count)
        var weights = [Int](repeating: 1000, count: configuration.models.count)
        for (g, group) in configuration.variantGroups.enumerated() {
            for (k, m) in group.members.enumerated() {
                groupOf[m.index] = Int32(g)
                weights[m.index] = group.weights[k]
            }
        }
        self.groupOf = groupOf
        self.weights = weights
        routeScore = [Int](repeating: 0, count: configuration.models.count)
        preparing = [Bool](repeating: false, count: configuration.models.count)
    }

    // MARK: Copy on write

    /// Gives the record tables storage of their own if a copy of the cluster, or a view of
    /// its tables, shares it. Every public mutating entry (the scheduler's inputs, and the
    /// cluster's methods policies and tests call) starts with it; after it, the tables are
    /// written without a check per write (`RecordTable`).
    ///
    /// One uniqueness check, of `writeToken`, instead of one per table: every way to share a
    /// table's storage (copying the cluster, taking a view) also shares the token. The three
    /// checks were about 2 % of the simulator's instructions per M/M/10 request (two inputs a
    /// request).
    ///
    /// - Complexity: O(1); O(records) right after the cluster was copied.
    @inlinable @inline(__always) public mutating func prepareToChange() {
        if _slowPath(!isKnownUniquelyReferenced(&writeToken)) { makeTablesUnique() }
    }

    /// Copies the tables another cluster or a view shares, and takes a token of its own.
    @usableFromInline mutating func makeTablesUnique() {
        requests.makeUnique()
        instanceTable.makeUnique()
        modelTable.makeUnique()
        writeToken = WriteToken()
    }

    // MARK: Queries

    /// The model a request's current stage runs on (after the traffic split chose a version).
    ///
    /// Inlinable, like `availableInstance`: called from the scheduler's request path, where a
    /// call across the module boundary would first copy the cluster.
    @inlinable public func currentModel(of request: RequestID) -> ModelID {
        ModelID(Int(requests[slot: request.index].model))
    }

    /// Slots of this model's instances that are on their way (not yet ready).
    @inlinable @inline(__always) public func comingSlots(_ model: ModelID) -> Int {
        let m = modelTable[slot: model.index]
        return (m.replicas - m.ready) * configuration.models[model.index].concurrency
    }

    // MARK: Integrals

    /// Brings the model's utilisation integrals up to `now`.
    @inlinable @inline(__always) mutating func integrate(_ model: Int, now: TimePoint) {
        guard configuration.tracksUtilisation else { return }
        let dt = Double(now.nanoseconds - modelTable[slot: model].lastIntegration.nanoseconds)
        if dt > 0 {
            let k = Double(configuration.models[model].concurrency)
            modelTable[slot: model].busySlotTime += Double(modelTable[slot: model].busySlots) * dt
            modelTable[slot: model].readySlotTime += Double(modelTable[slot: model].ready + modelTable[slot: model].draining) * k * dt
            modelTable[slot: model].lastIntegration = now
        }
    }

    // MARK: Requests

    @inlinable @inline(__always) mutating func ensureRequestCapacity(_ index: Int) {
        if index < requests.count { return }
        growRequests(index)
    }

    @usableFromInline mutating func growRequests(_ index: Int) {
        if index < requests.count { return }
        let newCount = Swift.max(index + 1, requests.count * 2, 64)
        requests.append(RequestRecord(), times: newCount - requests.count)
    }

    @inlinable @inline(__always)
    mutating func beginRequest(_ request: RequestID, target: TargetID, now: TimePoint) {
        ensureRequestCapacity(request.index)
        precondition(requests[slot: request.index].state == .free, "request slot \(request.index) reused while held by the core")
        let model = route(configuration.targets[target.index].stages[0]).raw
        // One store of the whole record: one copy-on-write check, not one per field.
        requests[slot: request.index] = RequestRecord(state: .free, stage: 0, target: target.raw, instance: -1, arrival: now,
                                                quotaCaller: 0, model: model)
    }

    // MARK: The free-slot list

    @inlinable @inline(__always) mutating func pushAvailable(_ i: Int) {
        let model = instanceTable[slot: i].model.index
        let head = modelTable[slot: model].availableHead
        instanceTable[slot: i].previous = -1
        instanceTable[slot: i].next = head
        if head >= 0 { instanceTable[slot: Int(head)].previous = Int32(i) }
        modelTable[slot: model].availableHead = Int32(i)
        instanceTable[slot: i].available = true
    }

    @inlinable @inline(__always) mutating func unlinkAvailable(_ i: Int) {
        let model = instanceTable[slot: i].model.index
        let p = instanceTable[slot: i].previous, n = instanceTable[slot: i].next
        if p >= 0 { instanceTable[slot: Int(p)].next = n } else { modelTable[slot: model].availableHead = n }
        if n >= 0 { instanceTable[slot: Int(n)].previous = p }
        instanceTable[slot: i].previous = -1
        instanceTable[slot: i].next = -1
        instanceTable[slot: i].available = false
    }

    /// The ready instance of the model with a free slot that takes a new request: the most
    /// recently used, or for `leastLoaded` routing the one with the fewest in flight.
    ///
    /// Inlined into every arrival: called, it would copy the cluster for `self`.
    ///
    /// - Complexity: O(1); O(instances with a free slot) for `leastLoaded`.
    @inlinable @inline(__always) public func availableInstance(_ model: ModelID) -> InstanceID? {
        let head = modelTable[slot: model.index].availableHead
        guard head >= 0 else { return nil }
        if modelTable[slot: model.index].leastLoaded { return Self.leastLoaded(instanceTable, from: head) }
        return InstanceID(Int(head))
    }

    /// The instance with the fewest in flight in the free-slot list from `head` (ties: the
    /// first, the most recently used). Static, over the table alone: a method would be handed
    /// a copy of the whole cluster on every arrival.
    @usableFromInline static func leastLoaded(_ table: RecordTable<InstanceRecord>, from head: Int32) -> InstanceID {
        var best = head
        var i = table[Int(best)].next
        while i >= 0 {
            if table[Int(i)].inFlight < table[Int(best)].inFlight { best = i }
            i = table[Int(i)].next
        }
        return InstanceID(Int(best))
    }

    // MARK: Dispatch

    /// Serves the request's current stage on the instance.
    @inlinable @inline(__always) mutating func dispatch(_ request: RequestID, to instance: InstanceID, now: TimePoint,
                                      into actions: inout [SchedulerAction]) {
        let i = instance.index
        let model = instanceTable[slot: i].model.index
        integrate(model, now: now)
        instanceTable[slot: i].inFlight += 1
        if configuration.countsBusySlots || configuration.tracksUtilisation { modelTable[slot: model].busySlots += 1 }
        if Int(instanceTable[slot: i].inFlight) >= configuration.models[model].concurrency, instanceTable[slot: i].available {
            unlinkAvailable(i)
        }
        requests[slot: request.index].state = .inService
        requests[slot: request.index].instance = instance.raw
        let cold = requests[slot: request.index].arrival < instanceTable[slot: i].readyAt
        actions.append(.dispatch(request, instance: instance, cold: cold))
    }

    /// Takes the next live request off the model's queue, releasing timed-out entries it skips.
    @inlinable @inline(__always) mutating func dequeue(_ model: Int, into actions: inout [SchedulerAction]) -> RequestID? {
        while let raw = modelTable[slot: model].queue.popFirst() {
            let r = Int(raw)
            if requests[slot: r].state == .queued {
                modelTable[slot: model].queued -= 1
                return RequestID(r)
            }
            requests[slot: r].state = .free
            actions.append(.release(RequestID(r)))
        }
        return nil
    }

    /// Fills the instance's free slots from its model's queue; then files it as available or idle.
    /// Returns true when the instance is left idle (no request in flight).
    @inlinable @inline(__always) mutating func refill(_ instance: InstanceID, now: TimePoint, into actions: inout [SchedulerAction]) -> Bool {
        let i = instance.index
        let model = instanceTable[slot: i].model.index
        let k = configuration.models[model].concurrency
        while Int(instanceTable[slot: i].inFlight) < k, modelTable[slot: model].queued > 0, let r = dequeue(model, into: &actions) {
            dispatch(r, to: instance, now: now, into: &actions)
        }
        if Int(instanceTable[slot: i].inFlight) < k, !instanceTable[slot: i].available { pushAvailable(i) }
        if instanceTable[slot: i].inFlight == 0 {
            instanceTable[slot: i].idleSince = now
            return true
        }
        return false
    }
}
