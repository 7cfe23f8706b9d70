import Foundation
import XCTest
@testable import HeadroomCLI

/// Reports stay readable at any number of plans: checked in a real browser (headless
/// Chromium) from the page's layout — legend keys clear of the plot area and of each other,
/// every line and dot inside the plot, no two plans drawn alike, nothing widening the page.
/// Skipped, saying so, when Chromium is not installed (`.ci/run` installs it).
final class ReportLayoutTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func headroom(_ arguments: [String]) -> (status: Int32, out: String, err: String) {
        let out = CapturedText(), err = CapturedText()
        let status = Headroom.main(arguments, out: out, err: err)
        return (status, out.text, err.text)
    }

    func chromium() throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        throw XCTSkip("Chromium is not installed (Debian: apt-get install chromium): the report layout was not checked in a browser")
    }

    /// Runs Scripts/report-layout.sh on `report` at two window widths; returns its exit status and lines.
    func layout(_ report: String) throws -> (status: Int32, lines: [String]) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [root.appendingPathComponent("Scripts/report-layout.sh").path, report, "1280", "760"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init))
    }

    /// The quickstart scenario with 24 plans of every policy, some with long names, on a short run.
    func twentyFourPlans(in dir: String) throws -> String {
        let text = try String(contentsOfFile: root.appendingPathComponent("Scenarios/quickstart.json").path, encoding: .utf8)
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        json["duration"] = "10m"
        json["expect"] = []
        var plans: [String: Any] = [:]
        for k in 0..<8 {
            plans["reserved-\(k + 1)-cpu-nodes"] = ["policy": "traditional", "nodes": ["cpu.c5xl": k + 1, "gpu.g4dn": 1]]
            plans["autoscaled-target-\(40 + 5 * k)-percent"] = ["policy": "elastic", "scaler": "target-tracking", "target": 0.4 + 0.05 * Double(k),
                                                              "nodes": ["cpu.c5xl": ["min": 1, "max": 6], "gpu.g4dn": ["min": 1, "max": 3]]]
            plans["serverless-keep-alive-\(k + 1)-minutes-on-self-hosted-nodes"] = [
                "policy": "serverless", "hosting": "self", "keepAlive": "\(k + 1)m",
                "nodes": ["cpu.c5xl": ["min": 1, "max": 6], "gpu.g4dn": ["min": 1, "max": 3]]]
        }
        json["plans"] = plans
        let file = dir + "/twenty-four.json"
        try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .prettyPrinted]).write(to: URL(fileURLWithPath: file))
        return file
    }

    func testPolicyComparisonAndTwentyFourPlanReportsLayOutCleanly() throws {
        _ = try chromium()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-layout-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        var r = headroom(["run", root.appendingPathComponent("Scenarios/policy-comparison.json").path, "--out", dir + "/policy"])
        XCTAssertEqual(r.status, 0, r.err)
        let file = try twentyFourPlans(in: dir)
        r = headroom(["run", file, "--out", dir + "/run24"])
        XCTAssertEqual(r.status, 0, r.err)
        r = headroom(["sweep", file, "--vary", "workload[0].peak=80,120", "--out", dir + "/sweep24"])
        XCTAssertEqual(r.status, 0, r.err)

        for (report, plans, charts) in [("policy", 10, 6), ("run24", 24, 6), ("sweep24", 24, 2)] {
            let result = try layout(dir + "/\(report)/report.html")
            XCTAssertEqual(result.status, 0, "\(report): \(result.lines.joined(separator: "\n"))")
            XCTAssertEqual(result.lines.count, 2, "\(report): a line per window width")
            for line in result.lines {
                XCTAssertTrue(line.contains("\"charts\":\(charts),"), "\(report): \(line)")
                XCTAssertTrue(line.contains("\"problems\":[]"), "\(report): \(line)")
                if plans >= 5 { XCTAssertTrue(line.contains("\"plans\":\(plans),"), "\(report): every plan in the filter: \(line)") }
            }
        }

        // The check can fail: the same 24-plan report with its legends pulled over the plot.
        let html = try String(contentsOfFile: dir + "/run24/report.html", encoding: .utf8)
        let broken = html.replacingOccurrences(of: ".legend { display: flex;", with: ".legend { margin-bottom: -120px !important; position: relative; z-index: 1; display: flex;")
        XCTAssertNotEqual(broken, html)
        try broken.write(toFile: dir + "/broken.html", atomically: true, encoding: .utf8)
        let bad = try layout(dir + "/broken.html")
        XCTAssertEqual(bad.status, 1, bad.lines.joined(separator: "\n"))
        XCTAssertTrue(bad.lines.first?.contains("overlaps the plot area") == true, bad.lines.first ?? "")
    }
}
