import Foundation
import XCTest
import Scenario
@testable import Simulator

final class TraceTests: XCTestCase {
    func folder(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-trace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir.path
    }

    func traceScenario(format: String, path: String, target: String? = nil) -> String {
        """
        { "name": "trace", "duration": "1h",
          "hardware": { "n": { "vcpus": 8, "memoryGiB": 32, "pricePerHour": 1 } },
          "models": {
            "chat": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "concurrency": 8,
                      "service": { "dist": "tokens", "base": "20ms", "perInputToken": "0.02ms", "perOutputToken": "5ms" } },
            "ocr": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "50ms" } },
          "workload": [ { "kind": "trace", "format": "\(format)", "path": "\(path)"\(target.map { ", \"target\": \"\($0)\"" } ?? "") } ],
          "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 } } } }
        """
    }

    func testAzureLLMRowsAndTokensDriveServiceTime() throws {
        let dir = try folder(["llm.csv": """
            TIMESTAMP,ContextTokens,GeneratedTokens
            2023-11-16 18:15:46.6805900,374,44
            2023-11-16 18:15:50.9951690,396,109
            2023-11-16 18:15:51.2224670,879,55
            """])
        let s = try scenario(traceScenario(format: "azure-llm", path: "llm.csv", target: "chat"), directory: dir)
        var options = RunOptions()
        options.requestLogDirectory = dir
        let r = try Runner.run(s, options: options).plans[0]
        XCTAssertEqual(r.totals.completed, 3)
        // First request: 20 ms + 374 × 0.02 ms + 44 × 5 ms = 247.48 ms, served at once.
        XCTAssertEqual(r.totals.latency.minimum, 247_480_000)
        let log = try String(contentsOfFile: dir + "/requests.0.part", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(log.count, 3)
        let second = try XCTUnwrap(log.first { $0.hasPrefix("r,1,") })
        XCTAssertTrue(second.hasPrefix("r,1,,chat,chat,,4.314579,4.314579,"), String(second))
    }

    func testGenericCSVWithTargetsCallersAndISOTimes() throws {
        let dir = try folder(["t.csv": "time,target,caller\n2024-01-01T00:00:00Z,ocr,team-a\n2024-01-01T00:00:01.5Z,ocr,team-b\n2024-01-01T00:00:03Z,ocr,team-a\n"])
        let s = try scenario(traceScenario(format: "csv", path: "t.csv"), directory: dir)
        let run = try Runner.run(s, options: RunOptions())
        XCTAssertEqual(run.plans[0].totals.completed, 3)
        XCTAssertEqual(run.callers, ["", "team-a", "team-b"])
        XCTAssertEqual(TraceReader.parseTime("2023-11-16 18:15:46.6805900"), 1_700_158_546_680_590_000)
        XCTAssertEqual(TraceReader.parseTime("1970-01-01T01:00:00+01:00"), 0)
        XCTAssertNil(TraceReader.parseTime("2023-13-16 18:15:46"))
    }

    func testMalformedRowsNameTheLine() throws {
        let cases: [(String, Int, String)] = [
            ("time,target\n1,ocr\n2\n", 3, "expected 2 comma-separated fields"),
            ("time,target\n1,ocr\nsoon,ocr\n", 3, "cannot read time"),
            ("time,target\n5,ocr\n4,ocr\n", 3, "earlier than the row before"),
            ("time,target\n1,ocr\n2,orc\n", 3, "unknown target \"orc\""),
            ("when,target\n1,ocr\n", 1, "\"time\" column"),
            ("time,target\n1,chat\n", 2, "token-driven"),
        ]
        for (text, line, fragment) in cases {
            let dir = try folder(["bad.csv": text])
            let s = try scenario(traceScenario(format: "csv", path: "bad.csv"), directory: dir)
            XCTAssertThrowsError(try Runner.run(s, options: RunOptions()), text) { error in
                guard let e = error as? ScenarioError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.line, line, text)
                XCTAssertTrue(e.file.hasSuffix("bad.csv"))
                XCTAssertTrue(e.message.contains(fragment), "\(text): \(e.message)")
            }
            XCTAssertThrowsError(try Runner.validate(s), "validate finds it too")
        }
        let s = try scenario(traceScenario(format: "azure-llm", path: "missing.csv", target: "chat"), directory: "/nonexistent")
        XCTAssertThrowsError(try Runner.run(s, options: RunOptions())) { error in
            XCTAssertTrue("\(error)".contains("cannot open trace file"), "\(error)")
        }
    }

