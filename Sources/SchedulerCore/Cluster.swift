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

/// The bookkeeping of the scheduler core: nodes, instances, queues and requests, and the
/// mechanics that change them (placement, dispatch, start and stop). Policies decide; the
/// cluster carries out their decisions and keeps the tables consistent.
public struct Cluster: Sendable {
    public let configuration: ClusterConfiguration
    public internal(set) var nodes: [NodeRecord] = []
    /// The instance slots (read-only: the core writes them through `instanceTable`).
    public var instances: RecordTable<InstanceRecord> { instanceTable }
    public internal(set) var models: [ModelRecord] {
        _read { yield modelTable }
        _modify { yield &modelTable }
    }
    /// The storage of `instances` and `models` (and of `callerInFlight` below), named apart so
    /// the inlinable request path can change them: a `public internal(set)` property's setter
    /// cannot be used from inlinable code, and the request path is inlined into the host.
    @usableFromInline var instanceTable = RecordTable<InstanceRecord>()
    @usableFromInline var modelTable: [ModelRecord]
    var freeNodes: [Int32] = []
    /// The nodes an instance may go on, grouped for best-fit placement (Cluster+Placement).
    @usableFromInline var roomIndex = RoomIndex()
    var freeInstances: [Int32] = []

    /// Per-request records, indexed by request slot; grown when the host uses a larger slot.
    @usableFromInline var requests = RecordTable<RequestRecord>()
    /// Requests in flight per caller with a quota (by caller id).
    public internal(set) var callerInFlight: [Int] {
        _read { yield callerInFlightTable }
        _modify { yield &callerInFlightTable }
    }
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

