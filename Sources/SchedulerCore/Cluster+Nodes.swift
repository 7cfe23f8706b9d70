// The node mechanics of the cluster: provisioning, giving up on a node that never became ready,
// cordoning, releasing, and starting the instances placed on a node once it is ready.

extension Cluster {
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
            modelTable[slot: instanceTable[slot: i].model.index].unplaced -= 1
            launch(i, warm: false, now: now, into: &actions)
        }
    }
}
