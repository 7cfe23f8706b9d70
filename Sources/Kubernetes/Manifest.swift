import Scenario

/// One Kubernetes object read from a file: what `kubectl get … -o json` prints, alone or as an
/// item of a `List`, with where it stands so every error can say so.
public struct ManifestObject: Sendable {
    public var file: String
    public var node: JSONNode
    public var apiVersion: String
    public var kind: String
    public var name: String

    /// `Kind/name`, as kubectl names objects.
    public var title: String { "\(kind)/\(name)" }

    /// The API group without its version (`apps`, `serving.knative.dev`; "" for the core group).
    public var group: String {
        guard let slash = apiVersion.lastIndex(of: "/") else { return "" }
        return String(apiVersion[..<slash])
    }

    /// The value at a dotted field path (`spec.template.spec.containers[0]`), or nil.
    public func field(_ path: String) -> JSONNode? { Manifest.lookup(node, path) }

    /// An error about the field at `path` of this object, placed at the field (or the object).
    func error(_ path: String, _ message: String, suggestion: String? = nil,
               raisedIn sourceFile: String = #fileID, at sourceLine: Int = #line) -> ScenarioError {
        let at = field(path) ?? node
        return ScenarioError(file: file, line: at.line, column: at.column, path: "\(title) \(path)", message: message,
                             suggestion: suggestion, raisedIn: sourceFile, at: sourceLine)
    }

    /// The string at `path`, nil when absent; an error when present and not a string.
    func string(_ path: String) throws -> String? {
        guard let n = field(path) else { return nil }
        guard case let .string(s) = n.value else { throw error(path, "expected a string, found \(n.value.kindDescription)") }
        return s
    }

    /// The whole number at `path`, nil when absent; an error when present and not one in `range`.
    func integer(_ path: String, in range: ClosedRange<Int> = 0...1_000_000) throws -> Int? {
        guard let n = field(path) else { return nil }
        guard case let .number(x) = n.value, x == x.rounded(), abs(x) < 1e15 else {
            throw error(path, "expected a whole number, found \(n.value.kindDescription)")
        }
        guard range.contains(Int(x)) else {
            throw error(path, "expected a whole number from \(range.lowerBound) to \(range.upperBound), found \(Int(x))")
        }
        return Int(x)
    }

    /// The object's members at `path` (empty when absent); an error when present and not an object.
    func members(_ path: String) throws -> [JSONMember] {
        guard let n = field(path) else { return [] }
        guard case let .object(m) = n.value else { throw error(path, "expected an object, found \(n.value.kindDescription)") }
        return m
    }

    /// The array's items at `path` (empty when absent); an error when present and not an array.
    func items(_ path: String) throws -> [JSONNode] {
        guard let n = field(path) else { return [] }
        guard case let .array(a) = n.value else { throw error(path, "expected an array, found \(n.value.kindDescription)") }
        return a
    }
}

/// Reading manifest files and walking their fields.
public enum Manifest {
    /// The objects of one file's JSON: a single object, or a `List` (kubectl's, with `items`).
    public static func objects(in root: JSONNode, file: String) throws -> [ManifestObject] {
        guard case let .object(members) = root.value else {
            throw ScenarioError(file: file, line: root.line, column: root.column,
                                message: "expected a Kubernetes object or a List (what `kubectl get … -o json` prints), found \(root.value.kindDescription)")
        }
        let kind = members.first { $0.key == "kind" }?.value
        if case .string("List")? = kind?.value, let items = members.first(where: { $0.key == "items" })?.value {
            guard case let .array(list) = items.value else {
                throw ScenarioError(file: file, line: items.line, column: items.column, path: "items",
                                    message: "expected the List's items as an array, found \(items.value.kindDescription)")
            }
            return try list.enumerated().map { try object($0.element, file: file, place: "items[\($0.offset)]") }
        }
        return [try object(root, file: file, place: "")]
    }

    static func object(_ node: JSONNode, file: String, place: String) throws -> ManifestObject {
        func text(_ key: String, _ expected: String) throws -> String {
            guard let n = lookup(node, key) else {
                throw ScenarioError(file: file, line: node.line, column: node.column, path: place.isEmpty ? key : "\(place).\(key)",
                                    message: "expected \(expected) in every Kubernetes object, found none")
            }
            guard case let .string(s) = n.value, !s.isEmpty else {
                throw ScenarioError(file: file, line: n.line, column: n.column, path: place.isEmpty ? key : "\(place).\(key)",
                                    message: "expected \(expected) as a non-empty string, found \(n.value.kindDescription)")
            }
            return s
        }
        guard case .object = node.value else {
            throw ScenarioError(file: file, line: node.line, column: node.column, path: place,
                                message: "expected a Kubernetes object, found \(node.value.kindDescription)")
        }
        return ManifestObject(file: file, node: node, apiVersion: try text("apiVersion", "an apiVersion"), kind: try text("kind", "a kind"),
                              name: try text("metadata.name", "a metadata.name"))
    }

    /// The value at a dotted path with array indices (`spec.containers[0].resources`), or nil.
    /// Keys holding dots (annotation names) are read with `JSONNode.member(_:)` instead.
    public static func lookup(_ node: JSONNode, _ path: String) -> JSONNode? {
        var current = node
        for part in path.split(separator: ".") {
            var key = Substring(part)
            var index: Int?
            if let open = key.firstIndex(of: "["), key.last == "]" {
                index = Int(key[key.index(after: open)..<key.index(before: key.endIndex)])
                key = key[..<open]
            }
            guard case let .object(members) = current.value, let next = members.first(where: { $0.key == key })?.value else { return nil }
            current = next
            if let index {
                guard case let .array(items) = current.value, items.indices.contains(index) else { return nil }
                current = items[index]
            }
        }
        return current
    }

}
