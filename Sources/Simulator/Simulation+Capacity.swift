import SchedulerCore
import Scenario

// Instances, nodes and training jobs on the virtual clock: starting them (cold-start phases,
// image pulls, boots, stock-outs), stopping them, and booking their time and cost.

extension Simulation {
    mutating func startInstance(_ i: Int, model m: Int, node n: Int, warm: Bool) {
        while i >= inst.count { inst.append(InstanceSlot()) }
        inst[i].generation &+= 1
        inst[i].model = Int32(m)
        inst[i].node = Int32(n)
        inst[i].inFlight = 0
        // Worked out once here rather than at every service start: the node's type is fixed.
        inst[i].sampler = physics.providerHosted ? Int32(m) : n >= 0 ? Int32(m * hardwareCount + Int(nodeType[n])) : -1
        if anyEngine { engineInstanceStarted(i, model: m) }
        if sharesCPU { quotaStart(i, model: m, warm: warm) }
        if sharesGPU { gpuPlace(i, model: m, node: n) }
        bookCapacity()
        liveInstances += 1
        if liveInstances > instancesMax { instancesMax = liveInstances }
        if warm {
            inst[i].ready = true
            inst[i].readyAt = now
            return
        }
        inst[i].ready = false
        inst[i].readyAt = Int64.max
        startingInstances += 1
        instanceStarts += 1
        let model = physics.models[m]
        let hw: PlanPhysics.HardwareInfo? = n >= 0 ? physics.hardware[Int(nodeType[n])] : nil
        var ready = now
        if n >= 0, model.image >= 0 {
            let slot = n * physics.imageCount + Int(model.image)
            if nodeImages[slot] == Int64.max {
                var pull = model.pull.nanoseconds(&coldRNG)
                if let size = model.imageSizeGB, let bandwidth = hw?.pullMBps { pull += Sampler.heldNanoseconds(size * 1000 / bandwidth) }
                nodeImages[slot] = now + pull
            }
            ready = Swift.max(ready, nodeImages[slot])  // a pull under way is shared, not repeated
        }
        let pullWait = ready - now
        var initTime = model.initTime.nanoseconds(&coldRNG)
        if m < replayedInits.count {
            // A replayed run's own start of this number (the draw above keeps the stream's
            // position, so the other draws stay those of an unreplayed run).
            let k = coldStartsByModel[m]
            coldStartsByModel[m] += 1
            if k < replayedInits[m].count, replayedInits[m][k] >= 0 { initTime = replayedInits[m][k] }
        }
        var load = model.load.nanoseconds(&coldRNG)
        if let weights = model.weightsGB, let bandwidth = hw?.loadGBps { load += Sampler.heldNanoseconds(weights / bandwidth) }
        let warmup = model.warmup.nanoseconds(&coldRNG)
        ready += initTime + load + warmup
        bookColdPhase(.pull, pullWait)
        bookColdPhase(.initialise, initTime)
        bookColdPhase(.load, load)
        bookColdPhase(.warmup, warmup)
        if physics.providerHosted {
            // The INIT phase is billed (since 1 Aug 2025, AWS Compute Blog; autoscalers.md §4.4).
            let p = physics.pricing
            let initCost = BillingMath.providerDurationCost(
                nanoseconds: initTime + load + warmup, granularity: p.granularity, memoryGB: model.memoryGB,
                perGBSecond: p.perGBSecond, gpus: model.gpus, perGPUSecond: p.perGPUSecond ?? 0)
            providerCost += initCost
            providerInitCost += initCost
        }
        if sharesCPU, n >= 0, let cpu = modelCPU[m], cpu.sharesStartup {
            return shareStartup(i, node: n, cpu: cpu, pulled: now + pullWait, initTime: initTime, load: load, warmup: warmup)
        }
        events.push(time: ready, kind: .instanceReady, subject: Int32(i), generation: inst[i].generation)
    }

    // Idle cost: what a node costs while no request is in service on it.

