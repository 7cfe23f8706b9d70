/// The HPA's `behavior` (autoscaling/v2): stabilisation windows and rate-limiting policies for
/// scale-up and scale-down, with the API server's defaults.
///
/// Source: kubernetes/kubernetes `pkg/controller/podautoscaler/horizontal.go`
/// (`stabilizeRecommendationWithBehaviors`, `calculateScaleUpLimitWithScalingRules`,
/// `calculateScaleDownLimitWithBehaviors`) and `pkg/apis/autoscaling/v2/defaults.go`, as
/// summarised in shared/reference/autoscalers.md §1.4–1.5.
public struct HPABehavior: Sendable, Equatable {
    public enum PolicyType: String, Sendable, Equatable { case pods = "Pods", percent = "Percent" }
    public enum Select: String, Sendable, Equatable { case max = "Max", min = "Min", disabled = "Disabled" }

    public struct Policy: Sendable, Equatable {
        public var type: PolicyType
        public var value: Int
        public var period: TimeSpan
        public init(type: PolicyType, value: Int, period: TimeSpan) {
            self.type = type
            self.value = value
            self.period = period
        }
    }

    public struct Rules: Sendable, Equatable {
        public var stabilizationWindow: TimeSpan
        public var select: Select
        public var policies: [Policy]
        public init(stabilizationWindow: TimeSpan, select: Select, policies: [Policy]) {
            self.stabilizationWindow = stabilizationWindow
            self.select = select
            self.policies = policies
        }
    }

    /// Scale-up default: no stabilisation; the larger of +4 pods or +100 % per 15 s.
    public var scaleUp = Rules(stabilizationWindow: .zero, select: .max,
                               policies: [Policy(type: .pods, value: 4, period: .seconds(15)),
                                          Policy(type: .percent, value: 100, period: .seconds(15))])
    /// Scale-down default: 300 s stabilisation (the controller flag); up to −100 % per 15 s.
    public var scaleDown = Rules(stabilizationWindow: .seconds(300), select: .max,
                                 policies: [Policy(type: .percent, value: 100, period: .seconds(15))])

    public init() {}
}

/// What one model's HPA remembers for `behavior`: its unstabilised recommendations and its
/// scale events.
public struct HPAHistory: Sendable, Equatable {
    var recommendations: [(replicas: Int, at: TimePoint)] = []
    var events: [(change: Int, at: TimePoint)] = []

    public init() {}

    public static func == (a: Self, b: Self) -> Bool {
        a.recommendations.map(\.replicas) == b.recommendations.map(\.replicas) && a.events.map(\.change) == b.events.map(\.change)
    }

    /// Replicas added (positive events) and removed within `period` before `now`.
    func changes(within period: TimeSpan, now: TimePoint) -> (added: Int, removed: Int) {
        var added = 0, removed = 0
        for e in events where e.at > now - period {
            if e.change > 0 { added += e.change } else { removed -= e.change }
        }
        return (added, removed)
    }

    /// Records a scale event (kept as long as the longest policy period needs).
    public mutating func record(change: Int, at now: TimePoint) {
        if change != 0 { events.append((change, now)) }
        events.removeAll { $0.at <= now - .seconds(3600) }
    }

    /// `normalizeDesiredReplicasWithBehaviors`: stabilise over both windows, then limit the
    /// change by the policies, against the replicas at the start of each policy's period.
    public mutating func normalize(_ b: HPABehavior, current: Int, desired: Int, minReplicas: Int, maxReplicas: Int, now: TimePoint) -> Int {
        var upRec = desired, downRec = desired
        for r in recommendations {
            if r.at > now - b.scaleUp.stabilizationWindow { upRec = Swift.min(upRec, r.replicas) }
            if r.at > now - b.scaleDown.stabilizationWindow { downRec = Swift.max(downRec, r.replicas) }
        }
        let longest = Swift.max(b.scaleUp.stabilizationWindow, b.scaleDown.stabilizationWindow)
        recommendations.removeAll { $0.at <= now - longest }
        recommendations.append((desired, now))
        var rec = current
        if rec < upRec { rec = upRec }
        if rec > downRec { rec = downRec }

        if rec > current {
            var limit = current
            if b.scaleUp.select != .disabled {
                var proposals: [Int] = []
                for p in b.scaleUp.policies {
                    let c = changes(within: p.period, now: now)
                    let start = current - c.added + c.removed
                    proposals.append(p.type == .pods ? start + p.value
                                     : Int((Double(start) * (1 + Double(p.value) / 100)).rounded(.up)))
                }
                limit = b.scaleUp.select == .max ? (proposals.max() ?? current) : (proposals.min() ?? current)
            }
            limit = Swift.max(limit, current)
            rec = Swift.min(rec, Swift.min(maxReplicas, limit))
        } else if rec < current {
            var limit = current
            if b.scaleDown.select != .disabled {
                var proposals: [Int] = []
                for p in b.scaleDown.policies {
                    let c = changes(within: p.period, now: now)
                    let start = current + c.removed - c.added
                    proposals.append(p.type == .pods ? start - p.value
                                     : Int(Double(start) * (1 - Double(p.value) / 100)))
                }
                limit = b.scaleDown.select == .max ? (proposals.min() ?? current) : (proposals.max() ?? current)
            }
            limit = Swift.min(limit, current)
            rec = Swift.max(rec, Swift.max(minReplicas, limit))
        }
        return Swift.max(minReplicas, Swift.min(maxReplicas, rec))
    }
}
