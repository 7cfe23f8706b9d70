import Foundation
import XCTest
import Scenario
@testable import Sweep

final class SweepTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var quickstart: String { root.appendingPathComponent("Scenarios/quickstart.json").path }

    func testDimensionsParseRangesDurationsAndLists() throws {
        var d = try Dimension("plans.autoscaled.target=0.4..0.8 step 0.1")
        XCTAssertEqual(d.values, [.number(0.4), .number(0.5), .number(0.6), .number(0.7), .number(0.8)])
        XCTAssertEqual(d.range, 0.4...0.8)
        d = try Dimension("plans.serverless.keepAlive=1m,5m,10m,30m")
        XCTAssertEqual(d.values.map(\.cell), ["60", "300", "600", "1800"])
        d = try Dimension("x=1m..3m step 30s")
        XCTAssertEqual(d.values.map(\.cell), ["60", "90", "120", "150", "180"])
        d = try Dimension("plans.s.hosting=provider,self")
        XCTAssertEqual(d.values, [.text("provider"), .text("self")])
        d = try Dimension("models.chat.engine.prefixCaching=true,false")
        XCTAssertEqual(d.values, [.flag(true), .flag(false)], "JSON booleans, not strings")
        XCTAssertEqual(d.values.map(\.cell), ["true", "false"])
        XCTAssertEqual(d.values.map(\.json), [.bool(true), .bool(false)])
        for bad in ["nothing", "x=3..1 step 1", "x=1..2", "x=1..2 step 0", "x=a,,b", "x.[=1"] {
            XCTAssertThrowsError(try Dimension(bad), bad)
        }
    }

    func testGridOrderAndSamples() throws {
        let a = try Dimension("a=1,2,3"), b = try Dimension("b=10,20")
        let grid = SweepDesign.grid.variants([a, b], seed: 1)
        XCTAssertEqual(grid.map { $0.map(\.cell) }, [["1", "10"], ["1", "20"], ["2", "10"], ["2", "20"], ["3", "10"], ["3", "20"]])
        let r = try Dimension("r=0..1 step 0.5")
        let lhs = SweepDesign.latinHypercube(10).variants([r], seed: 3)
        // One point in each tenth of [0, 1].
        let strata = lhs.map { v -> Int in guard case let .number(x) = v[0] else { return -1 }; return Int(x * 10) }.sorted()
        XCTAssertEqual(strata, Array(0..<10))
        XCTAssertEqual(SweepDesign.random(5).variants([r, a], seed: 3), SweepDesign.random(5).variants([r, a], seed: 3), "seeded")
        XCTAssertNotEqual(SweepDesign.random(5).variants([r], seed: 3), SweepDesign.random(5).variants([r], seed: 4))
        XCTAssertThrowsError(try SweepDesign("grid:4"))
        XCTAssertEqual(try SweepDesign("lhs:7"), .latinHypercube(7))
    }

    func testJSONPathSettingAndErrors() throws {
        let doc = try JSONReader.parse("{\"plans\": {\"a\": {\"nodes\": {\"gpu.t4\": {\"max\": 3}}}}, \"workload\": [{\"rate\": 1}]}", file: "f")
        var p = try JSONPath("plans.a.nodes[\"gpu.t4\"].max")
        XCTAssertEqual(p.segments, [.key("plans"), .key("a"), .key("nodes"), .key("gpu.t4"), .key("max")])
        let changed = try p.setting(.number(9), in: doc)
        guard case let .object(top) = changed.value, case let .object(plans) = top[0].value.value,
              case let .object(a) = plans[0].value.value, case let .object(nodes) = a[0].value.value,
              case let .object(gpu) = nodes[0].value.value else { return XCTFail() }
        XCTAssertEqual(gpu[0].value.value, .number(9))
        p = try JSONPath("$.workload[0].rate")
        XCTAssertNoThrow(try p.setting(.number(2), in: doc))
        XCTAssertThrowsError(try JSONPath("plans.b.target").setting(.number(1), in: doc)) { e in
            XCTAssertTrue("\(e)".contains("$.plans has no key \"b\" (did you mean 'a'?)"), "\(e)")
        }
        XCTAssertThrowsError(try JSONPath("workload[3].rate").setting(.number(1), in: doc)) { e in
            XCTAssertTrue("\(e)".contains("has 1 items, no [3]"), "\(e)")
        }
        XCTAssertThrowsError(try JSONPath("plans.a").setting(.number(1), in: doc)) { e in
            XCTAssertTrue("\(e)".contains("not a single value"), "\(e)")
        }
    }

    func testParetoFrontOnAHandMadeSet() {
        let points: [(Double?, Double?)] = [(1, 5), (2, 3), (2, 4), (3, 3), (4, 1), (5, 1), (1, 5), (nil, 1), (6, nil), (0.5, 9)]
        XCTAssertEqual(SweepTable.front(points), [true, true, false, false, true, false, true, nil, nil, true])
    }

    func testShardedAndMergedEqualsUnshardedByteForByte() throws {
        var spec = SweepSpec(scenarioPath: quickstart, dimensions: [try Dimension("plans.autoscaled.target=0.5..0.7 step 0.1"),
                                                                    try Dimension("plans.serverless.keepAlive=1m,10m")])
        spec.parallel = true
        let whole = try SweepRunner.run(spec).markingPareto()
        XCTAssertEqual(whole.totalVariants, 6)
        XCTAssertEqual(whole.rows.count, 18)
        XCTAssertTrue(whole.rows.contains { $0.fields.last == "1" } && whole.rows.contains { $0.fields[whole.header.count - 2] == "1" })
        var shards: [(String, String)] = []
        for i in [3, 1, 2] {
            spec.shard = (index: i, count: 3)
            let part = try SweepRunner.run(spec)
            XCTAssertEqual(Set(part.rows.map(\.variant)), Set((0..<6).filter { $0 % 3 == i - 1 }))
            shards.append(("part\(i)", part.shardFile(index: i, count: 3)))
        }
        let merged = try SweepTable.merge(shards)
        XCTAssertEqual(merged.csv(), whole.csv())
        spec.shard = nil
        spec.parallel = false
        XCTAssertEqual(try SweepRunner.run(spec).markingPareto().csv(), whole.csv(), "parallel and sequential agree")
        XCTAssertThrowsError(try SweepTable.merge(Array(shards.prefix(2)))) { e in XCTAssertTrue("\(e)".contains("missing shard 2 of 3"), "\(e)") }
        XCTAssertThrowsError(try SweepTable.merge(shards + [shards[0]])) { e in XCTAssertTrue("\(e)".contains("shard 3 given twice"), "\(e)") }
        XCTAssertThrowsError(try SweepTable.merge([("x", "plan,cost\n")])) { e in XCTAssertTrue("\(e)".contains("not a sweep shard"), "\(e)") }
    }

    func testVariantErrorsNameTheVariant() throws {
        let spec = SweepSpec(scenarioPath: quickstart, dimensions: [try Dimension("plans.autoscaled.target=0.8..1.2 step 0.2")])
        XCTAssertThrowsError(try SweepRunner.run(spec)) { e in
            XCTAssertTrue("\(e)".contains("variant 2 (plans.autoscaled.target=1.2)"), "\(e)")
            XCTAssertTrue("\(e)".contains("expected a number ≤ 1, found 1.2"), "\(e)")
        }
        let missing = SweepSpec(scenarioPath: quickstart, dimensions: [try Dimension("plans.autoscaled.targte=0.5,0.6")])
        XCTAssertThrowsError(try SweepRunner.run(missing)) { e in XCTAssertTrue("\(e)".contains("did you mean 'target'?"), "\(e)") }
    }
}

extension SweepTests {
    func testSweepReportHasTheScatterAndTheFront() throws {
        let spec = SweepSpec(scenarioPath: quickstart, dimensions: [try Dimension("plans.reserved.nodes[\"cpu.c5xl\"]=2,3")])
        let table = try SweepRunner.run(spec).markingPareto()
        let html = SweepReport.html(table)
        XCTAssertTrue(html.contains("Cost vs p99 latency (every variant × plan)"))
        XCTAssertEqual(html.components(separatedBy: "<svg ").count - 1, 2)
        XCTAssertEqual(html.components(separatedBy: "<circle").count - 1, 2 * table.rows.count, "a dot per run in each chart")
        XCTAssertTrue(html.contains("<code>plans.reserved.nodes[\"cpu.c5xl\"]</code>".replacingOccurrences(of: "\"", with: "&quot;")))
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertEqual(SweepTable.unquoted("\"a \"\"b\"\"\""), "a \"b\"")
    }
}
