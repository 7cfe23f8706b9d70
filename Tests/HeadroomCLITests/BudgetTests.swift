import XCTest
import Foundation
@testable import HeadroomCLI
import Scenario
import Simulator

/// Runs are sized before they start: validate says how big, run / check / sweep refuse a run
/// over the budget with the estimate, the budget and the flag, before writing anything.
final class BudgetTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    func scenario(_ name: String) -> String { root.appendingPathComponent("Scenarios/\(name)").path }

    func testEstimates() throws {
        let mmc = try ScenarioLoader.load(path: scenario("mmc-validation.json"))
        let e = WorkEstimate.of(mmc, plans: 1, interval: 60)
        XCTAssertEqual(e.requestsPerPlan, 9 * 111_112, accuracy: 1)
        XCTAssertEqual(e.timeseriesRows, (111_112.0 / 60).rounded(.up))
        let bursts = try ScenarioLoader.load(path: scenario("calibrate-bursts-serverless.json"))
        // 5 s at 25/s every 15 s from 2 s, over 90 s: six bursts.
        XCTAssertEqual(WorkEstimate.of(bursts, plans: 1, interval: 0).requestsPerPlan, 6 * 5 * 25, accuracy: 1)
        // The estimate is the simulated count's expectation: within a few per cent of it.
        let run = try Runner.run(bursts, options: RunOptions())
        XCTAssertEqual(Double(run.plans[0].totals.requests), 750, accuracy: 75)
        XCTAssertEqual(RunBudget.show(3.2e12), "3.2e12")
        XCTAssertEqual(RunBudget.show(41_000), "41000")
        XCTAssertEqual(RunBudget.show(9.9995e7), "1.0e8", "a mantissa that rounds to 10 moves to the next power")
        XCTAssertEqual(RunBudget.parse("5e9"), 5e9)
        XCTAssertNil(RunBudget.parse("0"))
        XCTAssertNil(RunBudget.parse("nan"))
        XCTAssertNil(RunBudget.parse("1.5"))
    }

    /// A diurnal or flash-crowd source is estimated by its rate's integral over the span the
    /// run covers (a run of half a period around the peak sees more than the mean), and a
    /// conversation source's estimate is the most its turns can make.
    func testTimeVaryingSourcesAreEstimatedOverTheirSpan() throws {
        func load(_ workload: String, duration: String) throws -> Scenario {
            try ScenarioLoader.decode("""
            { "name": "varying", "duration": "\(duration)",
              "hardware": { "n": { "vcpus": 64, "memoryGiB": 64, "pricePerHour": 1 } },
              "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1ms", "concurrency": 8 } },
              "workload": [ \(workload) ],
              "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 } } } }
            """, file: "varying.json", directory: ".")
        }
        // Half a period centred on the peak: 10/s × 3600 s × (1 + 0.5 × 2/π).
        let diurnal = try load(#"{ "kind": "diurnal", "target": "m", "mean": 10, "amplitude": 0.5, "period": "2h", "peakAt": "30m" }"#, duration: "1h")
        let expected = 36_000 * (1 + 0.5 * 2 / Double.pi)
        XCTAssertEqual(WorkEstimate.of(diurnal, plans: 1, interval: 0).requestsPerPlan, expected, accuracy: 1)
        XCTAssertEqual(Double(try Runner.run(diurnal, options: RunOptions()).plans[0].totals.requests), expected, accuracy: expected * 0.02)
        // A whole number of periods: the mean.
        let cycles = try load(#"{ "kind": "diurnal", "target": "m", "mean": 10, "amplitude": 0.9, "period": "20m", "peakAt": "7m" }"#, duration: "1h")
        XCTAssertEqual(WorkEstimate.of(cycles, plans: 1, interval: 0).requestsPerPlan, 36_000, accuracy: 1e-6)
        // A flash crowd cut off in its decay: 2/s for 15 min, plus the excess of 48/s over a
        // 1 min ramp (24 s worth), a 2 min hold and 2 min of a 5 min decay.
        let crowd = try load(#"{ "kind": "flash-crowd", "target": "m", "base": 2, "peak": 50, "at": "10m", "rampUp": "1m", "hold": "2m", "decay": "5m" }"#,
                             duration: "15m")
        let crowdExpected = 2 * 900 + 48 * (30 + 120 + 300 * (1 - exp(-120.0 / 300)))
        XCTAssertEqual(WorkEstimate.of(crowd, plans: 1, interval: 0).requestsPerPlan, crowdExpected, accuracy: 1e-6)
        XCTAssertEqual(Double(try Runner.run(crowd, options: RunOptions()).plans[0].totals.requests), crowdExpected, accuracy: crowdExpected * 0.03)
        // A crowd whose peak falls after the run makes few arrivals, but thinning draws its
        // candidates at the peak over the whole run: the budget counts the draws and refuses
        // the run with why, rather than let it spin for hours.
        let late = try load(#"{ "kind": "flash-crowd", "target": "m", "base": 2, "peak": 1e12, "at": "20m", "rampUp": "1m", "hold": "1m", "decay": "1m" }"#,
                            duration: "10m")
        let lateEstimate = WorkEstimate.of(late, plans: 1, interval: 0)
        XCTAssertEqual(lateEstimate.requestsPerPlan, 1200, accuracy: 1e-6)
        XCTAssertEqual(lateEstimate.drawsPerPlan, 6e14)
        XCTAssertThrowsError(try RunBudget().check(lateEstimate, scenario: late)) { error in
            XCTAssertTrue("\(error)".contains("would draw about 6.0e14 candidate arrivals (1 plan × 6.0e14) to make about 1200 requests a plan"), "\(error)")
        }
        XCTAssertNoThrow(try RunBudget().check(WorkEstimate.of(crowd, plans: 1, interval: 0), scenario: crowd))
        // Conversations: turns past the end are not made, so the estimate is an upper bound,
        // and a close one (the bundled chat sessions: an hour, 45 s between turns).
        let sessions = try ScenarioLoader.load(path: scenario("llm-chat-sessions.json"))
        let estimate = WorkEstimate.of(sessions, plans: 1, interval: 0).requestsPerPlan
        var one = RunOptions()
        one.planNames = [sessions.plans[0].name]
        let run = try Runner.run(sessions, options: one)
        let simulated = Double(run.plans[0].totals.requests)
        XCTAssertGreaterThanOrEqual(estimate, simulated)
        XCTAssertLessThan(estimate, simulated * 1.15, "estimate \(estimate), simulated \(simulated)")
    }

    func testRunOverTheBudgetIsRefusedBeforeWriting() throws {
        let out = NSTemporaryDirectory() + "headroom-budget-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var r = runHeadroom(["run", scenario("mmc-validation.json"), "--set", "workload[0].rate=1e12", "--out", out])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("would simulate about") && r.err.contains("over the budget of 1.0e9") && r.err.contains("--max-requests"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written")
        r = runHeadroom(["run", scenario("quickstart.json"), "--interval", "1ms", "--out", out])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("timeseries.csv rows") && r.err.contains("--max-rows"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        r = runHeadroom(["run", scenario("quickstart.json"), "--max-requests", "lots"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.err.contains("invalid for '--max-requests'"), r.err)
        // Raising the budget lets a run through that the default refuses.
        r = runHeadroom(["run", scenario("mmc-validation.json"), "--max-requests", "10", "--out", out])
        XCTAssertEqual(r.status, 1, "one million requests are over a budget of ten")
        try? FileManager.default.removeItem(atPath: out)
    }

    func testValidateSaysHowBigAndSweepAndCheckRefuse() throws {
        var r = runHeadroom(["validate", scenario("mmc-validation.json")])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.out.contains("a run simulates about 1.0e6 requests"), r.out)
        // A grid of 10²⁰ variants is refused without being made.
        var arguments = ["sweep", scenario("quickstart.json")]
        for _ in 0..<10 { arguments += ["--vary", "seed=" + (1...100).map(String.init).joined(separator: ",")] }
        let started = Date()
        r = runHeadroom(arguments)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("the sweep (1.0e20 variants)"), r.err)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        // check: the scenario over the budget is an error; the others still report.
        let dir = NSTemporaryDirectory() + "headroom-budget-check-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let big = try String(contentsOfFile: scenario("mmc-validation.json"), encoding: .utf8).replacingOccurrences(of: "\"rate\": 9", with: "\"rate\": 9e9")
        try big.write(toFile: dir + "/big.json", atomically: true, encoding: .utf8)
        r = runHeadroom(["check", dir])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.out.contains("checking it would simulate about"), r.out)
    }

    /// A long run in a log (not a terminal) prints a plain line every few seconds, no more.
    /// A looping trace is counted by its passes, not left out: the estimate matches what a run
    /// replays, a dense one is refused before it starts, and validate reads one pass of it.
    func testLoopingTracesAreCounted() throws {
        let dir = NSTemporaryDirectory() + "headroom-loop-budget-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func write(_ rows: String, _ name: String) throws -> String {
            try rows.write(toFile: "\(dir)/\(name).csv", atomically: true, encoding: .utf8)
            let file = "\(dir)/\(name).json"
            try """
            { "name": "\(name)", "duration": "1h",
              "hardware": { "n": { "vcpus": 8, "memoryGiB": 32, "pricePerHour": 1 } },
              "models": { "m": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1ms", "concurrency": 8 } },
              "workload": [ { "kind": "trace", "format": "csv", "path": "\(name).csv", "target": "m", "loop": true } ],
              "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 } } } }
            """.write(toFile: file, atomically: true, encoding: .utf8)
            return file
        }
        // Rows 10 s apart: each pass is 40 s (30 s of rows, then one mean gap), 90 passes in an hour.
        let sparse = try ScenarioLoader.load(path: try write("time\n0\n10\n20\n30\n", "sparse"))
        let estimate = WorkEstimate.of(sparse, plans: 1, interval: 60)
        XCTAssertTrue(estimate.uncounted.isEmpty, "\(estimate.uncounted)")
        XCTAssertEqual(estimate.requestsPerPlan, 4 * 90)
        XCTAssertEqual(Double(try Runner.run(sparse, options: RunOptions()).plans[0].totals.requests), estimate.requestsPerPlan)
        // 10,000 rows within a millisecond: 3.6 × 10¹⁰ replays in an hour, refused at once.
        let dense = try write("time\n" + (0..<10_000).map { String(format: "%.7f", Double($0) * 1e-7) }.joined(separator: "\n") + "\n", "dense")
        let started = Date()
        let out = CapturedText(), err = CapturedText()
        XCTAssertEqual(Headroom.main(["run", dense, "--out", dir + "/never"], out: out, err: err), 1)
        XCTAssertTrue(err.text.contains("the run would simulate about 3.6e10 requests"), err.text)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/never/summary.csv"))
        let validated = CapturedText()
        XCTAssertEqual(Headroom.main(["validate", dense], out: validated, err: CapturedText()), 0)
        XCTAssertTrue(validated.text.contains("10000 trace rows") && validated.text.contains("over the default budget"), validated.text)
        XCTAssertLessThan(Date().timeIntervalSince(started), 30, "one pass is read, not the hour's replays")
    }

    func testLogLinesAreSpaced() {
        let text = CapturedText()
        let lines = LogLines(sink: text, every: 0.2)
        lines.write { "first" }   // within 0.2 s of creation: skipped
        usleep(250_000)
        lines.write { "second" }
        lines.write { "third" }   // too soon after the second
        XCTAssertEqual(text.text, "second\n")
    }

    /// Durations and prices have upper bounds checked when the file is read: values that used
    /// to trap (a duration times 10⁹ converted to Int64) are refused with the field's path.
    func testHugeNumbersAreRefusedNotTrapped() {
        for (setting, expected) in [("models.sentiment.init=1e300", "at most 10 years"), ("slo.timeout=1e300", "at most 10 years"),
                                    ("plans.serverless.keepAlive=1e300", "at most 10 years"), ("duration=1e12", "at most 10 years"),
                                    ("hardware[\"cpu.c5xl\"].pricePerHour=1e300", "expected a number ≤ 1000000"),
                                    ("plans.reserved.nodes[\"cpu.c5xl\"]=2147483648", "expected a whole number from 0 to 1000000"),
                                    ("models.sentiment.concurrency=1e12", "expected a whole number from 1 to 1000000"),
                                    ("models.sentiment.queueLimit=1e15", "expected a whole number from 0 to 1000000000")] {
            let r = runHeadroom(["run", scenario("quickstart.json"), "--set", setting, "--out", NSTemporaryDirectory() + "never-\(getpid())"])
            XCTAssertEqual(r.status, 1, setting)
            XCTAssertTrue(r.err.contains(expected) && r.err.contains("quickstart.json:"), setting + ": " + r.err)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "never-\(getpid())"))
    }
}
