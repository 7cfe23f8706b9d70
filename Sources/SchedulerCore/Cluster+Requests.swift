// Request-level mechanics the scheduler calls from `handle`. They are the only entry points
// the generic (inlinable) scheduler uses, so the core's tables can stay internal.

extension Cluster {
    /// Queues the request's current stage if the queue has room: `queueLimit` waiting requests
    /// beyond the slots of instances already on their way.
    @inlinable @inline(__always)
    mutating func enqueue(_ request: RequestID, model: ModelID) -> Bool {
        let m = model.index
        guard modelTable[slot: m].queued < configuration.models[m].queueLimit + comingSlots(model) else { return false }
        modelTable[slot: m].queue.append(request.raw)
        modelTable[slot: m].queued += 1
        requests[slot: request.index].state = .queued
        return true
    }

    /// Counts the request against its caller's quota; false when the caller is at it.
    @inlinable @inline(__always)
    mutating func admitCaller(_ request: RequestID, _ caller: CallerID) -> Bool {
        let c = caller.index
        if c == 0 { return true }   // no caller: nothing counted (beginRequest zeroed quotaCaller)
        guard c > 0, c < configuration.callerQuotas.count, configuration.callerQuotas[c] > 0 else { return true }
        if callerInFlightTable.count <= c { callerInFlightTable.append(contentsOf: repeatElement(0, count: c + 1 - callerInFlightTable.count)) }
        guard callerInFlightTable[c] < configuration.callerQuotas[c] else { return false }
        callerInFlightTable[c] += 1
        requests[slot: request.index].quotaCaller = caller.raw
        return true
    }

    /// The request no longer counts against its caller's quota (it ended for the caller).
    @inlinable @inline(__always)
    mutating func callerLeft(_ request: RequestID) {
        let c = Int(requests[slot: request.index].quotaCaller)
        if c > 0 {
            callerInFlightTable[c] -= 1
            requests[slot: request.index].quotaCaller = 0
        }
    }

    /// Makes the request wait for one starting instance alone.
    @usableFromInline
    mutating func bind(_ request: RequestID, to instance: InstanceID) {
        requests[slot: request.index].state = .bound
        instanceTable[slot: instance.index].reservedFor = request.raw
    }

    /// Rejects a request; `.reject` also hands its slot back to the host.
    @inlinable
    mutating func turnAway(_ request: RequestID, reason: RejectReason, into actions: inout [SchedulerAction]) {
        callerLeft(request)
        requests[slot: request.index].state = .free
        actions.append(.reject(request, reason: reason))
    }

    /// Ends the request's service on its instance; returns the instance.
    @inlinable @inline(__always)
    mutating func endService(_ request: RequestID, now: TimePoint) -> InstanceID {
        let i = Int(requests[slot: request.index].instance)
        precondition(i >= 0, "requestFinished for a request that is not in service")
        let model = instanceTable[slot: i].model.index
        integrate(model, now: now)
        instanceTable[slot: i].inFlight -= 1
        if configuration.countsBusySlots || configuration.tracksUtilisation { modelTable[slot: model].busySlots -= 1 }
        return InstanceID(i)   // `advance` clears the request's instance with its other fields
    }

    /// After a slot of `instance` freed: stop it if it drains and is done, else refill it.
    /// Returns true when the instance is left idle and serving (the policy's keep-alive cue).
    @inlinable @inline(__always)
    mutating func afterService(_ instance: InstanceID, now: TimePoint, into actions: inout [SchedulerAction]) -> Bool {
        let i = instance.index
        if instanceTable[slot: i].state == .draining {
            if instanceTable[slot: i].inFlight == 0 { release(i, now: now, into: &actions) }
            return false
        }
        return refill(instance, now: now, into: &actions)
    }

    /// Moves a request past the stage it finished. Returns true when it has another stage to
    /// admit; otherwise it completed (or had timed out) and its slot is released.
    @inlinable @inline(__always)
    mutating func advance(_ request: RequestID, into actions: inout [SchedulerAction]) -> Bool {
        let r = request.index
        requests[slot: r].instance = -1
        if requests[slot: r].state == .abandonedInService {
            requests[slot: r].state = .free
            actions.append(.release(request))
            return false
        }
        let stages = configuration.targets[Int(requests[slot: r].target)].stages.count
        if Int(requests[slot: r].stage) + 1 < stages {
            requests[slot: r].stage += 1
            requests[slot: r].model = route(configuration.targets[Int(requests[slot: r].target)].stages[Int(requests[slot: r].stage)]).raw
            return true
        }
        callerLeft(request)
        requests[slot: r].state = .free
        actions.append(.complete(request))   // also hands the slot back to the host
        return false
    }

    /// The caller gave up on a request.
    @usableFromInline
    mutating func timeOut(_ request: RequestID, into actions: inout [SchedulerAction]) {
        let r = request.index
        guard r < requests.count else { return }
        switch requests[slot: r].state {
        case .queued:
            requests[slot: r].state = .abandonedQueued
            let model = currentModel(of: request).index
            modelTable[slot: model].queued -= 1
            if modelTable[slot: model].queued == 0 {
                // Nothing live is left behind the timed-out entries: release them now.
                while let raw = modelTable[slot: model].queue.popFirst() {
                    requests[slot: Int(raw)].state = .free
                    actions.append(.release(RequestID(Int(raw))))
                }
            }
        case .inService:
            requests[slot: r].state = .abandonedInService
        case .bound:
            requests[slot: r].state = .abandonedBound
        case .free, .abandonedQueued, .abandonedInService, .abandonedBound:
            break
        }
    }

    /// A starting instance finished its cold start. Returns true when it is left idle.
    @usableFromInline
    mutating func beginServing(_ instance: InstanceID, now: TimePoint, into actions: inout [SchedulerAction]) -> Bool {
        guard instanceTable[slot: instance.index].state == .starting else { return false }
        return markReady(instance, now: now, into: &actions)
    }

    /// Whether the instance's keep-alive timer is set.
    @usableFromInline
    func keepAliveArmed(_ instance: InstanceID) -> Bool {
        instance.index < instances.count && instanceTable[slot: instance.index].keepAliveArmed
    }
}
