import Foundation
import XCTest
@testable import HeadroomCLI

/// Text with every run of spaces folded to one, so tests do not depend on column widths.
func squeezed(_ text: String) -> String {
    text.replacingOccurrences(of: #" +"#, with: " ", options: .regularExpression)
}

/// The command line as a user meets it: help, errors, exit statuses and the files a run leaves.
final class CLITests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func headroom(_ arguments: String...) -> (status: Int32, out: String, err: String) {
        let out = CapturedText(), err = CapturedText()
        let status = Headroom.main(arguments, out: out, err: err)
        return (status, out.text, err.text)
    }

    func temporaryFolder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    func scenario(_ name: String) -> String { root.appendingPathComponent("Scenarios/\(name)").path }

    func testHelpVersionAndNoArguments() {
        var r = headroom()
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.out.hasPrefix("OVERVIEW: Headroom"))
        XCTAssertTrue(r.out.contains("USAGE: headroom <subcommand>"))
        XCTAssertTrue(r.out.contains("SUBCOMMANDS:"))
        XCTAssertEqual(headroom("--help").out, r.out)
        XCTAssertEqual(headroom("-h").out, r.out)
        r = headroom("--version")
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.out, "0.1.0\n")
        r = headroom("help", "run")
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.out.contains("USAGE: headroom run <file>"))
        XCTAssertTrue(r.out.contains("--requests"))
        XCTAssertEqual(headroom("run", "--help").out, r.out)
        XCTAssertTrue(headroom("validate", "-h").out.contains("USAGE: headroom validate"))
    }

    /// The packing scenario as a user runs it: contention.csv, the table, explain-plan's shared
    /// cores, and the same bytes from the same seed.
    func testSharedCoresFromTheCommandLine() throws {
        let out = NSTemporaryDirectory() + "headroom-packing-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: out + "-again") }
        let r = headroom("run", scenario("node-packing.json"), "--out", out)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("shared nodes") && r.out.contains("service lost"), r.out)
        let csv = try String(contentsOfFile: out + "/contention.csv", encoding: .utf8)
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.first, "scenario,plan,node_type,demand_over_capacity,service_lost_share,startup_stretch,request_cpu_s,request_cpu_uncontended_s,startup_cpu_s,startup_cpu_uncontended_s,throttled_s,throttled_periods,gpu_s,gpu_uncontended_s,gpu_stretch")
        XCTAssertEqual(lines.count, 4, csv)
        let lost = lines.dropFirst().map { Double($0.split(separator: ",")[4])! }
        XCTAssertTrue(lost[0] < lost[1] && lost[1] < lost[2], "the smaller the nodes, the more service time lost: \(lost)")
        XCTAssertEqual(headroom("run", scenario("node-packing.json"), "--out", out + "-again").status, 0)
        XCTAssertEqual(try String(contentsOfFile: out + "-again/contention.csv", encoding: .utf8), csv, "same seed, same bytes")
        XCTAssertEqual(try String(contentsOfFile: out + "-again/summary.csv", encoding: .utf8), try String(contentsOfFile: out + "/summary.csv", encoding: .utf8))
        let plan = headroom("explain-plan", scenario("node-packing.json"), "eight-2-vcpu")
        XCTAssertTrue(plan.out.contains("api: CPU work per request") && plan.out.contains("85.7 % of the service time, at up to 1 core(s)"), plan.out)
        XCTAssertTrue(plan.out.contains("api: CPU work per start-up") && plan.out.contains("init 100 %"), plan.out)
        // Without CPU work nothing is shared and no contention.csv is written.
        let quick = headroom("run", scenario("quickstart.json"), "--out", out + "-quick")
        defer { try? FileManager.default.removeItem(atPath: out + "-quick") }
        XCTAssertEqual(quick.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "-quick/contention.csv"))
        XCTAssertFalse(quick.out.contains("shared nodes"))
    }

    /// The GPU-sharing scenario as a user runs it: a quarter of the cost, GPU work slower by
    /// the mode's slowdown in contention.csv, and explain-plan saying how the GPU is shared.
    func testSharedGPUsFromTheCommandLine() throws {
        let out = NSTemporaryDirectory() + "headroom-gpu-sharing-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = headroom("run", scenario("gpu-sharing.json"), "--out", out)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("GPU work slower by"), r.out)
        let rows = try String(contentsOfFile: out + "/contention.csv", encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        XCTAssertEqual(rows.map { String($0[1]) }, ["time-sliced", "mps"], "a row per plan that shares GPUs")
        let stretch = rows.map { Double($0[14])! }
        XCTAssertTrue(stretch[0] > stretch[1] && stretch[1] > 0, "time-slicing slows GPU work more than MPS: \(stretch)")
        let plan = headroom("explain-plan", scenario("gpu-sharing.json"), "mps")
        XCTAssertTrue(plan.out.contains("g5.xlarge-mps: GPUs") && plan.out.contains("1 × 4 instances per GPU; MPS"), plan.out)
        XCTAssertTrue(plan.out.contains("TPOT +19.5 %"), "the published figure, cited: \(plan.out)")
        XCTAssertTrue(plan.out.contains("embed: GPU work per request") && plan.out.contains("80 % of the service time"), plan.out)
    }

    /// explain-plan resolves every parameter and says where it comes from.
    func testExplainPlanShowsResolvedParametersAndTheirOrigin() {
        let all = headroom("explain-plan", scenario("quickstart.json"))
        XCTAssertEqual(all.status, 0, all.err)
        for plan in ["plan reserved (traditional)", "plan autoscaled (elastic)", "plan serverless (serverless)"] {
            XCTAssertTrue(all.out.contains(plan), plan)
        }
        XCTAssertTrue(all.out.contains("default: 0.1, --horizontal-pod-autoscaler-tolerance"), all.out)
        XCTAssertTrue(all.out.contains("instances[\"sentiment\"]"), "the packed count of the reserved plan")
        let kpa = headroom("explain-plan", scenario("keepalive-hybrid.json"), "hybrid")
        XCTAssertEqual(kpa.status, 0)
        XCTAssertTrue(kpa.out.contains("hybrid-histogram"))
        XCTAssertFalse(kpa.out.contains("plan fixed-10m"), "only the plan asked for")
        let spot = headroom("explain-plan", scenario("spot-savings.json"), "spot")
        XCTAssertEqual(spot.status, 0, spot.err)
        XCTAssertTrue(spot.out.contains("gpu.g5xl-spot: notice"), spot.out)
        XCTAssertTrue(spot.out.contains("EC2 two-minute interruption notice"), spot.out)
        XCTAssertTrue(spot.out.contains("a replacement node launched at once"), spot.out)
        XCTAssertFalse(all.out.contains("spot"), "no spot section where no node type is spot")
        let wrong = headroom("explain-plan", scenario("quickstart.json"), "autoscal")
        XCTAssertEqual(wrong.status, 64)
        XCTAssertTrue(wrong.err.contains("did you mean 'autoscaled'?"), wrong.err)
        XCTAssertEqual(headroom("help", "explain-plan").status, 0)
        // A model the plan gives no capacity (reserved instances follow the workload, which
        // never calls it) is named, with why.
        let file = NSTemporaryDirectory() + "headroom-uncalled-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try? """
        { "name": "uncalled", "duration": "1m",
          "hardware": { "cpu": { "vcpus": 2, "memoryGiB": 8, "pricePerHour": 0.1 } },
          "models": { "echo": { "requires": { "vcpus": 0.5, "memoryGiB": 0.5 }, "service": "10ms" },
                      "spare": { "requires": { "vcpus": 0.5, "memoryGiB": 0.5 }, "service": "10ms" } },
          "workload": [ { "kind": "poisson", "target": "echo", "rate": 1 } ],
          "plans": { "reserved": { "policy": "traditional", "nodes": { "cpu": 1 } } } }
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let uncalled = headroom("explain-plan", file)
        XCTAssertEqual(uncalled.status, 0, uncalled.err)
        XCTAssertTrue(uncalled.out.contains("no capacity for \"spare\"") && uncalled.out.contains("no workload source calls it"), uncalled.out)
        XCTAssertFalse(uncalled.out.contains("no capacity for \"echo\""), uncalled.out)
    }

    func testUsageErrorsExit64WithUsageOnStandardError() {
        var r = headroom("rnu")
        XCTAssertEqual(r.status, 64)
        XCTAssertEqual(r.out, "")
        XCTAssertTrue(r.err.hasPrefix("Error: Unknown subcommand 'rnu' (did you mean 'run'?)\nUsage: headroom <subcommand>\n"), r.err)
        r = headroom("run")
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.err.hasPrefix("Error: Missing expected argument '<file>'\nUsage: headroom run <file>"), r.err)
        XCTAssertTrue(r.err.contains("See 'headroom help run' for more information."))
        r = headroom("run", scenario("quickstart.json"), "--plans", "x")
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.err.hasPrefix("Error: Unknown option '--plans' (did you mean '--plan'?)"), r.err)
        r = headroom("run", scenario("quickstart.json"), "--seed", "seven")
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.err.contains("'--seed'"))
        r = headroom("run", scenario("quickstart.json"), "--interval", "soon")
        XCTAssertEqual(r.status, 64)
        r = headroom("run", scenario("quickstart.json"), "--out")
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.err.contains("Missing value for '--out'"))
        XCTAssertEqual(headroom("validate").status, 64)
    }

    func testRunWritesReportsAndEvaluatesGates() throws {
        let out = try temporaryFolder()
        let r = headroom("run", scenario("quickstart.json"), "--out", out, "--requests", "--interval", "5m")
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.err, "")
        XCTAssertTrue(squeezed(r.out).contains("reserved traditional 136544"), r.out)
        XCTAssertTrue(r.out.contains("gates: 7 passed, 0 failed"), r.out)
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        XCTAssertEqual(files, ["callers.csv", "manifest.json", "report.html", "requests.csv", "summary.csv", "targets.csv", "timeseries.csv"], "no staging folder left behind")
        let summary = try String(contentsOfFile: out + "/summary.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(summary.count, 4)
        // Every row of every CSV file has as many fields as its header (no field holds a comma here).
        for file in ["summary.csv", "targets.csv", "callers.csv", "timeseries.csv", "requests.csv"] {
            let lines = try String(contentsOfFile: out + "/" + file, encoding: .utf8).split(separator: "\n")
            let width = lines[0].split(separator: ",", omittingEmptySubsequences: false).count
            for (k, line) in lines.enumerated() where line.split(separator: ",", omittingEmptySubsequences: false).count != width {
                XCTFail("\(file):\(k + 1) has a different number of fields than its header")
                break
            }
        }
        let requests = try String(contentsOfFile: out + "/requests.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(requests[0], "plan,id,caller,target,model,version,arrival_s,start_s,end_s,outcome,cold,node,instance,reason")
        let perPlan = summary.dropFirst().map { Int($0.split(separator: ",")[3])! }
        XCTAssertEqual(requests.count - 1, perPlan.reduce(0, +), "one row per request per plan")
        let timeseries = try String(contentsOfFile: out + "/timeseries.csv", encoding: .utf8).split(separator: "\n")
        // An hour at 5-minute intervals per plan, then one closing row where requests drain past the hour.
        for plan in ["reserved", "autoscaled", "serverless"] {
            let times = timeseries.filter { $0.hasPrefix("quickstart,\(plan),") }.map { Double($0.split(separator: ",")[2])! }
            XCTAssertEqual(Array(times.prefix(12)), (1...12).map { Double($0 * 300) }, plan)
            XCTAssertTrue(times.count == 12 || (times.count == 13 && times[12] > 3600), plan)
        }
    }

    /// A scenario can come through a pipe (`validate <(generate-scenario)`): it is read once,
    /// to its end, and not consumed by the check for a JSON Schema document first.
    func testValidateReadsAScenarioFromAPipe() throws {
        let dir = try temporaryFolder()
        let fifo = dir + "/scenario.fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let text = try String(contentsOfFile: scenario("quickstart.json"), encoding: .utf8)
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            guard fd >= 0 else { return }
            _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        writer.start()
        let r = headroom("validate", fifo)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("valid — 3 plans, 2 models"), r.out)
        // A folder named where a file belongs is an error, not a trap in the schema check.
        let folder = headroom("validate", dir)
        XCTAssertEqual(folder.status, 1)
        XCTAssertTrue(folder.err.hasPrefix("Error: \(dir): is a folder, expected a scenario file (.json)"), folder.err)
    }

    func testAnUnwritableReportFolderStillPrintsTheTableAndGates() throws {
        let dir = try temporaryFolder()
        let file = dir + "/not-a-folder"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        var r = headroom("run", scenario("quickstart.json"), "--out", file)
        XCTAssertEqual(r.status, Headroom.exitCannotWrite, r.err)
        XCTAssertTrue(squeezed(r.out).contains("reserved traditional 136544"), r.out)
        XCTAssertTrue(r.out.contains("gates: 7 passed, 0 failed"), r.out)
        XCTAssertFalse(r.out.contains("wrote "), r.out)
        XCTAssertTrue(r.err.hasPrefix("Error: the report files were not written (the table and gates above are complete): cannot write reports to \(file): it is a file, not a folder"), r.err)
        // A ratio gate's measured value is a ratio, and says so.
        let ratio = try XCTUnwrap(r.out.split(separator: "\n").first { $0.contains("autoscaled") && $0.contains("cost_usd") })
        XCTAssertEqual(ratio.components(separatedBy: "× reserved").count - 1, 2, String(ratio))
        // A sweep likewise prints its front before saying its files were not written.
        let sweep = headroom("sweep", scenario("quickstart.json"), "--vary", "plans.autoscaled.target=0.5,0.6", "--out", file)
        XCTAssertEqual(sweep.status, Headroom.exitCannotWrite, sweep.err)
        XCTAssertTrue(sweep.out.contains("sweep of 2 variants × 3 plans") && sweep.out.contains("Pareto"), sweep.out)
        XCTAssertTrue(sweep.err.hasPrefix("Error: the sweep's files were not written (the summary above is complete): cannot write reports to"), sweep.err)
        // --requests streams into the folder, so it is refused before the run.
        r = headroom("run", scenario("quickstart.json"), "--out", file, "--requests")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.out, "")
        XCTAssertTrue(r.err.contains("it is a file, not a folder"), r.err)
    }

    func testSameSeedGivesByteIdenticalCSV() throws {
        let a = try temporaryFolder(), b = try temporaryFolder()
        XCTAssertEqual(headroom("run", scenario("quickstart.json"), "--out", a, "--requests").status, 0)
        XCTAssertEqual(headroom("run", scenario("quickstart.json"), "--out", b, "--requests", "--sequential").status, 0)
        for file in ["summary.csv", "targets.csv", "timeseries.csv", "requests.csv"] {
            let x = try Data(contentsOf: URL(fileURLWithPath: a + "/" + file))
            let y = try Data(contentsOf: URL(fileURLWithPath: b + "/" + file))
            XCTAssertEqual(x, y, file)
            XCTAssertGreaterThan(x.count, 100)
        }
    }

    func testFailingGateExitsOne() throws {
        let dir = try temporaryFolder()
        let text = try String(contentsOfFile: scenario("quickstart.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"metric\": \"latency_p99_s\", \"max\": 0.5", with: "\"metric\": \"latency_p99_s\", \"max\": 0.01")
        try text.write(toFile: dir + "/strict.json", atomically: true, encoding: .utf8)
        let r = headroom("run", dir + "/strict.json", "--out", dir + "/out")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(squeezed(r.out).contains("FAIL reserved latency_p99_s"), r.out)
        XCTAssertTrue(r.out.contains("gates: 6 passed, 1 failed"), r.out)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/out/summary.csv"), "reports are still written")
    }

    func testPlanSelectionAndSeed() throws {
        let out = try temporaryFolder()
        let r = headroom("run", scenario("quickstart.json"), "--out", out, "--plan", "reserved", "--seed", "9")
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("1 plan, seed 9"), r.out)
        XCTAssertTrue(r.out.contains("SKIP"), "gates on plans not run are skipped")
        let summary = try String(contentsOfFile: out + "/summary.csv", encoding: .utf8)
        XCTAssertEqual(summary.split(separator: "\n").count, 2)
        let bad = headroom("run", scenario("quickstart.json"), "--out", out, "--plan", "reserve")
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.err.contains("no plan named \"reserve\""), bad.err)
        XCTAssertTrue(bad.err.contains("did you mean 'reserved'?"), bad.err)
    }

    func testBadScenarioLeavesNoReportFiles() throws {
        let dir = try temporaryFolder()
        let text = try String(contentsOfFile: scenario("quickstart.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"queueLimit\": 400", with: "\"queueLimt\": 400")
        try text.write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        let r = headroom("run", dir + "/bad.json", "--out", dir + "/out")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.hasPrefix("Error: \(dir)/bad.json:"), r.err)
        XCTAssertTrue(r.err.contains("$.models.sentiment.queueLimt: unknown key \"queueLimt\""), r.err)
        XCTAssertTrue(r.err.contains("hint: did you mean 'queueLimit'?"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out"))
        XCTAssertEqual(headroom("validate", dir + "/bad.json").status, 1)
        XCTAssertEqual(headroom("validate", scenario("quickstart.json")).status, 0)
        XCTAssertTrue(headroom("run", dir + "/missing.json").err.contains("no such file"))
    }

    func testMalformedTraceRowLeavesNoPartialReports() throws {
        let dir = try temporaryFolder()
        var rows = "time,target\n"
        for k in 0..<5000 { rows += "\(k),m\n" }
        rows += "5000,m,extra\n5001\n"
        try rows.write(toFile: dir + "/trace.csv", atomically: true, encoding: .utf8)
        try """
        { "name": "t", "duration": "2h",
          "hardware": { "n": { "vcpus": 2, "memoryGiB": 2, "pricePerHour": 1 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "10ms" } },
          "workload": [ { "kind": "trace", "format": "csv", "path": "trace.csv" } ],
          "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 } } } }
        """.write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        let out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try "old\n".write(toFile: out + "/summary.csv", atomically: true, encoding: .utf8)
        let r = headroom("run", dir + "/t.json", "--out", out, "--requests")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("trace.csv:5003: expected 2 comma-separated fields, found 1"), r.err)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["summary.csv"])
        XCTAssertEqual(try String(contentsOfFile: out + "/summary.csv", encoding: .utf8), "old\n", "earlier reports untouched")
        let v = headroom("validate", dir + "/t.json")
        XCTAssertEqual(v.status, 1)
        XCTAssertTrue(v.err.contains(":5003:"), v.err)
    }

    func testDefaultOutputFolderIsReportsScenarioName() {
        XCTAssertEqual(RunCommand.folderName("ocr-sentiment"), "ocr-sentiment")
        XCTAssertEqual(RunCommand.folderName("a b/c"), "a-b-c")
        XCTAssertEqual(RunCommand.folderName(".."), "scenario")
    }
}

