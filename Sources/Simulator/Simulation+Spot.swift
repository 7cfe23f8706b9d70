import SchedulerCore
import Scenario

// Spot nodes on the virtual clock: when the cloud warns and when it takes the node back. The
// core decides what moves and what is retried; the host keeps the physics (the notice's
// length, the random time to interruption) and books what was cut off.

extension Simulation {
    /// Draws a new spot node's time to interruption (exponential at the type's rate, from its
    /// launch) on the spot stream, drawn only for spot types so other runs keep their numbers.
    mutating func scheduleInterruption(_ n: Int, _ spot: SpotSpec) {
        guard spot.interruptionsPerHour > 0 else { return }
        let nanoseconds = spotRNG.exponential(mean: 3600e9 / spot.interruptionsPerHour)
        guard nanoseconds < Double(Int64.max / 2) else { return }
        events.push(time: now + Int64(nanoseconds.rounded()), kind: .interruptionNotice, subject: Int32(n),
                    generation: nodeGeneration[n])
    }

    /// The cloud warns that node `n` will be reclaimed: the core cordons it and moves its
    /// instances; the interruption follows after the type's notice, unless the node has been
    /// released by then.
    mutating func interruptionNotice(_ n: Int) throws {
        let generation = nodeGeneration[n]
        let notice = physics.hardware[Int(nodeType[n])].spot?.notice ?? 0
        nodeNoticed[n] = true
        spotInterruptions += 1
        core.handle(.nodeInterruptionNotice(NodeID(n)), at: TimePoint(nanoseconds: now), into: &actions)
        try perform()
        events.push(time: now + Int64((notice * 1e9).rounded()), kind: .interruption, subject: Int32(n), generation: generation)
    }

    /// A capacity crunch: every node of the type that is up (and not already warned) gets its
    /// notice, in slot order. Nodes started by these notices are not part of the wave.
    mutating func interruptionWave(type t: Int) throws {
        var wave: [Int] = []
        for n in 0..<nodeGeneration.count where nodeLive[n] && Int(nodeType[n]) == t && !nodeNoticed[n] { wave.append(n) }
        for n in wave where nodeLive[n] { try interruptionNotice(n) }
    }

    /// The request's service was cut off by a reclaimed node: its instance's load is given
    /// back and the service it did not get is taken off its books. The core retries or fails
    /// it in the actions that follow.
    mutating func interrupt(_ r: Int) {
        let i = Int(req[r].instance)
        if anyEngine { engineDrop(r, from: i) }
        inst[i].inFlight -= 1
        busyCapacity -= inverseConcurrency[Int(inst[i].model)]
        if inst[i].inFlight == 0 {
            busyInstances -= 1
            nodeWentIdleMaybe(Int(inst[i].node))
        }
        let owner = req[r].parent >= 0 ? Int(req[r].parent) : r
        let unserved = (sharesCPU || sharesGPU) && req[r].serviceEnd == Int64.max ? dropShared(request: r) : Swift.max(0, req[r].serviceEnd - now)
        tally(owner) { $0.serviceNanoseconds -= Int128(unserved) }
        // `instance` still names where it was cut off (requests.csv) until it is dispatched again.
        req[r].serviceEnd = -1
        // A retry's queueing and cold start count from now.
        req[r].stageSince = now
        requestsInterrupted += 1
    }
}
