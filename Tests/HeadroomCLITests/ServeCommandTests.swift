import Foundation
import XCTest
import Glibc
@testable import HeadroomCLI
@testable import Runtime
import Digest

/// `headroom serve` and `headroom replay` as a user runs them: usage errors, a scenario that
/// cannot be served, and a whole serve → SIGTERM → drained exit 0 → replay.
final class ServeCommandTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func headroom(_ arguments: String...) -> (status: Int32, out: String, err: String) { runHeadroom(arguments) }

    func scenario(_ name: String) -> String { root.appendingPathComponent("Scenarios/\(name)").path }

    func testUsageErrorsAndUnservableScenarios() {
        var r = headroom("serve")
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.err.hasPrefix("Error: Missing expected argument '<file>'\nUsage: headroom serve <file>"), r.err)
        r = headroom("serve", scenario("serve-demo.json"))
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.err.contains("Missing '--plan': the scenario has 3 plans (reserved, autoscaled, serverless)"), r.err)
        r = headroom("serve", scenario("serve-demo.json"), "--plan", "serverles")
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.err.contains("Unknown plan 'serverles' (did you mean 'serverless'?)"), r.err)
        r = headroom("serve", scenario("serve-demo.json"), "--plan", "reserved", "--listen", "everywhere")
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.err.contains("'everywhere' is not HOST:PORT"), r.err)
        r = headroom("serve", scenario("serve-demo.json"), "--plna", "reserved")
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.err.contains("(did you mean '--plan'?)"), r.err)
        r = headroom("serve", scenario("quickstart.json"), "--plan", "reserved")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("cannot serve: models \"sentiment\", \"ocr\" have no \"worker\""), r.err)
        XCTAssertTrue(r.err.contains("$.models"), r.err)
        r = headroom("serve", scenario("train-and-serve.json"), "--plan", "shared")
        XCTAssertEqual(r.status == 1 || r.status == 64, true)
        r = headroom("replay")
        XCTAssertEqual(r.status, 64)
        r = headroom("replay", "/nonexistent/decisions.jsonl")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("cannot read the decision log"), r.err)
        r = headroom("help", "serve")
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.out.contains("--decision-log <path>"))
        XCTAssertTrue(headroom("--help").out.contains("serve "))
    }

    /// The whole command: serve on a free loopback port, answer a request, stop on SIGTERM
    /// with exit 0 and no worker left, then replay the decision log.
    func testServeAnswersStopsOnSIGTERMAndReplays() throws {
        guard system("command -v python3 >/dev/null 2>&1") == 0 else { throw XCTSkip("python3 is not installed") }
        let folder = NSTemporaryDirectory() + "headroom-serve-cli-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/one.json"
        try """
        { "name": "one", "seed": 1, "duration": "1m",
          "hardware": { "cpu": { "vcpus": 1, "memoryGiB": 1, "pricePerHour": 0.01, "boot": "100ms" } },
          "models": { "echo": { "requires": { "vcpus": 0.5, "memoryGiB": 0.5 }, "service": "5ms",
                      "worker": { "contract": "http", "command": ["python3", "\(scenario("workers/echo.py"))"], "stopGrace": "1s" } } },
          "workload": [ { "kind": "poisson", "target": "echo", "rate": 1 } ],
          "slo": { "timeout": "5s" },
          "plans": { "reserved": { "policy": "traditional", "nodes": { "cpu": 1 }, "instances": { "echo": 1 } } } }
        """.write(toFile: file, atomically: true, encoding: .utf8)
        // Not the kernel's port-0 choice: something else may take that before serve binds it.
        let port = try WorkerPorts.shared.take()
        let out = CapturedText(), err = CapturedText()
        let status = LockedValue<Int32?>(nil)
        let log = folder + "/decisions.jsonl"
        let finished = DispatchSemaphore(value: 0)
        let outBox = UncheckedBox(out), errBox = UncheckedBox(err)
        Thread.detachNewThread {
            let s = Headroom.main(["serve", file, "--listen", "127.0.0.1:\(port)", "--decision-log", log, "--drain-timeout", "5s"],
                                  out: outBox.value, err: errBox.value)
            status.withLock { $0 = s }
            finished.signal()
        }
        var listening = false
        for _ in 0..<200 where !listening {
            usleep(50_000)
            listening = out.snapshot.contains("serving one, plan reserved, on http://127.0.0.1:\(port)")
        }
        XCTAssertTrue(listening, out.snapshot + err.snapshot)
        let client = HTTPClient(address: SocketAddress(host: "127.0.0.1", port: port), keep: 0)
        guard case let .answered(r) = client.call(HTTPRequest(method: "POST", target: "/v2/models/echo/infer", body: Array("{\"a\": 1}".utf8)),
                                                  deadline: MonotonicClock.nanoseconds() + 10_000_000_000) else { return XCTFail("no answer") }
        XCTAssertEqual(r.status, 200)
        let pid = (try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])?["pid"] as? Int ?? 0
        XCTAssertEqual(kill(getpid(), SIGTERM), 0)
        XCTAssertEqual(finished.wait(timeout: .now() + 20), .success)
        XCTAssertEqual(status.load, 0)
        XCTAssertTrue(out.snapshot.contains("stopped 1 worker"), out.snapshot)
        XCTAssertNotEqual(kill(pid_t(pid), 0), 0, "the worker process is gone")
        let replay = headroom("replay", log)
        XCTAssertEqual(replay.status, 0, replay.out + replay.err)
        XCTAssertTrue(replay.out.hasPrefix("replayed ") && replay.out.hasSuffix(" actions: identical\n"), replay.out)
    }
}

