import Dispatch
import Foundation
import Scenario
@testable import Simulator

/// The repository root, from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func scenario(_ json: String, file: String = "test.json", directory: String = ".") throws -> Scenario {
    try ScenarioLoader.decode(json, file: file, directory: directory)
}

/// One fixed pool of `servers` single-slot instances behind a Poisson source.
func queueScenario(servers: Int, rate: Double, service: String, queueLimit: Int, duration: Double, seed: Int) -> String {
    """
    {
      "name": "queue", "seed": \(seed), "duration": \(duration),
      "hardware": { "server": { "vcpus": 1, "memoryGiB": 1, "pricePerHour": 0.1 } },
      "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": \(service), "queueLimit": \(queueLimit) } },
      "workload": [ { "kind": "poisson", "target": "m", "rate": \(rate) } ],
      "slo": { "timeout": "100d" },
      "plans": { "fixed": { "policy": "traditional", "nodes": { "server": \(servers) } } }
    }
    """
}

/// Runs independent replications in parallel and returns their results, in seed order.
func replications(_ count: Int, _ make: (Int) throws -> Scenario) throws -> [PlanResult] {
    let scenarios = try (1...count).map(make)
    var settings = RunOptions()
    settings.interval = 0
    settings.parallel = false
    let options = settings
    return try ParallelWork.map(count) { k in try Runner.run(scenarios[k], options: options).plans[0] }
}

/// Mean and 95 % confidence half-width (Student t, for up to 16 replications) of values.
func meanAndHalfWidth(_ xs: [Double]) -> (mean: Double, halfWidth: Double) {
    let n = Double(xs.count)
    let mean = xs.reduce(0, +) / n
    let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
    let t: [Double] = [12.71, 4.30, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.20, 2.18, 2.16, 2.14, 2.13]
    return (mean, t[min(xs.count - 2, t.count - 1)] * (variance / n).squareRoot())
}

/// Erlang B blocking probability for c servers and offered load a (stable recursion).
func erlangB(servers c: Int, load a: Double) -> Double {
    var b = 1.0
    for k in 1...c { b = a * b / (Double(k) + a * b) }
    return b
}

/// Erlang C probability of waiting.
func erlangC(servers c: Int, load a: Double) -> Double {
    let b = erlangB(servers: c, load: a)
    let rho = a / Double(c)
    return b / (1 - rho * (1 - b))
}

/// Runs a one-plan scenario; with `requestLog`, also its requests.csv rows (in order of
/// completion), written into that folder.
func runFirstPlan(_ s: Scenario, requestLog folder: String? = nil) throws -> (PlanResult, [String]) {
    var options = RunOptions()
    options.requestLogDirectory = folder
    let result = try Runner.run(s, options: options)
    var lines: [String] = []
    if folder != nil, let path = result.requestLogs.first { lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init) }
    return (result.plans[0], lines)
}
