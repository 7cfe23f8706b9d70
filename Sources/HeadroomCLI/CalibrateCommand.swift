import Foundation
import Glibc
import Scenario
import Planning
import Simulator
import Reports
import Runtime
import Measurement

/// `headroom calibrate FILE --plan NAME [--seed N] [--duration D] [--out DIR]`.
struct CalibrateCommand {
    var file = ""
    var plan: String?
    var seed: UInt64?
    var duration: Double?
    var maxInFlight = 256
    var interval = 1.0
    /// Simulations pooled for the comparison (the first is the one written).
    var replications = 20
    /// Measured runs pooled for the comparison (the first is the one written).
    var runs = 1
    /// Arrival times divided by this, in the replay and the simulation alike.
    var speed = 1.0
    var out: String?
    var invocation: [String] = []

    static func usage(_ m: String, raisedIn f: String = #fileID, at l: Int = #line) -> UsageError {
        UsageError(message: m, usage: Help.calibrate.usage, subcommand: "calibrate", raisedIn: f, at: l)
    }

    static func parse(_ arguments: [String]) throws -> CalibrateCommand {
        var c = CalibrateCommand()
        var positional: [String] = []
        var k = 0
        func value(_ option: String) throws -> String {
            k += 1
            guard k < arguments.count else { throw usage("Missing value for '\(option)'") }
            return arguments[k]
        }
        while k < arguments.count {
            let a = arguments[k]
            switch a {
            case "--plan": c.plan = try value(a)
            case "--seed": c.seed = try OptionValue.seed(try value(a), usage: usage)
            case "--duration": c.duration = try OptionValue.duration(try value(a), option: a, usage: usage)
            case "--interval": c.interval = try OptionValue.duration(try value(a), option: a, usage: usage)
            case "--max-in-flight": c.maxInFlight = try OptionValue.whole(try value(a), option: a, in: 1...4096, usage: usage)
            case "--speed": c.speed = try OptionValue.speed(try value(a), usage: usage)
            case "--runs": c.runs = try OptionValue.whole(try value(a), option: a, in: 1...100, usage: usage)
            case "--replications": c.replications = try OptionValue.whole(try value(a), option: a, in: 1...1000, usage: usage)
            case "--out": c.out = try value(a)
            default:
                if a.hasPrefix("-") {
                    throw usage("Unknown option '\(a)'" + Headroom.suggestion(a, ["--plan", "--seed", "--duration", "--interval", "--max-in-flight", "--replications", "--runs", "--speed", "--out"]))
                }
                positional.append(a)
            }
            k += 1
        }
        guard let file = positional.first else { throw usage("Missing expected argument '<file>'") }
        if positional.count > 1 { throw usage("Unexpected argument '\(positional[1])'") }
        c.file = file
        return c
    }

    func execute(out: TextSink, err: TextSink) throws -> Int32 {
        let started = Date()
        let scenario = try ScenarioLoader.load(path: file)
        let (root, folder) = try ScenarioLoader.read(path: file)
        let names = scenario.plans.map(\.name)
        let planIndex = try OptionValue.plan(plan, in: scenario, usage: Self.usage)
        let planName = names[planIndex]
        // Everything that can be checked is checked before a worker starts.
        try RuntimeServer.check(scenario, planIndex: planIndex)
        let stream = try ArrivalStream(scenario: scenario, seed: seed)
        if let folder = self.out {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw SimulationError.io("cannot write to \(folder): it is a file, not a folder")
            }
        }