    /// A CSV trace's `service_s` is each request's own service time (a production log's
    /// duration, or calibrate's replay of what was measured); an empty field leaves the
    /// model's. Bad values, and rows for a pipeline, are refused with the line and column.
    func testServiceTimesFromACSVColumn() throws {
        let dir = try folder(["t.csv": "time,target,service_s\n0,ocr,0.25\n1,ocr,\n2,ocr,1.000000001\n3,ocr,0\n"])
        var options = RunOptions()
        options.requestLogDirectory = dir
        let r = try Runner.run(try scenario(traceScenario(format: "csv", path: "t.csv"), directory: dir), options: options).plans[0]
        XCTAssertEqual(r.totals.completed, 4)
        let rows = try String(contentsOfFile: dir + "/requests.0.part", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            .sorted { Int($0[1])! < Int($1[1])! }
        // Served at once on idle instances: each latency is its service time, the model's 50 ms
        // for the row that gives none.
        XCTAssertEqual(rows.map { $0[8] }, ["0.250000", "1.050000", "3.000000", "3.000000"])
        XCTAssertEqual(r.totals.latency.maximum, 1_000_000_001, "to the nanosecond")
        let cases: [(String, String)] = [
            ("time,target,service_s\n0,ocr,-0.1\n", "bad.csv:2: column service_s: cannot read service time \"-0.1\": expected seconds, zero or more"),
            ("time,target,service_s\n0,ocr,soon\n", "cannot read service time \"soon\""),
            ("time,target,service_s\n0,ocr,2024-01-01 00:00:00\n", "cannot read service time \"2024-01-01 00:00:00\""),
            ("time,target,service_s\n0,both,1\n", "bad.csv:2: column service_s: target \"both\" cannot take a service time from the trace: it is a pipeline"),
        ]
        for (text, expected) in cases {
            let dir = try folder(["bad.csv": text])
            let s = try scenario(traceScenario(format: "csv", path: "bad.csv").replacingOccurrences(
                of: "\"plans\"", with: "\"pipelines\": { \"both\": [\"ocr\", \"ocr\"] }, \"plans\""), directory: dir)
            XCTAssertThrowsError(try Runner.run(s, options: RunOptions()), text) { e in
                XCTAssertTrue("\(e)".contains(expected), "\(e)")
            }
        }
        // A pipeline's rows without a service time are fine: its stages draw their own.
        let ok = try folder(["t.csv": "time,target,service_s\n0,both,\n0.5,ocr,0.01\n"])
        let s = try scenario(traceScenario(format: "csv", path: "t.csv").replacingOccurrences(
            of: "\"plans\"", with: "\"pipelines\": { \"both\": [\"ocr\", \"ocr\"] }, \"plans\""), directory: ok)
        XCTAssertEqual(try Runner.run(s, options: RunOptions()).plans[0].totals.completed, 2)
    }

    /// The real Azure LLM conversation trace, read from ../shared/traces (never copied here).
    func testRealAzureConversationTrace() throws {
        let path = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/traces/AzureLLMInferenceTrace_conv.csv").path
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "shared/traces is not beside the checkout")
        let s = try scenario(traceScenario(format: "azure-llm", path: path, target: "chat"))
        XCTAssertEqual(try Runner.validate(s), 19_366)
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        XCTAssertEqual(r.totals.requests, 19_366)
        XCTAssertEqual(r.totals.requests, r.totals.completed + r.totals.rejected + r.totals.timedOut)
    }
}

