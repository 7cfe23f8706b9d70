import SchedulerCore
import Scenario
import Planning

/// The hardware and model physics of a plan: what only the host (simulator) knows — boot,
/// cold-start and service-time distributions, prices and billing rules.
struct PlanPhysics {
    struct HardwareInfo {
        var pricePerHour: Double
        var gpus: Int
        var billing: Billing
        var boot: Sampler
        var pullMBps: Double?
        var loadGBps: Double?
        var stockoutProbability: Double
        var stockoutWindows: [ClosedRange<Double>]
        var spot: SpotSpec?
    }
    struct ModelInfo {
        /// Service time per hardware index (nil where the model does not run).
        var service: [Sampler?]
        var providerService: Sampler
        var image: Int32
        var pull: Sampler
        var initTime: Sampler
        var load: Sampler
        var memoryGB: Double
        var gpus: Int
        var concurrency: Int
        var imageSizeGB: Double?
        var weightsGB: Double?
        var warmup: Sampler
    }
    var hardware: [HardwareInfo]
    var models: [ModelInfo]
    var imageCount: Int
    var providerHosted: Bool
    var pricing: ProviderPricing
    /// Provider hosting: instance slots below this are provisioned environments, and the GB
    /// they hold (billed for the whole run).
    var provisionedSlots = 0
    var provisionedGB = 0.0
    /// Committed nodes and their price, by node type (0: none).
    var committed: [Int] = []
    var committedPricePerHour: [Double] = []
}

extension PlanBuilder {
    /// The simulator's physics of a plan: what only the host knows.
    static func physics(_ s: Scenario, plan: Plan) -> PlanPhysics {
        var providerHosted = false
        var pricing = ProviderPricing.lambda
        if case let .serverless(sv) = plan.policy {
            providerHosted = sv.hosting == .provider
            pricing = sv.pricing
        }
        var imageNames: [String] = []
        let models = s.models.map { m -> PlanPhysics.ModelInfo in
            var image: Int32 = -1
            if let img = m.image {
                if let k = imageNames.firstIndex(of: img.name) { image = Int32(k) } else { imageNames.append(img.name); image = Int32(imageNames.count - 1) }
            }
            return PlanPhysics.ModelInfo(service: m.service.map { $0.map(Sampler.init) }, providerService: Sampler(m.providerService),
                                         image: image, pull: Sampler(m.image?.pull ?? .constant(0)),
                                         initTime: Sampler(m.initTime), load: Sampler(m.load),
                                         memoryGB: m.requires.memoryGiB, gpus: m.requires.gpus,
                                         concurrency: providerHosted ? 1 : m.concurrency,
                                         imageSizeGB: m.image?.sizeGB, weightsGB: m.weightsGB, warmup: Sampler(m.warmup))
        }
        let hardware = s.hardware.map {
            PlanPhysics.HardwareInfo(pricePerHour: $0.pricePerHour, gpus: $0.gpus, billing: $0.billing, boot: Sampler($0.boot),
                                     pullMBps: $0.pullMBps, loadGBps: $0.loadGBps,
                                     stockoutProbability: $0.stockoutProbability, stockoutWindows: $0.stockoutWindows, spot: $0.spot)
        }
        var physics = PlanPhysics(hardware: hardware, models: models, imageCount: imageNames.count,
                                  providerHosted: providerHosted, pricing: pricing)
        physics.committed = [Int](repeating: 0, count: s.hardware.count)
        physics.committedPricePerHour = [Double](repeating: 0, count: s.hardware.count)
        for c in plan.commitments {
            physics.committed[c.hardware] = c.nodes
            physics.committedPricePerHour[c.hardware] = c.pricePerHour
        }
        if case let .serverless(sv) = plan.policy, providerHosted {
            physics.provisionedSlots = sv.provisioned.reduce(0, +)
            physics.provisionedGB = zip(sv.provisioned, s.models).reduce(0) { $0 + Double($1.0) * $1.1.requires.memoryGiB }
        }
        return physics
    }

}