        // Serve the plan on a loopback port of its own, recording what the workers do.
        let recorder = RuntimeRecorder()
        let serveLog = ServeLog()
        var options = ServeOptions()
        options.listen = SocketAddress(host: "127.0.0.1", port: 0)
        options.recorder = recorder
        options.version = Help.version
        options.drainGrace = scenario.slo.timeout + 5
        options.say = { serveLog.append($0) }
        let directory = self.out ?? "Reports/" + RunCommand.folderName(scenario.name) + "-calibration"
        let writer = try CalibrationFolder(directory: directory)
        let length = min(duration ?? scenario.duration, scenario.duration)
        err.write("calibrate: serving \(scenario.name), plan \(planName), and replaying \(TerminalTable.duration(length)) of its workload"
                  + (speed != 1 ? " at speed \(Gates.show(speed)) (\(TerminalTable.duration(length / speed)))" : "")
                  + (runs > 1 ? ", \(runs) times" : "") + "\n")
        // SIGINT stops whichever run is under way, and no further run starts.
        let current = SharedReference<LoadGenerator>()
        let interrupt = InterruptWatch { current.value?.stop() }
        defer { interrupt.cancel() }
        var loads: [LoadRun] = []
        for run in 0..<runs {
            // Only the first run keeps its decisions: one log replays one run.
            options.decisionLog = run == 0 ? writer.staging + "/decisions.jsonl" : nil
            recorder.beginRun(run)
            let server = try RuntimeServer.start(scenario, planIndex: planIndex, options: options)
            var loadOptions = LoadGenerator.Options()
            loadOptions.duration = duration
            loadOptions.runLength = length
            loadOptions.speed = speed
            loadOptions.maxInFlight = maxInFlight
            loadOptions.timeout = scenario.slo.timeout + 5
            loadOptions.scrapeInterval = interval
            // The workload's t = 0 is the core's, as in the simulation: the plan's timers (HPA
            // syncs, node scans) keep the same phase against the traffic.
            loadOptions.origin = server.coreOrigin
            var target = try LoadTarget(url: "http://\(server.address)")
            // An LLM engine's model is called as LLM clients call it: streamed OpenAI chat
            // requests, so its time to first token and per output token are measured.
            if scenario.hasEngine { target.api = .openai }
            let generator = LoadGenerator(target: target, options: loadOptions)
            current.value = generator
            if interrupt.fired { generator.stop() }
            let load: LoadRun
            do {
                var lastLine = Date()
                let arrivals = run == 0 ? stream : try ArrivalStream(scenario: scenario, seed: seed)
                if run == 0 { recorder.beginMachine() }
                defer { recorder.endMachine() }
                load = try generator.run(arrivals, targetName: { arrivals.targetName($0) }) { sent, at in
                    if Date().timeIntervalSince(lastLine) >= 5 {
                        lastLine = Date()
                        err.write("calibrate: \(runs > 1 ? "run \(run + 1) of \(runs): " : "")\(sent) requests sent, \(TerminalTable.duration(at)) of \(TerminalTable.duration(length))\n")
                    }
                }
            } catch {
                server.stop()
                throw error
            }
            server.stop()
            if load.interrupted || interrupt.fired {
                err.write("calibrate: interrupted; every worker is stopped and nothing was written\n")
                return 128 + (interrupt.signalNumber == 0 ? SIGINT : interrupt.signalNumber)
            }
            loads.append(load)
        }
        let load = loads[0]
        let measuredRuns = loads.map { MeasuredRun.result($0, scenario: scenario, plan: planName, policy: scenario.plans[planIndex].policy.family, interval: interval) }
        let measured = measuredRuns[0]

