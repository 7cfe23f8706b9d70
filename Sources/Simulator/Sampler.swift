import Foundation
import Scenario

/// A distribution ready to draw from, parameters precomputed. A closed enum, so drawing is a
/// switch, never an existential call.
public enum Sampler: Sendable, Equatable {
    case constant(Double)
    case exponential(mean: Double)
    case lognormal(mu: Double, sigma: Double)
    case uniform(min: Double, width: Double)
    /// Marsaglia–Tsang; shapes below 1 use the boost U^(1/shape).
    case gamma(shape: Double, scale: Double)
    case empirical(percentiles: [Double], values: [Double])
    case tokens(base: Double, perInput: Double, perOutput: Double)

    public init(_ spec: DistributionSpec) {
        switch spec {
        case let .constant(v): self = .constant(v)
        case let .exponential(mean): self = .exponential(mean: mean)
        case let .lognormal(mean, cv):
            // For mean m and cv c: σ² = ln(1 + c²), μ = ln m − σ²/2.
            let s2 = Foundation.log(1 + cv * cv)
            self = .lognormal(mu: Foundation.log(mean) - s2 / 2, sigma: s2.squareRoot())
        case let .uniform(a, b): self = .uniform(min: a, width: b - a)
        case let .gamma(mean, cv):
            let shape = 1 / (cv * cv)
            self = .gamma(shape: shape, scale: mean / shape)
        case let .empirical(points):
            self = .empirical(percentiles: points.map { $0.percentile / 100 }, values: points.map(\.value))
        case let .tokens(base, perIn, perOut): self = .tokens(base: base, perInput: perIn, perOutput: perOut)
        }
    }

    /// Whether a draw takes uniforms from its stream (a constant or a token formula takes none).
    public var drawsUniforms: Bool {
        switch self {
        case .constant, .tokens: return false
        case .exponential, .lognormal, .uniform, .gamma, .empirical: return true
        }
    }

    /// Draws one value (seconds, or a count), given the request's token counts.
    @inlinable public func sample<R: UniformDraws>(_ rng: inout R, inputTokens: Int32 = 0, outputTokens: Int32 = 0) -> Double {
        switch self {
        case let .constant(v):
            return v
        case let .exponential(mean):
            return rng.exponential(mean: mean)
        case let .lognormal(mu, sigma):
            return Foundation.exp(mu + sigma * rng.normal())
        case let .uniform(lo, width):
            return lo + width * rng.uniform()
        case let .gamma(shape, scale):
            return Self.gamma(shape: shape, &rng) * scale
        case let .empirical(ps, vs):
            let u = rng.uniform()
            var k = 1
            while k < ps.count - 1 && ps[k] < u { k += 1 }
            let span = ps[k] - ps[k - 1]
            if span <= 0 { return vs[k] }
            return vs[k - 1] + (vs[k] - vs[k - 1]) * (u - ps[k - 1]) / span
        case let .tokens(base, perInput, perOutput):
            return base + Double(inputTokens) * perInput + Double(outputTokens) * perOutput
        }
    }

    /// Draws a duration in nanoseconds (never negative).
    @inlinable @inline(__always) public func nanoseconds<R: UniformDraws>(_ rng: inout R, inputTokens: Int32 = 0, outputTokens: Int32 = 0) -> Int64 {
        // The commonest cases are drawn here, inline; the others through the general switch.
        let s: Double
        switch self {
        case let .exponential(mean): s = rng.exponential(mean: mean)
        case let .constant(v): s = v
        default: s = sample(&rng, inputTokens: inputTokens, outputTokens: outputTokens)
        }
        // Round to the nearest nanosecond; adding ½ and truncating avoids a libm call. A draw
        // past twice the longest run (a gamma of shape 10¹² has a mean of millennia) is as
        // good as never within it, and must not overflow the clock: it is held there.
        return s > 0 ? Int64(Swift.min(s, Sampler.never) * 1e9 + 0.5) : 0
    }

    /// `seconds` in nanoseconds, held at `never` (a transfer time from sizes and bandwidths
    /// the user gave can be any size).
    @inlinable public static func heldNanoseconds(_ seconds: Double) -> Int64 {
        seconds > 0 ? Int64((Swift.min(seconds, never) * 1e9).rounded()) : 0
    }

    /// Seconds beyond which a delay never ends within a run: twice the longest duration a
    /// scenario may give (10 years), 6.3 × 10¹⁷ ns, well inside Int64.
    public static let never = 2 * 315_360_000.0

    /// Marsaglia & Tsang (2000), "A simple method for generating gamma variables".
    @usableFromInline static func gamma<R: UniformDraws>(shape: Double, _ rng: inout R) -> Double {
        if shape < 1 {
            return gamma(shape: shape + 1, &rng) * Foundation.pow(rng.uniform(), 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = rng.normal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = rng.uniform()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if Foundation.log(u) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) { return d * v }
        }
    }
}