    /// An instance on node `n` (-1: none) started serving: the node's idle stretch, if it was
    /// idle, is booked.
    @inline(__always) mutating func nodeWentBusyMaybe(_ n: Int) {
        guard n >= 0 else { return }
        if nodeIdle[n].busy == 0 { bookNodeIdle(n) }
        nodeIdle[n].busy += 1
    }

    @inline(__always) mutating func nodeWentIdleMaybe(_ n: Int) {
        guard n >= 0 else { return }
        nodeIdle[n].busy -= 1
        if nodeIdle[n].busy == 0 { nodeIdle[n].since = now }
    }

    @inline(__always) mutating func bookNodeIdle(_ n: Int) {
        let record = nodeIdle.pointer(n)
        // An instance refilled from its queue goes idle and busy again at the same instant:
        // nothing to book (adding +0.0 would leave the sum as it is), and the multiply, divide
        // and add chained through `idleCost` were a third of `startService`'s time.
        guard now != record.pointee.since else { return }
        idleCost += record.pointee.pricePerSecond * Double(now - record.pointee.since) / 1e9
    }

    /// Adds a cold-start phase's duration to the run's and the interval's totals.
    @inline(__always) mutating func bookColdPhase(_ phase: ColdStartPhase, _ nanoseconds: Int64) {
        coldPhases[phase] += Double(nanoseconds) / 1e9
        intervalColdPhases[phase] += Double(nanoseconds) / 1e9
    }

    mutating func stopInstance(_ i: Int) {
        if anyEngine { engineInstanceStopped(i) }
        if sharesCPU && !inst[i].ready { shareDrop(startupOf: i) }
        if sharesGPU { gpuRelease(i) }
        inst[i].generation &+= 1
        bookCapacity()
        liveInstances -= 1
        if !inst[i].ready { startingInstances -= 1 }
        inst[i].ready = false
    }

    /// Whether the cloud cannot fill this node request (a stock-out): its own random stream,
    /// drawn only for node types with a stock-out, so other runs keep their numbers.
    mutating func stockedOut(_ hw: PlanPhysics.HardwareInfo) -> Bool {
        let seconds = Double(now) / 1e9
        if hw.stockoutWindows.contains(where: { $0.contains(seconds) }) { return true }
        return hw.stockoutProbability > 0 && stockoutRNG.uniform() < hw.stockoutProbability
    }

    mutating func startNode(_ n: Int, type t: Int, warm: Bool) {
        if n >= nodeGeneration.count {
            let extra = n + 1 - nodeGeneration.count
            nodeGeneration.append(contentsOf: repeatElement(0, count: extra))
            nodeType.append(contentsOf: repeatElement(0, count: extra))
            nodeStart.append(contentsOf: repeatElement(0, count: extra))
            nodeReady.append(contentsOf: repeatElement(false, count: extra))
            nodeLive.append(contentsOf: repeatElement(false, count: extra))
            nodeImages.append(contentsOf: repeatElement(Int64.max, count: extra * physics.imageCount))
            for _ in 0..<extra { nodeIdle.append(NodeIdleRecord()) }
            nodeFailed.append(contentsOf: repeatElement(false, count: extra))
            nodeNoticed.append(contentsOf: repeatElement(false, count: extra))
        }
        nodeIdle[n] = NodeIdleRecord(busy: 0, since: now, pricePerSecond: physics.hardware[t].pricePerHour / 3600)
        if !warm && stockedOut(physics.hardware[t]) {
            // Never becomes ready, costs nothing; the node layer gives it up after its
            // provisioning deadline.
            nodeGeneration[n] &+= 1
            nodeType[n] = Int32(t)
            nodeFailed[n] = true
            nodeRequestFailures += 1
            return
        }
        nodeFailed[n] = false
        nodeGeneration[n] &+= 1
        nodeType[n] = Int32(t)
        nodeStart[n] = now
        nodeLive[n] = true
        for k in 0..<physics.imageCount { nodeImages[n * physics.imageCount + k] = warm ? Int64.min : Int64.max }
        let hw = physics.hardware[t]
        nodeNoticed[n] = false
        if let spot = hw.spot { scheduleInterruption(n, spot) }
        bookCapacity()
        liveNodes += 1
        if liveNodes > nodesMax { nodesMax = liveNodes }
        liveGPUs += hw.gpus
        if physics.committed[t] > 0 {
            changeCommittedType(t, by: 1)
        } else {
            livePriceRate += hw.pricePerHour / 3600
            livePriceStart += hw.pricePerHour / 3600 * Double(now) / 1e9
        }
        if warm {
            nodeReady[n] = true
            if sharesCPU { shareOpen(n) }   // its cores count from now
        } else {
            nodeReady[n] = false
            bootingNodes += 1
            let boot = hw.boot.nanoseconds(&bootRNG)
            bookColdPhase(.node, boot)
            events.push(time: now + boot, kind: .nodeReady, subject: Int32(n), generation: nodeGeneration[n])
        }
    }

