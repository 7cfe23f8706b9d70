import Foundation
import XCTest
@testable import Runtime
import Scenario
import Planning

/// A served model the plan gives no capacity is named at start, with why, instead of being
/// found later from 503s.
final class NoCapacityTests: RuntimeTestCase {
    func scenarioCallingOnlyEcho(plans: String) throws -> Scenario {
        let text = """
        { "name": "uncalled", "seed": 1, "duration": "1m",
          "hardware": { "cpu": { "vcpus": 2, "memoryGiB": 8, "pricePerHour": 0.1, "boot": "1s" } },
          "models": { "echo": \(model(httpWorker())), "spare": \(model(httpWorker())) },
          "workload": [ { "kind": "poisson", "target": "echo", "rate": 1 } ],
          "plans": { \(plans) } }
        """
        let path = folder + "/uncalled.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try ScenarioLoader.load(path: path)
    }

    func testServeSaysWhichServedModelsHaveNoCapacityAndWhy() throws {
        let s = try scenarioCallingOnlyEcho(plans: """
        "reserved": { "policy": "traditional", "nodes": { "cpu": 1 } },
        "pinned": { "policy": "traditional", "nodes": { "cpu": 1 }, "instances": { "echo": 1, "spare": 1 } }
        """)
        let none = PlanBuilder.modelsWithoutCapacity(s, planIndex: 0)
        XCTAssertEqual(none.map(\.model), [1])
        XCTAssertTrue(none[0].why.contains("no workload source calls it"), none[0].why)
        XCTAssertEqual(PlanBuilder.modelsWithoutCapacity(s, planIndex: 1), [], "pinned: both have an instance")
        let server = try start(s, plan: "reserved")
        let warning = lines.load.first { $0.hasPrefix("warning: model \"spare\" has no capacity under plan \"reserved\"") }
        XCTAssertNotNil(warning, lines.load.joined(separator: "\n"))
        XCTAssertTrue(warning?.contains("\"instances\": {\"spare\": 1}") ?? false, warning ?? "")
        XCTAssertFalse(lines.load.contains { $0.contains("\"echo\" has no capacity") })
        // And it is so: 503 no capacity.
        XCTAssertEqual(call(server, "/v2/models/spare/infer")?.status, 503)
    }
}
