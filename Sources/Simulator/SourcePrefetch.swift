/// A synthetic source's arrivals, drawn ahead (`DrawAhead`).
///
/// Drawing an arrival (a uniform, a `log`, the target mix and token draws) is about a sixth of
/// a one-plan run's work, and depends on nothing the simulation does: sources are open-loop,
/// with random streams of their own. The drawing thread runs the very same
/// `SourceState.advance` on its own copy of the source.
///
/// Only synthetic processes are drawn ahead: a trace replay interns caller and version names
/// into the run's tables as it reads them.
final class SourcePrefetch {
    /// One arrival: `SourceState`'s `next…` fields.
    struct Draw {
        var time: Int64
        var service: Int64
        var target: Int32
        var caller: Int32
        var version: Int32
        var input: Int32
        var output: Int32
    }

    /// Whether a source's arrivals can be drawn ahead (a synthetic process).
    static func canDrawAhead(_ source: SourceState) -> Bool {
        switch source.process {
        case .trace, .functionCounts, .conversations: return false
        default: return true
        }
    }

    let draws: DrawAhead<Draw>

    /// Starts drawing `source`'s arrivals after the one it holds now, in batches of
    /// `batchSize` (by default 8,192 draws of 40 bytes, 320 KB: handing a batch over, a
    /// wake-up of the other thread, is rare).
    init(_ source: SourceState, batchSize: Int = 8192) {
        var source = source
        // Synthetic processes never touch the name tables; these only satisfy the signature.
        var callers = StringTable(), versions = StringTable()
        draws = DrawAhead(batchSize: batchSize, name: "arrivals-ahead") { buffer, capacity in
            // Copied out of the closure's box for the batch: every access to a captured `var`
            // is checked for exclusivity at run time.
            var s = source, c = callers, v = versions
            defer { source = s; callers = c; versions = v }
            var n = 0
            while n < capacity {
                try s.advance(callers: &c, versions: &v)
                if s.exhausted { break }
                buffer[n] = Draw(time: s.nextTime, service: s.nextService, target: s.nextTarget,
                                 caller: s.nextCaller, version: s.nextVersion, input: s.nextInput, output: s.nextOutput)
                n += 1
            }
            return n
        }
    }

    /// Sets `source`'s next arrival to the next draw, or marks it exhausted, as
    /// `source.advance` would; rethrows what `advance` threw on the drawing thread.
    ///
    /// - Complexity: O(1) amortized.
    @inline(__always) func next(into source: inout SourceState) throws {
        guard let d = try draws.next() else { source.exhausted = true; return }
        source.nextTime = d.time
        source.nextService = d.service
        source.nextTarget = d.target
        source.nextCaller = d.caller
        source.nextVersion = d.version
        source.nextInput = d.input
        source.nextOutput = d.output
    }

    /// Ends the drawing thread (see `DrawAhead.stop`).
    func stop() { draws.stop() }
}