/// `headroom check`: the CI step.
final class CheckCommandTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func headroom(_ arguments: [String]) -> (status: Int32, out: String, err: String) {
        let out = CapturedText(), err = CapturedText()
        let status = Headroom.main(arguments, out: out, err: err)
        return (status, out.text, err.text)
    }

    func folder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    func testChecksEveryBundledScenarioInAStableOrder() throws {
        // Every bundled scenario runs on a clone with nothing beside it: none reaches outside
        // the project (the Azure trace the LLM scenarios replay ships in Scenarios/traces).
        let folder = root.appendingPathComponent("Scenarios")
        let arguments = ["check", folder.path]
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path).filter({ $0.hasSuffix(".json") }) {
            let text = try String(contentsOfFile: folder.appendingPathComponent(file).path, encoding: .utf8)
            XCTAssertFalse(text.contains("\"../../"), "\(file) reads a file outside the project")
        }
        let r = headroom(arguments)
        XCTAssertEqual(r.status, 0, r.out + r.err)
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.last!.hasSuffix(" passed, 0 failed"), r.out)
        XCTAssertTrue(lines.last!.range(of: #"^\d+ passed, 0 failed$"#, options: .regularExpression) != nil)
        let scenarios = lines.filter { $0.hasPrefix("PASS") }.map { $0.split(separator: " ", omittingEmptySubsequences: true)[1] }
        XCTAssertEqual(scenarios, scenarios.sorted(), "scenario files in path order")
        XCTAssertTrue(squeezed(r.out).contains("PASS quickstart reserved/scan-sentiment latency_p99_s"), r.out)
        XCTAssertTrue(r.out.contains("cheapest meeting SLO"), r.out)
        // Parallel and sequential runs print the same gates (on the quick scenarios).
        let quick = ["quickstart.json", "ocr-sentiment-pipeline.json"].map { root.appendingPathComponent("Scenarios/\($0)").path }
        let p = headroom(["check"] + quick), s = headroom(["check"] + quick + ["--sequential"])
        XCTAssertEqual(p.out.split(separator: "\n").dropLast(2), s.out.split(separator: "\n").dropLast(2))
        XCTAssertTrue(p.out.contains("ocr-sentiment-pipeline"))
    }

    func testFailuresErrorsAndJUnit() throws {
        let dir = try folder()
        let good = try String(contentsOfFile: root.appendingPathComponent("Scenarios/quickstart.json").path, encoding: .utf8)
        try good.replacingOccurrences(of: "{ \"cheapestMeetingSLO\": \"serverless\" }", with: "{ \"cheapestMeetingSLO\": \"reserved\" }")
            .write(toFile: dir + "/a.json", atomically: true, encoding: .utf8)
        try "{ \"name\": 3 }".write(toFile: dir + "/b.json", atomically: true, encoding: .utf8)
        try "{}".write(toFile: dir + "/schema.json", atomically: true, encoding: .utf8)
        let r = headroom(["check", dir, "--junit", dir + "/junit.xml"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(squeezed(r.out).contains("FAIL quickstart reserved cheapest meeting SLO"), r.out)
        XCTAssertTrue(r.out.contains("the cheapest plan meeting the SLO is serverless"), r.out)
        XCTAssertTrue(r.out.contains("ERROR"), r.out)
        XCTAssertTrue(r.out.contains("b.json:1:11: $.name: expected a string, found 3"), r.out)
        // A file is skipped only for being a JSON Schema, not for its name: this "schema.json"
        // holds {} and is checked (and fails) like any scenario.
        XCTAssertTrue(r.out.contains("schema.json:1:1: $: missing key \"name\""), r.out)
        XCTAssertTrue(r.out.hasSuffix("6 passed, 3 failed\n"), r.out)
        let xml = try String(contentsOfFile: dir + "/junit.xml", encoding: .utf8)
        XCTAssertTrue(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"headroom check\" tests=\"9\" failures=\"1\" errors=\"2\""), xml)
        XCTAssertTrue(xml.contains("<testcase classname=\"quickstart.reserved\" name=\"latency_p99_s ≤ 0.5\"></testcase>"), xml)
        XCTAssertTrue(xml.contains("<failure message=\"measured "), xml)
        XCTAssertEqual(xml.components(separatedBy: "<testcase").count - 1, 9)
        XCTAssertEqual(headroom(["check", "--junt", "x"]).status, 64)
        XCTAssertEqual(headroom(["check", dir + "/nothing"]).status, 1)
    }
}

/// `headroom sweep`, `merge` and `compare` from the command line.
final class SweepCommandTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func headroom(_ arguments: [String]) -> (status: Int32, out: String, err: String) {
        let out = CapturedText(), err = CapturedText()
        let status = Headroom.main(arguments, out: out, err: err)
        return (status, out.text, err.text)
    }

    func testSweepShardMergeFromTheCommandLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-sweep-\(UUID().uuidString)").path
        let file = root.appendingPathComponent("Scenarios/quickstart.json").path
        let vary = ["--vary", "plans.serverless.keepAlive=1m,10m", "--vary", "plans.reserved.nodes[\"cpu.c5xl\"]=2,3"]
        let r = headroom(["sweep", file, "--out", dir + "/whole"] + vary)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("quickstart: sweep of 4 variants × 3 plans"), r.out)
        XCTAssertTrue(r.out.contains("Pareto front, cost vs p99 latency"), r.out)
        XCTAssertTrue(r.out.contains("cheapest meeting the SLO: variant "), r.out)
        for i in 1...2 {
            let s = headroom(["sweep", file, "--out", dir + "/parts", "--shard", "\(i)/2"] + vary)
            XCTAssertEqual(s.status, 0, s.err)
            XCTAssertTrue(s.out.contains("wrote sweep.shard-\(i)-of-2.csv"), s.out)
        }
        let m = headroom(["merge", dir + "/parts/sweep.shard-2-of-2.csv", dir + "/parts/sweep.shard-1-of-2.csv", "--out", dir + "/merged"])
        XCTAssertEqual(m.status, 0, m.err)
        let whole = try Data(contentsOf: URL(fileURLWithPath: dir + "/whole/sweep.csv"))
        let merged = try Data(contentsOf: URL(fileURLWithPath: dir + "/merged/sweep.csv"))
        XCTAssertEqual(whole, merged)
        XCTAssertEqual(String(decoding: whole, as: UTF8.self).split(separator: "\n").count, 1 + 4 * 3)

        XCTAssertEqual(headroom(["sweep", file]).status, 64, "no --vary")
        XCTAssertTrue(headroom(["sweep", file, "--vary", "plans.autoscaled=1,2"]).err.contains("not a single value"))
        XCTAssertEqual(headroom(["sweep", file, "--vary", "x=1", "--shard", "3/2"]).status, 64)
        XCTAssertEqual(headroom(["merge", dir + "/parts/sweep.shard-1-of-2.csv"]).status, 1)
    }

    func testCompareShowsChangesAndArrows() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-compare-\(UUID().uuidString)").path
        let file = root.appendingPathComponent("Scenarios/quickstart.json").path
        XCTAssertEqual(headroom(["run", file, "--out", dir + "/a"]).status, 0)
        XCTAssertEqual(headroom(["run", file, "--out", dir + "/b", "--seed", "8", "--plan", "reserved", "--plan", "autoscaled"]).status, 0)
        let r = headroom(["compare", dir + "/a", dir + "/b"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("reserved (traditional)"), r.out)
        XCTAssertTrue(r.out.contains("serverless: only in A"), r.out)
        XCTAssertTrue(squeezed(r.out).contains("cost $1.56 $1.56 ="), r.out)
        XCTAssertTrue(squeezed(r.out).range(of: #"per 1k req \$[\d.]+ \$[\d.]+ [+-][\d.]+% [▲▼] (better|worse)"#, options: .regularExpression) != nil, r.out)
        XCTAssertEqual(headroom(["compare", dir + "/a"]).status, 64)
        XCTAssertTrue(headroom(["compare", dir + "/a", dir + "/none"]).err.contains("summary.csv: no such file"))
    }
}

/// A captured stream that claims to be a terminal, for progress output.
final class CapturedTerminal: TextSink {
    var text = ""
    func write(_ text: String) { self.text += text }
    var isTerminal: Bool { true }
}

final class InitAndProgressTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testInitWritesAStarterThatRunsAndRefusesToOverwrite() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-init-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let out = CapturedText(), err = CapturedText()
        XCTAssertEqual(Headroom.main(["init", dir + "/s.json"], out: out, err: err), 0)
        XCTAssertTrue(out.text.hasPrefix("wrote \(dir)/s.json"))
        let run = CapturedText()
        XCTAssertEqual(Headroom.main(["run", dir + "/s.json", "--out", dir + "/out"], out: run, err: err), 0, err.text)
        XCTAssertTrue(run.text.contains("gates: 3 passed, 0 failed"), run.text)
        let again = CapturedText()
        XCTAssertEqual(Headroom.main(["init", dir + "/s.json"], out: CapturedText(), err: again), 1)
        XCTAssertTrue(again.text.contains("already exists; not overwritten"))
        XCTAssertEqual(Headroom.main(["init", dir + "/s.json", "--force"], out: CapturedText(), err: CapturedText()), 0)
        XCTAssertEqual(try String(contentsOfFile: dir + "/s.json", encoding: .utf8), InitCommand.starter)
    }

    func testProgressOnlyOnATerminal() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-progress-\(UUID().uuidString)").path
        let file = root.appendingPathComponent("Scenarios/mmc-validation.json").path
        let terminal = CapturedTerminal()
        XCTAssertEqual(Headroom.main(["run", file, "--out", dir], out: CapturedText(), err: terminal), 0)
        XCTAssertTrue(terminal.text.contains("\rsimulated "), terminal.text)
        XCTAssertTrue(terminal.text.hasSuffix("\r\u{1B}[K"), "the progress line is cleared")
        let plain = CapturedText()
        XCTAssertEqual(Headroom.main(["run", file, "--out", dir], out: CapturedText(), err: plain), 0)
        XCTAssertEqual(plain.text, "", "silent when stderr is not a terminal")
        let sweep = CapturedTerminal()
        XCTAssertEqual(Headroom.main(["sweep", root.appendingPathComponent("Scenarios/quickstart.json").path, "--out", dir + "/s",
                                      "--vary", "plans.serverless.keepAlive=1m,10m"], out: CapturedText(), err: sweep), 0)
        XCTAssertTrue(sweep.text.contains("variants 2/2"), sweep.text)
    }
}

