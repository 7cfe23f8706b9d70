import Foundation
import XCTest
@testable import HeadroomCLI

/// `headroom export kubernetes` and `headroom import kubernetes` as a user runs them: files
/// written whole, a scenario left untouched on error, usage errors with exit 64.
final class KubernetesCommandTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func headroom(_ arguments: [String]) -> (status: Int32, out: String, err: String) {
        let out = CapturedText(), err = CapturedText()
        let status = Headroom.main(arguments, out: out, err: err)
        return (status, out.text, err.text)
    }

    func temporaryFolder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-k8s-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    func testExportThenImportGivesThePlanBackAndTheSameRun() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = dir + "/quickstart.json"
        try FileManager.default.copyItem(atPath: root.appendingPathComponent("Scenarios/quickstart.json").path, toPath: scenario)
        var r = headroom(["export", "kubernetes", scenario, "--plan", "autoscaled", "--out", dir + "/k8s"])
        XCTAssertEqual(r.status, 0, r.err)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/k8s").sorted()
        XCTAssertEqual(files, ["cluster.flags", "ocr-deployment.json", "ocr-hpa.json", "sentiment-deployment.json", "sentiment-hpa.json"])
        XCTAssertTrue(r.out.contains("apply with: kubectl apply -f \(dir)/k8s/"), r.out)
        // A folder in use is refused, then replaced with --force.
        r = headroom(["export", "kubernetes", scenario, "--plan", "reserved", "--out", dir + "/k8s"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("is not empty (cluster.flags, ocr-deployment.json, ocr-hpa.json, …): not written"), r.err)
        XCTAssertTrue(r.err.contains("add --force"), r.err)
        r = headroom(["export", "kubernetes", scenario, "--plan", "autoscaled", "--out", dir + "/k8s", "--force"])
        XCTAssertEqual(r.status, 0, r.err)

        let manifests = files.map { dir + "/k8s/" + $0 }
        r = headroom(["import", "kubernetes"] + manifests + ["--into", scenario, "--plan", "from-cluster"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.hasPrefix("added plan \"from-cluster\" (elastic) from 4 objects: Deployment/ocr, HorizontalPodAutoscaler/ocr, Deployment/sentiment, HorizontalPodAutoscaler/sentiment\n"), r.out)
        XCTAssertFalse(r.out.contains("not honoured"), r.out)
        XCTAssertFalse(r.out.contains("model changes"), r.out)
        // The imported plan runs exactly as the one exported.
        r = headroom(["run", scenario, "--plan", "autoscaled", "--plan", "from-cluster", "--out", dir + "/run"])
        let summary = try String(contentsOfFile: dir + "/run/summary.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").dropFirst(3) }
        XCTAssertEqual(summary.count, 3)
        XCTAssertEqual(Array(summary[1]), Array(summary[2]))
    }

    func testAFailedImportWritesNothing() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fixtures = root.appendingPathComponent("Tests/KubernetesTests/Fixtures")
        let scenario = dir + "/s.json"
        try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent("scenario.json").path, toPath: scenario)
        let before = try String(contentsOfFile: scenario, encoding: .utf8)
        let bad = try String(contentsOf: fixtures.appendingPathComponent("kubectl-deploy-hpa.json"), encoding: .utf8).replacingOccurrences(of: "\"3Gi\"", with: "\"1.5.3Gi\"")
        try bad.write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        var r = headroom(["import", "kubernetes", dir + "/bad.json", "--into", scenario, "--nodes", "cpu.m5xl=1:4", "--nodes", "gpu.g5=1:2"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.hasPrefix("Error: \(dir)/bad.json:"), r.err)
        XCTAssertTrue(r.err.contains("found \"1.5.3Gi\""), r.err)
        XCTAssertEqual(try String(contentsOfFile: scenario, encoding: .utf8), before)
        try "{\"kind\": \"List\", \"items\": [".write(toFile: dir + "/cut.json", atomically: true, encoding: .utf8)
        r = headroom(["import", "kubernetes", dir + "/cut.json", "--into", scenario])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("cut.json:1:") && r.err.contains("invalid JSON"), r.err)
        // Pinned instances that do not fit the nodes: the plan check runs before writing.
        let deployment = """
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "chat"}, "spec": {"replicas": 5, "template": {"spec": {
          "containers": [{"name": "chat", "resources": {"requests": {"cpu": "1", "memory": "2Gi"}}}]}}}}
        """
        try deployment.write(toFile: dir + "/chat.json", atomically: true, encoding: .utf8)
        r = headroom(["import", "kubernetes", dir + "/chat.json", "--into", scenario, "--nodes", "cpu.m5xl=1:1", "--nodes", "gpu.g5=1:1"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("the pinned instances do not fit on the plan's nodes (no room for \"chat\")"), r.err)
        XCTAssertEqual(try String(contentsOfFile: scenario, encoding: .utf8), before)
        // --out writes elsewhere and leaves the scenario as it was.
        r = headroom(["import", "kubernetes", fixtures.appendingPathComponent("kubectl-deploy-hpa.json").path, "--into", scenario,
                      "--nodes", "cpu.m5xl=0:1", "--nodes", "gpu.g5=0:1", "--out", dir + "/out.json"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/out.json"))
        XCTAssertEqual(try String(contentsOfFile: scenario, encoding: .utf8), before, "--out leaves the scenario as it was")
    }

    func testUsageErrorsAndRefusals() throws {
        let quickstart = root.appendingPathComponent("Scenarios/quickstart.json").path
        let cases: [([String], Int32, String)] = [
            (["import"], 64, "Missing expected argument '<source>' (kubernetes or prometheus)"),
            (["import", "kubernets", "a.json"], 64, "Unknown source 'kubernets' (did you mean 'kubernetes'?)"),
            (["import", "kubernetes", "a.json"], 64, "Missing '--into <scenario>'"),
            (["import", "kubernetes", "--into", quickstart], 64, "Missing expected argument '<file>'"),
            (["import", "kubernetes", "a.json", "--into", quickstart, "--nodes", "cpu.c5xl=4:2"], 64, "expected TYPE=MIN:MAX with 0 ≤ MIN ≤ MAX"),
            (["import", "kubernetes", "a.json", "--into", quickstart, "--plna", "x"], 64, "Unknown option '--plna' (did you mean '--plan'?)"),
            (["export", "kubernetes", quickstart, "--plan", "autoscaled"], 64, "Missing '--out <dir>'"),
            (["export", "kubernetes", quickstart, "--out", "/tmp/x"], 64, "Missing '--plan': the scenario has 3 plans"),
            (["export", "kubernetes", quickstart, "--plan", "autoscaled", "--out", "/tmp/x", "--as", "kedaa"], 64, "The value 'kedaa' is invalid for '--as' (did you mean 'keda'?)"),
            (["export", "kubernetes", quickstart, "--plan", "serverless", "--out", "/tmp/headroom-never"], 1,
             "the keep-alive scaler (an instance per request, kept warm) has no Kubernetes counterpart"),
            (["export", "kubernetes", root.appendingPathComponent("Scenarios/monday-burst.json").path, "--plan", "lambda", "--out", "/tmp/headroom-never"], 1,
             "a provider-hosted serverless plan (Lambda-like) runs on the provider's capacity: Kubernetes has no object for it"),
            (["export", "kubernetes", root.appendingPathComponent("Scenarios/policy-comparison.json").path, "--plan", "hpa-behavior", "--as", "keda",
              "--out", "/tmp/headroom-never"], 1, "give --prometheus-url"),
            (["export", "kubernetes", quickstart, "--plan", "reserved", "--as", "knative", "--out", "/tmp/headroom-never"], 1,
             "a traditional plan is exported as Deployments, not knative"),
        ]
        for (args, status, fragment) in cases {
            let r = headroom(args)
            XCTAssertEqual(r.status, status, args.joined(separator: " ") + ": " + r.err)
            XCTAssertTrue(r.err.contains(fragment), args.joined(separator: " ") + ": " + r.err)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/headroom-never"), "a refused export creates no folder")
        XCTAssertTrue(headroom(["help", "import"]).out.contains("USAGE: headroom import kubernetes <file> ... --into <scenario>"))
        XCTAssertTrue(headroom(["export", "--help"]).out.contains("cluster.flags"))
        XCTAssertTrue(headroom([]).out.contains("export kubernetes"))
    }
}

/// `headroom export kubernetes --sweep N`: the Indexed Job's own command, run here for each
/// completion index as its pods would, gives shards whose merge is the unsharded sweep.
final class SweepJobTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var binary: String { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("headroom").path }

    func testTheJobsCommandRunsEachShardAndTheMergeIsTheWholeSweep() throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw XCTSkip("the headroom binary is not built beside the tests") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-job-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/scenario", withIntermediateDirectories: true)
        let scenario = root.appendingPathComponent("Scenarios/quickstart.json").path
        let vary = ["--vary", "plans.autoscaled.target=0.4..0.7 step 0.1", "--vary", "seed=7,8"]
        let out = CapturedText(), err = CapturedText()
        let status = Headroom.main(["export", "kubernetes", scenario, "--sweep", "3"] + vary + ["--image", "headroom:test", "--results-claim", "results", "--out", dir + "/k8s"],
                                   out: out, err: err)
        XCTAssertEqual(status, 0, err.text)
        XCTAssertTrue(out.text.contains("headroom merge /results/sweep.shard-*-of-3.csv --out /results"), out.text)
        // The pods' command, with the image's paths pointed at this folder.
        let job = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/k8s/headroom-sweep-quickstart-job.json"))) as! [String: Any]
        let spec = job["spec"] as! [String: Any]
        XCTAssertEqual(spec["completionMode"] as? String, "Indexed")
        XCTAssertEqual(spec["completions"] as? Int, 3)
        let container = (((spec["template"] as! [String: Any])["spec"] as! [String: Any])["containers"] as! [[String: Any]])[0]
        XCTAssertEqual(container["command"] as? [String], ["sh", "-c"])
        let command = (container["args"] as! [String])[0]
            .replacingOccurrences(of: "exec headroom ", with: "exec '\(binary)' ")
            .replacingOccurrences(of: "/scenario/", with: dir + "/scenario/")
            .replacingOccurrences(of: "--out /results", with: "--out '\(dir)/results'")
        let configMap = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/k8s/headroom-sweep-quickstart-configmap.json"))) as! [String: Any]
        try ((configMap["data"] as! [String: String])["quickstart.json"]!).write(toFile: dir + "/scenario/quickstart.json", atomically: true, encoding: .utf8)
        for index in 0..<3 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", command]
            p.environment = ["JOB_COMPLETION_INDEX": "\(index)", "PATH": "/usr/bin:/bin"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, "pod \(index)")
        }
        let shards = (1...3).map { "\(dir)/results/sweep.shard-\($0)-of-3.csv" }
        XCTAssertEqual(Headroom.main(["merge"] + shards + ["--out", dir + "/merged"], out: CapturedText(), err: CapturedText()), 0)
        XCTAssertEqual(Headroom.main(["sweep", scenario] + vary + ["--out", dir + "/whole"], out: CapturedText(), err: CapturedText()), 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/merged/sweep.csv")), try Data(contentsOf: URL(fileURLWithPath: dir + "/whole/sweep.csv")))
    }
}
