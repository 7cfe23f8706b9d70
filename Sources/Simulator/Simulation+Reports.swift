import SchedulerCore
import Scenario

// What a run reports: time-series samples, cost so far, the request log, and the plan's
// result at the end.

extension Simulation {
    // MARK: Reports

    mutating func sample() {
        var queued = 0
        for m in core.cluster.models { queued += m.queued }
        let readyInstances = liveInstances - startingInstances
        timeseries.append(TimeseriesRow(
            time: Double(now) / 1e9, arrivals: intervalArrivals, completions: intervalCompletions,
            rejections: intervalRejections, timeouts: intervalTimeouts, queued: queued,
            instancesBusy: busyInstances, instancesIdle: readyInstances - busyInstances, instancesStarting: startingInstances,
            nodesReady: liveNodes - bootingNodes, nodesBooting: bootingNodes, costSoFar: costSoFar(), coldStarts: intervalColdStarts,
            coldPhaseSeconds: intervalColdPhases))
        if anyEngine {
            bookKV()
            timeseries[timeseries.count - 1].engine = intervalEngine.columns(seconds: Double(now - intervalStart) / 1e9, planWide: true)
            intervalEngine = EngineStats()
        }
        intervalStart = now
        intervalColdPhases = ColdPhaseSeconds()
        intervalArrivals = 0; intervalCompletions = 0; intervalRejections = 0; intervalTimeouts = 0; intervalColdStarts = 0
    }

    /// Cost accrued by `now`: closed nodes as billed, live nodes by elapsed time, provider fees.
    func costSoFar() -> Double {
        var excess = excessCost
        for t in liveByType.indices where physics.committed[t] > 0 {
            excess += Double(Swift.max(0, liveByType[t] - physics.committed[t])) * physics.hardware[t].pricePerHour / 3600 * Double(now - excessSince[t]) / 1e9
        }
        return closedCost + livePriceRate * Double(now) / 1e9 - livePriceStart + providerCost + provisionedCost(seconds: Double(now) / 1e9)
            + commitmentCost(seconds: Double(now) / 1e9) + excess
    }

    /// Provisioned concurrency's capacity charge for the time configured, rounded up to 5 min
    /// (autoscalers.md §4.4).
    func provisionedCost(seconds: Double) -> Double {
        guard physics.provisionedGB > 0 else { return 0 }
        let billed = (seconds / 300).rounded(.up) * 300
        return physics.provisionedGB * billed * physics.pricing.provisionedPerGBSecond
    }

    mutating func logRow(_ r: Int, outcome: String, reason: String) throws {
        guard let log else { return }
        let i = Int(req[r].instance)
        let t = Int(req[r].target)
        var modelName = ""
        var nodeName = ""
        var instanceName = ""
        if i >= 0 {
            modelName = modelNames[Int(inst[i].model)]
            instanceName = "i\(i)"
            let n = Int(inst[i].node)
            if n >= 0 { nodeName = "\(hardwareNames[Int(nodeType[n])])#\(n)" }
        } else if let stage = core.cluster.configuration.targets[t].stages.first {
            modelName = modelNames[stage.index]
        }
        log.append(log.prefix)
        log.append(String(req[r].id))
        log.byte(0x2C); log.append(CSVNumber.field(callers.strings[Int(req[r].caller)]))
        log.byte(0x2C); log.append(CSVNumber.field(targetNames[t]))
        log.byte(0x2C); log.append(CSVNumber.field(modelName))
        log.byte(0x2C); log.append(CSVNumber.field(servedVersion(r)))
        log.byte(0x2C); log.append(CSVNumber.seconds(req[r].arrival))
        log.byte(0x2C); if req[r].firstStart >= 0 { log.append(CSVNumber.seconds(req[r].firstStart)) }
        log.byte(0x2C); log.append(CSVNumber.seconds(now + roundTrip))   // when its client has the answer
        log.byte(0x2C); log.append(outcome)
        log.byte(0x2C); log.append(req[r].cold ? "true" : "false")
        log.byte(0x2C); log.append(CSVNumber.field(nodeName))
        log.byte(0x2C); log.append(instanceName)
        log.byte(0x2C); log.append(reason)
        if anyEngine {
            // Time to first token and per output token, for a request an engine served.
            let known = r < seq.count && seq[r].stamp == req[r].id && !seq[r].refused
            log.byte(0x2C); if known && seq[r].ttft >= 0 { log.append(CSVNumber.seconds(seq[r].ttft)) }
            log.byte(0x2C); if known && seq[r].tpot >= 0 { log.append(CSVNumber.seconds(seq[r].tpot)) }
        }
        log.byte(0x0A)
        try log.flushIfNeeded()
    }

