import Foundation
@testable import Scenario

/// A small valid scenario; tests change one thing and check the error.
let validScenario = """
{
  "name": "fixture",
  "seed": 3,
  "duration": "10m",
  "hardware": {
    "cpu": { "vcpus": 4, "memoryGiB": 8, "pricePerHour": 0.17 },
    "gpu": { "vcpus": 4, "memoryGiB": 16, "gpus": 1, "pricePerHour": 0.526, "boot": { "dist": "lognormal", "mean": "90s", "cv": 0.3 } }
  },
  "models": {
    "small": { "requires": { "vcpus": 1, "memoryGiB": 2 }, "runsOn": ["cpu"],
               "service": { "cpu": "40ms" }, "concurrency": 2 },
    "big": { "requires": { "vcpus": 2, "memoryGiB": 8, "gpus": 1 }, "runsOn": ["gpu"],
             "service": { "gpu": { "dist": "exponential", "mean": "200ms" } } }
  },
  "pipelines": { "both": ["big", "small"] },
  "workload": [
    { "kind": "poisson", "target": "small", "rate": 5 },
    { "kind": "bursts", "target": "both", "base": 1, "peak": 4, "every": "5m", "length": "30s" }
  ],
  "slo": { "latency": "1s", "timeout": "30s" },
  "plans": {
    "reserved": { "policy": "traditional", "nodes": { "cpu": 1, "gpu": 1 } },
    "auto": { "policy": "elastic", "target": 0.6, "nodes": { "cpu": { "min": 1, "max": 3 }, "gpu": { "min": 1, "max": 2 } } }
  },
  "expect": [ { "plan": "auto", "metric": "cost_usd", "maxRatioTo": "reserved", "value": 1.5 } ]
}
"""

/// Decodes scenario text, returning the error it raises (or nil).
func decodeError(_ text: String) -> ScenarioError? {
    do {
        _ = try ScenarioLoader.decode(text, file: "test.json")
        return nil
    } catch let e as ScenarioError {
        return e
    } catch {
        return ScenarioError(file: "?", message: "unexpected \(error)")
    }
}

/// The fixture with one substring replaced (which must occur).
func fixture(replacing old: String, with new: String) -> String {
    precondition(validScenario.contains(old), "fixture does not contain \(old)")
    return validScenario.replacingOccurrences(of: old, with: new)
}

/// The line of the first occurrence of `needle` in `text`, 1-based.
func line(of needle: String, in text: String) -> Int {
    let prefix = text.components(separatedBy: needle)[0]
    return prefix.filter { $0 == "\n" }.count + 1
}
