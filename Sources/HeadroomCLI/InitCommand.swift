import Foundation
import Scenario
import Simulator

/// `headroom init [FILE]`: a starter scenario to edit.
enum InitCommand {
    /// A small but complete scenario: every section, one CPU model, bursty traffic, the three
    /// policy families and a few gates. README.md ("Your own scenario") walks through it.
    static let starter = """
    {
      "name": "my-service",
      "description": "Starter scenario written by 'headroom init'. One CPU model behind an API: steady traffic plus a burst every 15 minutes. Three ways to host it are compared: capacity reserved for the peak, HPA-style autoscaling, and Lambda-like serverless. Edit the hardware, the model's resource needs and service time, the workload and the plans; the expect gates turn the comparison into a pass/fail check. Every key is described in docs/scenario-format.md.",
      "seed": 1,
      "duration": "2h",
      "hardware": {
        "cpu.m5xl": { "vcpus": 4, "memoryGiB": 16, "pricePerHour": 0.192, "boot": { "dist": "lognormal", "mean": "90s", "cv": 0.3 },
                      "billing": { "increment": "1s", "minimum": "60s" } }
      },
      "models": {
        "classifier": {
          "version": "1.0",
          "image": { "name": "classifier", "pull": "30s" },
          "init": "3s",
          "load": "5s",
          "requires": { "vcpus": 1, "memoryGiB": 2 },
          "runsOn": ["cpu.m5xl"],
          "service": { "dist": "lognormal", "mean": "60ms", "cv": 0.5 },
          "concurrency": 2,
          "queueLimit": 500
        }
      },
      "workload": [
        { "kind": "poisson", "target": "classifier", "rate": 10, "caller": "api" },
        { "kind": "bursts", "target": "classifier", "base": 0, "peak": 40, "every": "15m", "length": "2m", "offset": "10m", "caller": "batch" }
      ],
      "slo": { "latency": "300ms", "percentile": 99, "timeout": "30s" },
      "plans": {
        "reserved": { "policy": "traditional", "nodes": { "cpu.m5xl": 2 } },
        "autoscaled": { "policy": "elastic", "target": 0.6, "nodes": { "cpu.m5xl": { "min": 1, "max": 4 } } },
        "serverless": { "policy": "serverless", "hosting": "provider", "keepAlive": "10m" }
      },
      "expect": [
        { "plan": "reserved", "metric": "latency_p99_s", "max": 0.3 },
        { "plan": "autoscaled", "metric": "cost_usd", "maxRatioTo": "reserved", "value": 1.0 },
        { "plan": "serverless", "metric": "cold_start_ratio", "max": 0.05 }
      ]
    }

    """

    static func execute(_ arguments: [String], out: TextSink) throws -> Int32 {
        var force = false
        var files: [String] = []
        for a in arguments {
            if a == "--force" { force = true }
            else if a.hasPrefix("-") { throw UsageError(message: "Unknown option '\(a)'" + Headroom.suggestion(a, ["--force"]), usage: Help.initCommand.usage, subcommand: "init") }
            else { files.append(a) }
        }
        if files.count > 1 { throw UsageError(message: "Unexpected argument '\(files[1])'", usage: Help.initCommand.usage, subcommand: "init") }
        let file = files.first ?? "scenario.json"
        if FileManager.default.fileExists(atPath: file) && !force {
            throw ScenarioError(file: file, message: "already exists; not overwritten", suggestion: "choose another name, or add --force to replace it")
        }
        // Whole or nothing: a temporary file renamed into place.
        if let why = FileSystem.writeWhole(Array(starter.utf8), to: file) {
            throw SimulationError.io("cannot write \(file): \(why)")
        }
        out.write("wrote \(file) — try: headroom run \(file)\n")
        return 0
    }
}
