// Cache-aware routing (`ModelSpec.Routing.cacheAware`): the router's memory of which instance
// it sent each prompt block to, and the choice it makes from it. The host names a request's
// prompt by its blocks, root first, as dense ids of its own (the simulator's prefix tree);
// equal ids are equal prefixes.

extension Cluster {
    /// The instance with a free slot that takes a new request of `model` whose prompt is the
    /// blocks `prefix` (root first): as `availableInstance`, and for a cache-aware model the
    /// instance its longest routed prefix went to when the load is balanced and that prefix is
    /// more than the threshold of its blocks (see `CacheAwareRouting`).
    ///
    /// - Complexity: O(instances with a free slot + blocks of the prompt).
    @inlinable public func availableInstance(_ model: ModelID, prefix: UnsafeBufferPointer<Int32>) -> InstanceID? {
        // Fields read one by one: the record holds the model's queue, which a copy would retain.
        guard modelTable[slot: model.index].cacheAware, !prefix.isEmpty else { return availableInstance(model) }
        let head = modelTable[slot: model.index].availableHead
        guard head >= 0 else { return nil }
        guard case let .cacheAware(rule) = configuration.models[model.index].routing else { return availableInstance(model) }
        // The loads: in flight on the instances with a free slot; a ready instance without
        // one is full.
        var least = head, available = 0
        var low = instanceTable[slot: Int(head)].inFlight, high = low
        var i = head
        while i >= 0 {
            let load = instanceTable[slot: Int(i)].inFlight
            if load < low { low = load; least = i }
            if load > high { high = load }
            available += 1
            i = instanceTable[slot: Int(i)].next
        }
        if modelTable[slot: model.index].ready > available { high = Int32(configuration.models[model.index].concurrency) }
        if Int(high - low) > rule.balanceAbsThreshold && Double(high) > rule.balanceRelThreshold * Double(low) {
            return InstanceID(Int(least))
        }
        // The deepest block of the prompt last sent to an instance that can take it.
        var k = prefix.count - 1
        while k >= 0 {
            let block = Int(prefix[k])
            if block < routedTo.count {
                let j = routedTo[block]
                if j >= 0, Int(j) < instanceTable.count, instanceTable[slot: Int(j)].available,
                   instanceTable[slot: Int(j)].model.index == model.index {
                    return Double(k + 1) > rule.cacheThreshold * Double(prefix.count) ? InstanceID(Int(j)) : InstanceID(Int(least))
                }
            }
            k -= 1
        }
        return InstanceID(Int(least))
    }

    /// The instance with a free slot that takes a new request of `model` in conversation
    /// `session` (-1: none): the one its conversation's previous request went to, while it
    /// can take it; otherwise as `availableInstance` (least loaded).
    ///
    /// - Complexity: O(1) when the conversation's instance can take it; else as
    ///   `availableInstance`.
    @inlinable public func availableInstance(_ model: ModelID, session: Int32) -> InstanceID? {
        if session >= 0 && Int(session) < sessionTo.count {
            let j = sessionTo[Int(session)]
            if j >= 0, Int(j) < instanceTable.count, instanceTable[slot: Int(j)].available,
               instanceTable[slot: Int(j)].model.index == model.index {
                return InstanceID(Int(j))
            }
        }
        return availableInstance(model)
    }

    /// Remembers that conversation `session` went to `instance`.
    ///
    /// - Complexity: O(1) amortized (the table grows to the largest id).
    @inlinable mutating func noteSession(_ session: Int32, to instance: InstanceID) {
        guard session >= 0 else { return }
        if Int(session) >= sessionTo.count {
            sessionTo.append(contentsOf: repeatElement(-1, count: Swift.max(Int(session) + 1, sessionTo.count * 2) - sessionTo.count))
        }
        sessionTo[Int(session)] = Int32(instance.index)
    }

    /// Remembers that the blocks of `prefix` went to `instance`.
    ///
    /// - Complexity: O(blocks of the prompt), amortized (the table grows to the largest id).
    @inlinable mutating func noteRouted(_ prefix: UnsafeBufferPointer<Int32>, to instance: InstanceID) {
        guard let top = prefix.max() else { return }
        if Int(top) >= routedTo.count {
            routedTo.append(contentsOf: repeatElement(-1, count: Swift.max(Int(top) + 1, routedTo.count * 2) - routedTo.count))
        }
        for block in prefix { routedTo[Int(block)] = Int32(instance.index) }
    }
}
