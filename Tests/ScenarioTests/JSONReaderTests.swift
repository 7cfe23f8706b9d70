import XCTest
@testable import Scenario

final class JSONReaderTests: XCTestCase {
    func testValuesPositionsAndOrder() throws {
        let node = try JSONReader.parse("{\n  \"b\": [1, -2.5e2, true, null],\n  \"a\": \"x\\u00e9\\n\"\n}", file: "f")
        guard case let .object(members) = node.value else { return XCTFail() }
        XCTAssertEqual(members.map(\.key), ["b", "a"], "key order is kept")
        XCTAssertEqual(members[1].line, 3)
        XCTAssertEqual(members[1].column, 3)
        XCTAssertEqual(members[1].value.value, .string("xé\n"))
        guard case let .array(items) = members[0].value.value else { return XCTFail() }
        XCTAssertEqual(items.map(\.value), [.number(1), .number(-250), .bool(true), .null])
        XCTAssertEqual(items[1].column, 12)
    }

    func testErrorsCarryLineAndColumn() {
        let cases: [(String, Int, Int, String)] = [
            ("{\n  \"a\": 1,\n}", 3, 1, "trailing comma"),
            ("{\"a\": 1, \"a\": 2}", 1, 10, "appears twice"),
            ("[1, 2", 1, 6, "unterminated array"),
            ("{\"a\": tru}", 1, 7, "unexpected word"),
            ("{\"a\": 01}", 1, 9, "leading zeros"),
            ("{} x", 1, 4, "after the JSON document"),
            ("// note\n{}", 1, 1, "comments are not JSON"),
        ]
        for (text, line, column, fragment) in cases {
            XCTAssertThrowsError(try JSONReader.parse(text, file: "f.json"), text) { error in
                guard let e = error as? ScenarioError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.line, line, text)
                XCTAssertEqual(e.column, column, text)
                XCTAssertTrue(e.message.contains(fragment), "\(text): \(e.message)")
            }
        }
    }

    func testSuggestions() {
        XCTAssertEqual(Suggest.closest(to: "concurency", in: ["concurrency", "queueLimit"]), "concurrency")
        XCTAssertNil(Suggest.closest(to: "zzz", in: ["concurrency"]))
        XCTAssertEqual(Suggest.distance("kitten", "sitting"), 3)
    }
}

/// Input handling stays near-linear in the input's size.
final class LargeInputTests: XCTestCase {
    /// The duplicate-key check switches to a set in large objects: still exact on both sides
    /// of the switch, and at the right position.
    func testDuplicateKeysInLargeObjects() throws {
        for n in [3, 15, 16, 17, 5000] {
            let keys = (0..<n).map { "\"k\($0)\": \($0)" }
            XCTAssertNoThrow(try JSONReader.parse("{" + keys.joined(separator: ", ") + "}", file: "f"))
            let text = "{" + (keys + ["\"k\(n / 2)\": 0"]).joined(separator: ", ") + "}"
            XCTAssertThrowsError(try JSONReader.parse(text, file: "f")) { error in
                XCTAssertTrue("\(error)".contains("key \"k\(n / 2)\" appears twice"), "\(n): \(error)")
            }
        }
    }

    /// Suggestions: long words get none, and candidates too different in length are skipped;
    /// ordinary typos still find their match.
    func testSuggestionsStayBounded() {
        XCTAssertEqual(Suggest.closest(to: "laod", in: ["load", "init", "warmup"]), "load")
        XCTAssertEqual(Suggest.closest(to: "serivce", in: ["service", "concurrency"]), "service")
        let long = String(repeating: "x", count: 20_000)
        XCTAssertNil(Suggest.closest(to: long, in: [long + "y"]), "a 20,000-character word is not a typo")
        XCTAssertNil(Suggest.closest(to: "abc", in: [String(repeating: "a", count: 100_000)]))
    }
}
