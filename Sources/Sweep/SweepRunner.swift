import Foundation
import Scenario
import Planning
import Simulator
import Reports

/// What to sweep.
public struct SweepSpec: Sendable {
    public var scenarioPath: String
    public var dimensions: [Dimension]
    public var design: SweepDesign = .grid
    /// Seed of random and Latin-hypercube sampling (default: the scenario's seed).
    public var seed: UInt64?
    /// Run only variants `v` with `v % count == index - 1` (1-based index).
    public var shard: (index: Int, count: Int)?
    public var parallel = true

    public init(scenarioPath: String, dimensions: [Dimension]) {
        self.scenarioPath = scenarioPath
        self.dimensions = dimensions
    }
}

/// Runs every variant of a sweep (all plans each) and collects the summary rows.
public enum SweepRunner {
    /// The variants of the whole sweep.
    public static func variants(_ spec: SweepSpec, scenarioSeed: UInt64) -> [[Dimension.Value]] {
        spec.design.variants(spec.dimensions, seed: spec.seed ?? scenarioSeed)
    }

    /// Runs the sweep (or its shard). `progress(done, total)` is called as variants finish.
    public static func run(_ spec: SweepSpec, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> SweepTable {
        let (root, directory) = try ScenarioLoader.read(path: spec.scenarioPath)
        let base = try ScenarioLoader.decode(root: root, file: spec.scenarioPath, directory: directory)
        let all = variants(spec, scenarioSeed: base.seed)
        guard !all.isEmpty else { throw SweepError.usage("the sweep has no variants") }
        let mine = all.indices.filter { v in spec.shard.map { v % $0.count == $0.index - 1 } ?? true }
        // Check every path once on the base document before running anything.
        for (k, d) in spec.dimensions.enumerated() { _ = try d.path.setting(all[0][k].json, in: root) }

        let counter = Counter()
        // Fewer variants than cores (or --sequential): each variant's plans run one at a time,
        // and a free core draws their arrivals ahead.
        let drawAhead = Runner.leavesCoreIdle(simulations: mine.count, parallel: spec.parallel)
        let results = try ParallelWork.map(mine.count, parallel: spec.parallel) { j in
            defer { progress?(counter.increment(), mine.count) }
            return try runVariant(mine[j], values: all[mine[j]], spec: spec, root: root, directory: directory, drawAhead: drawAhead)
        }
        var rows: [SweepRow] = []
        for (j, fieldsOfPlans) in results.enumerated() {
            for fields in fieldsOfPlans { rows.append(SweepRow(variant: mine[j], fields: fields)) }
        }
        return SweepTable(header: SweepTable.header(dimensions: spec.dimensions, engine: base.hasEngine), rows: rows, totalVariants: all.count, scenario: base.name)
    }

    static func runVariant(_ v: Int, values: [Dimension.Value], spec: SweepSpec, root: JSONNode, directory: String,
                           drawAhead: Bool) throws -> [[String]] {
        var document = root
        for (k, d) in spec.dimensions.enumerated() { document = try d.path.setting(values[k].json, in: document) }
        let label = zip(spec.dimensions, values).map { "\($0.path.text)=\($1.cell)" }.joined(separator: ", ")
        let scenario: Scenario
        do {
            scenario = try ScenarioLoader.decode(root: document, file: spec.scenarioPath, directory: directory)
            for p in scenario.plans.indices { try PlanBuilder.checkPlan(scenario, planIndex: p) }
        } catch let e as ScenarioError {
            throw SweepError.data("variant \(v) (\(label)): \(e.description)")
        }
        var options = RunOptions()
        options.interval = 0
        options.parallel = false
        options.drawAhead = drawAhead
        var rows: [[String]] = []
        for p in scenario.plans.indices {
            let r = try Runner.runPlan(scenario, index: p, seed: scenario.seed, options: options)
            let summary = Summary.row(r)
            var fields = [String(v)] + values.map(\.cell) + [CSVNumber.field(r.plan), r.policy]
            for (k, name) in SummaryMetric.names.enumerated() {
                fields.append(CSVReports.number(summary.values[k], integer: CSVReports.integerMetrics.contains(name)))
            }
            fields.append(r.hasSLO ? (Summary.meetsSLO(r, percentile: scenario.slo.percentile) ? "1" : "0") : "")
            fields += ["", ""]
            if scenario.hasEngine { fields += CSVReports.engineFields(summary.engineValues) }
            rows.append(fields)
        }
        return rows
    }
}

/// A thread-safe counter for progress.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
