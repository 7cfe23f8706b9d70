import Foundation
import XCTest
import Glibc
@testable import Runtime
import Scenario

/// Starts `RuntimeServer`s on loopback with scenarios written for the test, and talks to them.
/// Every server a test starts is stopped by `tearDown`.
class RuntimeTestCase: XCTestCase {
    var servers: [RuntimeServer] = []
    let lines = Atomic<[String]>([])
    var folder = ""

    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
    static var workers: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Workers" }

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") || which("python3") != nil else {
            throw XCTSkip("python3 is not installed: the runtime tests start Python workers")
        }
        folder = NSTemporaryDirectory() + "headroom-runtime-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() {
        for s in servers { s.stop() }
        servers = []
        try? FileManager.default.removeItem(atPath: folder)
    }

    func which(_ program: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let p = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// A worker section for the test worker (http) or the stdlib Lambda client.
    func httpWorker(_ env: String = "", startTimeout: String = "20s") -> String {
        "{\"contract\": \"http\", \"command\": [\"python3\", \"\(Self.workers)/testworker.py\"], \"readiness\": \"/healthz\", \"startTimeout\": \"\(startTimeout)\", \"stopGrace\": \"1s\"\(env.isEmpty ? "" : ", \"env\": {\(env)}")}"
    }

    func lambdaWorker(python: String = "python3", script: String? = nil) -> String {
        let command = script.map { "[\"\(python)\", \"\($0)\"]" } ?? "[\"\(python)\", \"\(Self.workers)/minilambda.py\"]"
        return "{\"contract\": \"lambda\", \"command\": \(command), \"startTimeout\": \"20s\", \"stopGrace\": \"1s\"}"
    }

    /// A scenario with the given models (name → JSON object text), pipelines and plans.
    /// The workload reaches every model and pipeline (so a reserved plan gives each an instance).
    func scenario(models: [(String, String)], pipelines: String = "", plans: String, timeout: String = "10s") throws -> Scenario {
        let pipelineNames = try pipelines.isEmpty ? [] : (JSONSerialization.jsonObject(with: Data("{\(pipelines)}".utf8)) as! [String: Any]).keys.sorted()
        let targets = models.map(\.0) + pipelineNames
        let text = """
        {
          "name": "runtime-test", "seed": 1, "duration": "1m",
          "hardware": { "cpu": { "vcpus": 2, "memoryGiB": 8, "pricePerHour": 0.1, "boot": "1s" } },
          "models": { \(models.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ",\n")) },
          \(pipelines.isEmpty ? "" : "\"pipelines\": { \(pipelines) },")
          "workload": [ \(targets.map { "{ \"kind\": \"poisson\", \"target\": \"\($0)\", \"rate\": 1 }" }.joined(separator: ", ")) ],
          "slo": { "latency": "1s", "percentile": 95, "timeout": "\(timeout)" },
          "plans": { \(plans) }
        }
        """
        let path = folder + "/scenario-\(UInt32.random(in: 0...UInt32.max)).json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try ScenarioLoader.load(path: path)
    }

    func model(_ worker: String, concurrency: Int = 4, queueLimit: Int = 100) -> String {
        "{\"requires\": {\"vcpus\": 0.5, \"memoryGiB\": 0.5}, \"service\": \"10ms\", \"concurrency\": \(concurrency), \"queueLimit\": \(queueLimit), \"worker\": \(worker)}"
    }

    func start(_ s: Scenario, plan: String, decisionLog: String? = nil, limits: HTTPLimits = HTTPLimits(), maxConnections: Int? = nil) throws -> RuntimeServer {
        var options = ServeOptions()
        if let maxConnections { options.maxConnections = maxConnections }
        options.listen = SocketAddress(host: "127.0.0.1", port: 0)
        options.delayScale = 0
        options.decisionLog = decisionLog
        options.drainGrace = 5
        options.limits = limits
        let lines = self.lines
        options.say = { line in lines.withLock { $0.append(line) } }
        let server = try RuntimeServer.start(s, planIndex: s.plans.firstIndex { $0.name == plan }!, options: options)
        servers.append(server)
        return server
    }

    /// One call on a fresh connection.
    func call(_ server: RuntimeServer, _ path: String, method: String = "POST", body: String = "{}", headers: [(name: String, value: String)] = [],
              timeout: Double = 30) -> HTTPResponse? {
        Self.call(server, path, method: method, body: body, headers: headers, timeout: timeout)
    }

    static func call(_ server: RuntimeServer, _ path: String, method: String = "POST", body: String = "{}", headers: [(name: String, value: String)] = [],
                     timeout: Double = 30) -> HTTPResponse? {
        let client = HTTPClient(address: server.address, keep: 0)
        let request = HTTPRequest(method: method, target: path, headers: headers, body: Array(body.utf8))
        if case let .answered(r) = client.call(request, deadline: MonotonicClock.nanoseconds() + Int64(timeout * 1e9)) { return r }
        return nil
    }

    /// The virtual environment's Python when it can import `module` (Scripts/ci-tools.sh
    /// installs the third-party clients there); else the test is skipped, saying `what` was
    /// not tried.
    func venvPython(importing module: String, what: String) throws -> String {
        let python = Self.repository + "/.venv/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python), system("\(python) -c 'import \(module)' 2>/dev/null") == 0 else {
            throw XCTSkip("\(module) is not installed in .venv (Scripts/ci-tools.sh installs it): \(what) was not tried")
        }
        return python
    }

    /// Runs a Python script (written to the test's folder) with `python` and returns its
    /// standard output, parsed as a JSON object; fails the test when it exits non-zero.
    func runPython(_ python: String, _ script: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let path = folder + "/check-\(UInt32.random(in: 0...UInt32.max)).py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "the script failed", file: file, line: line)
        print("\(URL(fileURLWithPath: "\(file)").deletingPathExtension().lastPathComponent): \(String(decoding: data, as: UTF8.self))")
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    func json(_ r: HTTPResponse?) -> [String: Any] {
        guard let r, let o = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] else { return [:] }
        return o
    }

    /// Waits until `condition` holds, polling every 50 ms, at most `timeout` seconds.
    func eventually(_ timeout: Double = 10, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    func metric(_ server: RuntimeServer, _ name: String) -> Double? {
        for line in server.metricsText.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last!)
        }
        return nil
    }

    static func processExists(_ pid: Int32) -> Bool { kill(pid, 0) == 0 }
}