final class TraceCommandTests: XCTestCase {
    func testTraceStatsCommand() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-tracecmd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n2023-11-16 18:15:50.99,396,109\n"
            .write(toFile: dir + "/llm.csv", atomically: true, encoding: .utf8)
        let out = CapturedText(), err = CapturedText()
        XCTAssertEqual(Headroom.main(["trace", "stats", dir + "/llm.csv"], out: out, err: err), 0, err.text)
        XCTAssertTrue(out.text.contains("2 rows over 4.3 s"), out.text)
        XCTAssertTrue(out.text.contains("output tokens"), out.text)
        try "time,target\n1,a\nlater,a\n".write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        let bad = CapturedText()
        XCTAssertEqual(Headroom.main(["trace", "stats", dir + "/bad.csv"], out: CapturedText(), err: bad), 1)
        XCTAssertTrue(bad.text.contains("bad.csv:3: column time: cannot read time \"later\""), bad.text)
        XCTAssertEqual(Headroom.main(["trace", "stat", dir + "/llm.csv"], out: CapturedText(), err: CapturedText()), 64)
        XCTAssertEqual(Headroom.main(["trace", "stats", dir + "/llm.csv", "--format", "xml"], out: CapturedText(), err: CapturedText()), 64)
    }
}

final class OverrideTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testSetOverridesAFieldAndMissingTracesSayWhatToDownload() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-set-\(UUID().uuidString)").path
        let quickstart = root.appendingPathComponent("Scenarios/quickstart.json").path
        let out = CapturedText(), err = CapturedText()
        XCTAssertEqual(Headroom.main(["run", quickstart, "--out", dir, "--plan", "reserved", "--set", "plans.reserved.nodes[\"cpu.c5xl\"]=1"], out: out, err: err), 0, err.text)
        XCTAssertTrue(squeezed(out.text).contains("reserved traditional 136544 136544 0 0 37.6 ms 330 ms 0 $1.22"), out.text)
        let bad = CapturedText()
        XCTAssertEqual(Headroom.main(["run", quickstart, "--set", "plans.reserved.nodez=1"], out: CapturedText(), err: bad), 64)
        XCTAssertTrue(bad.text.contains("did you mean 'nodes'?"), bad.text)
        let missing = CapturedText()
        XCTAssertEqual(Headroom.main(["run", root.appendingPathComponent("Scenarios/llm-chat-azure.json").path, "--out", dir,
                                      "--set", "workload[0].path=/nonexistent/AzureLLMInferenceTrace_conv.csv"], out: CapturedText(), err: missing), 1)
        XCTAssertTrue(missing.text.contains("cannot open trace file"), missing.text)
        XCTAssertTrue(missing.text.contains("download AzureLLMInferenceTrace_conv.csv from the Azure Public Dataset"), missing.text)
    }
}
