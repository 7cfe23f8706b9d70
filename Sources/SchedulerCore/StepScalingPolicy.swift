/// Capacity in steps, the EC2 Auto Scaling way: a CloudWatch-style alarm compares a metric,
/// averaged over each period, with a threshold; while it is in alarm, the step whose bounds
/// hold the breach (metric − threshold) adjusts the capacity. Instances still warming up
/// count toward the current capacity, a breach in the step already applied adds nothing
/// while they warm, and scale-in waits until scale-out instances have warmed up.
///
/// Source: AWS EC2 Auto Scaling user guide (step scaling; default instance warm-up, falling
/// back to the 300 s default cooldown when unset), as summarised in
/// shared/reference/autoscalers.md §6.1. Nodes come from the cluster-autoscaler node layer.
public struct StepScalingPolicy: InstanceRangePolicy {
    public var family: String { "elastic" }

    public enum Adjustment: Sendable, Equatable {
        case change(Int)
        case percent(Double)
        case exact(Int)
    }

    public struct Step: Sendable, Equatable {
        /// Bounds on the breach (metric − threshold); nil: unbounded.
        public var lower: Double?
        public var upper: Double?
        public var adjustment: Adjustment
        public init(lower: Double?, upper: Double?, adjustment: Adjustment) {
            self.lower = lower
            self.upper = upper
            self.adjustment = adjustment
        }
    }

    public struct Alarm: Sendable, Equatable {
        public var threshold: Double
        /// Consecutive periods in breach before it acts (CloudWatch `EvaluationPeriods`).
        public var evaluationPeriods: Int
        public var steps: [Step]
        public init(threshold: Double, evaluationPeriods: Int, steps: [Step]) {
            self.threshold = threshold
            self.evaluationPeriods = evaluationPeriods
            self.steps = steps
        }
    }

    public struct Parameters: Sendable, Equatable {
        /// Metric period (CloudWatch 1-minute metrics by default).
        public var period = TimeSpan.seconds(60)
        /// What the alarms watch: utilisation (fraction), or requests in service or waiting
        /// per instance.
        public var metric = ElasticPolicy.Metric.utilisation
        /// Scale-out alarm (metric ≥ threshold) and scale-in alarm (metric ≤ threshold).
        public var scaleOut: Alarm?
        public var scaleIn: Alarm?
        /// Instance warm-up: unset in AWS by default, falling back to the 300 s default cooldown.
        public var warmup = TimeSpan.seconds(300)
        /// Set for *simple* scaling: each alarm has one adjustment, and after it acts further
        /// alarms are ignored until the activity completes (the instances it started are
        /// ready; a scale-in completes at once) and this cooldown after it ends. Default 300 s
        /// (`DefaultCooldown`, CreateAutoScalingGroup; autoscalers.md §6.1). Warm-up does not
        /// apply. nil: step scaling.
        public var cooldown: TimeSpan?
        public var minInstances: [Int]
        public var maxInstances: [Int]
        public var nodes: NodeAutoscaler.Parameters

        public init(minInstances: [Int], maxInstances: [Int], nodes: NodeAutoscaler.Parameters) {
            self.minInstances = minInstances
            self.maxInstances = maxInstances
            self.nodes = nodes
        }
    }

    public static let periodTimer = TimerID(4)

    public var parameters: Parameters
    public var nodeScaler: NodeAutoscaler
    var lastBusy: [Double]
    var lastReady: [Double]
    var breachOut: [Int]
    var breachIn: [Int]
    /// Per model: when the last scale-out's instances finish warming, and which step it was.
    var warmUntil: [TimePoint]
    var lastStep: [Int]
    /// Simple scaling, per model: a scale-out activity not yet complete, and when the cooldown
    /// after the last activity ends.
    var activityPending: [Bool]
    public private(set) var cooldownUntil: [TimePoint]

