import Dispatch

/// Independent jobs on all cores, results in job order.
public enum ParallelWork {
    /// Runs `job(0) … job(count − 1)` — on all cores with Dispatch when `parallel` — and
    /// returns their results in index order, whatever order they finished in. The first error,
    /// in index order, is rethrown after every job has run.
    public static func map<T>(_ count: Int, parallel: Bool = true, _ job: @Sendable (Int) throws -> T) throws -> [T] {
        var results = [Result<T, Error>?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { buffer in
            // Each job writes only its own slot, so the writes do not race.
            nonisolated(unsafe) let slots = buffer
            if parallel && count > 1 {
                DispatchQueue.concurrentPerform(iterations: count) { j in slots[j] = Result { try job(j) } }
            } else {
                for j in 0..<count { slots[j] = Result { try job(j) } }
            }
        }
        return try results.map { try $0!.get() }
    }
}
