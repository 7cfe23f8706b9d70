/// How much of a model's work runs on its node's shared cores (`models.<m>.cpu`), and how
/// many it can use at once: what the simulator shares between co-located instances and
/// start-ups (`../shared/reference/contention.md`).
///
/// The service and start-up times a scenario gives are times on an otherwise idle node. A
/// `fraction` of each is CPU work done at up to `threads` cores; the rest (waiting on I/O, on
/// a GPU, on sleep) is not shared. When the node's demand is within its cores, every activity
/// runs at its cap and the times are exactly the ones given.
public struct CPUWork: Sendable, Equatable {
    /// Share of a request's service time that is CPU work (0…1).
    public var fraction: Double = 1
    /// Cores one request can use at once (its threads).
    public var threads: Double = 1
    /// Share of each start-up phase that is CPU work (0…1): `init` (an interpreter importing
    /// its libraries), `load` (deserialising weights), `warmup`. 0: the phase shares nothing.
    public var initFraction: Double = 0
    public var loadFraction: Double = 0
    public var warmupFraction: Double = 0
    /// Cores a start-up can use at once.
    public var startupThreads: Double = 1
    /// Cores all of one instance's work can use at once, however many threads it has: a
    /// Python process is held to one by its GIL. Infinity: no bound beyond the threads. A
    /// steady cap, unlike a CPU limit, which the scheduler enforces per period.
    public var instanceThreads: Double = .infinity
    /// A start-up CPU boost, if any (`cpu.startupBoost`).
    public var startupBoost: StartupBoost? = nil

    public init() {}

    /// Whether a start-up burns any CPU that others need.
    public var sharesStartup: Bool { initFraction > 0 || loadFraction > 0 || warmupFraction > 0 }
}

/// A start-up CPU boost: while an instance starts, and for `afterReady` seconds once it is
/// ready, its CPU request (its weight) and its CPU limit are multiplied by `factor`.
///
/// Cloud Run's startup CPU boost doubles an instance's CPU through its start-up and about
/// 10 s after (factor 2, afterReady 10: Google Cloud blog "New startup CPU boost improves
/// cold starts in Cloud Run, Cloud Functions", 2022-09-26; contention.md [17, 18]);
/// `kube-startup-cpu-boost` raises requests and limits by a percentage and reverts them at
/// Ready or after a duration (contention.md [19]).
public struct StartupBoost: Sendable, Equatable {
    public var factor: Double
    public var afterReady: Double

    public init(factor: Double, afterReady: Double) {
        self.factor = factor
        self.afterReady = afterReady
    }
}

/// How a node type's cores are shared (`hardware.<t>.contention`).
public struct NodeContention: Sendable, Equatable {
    /// Cores busy with work outside the plan (system daemons, other tenants): an activity of
    /// its own that never ends, weighted by its cores.
    public var backgroundVCPUs: Double = 0
    /// The slowdown fair sharing misses (caches, memory bandwidth): progress is scaled by
    /// 1 / (1 + α · max(0, demand ÷ cores − 1)) while the node is oversubscribed (OpenDC's
    /// load-triggered interference, contention.md §1). Fitted by calibration; 0 by default.
    public var interference: Double = 0
    /// What concurrent start-ups do to each other beyond fair sharing (contention.md §4:
    /// parallel JVM starts doubled; namespace creation and imports hit kernel bottlenecks): a
    /// start-up's progress is further scaled by 1 / (1 + α · max(0, demand ÷ cores − 1)) while
    /// the node is oversubscribed. Fitted by calibration from concurrent starts; 0 by default.
    public var startupInterference: Double = 0
    /// How the kernel's run queues share the cores: `node`, one fluid for the whole node, or
    /// `perCore`, a run queue per core.
    public var runQueues: RunQueues = .node

    /// Where the node's runnable tasks wait for a core.
    ///
    /// - `node`: weighted max-min fair sharing of all the node's cores at once, as if every
    ///   task could run on any core at every instant (SimGrid's and OpenDC's model). Where
    ///   many tasks share few cores the kernel's balancing comes close to it.
    /// - `perCore`: each task (a request's or a start-up's CPU part; all of an instance's
    ///   when it is held to one core, as a Python process by its GIL) waits on one core's run
    ///   queue: placed on the core with the fewest tasks when it becomes runnable, sharing that
    ///   core only, and moved only when the cores' counts differ by two or more (a task moved
    ///   from the fullest to the emptiest, as the kernel's balancer does when the move evens
    ///   them). So three tasks on two cores give one a core to itself and the other two half a
    ///   core each, not two thirds each. Measured on Linux with a cgroup per worker, as a
    ///   container runtime runs pods (`Scripts/core-sharing.py --cgroups`, docs/accuracy.md).
    /// The most cores a type with run queues per core may have (each solve visits them all).
    public static let perCoreMax: Double = 1024

    public enum RunQueues: String, Sendable, CaseIterable {
        case node
        case perCore = "per-core"
    }

    public init() {}
}

/// How instances share a node type's GPUs (`hardware.<t>.gpuSharing`): several instances
/// that each require one GPU are placed on one physical GPU, as NVIDIA's device plugin
/// advertises a shared GPU as `replicas` GPUs (docs.nvidia.com gpu-operator "GPU sharing";
/// contention.md §3).
///
/// - `time-slicing`: the instances' kernels take turns (temporal processor sharing): while k
///   instances have GPU work in progress, each progresses at 1/k. No memory or fault
///   isolation.
/// - `mps`: NVIDIA's Multi-Process Service runs their kernels at once; each is slowed by the
///   others, by `mpsSlowdown` per other instance with GPU work in progress — 0.195 by
///   default: two vLLM instances on one A100 under MPS took 19.5 % longer per output token
///   (Pebble, "NVIDIA MPS vs dedicated GPU allocation for LLM inference"; contention.md [25]).
/// - `mig`: Multi-Instance GPU slices, isolated in hardware: an instance on a slice is not
///   slowed by its neighbours at all. Its service time is declared for the slice (the node
///   type stands for GPUs partitioned into `replicas` slices, up to 7: NVIDIA, "Minimizing
///   deep learning inference latency with MIG"; contention.md [27]).
public struct GPUSharing: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        case timeSlicing = "time-slicing"
        case mps
        case mig
    }

    public var mode: Mode
    /// Instances per physical GPU (MIG: slices per GPU).
    public var replicas: Int
    /// MPS only: the slowdown per other instance with GPU work in progress.
    public var mpsSlowdown: Double

    /// Two vLLM instances per A100 under MPS: TPOT +19.5 % (contention.md [25]).
    public static let publishedMPSSlowdown = 0.195
    /// MIG: at most 7 slices per GPU (A100, H100; contention.md [27]).
    public static let migSlicesMax = 7
    /// MPS: at most 48 client contexts per GPU on Volta and later (NVIDIA MPS documentation,
    /// contention.md [24]).
    public static let mpsClientsMax = 48

    public init(mode: Mode, replicas: Int, mpsSlowdown: Double = GPUSharing.publishedMPSSlowdown) {
        self.mode = mode
        self.replicas = replicas
        self.mpsSlowdown = mpsSlowdown
    }

    /// How fast each instance's GPU work progresses while `k` instances on the GPU have some.
    @inline(__always) public func speed(active k: Int) -> Double {
        switch mode {
        case .timeSlicing: return 1 / Double(Swift.max(1, k))
        case .mps: return 1 / (1 + mpsSlowdown * Double(Swift.max(0, k - 1)))
        case .mig: return 1
        }
    }
}
