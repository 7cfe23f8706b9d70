import XCTest
@testable import Scenario

/// A model's `worker` section: decoded with its defaults, and every mistake named with its
/// JSON path and line.
final class WorkerSpecTests: XCTestCase {
    let small = "\"service\": { \"cpu\": \"40ms\" }, \"concurrency\": 2 }"

    func withWorker(_ worker: String) -> String {
        fixture(replacing: small, with: "\"service\": { \"cpu\": \"40ms\" }, \"concurrency\": 2,\n               \"worker\": \(worker) }")
    }

    func testDecodesWithDefaults() throws {
        let s = try ScenarioLoader.decode(withWorker("{\"contract\": \"http\", \"command\": [\"python3\", \"w.py\"], \"env\": {\"A\": \"x\", \"N\": 3}}"), file: "t.json")
        let w = try XCTUnwrap(s.models[0].worker)
        XCTAssertEqual(w.contract, .http)
        XCTAssertEqual(w.command, ["python3", "w.py"])
        XCTAssertEqual(w.environment.map(\.key), ["A", "N"])
        XCTAssertEqual(w.environment.map(\.value), ["x", "3"])
        XCTAssertEqual(w.readiness, .path("/"))
        XCTAssertEqual(w.startTimeout, 30)
        XCTAssertEqual(w.stopGrace, 5)
        XCTAssertNil(s.models[1].worker, "a model without worker has none")
    }

    func testLambdaAndTCPReadiness() throws {
        let s = try ScenarioLoader.decode(withWorker("{\"contract\": \"lambda\", \"command\": [\"fn\"], \"startTimeout\": \"2m\", \"stopGrace\": \"250ms\"}"), file: "t.json")
        XCTAssertEqual(s.models[0].worker?.contract, .lambda)
        XCTAssertEqual(s.models[0].worker?.startTimeout, 120)
        XCTAssertEqual(s.models[0].worker?.stopGrace, 0.25)
        let t = try ScenarioLoader.decode(withWorker("{\"contract\": \"http\", \"command\": [\"x\"], \"readiness\": \"tcp\"}"), file: "t.json")
        XCTAssertEqual(t.models[0].worker?.readiness, .tcp)
    }

    func testMistakesAreNamedWithTheirPath() {
        let cases: [(String, String, String)] = [
            ("{\"contract\": \"grpc\", \"command\": [\"x\"]}", "$.models.small.worker.contract", "unknown worker contract \"grpc\""),
            ("{\"command\": [\"x\"]}", "$.models.small.worker", "contract"),
            ("{\"contract\": \"http\"}", "$.models.small.worker", "command"),
            ("{\"contract\": \"http\", \"command\": []}", "$.models.small.worker.command", "non-empty array"),
            ("{\"contract\": \"http\", \"command\": [\"x\"], \"readiness\": \"healthz\"}", "$.models.small.worker.readiness", "starting with \"/\""),
            ("{\"contract\": \"lambda\", \"command\": [\"x\"], \"readiness\": \"/\"}", "$.models.small.worker.readiness", "http contract only"),
            ("{\"contract\": \"http\", \"command\": [\"x\"], \"startTimeout\": \"soon\"}", "$.models.small.worker.startTimeout", "expected a duration"),
            ("{\"contract\": \"http\", \"command\": [\"x\"], \"port\": 80}", "$.models.small.worker.port", "unknown key \"port\""),
            ("{\"contract\": \"http\", \"command\": [\"x\"], \"env\": {\"A=B\": \"1\"}}", "$.models.small.worker.env[\"A=B\"]", "not an environment variable name"),
        ]
        for (worker, path, message) in cases {
            let e = decodeError(withWorker(worker))
            XCTAssertEqual(e?.path, path, worker)
            XCTAssertTrue(e?.message.contains(message) == true, "\(worker): \(e?.message ?? "no error")")
            XCTAssertNotNil(e?.line, worker)
        }
    }
}
