import Scenario

/// Where a worker of a node runs: the CPU cores it is pinned to and the environment the
/// node adds (e.g. `CUDA_VISIBLE_DEVICES`).
public struct WorkerPlacement: Sendable, Equatable {
    public var cpus: [Int]
    public var environment: [(key: String, value: String)]

    public static func == (a: WorkerPlacement, b: WorkerPlacement) -> Bool {
        a.cpus == b.cpus && a.environment.map(\.key) == b.environment.map(\.key) && a.environment.map(\.value) == b.environment.map(\.value)
    }
}

/// Node provisioning: the runtime's extension point for where nodes come from.
///
/// The scheduler core asks for nodes (`startNode`, `stopNode`); the runtime calls a provider
/// and reports `nodeReady` when the provider says the node is up. `LocalPartitions` carves
/// this machine into the scenario's nodes; a cloud or Kubernetes provider would launch an
/// instance or a node pool member here and place workers on it.
public protocol NodeProvider: AnyObject, Sendable {
    /// Provisions node `node` of `type`. `warm` nodes exist from the start. Calls `ready`
    /// (from any thread) once workers may run there; returns the delay it models, if any.
    func startNode(_ node: Int, type: HardwareType, warm: Bool, ready: @escaping @Sendable () -> Void) -> Double
    /// Releases the node; it holds no worker any more.
    func stopNode(_ node: Int)
    /// Where a worker on `node` runs.
    func placement(onNode node: Int) -> WorkerPlacement
}

/// Nodes as logical partitions of this machine.
///
/// A node's boot time is modelled (the mean of its type's `boot` distribution, waited on the
/// wall clock; 0 when warm). Its vCPUs are cores of this machine, handed out round-robin (so
/// on a small machine nodes share cores); its GPUs are logical indices, given to its workers
/// as `CUDA_VISIBLE_DEVICES`.
public final class LocalPartitions: NodeProvider, @unchecked Sendable {
    let cores: Int
    private let state = Atomic(State())
    /// Multiplies modelled delays (0 in tests that do not want to wait).
    let delayScale: Double

    struct State {
        var nextCore = 0
        var nextGPU = 0
        var placements: [Int: WorkerPlacement] = [:]
    }

    public init(cores: Int? = nil, delayScale: Double = 1) {
        self.cores = cores ?? GNU.cores
        self.delayScale = delayScale
    }

    public func startNode(_ node: Int, type: HardwareType, warm: Bool, ready: @escaping @Sendable () -> Void) -> Double {
        let vcpus = max(1, Int(type.vcpus.rounded(.up)))
        let placement: WorkerPlacement = state.withLock { s in
            var cpus: [Int] = []
            for k in 0..<min(vcpus, cores) { cpus.append((s.nextCore + k) % cores) }
            s.nextCore = (s.nextCore + min(vcpus, cores)) % cores
            var env: [(key: String, value: String)] = []
            if type.gpus > 0 {
                env.append(("CUDA_VISIBLE_DEVICES", (s.nextGPU..<(s.nextGPU + type.gpus)).map(String.init).joined(separator: ",")))
                s.nextGPU += type.gpus
            }
            let p = WorkerPlacement(cpus: cpus.sorted(), environment: env)
            s.placements[node] = p
            return p
        }
        _ = placement
        let delay = warm ? 0 : type.boot.mean * delayScale
        if delay <= 0 {
            ready()
        } else {
            DispatchTimer.after(seconds: delay, ready)
        }
        return delay
    }

    public func stopNode(_ node: Int) {
        state.withLock { _ = $0.placements.removeValue(forKey: node) }
    }

    public func placement(onNode node: Int) -> WorkerPlacement {
        state.withLock { $0.placements[node] } ?? WorkerPlacement(cpus: [], environment: [])
    }
}
