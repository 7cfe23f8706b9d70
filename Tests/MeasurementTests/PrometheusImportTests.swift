import XCTest
import Foundation
@testable import Measurement
@testable import HeadroomCLI
import Runtime
import Scenario

/// `headroom import prometheus` against a real Prometheus server (Debian's), filled by
/// backfilling known samples with `promtool tsdb create-blocks-from openmetrics`: the imported
/// request counts must match those sent within 2 %, the latency quantiles within 5 %. And its
/// errors, against a stand-in server that answers as Prometheus does.
final class PrometheusImportTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func headroom(_ arguments: [String]) -> (status: Int32, out: String, err: String) {
        let out = CapturedText(), err = CapturedText()
        let status = Headroom.main(arguments, out: out, err: err)
        return (status, out.text, err.text)
    }

    func folder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-prom-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.root.appendingPathComponent("Tests/KubernetesTests/Fixtures/scenario.json").path, toPath: dir + "/s.json")
        return dir
    }

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// A free loopback port (bound, read, released).
    static func freePort() throws -> Int {
        let socket = try Socket.listen(SocketAddress(host: "127.0.0.1", port: 0))
        defer { socket.close() }
        return socket.localPort
    }

    /// The share of latency observations in each bucket (piecewise uniform within each): the
    /// quantiles sent are those of this distribution.
    static let shares: [(le: Double, share: Double)] = [(0.05, 0.10), (0.1, 0.40), (0.2, 0.30), (0.4, 0.15), (0.8, 0.05)]

    static func trueQuantile(_ q: Double) -> Double {
        var below = 0.0, lower = 0.0
        for b in shares {
            if below + b.share >= q { return lower + (b.le - lower) * (q - below) / b.share }
            below += b.share
            lower = b.le
        }
        return shares.last!.le
    }

    func testRatesAndQuantilesFromARealPrometheus() throws {
        guard let prometheus = Self.which("prometheus"), let promtool = Self.which("promtool") else {
            throw XCTSkip("prometheus and promtool are not installed (Debian package prometheus; Scripts/ci-tools.sh installs it)")
        }
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Two hours ending an hour ago, every 15 s: 4 req/s, then 11 req/s, then a 20-minute
        // burst at 25 req/s; 60 observations per 15 s in the histogram.
        let t0 = (Int(Date().timeIntervalSince1970) - 3 * 3600) / 60 * 60
        func rate(_ s: Int) -> Double { s < 3000 ? 4 : (s >= 5400 && s < 6600 ? 25 : 11) }
        var om = "# HELP app_requests_total Requests.\n# TYPE app_requests_total counter\n"
        var total = 0.0
        for s in stride(from: 0, through: 7200, by: 15) {
            om += "app_requests_total{target=\"chat\"} \(total) \(t0 + s)\n"
            total += rate(s) * 15
        }
        om += "# HELP app_latency_seconds Latency.\n# TYPE app_latency_seconds histogram\n"
        var observed = 0.0
        for s in stride(from: 0, through: 7200, by: 15) {
            var cumulative = 0.0
            for b in Self.shares {
                cumulative += b.share
                om += "app_latency_seconds_bucket{le=\"\(b.le)\"} \((observed * cumulative).rounded()) \(t0 + s)\n"
            }
            om += "app_latency_seconds_bucket{le=\"+Inf\"} \(observed) \(t0 + s)\napp_latency_seconds_count \(observed) \(t0 + s)\napp_latency_seconds_sum \(observed * 0.15) \(t0 + s)\n"
            observed += 60
        }
        om += "# EOF\n"
        try om.write(toFile: dir + "/samples.om", atomically: true, encoding: .utf8)
        try "global:\n  scrape_interval: 1h\n".write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        let backfill = Process()
        backfill.executableURL = URL(fileURLWithPath: promtool)
        backfill.arguments = ["tsdb", "create-blocks-from", "openmetrics", dir + "/samples.om", dir + "/data"]
        backfill.standardOutput = FileHandle.nullDevice
        try backfill.run()
        backfill.waitUntilExit()
        XCTAssertEqual(backfill.terminationStatus, 0, "promtool backfill")

        let port = try Self.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: prometheus)
        server.arguments = ["--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/data", "--web.listen-address=127.0.0.1:\(port)"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle(forWritingAtPath: "/dev/null")
        let started = Date()
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        let client = HTTPClient(address: SocketAddress(host: "127.0.0.1", port: port), keep: 0)
        var ready = false
        while !ready && Date().timeIntervalSince(started) < 20 {
            if case let .answered(r) = client.call(HTTPRequest(method: "GET", target: "/-/ready"), deadline: MonotonicClock.nanoseconds() + 1_000_000_000, connectTimeout: 1),
               r.status == 200 { ready = true } else { usleep(100_000) }
        }
        XCTAssertTrue(ready, "Prometheus answers /-/ready within 20 s")
        print("prometheus ready after \(String(format: "%.2f", Date().timeIntervalSince(started))) s")

        let start = t0 + 600, end = t0 + 7200 - 600
        let r = headroom(["import", "prometheus", "http://127.0.0.1:\(port)", "--target", "chat",
                          "--requests", "sum(rate(app_requests_total{target=\"chat\"}[1m]))",
                          "--latency", "sum by (le) (rate(app_latency_seconds_bucket[5m]))",
                          "--start", "\(start)", "--end", "\(end)", "--step", "1m", "--into", dir + "/s.json"])
        XCTAssertEqual(r.status, 0, r.err)
        let s = try ScenarioLoader.load(path: dir + "/s.json")
        guard case let .counts(c) = s.workload[0].kind else { return XCTFail("no counts source: \(r.out)") }
        XCTAssertEqual(c.interval, 60)
        XCTAssertEqual(c.counts.count, 100)
        XCTAssertEqual(s.duration, 6000)
        // What was sent in each minute of the range.
        var sent: [Double] = []
        for j in 0..<100 { sent.append(stride(from: start - t0 + 60 * j, to: start - t0 + 60 * (j + 1), by: 15).reduce(0) { $0 + rate($1) * 15 }) }
        XCTAssertEqual(Double(c.counts.reduce(0, +)), sent.reduce(0, +), accuracy: sent.reduce(0, +) * 0.02)
        // Each minute wholly inside one rate level matches it within 2 %.
        for j in 0..<100 where j > 0 && sent[j] == sent[j - 1] && (j + 1 == 100 || sent[j + 1] == sent[j]) {
            XCTAssertEqual(Double(c.counts[j]), sent[j], accuracy: sent[j] * 0.02, "minute \(j)")
        }
        guard case let .empirical(points)? = s.models[0].service[0] else { return XCTFail("no empirical service time") }
        for p in points where p.percentile > 0 && p.percentile < 100 {
            XCTAssertEqual(p.value, Self.trueQuantile(p.percentile / 100), accuracy: Self.trueQuantile(p.percentile / 100) * 0.05, "p\(p.percentile)")
        }
        print("prometheus import: \(c.counts.reduce(0, +)) requests imported, \(Int(sent.reduce(0, +))) sent; p50 \(points[5].value) s (sent \(Self.trueQuantile(0.5))), p99 \(points[9].value) s (sent \(Self.trueQuantile(0.99)))")
    }

    /// The histogram arithmetic on its own: histogram_quantile's interpolation and edges.
    func testDistributionFromBuckets() throws {
        func series(_ le: String, _ values: [Double]) -> PrometheusImport.Series {
            PrometheusImport.Series(labels: ["le": le], points: values.enumerated().map { (Double($0.offset), $0.element) })
        }
        let d = try PrometheusImport.distribution([series("+Inf", [60, 40]), series("0.1", [10, 10]), series("0.5", [50, 30]), series("1", [55, 40])], what: "test")
        let byP = Dictionary(uniqueKeysWithValues: d.map { ($0.percentile, $0.value) })
        XCTAssertEqual(byP[0], 0)                       // the first bucket is not empty: from 0
        XCTAssertEqual(byP[10]!, 0.05, accuracy: 1e-12)  // rank 10 of 100, halfway through the first bucket's 20
        XCTAssertEqual(byP[50]!, 0.1 + 0.4 * 30 / 60, accuracy: 1e-12)  // rank 50: 30 of the 60 between 0.1 and 0.5
        XCTAssertEqual(byP[99]!, 1, accuracy: 1e-12)    // in +Inf: the highest finite bound
        XCTAssertEqual(byP[100]!, 1, accuracy: 1e-12)
        let empty = try PrometheusImport.distribution([series("+Inf", [5]), series("0.2", [0]), series("0.4", [5])], what: "test")
        XCTAssertEqual(empty[0].value, 0.2, "the 0th percentile: the lower edge of the first non-empty bucket")
        XCTAssertThrowsError(try PrometheusImport.distribution([series("0.1", [1])], what: "test")) { XCTAssertTrue("\($0)".contains("no le=\"+Inf\" bucket")) }
        // Counts from a rate: the fractions are carried, so the total is kept.
        let rate = PrometheusImport.Series(labels: [:], points: (0...4).map { (100 + Double($0) * 10, 0.25) })
        let (counts, missing) = PrometheusImport.counts(rate, start: 100, end: 140, step: 10)
        XCTAssertEqual(counts, [3, 2, 3, 2])
        XCTAssertEqual(missing, 0)
    }

    /// Errors before anything is written: the server down, no series, several, a histogram
    /// without buckets, a query Prometheus refuses.
    func testErrorsAgainstAStandInServer() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let before = try String(contentsOfFile: dir + "/s.json", encoding: .utf8)
        let server = try HTTPServer(address: SocketAddress(host: "127.0.0.1", port: 0)) { request in
            let q = request.target.removingPercentEncoding ?? request.target
            func matrix(_ series: String) -> HTTPResponse { .json(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[\(series)]}}") }
            let one = "{\"metric\":{},\"values\":[[1000,\"2\"],[1060,\"2\"]]}"
            if q.contains("query=none") { return matrix("") }
            if q.contains("query=two") { return matrix(one + "," + one) }
            if q.contains("query=nole") { return matrix("{\"metric\":{\"job\":\"x\"},\"values\":[[1000,\"1\"]]}") }
            if q.contains("query=bad") { return .json(400, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:4: parse error: unexpected end of input\"}") }
            return matrix(one)
        }
        server.start()
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.address.port)"
        let closed = try PrometheusImportTests.freePort()
        let cases: [(String, [String], String)] = [
            ("down", ["http://127.0.0.1:\(closed)", "--requests", "r"], "cannot reach Prometheus at http://127.0.0.1:\(closed)"),
            ("no series", [url, "--requests", "none"], "the --requests query returned no series"),
            ("two series", [url, "--requests", "two"], "returned 2 series where one was expected: aggregate them, e.g. sum(rate(x_total[1m]))"),
            ("no buckets", [url, "--requests", "r", "--latency", "nole"], "a series without an \"le\" label (job=\"x\")"),
            ("refused", [url, "--requests", "bad"], "refused the --requests query \"bad\" (HTTP 400, bad_data): 1:4: parse error"),
        ]
        for (name, args, fragment) in cases {
            let r = headroom(["import", "prometheus"] + args + ["--target", "chat", "--start", "1000", "--end", "1060", "--into", dir + "/s.json"])
            XCTAssertEqual(r.status, 1, name)
            XCTAssertTrue(r.err.contains(fragment), "\(name): \(r.err)")
            XCTAssertEqual(try String(contentsOfFile: dir + "/s.json", encoding: .utf8), before, "\(name): nothing written")
        }
        // And one that works: 2 req/s for a minute.
        let r = headroom(["import", "prometheus", url, "--requests", "r", "--target", "embed", "--start", "1000", "--end", "1060", "--into", dir + "/s.json"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.hasPrefix("imported 120 requests of embed in 1 steps of 60 s"), r.out)
    }
}
