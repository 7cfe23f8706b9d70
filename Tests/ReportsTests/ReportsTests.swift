import Foundation
import Glibc
import Testing
import Scenario
import SchedulerCore
@testable import Simulator
@testable import Reports

/// The report files' contract (SCENARIO.md) and the gate logic. Swift Testing.
struct ReportsTests {
    static let scenarioSummaryColumns = """
    scenario,plan,policy,requests,completed,rejected,timed_out,
    latency_mean_s,latency_p50_s,latency_p90_s,latency_p95_s,latency_p99_s,latency_p999_s,latency_max_s,
    wait_mean_s,cold_starts,cold_start_ratio,slo_attainment,
    cost_usd,cost_per_1k_requests_usd,node_hours,gpu_hours,utilisation,
    instances_mean,instances_max,nodes_mean,nodes_max
    """.replacingOccurrences(of: "\n", with: "").split(separator: ",").map(String.init)

    @Test func summaryStartsWithTheContractColumnsInOrder() {
        #expect(Array(CSVReports.summaryColumns.prefix(Self.scenarioSummaryColumns.count)) == Self.scenarioSummaryColumns)
        #expect(Array(CSVReports.requestColumns[1...12]) == ["id", "caller", "target", "model", "version", "arrival_s", "start_s",
                                                           "end_s", "outcome", "cold", "node", "instance"])
        #expect(CSVReports.targetColumns.last == "stage")
        #expect(Array(CSVReports.targetColumns.dropLast().suffix(7)) == ["latency_mean_s", "latency_p50_s", "latency_p90_s", "latency_p95_s",
                                                             "latency_p99_s", "latency_p999_s", "latency_max_s"])
    }

    @Test func durationsForPeople() {
        #expect(TerminalTable.duration(nil) == "–")
        #expect(TerminalTable.duration(0) == "0 s")
        #expect(TerminalTable.duration(850e-6) == "850 µs")
        #expect(TerminalTable.duration(0.0421) == "42.1 ms")
        #expect(TerminalTable.duration(1.25) == "1.25 s")
        #expect(TerminalTable.duration(210) == "3.5 min")
    }

    @Test func numbersAreFixedAndLocaleFree() {
        #expect(CSVNumber.fixed(0.1 + 0.2, 6) == "0.300000")
        #expect(CSVNumber.fixed(-1.5, 2) == "-1.50")
        #expect(CSVNumber.fixed(1e-9, 6) == "0.000000")
        #expect(CSVNumber.fixed(12345.6789, 0) == "12346")
        #expect(CSVNumber.fixed(.nan, 3) == "")
        #expect(CSVNumber.fixed(0.000005, 6) == "0.000005")
        #expect(CSVNumber.fixed(-0.25, 6) == "-0.250000")
        #expect(CSVNumber.fixed(1234567.5, 1) == "1234567.5")
        #expect(CSVNumber.fixed(0, 6) == "0.000000")
        // Against a plain reference on many values.
        var state: UInt64 = 2020
        for _ in 0..<2000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407   // a fixed LCG: same values every run
            let scaled = Int64(state >> 30) % 10_000_000_000 * (state & 1 == 0 ? 1 : -1)
            let whole = scaled.magnitude / 1_000_000, frac = scaled.magnitude % 1_000_000
            let reference = (scaled < 0 ? "-" : "") + String(whole) + "." + String(repeating: "0", count: 6 - String(frac).count) + String(frac)
            #expect(CSVNumber.fixed(Double(scaled) / 1e6, 6) == reference)
        }
        #expect(CSVNumber.seconds(1_500_000_499) == "1.500000")
        #expect(CSVNumber.seconds(1_500_000_500) == "1.500001")
        #expect(CSVNumber.field("a,b") == "\"a,b\"")
        #expect(CSVNumber.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
    }

    func result(_ plan: String, cost: Double, completed: Int64, latencies: [Int64]) -> PlanResult {
        var totals = OutcomeStats()
        totals.requests = completed
        totals.completed = completed
        for l in latencies { totals.latency.record(l) }
        return PlanResult(plan: plan, policy: "traditional", totals: totals, perTarget: [totals], perCaller: [totals],
                          rejectedByReason: RejectReason.simulated.map { _ in 0 }, hasSLO: false, cost: cost, nodeSeconds: 3600, gpuSeconds: 0,
                          busyInstanceSeconds: 1800, instanceSeconds: 3600, instancesMax: 1, instanceStarts: 0, nodesMax: 1, endTime: 3600,
                          timeseries: [], events: 0, callers: [""], versions: [""])
    }

    func run(gates: String) throws -> RunResult {
        let s = try ScenarioLoader.decode("""
        { "name": "g", "duration": "1h",
          "hardware": { "n": { "vcpus": 1, "memoryGiB": 1, "pricePerHour": 1 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1s" } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 1 } ],
          "plans": { "a": { "policy": "traditional", "nodes": { "n": 1 } }, "b": { "policy": "traditional", "nodes": { "n": 1 } } },
          "expect": \(gates) }
        """, file: "g.json")
        return RunResult(scenario: s, seed: 1,
                         plans: [result("a", cost: 10, completed: 100, latencies: [100_000_000, 200_000_000]),
                                 result("b", cost: 6, completed: 100, latencies: [900_000_000])],
                         planIndices: [0, 1], requestLogs: [], callers: [""], versions: [""])
    }

    @Test func gatesOnHandMadeSummaries() throws {
        let results = Gates.evaluate(try run(gates: """
        [ { "plan": "a", "metric": "latency_max_s", "max": 0.25 },
          { "plan": "b", "metric": "latency_max_s", "max": 0.5 },
          { "plan": "b", "metric": "cost_usd", "maxRatioTo": "a", "value": 0.7 },
          { "plan": "b", "metric": "cost_usd", "maxRatioTo": "a", "value": 0.5 },
          { "plan": "a", "metric": "utilisation", "min": 0.5, "max": 0.6 },
          { "plan": "a", "metric": "slo_attainment", "min": 0.9 } ]
        """))
        #expect(results.map(\.verdict) == [.pass, .fail, .pass, .fail, .pass, .pass, .fail])
        #expect(results[2].measured == 0.6)
        #expect(results[2].bound == "≤ 0.7 × a")
        #expect(results[6].measured == nil, "no SLO latency: no attainment value, the gate fails")
        let table = TerminalTable.gates(results, scenario: "g")
        #expect(table.contains("gates: 4 passed, 3 failed"))
    }

    @Test func gatesOnPlansNotRunAreSkipped() throws {
        var r = try run(gates: "[ { \"plan\": \"b\", \"metric\": \"cost_usd\", \"max\": 1 } ]")
        r.plans = [r.plans[0]]
        r.planIndices = [0]
        #expect(Gates.evaluate(r).map(\.verdict) == [.skipped])
    }

    @Test func summaryRowValues() throws {
        let row = Summary.row(result("a", cost: 10, completed: 100, latencies: [100_000_000, 200_000_000]))
        #expect(row.value("cost_per_1k_requests_usd") == 100)
        #expect(row.value("utilisation") == 0.5)
        #expect(row.value("node_hours") == 1)
        #expect(row.value("latency_max_s") == 0.2)
        #expect(row.value("slo_attainment") == nil)
        let csv = CSVReports.summary(try run(gates: "[]"))
        let lines = csv.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[1].hasPrefix("g,a,traditional,100,100,0,0,0.150000,0.100000,"))
        #expect(lines[1].split(separator: ",", omittingEmptySubsequences: false).count == CSVReports.summaryColumns.count)
    }

    @Test func stagingWritesWholeFilesOrNothing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-staging-\(UUID().uuidString)").path
        do {
            let staging = try ReportStaging(directory: dir)
            try staging.write("summary.csv", "x\n")
            staging.discard()
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "discarded: nothing left")
        let staging = try ReportStaging(directory: dir)
        try staging.write("summary.csv", "y\n")
        try staging.commit()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["summary.csv"])
        #expect(try String(contentsOfFile: dir + "/summary.csv", encoding: .utf8) == "y\n")
    }

    /// A rename that fails part-way through the commit leaves the folder exactly as it was:
    /// the earlier run's files back in place, none of the new run's, no stale file removed.
    @Test func aCommitFailingPartWayLeavesTheFolderAsItWas() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-commit-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try ReportStaging(directory: dir)
        for name in ["summary.csv", "targets.csv", "requests.csv", "report.html"] { try first.write(name, "old \(name)\n") }
        try first.commit()
        for failAt in 1...7 {
            let second = try ReportStaging(directory: dir)
            for name in ["summary.csv", "targets.csv", "report.html"] { try second.write(name, "new \(name)\n") }
            var calls = 0
            second.rename = { from, to in
                calls += 1
                if calls == failAt { errno = EIO; return -1 }
                return Glibc.rename(from, to)
            }
            // The message says which move failed, the system's reason, and that nothing changed.
            do {
                try second.commit(removing: ReportFiles.all)
                Issue.record("failing rename \(failAt): the commit did not fail")
            } catch {
                let text = "\(error)"
                #expect(text.hasPrefix("cannot move "), "\(text)")
                #expect(text.contains("in \(dir): Input/output error; the folder is left as it was"), "\(text)")
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".headroom-staging-") }.sorted()
            #expect(names == ["report.html", "requests.csv", "summary.csv", "targets.csv"], "failing rename \(failAt)")
            for name in names { #expect(try String(contentsOfFile: dir + "/" + name, encoding: .utf8) == "old \(name)\n") }
            second.discard()
        }
        // Without a failure: the new files, and the old requests.csv (not produced) removed.
        let third = try ReportStaging(directory: dir)
        for name in ["summary.csv", "targets.csv", "report.html"] { try third.write(name, "new \(name)\n") }
        try third.commit(removing: ReportFiles.all)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["report.html", "summary.csv", "targets.csv"])
    }

    /// Staging and backup folders of runs that are gone are removed; a live run's are kept.
    @Test func staleStagingOfDeadRunsIsRemoved() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-stale-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A pid that existed and is gone: a child that has exited and been reaped.
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { free(argv[0]) }
        #expect(posix_spawn(&pid, "/bin/true", nil, nil, &argv, nil) == 0)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/.headroom-staging-\(pid)", withIntermediateDirectories: true)
        try "part".write(toFile: dir + "/.headroom-staging-\(pid)/requests.0.part", atomically: true, encoding: .utf8)
        try fm.createDirectory(atPath: dir + "/.headroom-old-\(pid)", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/.headroom-staging-\(getppid())", withIntermediateDirectories: true)
        let staging = try ReportStaging(directory: dir)
        let names = try fm.contentsOfDirectory(atPath: dir)
        #expect(!names.contains(".headroom-staging-\(pid)") && !names.contains(".headroom-old-\(pid)"))
        #expect(names.contains(".headroom-staging-\(getppid())"), "a live process's staging is not touched")
        staging.discard()
    }
}

