import Foundation
import Digest
import Scenario

/// How a report folder was made: `manifest.json` beside the reports, and a section of
/// `report.html`. Anyone handed the folder can tell which scenario file (by its SHA-256), seed,
/// plans, command and Headroom version produced it, and when.
public struct Manifest: Sendable {
    public var headroom: String
    public var command: [String]
    public var scenario: String
    public var scenarioSHA256: String
    public var overrides: [String]
    public var seed: UInt64?
    public var plans: [String]
    public var started: Date
    public var finished: Date

    public init(headroom: String, command: [String], scenario: String, overrides: [String] = [], seed: UInt64?, plans: [String],
                started: Date, finished: Date = Date()) {
        self.headroom = headroom
        self.command = command
        self.scenario = scenario
        scenarioSHA256 = FileManager.default.contents(atPath: scenario).map { SHA256.hex([UInt8]($0)) } ?? ""
        self.overrides = overrides
        self.seed = seed
        self.plans = plans
        self.started = started
        self.finished = finished
    }

    static func utc(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }

    static func quote(_ s: String) -> String { JSONText.quote(s) }

    /// The manifest as JSON (keys in a fixed order).
    public var json: String {
        var s = "{\n"
        s += "  \"headroom\": \(Self.quote(headroom)),\n"
        s += "  \"command\": [\(command.map(Self.quote).joined(separator: ", "))],\n"
        s += "  \"scenario\": \(Self.quote(scenario)),\n"
        s += "  \"scenario_sha256\": \(Self.quote(scenarioSHA256)),\n"
        s += "  \"overrides\": [\(overrides.map(Self.quote).joined(separator: ", "))],\n"
        s += "  \"seed\": \(seed.map(String.init) ?? "null"),\n"
        s += "  \"plans\": [\(plans.map(Self.quote).joined(separator: ", "))],\n"
        s += "  \"started\": \(Self.quote(Self.utc(started))),\n"
        s += "  \"finished\": \(Self.quote(Self.utc(finished)))\n"
        return s + "}\n"
    }

    /// The manifest as an HTML section.
    public var html: String {
        let esc = SVGChart.escape
        var rows: [(String, String)] = [("command", command.joined(separator: " ")), ("scenario", scenario), ("scenario SHA-256", scenarioSHA256)]
        if !overrides.isEmpty { rows.append(("overrides", overrides.joined(separator: "; "))) }
        rows += [("seed", seed.map(String.init) ?? "—"), ("plans", plans.joined(separator: ", ")), ("Headroom", headroom),
                 ("started", Self.utc(started)), ("finished", Self.utc(finished))]
        return "<section class=\"manifest\">\n<h2>How this report was made</h2>\n<table>\n"
            + rows.map { "<tr><th>\(esc($0.0))</th><td><code>\(esc($0.1))</code></td></tr>" }.joined(separator: "\n")
            + "\n</table>\n<p class=\"meta\">Also in manifest.json beside this file.</p>\n</section>\n"
    }
}
