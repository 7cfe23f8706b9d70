import Foundation
import XCTest
@testable import HeadroomCLI
import Scenario
import Runtime

/// The error-message audit of the command line itself: every throw site in the CLI module
/// (options, arguments, subcommands, and the files a command reads or writes) is reached by
/// a case run through `Headroom.main`, as a user would, and every message is one a user can
/// act on: `Error:` first, the option or file it is about, what was found or expected, in one
/// sentence, no Foundation error domain; usage errors exit 64 and print the usage line.
///
/// As in `ErrorAuditTests`, each error records where it was raised and the test scans the
/// sources for throw sites, so a new site without a case fails here.
final class ErrorAuditCLITests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Throw sites a test cannot reach in seconds, each named by a fragment of its line, with
    /// the reason. A fragment that no longer matches a line fails the test.
    static let unreachable: [(file: String, fragment: String, reason: String)] = [
        ("HeadroomCLI/CalibrateCommand.swift", "cannot write \\(staging)/\\(name)", "fails only after a finished calibration (real workers, minutes) when the disk fills"),
        ("HeadroomCLI/CalibrateCommand.swift", "cannot move \\(name) into", "fails only after a finished calibration when a rename fails"),
        ("Sweep/SweepRunner.swift", "the sweep has no variants", "every --vary has at least one value (a range needs LO ≤ HI, a list no empty item), so the grid is never empty"),
        ("Measurement/Calibration.swift", "no \\\"models\\\" object to calibrate", "calibrate decodes the scenario first, so its models object exists"),
        ("Measurement/MeasuredRun.swift", "cannot write \\(part)", "writing into the staging folder this run just made fails only on a full disk"),
        ("Reports/ReportFiles.swift", "throw SimulationError.io(\"cannot write \\(path)\")", "writing into the staging folder this run just made fails only on a full disk"),
        ("Reports/ReportFiles.swift", "guard let out = fopen(path, \"wb\")", "writing into the staging folder this run just made fails only on a full disk"),
        ("Reports/ReportFiles.swift", "guard let input = fopen(part, \"rb\")", "the request-log parts are this run's own files in its staging folder"),
        ("Reports/ReportFiles.swift", "if written != n", "a short write in the staging folder: a full disk"),
        ("Reports/ReportFiles.swift", "guard fflush(out) == 0", "a failed flush in the staging folder: a full disk"),
        ("Reports/ReportFiles.swift", "cannot write to the output folder \\(directory): \\(String(cString", "making the backup folder fails only if the staging folder, made there a moment before, could be made and this cannot"),
        ("Measurement/LoadGenerator.swift", "of the workload has no target", "the trace reader refuses a row without a target (no column and no --target) before loadgen sees it, and scenario sources always name one"),
        ("Sweep/SweepTable.swift", "merge needs at least one shard file", "merge refuses to run without a shard file argument first"),
        ("Reports/ReportFiles.swift", "move the earlier \\(name) aside", "a rename failing part-way: ReportsTests fails one at every step and checks this message and the folder"),
        ("Reports/ReportFiles.swift", "move \\(name) into place", "a rename failing part-way: ReportsTests fails one at every step and checks this message and the folder"),
        ("Runtime/AuditVerify.swift", "guard let data = FileManager.default.contents(atPath: order[k].path)", "a log file of the set vanishing between two reads of the same verify"),
        ("HeadroomCLI/ExportCommand.swift", "cannot be removed: \\(error.localizedDescription)", "removing a .json file of a folder this user may write fails only if it vanishes meanwhile (tests run as root, whom permissions do not stop)"),
        ("HeadroomCLI/ExportCommand.swift", "throw ScenarioError(file: dir + \"/\" + f.name, message: \"cannot be written: \\(why)\")", "a file in the folder just made or emptied cannot be written only on a full disk"),
        ("Measurement/PrometheusImport.swift", "did not answer the \\(what) query within 60 s", "a server that holds a query for a minute: too slow for the suite"),
        ("Runtime/AuditLog.swift", "cannot write the audit log's header", "the header is the first write to a file just opened: it fails only on a full disk (AuditFailureTests fails it on /dev/full)"),
    ]

    /// The other modules whose errors the command line prints (besides the scenario and
    /// trace readers, which `ErrorAuditTests` covers).
    static let alsoAudited = ["Sweep/Dimension.swift", "Sweep/JSONPath.swift", "Sweep/SweepRunner.swift", "Sweep/SweepTable.swift",
                              "Runtime/AccessKeys.swift", "Runtime/AuditLog.swift", "Runtime/AuditVerify.swift", "Runtime/DecisionReplay.swift",
                              "Runtime/DecisionLog.swift", "Measurement/LoadGenerator.swift", "Measurement/Calibration.swift",
                              "Measurement/MeasuredRun.swift", "Reports/ReportFiles.swift", "Measurement/PrometheusImport.swift"]

    struct Case {
        var name: String
        /// Arguments; "$D" is a fresh folder with fixtures, "$Q" the quickstart scenario, "$S" the serve demo.
        var args: [String]
        var expect: String
        var status: Int32 = 1
    }

    /// The fixtures in "$D".
    func fixtures(_ d: String) throws {
        let fm = FileManager.default
        try "x".write(toFile: d + "/file", atomically: true, encoding: .utf8)
        try fm.createDirectory(atPath: d + "/folder", withIntermediateDirectories: true)
        try Data([1, 2, 3, 4, 5, 6, 7, 8]).write(to: URL(fileURLWithPath: d + "/short.key"))
        try fm.createDirectory(atPath: d + "/empty-report", withIntermediateDirectories: true)
        try "".write(toFile: d + "/empty-report/summary.csv", atomically: true, encoding: .utf8)
        try fm.createDirectory(atPath: d + "/odd-report", withIntermediateDirectories: true)
        try "a,b\n1,2\n".write(toFile: d + "/odd-report/summary.csv", atomically: true, encoding: .utf8)
        try "{\"version\":1}\n".write(toFile: d + "/audit.log", atomically: true, encoding: .utf8)
        try "{\"type\":\"header\",\"file\":1}\n".write(toFile: d + "/old.log", atomically: true, encoding: .utf8)
        try "taken".write(toFile: d + "/old.log.1", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: root.appendingPathComponent("Scenarios/schema.json").path, toPath: d + "/schema-copy.json")
        try Data([0x7B, 0xFF, 0x7D]).write(to: URL(fileURLWithPath: d + "/latin1.json"))
        try """
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "sentiment"}, "spec": {"replicas": 2, "template": {"spec": {
          "containers": [{"name": "sentiment", "resources": {"requests": {"cpu": "1", "memory": "2Gi"}}}]}}}}
        """.write(toFile: d + "/deploy.json", atomically: true, encoding: .utf8)
        let q = root.appendingPathComponent("Scenarios/quickstart.json").path
        let header = "{\"headroom\":\"decision-log\",\"version\":1,\"scenario\":\"\(q)\",\"plan\":"
        try (header + "\"nope\"}\n").write(toFile: d + "/other-plan.log", atomically: true, encoding: .utf8)
        try (header + "\"reserved\"}\ngarbage\n{\"t\":0}\n").write(toFile: d + "/garbled.log", atomically: true, encoding: .utf8)
        try "# headroom sweep shard 1/2; variants 2; scenario q\nvariant,seed,plan\n1,2\n".write(toFile: d + "/short-row.csv", atomically: true, encoding: .utf8)
        try "# headroom sweep shard one\nvariant,seed,plan\n".write(toFile: d + "/bad-shard-line.csv", atomically: true, encoding: .utf8)
        try "# headroom sweep shard 1/2; variants 2; scenario q\nvariant,seed,plan\n0,1,a\n".write(toFile: d + "/shard-a.csv", atomically: true, encoding: .utf8)
        try "# headroom sweep shard 2/2; variants 2; scenario other\nvariant,seed,plan\n1,2,a\n".write(toFile: d + "/shard-b.csv", atomically: true, encoding: .utf8)
        for (name, text) in [("keys-array.json", "[]"), ("keys-none.json", "{}"), ("keys-item.json", "{\"keys\": [1]}"),
                             ("keys-extra.json", "{\"keys\": [{\"caller\": \"web\", \"colour\": \"red\"}]}"),
                             ("keys-caller.json", "{\"keys\": [{\"caller\": \"\"}]}"),
                             ("keys-hash.json", "{\"keys\": [{\"caller\": \"web\", \"sha256\": \"abc\"}]}"),
                             ("keys-targets.json", "{\"keys\": [{\"caller\": \"web\", \"sha256\": \"\(String(repeating: "a", count: 64))\", \"targets\": []}]}"),
                             ("keys-versions.json", "{\"keys\": [{\"caller\": \"web\", \"sha256\": \"\(String(repeating: "a", count: 64))\", \"targets\": [\"*\"], \"versions\": \"1\"}]}")] {
            try text.write(toFile: d + "/" + name, atomically: true, encoding: .utf8)
        }
    }

    /// A stand-in for Prometheus's range queries: the query names the answer.
    static func prometheus(_ target: String) -> HTTPResponse {
        let q = (target.removingPercentEncoding ?? target).split(separator: "&").first { $0.contains("query=") }.map { String($0.split(separator: "=", maxSplits: 1)[1]) } ?? ""
        func matrix(_ series: [String]) -> HTTPResponse { .json(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[\(series.joined(separator: ","))]}}") }
        func bucket(_ le: String, _ v: String) -> String { "{\"metric\":{\"le\":\"\(le)\"},\"values\":[[1000,\"\(v)\"],[1060,\"\(v)\"]]}" }
        switch q {
        case "none": return matrix([])
        case "html": return HTTPResponse(status: 200, headers: [("Content-Type", "text/html")], body: Array("<html>a dashboard</html>".utf8))
        case "bad": return .json(400, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:4: parse error: unexpected end of input\"}")
        case "vector": return .json(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}")
        case "nole": return matrix(["{\"metric\":{\"job\":\"x\"},\"values\":[[1000,\"1\"]]}"])
        case "lex": return matrix([bucket("abc", "1"), bucket("+Inf", "1")])
        case "dupe": return matrix([bucket("0.1", "1"), bucket("0.1", "1"), bucket("+Inf", "1")])
        case "noinf": return matrix([bucket("0.1", "1")])
        case "onlyinf": return matrix([bucket("+Inf", "1")])
        case "zero": return matrix([bucket("0.1", "0"), bucket("+Inf", "0")])
        case "histogram": return matrix([bucket("0.1", "3"), bucket("+Inf", "4")])
        default: return matrix(["{\"metric\":{},\"values\":[[1000,\"2\"],[1060,\"2\"]]}"])
        }
    }

    func throwSites() throws -> [String: String] {
        var sites: [String: String] = [:]
        let pattern = try NSRegularExpression(pattern: #"\bthrow\s+(Self\.)?(usage|UsageError|ScenarioError|SimulationError\.io|RuntimeError|SystemError|SweepError\.(usage|data)|LoadError\.(usage|data)|fail|undo)\("#)
        let folder = root.appendingPathComponent("Sources/HeadroomCLI").path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".swift") }.sorted().map { "HeadroomCLI/" + $0 } + Self.alsoAudited
        for file in files {
            let text = try String(contentsOfFile: root.appendingPathComponent("Sources/" + file).path, encoding: .utf8)
            for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let s = String(line)
                // A usage error made from another module's keeps that one's site: not a site of its own.
                if pattern.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil && !s.contains("raisedAt: e.raisedAt") {
                    sites["\(file):\(k + 1)"] = s.trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return sites
    }

    func testEveryCommandLineErrorIsReachedAndSaysWhatToDo() throws {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-cli-audit-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: d) }
        try fixtures(d)
        let q = root.appendingPathComponent("Scenarios/quickstart.json").path, s = root.appendingPathComponent("Scenarios/serve-demo.json").path
        var sites = try throwSites()
        for u in Self.unreachable {
            let inFile = sites.filter { $0.key.hasPrefix(u.file + ":") }
            let exact = inFile.filter { $0.value == u.fragment }
            let matching = exact.isEmpty ? inFile.filter { $0.value.contains(u.fragment) } : exact
            XCTAssertEqual(matching.count, 1, "the unreachable site \(u.file) \"\(u.fragment)\" names one throw site")
            for m in matching { sites.removeValue(forKey: m.key) }
        }
        XCTAssertGreaterThan(sites.count, 130, "the scan found the throw sites")
        // A server that has no targets, for loadgen's preflight.
        let server = try HTTPServer(address: SocketAddress(host: "127.0.0.1", port: 0)) { request in
            if request.target.hasPrefix("/api/v1/query_range") { return Self.prometheus(request.target) }
            if request.target == "/v1/models" { return .json(200, "{\"object\":\"list\",\"data\":[{\"id\":\"other\",\"object\":\"model\"}]}") }
            return request.target == "/v2" ? .json(200, "{\"name\":\"not headroom\"}") : .error(404, "no such model")
        }
        server.start()
        defer { server.stop() }
        var reached: [String: String] = [:]
        for c in Self.cases {
            let args = c.args.map { $0.replacingOccurrences(of: "$D", with: d).replacingOccurrences(of: "$Q", with: q).replacingOccurrences(of: "$S", with: s)
                .replacingOccurrences(of: "$P", with: String(server.address.port)) }
            let out = CapturedText(), err = CapturedText()
            var raised: Error?
            let status = Headroom.main(args, out: out, err: err, raised: { raised = $0 })
            let tag = "\(c.name) (\(args.joined(separator: " ")))"
            guard let e = raised else { XCTFail("\(tag): no error; exit \(status)"); continue }
            let at = (e as? RaisedError)?.raisedAt ?? "(unknown)"
            let text = err.text
            // The error line (a warning may come before it).
            let first = text.split(separator: "\n").first { $0.hasPrefix("Error: ") }.map(String.init) ?? text
            let message = first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first
            let full = "\(tag) [\(at)]: \(text)"
            XCTAssertEqual(status, c.status, full)
            XCTAssertTrue(first.hasPrefix("Error: "), full)
            XCTAssertTrue(text.contains(c.expect), "\(full)\n  expected to contain: \(c.expect)")
            if e is UsageError {
                XCTAssertTrue(text.contains("\nUsage: headroom"), "usage line: \(full)")
                XCTAssertTrue(message.contains("'"), "names the option or argument: \(full)")
            } else {
                XCTAssertTrue(message.contains("/") || message.contains(".json") || message.contains(".csv"), "names the file: \(full)")
            }
            for bad in ["ErrorDomain", "Error Domain", "Optional(", "Swift.", "(null)"] { XCTAssertFalse(text.contains(bad), "no \(bad): \(full)") }
            XCTAssertNil(message.range(of: #"[.!?] +[A-Z]"#, options: .regularExpression), "one sentence: \(full)")
            let says = ["expected", "unknown", "missing", "unexpected", "invalid", "cannot", "no such", "not ", "is empty", "already exists",
                        "needs", "go with", "give ", "is a folder", "is a file", "at least", "no ", "must", "does not", "is not"]
            XCTAssertTrue(says.contains { message.lowercased().contains($0) }, "says what is wrong or expected: \(full)")
            if sites[at] != nil { reached[at, default: c.name] = c.name }
        }
        let missing = sites.keys.filter { reached[$0] == nil }.sorted()
        XCTAssertTrue(missing.isEmpty, "\(missing.count) of \(sites.count) command-line throw sites have no case:\n"
                      + missing.map { "  \($0): \(sites[$0]!)" }.joined(separator: "\n"))
        print("command-line error audit: \(Self.cases.count) cases reach \(reached.count) of \(sites.count) throw sites (\(Self.unreachable.count) unreachable in a test, listed with reasons)")
    }

    static let cases: [Case] = [
        // headroom
        Case(name: "unknown subcommand", args: ["runn"], expect: "Unknown subcommand 'runn' (did you mean 'run'?)", status: 64),
        Case(name: "unknown top option", args: ["--verbose"], expect: "Unknown option '--verbose'", status: 64),
        Case(name: "help for nothing", args: ["help", "runn"], expect: "Unknown subcommand 'runn'", status: 64),
        Case(name: "explain-plan option", args: ["explain-plan", "$Q", "--all"], expect: "Unknown option '--all'", status: 64),
        Case(name: "explain-plan no file", args: ["explain-plan"], expect: "Missing expected argument '<file>'", status: 64),
        Case(name: "explain-plan plan", args: ["explain-plan", "$Q", "reservd"], expect: "Unknown plan 'reservd' (did you mean 'reserved'?)", status: 64),
        Case(name: "validate option", args: ["validate", "--strict"], expect: "Unknown option '--strict'", status: 64),
        Case(name: "validate no file", args: ["validate"], expect: "Missing expected argument '<file>'", status: 64),
        // run
        Case(name: "run value missing", args: ["run", "$Q", "--seed"], expect: "Missing value for '--seed'", status: 64),
        Case(name: "run seed", args: ["run", "$Q", "--seed", "-1"], expect: "The value '-1' is invalid for '--seed'", status: 64),
        Case(name: "run budget", args: ["run", "$Q", "--max-requests", "0"], expect: "The value '0' is invalid for '--max-requests'", status: 64),
        Case(name: "run interval", args: ["run", "$Q", "--interval", "soon"], expect: "The value 'soon' is invalid for '--interval'", status: 64),
        Case(name: "run option", args: ["run", "$Q", "--sed", "1"], expect: "Unknown option '--sed' (did you mean '--seed'?)", status: 64),
        Case(name: "run no file", args: ["run"], expect: "Missing expected argument '<file>'", status: 64),
        Case(name: "run two files", args: ["run", "$Q", "$Q"], expect: "Unexpected argument", status: 64),
        Case(name: "set without =", args: ["run", "$Q", "--set", "seed"], expect: "The value 'seed' is invalid for '--set': expected PATH=VALUE", status: 64),
        Case(name: "set nan", args: ["run", "$Q", "--set", "seed=nan"], expect: "expected a finite number, found NaN", status: 64),
        Case(name: "set unknown key", args: ["run", "$Q", "--set", "seeds=1"], expect: "--set:", status: 64),
        Case(name: "run into /proc", args: ["run", "$Q", "--out", "/proc/sys", "--requests"], expect: "cannot write to the output folder /proc/sys"),
        Case(name: "run onto a file", args: ["run", "$Q", "--out", "$D/file"], expect: "the report files were not written (the table and gates above are complete): cannot write reports to", status: 73),
        Case(name: "run under a file", args: ["run", "$Q", "--out", "$D/file/sub"], expect: "cannot create the output folder", status: 73),
        // trace stats
        Case(name: "trace nothing", args: ["trace"], expect: "Missing expected argument 'stats'", status: 64),
        Case(name: "trace format missing", args: ["trace", "stats", "--format"], expect: "Missing value for '--format'", status: 64),
        Case(name: "trace format odd", args: ["trace", "stats", "$D/file", "--format", "tsv"], expect: "The value 'tsv' is invalid for '--format'", status: 64),
        Case(name: "trace option", args: ["trace", "stats", "--fmt", "csv"], expect: "Unknown option '--fmt'", status: 64),
        Case(name: "trace no file", args: ["trace", "stats"], expect: "Missing expected argument '<file>'", status: 64),
        Case(name: "trace folder", args: ["trace", "stats", "$D/folder"], expect: "is a folder, not a trace file"),
        Case(name: "trace missing", args: ["trace", "stats", "$D/missing.csv"], expect: "cannot open trace file (No such file or directory)"),
        Case(name: "trace unreadable", args: ["trace", "stats", "/proc/self/mem"], expect: "cannot read the trace file: Input/output error"),
        // sweep and merge
        Case(name: "sweep value missing", args: ["sweep", "$Q", "--vary"], expect: "Missing value for '--vary'", status: 64),
        Case(name: "sweep seed", args: ["sweep", "$Q", "--vary", "seed=1,2", "--seed", "x"], expect: "The value 'x' is invalid for '--seed'", status: 64),
        Case(name: "sweep shard", args: ["sweep", "$Q", "--vary", "seed=1,2", "--shard", "3/2"], expect: "The value '3/2' is invalid for '--shard'", status: 64),
        Case(name: "sweep budget", args: ["sweep", "$Q", "--vary", "seed=1,2", "--max-requests", "0"], expect: "The value '0' is invalid for '--max-requests'", status: 64),
        Case(name: "sweep option", args: ["sweep", "$Q", "--varry", "seed=1"], expect: "Unknown option '--varry' (did you mean '--vary'?)", status: 64),
        Case(name: "sweep no file", args: ["sweep", "--vary", "seed=1"], expect: "Missing expected argument '<file>'", status: 64),
        Case(name: "sweep two files", args: ["sweep", "$Q", "$Q", "--vary", "seed=1"], expect: "Unexpected argument", status: 64),
        Case(name: "sweep nothing varied", args: ["sweep", "$Q"], expect: "Missing '--vary'", status: 64),
        Case(name: "sweep vary without =", args: ["sweep", "$Q", "--vary", "seed"], expect: "seed", status: 64),
        Case(name: "sweep vary unknown key", args: ["sweep", "$Q", "--vary", "plans.autoscaled.targte=0.5,0.6"], expect: "did you mean 'target'?", status: 64),
        Case(name: "merge out missing", args: ["merge", "--out"], expect: "Missing value for '--out'", status: 64),
        Case(name: "merge option", args: ["merge", "--force"], expect: "Unknown option '--force'", status: 64),
        Case(name: "merge nothing", args: ["merge"], expect: "Missing expected argument '<shard>'", status: 64),
        Case(name: "merge missing shard", args: ["merge", "$D/missing.csv"], expect: "no such file, or not readable"),
        // check
        Case(name: "check junit missing", args: ["check", "$Q", "--junit"], expect: "Missing value for '--junit'", status: 64),
        Case(name: "check budget", args: ["check", "$Q", "--max-requests", "x"], expect: "The value 'x' is invalid for '--max-requests'", status: 64),
        Case(name: "check option", args: ["check", "--junt", "x"], expect: "Unknown option '--junt' (did you mean '--junit'?)", status: 64),
        Case(name: "check missing", args: ["check", "$D/nothing"], expect: "no such file or folder"),
        Case(name: "check empty folder", args: ["check", "$D/folder"], expect: "no scenario file found"),
        Case(name: "check junit no folder", args: ["check", "$Q", "--junit", "$D/nodir/x.xml"], expect: "cannot write the JUnit report"),
        Case(name: "check junit onto a folder", args: ["check", "$Q", "--junit", "$D/folder"], expect: "cannot write"),
        // compare
        Case(name: "compare option", args: ["compare", "a", "--brief"], expect: "Unknown option '--brief'", status: 64),
        Case(name: "compare one", args: ["compare", "a"], expect: "Missing expected argument '<dir-b>'", status: 64),
        Case(name: "compare missing", args: ["compare", "$D/a", "$D/b"], expect: "no such file: expected a report folder"),
        Case(name: "compare empty", args: ["compare", "$D/empty-report", "$D/empty-report"], expect: "is empty"),
        Case(name: "compare odd", args: ["compare", "$D/odd-report", "$D/odd-report"], expect: "is not a Headroom summary.csv"),
        // init
        Case(name: "init option", args: ["init", "--forse"], expect: "Unknown option '--forse' (did you mean '--force'?)", status: 64),
        Case(name: "init two", args: ["init", "a.json", "b.json"], expect: "Unexpected argument 'b.json'", status: 64),
        Case(name: "init over a file", args: ["init", "$D/file"], expect: "already exists; not overwritten"),
        Case(name: "init into nothing", args: ["init", "$D/nodir/s.json"], expect: "cannot write"),
        Case(name: "init onto a folder", args: ["init", "$D/folder", "--force"], expect: "cannot write"),
        // keys
        Case(name: "keys nothing", args: ["keys"], expect: "Missing subcommand 'add'", status: 64),
        Case(name: "keys value missing", args: ["keys", "add", "web", "--targets"], expect: "Missing value for '--targets'", status: 64),
        Case(name: "keys option", args: ["keys", "add", "web", "--target", "x"], expect: "Unknown option '--target' (did you mean '--targets'?)", status: 64),
        Case(name: "keys two callers", args: ["keys", "add", "web", "app"], expect: "Expected one caller name, got 'web' and 'app'", status: 64),
        Case(name: "keys no caller", args: ["keys", "add", "--targets", "x", "--file", "$D/k"], expect: "Missing expected argument '<caller>'", status: 64),
        Case(name: "keys no targets", args: ["keys", "add", "web", "--file", "$D/k"], expect: "Missing '--targets'", status: 64),
        Case(name: "keys no file", args: ["keys", "add", "web", "--targets", "x"], expect: "Missing '--file'", status: 64),
        // audit
        Case(name: "audit nothing", args: ["audit"], expect: "Missing subcommand: 'verify' or 'query'", status: 64),
        Case(name: "audit value missing", args: ["audit", "verify", "$D/audit.log", "--audit-key"], expect: "Missing value for '--audit-key'", status: 64),
        Case(name: "audit option", args: ["audit", "verify", "--csv"], expect: "Unknown option '--csv' for 'audit verify'", status: 64),
        Case(name: "audit no log", args: ["audit", "query"], expect: "Missing expected argument '<path>'", status: 64),
        Case(name: "audit short key", args: ["audit", "verify", "$D/audit.log", "--audit-key", "$D/short.key"], expect: "cannot read an audit key (at least 16 bytes)"),
        // serve (every error comes before anything starts) and replay
        Case(name: "serve value missing", args: ["serve", "$S", "--plan"], expect: "Missing value for '--plan'", status: 64),
        Case(name: "serve listen", args: ["serve", "$S", "--listen", "nowhere"], expect: "'nowhere' is not HOST:PORT", status: 64),
        Case(name: "serve drain", args: ["serve", "$S", "--drain-timeout", "soon"], expect: "'soon' is not a duration", status: 64),
        Case(name: "serve option", args: ["serve", "$S", "--plna", "x"], expect: "Unknown option '--plna' (did you mean '--plan'?)", status: 64),
        Case(name: "serve no file", args: ["serve"], expect: "Missing expected argument '<file>'", status: 64),
        Case(name: "serve audit key alone", args: ["serve", "$S", "--audit-key", "$D/k"], expect: "'--audit-key' and '--audit-payloads' go with '--audit-log'", status: 64),
        Case(name: "serve no plan", args: ["serve", "$S"], expect: "Missing '--plan': the scenario has 3 plans", status: 64),
        Case(name: "serve unknown plan", args: ["serve", "$S", "--plan", "reservd"], expect: "Unknown plan 'reservd' (did you mean 'reserved'?)", status: 64),
        Case(name: "serve short audit key", args: ["serve", "$S", "--plan", "reserved", "--audit-log", "$D/a.log", "--audit-key", "$D/short.key"],
             expect: "an audit key needs at least 16 bytes"),
        Case(name: "serve audit key a folder", args: ["serve", "$S", "--plan", "reserved", "--audit-log", "$D/a.log", "--audit-key", "$D/folder"],
             expect: "cannot read the audit key"),
        Case(name: "serve audit key nowhere", args: ["serve", "$S", "--plan", "reserved", "--audit-log", "$D/a.log", "--audit-key", "$D/nodir/k"],
             expect: "cannot create the audit key"),
        Case(name: "replay value missing", args: ["replay", "x", "--scenario"], expect: "Missing value for '--scenario'", status: 64),
        Case(name: "replay option", args: ["replay", "--fast"], expect: "Unknown option '--fast'", status: 64),
        Case(name: "replay nothing", args: ["replay"], expect: "Missing expected argument '<log>'", status: 64),
        // calibrate (before anything is served)
        Case(name: "calibrate value missing", args: ["calibrate", "$S", "--plan"], expect: "Missing value for '--plan'", status: 64),
        Case(name: "calibrate option", args: ["calibrate", "$S", "--plna", "x"], expect: "Unknown option '--plna' (did you mean '--plan'?)", status: 64),
        Case(name: "calibrate no file", args: ["calibrate"], expect: "Missing expected argument '<file>'", status: 64),
        Case(name: "calibrate two files", args: ["calibrate", "$S", "$S"], expect: "Unexpected argument", status: 64),
        Case(name: "calibrate seed", args: ["calibrate", "$S", "--seed", "-1"], expect: "The value '-1' is invalid for '--seed'", status: 64),
        Case(name: "calibrate speed", args: ["calibrate", "$S", "--speed", "0"], expect: "The value '0' is invalid for '--speed'", status: 64),
        Case(name: "calibrate runs", args: ["calibrate", "$S", "--runs", "0"], expect: "The value '0' is invalid for '--runs'", status: 64),
        Case(name: "calibrate duration", args: ["calibrate", "$S", "--duration", "soon"], expect: "The value 'soon' is invalid for '--duration'", status: 64),
        Case(name: "calibrate out a file", args: ["calibrate", "$S", "--plan", "reserved", "--out", "$D/file"], expect: "it is a file, not a folder"),
        Case(name: "calibrate out under a file", args: ["calibrate", "$S", "--plan", "reserved", "--out", "$D/file/sub"], expect: "cannot create the output folder"),
        Case(name: "calibrate out in /proc", args: ["calibrate", "$S", "--plan", "reserved", "--out", "/proc/sys"], expect: "cannot write to the output folder /proc/sys"),
        // loadgen (before anything is sent)
        Case(name: "loadgen value missing", args: ["loadgen", "http://127.0.0.1:9", "--scenario"], expect: "Missing value for '--scenario'", status: 64),
        Case(name: "loadgen format", args: ["loadgen", "http://127.0.0.1:9", "--trace", "x", "--format", "tsv"], expect: "The value 'tsv' is invalid for '--format'", status: 64),
        Case(name: "loadgen api", args: ["loadgen", "http://127.0.0.1:9", "--scenario", "$Q", "--api", "grpc"], expect: "The value 'grpc' is invalid for '--api'", status: 64),
        Case(name: "loadgen key", args: ["loadgen", "http://127.0.0.1:9", "--scenario", "$Q", "--key", "web"], expect: "The value 'web' is invalid for '--key'", status: 64),
        Case(name: "loadgen option", args: ["loadgen", "http://127.0.0.1:9", "--scenaro", "$Q"], expect: "Unknown option '--scenaro' (did you mean '--scenario'?)", status: 64),
        Case(name: "loadgen no url", args: ["loadgen"], expect: "Missing expected argument '<url>'", status: 64),
        Case(name: "loadgen two urls", args: ["loadgen", "http://a", "http://b", "--scenario", "$Q"], expect: "Unexpected argument 'http://b'", status: 64),
        Case(name: "loadgen no workload", args: ["loadgen", "http://127.0.0.1:9"], expect: "Missing '--scenario <file>' or '--trace <file>'", status: 64),
        Case(name: "loadgen both", args: ["loadgen", "http://127.0.0.1:9", "--scenario", "$Q", "--trace", "x"], expect: "Give '--scenario' or '--trace', not both", status: 64),
        Case(name: "loadgen target with scenario", args: ["loadgen", "http://127.0.0.1:9", "--scenario", "$Q", "--target", "x"], expect: "'--format' and '--target' go with '--trace'", status: 64),
        Case(name: "loadgen url", args: ["loadgen", "ftp://127.0.0.1:9", "--scenario", "$Q"], expect: "ftp", status: 64),
        Case(name: "loadgen body", args: ["loadgen", "http://127.0.0.1:9", "--scenario", "$Q", "--body", "$D/missing.json"], expect: "cannot read the request body file"),
        Case(name: "loadgen trace folder", args: ["loadgen", "http://127.0.0.1:9", "--trace", "$D/folder"], expect: "is a folder, not a trace file"),
        // sweep: --vary, --sample and paths
        Case(name: "vary no =", args: ["sweep", "$Q", "--vary", "seed"], expect: "--vary 'seed': expected PATH=LO..HI step S or PATH=A,B,C", status: 64),
        Case(name: "vary zero step", args: ["sweep", "$Q", "--vary", "seed=1..3 step 0"], expect: "expected a step that is a positive number or duration", status: 64),
        Case(name: "vary range upside down", args: ["sweep", "$Q", "--vary", "seed=5..1 step 1"], expect: "expected LO..HI with LO ≤ HI", status: 64),
        Case(name: "vary range without step", args: ["sweep", "$Q", "--vary", "seed=1..3"], expect: "a range needs a step for the grid", status: 64),
        Case(name: "vary too many", args: ["sweep", "$Q", "--vary", "seed=1..200000 step 1"], expect: "expected at most 100,000 values", status: 64),
        Case(name: "vary empty value", args: ["sweep", "$Q", "--vary", "seed=1,,2"], expect: "found an empty one", status: 64),
        Case(name: "sample odd", args: ["sweep", "$Q", "--vary", "seed=1,2", "--sample", "rand:3"], expect: "--sample 'rand:3': expected random:N or lhs:N", status: 64),
        Case(name: "sample zero", args: ["sweep", "$Q", "--vary", "seed=1,2", "--sample", "random:0"], expect: "--sample 'random:0': expected random:N or lhs:N", status: 64),
        Case(name: "path empty key", args: ["sweep", "$Q", "--vary", "plans..x=1"], expect: "cannot read the path 'plans..x': an empty key", status: 64),
        Case(name: "path open bracket", args: ["sweep", "$Q", "--vary", "plans[\"x=1"], expect: "without its closing", status: 64),
        Case(name: "path bad index", args: ["sweep", "$Q", "--vary", "workload[x]=1"], expect: "expected [index] or [\"key\"]", status: 64),
        Case(name: "path odd character", args: ["sweep", "$Q", "--vary", "workload[0]x=1"], expect: "unexpected 'x'", status: 64),
        Case(name: "path empty", args: ["sweep", "$Q", "--vary", "=1"], expect: "it is empty", status: 64),
        Case(name: "path names an object", args: ["sweep", "$Q", "--vary", "plans=1"], expect: "not a single value", status: 64),
        Case(name: "path no key", args: ["sweep", "$Q", "--vary", "plans.autoscaled.targte=0.5"], expect: "has no key \"targte\"", status: 64),
        Case(name: "path no index", args: ["sweep", "$Q", "--vary", "workload[9].rate=1"], expect: "has 2 items, no [9]", status: 64),
        Case(name: "path through a value", args: ["sweep", "$Q", "--vary", "seed.x=1"], expect: "$.seed is 7, not an object or array", status: 64),
        Case(name: "variant invalid", args: ["sweep", "$Q", "--vary", "plans.autoscaled.target=1.5"], expect: "variant 0 (plans.autoscaled.target=1.5)"),
        // merge: shard files
        Case(name: "shard not a shard", args: ["merge", "$D/file"], expect: "not a sweep shard file"),
        Case(name: "shard line odd", args: ["merge", "$D/bad-shard-line.csv"], expect: "cannot read the shard line"),
        Case(name: "shard short row", args: ["merge", "$D/short-row.csv"], expect: "expected 3 fields starting with the variant number"),
        Case(name: "shards of two sweeps", args: ["merge", "$D/shard-a.csv", "$D/shard-b.csv"], expect: "belongs to another sweep"),
        Case(name: "shards incomplete", args: ["merge", "$D/shard-a.csv"], expect: "do not make up the sweep: missing shard 2 of 2"),
        // keys files
        Case(name: "keys file missing", args: ["serve", "$S", "--plan", "reserved", "--keys", "$D/missing.json"], expect: "cannot read the keys file"),
        Case(name: "keys not an object", args: ["serve", "$S", "--plan", "reserved", "--keys", "$D/keys-array.json"], expect: "not a JSON object"),
        Case(name: "keys without keys", args: ["serve", "$S", "--plan", "reserved", "--keys", "$D/keys-none.json"], expect: "$.keys: expected an array of keys"),
        Case(name: "keys item", args: ["serve", "$S", "--plan", "reserved", "--keys", "$D/keys-item.json"], expect: "expected an object"),
        Case(name: "keys unknown key", args: ["serve", "$S", "--plan", "reserved", "--keys", "$D/keys-extra.json"], expect: ".colour: unknown key"),
        Case(name: "keys empty caller", args: ["serve", "$S", "--plan", "reserved", "--keys", "$D/keys-caller.json"], expect: ".caller: expected a non-empty caller name"),
        Case(name: "keys bad hash", args: ["serve", "$S", "--plan", "reserved", "--keys", "$D/keys-hash.json"], expect: ".sha256: expected the key's SHA-256"),
        Case(name: "keys no targets", args: ["serve", "$S", "--plan", "reserved", "--keys", "$D/keys-targets.json"], expect: ".targets: expected a non-empty array"),
        Case(name: "keys versions", args: ["serve", "$S", "--plan", "reserved", "--keys", "$D/keys-versions.json"], expect: ".versions: expected an array of version labels"),
        Case(name: "keys add nowhere", args: ["keys", "add", "web", "--targets", "*", "--file", "$D/nodir/keys.json"], expect: "cannot write the keys file"),
        // serve's logs, opened before any worker starts
        Case(name: "audit log not a log", args: ["serve", "$S", "--plan", "reserved", "--audit-log", "$D/file"], expect: "exists and is not a Headroom audit log"),
        Case(name: "audit log aside taken", args: ["serve", "$S", "--plan", "reserved", "--audit-log", "$D/old.log"], expect: "cannot be moved to"),
        Case(name: "decision log on a full disk", args: ["serve", "$S", "--plan", "reserved", "--decision-log", "/dev/full"],
             expect: "cannot write the decision log's header (No space left on device)"),
        Case(name: "audit log a folder", args: ["serve", "$S", "--plan", "reserved", "--audit-log", "$D/folder"], expect: "--audit-log needs a regular file"),
        Case(name: "audit log nowhere", args: ["serve", "$S", "--plan", "reserved", "--audit-log", "$D/nodir/a.log"], expect: "nodir/a.log: No such file or directory"),
        Case(name: "decision log nowhere", args: ["serve", "$S", "--plan", "reserved", "--decision-log", "$D/nodir/d.log"], expect: "No such file or directory"),
        // audit and replay files
        Case(name: "audit verify missing", args: ["audit", "verify", "$D/missing.log"], expect: "cannot read the audit log"),
        Case(name: "audit verify a folder", args: ["audit", "verify", "$D/folder"], expect: "cannot read the audit log"),
        Case(name: "check a schema named directly", args: ["check", "$D/schema-copy.json"], expect: "no scenario file found (only a JSON Schema document"),
        Case(name: "audit query missing", args: ["audit", "query", "$D/missing.log"], expect: "cannot read the audit log"),
        Case(name: "audit query random bytes", args: ["audit", "query", "$D/short.key"], expect: "short.key:1: not a Headroom audit log"),
        Case(name: "audit query no header", args: ["audit", "query", "$D/audit.log"], expect: "audit.log:1: not a Headroom audit log"),
        Case(name: "replay missing", args: ["replay", "$D/missing.log"], expect: "cannot read the decision log"),
        Case(name: "replay not a log", args: ["replay", "$D/file"], expect: "not a Headroom decision log"),
        Case(name: "replay other plan", args: ["replay", "$D/other-plan.log"], expect: "plan \"nope\" is not in"),
        Case(name: "replay garbled", args: ["replay", "$D/garbled.log"], expect: ":2: not a decision line"),
        // loadgen's target
        Case(name: "loadgen https", args: ["loadgen", "https://127.0.0.1:9", "--scenario", "$Q"], expect: "is not an http:// URL", status: 64),
        Case(name: "loadgen no port", args: ["loadgen", "http://127.0.0.1:port", "--scenario", "$Q"], expect: "has no HOST:PORT that can be read", status: 64),
        Case(name: "loadgen host name", args: ["loadgen", "http://example.com:80", "--scenario", "$Q"], expect: "is a host name", status: 64),
        Case(name: "loadgen nobody there", args: ["loadgen", "http://127.0.0.1:9", "--scenario", "$Q"], expect: "cannot reach http://127.0.0.1:9"),
        Case(name: "loadgen target not served", args: ["loadgen", "http://127.0.0.1:$P", "--scenario", "$Q"], expect: "does not serve the target"),
        Case(name: "loadgen model not served", args: ["loadgen", "http://127.0.0.1:$P", "--scenario", "$Q", "--api", "openai"], expect: "does not serve the model"),
        // import kubernetes
        Case(name: "import no source", args: ["import"], expect: "Missing expected argument '<source>' (kubernetes or prometheus)", status: 64),
        Case(name: "import source", args: ["import", "kubernets"], expect: "Unknown source 'kubernets' (did you mean 'kubernetes'?)", status: 64),
        Case(name: "import option", args: ["import", "kubernetes", "a.json", "--plna", "x"], expect: "Unknown option '--plna' (did you mean '--plan'?)", status: 64),
        Case(name: "import value", args: ["import", "kubernetes", "a.json", "--into"], expect: "Missing value for '--into'", status: 64),
        Case(name: "import nodes form", args: ["import", "kubernetes", "a.json", "--into", "$Q", "--nodes", "cpu"], expect: "expected TYPE=MIN:MAX, e.g. cpu.m5xl=1:4", status: 64),
        Case(name: "import nodes range", args: ["import", "kubernetes", "a.json", "--into", "$Q", "--nodes", "cpu=4:2"], expect: "with 0 ≤ MIN ≤ MAX and MAX ≥ 1", status: 64),
        Case(name: "import no into", args: ["import", "kubernetes", "a.json"], expect: "Missing '--into <scenario>'", status: 64),
        Case(name: "import no file", args: ["import", "kubernetes", "--into", "$Q"], expect: "Missing expected argument '<file>'", status: 64),
        Case(name: "import blank plan", args: ["import", "kubernetes", "a.json", "--into", "$Q", "--plan", " "], expect: "The value '' is invalid for '--plan'", status: 64),
        Case(name: "import missing file", args: ["import", "kubernetes", "$D/none.json", "--into", "$Q"], expect: "none.json: no such file"),
        Case(name: "import not UTF-8", args: ["import", "kubernetes", "$D/latin1.json", "--into", "$Q"], expect: "latin1.json: is not UTF-8 text"),
        Case(name: "import unwritable", args: ["import", "kubernetes", "$D/deploy.json", "--into", "$Q", "--nodes", "cpu.c5xl=2:2", "--nodes", "gpu.g4dn=1:1",
                                               "--out", "$D/no-folder/q.json"], expect: "q.json: cannot be written"),
        // import prometheus
        Case(name: "prometheus extra", args: ["import", "prometheus", "http://127.0.0.1:$P", "extra"], expect: "Unexpected argument 'extra'", status: 64),
        Case(name: "prometheus option", args: ["import", "prometheus", "--targte", "x"], expect: "Unknown option '--targte' (did you mean '--target'?)", status: 64),
        Case(name: "prometheus value", args: ["import", "prometheus", "http://x", "--target"], expect: "Missing value for '--target'", status: 64),
        Case(name: "prometheus no url", args: ["import", "prometheus"], expect: "Missing expected argument '<url>'", status: 64),
        Case(name: "prometheus no target", args: ["import", "prometheus", "http://127.0.0.1:$P"], expect: "Missing '--target': the model or pipeline", status: 64),
        Case(name: "prometheus start", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--requests", "r", "--start", "yesterday", "--end", "1", "--into", "$Q"],
             expect: "The value 'yesterday' is invalid for '--start'", status: 64),
        Case(name: "prometheus end", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--requests", "r", "--start", "2000", "--end", "1000", "--into", "$Q"],
             expect: "The value '1000' is invalid for '--end'", status: 64),
        Case(name: "prometheus step", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--requests", "r", "--start", "1000", "--end", "1060", "--step", "1.5s", "--into", "$Q"],
             expect: "The value '1.5s' is invalid for '--step': expected whole seconds", status: 64),
        Case(name: "prometheus spread", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--requests", "r", "--start", "1000", "--end", "1060", "--spread", "even", "--into", "$Q"],
             expect: "The value 'even' is invalid for '--spread'", status: 64),
        Case(name: "prometheus target", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentimnt", "--requests", "r", "--start", "1000", "--end", "1060", "--into", "$Q"],
             expect: "Unknown target 'sentimnt' (did you mean 'sentiment'?)", status: 64),
        Case(name: "prometheus points", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--requests", "r", "--start", "0", "--end", "10000000", "--into", "$Q"],
             expect: "it answers at most 11000 per series; expected a longer step", status: 64),
        Case(name: "prometheus down", args: ["import", "prometheus", "http://127.0.0.1:9", "--target", "sentiment", "--requests", "r", "--start", "1000", "--end", "1060", "--into", "$Q"],
             expect: "cannot reach Prometheus at http://127.0.0.1:9"),
        Case(name: "prometheus no series", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--start", "1000", "--end", "1060", "--into", "$Q", "--out", "$D/p.json"] + ["--requests", "none"],
             expect: "the --requests query returned no series from http://127.0.0.1:"),
        Case(name: "prometheus no latency", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--start", "1000", "--end", "1060", "--into", "$Q", "--out", "$D/p.json"] + ["--requests", "r", "--latency", "none"],
             expect: "the --latency query returned no series from http://127.0.0.1:"),
        Case(name: "prometheus html", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--start", "1000", "--end", "1060", "--into", "$Q", "--out", "$D/p.json"] + ["--requests", "html"],
             expect: "and no JSON (<html>a dashboard</html>): is it a Prometheus server?"),
        Case(name: "prometheus refused", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--start", "1000", "--end", "1060", "--into", "$Q", "--out", "$D/p.json"] + ["--requests", "bad"],
             expect: "refused the --requests query \"bad\" (HTTP 400, bad_data): 1:4: parse error"),
        Case(name: "prometheus vector", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--start", "1000", "--end", "1060", "--into", "$Q", "--out", "$D/p.json"] + ["--requests", "vector"],
             expect: "answered the --requests query without a range result"),
        Case(name: "prometheus no le", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--start", "1000", "--end", "1060", "--into", "$Q", "--out", "$D/p.json"] + ["--requests", "r", "--latency", "nole"],
             expect: "gave a series without an \"le\" label (job=\"x\")"),
        Case(name: "prometheus le text", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--start", "1000", "--end", "1060", "--into", "$Q", "--out", "$D/p.json"] + ["--requests", "r", "--latency", "lex"],
             expect: "gave a bucket le=\"abc\", which is not a number"),
        Case(name: "prometheus le twice", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--start", "1000", "--end", "1060", "--into", "$Q", "--out", "$D/p.json"] + ["--requests", "r", "--latency", "dupe"],
             expect: "gave two series for le=\"0.1\""),
        Case(name: "prometheus no inf", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--start", "1000", "--end", "1060", "--into", "$Q", "--out", "$D/p.json"] + ["--requests", "r", "--latency", "noinf"],
             expect: "has no le=\"+Inf\" bucket"),
        Case(name: "prometheus only inf", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--start", "1000", "--end", "1060", "--into", "$Q", "--out", "$D/p.json"] + ["--requests", "r", "--latency", "onlyinf"],
             expect: "has only the +Inf bucket"),
        Case(name: "prometheus empty histogram", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--start", "1000", "--end", "1060", "--into", "$Q", "--out", "$D/p.json"] + ["--requests", "r", "--latency", "zero"],
             expect: "is empty over the range: no request was observed"),
        Case(name: "prometheus pipeline latency", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "scan-sentiment", "--start", "1000", "--end", "1060", "--into", "$Q", "--out", "$D/p.json"] + ["--requests", "r", "--latency", "histogram"],
             expect: "is a pipeline: a latency histogram becomes one model"),
        Case(name: "prometheus unwritable", args: ["import", "prometheus", "http://127.0.0.1:$P", "--target", "sentiment", "--requests", "r", "--start", "1000", "--end", "1060",
                                                    "--into", "$Q", "--out", "$D/no-folder/p.json"], expect: "p.json: cannot be written"),
        // export kubernetes
        Case(name: "export no target", args: ["export"], expect: "Missing expected argument '<target>' (kubernetes)", status: 64),
        Case(name: "export target", args: ["export", "kubernets"], expect: "Unknown target 'kubernets' (did you mean 'kubernetes'?)", status: 64),
        Case(name: "export extra", args: ["export", "kubernetes", "$Q", "extra"], expect: "Unexpected argument 'extra'", status: 64),
        Case(name: "export option", args: ["export", "kubernetes", "$Q", "--plna", "x"], expect: "Unknown option '--plna' (did you mean '--plan'?)", status: 64),
        Case(name: "export value", args: ["export", "kubernetes", "$Q", "--out"], expect: "Missing value for '--out'", status: 64),
        Case(name: "export prometheus url", args: ["export", "kubernetes", "$Q", "--prometheus-url", "prom:9090"], expect: "The value 'prom:9090' is invalid for '--prometheus-url'", status: 64),
        Case(name: "export as", args: ["export", "kubernetes", "$Q", "--as", "kedaa"], expect: "The value 'kedaa' is invalid for '--as' (did you mean 'keda'?)", status: 64),
        Case(name: "export no scenario", args: ["export", "kubernetes", "--plan", "x"], expect: "Missing expected argument '<scenario>'", status: 64),
        Case(name: "export no out", args: ["export", "kubernetes", "$Q", "--plan", "reserved"], expect: "Missing '--out <dir>'", status: 64),
        Case(name: "export to a file", args: ["export", "kubernetes", "$Q", "--plan", "reserved", "--out", "$D/file"], expect: "file: is a file, expected a folder for the manifests"),
        Case(name: "export not empty", args: ["export", "kubernetes", "$Q", "--plan", "reserved", "--out", "$D/empty-report"], expect: "empty-report: is not empty (summary.csv): not written"),
        Case(name: "sweep job no vary", args: ["export", "kubernetes", "$Q", "--sweep", "4", "--out", "$D/job"], expect: "Missing '--vary'", status: 64),
        Case(name: "sweep job shards", args: ["export", "kubernetes", "$Q", "--sweep", "0", "--out", "$D/job"], expect: "The value '0' is invalid for '--sweep'", status: 64),
        Case(name: "sweep job no image", args: ["export", "kubernetes", "$Q", "--sweep", "4", "--vary", "seed=1,2", "--out", "$D/job"], expect: "Missing '--image'", status: 64),
        Case(name: "sweep job no claim", args: ["export", "kubernetes", "$Q", "--sweep", "4", "--vary", "seed=1,2", "--image", "i", "--out", "$D/job"], expect: "Missing '--results-claim'", status: 64),
        Case(name: "sweep job with plan", args: ["export", "kubernetes", "$Q", "--sweep", "4", "--vary", "seed=1,2", "--image", "i", "--results-claim", "r", "--plan", "reserved", "--out", "$D/job"],
             expect: "Unexpected '--plan' with '--sweep'", status: 64),
        Case(name: "sweep job vary", args: ["export", "kubernetes", "$Q", "--sweep", "4", "--vary", "seed", "--image", "i", "--results-claim", "r", "--out", "$D/job"],
             expect: "seed", status: 64),
        Case(name: "vary without sweep", args: ["export", "kubernetes", "$Q", "--plan", "reserved", "--vary", "seed=1,2", "--out", "$D/job"],
             expect: "Unexpected '--vary' without '--sweep N'", status: 64),
        Case(name: "export cannot create", args: ["export", "kubernetes", "$Q", "--plan", "reserved", "--out", "$D/file/k8s"], expect: "k8s: cannot be created"),
    ]
}