    public init(parameters: Parameters) {
        self.parameters = parameters
        nodeScaler = NodeAutoscaler(parameters: parameters.nodes)
        let n = parameters.minInstances.count
        lastBusy = [Double](repeating: 0, count: n)
        lastReady = [Double](repeating: 0, count: n)
        breachOut = [Int](repeating: 0, count: n)
        breachIn = [Int](repeating: 0, count: n)
        warmUntil = [TimePoint](repeating: .zero, count: n)
        lastStep = [Int](repeating: -1, count: n)
        activityPending = [Bool](repeating: false, count: n)
        cooldownUntil = [TimePoint](repeating: .zero, count: n)
    }

    public mutating func start(_ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        startMinimum(parameters.minInstances, &cluster, now: now, into: &actions)
        actions.append(.setTimer(Self.periodTimer, at: now + parameters.period))
    }

    /// The model's instance ceiling (a request for a model allowed none is turned away).
    public var maxInstances: [Int] { parameters.maxInstances }

    public mutating func timerFired(_ timer: TimerID, _ cluster: inout Cluster, now: TimePoint,
                                    into actions: inout [SchedulerAction]) {
        if timer == NodeAutoscaler.scanTimer {
            nodeScaler.scan(&cluster, now: now, into: &actions)
            return
        }
        guard timer == Self.periodTimer else { return }
        for m in 0..<parameters.minInstances.count where parameters.maxInstances[m] > 0 {
            evaluate(ModelID(m), &cluster, now: now, into: &actions)
        }
        actions.append(.setTimer(Self.periodTimer, at: now + parameters.period))
    }

    /// The metric over the period just ended.
    mutating func metric(_ m: Int, _ cluster: inout Cluster, now: TimePoint) -> Double? {
        cluster.integrate(m, now: now)
        let busy = cluster.models[m].busySlotTime - lastBusy[m]
        let ready = cluster.models[m].readySlotTime - lastReady[m]
        lastBusy[m] = cluster.models[m].busySlotTime
        lastReady[m] = cluster.models[m].readySlotTime
        switch parameters.metric {
        case .utilisation:
            return ready > 0 ? busy / ready : nil
        case .concurrency:
            let instances = cluster.models[m].ready
            return instances > 0 ? busy / Double(parameters.period.nanoseconds) / Double(instances) : nil
        case .queueLength:
            // The model's queue and, for an LLM model, its engines' waiting lines.
            let instances = Swift.max(1, cluster.models[m].replicas)
            return Double(cluster.models[m].queued + cluster.engineMetrics[m].waiting) / Double(instances)
        case .kvCacheUsage:
            return cluster.models[m].ready > 0 ? cluster.engineMetrics[m].kvCacheUsage : nil
        case .tokensPerSecond:
            let instances = cluster.models[m].ready
            return instances > 0 ? cluster.engineMetrics[m].tokensPerSecond / Double(instances) : nil
        }
    }

    /// One alarm evaluation for a model, and the step it triggers.
    public mutating func evaluate(_ model: ModelID, _ cluster: inout Cluster, now: TimePoint, into actions: inout [SchedulerAction]) {
        let m = model.index
        if cluster.isRetired(model) {
            if cluster.models[m].replicas > 0 { cluster.stopAll(model, now: now, into: &actions) }
            return
        }
        guard let value = metric(m, &cluster, now: now) else { return }
        if let cooldown = parameters.cooldown {
            return evaluateSimple(model, value, cooldown: cooldown, &cluster, now: now, into: &actions)
        }
        let current = cluster.models[m].replicas      // warming instances count toward capacity
        var desired = current
        let warming = now < warmUntil[m]
        if let out = parameters.scaleOut, value >= out.threshold {
            breachOut[m] += 1
            breachIn[m] = 0
            if breachOut[m] >= out.evaluationPeriods, let k = Self.step(for: value - out.threshold, in: out.steps) {
                if !(warming && k == lastStep[m]) {         // the same step while warming adds nothing
                    desired = Self.apply(out.steps[k].adjustment, to: current)
                    lastStep[m] = k
                    if desired > current { warmUntil[m] = now + parameters.warmup }
                }
            }
        } else if let inAlarm = parameters.scaleIn, value <= inAlarm.threshold {
            breachIn[m] += 1
            breachOut[m] = 0
            if breachIn[m] >= inAlarm.evaluationPeriods, !warming, let k = Self.step(for: value - inAlarm.threshold, in: inAlarm.steps) {
                desired = Self.apply(inAlarm.steps[k].adjustment, to: current)
            }
        } else {
            breachOut[m] = 0
            breachIn[m] = 0
            if !warming { lastStep[m] = -1 }
        }
        desired = Swift.max(parameters.minInstances[m], Swift.min(parameters.maxInstances[m], desired))
        if desired > current {
            for _ in current..<desired { cluster.startInstance(model, warm: false, now: now, into: &actions) }
        } else if desired < current {
            cluster.scaleDown(model, by: current - desired, now: now, into: &actions)
        }
    }

