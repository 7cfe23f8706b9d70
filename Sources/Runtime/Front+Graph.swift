import Foundation
import SchedulerCore

// Graph pipelines (fan-out / fan-in), orchestrated as the simulator does: each stage is a
// request of its own for the stage's model, submitted to the core once every stage it waits
// for has finished (`PipelineGraph`, shared with the simulator); the pipeline's request
// completes when all its stages have. A stage that is turned away or fails fails the request
// with that stage's answer, and the stages still queued or running are cancelled, as a caller
// that gave up would. Stages are submitted without a caller (quotas are not counted per
// stage), as in the simulator.
//
// What each stage receives: a root stage the client's body; a stage that waits for one stage
// that stage's answer; a stage that waits for several a JSON object of their answers keyed by
// model name (an answer that is not JSON becomes a JSON string). The client's answer is the
// last stage's (with several final stages, an object of their answers keyed the same way).

extension Front {
    func inferGraph(_ graph: PipelineGraph, target: Int, caller: Int, id: String, query: String,
                    headers: [(name: String, value: String)], body: [UInt8], style: Call.Style)
        -> (HTTPResponse, [AuditRecord.Stage], outcome: String, reason: String) {
        let arrival = MonotonicClock.nanoseconds()
        let run = GraphRun(graph: graph, names: graph.stages.map { scenario.models[$0.index].name })
        let deadline = arrival + Int64(timeout * 1e9)
        @Sendable func launch(_ s: Int, input: [UInt8]) {
            let child = Call(target: graph.stages[s].index, caller: 0, style: style, id: "\(id).\(s)", query: query, headers: headers,
                             body: input, arrival: MonotonicClock.nanoseconds(), timeout: timeout, isStage: true)
            guard run.register(s, child) else { return }   // the request already failed
            let front = self
            Thread.detachNewThread {
                let answer = front.drive(child)
                for (next, input) in run.finished(s, answer, child) { launch(next, input: input) }
            }
        }
        for s in graph.roots { launch(s, input: body) }
        let outcome = run.wait(until: deadline)
        let latency = Double(MonotonicClock.nanoseconds() - arrival) / 1e9
        for child in run.unfinished() { host.cancel(child) }
        let stages = run.children().flatMap(\.stages).sorted { $0.start < $1.start }
        switch outcome {
        case let .completed(answer):
            host.recordGraph(target: target, caller: caller, outcome: .completed, latency: latency)
            var response = answer
            response.headers.append(("X-Request-Id", id))
            if run.cold { response.headers.append(("Headroom-Cold-Start", "true")) }
            return (response, stages, "completed", "")
        case let .failed(answer, call):
            let timedOut = call.outcome == "timed_out"
            host.recordGraph(target: target, caller: caller, outcome: timedOut ? .timedOut : .rejected, latency: latency)
            return (answer, stages, timedOut ? "timed_out" : "rejected", call.reason.isEmpty ? "stage_failed" : call.reason)
        case .timedOut:
            host.recordGraph(target: target, caller: caller, outcome: .timedOut, latency: latency)
            return (.error(504, "no answer within the timeout of \(ValueText.seconds(timeout))"), stages, "timed_out", "")
        }
    }
}

/// The state of one graph pipeline request: which stages wait, run, or are done.
final class GraphRun: @unchecked Sendable {
    enum Outcome { case completed(HTTPResponse), failed(HTTPResponse, Call), timedOut }

    let graph: PipelineGraph
    let names: [String]
    private let condition = NSCondition()
    private var waiting: [Int32]
    private var answers: [HTTPResponse?]
    private var running: [Int: Call] = [:]
    private var all: [Call] = []
    private var left: Int
    private var outcome: Outcome?
    private(set) var cold = false

    init(graph: PipelineGraph, names: [String]) {
        self.graph = graph
        self.names = names
        waiting = graph.indegree.map(Int32.init)
        answers = [HTTPResponse?](repeating: nil, count: graph.stages.count)
        left = graph.stages.count
    }

    /// Notes a stage's request; false when the pipeline's request has already ended.
    func register(_ s: Int, _ call: Call) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard outcome == nil else { return false }
        running[s] = call
        all.append(call)
        return true
    }

    /// A stage answered: returns the stages it released, with their input.
    func finished(_ s: Int, _ answer: HTTPResponse, _ call: Call) -> [(Int, [UInt8])] {
        condition.lock()
        defer { condition.unlock() }
        running[s] = nil
        guard outcome == nil else { return [] }
        if answer.header("headroom-cold-start") != nil { cold = true }
        guard (200..<300).contains(answer.status) else {
            outcome = .failed(answer, call)
            condition.broadcast()
            return []
        }
        answers[s] = answer
        left -= 1
        if left == 0 {
            let sinks = graph.stages.indices.filter { graph.dependents[$0].isEmpty }
            outcome = .completed(sinks.count == 1 ? Self.clean(answers[sinks[0]]!) : combined(sinks))
            condition.broadcast()
            return []
        }
        var ready: [Int] = []
        graph.finish(s, waiting: &waiting, offset: 0, ready: &ready)
        return ready.map { next in
            let deps = graph.stages.indices.filter { graph.dependents[$0].contains(next) }
            return (next, deps.count == 1 ? answers[deps[0]]!.body : combined(deps).body)
        }
    }

    /// The answers of `stages` as one JSON object keyed by model name.
    private func combined(_ stages: [Int]) -> HTTPResponse {
        var text = "{"
        for (k, s) in stages.enumerated() {
            let body = answers[s]!.body
            let isJSON = (try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) != nil
            text += (k > 0 ? "," : "") + JSON.quote(names[s]) + ":" + (isJSON ? String(decoding: body, as: UTF8.self) : JSON.quote(String(decoding: body, as: UTF8.self)))
        }
        return .json(200, text + "}")
    }

    /// A stage's answer as the client's, without the stage's own request headers.
    private static func clean(_ r: HTTPResponse) -> HTTPResponse {
        HTTPResponse(status: r.status, headers: r.headers.filter { !HTTPRequest.sameName($0.name, "x-request-id") && !HTTPRequest.sameName($0.name, "headroom-cold-start") },
                     body: r.body)
    }

    /// Waits for the request's outcome, at most until `deadline` (monotonic ns).
    func wait(until deadline: Int64) -> Outcome {
        condition.lock()
        defer { condition.unlock() }
        while outcome == nil {
            let left = deadline - MonotonicClock.nanoseconds()
            if left <= 0 {
                outcome = .timedOut
                break
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(left) / 1e9))
        }
        return outcome!
    }

    /// Every stage request started.
    func children() -> [Call] {
        condition.lock()
        defer { condition.unlock() }
        return all
    }

    /// Stage requests still queued or running.
    func unfinished() -> [Call] {
        condition.lock()
        defer { condition.unlock() }
        return Array(running.values)
    }
}
