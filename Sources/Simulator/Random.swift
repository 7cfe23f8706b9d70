import Foundation

/// What a distribution draws from: a random stream's uniforms, one `next()` of the stream
/// each (two for `normal`). `RandomSource` draws them as asked; `PrefetchedStream` takes the
/// same ones, drawn ahead on another thread.
public protocol UniformDraws {
    /// Uniform in the open interval (0, 1).
    mutating func uniform() -> Double
    /// Exponential with the given mean: −mean × log(uniform).
    mutating func exponential(mean: Double) -> Double
    /// Standard normal (Box–Muller on two uniforms).
    mutating func normal() -> Double
}

/// xoshiro256** (Blackman & Vigna, 2018), seeded through SplitMix64.
///
/// Every random stream of a run is one of these, derived from the scenario seed and a stream
/// number, so that adding a draw to one stream never shifts another (arrivals stay the same
/// across plans: common random numbers).
public struct RandomSource: Sendable, UniformDraws {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// A stream for `seed` and `stream`.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var x = seed ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(&x); s1 = splitmix(&x); s2 = splitmix(&x); s3 = splitmix(&x)
    }

    @inlinable @inline(__always) public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in the open interval (0, 1): never 0, so `log` is safe.
    @inlinable @inline(__always) public mutating func uniform() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// Exponential with the given mean.
    @inlinable @inline(__always) public mutating func exponential(mean: Double) -> Double {
        -mean * Foundation.log(uniform())
    }

    /// Standard normal (Box–Muller; one of the pair is discarded to keep the stream stateless).
    @inlinable public mutating func normal() -> Double {
        let u1 = uniform(), u2 = uniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}