extension TraceTests {
    func testTraceStatsOnAHandMadeTrace() throws {
        // Times count from the first row: 3 rows in second 0, 1 in second 1, 1 each in seconds 60 and 61.
        let dir = try folder(["t.csv": "time,target,caller\n0.1,a,x\n0.2,a,y\n0.9,b,x\n1.5,a,x\n61.0,b,y\n61.5,b,y\n"])
        let stats = try TraceStats.read(path: dir + "/t.csv", format: .csv)
        XCTAssertEqual(stats.rows, 6)
        XCTAssertEqual(stats.span, 61.4, accuracy: 1e-9)
        XCTAssertEqual(stats.perSecond.prefix(2), [3, 1])
        XCTAssertEqual(stats.perSecond.suffix(2), [1, 1], "seconds count from the first row (0.1 s)")
        XCTAssertEqual(stats.perMinute, [4, 2])
        XCTAssertEqual(stats.interArrivalMean, 61.4 / 5, accuracy: 1e-9)
        XCTAssertEqual(stats.targets.map(\.name), ["a", "b"])
        XCTAssertEqual(stats.targets.map(\.rows), [3, 3])
        XCTAssertEqual(stats.callers, 2)
        let text = stats.describe(file: "t.csv")
        XCTAssertTrue(text.contains("6 rows over 61.4 s"), text)
        XCTAssertTrue(text.contains("targets               a 3, b 3"), text)
    }

    func testTraceStatsOnTheRealConversationTrace() throws {
        let path = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/traces/AzureLLMInferenceTrace_conv.csv").path
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "shared/traces is not beside the checkout")
        let stats = try TraceStats.read(path: path, format: .azureLLM)
        // The trace's README: 19,366 requests, up to 16 in one second, 191–507 per minute,
        // context tokens median 1,020 (max 14,050), generated median 129 (max 1,000).
        XCTAssertEqual(stats.rows, 19_366)
        XCTAssertEqual(stats.perSecond.max(), 16)
        XCTAssertEqual(stats.perMinute.dropLast().min(), 191)
        XCTAssertEqual(stats.perMinute.max(), 507)
        XCTAssertEqual(Double(stats.inputTokens.percentile(50)!), 1020, accuracy: 1020 * 0.01)
        XCTAssertEqual(stats.inputTokens.maximum, 14_050)
        XCTAssertEqual(Double(stats.outputTokens.percentile(50)!), 129, accuracy: 129 * 0.01)
        XCTAssertEqual(stats.outputTokens.maximum, 1000)
    }
}

extension TraceTests {
    func replay(_ options: String, rows: String = "time,target,caller\n0,ocr,a\n10,ocr,b\n20,ocr,a\n30,ocr,a\n", duration: String = "1h") throws -> [String] {
        let dir = try folder(["t.csv": rows])
        let text = """
        { "name": "replay", "duration": "\(duration)",
          "hardware": { "n": { "vcpus": 8, "memoryGiB": 32, "pricePerHour": 1 } },
          "models": { "ocr": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1ms" } },
          "workload": [ { "kind": "trace", "format": "csv", "path": "t.csv"\(options) } ],
          "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 } } } }
        """
        var o = RunOptions()
        o.requestLogDirectory = dir
        _ = try Runner.run(try scenario(text, directory: dir), options: o)
        // Arrival times (column 7 of requests.csv rows), in arrival order.
        return try String(contentsOfFile: dir + "/requests.0.part", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false)[6] }.map(String.init).sorted { Double($0)! < Double($1)! }
    }

    func testTraceSpeedOffsetFilterAndLoop() throws {
        XCTAssertEqual(try replay(""), ["0.000000", "10.000000", "20.000000", "30.000000"])
        XCTAssertEqual(try replay(", \"speed\": 2"), ["0.000000", "5.000000", "10.000000", "15.000000"])
        XCTAssertEqual(try replay(", \"offset\": \"15s\""), ["5.000000", "15.000000"], "rows before 15 s skipped; replay starts there")
        XCTAssertEqual(try replay(", \"filter\": { \"caller\": \"a\" }"), ["0.000000", "20.000000", "30.000000"])
        XCTAssertEqual(try replay(", \"filter\": { \"caller\": [\"b\"] }"), ["10.000000"])
        // Looping: each pass follows the last row after one mean gap (10 s) — until the duration.
        XCTAssertEqual(try replay(", \"loop\": true", duration: "85s"),
                       ["0.000000", "10.000000", "20.000000", "30.000000", "40.000000", "50.000000", "60.000000", "70.000000", "80.000000"])
        // Rows that all share one time have no gap to loop after: each pass follows 1 s later
        // (a zero gap replayed the trace forever at one instant).
        XCTAssertEqual(try replay(", \"loop\": true", rows: "time,target\n5,ocr\n5,ocr\n", duration: "8s"),
                       (0..<8).flatMap { ["\($0).000000", "\($0).000000"] })
        XCTAssertThrowsError(try replay(", \"filter\": { \"target\": \"orc\" }")) { e in XCTAssertTrue("\(e)".contains("did you mean 'ocr'?"), "\(e)") }
        XCTAssertThrowsError(try replay(", \"filter\": { \"colour\": \"red\" }")) { e in XCTAssertTrue("\(e)".contains("cannot filter on column"), "\(e)") }
    }
}

