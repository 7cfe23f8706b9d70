import Foundation
import Glibc
import Scenario
import Simulator
import Reports
import Runtime
import Digest

// headroom-bench: simulated requests per second of the full engine (scenario text → scheduler
// core → metrics → CSV text) on reference workloads, beside a hand-written loop doing the same
// work (the yardstick), in the same process. A warm-up run is discarded; the median of the
// repeats is reported. Speed is measured here, never in a timed test.

struct Options {
    var requests = 10_000_000
    var repeats = 3
    var only: [String] = []
    var json = false
    var days = 14.0
    var functions = 2000
}

func usage() -> Never {
    FileHandle.standardError.write(Data("""
    Usage: headroom-bench [--requests N] [--repeat N] [--only mmc|serverless|azure-conv|functions|audit ...] [--json]
                          [--days D] [--functions K]

      --requests N   requests per synthetic workload (default 10000000)
      --repeat N     timed runs after one warm-up; the median is reported (default 3)
      --only NAME    run only this workload (repeatable)
      --json         one JSON object per workload instead of the table
      --days D       length of the 'functions' workload (default 14)
      --functions K  functions in the 'functions' workload (default 2000)

    'functions' (run only when named with --only) is Azure-Functions-sized: K functions with
    heavy-tailed invocation rates totalling about 10^9 invocations per 14 days (827/s), on
    Lambda-like serverless with a 10-minute keep-alive. It runs once, without warm-up.
    'audit' (also only when named) writes 1,000,000 audit records through the runtime's audit
    log (chain, digests, 64 MiB rotation, fsync every 200 ms) and times verifying them.

    """.utf8))
    exit(64)
}

func parse() -> Options {
    var o = Options()
    var args = Array(CommandLine.arguments.dropFirst())
    while !args.isEmpty {
        let a = args.removeFirst()
        switch a {
        case "--requests": guard let v = args.first.flatMap(Int.init), v > 0 else { usage() }; o.requests = v; args.removeFirst()
        case "--repeat": guard let v = args.first.flatMap(Int.init), v > 0 else { usage() }; o.repeats = v; args.removeFirst()
        case "--only": guard let v = args.first else { usage() }; o.only.append(v); args.removeFirst()
        case "--json": o.json = true
        case "--days": guard let v = args.first.flatMap(Double.init), v > 0 else { usage() }; o.days = v; args.removeFirst()
        case "--functions": guard let v = args.first.flatMap(Int.init), v > 0 else { usage() }; o.functions = v; args.removeFirst()
        case "-h", "--help": usage()
        default:
            FileHandle.standardError.write(Data("Error: Unknown option '\(a)'\n".utf8))
            usage()
        }
    }
    return o
}

func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    var start = timespec(), end = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    try body()
    clock_gettime(CLOCK_MONOTONIC, &end)
    return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// The engine end to end: decode the scenario text, run every plan, render the CSV files.
func engine(_ text: String, directory: String = ".") throws -> RunResult {
    let scenario = try ScenarioLoader.decode(text, file: "bench.json", directory: directory)
    var options = RunOptions()
    options.parallel = false
    let run = try Runner.run(scenario, options: options)
    let csv = CSVReports.summary(run) + CSVReports.targets(run) + CSVReports.timeseries(run)
    precondition(!csv.isEmpty)
    return run
}

struct Measurement {
    var name: String
    var requests: Int64
    var wall: Double
    var yardstickWall: Double?
    var rss: Double
    var figures: [(String, Double)]
}

func mmcText(_ n: Int) -> String {
    """
    { "name": "bench-mmc", "seed": 42, "duration": \(Double(n) / 9),
      "hardware": { "server": { "vcpus": 1, "memoryGiB": 1, "pricePerHour": 0.1 } },
      "models": { "mm": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": { "dist": "exponential", "mean": "1s" }, "queueLimit": 100000000 } },
      "workload": [ { "kind": "poisson", "target": "mm", "rate": 9 } ],
      "slo": { "timeout": "100d" },
      "plans": { "c10": { "policy": "traditional", "nodes": { "server": 10 } } } }
    """
}

