import Foundation
import SchedulerCore
import Scenario
import Planning

/// Feeds a decision log's inputs, at their recorded times, to a fresh core built from the same
/// scenario and plan, and compares the actions it produces with the recorded ones.
public enum DecisionReplay {
    public struct Outcome: Sendable {
        public var inputs = 0
        public var actions = 0
        /// The first line whose actions differ: line number, recorded and replayed actions.
        public var firstDifference: (line: Int, input: String, recorded: String, replayed: String)?
    }

    /// The log's header: the scenario file it was recorded with and the plan.
    public static func header(of path: String) throws -> (scenario: String, plan: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw RuntimeError("\(path): cannot read the decision log") }
        guard let first = text.split(separator: "\n", maxSplits: 1).first,
              let object = try? JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any],
              object["headroom"] as? String == "decision-log",
              let scenario = object["scenario"] as? String, let plan = object["plan"] as? String else {
            throw RuntimeError("\(path):1: not a Headroom decision log (expected a header line {\"headroom\":\"decision-log\",…})")
        }
        return (scenario, plan)
    }

    public static func replay(_ path: String, scenario: Scenario) throws -> Outcome {
        let (_, planName) = try header(of: path)
        guard let planIndex = scenario.plans.firstIndex(where: { $0.name == planName }) else {
            throw RuntimeError("\(path): plan \"\(planName)\" is not in \(scenario.file)")
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        struct Replay: CoreVisitor {
            let lines: [Substring], path: String
            func visit<P: ScalingPolicy>(_ core: Scheduler<P>) throws -> Outcome {
                var core = core
                var outcome = Outcome()
                var actions: [SchedulerAction] = []
                for (k, line) in lines.enumerated().dropFirst() where !line.isEmpty {
                    guard let outRange = line.range(of: ",\"out\":"), line.hasSuffix("}"),
                          let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                          let t = (object["t"] as? NSNumber)?.int64Value, let input = object["in"].flatMap(DecisionCodec.decodeInput) else {
                        // A line cut short by a kill is the log's end, not a difference.
                        if k == lines.count - 1 || (k == lines.count - 2 && lines.last!.isEmpty) { break }
                        throw RuntimeError("\(path):\(k + 1): not a decision line")
                    }
                    actions.removeAll(keepingCapacity: true)
                    core.handle(input, at: TimePoint(nanoseconds: t), into: &actions)
                    outcome.inputs += 1
                    outcome.actions += actions.count
                    let recorded = String(line[outRange.upperBound..<line.index(before: line.endIndex)])
                    let replayed = DecisionCodec.encode(actions[...])
                    if recorded != replayed {
                        outcome.firstDifference = (k + 1, DecisionCodec.encode(input), recorded, replayed)
                        return outcome
                    }
                }
                return outcome
            }
        }
        return try PlanBuilder.withCore(scenario, planIndex: planIndex, callerQuotas: CallerDirectory(scenario).quotas,
                                        Replay(lines: lines, path: path))
    }
}
