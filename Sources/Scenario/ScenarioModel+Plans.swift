// The typed form of a scenario's plans: node and instance ranges, elastic, step, serverless and
// Knative settings, provider pricing, quotas and commitments.

public struct NodeRange: Sendable, Equatable {
    public var hardware: Int
    public var min: Int
    public var max: Int
}

public struct InstanceRange: Sendable, Equatable {
    public var model: Int
    public var min: Int
    public var max: Int
}

/// An HPA `behavior` as written in the scenario (nil fields: the API server's defaults).
public struct BehaviorSpec: Sendable, Equatable {
    public struct Policy: Sendable, Equatable {
        public var type: String
        public var value: Int
        public var period: Double
    }
    public struct Rules: Sendable, Equatable {
        public var stabilizationWindow: Double?
        public var selectPolicy: String?
        public var policies: [Policy]?
    }
    public var scaleUp: Rules?
    public var scaleDown: Rules?
}

public struct ElasticPlan: Sendable, Equatable {
    public var scaler: String
    public var target: Double
    public var nodes: [NodeRange]
    public var instances: [InstanceRange]
    public var tolerance: Double?
    public var syncPeriod: Double?
    public var downscaleStabilization: Double?
    public var nodeScanInterval: Double?
    public var nodeUnneededTime: Double?
    public var scaleDownDelayAfterAdd: Double?
    /// `utilisation`, `concurrency`, `queue-length` (the model's queue, and an LLM model's
    /// engines' waiting lines) or `kv-cache-usage` (an LLM model's engines' KV cache in use).
    public var metric = "utilisation"
    /// autoscaling/v2 `behavior`; nil: the legacy normalisation.
    public var behavior: BehaviorSpec?
    /// `"scaler": "step"`: the alarms and steps.
    public var step: StepSpec?
    public var quota = NodeQuota()
    /// KEDA in front of the HPA (`"keda": {…}`): models whose `instances.min` is 0 scale to
    /// and from zero; nil: the HPA alone.
    public var keda: KEDASpec?
}

/// KEDA's ScaledObject settings a plan may override (nil: KEDA's default).
public struct KEDASpec: Sendable, Equatable {
    public var pollingInterval: Double?
    public var cooldownPeriod: Double?
    public var activationThreshold: Double?
    public init() {}
}

/// Step scaling as written in the scenario.
public struct StepSpec: Sendable, Equatable {
    public struct Step: Sendable, Equatable {
        public var lower: Double?
        public var upper: Double?
        /// "change", "percent" or "exact", and its value.
        public var kind: String
        public var value: Double
    }
    public struct Alarm: Sendable, Equatable {
        public var threshold: Double
        public var evaluationPeriods: Int
        public var steps: [Step]
    }
    public var period: Double = 60
    public var warmup: Double = 300
    /// Simple scaling (`"scaler": "simple"`): the cooldown after each activity; nil for step
    /// scaling. Each alarm then has one step, unbounded.
    public var cooldown: Double?
    public var scaleOut: Alarm?
    public var scaleIn: Alarm?
}

/// Provider prices for serverless hosting.
public struct ProviderPricing: Sendable, Equatable {
    public var perGBSecond: Double
    public var perRequest: Double
    public var perGPUSecond: Double?
    /// Billed-duration rounding (seconds).
    public var granularity: Double
    /// Provisioned concurrency: USD per GB-s provisioned (capacity), and per GB-s of duration
    /// on provisioned environments (autoscalers.md §4.4, [S]).
    public var provisionedPerGBSecond = 0.0000041667
    public var provisionedDurationPerGBSecond = 0.0000097222
    /// AWS Lambda x86_64, US East: $0.0000166667 per GB-s, $0.20 per 1M requests, rounded up to
    /// 1 ms (autoscalers.md §4.4; [S] copies of the pricing page, [P-doc] for the 1 ms rounding).
    public static let lambda = ProviderPricing(perGBSecond: 0.0000166667, perRequest: 0.0000002,
                                               perGPUSecond: nil, granularity: 0.001)
}

public struct ServerlessPlan: Sendable, Equatable {
    public enum Hosting: String, Sendable, Equatable, CaseIterable {
        case provider
        case `self`
    }
    public var hosting: Hosting
    public var keepAlive: Double
    /// Self-hosted: the node pools.
    public var nodes: [NodeRange]
    /// Provider-hosted: concurrent instances allowed over all models (0 = unlimited).
    public var concurrencyLimit: Int
    public var pricing: ProviderPricing
    public var nodeScanInterval: Double?
    public var nodeUnneededTime: Double?
    public var scaleDownDelayAfterAdd: Double?
    /// Self-hosted with `"scaler": "kpa"`: the Knative Pod Autoscaler's settings (nil: the
    /// keep-alive scaler).
    public var kpa: KPASettings?
    /// `"keepAlivePolicy": "hybrid-histogram"`: windows learned per model (Shahrad et al.)
    /// instead of the fixed `keepAlive`.
    public var hybridKeepAlive = false
    /// New environments per model per 10 s (0: no limit).
    public var scaleRatePer10s = 0
    /// Provider hosting: provisioned concurrency by model index.
    public var provisioned: [Int] = []
    /// Self-hosting: limits over all pools.
    public var quota = NodeQuota()
}

/// Knative Pod Autoscaler settings a plan may override (nil: Knative's default).
public struct KPASettings: Sendable, Equatable {
    public var targetUtilisation: Double?
    public var stableWindow: Double?
    public var panicWindowPercentage: Double?
    public var panicThreshold: Double?
    public var maxScaleUpRate: Double?
    public var maxScaleDownRate: Double?
    public var scaleToZeroGrace: Double?
    public init() {}
}

public enum PlanPolicy: Sendable, Equatable {
    /// Nodes per hardware index; pinned instance counts per model index (nil: packed).
    case traditional(nodes: [Int], instances: [Int?])
    case elastic(ElasticPlan)
    case serverless(ServerlessPlan)

    public var family: String {
        switch self {
        case .traditional: return "traditional"
        case .elastic: return "elastic"
        case .serverless: return "serverless"
        }
    }
}

public struct Plan: Sendable, Equatable {
    public var name: String
    public var policy: PlanPolicy
    public var jsonPath: String
    /// Committed capacity bought for the whole run (reserved instances, savings plans,
    /// capacity blocks): nodes of a type paid at their own price whether used or not; live
    /// nodes beyond the commitment pay the type's on-demand price.
    public var commitments: [Commitment] = []
    /// By model: the balancer this plan puts in front of an LLM model's instances, in place of
    /// its engine's (`plans.<p>.routing`); nil keeps the engine's.
    public var routing: [EngineSpec.Routing?] = []
    /// Targets this plan serves as others (`plans.<p>.serve`): requests for `from` are
    /// requests for `to` here, a model's traffic served by its disaggregated pipeline, say.
    public var serve: [ServeAs] = []
}

/// One retargeting of a plan's traffic (`plans.<p>.serve`): target indices.
public struct ServeAs: Sendable, Equatable {
    public var from: Int
    public var to: Int
    public init(from: Int, to: Int) {
        self.from = from
        self.to = to
    }
}

/// Limits over all of a plan's pools (a cloud account's quota): vCPUs and GPUs; 0: none.
public struct NodeQuota: Sendable, Equatable {
    public var vcpus = 0
    public var gpus = 0
    public init() {}
}

public struct Commitment: Sendable, Equatable {
    public var hardware: Int
    public var nodes: Int
    public var pricePerHour: Double
}