    public init(configuration: ClusterConfiguration) {
        self.configuration = configuration
        modelTable = [ModelRecord](repeating: ModelRecord(), count: configuration.models.count)
        for (m, spec) in configuration.models.enumerated() { modelTable[m].leastLoaded = spec.routing == .leastLoaded }
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

    /// Gives the record tables storage of their own if a copy of the cluster shares it. Every
    /// public mutating entry (the scheduler's inputs, and the cluster's methods policies and
    /// tests call) starts with it; after it, the tables are written without a check per write
    /// (`RecordTable`).
    ///
    /// - Complexity: O(1); O(records) right after the cluster was copied.
    @inlinable @inline(__always) public mutating func prepareToChange() {
        requests.makeUnique()
        instanceTable.makeUnique()
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
        let m = modelTable[model.index]
        return (m.replicas - m.ready) * configuration.models[model.index].concurrency
    }

    // MARK: Integrals

    /// Brings the model's utilisation integrals up to `now`.
    @inlinable @inline(__always) mutating func integrate(_ model: Int, now: TimePoint) {
        guard configuration.tracksUtilisation else { return }
        let dt = Double(now.nanoseconds - modelTable[model].lastIntegration.nanoseconds)
        if dt > 0 {
            let k = Double(configuration.models[model].concurrency)
            modelTable[model].busySlotTime += Double(modelTable[model].busySlots) * dt
            modelTable[model].readySlotTime += Double(modelTable[model].ready + modelTable[model].draining) * k * dt
            modelTable[model].lastIntegration = now
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
        let head = modelTable[model].availableHead
        instanceTable[slot: i].previous = -1
        instanceTable[slot: i].next = head
        if head >= 0 { instanceTable[slot: Int(head)].previous = Int32(i) }
        modelTable[model].availableHead = Int32(i)
        instanceTable[slot: i].available = true
    }

    @inlinable @inline(__always) mutating func unlinkAvailable(_ i: Int) {
        let model = instanceTable[slot: i].model.index
        let p = instanceTable[slot: i].previous, n = instanceTable[slot: i].next
        if p >= 0 { instanceTable[slot: Int(p)].next = n } else { modelTable[model].availableHead = n }
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
        let head = modelTable[model.index].availableHead
        guard head >= 0 else { return nil }
        if modelTable[model.index].leastLoaded { return Self.leastLoaded(instanceTable, from: head) }
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
        if configuration.countsBusySlots || configuration.tracksUtilisation { modelTable[model].busySlots += 1 }
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
        while let raw = modelTable[model].queue.popFirst() {
            let r = Int(raw)
            if requests[slot: r].state == .queued {
                modelTable[model].queued -= 1
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
        while Int(instanceTable[slot: i].inFlight) < k, modelTable[model].queued > 0, let r = dequeue(model, into: &actions) {
            dispatch(r, to: instance, now: now, into: &actions)
        }
        if Int(instanceTable[slot: i].inFlight) < k, !instanceTable[slot: i].available { pushAvailable(i) }
        if instanceTable[slot: i].inFlight == 0 {
            instanceTable[slot: i].idleSince = now
            return true
        }
        return false
    }

    // MARK: Instances

    mutating func allocateInstance(model: ModelID, now: TimePoint) -> Int {
        let record = InstanceRecord(model: model, node: -1, state: .pending, inFlight: 0,
                                    readyAt: .distantFuture, idleSince: now, previous: -1, next: -1,
                                    available: false, keepAliveArmed: false)
        liveInstances += 1
        if let slot = freeInstances.popLast() {
            instanceTable[slot: Int(slot)] = record
            return Int(slot)
        }
        instanceTable.append(record)
        return instanceTable.count - 1
    }

    /// Starts an instance of `model`: on a node with room (best fit) when the plan has nodes,
    /// else on provider capacity. With no room it stays `pending` for the node autoscaler.
    /// `warm` instances are ready at once (capacity that exists from the start).
    @discardableResult
    public mutating func startInstance(_ model: ModelID, warm: Bool, now: TimePoint,
                                       into actions: inout [SchedulerAction]) -> InstanceID {
        prepareToChange()
        integrate(model.index, now: now)
        let i = allocateInstance(model: model, now: now)
        models[model.index].replicas += 1
        models[model.index].unplaced += 1
        if configuration.usesNodes {
            pendingInstances += 1
            _ = place(i, warm: warm, now: now, into: &actions)
        } else {
            models[model.index].unplaced -= 1
            launch(i, warm: warm, now: now, into: &actions)
        }
        return InstanceID(i)
    }

    /// Emits the host action that starts an instance that has its node (or needs none).
    mutating func launch(_ i: Int, warm: Bool, now: TimePoint, into actions: inout [SchedulerAction]) {
        let node: NodeID? = instanceTable[slot: i].node >= 0 ? NodeID(Int(instanceTable[slot: i].node)) : nil
        actions.append(.startInstance(InstanceID(i), model: instanceTable[slot: i].model, node: node, warm: warm))
        if warm {
            instanceTable[slot: i].state = .starting
            _ = markReady(InstanceID(i), now: now, into: &actions)
        } else {
            instanceTable[slot: i].state = .starting
        }
    }

    /// Tries to place a pending instance on a node with room. Ready nodes first, then booting
    /// ones; among those the best fit (least room left), then the lowest node index.
    mutating func place(_ i: Int, warm: Bool, now: TimePoint, into actions: inout [SchedulerAction]) -> Bool {
        let model = instanceTable[slot: i].model.index
        let spec = configuration.models[model]
        let best = bestNode(for: model)
        #if HEADROOM_INVARIANTS
        precondition(best == bestNodeByScan(for: model), "the placement index chose node \(best), a full scan \(bestNodeByScan(for: model))")
        #endif
        guard best >= 0 else { return false }
        nodes[best].free = nodes[best].free - spec.requires
        nodes[best].instances += 1
        nodeChanged(best)
        instanceTable[slot: i].node = Int32(best)
        pendingInstances -= 1
        if nodes[best].state == .ready {
            models[model].unplaced -= 1
            launch(i, warm: warm, now: now, into: &actions)
        } else {
            instanceTable[slot: i].state = .waitingForNode
        }
        return true
    }

    /// Places pending instances on nodes with room, in slot order. Returns how many remain pending.
    @discardableResult
    public mutating func placePending(now: TimePoint, into actions: inout [SchedulerAction]) -> Int {
        prepareToChange()
        if pendingInstances == 0 { return 0 }
        for i in 0..<instances.count where instanceTable[slot: i].state == .pending {
            _ = place(i, warm: false, now: now, into: &actions)
        }
        return pendingInstances
    }

    /// Marks a starting instance ready and fills it from the queue.
    mutating func markReady(_ instance: InstanceID, now: TimePoint, into actions: inout [SchedulerAction]) -> Bool {
        let i = instance.index
        let model = instanceTable[slot: i].model.index
        integrate(model, now: now)
        instanceTable[slot: i].state = .ready
        instanceTable[slot: i].readyAt = now
        models[model].ready += 1
        let reserved = instanceTable[slot: i].reservedFor
        if reserved >= 0 {
            instanceTable[slot: i].reservedFor = -1
            if requests[slot: Int(reserved)].state == .bound {
                dispatch(RequestID(Int(reserved)), to: instance, now: now, into: &actions)
            } else {
                requests[slot: Int(reserved)].state = .free
                actions.append(.release(RequestID(Int(reserved))))
            }
        }
        return refill(instance, now: now, into: &actions)
    }

    /// Stops an instance: at once when it serves nothing, otherwise after its requests finish
    /// (it drains). Instances not yet started on the host are simply forgotten.
    public mutating func stopInstance(_ instance: InstanceID, now: TimePoint, into actions: inout [SchedulerAction]) {
        prepareToChange()
        let i = instance.index
        let model = instanceTable[slot: i].model.index
        integrate(model, now: now)
        let state = instanceTable[slot: i].state
        if state == .free || state == .draining { return }
        models[model].replicas -= 1
        if state == .ready { models[model].ready -= 1 }
        if state == .pending || state == .waitingForNode { models[model].unplaced -= 1 }
        if state == .pending { pendingInstances -= 1 }
        if instanceTable[slot: i].available { unlinkAvailable(i) }
        if instanceTable[slot: i].inFlight > 0 {
            instanceTable[slot: i].state = .draining
            models[model].draining += 1
            return
        }
        release(i, now: now, into: &actions)
    }

    /// Stops `count` instances of the model, choosing as a ReplicaSet scale-down does: those
    /// not yet serving first (pending, waiting for a node, starting), then idle ones, then the
    /// least busy (which drain), newest first within each group.
    public mutating func scaleDown(_ model: ModelID, by count: Int, now: TimePoint, into actions: inout [SchedulerAction]) {
        prepareToChange()
        var candidates: [(rank: Int, load: Int32, slot: Int)] = []
        for (i, instance) in instances.enumerated() where instance.model == model {
            let rank: Int
            switch instance.state {
            case .pending: rank = 0
            case .waitingForNode: rank = 1
            case .starting: rank = 2
            case .ready: rank = instance.inFlight == 0 ? 3 : 4
            case .free, .draining: continue
            }
            candidates.append((rank, instance.inFlight, i))
        }
        candidates.sort { ($0.rank, $0.load, -$0.slot) < ($1.rank, $1.load, -$1.slot) }
        for c in candidates.prefix(count) { stopInstance(InstanceID(c.slot), now: now, into: &actions) }
    }

    /// Frees an instance slot and its node resources.
    @usableFromInline mutating func release(_ i: Int, now: TimePoint, into actions: inout [SchedulerAction]) {
        let state = instanceTable[slot: i].state
        let model = instanceTable[slot: i].model.index
        if state == .draining { models[model].draining -= 1 }
        if state == .starting || state == .ready || state == .draining {
            actions.append(.stopInstance(InstanceID(i)))
        }
        if instanceTable[slot: i].keepAliveArmed {
            actions.append(.cancelTimer(.keepAlive(InstanceID(i))))
            instanceTable[slot: i].keepAliveArmed = false
        }
        let n = Int(instanceTable[slot: i].node)
        if n >= 0 {
            nodes[n].free = nodes[n].free + configuration.models[model].requires
            nodes[n].instances -= 1
            nodeChanged(n)
            if nodes[n].instances == 0 {
                nodes[n].emptySince = now
                if nodes[n].heldBy >= 0 { jobCheckPending = true }
            }
        }
        let reserved = instanceTable[slot: i].reservedFor
        if reserved >= 0 {
            // Stopped before it served the request it was started for: that request queues.
            instanceTable[slot: i].reservedFor = -1
            let r = Int(reserved)
            if requests[slot: r].state == .bound {
                requests[slot: r].state = .queued
                models[model].queue.append(reserved)
                models[model].queued += 1
            } else {
                requests[slot: r].state = .free
                actions.append(.release(RequestID(r)))
            }
        }
        instanceTable[slot: i].state = .free
        instanceTable[slot: i].node = -1
        liveInstances -= 1
        freeInstances.append(Int32(i))
    }

    /// Sets the keep-alive timer of an instance.
    public mutating func armKeepAlive(_ instance: InstanceID, at deadline: TimePoint, into actions: inout [SchedulerAction]) {
        prepareToChange()
        instanceTable[slot: instance.index].keepAliveArmed = true
        actions.append(.setTimer(.keepAlive(instance), at: deadline))
    }

    /// Notes that the keep-alive timer of an instance fired.
    public mutating func disarmKeepAlive(_ instance: InstanceID) {
        prepareToChange()
        instanceTable[slot: instance.index].keepAliveArmed = false
    }

    // MARK: Nodes

    /// Provisions a node. `warm` nodes are ready at once.
    @discardableResult
    public mutating func startNode(_ type: NodeTypeID, warm: Bool, now: TimePoint,
                                   into actions: inout [SchedulerAction]) -> NodeID {
        prepareToChange()
        var record = NodeRecord(type: type, state: warm ? .ready : .booting,
                                free: configuration.nodeTypes[type.index].capacity,
                                instances: 0, emptySince: now)
        record.requestedAt = now
        let n: Int
        if let slot = freeNodes.popLast() {
            n = Int(slot)
            nodes[n] = record
        } else {
            nodes.append(record)
            n = nodes.count - 1
        }
        nodeChanged(n)
        liveNodes[type.index] += 1
        actions.append(.startNode(NodeID(n), type: type, warm: warm))
        return NodeID(n)
    }

    /// Gives up on a node that never became ready (the cloud could not provide it): the
    /// instances placed on it wait for a node again, a job that claimed it loses the claim,
    /// and the host releases the request.
    public mutating func abandonNode(_ node: NodeID, now: TimePoint, into actions: inout [SchedulerAction]) {
        prepareToChange()
        let n = node.index
        guard nodes[n].state == .booting else { return }
        for i in 0..<instances.count where Int(instanceTable[slot: i].node) == n && instanceTable[slot: i].state != .free {
            precondition(instanceTable[slot: i].state == .waitingForNode, "an instance runs on a node that is not ready")
            nodes[n].free = nodes[n].free + configuration.models[instanceTable[slot: i].model.index].requires
            nodes[n].instances -= 1
            nodeChanged(n)
            instanceTable[slot: i].node = -1
            instanceTable[slot: i].state = .pending
            pendingInstances += 1
        }
        let job = Int(nodes[n].heldBy)
        if job >= 0 {
            jobs[job].nodes.removeAll { $0 == node.raw }
            nodes[n].heldBy = -1
            nodeChanged(n)
            jobCheckPending = true
        }
        stopNode(node, into: &actions)
    }

    /// Nodes still booting that were requested at or before `deadline`, in slot order: the
    /// launches a provisioning watchdog gives up.
    ///
    /// - Complexity: O(nodes).
    public func nodesBooting(requestedBy deadline: TimePoint) -> [NodeID] {
        nodes.indices.filter { nodes[$0].state == .booting && nodes[$0].requestedAt <= deadline }.map { NodeID($0) }
    }

    /// Cordons a node (nothing new is placed on it).
    public mutating func cordon(_ node: NodeID) {
        prepareToChange()
        nodes[node.index].cordoned = true
        nodeChanged(node.index)
    }

    /// Releases an empty node.
    public mutating func stopNode(_ node: NodeID, into actions: inout [SchedulerAction]) {
        prepareToChange()
        let n = node.index
        precondition(nodes[n].instances == 0, "stopping a node that holds instances")
        liveNodes[nodes[n].type.index] -= 1
        nodes[n].state = .free
        nodeChanged(n)
        freeNodes.append(Int32(n))
        actions.append(.stopNode(node))
    }

    /// Marks a booting node ready and starts the instances placed on it.
    @usableFromInline
    mutating func markNodeReady(_ node: NodeID, now: TimePoint, into actions: inout [SchedulerAction]) {
        let n = node.index
        guard nodes[n].state == .booting else { return }
        nodes[n].state = .ready
        nodeChanged(n)
        if nodes[n].heldBy >= 0 { jobCheckPending = true }
        for i in 0..<instances.count where instanceTable[slot: i].state == .waitingForNode && Int(instanceTable[slot: i].node) == n {
            models[instanceTable[slot: i].model.index].unplaced -= 1
            launch(i, warm: false, now: now, into: &actions)
        }
    }
}