    /// The version label of a request: the version that served it when its model has
    /// versions (the traffic split chose it), else the label its source or trace row gave.
    func servedVersion(_ r: Int) -> String {
        if tracksVersions && !isGraph[Int(req[r].target)] {
            let m = core.cluster.currentModel(of: RequestID(r)).index
            if modelHasVersions[m] { return modelVersions[m] }
        }
        return versions.strings[Int(req[r].version)]
    }

    mutating func finish() -> PlanResult {
        // Plan totals are the sum of the targets' (every request has exactly one target).
        totals = OutcomeStats()
        let targets = (0..<perTarget.count).map { perTarget[$0] }
        let callerStats = (0..<perCaller.count).map { perCaller[$0] }
        for t in targets { totals.merge(t) }
        let end = Swift.max(now, duration)
        advanceClock(to: end)
        bookCapacity()
        for j in jobStartedAt.indices where jobStartedAt[j] >= 0 { endJobRun(j) }   // still running at the end
        for n in 0..<nodeGeneration.count where nodeLive[n] && nodeIdle[n].busy == 0 { bookNodeIdle(n) }
        if sharesCPU { for n in 0..<nodeGeneration.count where nodeLive[n] { shareClose(n) } }
        // Provider hosting: INIT charges and the provisioned-concurrency capacity fee buy no request's service.
        idleCost += providerInitCost + provisionedCost(seconds: Double(end) / 1e9)
        if interval > 0, (timeseries.last?.time ?? 0) * 1e9 < Double(end) - 0.5 { sample() }
        // Nodes still up are billed to the end.
        for t in liveByType.indices where physics.committed[t] > 0 { bookExcess(t) }
        var cost = closedCost + providerCost + provisionedCost(seconds: Double(end) / 1e9) + commitmentCost(seconds: Double(end) / 1e9) + excessCost
        for n in 0..<nodeGeneration.count where nodeLive[n] && physics.committed[Int(nodeType[n])] == 0 {
            let hw = physics.hardware[Int(nodeType[n])]
            cost += BillingMath.nodeCost(seconds: Double(end - nodeStart[n]) / 1e9, pricePerHour: hw.pricePerHour,
                                         increment: hw.billing.increment, minimum: hw.billing.minimum)
        }
        var result = PlanResult(
            plan: "", policy: core.policy.family, totals: totals, perTarget: targets, perCaller: callerStats,
            rejectedByReason: rejectedByReason, hasSLO: sloLatency != nil || tokenSLO,
            cost: cost, nodeSeconds: nodeArea / 1e9, gpuSeconds: gpuArea / 1e9 + providerGPUSeconds,
            busyInstanceSeconds: busyArea / 1e9, instanceSeconds: instanceArea / 1e9,
            instancesMax: instancesMax, instanceStarts: instanceStarts, nodesMax: nodesMax, endTime: Double(end) / 1e9,
            timeseries: timeseries, events: eventCount, callers: callers.strings, versions: versions.strings,
            stageLatency: stageLatency, training: training, coldPhases: coldPhases.array, idleCost: idleCost,
            nodeRequestFailures: nodeRequestFailures, perModel: perModel,
            spotInterruptions: spotInterruptions, requestsInterrupted: requestsInterrupted,
            engine: anyEngine ? engineResult(end: end) : nil, enginePerTarget: enginePerTarget, contention: contention)
        result.sharedService = sharedService
        return result
    }
}