extension TraceTests {
    /// An Azure Functions 2019 file: rows of (owner, app, function, trigger, 1,440 counts).
    func functionsFile(_ rows: [(app: String, function: String, counts: [Int: Int])]) -> String {
        var text = "HashOwner,HashApp,HashFunction,Trigger," + (1...1440).map(String.init).joined(separator: ",") + "\n"
        for r in rows {
            text += "owner,\(r.app),\(r.function),http," + (0..<1440).map { String(r.counts[$0] ?? 0) }.joined(separator: ",") + "\n"
        }
        return text
    }

    func testAzureFunctions2019CountsMappingAndTopN() throws {
        let dir = try folder(["f.csv": functionsFile([
            ("appA", "busy", [0: 6, 1: 2]),
            ("appA", "quiet", [1: 1]),
            ("appB", "other", [0: 3, 2: 3]),
        ])])
        func run(_ options: String) throws -> PlanResult {
            let text = """
            { "name": "functions", "duration": "1d",
              "hardware": { "n": { "vcpus": 8, "memoryGiB": 32, "pricePerHour": 1 } },
              "models": { "ocr": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1ms" },
                          "chat": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1ms" } },
              "workload": [ { "kind": "trace", "format": "azure-functions-2019", "path": "f.csv", "target": "ocr"\(options) } ],
              "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 } } } }
            """
            return try Runner.run(try scenario(text, directory: dir), options: RunOptions()).plans[0]
        }
        let all = try run("")
        XCTAssertEqual(all.totals.requests, 15)
        XCTAssertEqual(all.timeseries.prefix(3).map(\.arrivals), [9, 3, 3], "per-minute counts summed over functions")
        let mapped = try run(", \"functions\": { \"appB\": \"chat\", \"quiet\": \"chat\" }")
        XCTAssertEqual(mapped.perTarget.map(\.requests), [8, 7], "busy → ocr (default); quiet by function hash and appB by app hash → chat")
        let top = try run(", \"top\": 2")
        XCTAssertEqual(top.totals.requests, 14, "the two busiest functions: busy (8) and other (6)")
        let dir2 = try folder(["f.csv": functionsFile([("a", "one", [0: 4])])])
        let s = try scenario("""
        { "name": "f", "duration": "2m",
          "hardware": { "n": { "vcpus": 8, "memoryGiB": 32, "pricePerHour": 1 } },
          "models": { "ocr": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1ms" } },
          "workload": [ { "kind": "trace", "format": "azure-functions-2019", "path": "f.csv", "target": "ocr" } ],
          "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 } } } }
        """, directory: dir2)
        var o = RunOptions()
        o.requestLogDirectory = dir2
        _ = try Runner.run(s, options: o)
        let times = try String(contentsOfFile: dir2 + "/requests.0.part", encoding: .utf8).split(separator: "\n")
            .map { String($0.split(separator: ",", omittingEmptySubsequences: false)[6]) }.sorted { Double($0)! < Double($1)! }
        XCTAssertEqual(times, ["7.500000", "22.500000", "37.500000", "52.500000"], "minute 1 of the day: 4 arrivals at (i + ½) × 15 s")
    }

    func testAzureFunctions2019MalformedRows() throws {
        var text = functionsFile([("a", "f", [0: 1])])
        text += "owner,a,g,http,1,2\n"
        let dir = try folder(["f.csv": text])
        let s = try scenario("""
        { "name": "f", "duration": "1h",
          "hardware": { "n": { "vcpus": 8, "memoryGiB": 32, "pricePerHour": 1 } },
          "models": { "ocr": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1ms" } },
          "workload": [ { "kind": "trace", "format": "azure-functions-2019", "path": "f.csv", "target": "ocr" } ],
          "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 } } } }
        """, directory: dir)
        XCTAssertThrowsError(try Runner.run(s, options: RunOptions())) { e in
            XCTAssertTrue("\(e)".contains("f.csv:3: expected 1,444 comma-separated fields"), "\(e)")
        }
    }

