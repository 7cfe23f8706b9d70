/// An amount of node resources: CPU in millicores, memory in MiB, whole GPUs.
///
/// Integers, so that packing decisions never depend on floating-point rounding.
public struct Resources: Hashable, Sendable {
    public var milliCPU: Int64
    public var memoryMiB: Int64
    public var gpus: Int64

    @inlinable public init(milliCPU: Int64, memoryMiB: Int64, gpus: Int64) {
        self.milliCPU = milliCPU
        self.memoryMiB = memoryMiB
        self.gpus = gpus
    }

    public static let zero = Resources(milliCPU: 0, memoryMiB: 0, gpus: 0)

    /// Whether `demand` fits into these (free) resources.
    @inlinable public func fits(_ demand: Resources) -> Bool {
        demand.milliCPU <= milliCPU && demand.memoryMiB <= memoryMiB && demand.gpus <= gpus
    }
    @inlinable public static func + (a: Resources, b: Resources) -> Resources {
        Resources(milliCPU: a.milliCPU + b.milliCPU, memoryMiB: a.memoryMiB + b.memoryMiB, gpus: a.gpus + b.gpus)
    }
    @inlinable public static func - (a: Resources, b: Resources) -> Resources {
        Resources(milliCPU: a.milliCPU - b.milliCPU, memoryMiB: a.memoryMiB - b.memoryMiB, gpus: a.gpus - b.gpus)
    }
}

/// What the core knows of a node type: its allocatable capacity.
public struct NodeTypeSpec: Sendable {
    public var capacity: Resources
    /// Spot nodes: whether requests cut off by an interruption are retried (queued again for
    /// their model) rather than failed.
    public var retriesInterrupted = true
    public init(capacity: Resources) { self.capacity = capacity }
}

/// What the core knows of a model: its resource request, where it may run, how many requests
/// one instance serves at once, and how many requests may wait for a slot.
public struct ModelSpec: Sendable {
    public var requires: Resources
    /// Node types the model may be placed on, in order of preference.
    public var allowedNodeTypes: [NodeTypeID]
    /// Requests one instance serves at once (≥ 1).
    public var concurrency: Int
    /// Requests that may wait for a slot beyond the slots of instances already starting.
    public var queueLimit: Int
    /// Which instance with a free slot takes a new request.
    public var routing: Routing = .mostRecentlyUsed

    /// How a model's requests are spread over its instances.
    public enum Routing: Sendable, Equatable {
        /// The most recently used instance with a free slot: load is packed, so the instances
        /// left idle can be released (Knative's activator and Lambda reuse the warmest).
        case mostRecentlyUsed
        /// The instance with the fewest requests in flight (ties: the most recently used):
        /// the load balancer in front of LLM servers (Envoy's LEAST_REQUEST, the Kubernetes
        /// Gateway API inference extension), where a request's speed depends on its batch.
        case leastLoaded
        /// Cache-aware: a request whose prompt shares a long enough prefix with what went to an
        /// instance goes there, unless the load is imbalanced (`CacheAwareRouting`); otherwise
        /// the least loaded. Requests without a prompt prefix route least-loaded.
        case cacheAware(CacheAwareRouting)
        /// Session affinity (sticky sessions, llm-d's session-affinity scorer): a request of a
        /// conversation the host names goes to the instance its conversation's previous
        /// request was sent to, while that instance has a free slot; otherwise, and for a
        /// request of no named conversation, the least loaded.
        case sessionAffinity
    }

    /// The cache-aware policy of SGLang's router (sgl-model-gateway, `--policy cache_aware`):
    /// the router remembers, per prompt block, the instance it last sent it to (its
    /// approximate radix tree of routed prompts); a request goes to the instance holding its
    /// longest routed prefix when that prefix is more than `cacheThreshold` of its blocks,
    /// else to the least loaded; and when the load is imbalanced — the most loaded instance
    /// has more than `balanceAbsThreshold` requests more than the least loaded and more than
    /// `balanceRelThreshold` times as many — to the least loaded whatever the prefix. The
    /// defaults are the gateway's (`--cache-threshold 0.3`, `--balance-abs-threshold 64`,
    /// `--balance-rel-threshold 1.5`: its docs, concepts/routing/cache-aware.md).
    public struct CacheAwareRouting: Sendable, Equatable {
        public var cacheThreshold: Double
        public var balanceAbsThreshold: Int
        public var balanceRelThreshold: Double

