// Spot nodes the cloud takes back: a notice, then the node is gone. At the notice the node is
// cordoned and the policy moves its instances (a node termination handler's cordon-and-drain);
// at the interruption whatever still runs there is cut off.

extension Cluster {
    /// Moves the node's instances elsewhere, as a drain does: for each instance on it that is
    /// not already draining, the instance stops (a busy one finishes its requests first) and a
    /// replacement of its model starts cold wherever there is room (or waits for a node).
    /// The model's replica count is unchanged.
    ///
    /// - Complexity: O(instances).
    public mutating func replaceInstances(onNode node: NodeID, now: TimePoint, into actions: inout [SchedulerAction]) {
        prepareToChange()
        for i in 0..<instances.count where Int(instanceTable[slot: i].node) == node.index
            && instanceTable[slot: i].state != .free && instanceTable[slot: i].state != .draining {
            let model = instanceTable[slot: i].model
            stopInstance(InstanceID(i), now: now, into: &actions)
            startInstance(model, warm: false, now: now, into: &actions)
        }
    }

    /// Stops the node's instances without replacing them (busy ones finish first).
    ///
    /// - Complexity: O(instances).
    public mutating func stopInstances(onNode node: NodeID, now: TimePoint, into actions: inout [SchedulerAction]) {
        prepareToChange()
        for i in 0..<instances.count where Int(instanceTable[slot: i].node) == node.index && instanceTable[slot: i].state != .free {
            stopInstance(InstanceID(i), now: now, into: &actions)
        }
    }

    /// The cloud reclaimed the node. Requests in service on it are cut off (`.interrupt`);
    /// those that timed out meanwhile are released, and the others are returned, in slot
    /// order, for the scheduler to retry or fail. The node's instances stop, a training job on
    /// it stops and waits for a node again (keeping its other nodes), and the node is released.
    ///
    /// - Complexity: O(request slots + instances + nodes).
    mutating func reclaim(_ node: NodeID, now: TimePoint, into actions: inout [SchedulerAction]) -> [RequestID] {
        let n = node.index
        guard nodes[n].state != .free else { return [] }
        let job = Int(nodes[n].heldBy)
        if job >= 0 {
            if jobs[job].state == .running {
                actions.append(.stopJob(JobID(job)))
                jobs[job].state = .waiting
                jobs[job].preemptions += 1
            }
            jobs[job].nodes.removeAll { $0 == node.raw }
            nodes[n].heldBy = -1
            nodeChanged(n)
            jobCheckPending = true
        }
        var cutOff: [RequestID] = []
        for r in 0..<requests.count where requests[slot: r].state == .inService || requests[slot: r].state == .abandonedInService {
            let i = Int(requests[slot: r].instance)
            guard i >= 0, Int(instanceTable[slot: i].node) == n else { continue }
            actions.append(.interrupt(RequestID(r)))
            integrate(instanceTable[slot: i].model.index, now: now)
            if let cut = takeOff(r, into: &actions) { cutOff.append(cut) }
        }
        for i in 0..<instances.count where Int(instanceTable[slot: i].node) == n && instanceTable[slot: i].state != .free {
            // Nothing is in flight any more: a draining instance goes now, the others stop at once.
            if instanceTable[slot: i].state == .draining {
                integrate(instanceTable[slot: i].model.index, now: now)
                release(i, now: now, into: &actions)
            } else {
                stopInstance(InstanceID(i), now: now, into: &actions)
            }
        }
        stopNode(node, into: &actions)
        return cutOff
    }
}
