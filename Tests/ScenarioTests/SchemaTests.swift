import Foundation
import XCTest
@testable import Scenario

/// Scenarios/schema.json against the bundled scenarios and against the decoder.
final class SchemaTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func load(_ relative: String) throws -> JSONNode {
        let path = root.appendingPathComponent(relative).path
        return try JSONReader.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
    }

    var kitchenSinkPath: String { "Tests/ScenarioTests/Fixtures/kitchen-sink.json" }

    func testEveryBundledScenarioValidatesAndReferencesTheSchema() throws {
        let validator = SchemaValidator(root: try load("Scenarios/schema.json"))
        let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Scenarios").path)
            .filter { $0.hasSuffix(".json") && $0 != "schema.json" }.sorted()
        XCTAssertFalse(files.isEmpty)
        for file in files + ["../" + kitchenSinkPath] {
            let doc = try load("Scenarios/" + file)
            var allowed: [String: Set<String>] = [:]
            XCTAssertEqual(validator.validate(doc, validator.root, path: "$", allowed: &allowed), [], file)
            if !file.hasPrefix("..") {
                XCTAssertEqual(SchemaValidator.member(doc, "$schema")?.value, .string("schema.json"), "\(file) names the schema for editors")
            }
        }
    }

    func testSchemaRejectsWhatTheDecoderRejects() throws {
        let validator = SchemaValidator(root: try load("Scenarios/schema.json"))
        var allowed: [String: Set<String>] = [:]
        let bad = try JSONReader.parse("{\"name\": \"x\", \"duration\": \"ten\", \"hardware\": {}, \"models\": {}, \"workload\": [], \"plans\": {}}", file: "t")
        let errors = validator.validate(bad, validator.root, path: "$", allowed: &allowed)
        XCTAssertTrue(errors.contains { $0.hasPrefix("$.duration") }, "\(errors)")
        XCTAssertTrue(errors.contains { $0.hasPrefix("$: too few keys") || $0.contains("too few") }, "\(errors)")
    }

    /// Every object of the kitchen sink (which uses every key of the format, in every
    /// variant): the keys the decoder accepts there equal the keys the schema allows there.
    func testSchemaAndDecoderAcceptTheSameKeys() throws {
        let validator = SchemaValidator(root: try load("Scenarios/schema.json"))
        let sink = try load(kitchenSinkPath)
        var allowed: [String: Set<String>] = [:]
        XCTAssertEqual(validator.validate(sink, validator.root, path: "$", allowed: &allowed), [])
        XCTAssertNoThrow(try ScenarioLoader.decode(root: sink, file: "sink.json"))
        XCTAssertGreaterThan(allowed.count, 30)

        // The kitchen sink uses every key the schema names anywhere.
        var schemaKeys = Set<String>()
        func collect(_ node: JSONNode) {
            switch node.value {
            case let .object(members):
                for m in members {
                    if m.key == "properties" { for p in SchemaValidator.members(m.value) { schemaKeys.insert(p.key) } }
                    collect(m.value)
                }
            case let .array(items): items.forEach(collect)
            default: break
            }
        }
        collect(validator.root)
        var sinkKeys = Set<String>()
        func keys(_ node: JSONNode) {
            switch node.value {
            case let .object(members): for m in members { sinkKeys.insert(m.key); keys(m.value) }
            case let .array(items): items.forEach(keys)
            default: break
            }
        }
        keys(sink)
        XCTAssertEqual(schemaKeys.subtracting(sinkKeys), [], "keys the schema allows that the kitchen sink never uses")

        // Inject an unknown key into each object: the decoder's list of valid keys there must
        // be the schema's.
        for (path, schemaAllowed) in allowed.sorted(by: { $0.key < $1.key }) {
            let injected = try inject(into: sink, at: path)
            do {
                _ = try ScenarioLoader.decode(root: injected, file: "sink.json")
                XCTFail("\(path): the decoder accepted an unknown key")
            } catch let e as ScenarioError {
                XCTAssertEqual(e.path, ObjectReader.join(path, "zzzUnknown"), "\(path): \(e.description)")
                let hint = try XCTUnwrap(e.suggestion, path)
                let prefix = "valid keys here are "
                XCTAssertTrue(hint.hasPrefix(prefix), "\(path): \(hint)")
                let decoderKeys = Set(hint.dropFirst(prefix.count).components(separatedBy: ", ").map { String($0.dropFirst().dropLast()) })
                XCTAssertEqual(decoderKeys, schemaAllowed, "keys at \(path): decoder vs schema")
            }
            var again: [String: Set<String>] = [:]
            XCTAssertFalse(validator.validate(injected, validator.root, path: "$", allowed: &again).isEmpty, "\(path): the schema accepts an unknown key")
        }
    }

    /// The document with `"zzzUnknown": 1` added to the object at a JSON path.
    func inject(into node: JSONNode, at path: String) throws -> JSONNode {
        func walk(_ n: JSONNode, _ here: String) -> JSONNode {
            switch n.value {
            case var .object(members):
                if here == path {
                    members.append(JSONMember(key: "zzzUnknown", line: n.line, column: n.column, value: JSONNode(value: .number(1), line: n.line, column: n.column)))
                    return JSONNode(value: .object(members), line: n.line, column: n.column)
                }
                for k in members.indices { members[k].value = walk(members[k].value, ObjectReader.join(here, members[k].key)) }
                return JSONNode(value: .object(members), line: n.line, column: n.column)
            case var .array(items):
                for k in items.indices { items[k] = walk(items[k], "\(here)[\(k)]") }
                return JSONNode(value: .array(items), line: n.line, column: n.column)
            default:
                return n
            }
        }
        return walk(node, "$")
    }
}
