import Foundation

/// A random stream's uniforms and their logarithms, drawn ahead (`DrawAhead`): a one-plan
/// run's service times come from here, and the loop is spared the `log` of each exponential
/// draw.
///
/// Each value is one `next()` of the stream, as `RandomSource.uniform()` makes it, with
/// `log(u)` computed by the same libm call `RandomSource.exponential` and `normal` make. So a
/// distribution that takes its uniforms from `PrefetchedStream` draws exactly what it would
/// from the stream itself, value for value. The stream never ends: the thread keeps a ring
/// ahead of the loop until `stop`.
final class StreamPrefetch {
    struct Uniform {
        var u: Double
        var log: Double
    }

    let draws: DrawAhead<Uniform>

    /// Starts drawing `stream`'s uniforms from its current state, in batches of `batchSize`
    /// (by default 8,192 of 16 bytes, 128 KB). The stream must not be drawn from elsewhere
    /// afterwards: its next draws are these.
    init(_ stream: RandomSource, batchSize: Int = 8192) {
        var rng = stream
        draws = DrawAhead(batchSize: batchSize, name: "draws-ahead") { buffer, capacity in
            var r = rng   // out of the closure's box for the batch (see SourcePrefetch)
            defer { rng = r }
            for k in 0..<capacity {
                let u = r.uniform()
                buffer[k] = Uniform(u: u, log: Foundation.log(u))
            }
            return capacity
        }
    }

    /// The loop's handle on the drawn values (unretained: the run holds the prefetch).
    var stream: PrefetchedStream { PrefetchedStream(ahead: Unmanaged.passUnretained(draws)) }

    /// Ends the drawing thread (see `DrawAhead.stop`).
    func stop() { draws.stop() }
}

/// The uniforms of a `StreamPrefetch`, taken in order.
struct PrefetchedStream: UniformDraws {
    let ahead: Unmanaged<DrawAhead<StreamPrefetch.Uniform>>

    /// The next uniform and its log.
    ///
    /// - Complexity: O(1) amortized.
    @inline(__always) mutating func take() -> StreamPrefetch.Uniform {
        ahead._withUnsafeGuaranteedRef { a in
            // The stream never ends and its fill never throws: a value always comes.
            guard let v = try? a.next() else { preconditionFailure("a drawn-ahead random stream ended") }
            return v
        }
    }

    @inline(__always) mutating func uniform() -> Double { take().u }

    /// The same value as `RandomSource.exponential`: −mean × log(u), its log drawn ahead.
    @inline(__always) mutating func exponential(mean: Double) -> Double { -mean * take().log }

    /// The same value as `RandomSource.normal`.
    mutating func normal() -> Double {
        let first = take(), second = take()
        return (-2 * first.log).squareRoot() * Foundation.cos(2 * Double.pi * second.u)
    }
}