func serverlessText(_ n: Int) -> String {
    """
    { "name": "bench-serverless", "seed": 42, "duration": \(Double(n) / 0.9),
      "hardware": { "n": { "vcpus": 1, "memoryGiB": 1, "pricePerHour": 0 } },
      "models": { "f": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "init": "253ms", "service": { "dist": "exponential", "mean": "1.991s" } } },
      "workload": [ { "kind": "poisson", "target": "f", "rate": 0.9 } ],
      "slo": { "timeout": "100d" },
      "plans": { "lambda": { "policy": "serverless", "hosting": "provider", "keepAlive": "600s", "concurrencyLimit": 0 } } }
    """
}

/// K functions with lognormal rates (σ = 2.5: invocation rates spanning orders of magnitude,
/// as in the Azure Functions 2019 trace) summing to 827 invocations per second (≈ 10⁹ in 14 days).
func functionsText(days: Double, functions: Int) -> String {
    var rng = RandomSource(seed: 2019, stream: 7)
    let weights = (0..<functions).map { _ in Foundation.exp(2.5 * rng.normal()) }
    let total = weights.reduce(0, +)
    var models: [String] = [], sources: [String] = []
    for k in 0..<functions {
        let rate = 827 * weights[k] / total
        models.append("\"f\(k)\": { \"requires\": { \"vcpus\": 1, \"memoryGiB\": 0.25 }, \"init\": \"400ms\", \"service\": { \"dist\": \"lognormal\", \"mean\": \"800ms\", \"cv\": 1.5 } }")
        sources.append("{ \"kind\": \"poisson\", \"target\": \"f\(k)\", \"rate\": \(rate) }")
    }
    return """
    { "name": "bench-functions", "seed": 3, "duration": \(days * 86400),
      "hardware": { "n": { "vcpus": 1, "memoryGiB": 1, "pricePerHour": 0 } },
      "models": { \(models.joined(separator: ", ")) },
      "workload": [ \(sources.joined(separator: ", ")) ],
      "slo": { "timeout": "15m" },
      "plans": { "lambda": { "policy": "serverless", "hosting": "provider", "keepAlive": "10m", "concurrencyLimit": 0 } } }
    """
}

func azureText(_ path: String) -> String {
    """
    { "name": "bench-azure-conv", "seed": 1, "duration": "1h",
      "hardware": { "gpu.h100": { "vcpus": 16, "memoryGiB": 128, "gpus": 1, "pricePerHour": 6.88, "boot": "180s" } },
      "models": { "chat-7b": { "requires": { "vcpus": 4, "memoryGiB": 32, "gpus": 1 }, "init": "5.6s", "load": "3s",
                               "image": { "name": "vllm", "pull": "120s" }, "concurrency": 16,
                               "service": { "dist": "tokens", "base": "20ms", "perInputToken": "0.019ms", "perOutputToken": "5.5ms" } } },
      "workload": [ { "kind": "trace", "format": "azure-llm", "path": "\(path)", "target": "chat-7b" } ],
      "slo": { "latency": "10s", "timeout": "120s" },
      "plans": { "reserved": { "policy": "traditional", "nodes": { "gpu.h100": 4 } },
                 "autoscaled": { "policy": "elastic", "target": 0.6, "nodes": { "gpu.h100": { "min": 1, "max": 8 } } },
                 "serverless": { "policy": "serverless", "hosting": "self", "keepAlive": "5m", "nodes": { "gpu.h100": { "min": 0, "max": 8 } } } } }
    """
}