/// Gates on one target, one caller, and "the cheapest plan meeting the SLO", on a real run.
struct ScopedGateTests {
    @Test func targetCallerAndCheapestGates() throws {
        let s = try ScenarioLoader.decode("""
        { "name": "scoped", "duration": "20m", "seed": 2,
          "hardware": { "n": { "vcpus": 4, "memoryGiB": 8, "pricePerHour": 1 } },
          "models": { "fast": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "10ms" },
                      "slow": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "2s", "queueLimit": 0 } },
          "workload": [ { "kind": "poisson", "target": "fast", "rate": 5, "caller": "web" },
                        { "kind": "poisson", "target": "slow", "rate": 1, "caller": "batch" } ],
          "slo": { "latency": "100ms", "percentile": 50 },
          "plans": { "big": { "policy": "traditional", "nodes": { "n": 2 } },
                     "small": { "policy": "traditional", "nodes": { "n": 1 }, "instances": { "fast": 1, "slow": 1 } } },
          "expect": [ { "plan": "big", "target": "fast", "metric": "latency_max_s", "max": 0.0101 },
                      { "plan": "small", "caller": "batch", "metric": "rejected_ratio", "min": 0.3 },
                      { "plan": "small", "caller": "bacth", "metric": "requests", "min": 1 },
                      { "plan": "small", "target": "slow", "metric": "requests", "maxRatioTo": "big", "value": 1 },
                      { "cheapestMeetingSLO": "small" } ] }
        """, file: "scoped.json")
        let run = try Runner.run(s, options: RunOptions())
        let gates = Gates.evaluate(run)
        #expect(gates.map(\.verdict) == [.pass, .pass, .fail, .pass, .pass])
        #expect(gates[0].plan == "big/fast")
        #expect(gates[1].plan == "small/caller batch")
        #expect(gates[2].note == "no request came from caller \"bacth\" (did you mean 'batch'?)")
        #expect(gates[3].measured == 1, "both plans see the same arrivals")
        #expect(gates[4].measured == run.plans[1].cost)
        #expect(Summary.meetsSLO(run.plans[0], percentile: 50) && Summary.meetsSLO(run.plans[1], percentile: 50))
    }
}

