// Training jobs on the serving pools: gang scheduling of whole nodes, taking nodes from
// serving or from lower-priority jobs by priority. The scheduler calls these in order (free
// nodes, the policy's new nodes, serving nodes, preemption) for the job at the head of the
// queue; the policy decides only whether it may add nodes.

/// Where a training job stands.
public enum JobState: UInt8, Sendable {
    /// Not submitted yet.
    case notSubmitted
    /// Submitted; waiting for its nodes (it may hold some already).
    case waiting
    /// Running on its nodes.
    case running
    /// Its work is done and its nodes are back in the pool.
    case finished
}

/// One training job, as the core tracks it.
public struct JobRecord: Sendable {
    public var state: JobState = .notSubmitted
    /// Nodes it holds or has claimed (claimed nodes may still be booting or draining).
    public var nodes: [Int32] = []
    /// Submission order, for first-come first-served within a priority.
    public var order = 0
    /// How often a job of higher priority stopped it.
    public var preemptions = 0
}

extension Cluster {
    /// Queues a submitted job.
    @usableFromInline mutating func submitJob(_ job: JobID, order: Int) {
        jobs[job.index].state = .waiting
        jobs[job.index].order = order
    }

    /// The waiting job to serve first: highest priority, then earliest submission.
    func headOfQueue() -> JobID? {
        var best = -1
        for j in 0..<jobs.count where jobs[j].state == .waiting {
            if best < 0 || configuration.jobs[j].priority > configuration.jobs[best].priority
                || (configuration.jobs[j].priority == configuration.jobs[best].priority && jobs[j].order < jobs[best].order) {
                best = j
            }
        }
        return best >= 0 ? JobID(best) : nil
    }

    /// Nodes the job still lacks.
    public func missingNodes(_ job: JobID) -> Int {
        configuration.jobs[job.index].nodes - jobs[job.index].nodes.count
    }

    /// Makes the node the job's: nothing more is placed on it.
    public mutating func claim(_ node: NodeID, for job: JobID) {
        prepareToChange()
        nodes[node.index].heldBy = job.raw
        nodeChanged(node.index)
        jobs[job.index].nodes.append(node.raw)
    }

    /// Claims live nodes of the job's type that hold no instance and no other job; ready ones
    /// first, lowest index first. Returns the nodes still missing.
    mutating func claimEmptyNodes(for job: JobID) -> Int {
        let type = configuration.jobs[job.index].nodeType
        for wantReady in [true, false] {
            for n in 0..<nodes.count where missingNodes(job) > 0 {
                let node = nodes[n]
                guard node.state != .free, node.type == type, node.heldBy < 0, node.instances == 0, !node.cordoned,
                      (node.state == .ready) == wantReady else { continue }
                claim(NodeID(n), for: job)
            }
        }
        return missingNodes(job)
    }

    /// Claims nodes that serve (the job outranks serving): the nodes with the fewest requests
    /// in flight, then the fewest instances, then the lowest index; their instances drain and
    /// the job starts once the nodes are empty. Returns the nodes still missing.
    mutating func claimServingNodes(for job: JobID, now: TimePoint, into actions: inout [SchedulerAction]) -> Int {
        let type = configuration.jobs[job.index].nodeType
        var load = [Int](repeating: 0, count: nodes.count)
        for instance in instances where instance.state != .free && instance.node >= 0 {
            load[Int(instance.node)] += Int(instance.inFlight)
        }
        var candidates: [(load: Int, instances: Int32, node: Int)] = []
        for n in 0..<nodes.count where nodes[n].state != .free && nodes[n].type == type && nodes[n].heldBy < 0 && !nodes[n].cordoned {
            candidates.append((load[n], nodes[n].instances, n))
        }
        candidates.sort { ($0.load, $0.instances, $0.node) < ($1.load, $1.instances, $1.node) }
        for c in candidates.prefix(missingNodes(job)) {
            claim(NodeID(c.node), for: job)
            for i in 0..<instances.count where instanceTable[slot: i].node == Int32(c.node) && instanceTable[slot: i].state != .free {
                stopInstance(InstanceID(i), now: now, into: &actions)
            }
        }
        return missingNodes(job)
    }

    /// Takes nodes of the job's type from jobs of lower priority: waiting jobs that hold
    /// claims first, then running ones (lowest priority first, then the latest submitted).
    /// A running job loses all its nodes and queues again. Returns the nodes still missing.
    mutating func preemptJobs(for job: JobID, now: TimePoint, into actions: inout [SchedulerAction]) -> Int {
        let spec = configuration.jobs[job.index]
        var victims: [(running: Bool, priority: Int, order: Int, job: Int)] = []
        for j in 0..<jobs.count where j != job.index && !jobs[j].nodes.isEmpty {
            let other = configuration.jobs[j]
            guard other.nodeType == spec.nodeType, other.priority < spec.priority,
                  jobs[j].state == .waiting || jobs[j].state == .running else { continue }
            victims.append((jobs[j].state == .running, other.priority, -jobs[j].order, j))
        }
        victims.sort { ($0.running ? 1 : 0, $0.priority, $0.order) < ($1.running ? 1 : 0, $1.priority, $1.order) }
        for v in victims where missingNodes(job) > 0 {
            if v.running {
                actions.append(.stopJob(JobID(v.job)))
                jobs[v.job].state = .waiting
                jobs[v.job].preemptions += 1
            }
            let taken = jobs[v.job].nodes
            jobs[v.job].nodes = []
            for raw in taken {
                if missingNodes(job) > 0 {
                    claim(NodeID(Int(raw)), for: job)
                } else {
                    nodes[Int(raw)].heldBy = -1
                    nodes[Int(raw)].emptySince = now
                    nodeChanged(Int(raw))
                }
            }
        }
        return missingNodes(job)
    }

    /// Starts the job when it holds all its nodes and they are ready and empty.
    mutating func startJobIfReady(_ job: JobID, into actions: inout [SchedulerAction]) -> Bool {
        guard missingNodes(job) == 0 else { return false }
        for raw in jobs[job.index].nodes {
            let node = nodes[Int(raw)]
            if node.state != .ready || node.instances > 0 { return false }
        }
        jobs[job.index].state = .running
        actions.append(.startJob(job))
        return true
    }

    /// Ends a running job and gives its nodes back to the pool.
    @usableFromInline mutating func finishJob(_ job: JobID, now: TimePoint) {
        guard jobs[job.index].state == .running else { return }
        jobs[job.index].state = .finished
        for raw in jobs[job.index].nodes {
            nodes[Int(raw)].heldBy = -1
            nodes[Int(raw)].emptySince = now
            nodeChanged(Int(raw))
        }
        jobs[job.index].nodes = []
    }

    /// Jobs currently running.
    public var runningJobs: Int { jobs.reduce(0) { $0 + ($1.state == .running ? 1 : 0) } }
}