    mutating func startJob(_ j: Int) {
        jobGeneration[j] &+= 1
        jobStartedAt[j] = now
        if !jobEverStarted[j] {
            jobEverStarted[j] = true
            training.started += 1
            training.waitSum += Double(now - jobSubmittedAt[j]) / 1e9
        }
        runningJobs += 1
        events.push(time: now + jobDuration[j], kind: .jobDone, subject: Int32(j), generation: jobGeneration[j])
    }

    /// Ends the job's current run (done or preempted) and books its node and GPU time.
    mutating func endJobRun(_ j: Int) {
        guard jobStartedAt[j] >= 0 else { return }
        let seconds = Double(now - jobStartedAt[j]) / 1e9
        training.gpuSeconds += Double(jobGPUs[j]) * seconds
        training.nodeSeconds += Double(jobNodes[j]) * seconds
        jobGeneration[j] &+= 1
        jobStartedAt[j] = -1
        runningJobs -= 1
    }

    mutating func stopNode(_ n: Int) {
        if nodeFailed[n] {
            nodeFailed[n] = false
            nodeGeneration[n] &+= 1
            return
        }
        if nodeIdle[n].busy == 0 { bookNodeIdle(n) }
        if sharesCPU { shareClose(n) }
        nodeGeneration[n] &+= 1
        nodeLive[n] = false
        let hw = physics.hardware[Int(nodeType[n])]
        if !nodeReady[n] { bootingNodes -= 1 }
        bookCapacity()
        liveNodes -= 1
        liveGPUs -= hw.gpus
        let t = Int(nodeType[n])
        if physics.committed[t] > 0 {
            changeCommittedType(t, by: -1)
            return
        }
        livePriceRate -= hw.pricePerHour / 3600
        livePriceStart -= hw.pricePerHour / 3600 * Double(nodeStart[n]) / 1e9
        closedCost += BillingMath.nodeCost(seconds: Double(now - nodeStart[n]) / 1e9, pricePerHour: hw.pricePerHour,
                                           increment: hw.billing.increment, minimum: hw.billing.minimum)
    }

    // Committed capacity: a type's committed nodes are paid for the whole run; live nodes
    // beyond them pay on-demand per second (increments and minimums not applied).

    /// A node of a committed type started (+1) or stopped (−1): the time beyond the
    /// commitment so far is booked at the on-demand price.
    mutating func changeCommittedType(_ t: Int, by change: Int) {
        bookExcess(t)
        liveByType[t] += change
    }

    mutating func bookExcess(_ t: Int) {
        let excess = Swift.max(0, liveByType[t] - physics.committed[t])
        excessCost += Double(excess) * physics.hardware[t].pricePerHour / 3600 * Double(now - excessSince[t]) / 1e9
        excessSince[t] = now
    }

    /// What the commitments cost by `seconds` into the run.
    func commitmentCost(seconds: Double) -> Double {
        var cost = 0.0
        for t in physics.committed.indices where physics.committed[t] > 0 {
            cost += Double(physics.committed[t]) * physics.committedPricePerHour[t] / 3600 * seconds
        }
        return cost
    }
}