/// report.html: self-contained, every plan and chart present.
struct HTMLReportTests {
    @Test func reportHasEveryPlanAndChartAndNothingExternal() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let s = try ScenarioLoader.load(path: root.appendingPathComponent("Scenarios/quickstart.json").path)
        let run = try Runner.run(s, options: RunOptions())
        let html = HTMLReport.run(run, gates: Gates.evaluate(run))
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.hasSuffix("</html>\n"))
        for plan in ["reserved", "autoscaled", "serverless"] {
            #expect(html.contains(">\(plan)</span>"), "card for \(plan)")
            #expect(html.contains("</i>\(plan)</td>") || html.contains("</i>\(plan)<span class=\"misses\">"), "table row for \(plan)")
        }
        for title in ["Arrivals", "Instances (serving, idle or starting)", "Nodes (ready or booting)",
                      "Latency distribution (completed requests)", "Cost so far", "Cold starts"] {
            #expect(html.contains("class=\"chart-title\">\(title)</div>"), "chart \(title)")
        }
        #expect(html.components(separatedBy: "<svg ").count - 1 == 6)
        #expect(html.components(separatedBy: "<path class=\"p").count - 1 == 5 * 3, "a line for each plan in the five plan charts")
        #expect(html.contains("class=\"best\""))
        #expect(html.components(separatedBy: "class=\"badge PASS\"").count - 1 == 7)
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("https://") && !html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"),
                "nothing fetched from anywhere")
        #expect(!html.contains("nan") && !html.contains("inf\""), "no broken numbers in the SVG")
    }

    @Test func bestIsMarkedOnlyAmongPlansMeetingTheSLO() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let s = try ScenarioLoader.load(path: root.appendingPathComponent("Scenarios/quickstart.json").path)
        let run = try Runner.run(s, options: RunOptions())
        let html = HTMLReport.run(run, gates: [])
        // autoscaled is the cheapest plan but misses the SLO: its cost is not the one marked.
        let autoscaled = try #require(run.plans.first { $0.plan == "autoscaled" })
        #expect(!Summary.meetsSLO(autoscaled, percentile: s.slo.percentile))
        let row = try #require(html.split(separator: "\n").first { $0.contains("</i>autoscaled<") })
        #expect(row.contains("misses SLO"))
        #expect(!row.contains("class=\"best\""), "\(row)")
        let cheapest = run.plans.filter { Summary.meetsSLO($0, percentile: s.slo.percentile) }.min { $0.cost < $1.cost }!
        let best = try #require(html.split(separator: "\n").first { $0.contains("</i>\(cheapest.plan)</td>") })
        #expect(best.contains("<td class=\"best\">\(TerminalTable.money(cheapest.cost))</td>"), "\(best)")
    }

    @Test func twentyFourPlansAreDrawnInTwentyFourStyles() {
        let styles = (0..<24).map(SeriesStyle.of)
        for i in styles.indices { for j in 0..<i { #expect(styles[i] != styles[j], "plans \(j) and \(i)") } }
        #expect(styles[0].dash == nil && styles[12].dash != nil && styles[12].square)
    }

    @Test func identicalLinesAreNamedInTheLegend() {
        let a = ChartSeries(name: "a", style: .of(0), plan: 0, points: [(0, 1), (1, 2)])
        var b = a
        b.name = "b"; b.style = .of(1); b.plan = 1
        let c = ChartSeries(name: "c", style: .of(2), plan: 2, points: [(0, 1), (1, 3)])
        let keyed = SVGChart.line(title: "t", series: [a, b, c], xLabel: "x", yLabel: "y", xFormat: { "\($0)" }, yFormat: { "\($0)" })
        #expect(keyed.contains(">a</span>") && keyed.contains(">b = a</span>") && keyed.contains(">c</span>"))
        // With the page's plan filter as the legend, only the note remains.
        let compact = SVGChart.line(title: "t", series: [a, b, c], xLabel: "x", yLabel: "y", xFormat: { "\($0)" }, yFormat: { "\($0)" },
                                    plansKeyed: false)
        #expect(compact.components(separatedBy: "class=\"key").count - 1 == 1 && compact.contains(">b = a</span>"))
        #expect(compact.components(separatedBy: "<path class=\"p").count - 1 == 3, "every line is still drawn")
    }

    @Test func niceTicks() {
        #expect(SVGChart.niceTicks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        #expect(SVGChart.niceTicks(0, 60) == [0, 10, 20, 30, 40, 50, 60] || SVGChart.niceTicks(0, 60) == [0, 20, 40, 60])
        #expect(SVGChart.niceTicks(3, 3) == [3])
    }
}

/// callers.csv: per-caller rows that add up to the plan's totals, cost included.
struct CallersTests {
    @Test func callerRowsAddUpToThePlanTotals() throws {
        let s = try ScenarioLoader.decode("""
        { "name": "callers", "duration": "30m", "seed": 9,
          "hardware": { "n": { "vcpus": 2, "memoryGiB": 4, "pricePerHour": 0.4 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": { "dist": "exponential", "mean": "300ms" }, "queueLimit": 3 } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 4, "caller": "team-a" },
                        { "kind": "poisson", "target": "m", "rate": 2, "caller": "team-b" },
                        { "kind": "poisson", "target": "m", "rate": 1 } ],
          "slo": { "latency": "1s", "timeout": "2s" },
          "plans": { "small": { "policy": "traditional", "nodes": { "n": 1 } } } }
        """, file: "callers.json")
        let run = try Runner.run(s, options: RunOptions())
        let plan = run.plans[0]
        #expect(plan.totals.rejected > 0, "the small plan rejects some requests")
        let lines = CSVReports.callers(run).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(lines[0] == CSVReports.callerColumns)
        let rows = lines.dropFirst()
        #expect(rows.map { $0[2] } == ["", "team-a", "team-b"], "the anonymous row first, then callers in order of first arrival")
        for (k, total) in [(3, plan.totals.requests), (4, plan.totals.completed), (5, plan.totals.rejected), (6, plan.totals.timedOut)] {
            #expect(rows.reduce(Int64(0)) { $0 + Int64($1[k])! } == total, "column \(lines[0][k]) adds up")
        }
        let cost = rows.reduce(0.0) { $0 + Double($1.last!)! }
        #expect(abs(cost - plan.cost) < 1e-5, "the attributed cost adds up to the plan's")
        let a = rows.first { $0[2] == "team-a" }!, b = rows.first { $0[2] == "team-b" }!
        #expect(Double(a.last!)! > 1.5 * Double(b.last!)!, "team-a sends twice team-b's traffic and pays for it")
    }
}

extension CallersTests {
    @Test func quotasRejectOnlyTheCallerOverIt() throws {
        let s = try ScenarioLoader.decode("""
        { "name": "quota", "duration": "20m", "seed": 4,
          "hardware": { "n": { "vcpus": 2, "memoryGiB": 4, "pricePerHour": 0.4 } },
          "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": { "dist": "exponential", "mean": "400ms" }, "concurrency": 4 } },
          "workload": [ { "kind": "poisson", "target": "m", "rate": 10, "caller": "greedy" },
                        { "kind": "poisson", "target": "m", "rate": 2, "caller": "polite" } ],
          "callers": { "greedy": { "maxConcurrent": 2 } },
          "plans": { "p": { "policy": "traditional", "nodes": { "n": 1 } } } }
        """, file: "quota.json")
        let run = try Runner.run(s, options: RunOptions())
        let plan = run.plans[0]
        let greedy = plan.callers.firstIndex(of: "greedy")!, polite = plan.callers.firstIndex(of: "polite")!
        #expect(plan.rejectedByReason[Int(RejectReason.quota.rawValue)] == plan.perCaller[greedy].rejected)
        #expect(plan.perCaller[greedy].rejected > 1000, "10/s × 0.4 s = 4 wanted in flight, 2 allowed")
        #expect(plan.perCaller[polite].rejected == 0)
        #expect(plan.totals.requests == plan.totals.completed + plan.totals.rejected + plan.totals.timedOut)
        let header = CSVReports.summaryColumns
        let row = CSVReports.summary(run).split(separator: "\n")[1].split(separator: ",", omittingEmptySubsequences: false)
        #expect(Int64(row[header.firstIndex(of: "rejected_quota")!]) == plan.perCaller[greedy].rejected)
    }
}
