import XCTest
import Foundation
import Glibc
@testable import Runtime
@testable import Measurement
@testable import HeadroomCLI
import Scenario

/// `headroom loadgen --api openai` against `headroom serve` with the example OpenAI worker
/// (Scenarios/workers/openai_worker.py), which paces its tokens: a prefill of 1 ms per prompt
/// word, then a token every 10 ms, streamed. The measured time to first token and per output
/// token must be the configured pace (within 5 %), in summary.csv and per request.
final class LoadgenOpenAITests: XCTestCase {
    var folder = ""
    var server: RuntimeServer?

    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    override func setUpWithError() throws {
        guard system("command -v python3 >/dev/null 2>&1") == 0 else { throw XCTSkip("python3 is not installed: the test starts the example OpenAI worker") }
        folder = NSTemporaryDirectory() + "headroom-loadgen-openai-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.stop()
        server = nil
        try? FileManager.default.removeItem(atPath: folder)
    }

    func testTimeToFirstTokenAndPerTokenAreThePace() throws {
        let file = folder + "/chat.json"
        try """
        { "name": "chat", "seed": 1, "duration": "1m",
          "hardware": { "cpu": { "vcpus": 2, "memoryGiB": 8, "pricePerHour": 0.1 } },
          "models": { "chat": { "requires": { "vcpus": 0.5, "memoryGiB": 0.5 }, "service": "300ms", "concurrency": 16,
                                "worker": { "contract": "http", "command": ["python3", "\(Self.repository)/Scenarios/workers/openai_worker.py"],
                                            "env": { "PREFILL_MS_PER_TOKEN": 1, "TOKEN_MS": 10 }, "readiness": "/healthz", "startTimeout": "20s", "stopGrace": "1s" } } },
          "workload": [ { "kind": "poisson", "target": "chat", "rate": 1 } ],
          "slo": { "timeout": "10s" },
          "plans": { "reserved": { "policy": "traditional", "nodes": { "cpu": 1 } } } }
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let scenario = try ScenarioLoader.load(path: file)
        var options = ServeOptions()
        options.listen = SocketAddress(host: "127.0.0.1", port: 0)
        options.delayScale = 0
        options.say = { _ in }
        let server = try RuntimeServer.start(scenario, planIndex: 0, options: options)
        self.server = server
        // 30 requests, 100 prompt words and 20 tokens each: TTFT 100 ms, TPOT 10 ms.
        let trace = folder + "/trace.csv"
        try ("time,target,input_tokens,output_tokens\n" + (0..<30).map { "\(Double($0) * 0.1),chat,100,20" }.joined(separator: "\n") + "\n")
            .write(toFile: trace, atomically: true, encoding: .utf8)
        let out = folder + "/measured"
        let r = runHeadroom(["loadgen", "http://\(server.address)", "--trace", trace, "--api", "openai", "--out", out])
        XCTAssertEqual(r.status, 0, r.out + r.err)
        func rows(_ name: String) throws -> [[String]] {
            try String(contentsOfFile: out + "/" + name, encoding: .utf8).split(separator: "\n").map { CompareCommand.fields($0) }
        }
        let summary = try rows("summary.csv"), requests = try rows("requests.csv")
        func value(_ t: [[String]], _ row: Int, _ name: String) throws -> Double {
            let k = try XCTUnwrap(t[0].firstIndex(of: name), "\(name) in \(t[0])")
            return try XCTUnwrap(Double(t[row][k]), "\(name): \(t[row][k])")
        }
        XCTAssertEqual(try value(summary, 1, "completed"), 30)
        let ttft = try value(summary, 1, "ttft_p50_s"), tpot = try value(summary, 1, "tpot_p50_s")
        XCTAssertEqual(ttft, 0.100, accuracy: 0.005, "time to first token: 100 prompt words at 1 ms")
        XCTAssertEqual(tpot, 0.010, accuracy: 0.0005, "time per output token: 10 ms")
        XCTAssertEqual(requests[0].suffix(2), ["ttft_s", "tpot_s"])
        XCTAssertEqual(requests.count, 31)
        for row in requests.dropFirst() {
            XCTAssertEqual(row[9], "completed")
            XCTAssertEqual(Double(row[row.count - 2]) ?? 0, 0.100, accuracy: 0.02, "\(row)")
            XCTAssertEqual(Double(row[row.count - 1]) ?? 0, 0.010, accuracy: 0.002, "\(row)")
        }
        // compare sets the token figures side by side.
        let c = runHeadroom(["compare", out, out])
        XCTAssertEqual(c.status, 0, c.err)
        XCTAssertTrue(c.out.contains("TTFT p50") && c.out.contains("TPOT p50"), c.out)
        // A model the server does not list is refused before anything is sent.
        let other = folder + "/other.csv"
        try "time\n0\n".write(toFile: other, atomically: true, encoding: .utf8)
        let refused = runHeadroom(["loadgen", "http://\(server.address)", "--trace", other, "--target", "gpt-9", "--api", "openai", "--out", folder + "/never"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.err.contains("does not serve the model \"gpt-9\""), refused.err)
    }

    /// Server-sent events as the HTML standard frames them: CRLF, CR or LF line ends, data
    /// lines joined, other fields skipped, cut anywhere.
    func testServerSentEventsAcrossPieces() {
        let text = Array("data: a\r\ndata: b\r\n\r\n: comment\nevent: x\ndata:c\n\ndata: d\r\rdata: [DONE]\n\n".utf8)
        for cut in 0...text.count {
            var parser = ServerSentEvents()
            var events: [String] = []
            for part in [Array(text[..<cut]), Array(text[cut...])] {
                part.withUnsafeBufferPointer { parser.feed($0) { events.append(String(decoding: $0, as: UTF8.self)) } }
            }
            XCTAssertEqual(events, ["a\nb", "c", "d", "[DONE]"], "cut at \(cut)")
        }
        XCTAssertTrue(LoadGenerator.hasContent(Array("{\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}".utf8)))
        XCTAssertFalse(LoadGenerator.hasContent(Array("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}".utf8)), "vLLM's role-only first chunk")
        XCTAssertTrue(LoadGenerator.hasContent(Array("{\"choices\":[{\"text\":\" x\"}]}".utf8)))
        XCTAssertFalse(LoadGenerator.hasContent(Array("[DONE]".utf8)))
    }
}