/// Times `run` (which returns the requests it simulated and its figures) and the yardstick.
///
/// After a warm-up of each, the two alternate — engine, yardstick, engine, … — so a slow
/// stretch of a shared machine weighs on both alike rather than on whichever ran then.
func measure(_ name: String, repeats: Int, run: () throws -> (requests: Int64, figures: [(String, Double)]),
             yardstick: (() -> [(String, Double)])?) rethrows -> Measurement {
    _ = try run()                                        // warm-ups
    if let yardstick { _ = yardstick() }
    var walls: [Double] = [], ys: [Double] = []
    var requests: Int64 = 0
    var figures: [(String, Double)] = []
    var yardFigures: [(String, Double)] = []
    for _ in 0..<repeats {
        walls.append(try seconds { (requests, figures) = try run() })
        if let yardstick { ys.append(seconds { yardFigures = yardstick().map { ("yardstick " + $0.0, $0.1) } }) }
    }
    return Measurement(name: name, requests: requests, wall: median(walls), yardstickWall: ys.isEmpty ? nil : median(ys),
                       rss: peakRSSMegabytes(), figures: figures + yardFigures)
}

let options = parse()
let wanted = { (name: String) in options.only.isEmpty || options.only.contains(name) }
var results: [Measurement] = []
do {
    if wanted("mmc") {
        let n = options.requests
        results.append(try measure("mmc", repeats: options.repeats, run: {
            let r = try engine(mmcText(n)).plans[0]
            return (r.totals.requests, [("mean wait s", r.waitSum / Double(r.totals.completed))])
        }, yardstick: {
            [("mean wait s", Yardstick.mmc(requests: n, servers: 10, rate: 9, mean: 1, seed: 42))]
        }))
    }
    if wanted("serverless") {
        let n = options.requests
        results.append(try measure("serverless", repeats: options.repeats, run: {
            let r = try engine(serverlessText(n)).plans[0]
            return (r.totals.requests, [("cold-start probability", Double(r.coldStarts) / Double(r.totals.requests)),
                                        ("mean instances", r.instancesMean)])
        }, yardstick: {
            let y = Yardstick.serverless(requests: n, rate: 0.9, warmMean: 1.991, initTime: 0.253, keepAlive: 600, seed: 42)
            return [("cold-start probability", y.cold), ("mean instances", y.instances)]
        }))
    }
    let trace = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/traces/AzureLLMInferenceTrace_conv.csv").path
    if wanted("trace-read") && FileManager.default.fileExists(atPath: trace) {
        // Reading speed of the trace parser alone: every row, with its tokens.
        let spec = TraceSpec(format: .azureLLM, path: trace, resolvedPath: trace)
        results.append(try measure("trace-read azure-conv ×20", repeats: options.repeats, run: {
            var rows: Int64 = 0
            for _ in 0..<20 {
                let reader = try TraceReader(spec: spec, defaultTarget: 0, targetNames: ["chat"])
                var callers = StringTable(), versions = StringTable()
                while try reader.next(callers: &callers, versions: &versions) != nil { rows += 1 }
            }
            return (rows, [("rows", Double(rows))])
        }, yardstick: nil))
    }
    if wanted("azure-conv") {
        if FileManager.default.fileExists(atPath: trace) {
            results.append(try measure("azure-conv ×3 plans", repeats: options.repeats, run: {
                let run = try engine(azureText(trace))
                return (run.plans.reduce(0) { $0 + $1.totals.requests },
                        run.plans.map { ("\($0.plan) p99 s", Double($0.totals.latency.percentile(99) ?? 0) / 1e9) })
            }, yardstick: nil))
        } else {
            FileHandle.standardError.write(Data("azure-conv skipped: \(trace) not found\n".utf8))
        }
    }
    if options.only.contains("audit") {
        // The audit trail's writer and verifier on 1,000,000 records of the size serve writes
        // (one stage, SHA-256s of body and answer), with digests every 10 s and 64 MiB files.
        let folder = NSTemporaryDirectory() + "headroom-bench-audit-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let key = [UInt8](repeating: 5, count: 32)
        let count = 1_000_000
        var written = 0.0
        let writeWall = try seconds {
            let log = try AuditLog(options: AuditLog.Options(path: folder + "/audit.jsonl", key: key), scenarioSHA256: SHA256.hex([1, 2, 3]),
                                   plan: "serverless", version: "bench")
            let body = SHA256.hex(Array("{\"text\":\"great\"}".utf8)), answer = SHA256.hex(Array("{\"ok\":true}".utf8))
            let t0 = AuditLog.nowMicros()
            for k in 0..<count {
                let at = t0 + Int64(k) * 50
                log.append(AuditRecord(id: "bench-\(k)", caller: k % 3 == 0 ? "web" : "batch", target: "sentiment",
                                       stages: [.init(model: "sentiment", version: "2.0", instance: "i\(k % 8)", node: "cpu.c5xl#\(k % 3)",
                                                      cold: k % 1000 == 0, start: at + 20, end: at + 4000)],
                                       arrival: at, end: at + 4100, arrivalSeconds: Double(k) * 5e-5, endSeconds: Double(k) * 5e-5 + 0.0041,
                                       outcome: "completed", reason: "", status: 200, requestSHA256: body, responseSHA256: answer))
            }
            log.close()
            written = Double(log.written)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("audit.jsonl") }.map { folder + "/" + $0 }
        let bytes = files.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        var report: AuditVerifier.Report?
        let verifyWall = try seconds { report = try AuditVerifier.verify(files, key: key) }
        guard report?.failure == nil, report?.records == count else {
            throw RuntimeError("audit bench: verify failed: \(report?.failure?.message ?? "wrong count \(report?.records ?? 0)")")
        }
        results.append(Measurement(name: "audit write 1M records", requests: Int64(written), wall: writeWall, yardstickWall: nil, rss: peakRSSMegabytes(),
                                   figures: [("files", Double(files.count)), ("MB", Double(bytes) / 1e6)]))
        results.append(Measurement(name: "audit verify 1M records", requests: Int64(count), wall: verifyWall, yardstickWall: nil, rss: peakRSSMegabytes(),
                                   figures: [("digests", Double(report!.digests)), ("MB/s", Double(bytes) / 1e6 / verifyWall)]))
    }
    if options.only.contains("functions") {
        let text = functionsText(days: options.days, functions: options.functions)
        var result: RunResult?
        let wall = try seconds { result = try engine(text) }
        let r = result!.plans[0]
        results.append(Measurement(name: "functions \(Gates.show(options.days))d × \(options.functions)", requests: r.totals.requests, wall: wall,
                                   yardstickWall: nil, rss: peakRSSMegabytes(),
                                   figures: [("cold-start probability", Double(r.coldStarts) / Double(r.totals.requests)),
                                             ("mean instances", r.instancesMean), ("cost USD", r.cost)]))
    }
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(1)
}