        public init(cacheThreshold: Double = 0.3, balanceAbsThreshold: Int = 64, balanceRelThreshold: Double = 1.5) {
            self.cacheThreshold = cacheThreshold
            self.balanceAbsThreshold = balanceAbsThreshold
            self.balanceRelThreshold = balanceRelThreshold
        }
    }

    public init(requires: Resources, allowedNodeTypes: [NodeTypeID], concurrency: Int, queueLimit: Int) {
        self.requires = requires
        self.allowedNodeTypes = allowedNodeTypes
        self.concurrency = concurrency
        self.queueLimit = queueLimit
    }
}

/// A target callers address: one model, or a pipeline of models run one after the other.
public struct TargetSpec: Sendable {
    /// The stages in order; a plain model target has one stage.
    public var stages: [ModelID]
    public init(stages: [ModelID]) { self.stages = stages }
}

/// A training job as the core sees it: whole nodes of one type, and a priority.
///
/// Serving runs at priority 0. A job above it may take nodes from serving (their instances
/// drain, then the job starts on the emptied nodes); a job at or below 0 waits for empty or
/// new nodes. A job preempts running jobs of lower priority when it cannot otherwise get
/// its nodes.
public struct JobSpec: Sendable, Equatable {
    public var nodeType: NodeTypeID
    public var nodes: Int
    public var priority: Int
    public init(nodeType: NodeTypeID, nodes: Int, priority: Int) {
        self.nodeType = nodeType
        self.nodes = nodes
        self.priority = priority
    }
}

/// Versions of one model that live at once: requests for the group's first model are split
/// between the members by weight (the smooth weighted round-robin of nginx, so the split is
/// exact and needs no random numbers).
public struct VariantGroup: Sendable, Equatable {
    public var members: [ModelID]
    /// Initial weights in per mille, by member.
    public var weights: [Int]
    public init(members: [ModelID], weights: [Int]) {
        self.members = members
        self.weights = weights
    }
}

/// A scheduled rollout of a new version within a group.
public struct RolloutPlan: Sendable, Equatable {
    /// Index into `ClusterConfiguration.variantGroups`.
    public var group: Int
    public var variant: ModelID
    /// Blue-green: start the new version at the size of the live ones, switch all traffic
    /// when it is ready. Canary: the new version's weight at each step (per mille).
    public var blueGreen: Bool
    public var weights: [Int]
    public init(group: Int, variant: ModelID, blueGreen: Bool, weights: [Int]) {
        self.group = group
        self.variant = variant
        self.blueGreen = blueGreen
        self.weights = weights
    }
}

/// The static description the core schedules against.
public struct ClusterConfiguration: Sendable {
    public var nodeTypes: [NodeTypeSpec]
    public var models: [ModelSpec]
    public var targets: [TargetSpec]
    /// Whether instances live on the plan's own nodes (`true`) or on a provider's capacity
    /// that the plan never sees (`false`, Lambda-like hosting).
    public var usesNodes: Bool
    /// Whether the core keeps time integrals of busy and ready slots per model (the
    /// utilisation metric of target tracking). Plans that never read them skip the work.
    public var tracksUtilisation: Bool
    /// Whether the core counts busy slots per model (`ModelRecord.busySlots`): the utilisation
    /// integrals and the keep-alive policy read them; reserved capacity reads neither and
    /// skips a write per dispatch and completion. Always on with `tracksUtilisation`.
    public var countsBusySlots = true
    /// Requests a caller may have in flight at once, by caller id (0 or absent: no quota).
    public var callerQuotas: [Int] = []
    /// Training jobs, by job id.
    public var jobs: [JobSpec] = []
    /// Models served as versions of one another, with their traffic split.
    public var variantGroups: [VariantGroup] = []
    /// Rollouts, by index (`SchedulerInput.rolloutStep`).
    public var rollouts: [RolloutPlan] = []

    public init(nodeTypes: [NodeTypeSpec], models: [ModelSpec], targets: [TargetSpec], usesNodes: Bool,
                tracksUtilisation: Bool = true) {
        self.nodeTypes = nodeTypes
        self.models = models
        self.targets = targets
        self.usesNodes = usesNodes
        self.tracksUtilisation = tracksUtilisation
    }
}
