/// A pipeline whose stages form a directed acyclic graph: a stage runs once all the stages it
/// depends on have finished (fan-in); a finished stage may release several stages at once
/// (fan-out); the request is done when every stage has finished.
///
/// The host runs each stage as a request of its own for the stage's model and uses this
/// graph to know what to submit next, so the simulator and a serving runtime orchestrate a
/// pipeline the same way. A chain is the graph in which each stage depends on the previous.
public struct PipelineGraph: Sendable, Equatable {
    /// The model of each stage, in declaration order.
    public let stages: [ModelID]
    /// For each stage, the stages that wait for it.
    public let dependents: [[Int]]
    /// For each stage, how many stages it waits for.
    public let indegree: [Int]
    /// Stages that depend on nothing: submitted on arrival.
    public let roots: [Int]

    /// - Precondition: `dependencies[s]` lists stage indices; the graph has no cycle.
    public init(stages: [ModelID], dependencies: [[Int]]) {
        precondition(stages.count == dependencies.count)
        self.stages = stages
        var dependents = [[Int]](repeating: [], count: stages.count)
        for (s, deps) in dependencies.enumerated() { for d in deps { dependents[d].append(s) } }
        self.dependents = dependents
        indegree = dependencies.map(\.count)
        roots = stages.indices.filter { dependencies[$0].isEmpty }
        precondition(!roots.isEmpty, "a pipeline graph needs a stage that depends on nothing")
    }

    /// Marks `stage` finished: decrements the waits of its dependents in `waiting` (one count
    /// per stage, started from `indegree`) and appends those now free to run to `ready`.
    ///
    /// - Complexity: O(dependents of the stage).
    @inlinable public func finish(_ stage: Int, waiting: inout [Int32], offset: Int, ready: inout [Int]) {
        for d in dependents[stage] {
            waiting[offset + d] -= 1
            if waiting[offset + d] == 0 { ready.append(d) }
        }
    }
}
