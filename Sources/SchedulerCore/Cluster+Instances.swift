// The instance mechanics of the cluster: allocating a slot, starting an instance on a node
// with room (or on provider capacity), readiness, stopping and draining, scale-down's choice,
// and keep-alive timers. Policies decide when; these keep the tables consistent.

extension Cluster {
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
        modelTable[slot: model.index].replicas += 1
        modelTable[slot: model.index].unplaced += 1
        if configuration.usesNodes {
            pendingInstances += 1
            _ = place(i, warm: warm, now: now, into: &actions)
        } else {
            modelTable[slot: model.index].unplaced -= 1
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
            modelTable[slot: model].unplaced -= 1
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
        modelTable[slot: model].ready += 1
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
        modelTable[slot: model].replicas -= 1
        if state == .ready { modelTable[slot: model].ready -= 1 }
        if state == .pending || state == .waitingForNode { modelTable[slot: model].unplaced -= 1 }
        if state == .pending { pendingInstances -= 1 }
        if instanceTable[slot: i].available { unlinkAvailable(i) }
        if instanceTable[slot: i].inFlight > 0 {
            instanceTable[slot: i].state = .draining
            modelTable[slot: model].draining += 1
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
        if state == .draining { modelTable[slot: model].draining -= 1 }
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
                modelTable[slot: model].queue.append(reserved)
                modelTable[slot: model].queued += 1
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
}