        // The calibrated copy, simulated with the same seed over the same length.
        let samples = Calibration.samples(recorder, scenario: scenario)
        let provenance = "Calibrated by headroom calibrate \(Help.version) on \(ISO8601DateFormatter().string(from: started)) from \(load.requests.count) requests "
            + "served by plan \(planName) of \(file) (seed \(seed ?? scenario.seed)): service and init times are those measured of its workers."
            + (scenario.models.contains { $0.cpu != nil } ? " CPU work per request and per start from the workers' own accounting (/proc/PID/stat, schedstat); background load from /proc/stat." : "")
            + (samples.contains { $0.limited } ? " CPU limits applied with a cgroup per worker; the time they throttled (cpu.stat) is in the waiting taken off the service times." : "")
        let absoluteRoot = Calibration.absolutePaths(root, folder: folder.isEmpty ? "." : folder)
        let background = Calibration.background(recorder, samples: samples)
        let roundTrip = Calibration.networkRoundTrip(loads, recorder: recorder)
        var runOptions = RunOptions()
        runOptions.drawAhead = true   // one plan at a time: a free core draws ahead
        runOptions.seed = seed
        runOptions.arrivalSpeed = speed
        runOptions.planNames = [planName]
        var fitOptions = runOptions
        fitOptions.interval = 0
        fitOptions.parallel = false
        /// The mean of `metric` over three replications of `s` (the seed's and two others).
        func replicated(_ s: Scenario, _ metric: (PlanResult) -> Double?) throws -> Double {
            var values: [Double] = []
            for r in 0..<3 {
                fitOptions.physicsSeed = replicationSeed(r, scenario)
                if let m = metric(try Runner.run(s, options: fitOptions).plans[0]) { values.append(m) }
            }
            return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        }
        // The start-up interference, then the share of the measured waiting for a core that
        // the simulator's sharing does not put back (`Calibration.fitContention`).
        let fit = try Calibration.fitContention(samples, runs: runs, copy: { startInterference in
            let (t, _) = try Calibration.calibrated(absoluteRoot, samples: samples, provenance: provenance, background: background,
                                                    startInterference: startInterference)
            var s = try ScenarioLoader.decode(t, file: directory + "/calibrated.json", directory: folder.isEmpty ? "." : folder)
            s.duration = length
            return s
        }, replicated: replicated)
        let keep = fit.keep, alpha = fit.startInterference
        var (text, notes) = try Calibration.calibrated(absoluteRoot, samples: samples, provenance: provenance, background: background,
                                                       keep: keep, startInterference: alpha, roundTrip: roundTrip)
        notes += fit.notes
        var calibrated = try ScenarioLoader.decode(text, file: directory + "/calibrated.json", directory: folder.isEmpty ? "." : folder)
        calibrated.duration = length
        runOptions.interval = interval
        runOptions.requestLogDirectory = writer.simulatedStaging.stagingDirectory
        let simulated = try Runner.run(calibrated, options: runOptions)
        // Replications with the same arrivals and other draws of service and start times.
        var replicas = [simulated.plans[0]]
        runOptions.requestLogDirectory = nil
        runOptions.interval = 0
        runOptions.parallel = false
        for r in 1..<max(1, replications) {
            runOptions.physicsSeed = replicationSeed(r, scenario)
            replicas.append(try Runner.run(calibrated, options: runOptions).plans[0])
        }
        var rows = Calibration.compare(simulated: replicas, measured: measuredRuns.map { $0.plans[0] }, targetNames: scenario.targetNames)
        var sharedRows = Calibration.sharedServiceRows(samples, simulated: replicas, scenario: scenario, plan: planName)
        // The replayed comparison: each measured run's own requests, each with the service
        // time measured of it, so that run-to-run luck in the draws is not counted as error.
        // Not with an LLM engine: its requests' prompts (what a prefix cache shares) are not in
        // a trace's columns, and its times come from its iterations anyway.
        let services = scenario.hasEngine ? [:] : Calibration.replayedServices(samples, root: absoluteRoot, keep: keep)
        if !services.isEmpty {
            let inits = Calibration.replayedInits(recorder, samples: samples, scenario: scenario, root: absoluteRoot,
                                                  keep: keep, startInterference: alpha, runs: runs)
            let (replayed, note) = try replay(calibrated, of: scenario, services: services, inits: inits, length: length,
                                              folder: writer.staging + "/replay", options: runOptions)
            Calibration.merge(&rows, replayed: Calibration.compare(simulated: replayed, measured: measuredRuns.map { $0.plans[0] },
                                                                   targetNames: scenario.targetNames))
            Calibration.merge(&sharedRows, replayed: Calibration.sharedServiceRows(samples, simulated: replayed, scenario: scenario, plan: planName))
            notes.append(note)
        }
        rows += sharedRows + Calibration.cpuRows(samples, plan: planName, background: Calibration.background(recorder, samples: samples))
            + [Calibration.coldStartRow(samples, simulated: replicas, plan: planName),
               Calibration.throttleRow(samples, requests: loads.reduce(0) { $0 + $1.requests.count }, simulated: replicas, plan: planName)].compactMap { $0 }
        let gates = Gates.evaluate(simulated, accuracy: { Calibration.gateValue($0, rows: rows, scenario: calibrated) })
            .filter { $0.metric.hasPrefix("accuracy_") }

