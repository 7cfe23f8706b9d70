import Foundation
@testable import Scenario

/// A small JSON Schema (2020-12) validator for the keywords Scenarios/schema.json uses. It also
/// records, for every object validated against a schema with `properties`, the keys that
/// schema allows — so a test can compare them with the keys the decoder accepts there.
struct SchemaValidator {
    let root: JSONNode

    static func members(_ node: JSONNode) -> [JSONMember] {
        if case let .object(m) = node.value { return m }
        return []
    }

    static func member(_ node: JSONNode, _ key: String) -> JSONNode? {
        members(node).first { $0.key == key }?.value
    }

    func resolve(_ ref: String) -> JSONNode {
        precondition(ref.hasPrefix("#/"), "only local references")
        var node = root
        for part in ref.dropFirst(2).split(separator: "/") { node = Self.member(node, String(part))! }
        return node
    }

    static func typeName(_ v: JSONValue) -> [String] {
        switch v {
        case .null: return ["null"]
        case .bool: return ["boolean"]
        case let .number(n): return n == n.rounded() ? ["number", "integer"] : ["number"]
        case .string: return ["string"]
        case .array: return ["array"]
        case .object: return ["object"]
        }
    }

    /// Errors (empty when valid). `allowed` collects allowed keys per object path.
    func validate(_ x: JSONNode, _ schema: JSONNode, path: String, allowed: inout [String: Set<String>]) -> [String] {
        var errors: [String] = []
        if case .bool(let b) = schema.value { return b ? [] : ["\(path): false schema"] }
        if let ref = Self.member(schema, "$ref"), case let .string(r) = ref.value {
            errors += validate(x, resolve(r), path: path, allowed: &allowed)
        }
        if let t = Self.member(schema, "type") {
            var names: [String] = []
            if case let .string(s) = t.value { names = [s] }
            if case let .array(items) = t.value { names = items.compactMap { if case let .string(s) = $0.value { return s }; return nil } }
            if !names.contains(where: Self.typeName(x.value).contains) { errors.append("\(path): expected \(names), found \(x.value.kindDescription)") }
        }
        if let c = Self.member(schema, "const"), c.value != x.value { errors.append("\(path): expected \(c.value.kindDescription)") }
        if let e = Self.member(schema, "enum"), case let .array(options) = e.value, !options.contains(where: { $0.value == x.value }) {
            errors.append("\(path): not one of the allowed values")
        }
        if case let .number(n) = x.value {
            if let m = Self.member(schema, "minimum"), case let .number(v) = m.value, n < v { errors.append("\(path): below minimum") }
            if let m = Self.member(schema, "maximum"), case let .number(v) = m.value, n > v { errors.append("\(path): above maximum") }
            if let m = Self.member(schema, "exclusiveMinimum"), case let .number(v) = m.value, n <= v { errors.append("\(path): not above exclusiveMinimum") }
        }
        if case let .string(s) = x.value, let p = Self.member(schema, "pattern"), case let .string(pattern) = p.value,
           s.range(of: pattern, options: .regularExpression) == nil {
            errors.append("\(path): \"\(s)\" does not match \(pattern)")
        }
        if case let .array(items) = x.value {
            if let m = Self.member(schema, "minItems"), case let .number(v) = m.value, Double(items.count) < v { errors.append("\(path): too few items") }
            if let itemSchema = Self.member(schema, "items") {
                for (k, item) in items.enumerated() { errors += validate(item, itemSchema, path: "\(path)[\(k)]", allowed: &allowed) }
            }
        }
        if case let .object(members) = x.value {
            let properties = Self.member(schema, "properties").map(Self.members) ?? []
            let patterns = Self.member(schema, "patternProperties").map(Self.members) ?? []
            if Self.member(schema, "properties") != nil { allowed[path] = Set(properties.map(\.key)) }
            if let m = Self.member(schema, "minProperties"), case let .number(v) = m.value, Double(members.count) < v { errors.append("\(path): too few keys") }
            if let r = Self.member(schema, "required"), case let .array(keys) = r.value {
                for k in keys { if case let .string(key) = k.value, !members.contains(where: { $0.key == key }) { errors.append("\(path): missing \(key)") } }
            }
            for m in members {
                let childPath = ObjectReader.join(path, m.key)
                if let names = Self.member(schema, "propertyNames"), !validate(JSONNode(value: .string(m.key), line: 0, column: 0), names, path: childPath, allowed: &allowed).isEmpty {
                    errors.append("\(childPath): key name not allowed")
                }
                if let p = properties.first(where: { $0.key == m.key }) {
                    errors += validate(m.value, p.value, path: childPath, allowed: &allowed)
                } else if let p = patterns.first(where: { m.key.range(of: $0.key, options: .regularExpression) != nil }) {
                    errors += validate(m.value, p.value, path: childPath, allowed: &allowed)
                } else if let extra = Self.member(schema, "additionalProperties") {
                    if case .bool(false) = extra.value { errors.append("\(childPath): key not allowed") }
                    else { errors += validate(m.value, extra, path: childPath, allowed: &allowed) }
                }
            }
        }
        for keyword in ["anyOf", "oneOf"] {
            guard let b = Self.member(schema, keyword), case let .array(branches) = b.value else { continue }
            var passing: [[String: Set<String>]] = []
            for branch in branches {
                var recorded: [String: Set<String>] = [:]
                if validate(x, branch, path: path, allowed: &recorded).isEmpty { passing.append(recorded) }
            }
            if passing.isEmpty || (keyword == "oneOf" && passing.count > 1) {
                errors.append("\(path): \(passing.count) branches of \(keyword) match")
            } else {
                allowed.merge(passing[0]) { a, _ in a }
            }
        }
        return errors
    }
}