    /// Azure Functions 2021: rows in order of end time become arrivals in order of start
    /// (end − duration); the durations are the service times; functions map to targets.
    func testAzureFunctions2021InvocationsInOrderOfStartWithTheirDurations() throws {
        let dir = try folder(["inv.txt": """
            app,func,end_timestamp,duration
            appA,f1,10.0,1.5
            appA,f2,10.5,6.0
            appB,f3,11.0,0.25
            appA,f1,20.0,12.0
            appB,f3,30.0,2.0
            appA,f2,40.0,31.0
            """])
        func run(_ options: String) throws -> (PlanResult, [[String]]) {
            let text = """
            { "name": "fn21", "duration": "1h",
              "hardware": { "n": { "vcpus": 64, "memoryGiB": 64, "pricePerHour": 1 } },
              "models": { "ocr": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1ms" },
                          "chat": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1ms" } },
              "workload": [ { "kind": "trace", "format": "azure-functions-2021", "path": "inv.txt", "target": "ocr"\(options) } ],
              "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 }, "instances": { "ocr": 8, "chat": 8 } } } }
            """
            var o = RunOptions()
            o.requestLogDirectory = dir
            let r = try Runner.run(try scenario(text, directory: dir), options: o).plans[0]
            let rows = try String(contentsOfFile: dir + "/requests.0.part", encoding: .utf8).split(separator: "\n")
                .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
                .sorted { Int($0[1])! < Int($1[1])! }
            return (r, rows)
        }
        let (r, rows) = try run("")
        XCTAssertEqual(r.totals.completed, 6)
        // Starts: 8.5 (f1), 4.5 (f2), 10.75 (f3), 8.0 (f1), 28.0 (f3), 9.0 (f2) → in order 4.5, 8.0, 8.5,
        // 9.0, 10.75, 28.0, relative to the first (4.5 s): 0, 3.5, 4, 4.5, 6.25, 23.5; each ends after its duration.
        XCTAssertEqual(rows.map { $0[6] }, ["0.000000", "3.500000", "4.000000", "4.500000", "6.250000", "23.500000"])
        XCTAssertEqual(rows.map { $0[8] }, ["6.000000", "15.500000", "5.500000", "35.500000", "6.500000", "25.500000"])
        let (mapped, _) = try run(", \"functions\": { \"appB\": \"chat\", \"f2\": \"chat\" }")
        XCTAssertEqual(mapped.perTarget.map(\.requests), [2, 4], "f1 → ocr (default); f2 by function, appB's f3 by app → chat")
        let (ignored, ignoredRows) = try run(", \"durations\": \"ignore\"")
        XCTAssertEqual(ignored.totals.completed, 6)
        XCTAssertEqual(ignoredRows.map { $0[8] }, ["0.001000", "3.501000", "4.001000", "4.501000", "6.251000", "23.501000"], "the model's 1 ms instead")
        let stats = try TraceStats.read(path: dir + "/inv.txt", format: .azureFunctions2021)
        XCTAssertEqual(stats.rows, 6)
        XCTAssertEqual(stats.targets.map(\.name), ["f1", "f2", "f3"])
        XCTAssertEqual(stats.durations.maximum, 31_000_000_000)
        XCTAssertEqual(stats.span, 23.5, accuracy: 1e-9)
        // A window shorter than the longest duration (31 s) cannot reorder: a clear error.
        XCTAssertThrowsError(try run(", \"reorderWindow\": \"5s\"")) { e in
            XCTAssertTrue("\(e)".contains("inv.txt:7"), "\(e)")
            XCTAssertTrue("\(e)".contains("exceeds the reorder window (5 s)"), "\(e)")
        }
    }

    func testAzureFunctions2021MalformedRows() throws {
        let cases: [(String, String)] = [
            ("app,func,end_timestamp,duration\na,f,10,1\na,f,9,1\n", "inv.txt:3: column end_timestamp: end_timestamp \"9\" is earlier than the row before"),
            ("app,func,end_timestamp,duration\na,f,10,x\n", "inv.txt:2: column duration: cannot read duration \"x\""),
            ("app,func,end,duration\n", "inv.txt:1: expected the Azure Functions 2021 header"),
        ]
        for (text, expected) in cases {
            let dir = try folder(["inv.txt": text])
            let s = try scenario("""
            { "name": "f", "duration": "1h",
              "hardware": { "n": { "vcpus": 8, "memoryGiB": 32, "pricePerHour": 1 } },
              "models": { "ocr": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "service": "1ms" } },
              "workload": [ { "kind": "trace", "format": "azure-functions-2021", "path": "inv.txt", "target": "ocr" } ],
              "plans": { "r": { "policy": "traditional", "nodes": { "n": 1 } } } }
            """, directory: dir)
            XCTAssertThrowsError(try Runner.run(s, options: RunOptions())) { e in
                XCTAssertTrue("\(e)".contains(expected), "\(e)")
            }
        }
    }
}