if options.json {
    for m in results {
        var fields = ["\"workload\": \"\(m.name)\"", "\"requests\": \(m.requests)", "\"wall_s\": \(m.wall)",
                      "\"requests_per_s\": \(Double(m.requests) / m.wall)", "\"peak_rss_mb\": \(m.rss)"]
        if let y = m.yardstickWall {
            fields += ["\"yardstick_requests_per_s\": \(Double(m.requests) / y)", "\"ratio_to_yardstick\": \(y / m.wall)"]
        }
        for (k, v) in m.figures { fields.append("\"\(k)\": \(v)") }
        print("{" + fields.joined(separator: ", ") + "}")
    }
} else {
    var rows: [[String]] = [["workload", "requests", "wall s", "req/s", "peak RSS", "yardstick req/s", "ratio"]]
    for m in results {
        rows.append([m.name, String(m.requests), CSVNumber.fixed(m.wall, 3), CSVNumber.fixed(Double(m.requests) / m.wall / 1e6, 2) + " M",
                     CSVNumber.fixed(m.rss, 0) + " MB",
                     m.yardstickWall.map { CSVNumber.fixed(Double(m.requests) / $0 / 1e6, 2) + " M" } ?? "–",
                     m.yardstickWall.map { CSVNumber.fixed($0 / m.wall, 2) } ?? "–"])
    }
    print(TerminalTable.render(rows, rightAligned: Set(1...6)), terminator: "")
    print("(median of \(options.repeats) after a warm-up — 'functions' runs once; ratio = engine speed ÷ yardstick speed; peak RSS is the process's so far)")
    for m in results {
        print("\(m.name): " + m.figures.map { "\($0.0) \(Gates.show(($0.1 * 1e6).rounded() / 1e6))" }.joined(separator: ", "))
    }
}