        // Everything is written together at the end.
        var measuredRun = measured
        try MeasuredRun.stageRequests(load, plan: planName, in: writer.measuredStaging.stagingDirectory, into: &measuredRun)
        let manifest = Manifest(headroom: Help.version, command: invocation, scenario: file, seed: simulated.seed, plans: [planName], started: started)
        try writer.write(measured: measuredRun, simulated: simulated, interval: interval, manifest: manifest,
                         accuracy: Calibration.csv(rows), calibrated: text, serveLog: serveLog.text)

        var report = "\(scenario.name), plan \(planName): \(load.requests.count) requests over \(TerminalTable.duration(Double(load.end) / 1e9))"
            + (runs > 1 ? " in each of \(runs) runs (measured figures pooled over them; measured/ is the first)" : "") + "\n\n"
        report += "calibrated from the runtime's records:\n" + notes.map { "  " + $0 + "\n" }.joined() + "\n"
        report += Self.table(rows) + "\n"
        report += LoadgenCommand.lateness(load) + "\n"
        if !gates.isEmpty { report += TerminalTable.gates(gates, scenario: scenario.name) + "\n" }
        report += "wrote measured/, simulated/, calibrated.json, accuracy.csv, serve.log, decisions.jsonl"
            + (services.isEmpty ? "" : " and replay/ (each run's requests with their measured service times, as traces)") + " to \(directory)/\n"
        out.write(report)
        return gates.contains { $0.verdict == .fail } ? 1 : 0
    }

    /// The physics seed of replication `r` (nil for the first: the run's own seed).
    func replicationSeed(_ r: Int, _ scenario: Scenario) -> UInt64? {
        r == 0 ? nil : (seed ?? scenario.seed) &+ UInt64(r) &* 0x9E37_79B9_7F4A_7C15
    }

    /// Simulates `calibrated` driven by each measured run's requests with their measured
    /// service times (`services`) and its cold starts with theirs (`inits`, by run), writing
    /// each run's trace to `folder`: ceil(replications ÷ runs) simulations a run. Returns them
    /// and the line that says what was replayed.
    func replay(_ calibrated: Scenario, of scenario: Scenario, services: [Calibration.RequestKey: Double], inits: [[[Int64]]],
                length: Double, folder: String, options: RunOptions) throws -> ([PlanResult], String) {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var options = options
        options.arrivalSpeed = 1   // the trace's times are already those the load generator sent at
        let perRun = max(1, (replications + runs - 1) / runs)
        var replayed: [PlanResult] = []
        var given = 0, total = 0
        for run in 0..<runs {
            let trace = try Calibration.replayTrace(scenario, seed: seed, length: length, speed: speed, run: run, services: services)
            let path = folder + "/run-\(run + 1).csv"
            try trace.text.write(toFile: path, atomically: false, encoding: .utf8)
            given += trace.replayed
            total += trace.requests
            let s = Calibration.replaying(calibrated, trace: path, firstArrival: trace.firstArrival)
            options.replayedInits = inits[run]
            for r in 0..<perRun {
                options.physicsSeed = replicationSeed(r, scenario)
                replayed.append(try Runner.run(s, options: options).plans[0])
            }
        }
        let starts = inits.joined().joined().filter { $0 >= 0 }.count
        let note = "replayed: \(replayed.count) more simulations (\(perRun) a measured run) driven by the runs' own requests, \(given) of \(total) with the service time measured of them"
            + (given < total ? " (the others drawn: requests that shared their worker process, or of a model whose times are kept as declared)" : "")
            + (starts > 0 ? ", and \(starts) cold start\(starts == 1 ? "" : "s") with the time measured of the run's start of the same number" : "")
            + "; the column \"replayed\" is their figure, without the luck of independent draws"
        return (replayed, note)
    }

    /// A relative error as the table shows it.
    static func percent(_ e: Double?) -> String? { e.map { ($0 >= 0 ? "+" : "") + CSVNumber.fixed($0 * 100, 1) + "%" } }

    /// Simulated vs measured, with relative errors.
    static func table(_ rows: [Calibration.Row]) -> String {
        let replayed = rows.contains { $0.replayed != nil }
        var t: [[String]] = [["target", "metric", "simulated", "measured", "error", "measured 95% interval", "simulated runs 95%"]
                             + (replayed ? ["replayed", "error"] : [])]
        for r in rows {
            func show(_ x: Double?) -> String {
                guard let x else { return "–" }
                return r.metric.hasSuffix("_s") ? TerminalTable.duration(x) : Gates.show((x * 10).rounded() / 10)
            }
            let e = percent(r.relativeError) ?? "–"
            let ci = r.measuredLow.map { lo in show(lo) + " – " + show(r.measuredHigh) } ?? ""
            let runs = r.simulatedLow.map { lo in show(lo) + " – " + show(r.simulatedHigh) } ?? ""
            var line = [r.target.isEmpty ? "(all)" : r.target, r.metric, show(r.simulated), show(r.measured), e, ci, runs]
            if replayed {
                line += [r.replayed == nil ? "" : show(r.replayed), percent(r.replayedError) ?? ""]
            }
            t.append(line)
        }
        return TerminalTable.render(t, rightAligned: replayed ? [2, 3, 4, 7, 8] : [2, 3, 4])
    }
}