    /// Simple scaling: the alarm in breach for its evaluation periods applies its one
    /// adjustment, unless a scale-out is still under way or the cooldown after the last
    /// activity has not ended. An alarm still in breach after the cooldown acts again.
    mutating func evaluateSimple(_ model: ModelID, _ value: Double, cooldown: TimeSpan, _ cluster: inout Cluster, now: TimePoint,
                                 into actions: inout [SchedulerAction]) {
        let m = model.index
        let current = cluster.models[m].replicas
        if activityPending[m] && cluster.models[m].ready >= current {
            // The scale-out completed when its last instance became ready.
            activityPending[m] = false
            var completed = TimePoint.zero
            for instance in cluster.instances where instance.model == model && instance.state == .ready {
                completed = Swift.max(completed, instance.readyAt)
            }
            cooldownUntil[m] = completed + cooldown
        }
        let idle = !activityPending[m] && now >= cooldownUntil[m]
        var desired = current
        if let out = parameters.scaleOut, value >= out.threshold {
            breachOut[m] += 1
            breachIn[m] = 0
            if idle, breachOut[m] >= out.evaluationPeriods { desired = Self.apply(out.steps[0].adjustment, to: current) }
        } else if let inAlarm = parameters.scaleIn, value <= inAlarm.threshold {
            breachIn[m] += 1
            breachOut[m] = 0
            if idle, breachIn[m] >= inAlarm.evaluationPeriods { desired = Self.apply(inAlarm.steps[0].adjustment, to: current) }
        } else {
            breachOut[m] = 0
            breachIn[m] = 0
        }
        desired = Swift.max(parameters.minInstances[m], Swift.min(parameters.maxInstances[m], desired))
        if desired > current {
            for _ in current..<desired { cluster.startInstance(model, warm: false, now: now, into: &actions) }
            activityPending[m] = true
        } else if desired < current {
            cluster.scaleDown(model, by: current - desired, now: now, into: &actions)
            cooldownUntil[m] = now + cooldown
        }
    }

    /// The step whose bounds hold the breach: lower ≤ breach < upper.
    public static func step(for breach: Double, in steps: [Step]) -> Int? {
        steps.firstIndex { s in (s.lower.map { breach >= $0 } ?? true) && (s.upper.map { breach < $0 } ?? true) }
    }

    /// The new capacity; a percent change rounds toward zero but moves by at least one
    /// (autoscalers.md §6.1, rounding marked unconfirmed there).
    public static func apply(_ adjustment: Adjustment, to current: Int) -> Int {
        switch adjustment {
        case let .change(n): return current + n
        case let .exact(n): return n
        case let .percent(p):
            let delta = Double(current) * p / 100
            let rounded = delta > 0 ? Swift.max(1, Int(delta.rounded(.down))) : delta < 0 ? Swift.min(-1, Int(delta.rounded(.up))) : 0
            return current + rounded
        }
    }

}
