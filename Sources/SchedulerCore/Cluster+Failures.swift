// Instances that die on their own: a worker process that exits, or one that never becomes
// ready within its start timeout. Only a real runtime observes this; the core keeps its books
// straight and the policy decides about a replacement (`ScalingPolicy.instanceFailed`).

extension Cluster {
    /// Takes a request in service off its instance, which no longer serves it (its worker or
    /// its node is gone; the caller has brought the model's integrals up to date). One that had
    /// timed out is released; the others are returned for the scheduler to retry or fail.
    ///
    /// - Complexity: O(1).
    mutating func takeOff(_ r: Int, into actions: inout [SchedulerAction]) -> RequestID? {
        let i = Int(requests[slot: r].instance)
        instanceTable[slot: i].inFlight -= 1
        if configuration.countsBusySlots || configuration.tracksUtilisation { modelTable[slot: instanceTable[slot: i].model.index].busySlots -= 1 }
        requests[slot: r].instance = -1
        guard requests[slot: r].state != .abandonedInService else {
            requests[slot: r].state = .free
            actions.append(.release(RequestID(r)))
            return nil
        }
        return RequestID(r)
    }

    /// Removes a failed instance. Requests in service on it are returned, in slot order, for
    /// the scheduler to fail; those that had timed out meanwhile are released. A request
    /// waiting for this instance alone queues again. The instance's slot and node room are
    /// freed (`.stopInstance` is emitted for a started one, so the host cleans up).
    ///
    /// Returns the instance's model, whether it was wanted (not draining), and the requests to
    /// fail; nil when the slot holds no live instance (a stale report).
    ///
    /// - Complexity: O(request slots).
    mutating func failInstance(_ instance: InstanceID, now: TimePoint, into actions: inout [SchedulerAction])
        -> (model: ModelID, wanted: Bool, failed: [RequestID])? {
        let i = instance.index
        guard i < instances.count else { return nil }
        let state = instanceTable[slot: i].state
        guard state == .starting || state == .ready || state == .draining else { return nil }
        let model = instanceTable[slot: i].model
        integrate(model.index, now: now)
        var failed: [RequestID] = []
        if instanceTable[slot: i].inFlight > 0 {
            for r in 0..<requests.count where requests[slot: r].instance == Int32(i)
                && (requests[slot: r].state == .inService || requests[slot: r].state == .abandonedInService) {
                if let cut = takeOff(r, into: &actions) { failed.append(cut) }
            }
        }
        if state == .draining {
            release(i, now: now, into: &actions)
        } else {
            stopInstance(instance, now: now, into: &actions)
        }
        return (model, state != .draining, failed)
    }
}