/// Runs the command line in-process, capturing what it writes.
func runHeadroom(_ arguments: [String]) -> (status: Int32, out: String, err: String) {
    let out = CapturedText(), err = CapturedText()
    let status = Headroom.main(arguments, out: out, err: err)
    return (status, out.text, err.text)
}

/// Passes a non-Sendable reference to a thread the test controls.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A value shared with a thread the test controls.
final class LockedValue<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func withLock<R>(_ body: (inout T) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
    var load: T { withLock { $0 } }
}

/// Provenance: every report folder says how it was made.
final class ManifestTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func headroom(_ arguments: [String]) -> (status: Int32, out: String, err: String) { runHeadroom(arguments) }

    func testRunSweepAndCheckRecordHowTheyWereMade() throws {
        let folder = NSTemporaryDirectory() + "headroom-manifest-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let scenario = root.appendingPathComponent("Scenarios/mmc-validation.json").path
        let sha = SHA256.hex([UInt8](try Data(contentsOf: URL(fileURLWithPath: scenario))))
        XCTAssertEqual(headroom(["run", scenario, "--out", folder + "/run", "--seed", "5"]).status, 0)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/run/manifest.json"))) as! [String: Any]
        XCTAssertEqual(manifest["scenario_sha256"] as? String, sha)
        XCTAssertEqual(manifest["seed"] as? Int, 5)
        XCTAssertEqual(manifest["command"] as? [String], ["headroom", "run", scenario, "--out", folder + "/run", "--seed", "5"])
        XCTAssertEqual(manifest["headroom"] as? String, Help.version)
        XCTAssertNotNil(manifest["started"] as? String)
        let html = try String(contentsOfFile: folder + "/run/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains("How this report was made") && html.contains(sha))

        let quick = root.appendingPathComponent("Scenarios/quickstart.json").path
        XCTAssertEqual(headroom(["sweep", quick, "--vary", "plans.autoscaled.target=0.5,0.7", "--out", folder + "/sweep"]).status, 0)
        let sweep = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/sweep/manifest.json"))) as! [String: Any]
        XCTAssertEqual(sweep["overrides"] as? [String], ["plans.autoscaled.target=0.5,0.7"])
        XCTAssertTrue(try String(contentsOfFile: folder + "/sweep/report.html", encoding: .utf8).contains("How this report was made"))

        XCTAssertEqual(headroom(["check", scenario, "--junit", folder + "/junit.xml"]).status, 0)
        let junit = try String(contentsOfFile: folder + "/junit.xml", encoding: .utf8)
        XCTAssertTrue(junit.contains("<property name=\"scenario_sha256\" value=\"\(sha)\"/>"), junit)
    }
}