/// The serve log of a calibration, kept in memory and written with the reports.
final class ServeLog: @unchecked Sendable {

    private let lock = NSLock()
    private var lines: [String] = []
    private let started = Date()
    /// Each line with its seconds since the calibration started.
    func append(_ line: String) {
        let t = CSVNumber.fixed(Date().timeIntervalSince(started), 3)
        lock.withLock { lines.append("[\(t) s] " + line) }
    }
    var text: String { lock.withLock { lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n") } }
}

/// A calibration's output folder, written whole at the end: everything goes into a staging
/// folder inside it first, then each entry is moved into place.
final class CalibrationFolder {
    let directory: String
    let staging: String
    let measuredStaging: ReportStaging
    let simulatedStaging: ReportStaging
    private var committed = false

    /// Whether the folder was there before: one this run created is removed if it writes nothing.
    private let existed: Bool

    init(directory: String) throws {
        self.directory = directory
        let fm = FileManager.default
        existed = fm.fileExists(atPath: directory)
        if let why = FileSystem.create(directory) {
            throw SimulationError.io("cannot create the output folder \(directory): \(why)")
        }
        staging = directory + "/.headroom-staging-\(getpid())"
        try? fm.removeItem(atPath: staging)
        if let why = FileSystem.createOne(staging) {
            throw SimulationError.io("cannot write to the output folder \(directory): \(why)")
        }
        measuredStaging = try ReportStaging(directory: staging + "/measured")
        simulatedStaging = try ReportStaging(directory: staging + "/simulated")
    }

    deinit {
        guard !committed else { return }
        try? FileManager.default.removeItem(atPath: staging)
        if !existed { try? FileManager.default.removeItem(atPath: directory) }
    }

    func write(measured: RunResult, simulated: RunResult, interval: Double, manifest: Manifest, accuracy: String, calibrated: String, serveLog: String) throws {
        _ = try ReportFiles.write(measured, staging: measuredStaging, interval: interval, manifest: manifest)
        _ = try ReportFiles.write(simulated, staging: simulatedStaging, interval: interval, manifest: manifest)
        for (name, text) in [("accuracy.csv", accuracy), ("calibrated.json", calibrated), ("serve.log", serveLog)] {
            guard FileManager.default.createFile(atPath: staging + "/" + name, contents: Data(text.utf8)) else {
                throw SimulationError.io("cannot write \(staging)/\(name)")
            }
        }
        let fm = FileManager.default
        for name in ["measured", "simulated", "accuracy.csv", "calibrated.json", "serve.log", "decisions.jsonl", "replay"] {
            let target = directory + "/" + name
            try? fm.removeItem(atPath: target)
            // The replay traces are there only when some request's time was replayed.
            if name == "replay" && !fm.fileExists(atPath: staging + "/" + name) { continue }
            guard rename(staging + "/" + name, target) == 0 else {
                throw SimulationError.io("cannot move \(name) into \(directory): \(String(cString: strerror(errno)))")
            }
        }
        committed = true
        try? fm.removeItem(atPath: staging)
    }
}
