// Model versions: the traffic split between versions of a model that live at once, and the
// weight changes of a rollout. Which instances to start or stop for a new weight is the
// policy's choice (`ScalingPolicy.trafficShifted`, `prepareVariant`).

extension Cluster {
    /// The model a stage for `model` runs on: `model` itself, or, for a model with versions,
    /// the member the smooth weighted round-robin picks (each member's score grows by its
    /// weight; the highest score wins and pays the total). Over any window the picks follow
    /// the weights to within one request per member.
    ///
    /// - Complexity: O(1) for models without versions, O(members) otherwise.
    @inlinable mutating func route(_ model: ModelID) -> ModelID {
        let g = Int(groupOf[model.index])
        if g < 0 { return model }
        return routeInGroup(model, g)
    }

    @usableFromInline mutating func routeInGroup(_ model: ModelID, _ g: Int) -> ModelID {
        let members = configuration.variantGroups[g].members
        var best = -1, total = 0
        for m in members where weights[m.index] > 0 {
            routeScore[m.index] += weights[m.index]
            total += weights[m.index]
            if best < 0 || routeScore[m.index] > routeScore[best] { best = m.index }
        }
        guard best >= 0 else { return model }
        routeScore[best] -= total
        return ModelID(best)
    }

    /// The model's version group's members, or just the model.
    public func members(ofGroupOf model: ModelID) -> [ModelID] {
        let g = Int(groupOf[model.index])
        return g < 0 ? [model] : configuration.variantGroups[g].members
    }

    /// Whether the model is a version that takes no traffic now and is not being prepared for
    /// a rollout step (before its rollout, or retired by one): it should have no instance.
    public func isRetired(_ model: ModelID) -> Bool {
        groupOf[model.index] >= 0 && weights[model.index] == 0 && !preparing[model.index]
    }

    /// Gives `variant` `weight` per mille of its group's traffic; the other members keep their
    /// proportions of the rest (the remainder of the integer division goes to the largest).
    mutating func setWeight(_ variant: ModelID, _ weight: Int) {
        let group = members(ofGroupOf: variant)
        let rest = group.filter { $0 != variant }
        let others = rest.reduce(0) { $0 + weights[$1.index] }
        weights[variant.index] = weight
        for m in group { routeScore[m.index] = 0 }
        guard !rest.isEmpty else { return }
        let left = 1000 - weight
        if others == 0 {
            weights[rest[0].index] = left
            return
        }
        var largest = rest[0]
        for m in rest where weights[m.index] > weights[largest.index] { largest = m }
        var given = 0
        for m in rest {
            let w = weights[m.index] * left / others
            weights[m.index] = w
            given += w
        }
        weights[largest.index] += left - given
    }

    /// Stops every instance of the model (busy ones drain).
    public mutating func stopAll(_ model: ModelID, now: TimePoint, into actions: inout [SchedulerAction]) {
        prepareToChange()
        for i in 0..<instances.count where instanceTable[slot: i].model == model && instanceTable[slot: i].state != .free {
            stopInstance(InstanceID(i), now: now, into: &actions)
        }
    }

    /// Replicas of the group's members that take traffic.
    public func liveReplicas(ofGroupOf model: ModelID) -> Int {
        members(ofGroupOf: model).reduce(0) { $0 + (weights[$1.index] > 0 ? modelTable[slot: $1.index].replicas : 0) }
    }

    /// Records a rollout step waiting for its version's instances: the weight takes effect
    /// once `needed` of them are ready. A newer step of the same rollout replaces an older one.
    mutating func awaitShift(_ rollout: Int, weight: Int, needed: Int) {
        pendingShifts.removeAll { $0.rollout == rollout }
        pendingShifts.append((rollout, weight, needed))
        preparing[configuration.rollouts[rollout].variant.index] = true
    }

    /// Applies the waiting steps whose version now has its instances ready. Returns the
    /// versions whose weights changed.
    mutating func applyReadyShifts() -> [ModelID] {
        var shifted: [ModelID] = []
        var waiting: [(rollout: Int, weight: Int, needed: Int)] = []
        for entry in pendingShifts {
            let variant = configuration.rollouts[entry.rollout].variant
            if modelTable[slot: variant.index].ready >= entry.needed {
                setWeight(variant, entry.weight)
                preparing[variant.index] = false
                shifted.append(variant)
            } else {
                waiting.append(entry)
            }
        }
        pendingShifts = waiting
        return shifted
    }
}