/// Malformed time columns: found and named, never a huge allocation.
final class TraceTimeFormatTests: XCTestCase {
    func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "headroom-trace-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// A row in seconds and a row in ISO-8601 were read as 56 years apart (and `trace stats`
    /// kept a counter for every second between): now the second format is an error at its row.
    func testMixedTimeFormatsAreAnError() throws {
        for text in ["time,target\n1,a\n2026-01-01T00:00:00Z,a\n", "time,target\n2026-01-01T00:00:00Z,a\n5,a\n"] {
            let path = try write(text)
            XCTAssertThrowsError(try TraceStats.read(path: path, format: .csv)) { error in
                XCTAssertTrue("\(error)".contains(":3:") && "\(error)".contains("expected one time format throughout the trace"), "\(error)")
            }
        }
    }

    /// Two rows ten years apart: the statistics are bounded, and say what they cover.
    func testLongSpansKeepBoundedCounters() throws {
        let path = try write("time,target\n2016-01-01T00:00:00Z,a\n2026-01-01T00:00:00Z,a\n")
        let stats = try TraceStats.read(path: path, format: .csv)
        XCTAssertEqual(stats.rows, 2)
        XCTAssertLessThanOrEqual(stats.perSecond.count, TraceStats.secondBuckets)
        XCTAssertLessThanOrEqual(stats.perMinute.count, TraceStats.minuteBuckets)
        XCTAssertTrue(stats.describe(file: "t.csv").contains("per-second figures cover the first 31 days"))
    }

    /// Found by `Scripts/fuzz.sh traces`: a timestamp in the year 1011 (or 9999) overflowed
    /// the nanosecond clock and trapped. It is now an error naming the row, in every format
    /// that reads ISO-8601 times.
    func testTimesOutsideTheClocksRangeAreAnError() throws {
        for year in ["1011", "9999"] {
            for (text, format) in [("TIMESTAMP,ContextTokens,GeneratedTokens\n\(year)-11-16 18:15:46.6805900,374,44\n", TraceSpec.Format.azureLLM),
                                   ("time,target\n\(year)-01-01T00:00:00Z,a\n", .csv)] {
                let path = try write(text)
                XCTAssertThrowsError(try TraceStats.read(path: path, format: format)) { error in
                    XCTAssertTrue("\(error)".contains(":2"), "\(error)")
                }
            }
        }
        // Found next: two valid times 335 years apart overflowed their difference.
        let apart = try write("TIMESTAMP,ContextTokens,GeneratedTokens\n1688-11-16 18:15:46.68,374,44\n2023-11-16 18:19:50.99,396,109\n")
        XCTAssertThrowsError(try TraceStats.read(path: apart, format: .azureLLM)) { error in
            XCTAssertTrue("\(error)".contains(":3") && "\(error)".contains("at most 100 years"), "\(error)")
        }
        // And a time in seconds of twelve digits overflowed the fast path.
        XCTAssertNil(TraceReader.parseTime("033333314488"))
        XCTAssertNil(TraceReader.parseTime("999999999999.5"))
        XCTAssertEqual(TraceReader.parseTime("8999999999"), 8_999_999_999_000_000_000)
        XCTAssertEqual(TraceReader.parseTime("1700000000.123456789"), 1_700_000_000_123_456_789)
        XCTAssertEqual(TraceReader.parseTime("123456789.25"), 123_456_789_250_000_000)
        XCTAssertNotNil(TraceReader.parseTime("2261-12-31T00:00:00Z"))
        XCTAssertNil(TraceReader.parseTime("2262-12-31T00:00:00Z"))
        XCTAssertNotNil(TraceReader.parseTime("1678-01-01T00:00:00Z"))
        XCTAssertNil(TraceReader.parseTime("1677-01-01T00:00:00Z"))
    }
}