/// `headroom keys add` and `headroom audit` from the command line.
final class AuditCommandTests: XCTestCase {
    func headroom(_ arguments: [String]) -> (status: Int32, out: String, err: String) { runHeadroom(arguments) }

    func testKeysAddPrintsOnlyTheKeyAndAuditCommandsReadALog() throws {
        let folder = NSTemporaryDirectory() + "headroom-audit-cli-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let r = headroom(["keys", "add", "web", "--targets", "echo,iris", "--file", folder + "/keys.json"])
        XCTAssertEqual(r.status, 0, r.err)
        let lines = r.out.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "the key is the only line on stdout")
        XCTAssertTrue(lines[0].hasPrefix("hr_") && lines[0].count == 67)
        XCTAssertFalse(try String(contentsOfFile: folder + "/keys.json", encoding: .utf8).contains(String(lines[0])))
        XCTAssertEqual(headroom(["keys", "add", "web", "--file", folder + "/keys.json"]).status, 64, "--targets is required")
        XCTAssertEqual(headroom(["keys", "remove", "web"]).status, 64)
        XCTAssertEqual(headroom(["audit", "verify"]).status, 64)
        XCTAssertEqual(headroom(["audit", "inspect", "x"]).status, 64)

        // A log written by the library, verified and queried by the CLI.
        let key = Array(repeating: UInt8(3), count: 32)
        try Data(key).write(to: URL(fileURLWithPath: folder + "/audit.key"))
        var options = AuditLog.Options(path: folder + "/audit.jsonl", key: key)
        options.flushInterval = 0.01
        let log = try AuditLog(options: options, scenarioSHA256: String(repeating: "a", count: 64), plan: "p", version: "test")
        for (k, caller) in ["web", "batch", "web"].enumerated() {
            log.append(AuditRecord(id: "r\(k)", caller: caller, target: "echo",
                                   stages: [.init(model: "echo", version: k == 2 ? "2" : "1", instance: "i0", node: "cpu#0", cold: k == 0,
                                                  start: 1_764_572_400_000_000 + Int64(k) * 86_400_000_000, end: nil)],
                                   arrival: 1_764_572_400_000_000 + Int64(k) * 86_400_000_000, end: 1_764_572_400_100_000 + Int64(k) * 86_400_000_000,
                                   arrivalSeconds: Double(k), endSeconds: Double(k) + 0.1, outcome: "completed", reason: "", status: 200,
                                   requestSHA256: "", responseSHA256: ""))
        }
        log.close()
        var v = headroom(["audit", "verify", folder + "/audit.jsonl", "--audit-key", folder + "/audit.key"])
        XCTAssertEqual(v.status, 0, v.out + v.err)
        XCTAssertTrue(v.out.hasPrefix("verified 3 records in 1 file, 1 digest authenticated"), v.out)
        // Which version answered caller web on the third day (2025-12-03 UTC)?
        let q = headroom(["audit", "query", folder + "/audit.jsonl", "--caller", "web", "--from", "2025-12-03", "--to", "2025-12-03", "--csv"])
        XCTAssertEqual(q.status, 0, q.err)
        let rows = q.out.split(separator: "\n")
        XCTAssertEqual(rows.count, 2, q.out)
        XCTAssertTrue(rows[0].hasPrefix("plan,id,caller,target,model,version,arrival_s,start_s,end_s,outcome,cold,node,instance,reason"))
        XCTAssertTrue(rows[1].hasPrefix("p,r2,web,echo,echo,2,"), String(rows[1]))
        // A flipped byte: exit 1, naming the line.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/audit.jsonl")))
        let third = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\n") }[2] + 1   // line 4: record r2
        let at = bytes[third...].firstIndex(of: UInt8(ascii: "b"))!
        bytes[at] = UInt8(ascii: "c")
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/audit.jsonl"))
        v = headroom(["audit", "verify", folder + "/audit.jsonl", "--audit-key", folder + "/audit.key"])
        XCTAssertEqual(v.status, 1)
        XCTAssertTrue(v.out.contains("audit.jsonl:4: line 4 was changed"), v.out)
    }
}

