/// A seeded generator for the core's randomized tests (SplitMix64, Steele, Lea and Flood,
/// OOPSLA 2014): the same seed gives the same history on every run and platform.
struct SplitMix: RandomNumberGenerator {
    var x: UInt64

    mutating func next() -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in 0..<n.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