/// Hardening: a check that checks nothing fails; the JSON Schema is recognised by content; no
/// NaN or infinity through --set or --vary.
final class FailClosedTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func headroom(_ arguments: [String]) -> (status: Int32, out: String, err: String) { runHeadroom(arguments) }

    func testCheckFailsClosedAndTheSchemaIsRecognisedByContent() throws {
        let folder = NSTemporaryDirectory() + "headroom-failclosed-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var r = headroom(["check", folder])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("no scenario file found (no .json file): nothing would be checked"), r.err)
        // A schema under another name is skipped, and said to be; alone it is not a pass.
        let schema = root.appendingPathComponent("Scenarios/schema.json").path
        try FileManager.default.copyItem(atPath: schema, toPath: folder + "/contract.json")
        r = headroom(["check", folder])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("only a JSON Schema document"), r.err)
        // A scenario named like a schema is checked, not skipped.
        try FileManager.default.copyItem(atPath: root.appendingPathComponent("Scenarios/mmc-validation.json").path, toPath: folder + "/my-schema.json")
        r = headroom(["check", folder])
        XCTAssertEqual(r.status, 0, r.out + r.err)
        XCTAssertTrue(r.out.contains("1 scenario,") && r.out.contains("skipped \(folder)/contract.json: a JSON Schema document"), r.out)
        // So is a model config an engine names (Scenarios/models holds two).
        let config = root.appendingPathComponent("Scenarios/models/llama-3-8b.json").path
        try FileManager.default.copyItem(atPath: config, toPath: folder + "/shape.json")
        r = headroom(["check", folder])
        XCTAssertEqual(r.status, 0, r.out + r.err)
        XCTAssertTrue(r.out.contains("skipped \(folder)/shape.json: a model config, not a scenario"), r.out)
        r = headroom(["validate", schema, config, root.appendingPathComponent("Scenarios/mmc-validation.json").path])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("schema.json: skipped — a JSON Schema document"), r.out)
        XCTAssertTrue(r.out.contains("llama-3-8b.json: skipped — a model config (a Hugging Face config.json, for an engine's model), not a scenario"), r.out)
    }

    func testTraceStatsOnAFolderIsAnErrorNotATrap() throws {
        let folder = NSTemporaryDirectory() + "headroom-trace-folder-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let r = headroom(["trace", "stats", folder])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("is a folder, not a trace file"), r.err)
    }

    func testNoNaNOrInfinityThroughSetOrVary() {
        let quick = root.appendingPathComponent("Scenarios/quickstart.json").path
        for value in ["nan", "inf", "-infinity"] {
            let r = headroom(["run", quick, "--set", "workload[0].base=\(value)", "--out", NSTemporaryDirectory() + "never"])
            XCTAssertEqual(r.status, 64, value)
            XCTAssertTrue(r.err.contains("expected a finite number"), r.err)
        }
        let v = headroom(["sweep", quick, "--vary", "plans.autoscaled.target=0.5,nan", "--out", NSTemporaryDirectory() + "never"])
        XCTAssertNotEqual(v.status, 0)
        XCTAssertTrue(v.err.contains("$.plans.autoscaled.target: expected a number, found \"nan\""), v.err)
    }
}
