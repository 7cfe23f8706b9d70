import Foundation
import XCTest
@testable import HeadroomCLI
import Scenario
import Simulator
import Glibc

/// The error-message audit: every place Headroom raises an error about a scenario or a trace
/// (each `throw` of the decoder, the readers, plan checks, run selection and budgets) is
/// reached by a case below, and every message it gives is one a user can act on — it names
/// the file and a line/column or JSON path, says what was found or what was expected, in one
/// sentence, with no Foundation error domain or Swift debug text.
///
/// Completeness is checked against the source: each error records where it was raised
/// (`ScenarioError.raisedAt`), and the test scans the audited files for their throw sites.
/// A new throw site without a case fails here until a case reaches it.
final class ErrorAuditTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The files whose every throw site must be reached.
    static let audited = [
        "Scenario/ScenarioDecoder.swift", "Scenario/ScenarioDecoder+Models.swift", "Scenario/ScenarioDecoder+Workload.swift",
        "Scenario/ScenarioDecoder+Plans.swift", "Scenario/ScenarioDecoder+Checks.swift", "Scenario/ScenarioDecoder+Engine.swift",
        "Scenario/ScenarioDecoder+EngineModel.swift",
        "Scenario/ObjectReader.swift", "Scenario/JSONReader.swift", "Scenario/WorkerSpec.swift",
        "Simulator/TraceReader.swift", "Simulator/TraceReader+Azure.swift", "Simulator/TraceReader+Mooncake.swift", "Simulator/FunctionCountsTrace.swift", "Simulator/Runner.swift", "Simulator/RunBudget.swift",
        "Planning/PlanBuilder.swift",
    ]

    /// One way to get an error: edits to the kitchen-sink scenario (every key of the format),
    /// or whole file text, or trace files replaced; then what `validate` (or `run`) does.
    struct Case {
        var name: String
        /// `path` (segments split by "/", array indices as numbers) → JSON text, or nil to remove.
        var edits: [(String, String?)] = []
        /// The scenario's whole text instead of the kitchen sink.
        var text: String? = nil
        /// Trace files of the kitchen sink's folder replaced.
        var traces: [String: String] = [:]
        /// Other files put beside the scenario, as bytes (a model config that is not UTF-8).
        var files: [String: [UInt8]] = [:]
        /// `--plan` names, checked as `run` does.
        var plans: [String] = []
        /// Budget: a run over this many requests (or timeseries rows) is refused.
        var maxRequests: Double? = nil
        var maxRows: Double? = nil
        /// The scenario's whole content as bytes (for text that is not UTF-8).
        var bytes: [UInt8]? = nil
        /// Load the scenario's folder instead of the file.
        var folder = false
        /// Load a file that does not exist instead.
        var missing = false
        /// Read the file as `--set` does (JSON only) instead of loading it.
        var readOnly = false
        /// The error is about the file as a whole (it cannot be opened or decoded as text):
        /// there is no line or JSON path to give.
        var wholeFile = false
        /// A fragment the error must contain.
        var expect: String
    }

    static let traces: [String: String] = [
        "trace.csv": "time,target,caller,version\n0,rank,web,a\n1.5,embed,web,b\n3,rank,web,a\n",
        "llm.csv": "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n",
        "invocations.txt": "app,func,end_timestamp,duration\na,f00d,5.5,0.5\na,beef,9,1.25\n",
        "mooncake.jsonl": "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0, 1]}\n{\"timestamp\": 1500, \"input_length\": 1100, \"output_length\": 7, \"hash_ids\": [0, 1, 2]}\n",
        "functions.csv": "HashOwner,HashApp,HashFunction,Trigger," + (1...1440).map(String.init).joined(separator: ",") + "\n"
            + "o,a,9a3e4e0b,http," + (1...1440).map { String($0 % 3) }.joined(separator: ",") + "\n",
    ]

    func value(_ text: String) throws -> JSONNode { try JSONReader.parse(text, file: "(case)") }

    /// `root` with the value at `path` replaced, added (objects) or removed (nil).
    func edit(_ node: JSONNode, _ path: ArraySlice<Substring>, _ value: JSONNode?) throws -> JSONNode? {
        guard let head = path.first else { return value }
        var node = node
        switch node.value {
        case var .object(members):
            let key = String(head)
            if let k = members.firstIndex(where: { $0.key == key }) {
                if let v = try edit(members[k].value, path.dropFirst(), value) { members[k].value = v } else { members.remove(at: k) }
            } else {
                guard path.count == 1, let value else { throw XCTSkip("no key \(key) to edit") }
                members.append(JSONMember(key: key, value: value))
            }
            node.value = .object(members)
        case var .array(items):
            guard let k = Int(head), k < items.count else { throw XCTSkip("no index \(head)") }
            if let v = try edit(items[k], path.dropFirst(), value) { items[k] = v } else { items.remove(at: k) }
            node.value = .array(items)
        default:
            throw XCTSkip("cannot descend into a scalar at \(head)")
        }
        return node
    }

    /// Runs a case in a fresh folder; returns the error it raised.
    func raise(_ c: Case) throws -> Error? {
        let folder = NSTemporaryDirectory() + "headroom-audit-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (name, text) in Self.traces.merging(c.traces, uniquingKeysWith: { $1 }) {
            try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        }
        for (name, bytes) in c.files { try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + name)) }
        var text = try c.text ?? String(contentsOfFile: root.appendingPathComponent("Tests/ScenarioTests/Fixtures/kitchen-sink.json").path, encoding: .utf8)
        if !c.edits.isEmpty {
            var node = try JSONReader.parse(text, file: "kitchen-sink.json")
            for (path, json) in c.edits {
                node = try XCTUnwrap(edit(node, path.split(separator: "/", omittingEmptySubsequences: false)[...], try json.map(value)))
            }
            text = node.text()
        }
        var file = folder + "/scenario.json"
        if let bytes = c.bytes { try Data(bytes).write(to: URL(fileURLWithPath: file)) } else { try text.write(toFile: file, atomically: true, encoding: .utf8) }
        if c.folder { file = folder }
        if c.missing { file = folder + "/no-such.json" }
        do {
            if c.readOnly { _ = try ScenarioLoader.read(path: file); return nil }
            let scenario = try ScenarioLoader.load(path: file)
            _ = try Runner.validate(scenario)
            _ = try Runner.selectPlans(scenario, names: c.plans)
            if c.maxRequests != nil || c.maxRows != nil {
                var budget = RunBudget()
                budget.maxRequests = c.maxRequests ?? budget.maxRequests
                budget.maxRows = c.maxRows ?? budget.maxRows
                try budget.check(WorkEstimate.of(scenario, plans: scenario.plans.count, interval: 60), scenario: scenario)
            }
            return nil
        } catch {
            return error
        }
    }

    /// Throw sites in the audited files: lines that throw a newly made error.
    func throwSites() throws -> [String: String] {
        var sites: [String: String] = [:]
        let pattern = try NSRegularExpression(pattern: #"\bthrow\s+([A-Za-z]+\.)?(error|fail|ScenarioError)\("#)
        for file in Self.audited {
            let text = try String(contentsOfFile: root.appendingPathComponent("Sources/" + file).path, encoding: .utf8)
            for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let s = String(line)
                if pattern.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil {
                    sites["\(file):\(k + 1)"] = s.trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return sites
    }

    /// What every message must be.
    func audit(_ c: Case, _ e: ScenarioError) {
        let text = "Error: " + e.description
        let tag = "\(c.name) [\(e.raisedAt)]: \(text)"
        XCTAssertTrue(text.contains(c.expect), "\(tag)\n  expected to contain: \(c.expect)")
        XCTAssertTrue(text.hasPrefix("Error: \(e.file)"), "names the file: \(tag)")
        XCTAssertTrue(e.line != nil || e.path != nil || c.wholeFile, "a line or a JSON path: \(tag)")
        if let p = e.path { XCTAssertTrue(p.hasPrefix("$") || p.hasPrefix("column "), "a JSON path or a column: \(tag)") }
        for bad in ["ErrorDomain", "Error Domain", "Optional(", "nan", "inf ", "Swift.", "<unknown>", "(null)"] {
            XCTAssertFalse(e.message.contains(bad), "no \(bad): \(tag)")
        }
        // One sentence: no full stop followed by a new capitalised sentence.
        XCTAssertNil(e.message.range(of: #"[.!?] +[A-Z]"#, options: .regularExpression), "one sentence: \(tag)")
        XCTAssertFalse(e.message.hasSuffix("."), "no trailing full stop (the hint follows): \(tag)")
        let says = ["expected", "found", "unknown", "must", "needs", "need ", "cannot", "at most", "at least", "define", "no ", "not ",
                    "is empty", "missing", "cycle", "appears twice", "unterminated", "unexpected", "out of range", "invalid", "twice", "only", "exceeds", "over "]
        XCTAssertTrue(says.contains { e.message.lowercased().contains($0) }, "says what is wrong or expected: \(tag)")
    }

    func testEveryThrowSiteIsReachedAndSaysWhatToDo() throws {
        let sites = try throwSites()
        XCTAssertGreaterThan(sites.count, 100, "the scan found the throw sites")
        var reached: [String: String] = [:]
        for c in Self.cases {
            let error = try raise(c)
            guard let e = error as? ScenarioError else {
                XCTFail("\(c.name): expected a scenario error, got \(error.map { "\($0)" } ?? "none")")
                continue
            }
            audit(c, e)
            XCTAssertNotNil(sites[e.raisedAt], "\(c.name): raised at \(e.raisedAt), which the scan does not list as a throw site")
            reached[e.raisedAt, default: c.name] = c.name
        }
        let missing = sites.keys.filter { reached[$0] == nil }.sorted()
        XCTAssertTrue(missing.isEmpty, "\(missing.count) of \(sites.count) throw sites have no case:\n"
                      + missing.map { "  \($0): \(sites[$0]!)" }.joined(separator: "\n"))
        print("error audit: \(Self.cases.count) cases reach \(reached.count) of \(sites.count) throw sites")
    }
}

extension ErrorAuditTests {
    static let cases: [Case] = json + loading + objects + hardware + models + engines + versions + pipelines + workload + plans + gates + checks + workers + traceFiles

    /// The JSON reader, one case per kind of malformed text.
    static let json: [Case] = [
        Case(name: "cut short", text: "{ \"name\": ", expect: "unexpected end of file"),
        Case(name: "text after", text: "{} x", expect: "unexpected text after the JSON document"),
        Case(name: "deep", text: String(repeating: "[", count: 201), expect: "nesting deeper than 200 levels"),
        Case(name: "comment", text: "// note\n{}", expect: "comments are not JSON"),
        Case(name: "odd character", text: "{\"a\": @}", expect: "unexpected character '@'"),
        Case(name: "odd word", text: "{\"a\": tru}", expect: "unexpected word"),
        Case(name: "bare minus", text: "{\"a\": -}", expect: "a number needs digits"),
        Case(name: "leading zero", text: "{\"a\": 01}", expect: "leading zeros"),
        Case(name: "bare point", text: "{\"a\": 1.}", expect: "a decimal point needs digits"),
        Case(name: "bare exponent", text: "{\"a\": 1e}", expect: "an exponent needs digits"),
        Case(name: "huge number", text: "{\"a\": 1e999}", expect: "number 1e999 is out of range"),
        Case(name: "open string", text: "{\"a\": \"abc", expect: "unterminated string"),
        Case(name: "line break in string", text: "{\"a\": \"a\nb\"}", expect: "line break inside a string"),
        Case(name: "open escape", text: "{\"a\": \"\\", expect: "unterminated escape"),
        Case(name: "lone high surrogate", text: "{\"a\": \"\\uD800x\"}", expect: "unpaired surrogate"),
        Case(name: "high then not low", text: "{\"a\": \"\\uD800\\u0041\"}", expect: "unpaired surrogate"),
        Case(name: "lone low surrogate", text: "{\"a\": \"\\uDC00\"}", expect: "lone low surrogate"),
        Case(name: "unknown escape", text: "{\"a\": \"\\q\"}", expect: "unknown escape \\q"),
        Case(name: "short u escape", text: "{\"a\": \"\\u12", expect: "short \\u escape"),
        Case(name: "bad hex", text: "{\"a\": \"\\u12G4\"}", expect: "bad hex digit"),
        Case(name: "open array", text: "{\"a\": [1", expect: "unterminated array"),
        Case(name: "array trailing comma", text: "{\"a\": [1,]}", expect: "trailing comma in array"),
        Case(name: "array missing comma", text: "{\"a\": [1 2]}", expect: "expected , or ] in array"),
        Case(name: "object trailing comma", text: "{\"a\": 1,}", expect: "trailing comma in object"),
        Case(name: "unquoted key", text: "{a: 1}", expect: "expected a key in double quotes"),
        Case(name: "duplicate key", text: "{\"a\": 1, \"a\": 2}", expect: "key \"a\" appears twice"),
        Case(name: "missing colon", text: "{\"a\" 1}", expect: "expected : after key \"a\""),
        Case(name: "open object", text: "{\"a\": 1", expect: "unterminated object"),
        Case(name: "object missing comma", text: "{\"a\": 1 \"b\": 2}", expect: "expected , or } in object"),
    ]

    /// Reading the file itself.
    static let loading: [Case] = [
        Case(name: "a folder", folder: true, wholeFile: true, expect: "is a folder, expected a scenario file"),
        Case(name: "no such file", missing: true, wholeFile: true, expect: "no such file"),
        Case(name: "not UTF-8", bytes: [0x7B, 0xFF, 0xFE, 0x7D], wholeFile: true, expect: "is not UTF-8 text"),
        Case(name: "not UTF-8 for --set", bytes: [0x7B, 0xFF, 0xFE, 0x7D], readOnly: true, wholeFile: true, expect: "is not UTF-8 text"),
    ]

    /// The typed readers every key goes through.
    static let objects: [Case] = [
        Case(name: "root not an object", text: "[]", expect: "expected a scenario object, found an array"),
        Case(name: "missing name", edits: [("name", nil)], expect: "missing key \"name\""),
        Case(name: "unknown key", edits: [("seeds", "5")], expect: "unknown key \"seeds\""),
        Case(name: "name a number", edits: [("name", "5")], expect: "expected a string, found"),
        Case(name: "name empty", edits: [("name", "\" \"")], expect: "expected a scenario name, found an empty one"),
        Case(name: "model without a name", edits: [("models/", "{}")], expect: "expected a name for each of the models, found an empty one"),
        Case(name: "price a string", edits: [("hardware/cpu/pricePerHour", "\"cheap\"")], expect: "expected a number, found"),
        Case(name: "price negative", edits: [("hardware/cpu/pricePerHour", "-1")], expect: "expected a number ≥ 0, found -1"),
        Case(name: "price huge", edits: [("hardware/cpu/pricePerHour", "1e7")], expect: "expected a number ≤ 1000000"),
        Case(name: "seed a string", edits: [("seed", "\"x\"")], expect: "expected a whole number ≥ 0, found"),
        Case(name: "seed fractional", edits: [("seed", "1.5")], expect: "expected a whole number ≥ 0, found 1.5"),
        Case(name: "seed huge", edits: [("seed", "1e16")], expect: "expected a whole number from 0 to 999999999999999, found 1e+16"),
        Case(name: "duration unit", edits: [("duration", "\"5 parsecs\"")], expect: "expected a duration such as"),
        Case(name: "duration a bool", edits: [("duration", "true")], expect: "expected a duration (\"30s\", or a number of seconds), found"),
        Case(name: "duration zero", edits: [("duration", "0")], expect: "expected a positive duration, found 0 s"),
        Case(name: "duration long", edits: [("duration", "\"11y\"")], expect: "expected a duration such as"),
        Case(name: "duration too long", edits: [("duration", "400000000")], expect: "at most 10 years"),
        Case(name: "uniform upside down", edits: [("models/chat/image/pull", "{\"dist\": \"uniform\", \"min\": \"9s\", \"max\": \"1s\"}")], expect: "max must not be below min"),
        Case(name: "empirical one point", edits: [("models/embed/service/percentiles", "{\"0\": \"1s\"}")], expect: "at least the percentiles \"0\" and \"100\""),
        Case(name: "empirical bad key", edits: [("models/embed/service/percentiles", "{\"0\": \"1s\", \"p99\": \"2s\"}")], expect: "percentile keys are numbers from 0 to 100, found \"p99\""),
        Case(name: "empirical no 100", edits: [("models/embed/service/percentiles", "{\"0\": \"1s\", \"50\": \"2s\"}")], expect: "must include \"0\" and \"100\""),
        Case(name: "empirical decreasing", edits: [("models/embed/service/percentiles", "{\"0\": \"1s\", \"50\": \"3s\", \"100\": \"2s\"}")], expect: "must not decrease"),
        Case(name: "unknown distribution", edits: [("models/rank/service/dist", "\"lognorml\"")], expect: "unknown distribution \"lognorml\""),
    ]

    static let hardware: [Case] = [
        Case(name: "hardware not an object", edits: [("hardware", "[]")], expect: "expected an object of node types by name"),
        Case(name: "no hardware", edits: [("hardware", "{}")], expect: "define at least one node type"),
        Case(name: "windows not an array", edits: [("hardware/gpu/stockout/windows", "{}")], expect: "expected an array of {\"from\": time, \"to\": time}"),
        Case(name: "window backwards", edits: [("hardware/gpu/stockout/windows", "[{\"from\": \"40m\", \"to\": \"30m\"}]")], expect: "the window ends before it begins"),
        Case(name: "waves not an array", edits: [("hardware/gpu/spot/waves", "\"1h\"")], expect: "expected an array of times"),
        Case(name: "interrupted odd", edits: [("hardware/gpu/spot/interrupted", "\"resume\"")], expect: "unknown value \"resume\"; expected \"retry\" or \"fail\""),
        Case(name: "spot never reclaimed", edits: [("hardware/gpu/spot", "{\"notice\": \"30s\"}")], expect: "needs \"interruptionsPerHour\" > 0 or \"waves\""),
    ]

    static let models: [Case] = [
        Case(name: "no models", edits: [("models", "{}")], expect: "define at least one model"),
        Case(name: "runsOn empty", edits: [("models/chat/runsOn", "[]")], expect: "expected a non-empty array of node type names"),
        Case(name: "runsOn unknown", edits: [("models/chat/runsOn", "[\"gpux\"]")], expect: "unknown node type \"gpux\""),
        Case(name: "runsOn without service", edits: [("models/chat/runsOn", "[\"gpu\", \"cpu\"]")], expect: "no service time for node type \"cpu\", which runsOn lists"),
        Case(name: "fits nowhere", edits: [("models/rank/requires/vcpus", "64")], expect: "fits no node type it may run on"),
        Case(name: "versions without version", edits: [("models/rank/version", nil)], expect: "needs its own \"version\" label"),
        Case(name: "version repeats itself", edits: [("models/rank/versions/1", "{}")], expect: "version \"1\" is the model's own version"),
        Case(name: "service keyed by unknown type", edits: [("models/chat/service/tpu", "\"1s\"")], expect: "unknown node type \"tpu\""),
    ]

    static let versions: [Case] = [
        Case(name: "version service misses a type", edits: [("models/chat/versions", "{\"2\": {\"service\": {\"cpu\": \"1s\"}}}")], expect: "no service time for node type \"gpu\", which the model runs on"),
        Case(name: "rollout to nothing", edits: [("models/chat/rollout", "{\"to\": \"2\", \"at\": \"1m\", \"strategy\": \"blue-green\"}")], expect: "the model has no other version to roll out"),
        Case(name: "rollout to unknown", edits: [("models/rank/rollout/to", "\"3\"")], expect: "unknown version \"3\""),
        Case(name: "canary without steps", edits: [("models/embed/rollout/steps", "[]")], expect: "expected a non-empty array of {\"at\": time, \"weight\": percent}"),
        Case(name: "canary steps backwards", edits: [("models/embed/rollout/steps", "[{\"at\": \"20m\", \"weight\": 5}, {\"at\": \"10m\", \"weight\": 50}]")], expect: "increasing time order"),
        Case(name: "unknown strategy", edits: [("models/rank/rollout/strategy", "\"big-bang\"")], expect: "unknown rollout strategy \"big-bang\""),
    ]

    static let pipelines: [Case] = [
        Case(name: "pipelines not an object", edits: [("pipelines", "[]")], expect: "expected an object of pipelines by name"),
        Case(name: "empty chain", edits: [("pipelines/rag", "[]")], expect: "expected a non-empty array of model names"),
        Case(name: "chain of unknown", edits: [("pipelines/rag", "[\"embed\", \"rnak\"]")], expect: "unknown model \"rnak\""),
        Case(name: "empty graph", edits: [("pipelines/fan", "{}")], expect: "a pipeline graph needs at least one stage"),
        Case(name: "graph value not array", edits: [("pipelines/fan/chat", "\"embed\"")], expect: "expected an array of the stages \"chat\" waits for"),
        Case(name: "graph unknown dependency", edits: [("pipelines/fan/chat", "[\"ocr\"]")], expect: "\"ocr\" is not a stage of pipeline \"fan\""),
        Case(name: "graph self", edits: [("pipelines/fan/chat", "[\"chat\"]")], expect: "stage \"chat\" cannot wait for itself"),
        Case(name: "graph cycle", edits: [("pipelines/fan/embed", "[\"chat\"]")], expect: "wait for each other in a cycle"),
        Case(name: "pipeline named as a model", edits: [("pipelines/rank", "[\"embed\"]")], expect: "has the name of a model"),
    ]

    static let workload: [Case] = [
        Case(name: "workload not an array", edits: [("workload", "{}")], expect: "expected an array of workload sources, found"),
        Case(name: "no workload", edits: [("workload", "[]")], expect: "define at least one workload source"),
        Case(name: "target and mix", edits: [("workload/2/target", "\"rank\"")], expect: "either a target or a mix, not both"),
        Case(name: "burst longer than every", edits: [("workload/1/length", "\"11m\"")], expect: "a burst cannot last longer than the time between bursts"),
        Case(name: "one state", edits: [("workload/4/states", "[{\"rate\": 1, \"meanStay\": \"5m\"}]")], expect: "at least two states"),
        Case(name: "unknown format", edits: [("workload/5/format", "\"tsv\"")], expect: "unknown trace format \"tsv\""),
        Case(name: "loop not a bool", edits: [("workload/5/loop", "1")], expect: "expected true or false, found"),
        Case(name: "filter on llm", edits: [("workload/6/filter", "{\"caller\": \"web\"}")], expect: "has no target, caller or version column to filter on"),
        Case(name: "filter on odd column", edits: [("workload/5/filter/region", "\"eu\"")], expect: "cannot filter on column \"region\""),
        Case(name: "filter on unknown target", edits: [("workload/5/filter/target", "[\"rank\", \"embd\"]")], expect: "unknown target \"embd\""),
        Case(name: "reorder on csv", edits: [("workload/5/reorderWindow", "\"1m\"")], expect: "\"reorderWindow\""),
        Case(name: "durations on csv", edits: [("workload/5/durations", "\"service\"")], expect: "\"durations\""),
        Case(name: "durations odd", edits: [("workload/7/durations", "\"keep\"")], expect: "unknown durations use \"keep\""),
        Case(name: "functions on csv", edits: [("workload/5/functions", "{}")], expect: "\"functions\" is for the azure-functions-2019 and azure-functions-2021 formats"),
        Case(name: "top on 2021", edits: [("workload/7/top", "5")], expect: "\"top\""),
        Case(name: "spread on 2021", edits: [("workload/7/spread", "\"random\"")], expect: "\"spread\""),
        Case(name: "spread odd", edits: [("workload/9/spread", "\"smear\"")], expect: "unknown spread \"smear\""),
        Case(name: "counts not an array", edits: [("workload/10/counts", "[]")], expect: "expected a non-empty array of arrivals per interval, found an array"),
        Case(name: "counts spread odd", edits: [("workload/10/spread", "\"even\"")], expect: "unknown spread \"even\""),
        Case(name: "count negative", edits: [("workload/10/counts", "[3, -1]")], expect: "$.workload[10].counts[1]"),
        Case(name: "unknown kind", edits: [("workload/0/kind", "\"poison\"")], expect: "unknown workload kind \"poison\""),
        Case(name: "mix empty", edits: [("workload/2/mix", "[]")], expect: "expected a non-empty array of {\"target\": name, \"weight\": w}"),
    ]

    static let plans: [Case] = [
        Case(name: "no pools", edits: [("plans/hpa/nodes", "{}")], expect: "define at least one node pool"),
        Case(name: "pool max below min", edits: [("plans/hpa/nodes/cpu", "{\"min\": 3, \"max\": 2}")], expect: "expected max ≥ min (3), found 2"),
        Case(name: "no plans", edits: [("plans", "{}")], expect: "define at least one plan"),
        Case(name: "unknown scaler", edits: [("plans/hpa/scaler", "\"target-trackin\"")], expect: "unknown scaler \"target-trackin\""),
        Case(name: "unknown metric", edits: [("plans/hpa/metric", "\"latency\"")], expect: "unknown metric \"latency\""),
        Case(name: "instances max below min", edits: [("plans/hpa/instances/chat", "{\"min\": 3, \"max\": 2}")], expect: "expected max ≥ min (3), found max 2"),
        Case(name: "unknown hosting", edits: [("plans/lambda/hosting", "\"cloud\"")], expect: "unknown hosting \"cloud\""),
        Case(name: "provider with nodes", edits: [("plans/lambda/nodes", "{\"cpu\": {\"max\": 2}}")], expect: "runs on the provider's capacity, not on nodes"),
        Case(name: "unknown serverless scaler", edits: [("plans/lambda/scaler", "\"kpb\"")], expect: "unknown serverless scaler \"kpb\""),
        Case(name: "kpa on provider", edits: [("plans/lambda/scaler", "\"kpa\"")], expect: "the Knative Pod Autoscaler needs nodes of one's own"),
        Case(name: "kpa settings on keep-alive", edits: [("plans/knative/kpa", "{\"targetUtilisation\": 0.7}")], expect: "\"kpa\" settings need \"scaler\": \"kpa\""),
        Case(name: "stable window short", edits: [("plans/kpa/kpa/stableWindow", "\"5s\"")], expect: "expected a stable window of whole seconds from 6 s to 1 h (Knative's limits), found 5 s"),
        Case(name: "unknown keep-alive policy", edits: [("plans/knative/keepAlivePolicy", "\"lru\"")], expect: "unknown keep-alive policy \"lru\""),
        Case(name: "kpa with keep-alive policy", edits: [("plans/kpa/keepAlivePolicy", "\"hybrid-histogram\"")], expect: "decides scale-down itself"),
        Case(name: "unknown policy", edits: [("plans/reserved/policy", "\"reserve\"")], expect: "unknown policy \"reserve\""),
        Case(name: "simple alarm without adjustment", edits: [("plans/simple/scaleOut", "{\"threshold\": 0.7}")], expect: "needs exactly one adjustment of \"change\", \"percent\" or \"exact\", found none"),
        Case(name: "step alarm without steps", edits: [("plans/steps/scaleOut/steps", "[]")], expect: "expected a non-empty array of steps"),
        Case(name: "simple without alarms", edits: [("plans/simple/scaleOut", nil), ("plans/simple/scaleIn", nil)], expect: "needs a scaleOut or a scaleIn alarm"),
        Case(name: "select policy odd", edits: [("plans/hpa/behavior/scaleUp/selectPolicy", "\"Maximum\"")], expect: "unknown selectPolicy \"Maximum\""),
        Case(name: "behavior policies not array", edits: [("plans/hpa/behavior/scaleUp/policies", "{}")], expect: "expected an array of {\"type\", \"value\", \"period\"}"),
        Case(name: "behavior policy type odd", edits: [("plans/hpa/behavior/scaleDown/policies/0/type", "\"Nodes\"")], expect: "unknown policy type \"Nodes\""),
        Case(name: "--plan unknown", plans: ["hpx"], expect: "no plan named \"hpx\""),
        Case(name: "over the request budget", maxRequests: 10, expect: "over the budget of 10"),
        Case(name: "over the row budget", maxRows: 10, expect: "timeseries.csv rows, over the budget of 10"),
    ]

    /// The LLM engine (`models.<m>.engine`): llm-a names a bundled profile, llm-b an inline
    /// one with a decode table, llm-c an inline one with a prefill table.
    static let engines: [Case] = [
        Case(name: "routing unknown", edits: [("models/llm-b/engine/routing", "\"round-robin\"")], expect: "unknown routing \"round-robin\""),
        Case(name: "threshold without cache-aware", edits: [("models/llm-a/engine/cacheThreshold", "0.5")], expect: "\"cacheThreshold\" is for \"routing\": \"cache-aware\" only"),
        Case(name: "kv metric without engine", edits: [("plans/hpa/metric", "\"kv-cache-usage\"")], expect: "metric kv-cache-usage scales on the engines' KV cache, and model"),
        Case(name: "plan routing unknown", edits: [("plans/reserved/routing/llm-b", "\"nearest\"")], expect: "unknown routing \"nearest\""),
        Case(name: "plan routing without engine", edits: [("plans/reserved/routing/embed", "\"cache-aware\"")], expect: "model \"embed\" has no engine"),
        // Disaggregated serving: llm-p and llm-q are a prefill and a decode pool, pipeline pd.
        Case(name: "role unknown", edits: [("models/llm-p/engine/role", "\"prefil\"")], expect: "unknown role \"prefil\""),
        Case(name: "decode pool caching", edits: [("models/llm-q/engine/prefixCaching", "true")], expect: "a decode pool computes no prompt"),
        Case(name: "kvTransfer off a decode pool", edits: [("models/llm-p/engine/kvTransfer", "{}")], expect: "\"kvTransfer\" is only for a decode pool"),
        Case(name: "pool as a target", edits: [("workload/1/target", "\"llm-q\"")], expect: "model \"llm-q\" is a decode pool: it serves only as a stage"),
        Case(name: "pool in a graph", edits: [("pipelines/fan", "{\"llm-p\": [], \"llm-q\": [\"llm-p\"]}")], expect: "is a graph: disaggregated serving runs only as a chain"),
        Case(name: "decode before prefill", edits: [("pipelines/pd", "[\"llm-q\", \"llm-p\"]")], expect: "decode pool \"llm-q\" does not follow a prefill pool"),
        Case(name: "prefill without decode", edits: [("pipelines/pd", "[\"llm-p\", \"embed\"]")], expect: "prefill pool \"llm-p\" is not followed by a decode pool"),
        Case(name: "pools of two models", edits: [("models/llm-q/engine/profile", #"{"prefill": {"base": "4ms", "perToken": "0.065ms"}, "decode": {"base": "10ms", "perSequence": "0.1ms", "perKVToken": "0.002ms"}, "gpuMemoryGiB": 80, "weightsGiB": 14, "kvBytesPerToken": 262144}"#)], expect: "one model's KV cache cannot be read as another's"),
        Case(name: "served as itself", edits: [("plans/reserved/serve/rag", "\"rag\"")], expect: "\"rag\" is served as itself"),
        Case(name: "served as a pool", edits: [("plans/reserved/serve/rag", "\"llm-q\"")], expect: "model \"llm-q\" is a decode pool: traffic is served as the pipeline"),
        Case(name: "served as an unknown target", edits: [("plans/reserved/serve/rag", "\"fann\"")], expect: "unknown target \"fann\""),
        Case(name: "prompts on a trace", edits: [("workload/5/prompts", "{}")], expect: "unknown key \"prompts\""),
        Case(name: "prompts without tokens", edits: [("workload/1/prompts", "{}")], expect: "\"prompts\" needs the source's token counts"),
        Case(name: "trace row names a pool", traces: ["trace.csv": "time,target,caller,version\n0,llm-p,web,a\n"], expect: "target \"llm-p\" is a prefill or decode pool"),
        Case(name: "prefix caching odd", edits: [("models/llm-a/engine/prefixCaching", "\"yes\"")], expect: "engine.prefixCaching: expected true or false"),
        Case(name: "engine kind unknown", edits: [("models/llm-a/engine/kind", "\"static-batching\"")], expect: "unknown engine kind \"static-batching\""),
        Case(name: "engine profile unknown", edits: [("models/llm-a/engine/profile", "\"vidur/llama-2-7b/a10\"")],
             expect: "unknown engine profile \"vidur/llama-2-7b/a10\""),
        Case(name: "kv cache word", edits: [("models/llm-a/engine/kvCacheTokens", "\"all\"")], expect: "expected \"auto\" or a number of tokens, found \"all\""),
        Case(name: "unknown scheduler", edits: [("models/llm-a/engine/scheduler", "\"vllm-v2\"")], expect: "unknown scheduler \"vllm-v2\""),
        Case(name: "scheduler contradiction", edits: [("models/llm-a/engine/scheduler", "\"vllm-v0\"")], expect: "expected chunkedPrefill false with this scheduler, found true"),
        Case(name: "chunked prefill not bool", edits: [("models/llm-a/engine/chunkedPrefill", "\"yes\"")], expect: "expected true or false, found"),
        Case(name: "preemption swap", edits: [("models/llm-a/engine/preemption", "\"swap\"")], expect: "swapping to host memory is not modelled"),
        Case(name: "kv cache holds nothing", edits: [("models/llm-b/engine/kvCacheTokens", nil), ("models/llm-b/engine/profile/weightsGiB", "100")],
             expect: "the KV cache would hold no block"),
        Case(name: "points and line", edits: [("models/llm-b/engine/profile/decode/base", "\"10ms\"")], expect: "give either points or \"base\"/\"perSequence\", not both"),
        Case(name: "one point", edits: [("models/llm-c/engine/profile/prefill/points", "[{\"tokens\": 512, \"time\": \"37ms\"}]")],
             expect: "expected an array of two points or more"),
        Case(name: "points out of order", edits: [("models/llm-c/engine/profile/prefill/points/1/tokens", "100")],
             expect: "points must be in increasing tokens: 100 follows 512"),
        Case(name: "coefficient malformed", edits: [("models/llm-c/engine/profile/decode/perSequence", "\"-0.95 ms each\"")],
             expect: "expected a duration such as \"0.07ms\" or \"-0.95ms\""),
        Case(name: "coefficient not a duration", edits: [("models/llm-c/engine/profile/decode/perSequence", "true")],
             expect: "expected a duration (\"0.07ms\", or a number of seconds), found"),
        Case(name: "coefficient huge", edits: [("models/llm-c/engine/profile/decode/perKVToken", "\"2h\"")], expect: "expected a coefficient of at most an hour"),
        Case(name: "engine with concurrency", edits: [("models/llm-a/concurrency", "4")], expect: "an engine model's concurrency is its engine's maxSequences (128)"),
        Case(name: "engine on too few GPUs", edits: [("models/llm-a/requires/gpus", "0")],
             expect: "the engine's profile \"vidur/llama-2-7b/a100\" runs on 1 GPU(s), so the model needs at least that many, found 0"),
        Case(name: "engine version concurrency", edits: [("models/llm-a/version", "\"1\""), ("models/llm-a/versions", "{\"2\": {\"concurrency\": 4}}")],
             expect: "an engine model's concurrency is its engine's maxSequences (128), for every version"),
        Case(name: "engine metric without engine",
             edits: [("models/llm-a", nil), ("models/llm-b", nil), ("models/llm-c", nil), ("models/llm-d", nil), ("models/llm-e", nil), ("models/llm-f", nil),
                     ("models/llm-p", nil), ("models/llm-q", nil), ("pipelines/pd", nil),
                     ("plans/reserved/routing", nil), ("expect/6", nil), ("expect/5", nil),
                     ("expect/0/metric", "\"ttft_p90_s\"")],
             expect: "\"ttft_p90_s\" is measured on engine models, and no model here has an \"engine\""),
        // A roofline from the model's shape and its GPU (llm-d: inline shape and GPU; llm-e: a
        // Mixtral-shaped MoE on the catalogue's H100; llm-f: a Qwen-MoE shape).
        Case(name: "profile and model", edits: [("models/llm-a/engine/model", "\"config.json\"")],
             expect: "found a profile and a model too"),
        Case(name: "neither profile nor model", edits: [("models/llm-d/engine/model", nil)],
             expect: "missing key \"profile\""),
        Case(name: "model config missing", edits: [("models/llm-d/engine/model", "\"no-such-config.json\"")],
             expect: "the model config \"no-such-config.json\" does not exist"),
        Case(name: "model config not UTF-8", edits: [("models/llm-d/engine/model", "\"config.json\"")], files: ["config.json": [0x7B, 0xFF, 0xFE, 0x7D]],
             expect: "the model config \"config.json\" is not UTF-8 text"),
        Case(name: "model config not JSON", edits: [("models/llm-d/engine/model", "\"config.json\"")], traces: ["config.json": "{ \"num_hidden_layers\": 32,"],
             expect: "config.json:1:"),
        Case(name: "model config zero heads", edits: [("models/llm-d/engine/model", "\"config.json\"")],
             traces: ["config.json": "{ \"num_hidden_layers\": 32, \"hidden_size\": 4096, \"num_attention_heads\": 0, \"intermediate_size\": 11008, \"vocab_size\": 32000, \"architectures\": [\"LlamaForCausalLM\"] }"],
             expect: "$.num_attention_heads"),
        Case(name: "model config missing key", edits: [("models/llm-d/engine/model", "\"config.json\"")],
             traces: ["config.json": "{ \"num_hidden_layers\": 32, \"hidden_size\": 4096, \"num_attention_heads\": 32, \"intermediate_size\": 11008 }"],
             expect: "missing key \"vocab_size\""),
        Case(name: "kv heads do not divide", edits: [("models/llm-d/engine/model/num_key_value_heads", "5")],
             expect: "5 KV heads do not divide 32 attention heads"),
        Case(name: "heads do not divide hidden", edits: [("models/llm-e/engine/model/num_attention_heads", "30"), ("models/llm-e/engine/model/num_key_value_heads", "6")],
             expect: "30 attention heads do not divide hidden_size 4096, and there is no head_dim"),
        Case(name: "tied not bool", edits: [("models/llm-d/engine/model/tie_word_embeddings", "\"no\"")], expect: "expected true or false, found"),
        Case(name: "dtype fp8", edits: [("models/llm-d/engine/model/torch_dtype", "\"float8_e4m3fn\"")],
             expect: "dtype \"float8_e4m3fn\" is not modelled"),
        Case(name: "experts per token without experts", edits: [("models/llm-d/engine/model/num_experts_per_tok", "2")],
             expect: "num_experts_per_tok needs num_local_experts (or num_experts) above 1"),
        Case(name: "model misspelt key", edits: [("models/llm-d/engine/model/num_key_value_head", "8")],
             expect: "unknown key \"num_key_value_head\""),
        Case(name: "gpu unknown", edits: [("models/llm-e/engine/gpu", "\"h100\"")], expect: "unknown GPU \"h100\""),
        Case(name: "quantization unknown", edits: [("models/llm-f/engine/quantization", "\"int4\"")], expect: "unknown quantization \"int4\""),
        Case(name: "kv dtype unknown", edits: [("models/llm-f/engine/kvCacheDtype", "\"fp4\"")], expect: "unknown kvCacheDtype \"fp4\""),
        Case(name: "quantized profile", edits: [("models/llm-a/engine/quantization", "\"fp8\"")], expect: "found a profile and a quantization too"),
        Case(name: "gpu figure zero", edits: [("models/llm-d/engine/gpu/tflops", "0")], expect: "engine.gpu.tflops: expected a number > 0"),
        Case(name: "tensor parallel uneven", edits: [("models/llm-e/engine/tensorParallel", "3")],
             expect: "tensor parallel 3 does not split 32 attention heads and 8 KV heads evenly"),
        Case(name: "KEDA on utilisation", edits: [("plans/keda/metric", "\"utilisation\""), ("plans/keda/target", "0.6")],
             expect: "KEDA cannot scale to zero on CPU utilisation"),
        Case(name: "min 0 without KEDA", edits: [("plans/keda/keda", nil)], expect: "expected min ≥ 1: an HPA keeps at least one instance, and only KEDA scales to zero"),
        Case(name: "min 0 on the KV cache", edits: [("plans/keda/metric", "\"kv-cache-usage\""), ("plans/keda/target", "0.8")],
             expect: "a model scaled to zero on kv-cache-usage would never scale up again"),
        Case(name: "KEDA without a model at zero", edits: [("plans/keda/instances/embed/min", "1")],
             expect: "KEDA's settings apply to scaling to and from zero, but no model of this plan has instances.min 0"),
        Case(name: "expert parallel on a dense model", edits: [("models/llm-d/engine/expertParallel", "2")],
             expect: "expert parallelism needs a mixture of experts, but the model has none"),
        Case(name: "expert parallel uneven", edits: [("models/llm-e/engine/expertParallel", "3")],
             expect: "expert parallel 3 × tensor parallel 1 does not split 8 experts evenly over 3 GPUs"),
        Case(name: "roofline weights too big", edits: [("models/llm-e/engine/gpu", "\"l4\"")],
             expect: "raise tensorParallel, or choose a GPU with more memory"),
        // The GPU taken from the node type (hardware.gpu names an L4).
        Case(name: "gpu model on a type without GPUs", edits: [("hardware/cpu/gpuModel", "\"l4\"")],
             expect: "a gpuModel needs GPUs to name, and the type has none (gpus is 0)"),
        Case(name: "no gpu anywhere", edits: [("models/llm-e/engine/gpu", nil), ("hardware/gpu/gpuModel", nil)],
             expect: "missing key \"gpu\""),
        Case(name: "runs on a type without a gpu model",
             edits: [("models/llm-e/engine/gpu", nil), ("hardware/gpu/gpuModel", nil), ("hardware/gpu.mps/gpuModel", "\"l4\""), ("models/llm-e/runsOn", "[\"gpu\"]")],
             expect: "node type \"gpu\", which the model runs on, names no gpuModel"),
        Case(name: "node type's gpu too small", edits: [("models/llm-e/engine/gpu", nil)],
             expect: "on node type \"gpu\" (l4) the KV cache would hold no block"),
    ]

    static let gates: [Case] = [
        Case(name: "network without round trip", edits: [("network", "{}")], expect: "the time between a client and the platform, there and back"),
        Case(name: "round trip not a duration", edits: [("network/roundTrip", "\"fast\"")], expect: "expected a duration such as"),
        Case(name: "round trip below zero", edits: [("network/roundTrip", "-0.001")], expect: "expected a non-negative duration"),
        Case(name: "unknown network key", edits: [("network/latency", "\"1ms\"")], expect: "latency"),
        Case(name: "expect not array", edits: [("expect", "{}")], expect: "expected an array of gates, found"),
        Case(name: "cheapest without SLO", edits: [("slo/latency", nil), ("slo/ttft", nil), ("slo/tpot", nil), ("expect", "[{\"cheapestMeetingSLO\": \"hpa\"}]")], expect: "this gate needs an SLO"),
        Case(name: "target and caller", edits: [("expect/4/target", "\"rag\"")], expect: "a gate looks at a target or a caller, not both"),
        Case(name: "unknown gate metric", edits: [("expect/0/metric", "\"latency_p98_s\"")], expect: "unknown metric \"latency_p98_s\""),
        Case(name: "gate without bound", edits: [("expect/0", "{\"plan\": \"hpa\", \"metric\": \"cost_usd\"}")], expect: "a gate needs a bound"),
        Case(name: "value without ratio", edits: [("expect/0/value", "1")], expect: "\"value\" is the ratio for maxRatioTo or minRatioTo, but this gate has neither"),
    ]

    static let checks: [Case] = [
        Case(name: "tokens missing", edits: [("workload/0/tokens", nil), ("workload/0/prompts", nil)], expect: "has a token-driven service time, which needs token counts, but this source carries none"),
        Case(name: "provider without GPUs", edits: [("plans/lambda/pricing/perGPUSecond", nil)], expect: "needs GPUs, and provider-hosted serverless (Lambda) has none"),
        Case(name: "no pool of the type", edits: [("plans/knative/nodes", "{\"cpu\": {\"max\": 4}}")], expect: "has no pool of those types"),
        Case(name: "pinned do not fit", edits: [("plans/reserved/instances/chat", "9")], expect: "the pinned instances do not fit on the plan's nodes"),
        Case(name: "no room at all", edits: [("plans/reserved/nodes", "{\"cpu\": 2}"), ("plans/reserved/instances", nil), ("plans/reserved/commitments", nil)],
             expect: "model \"chat\" gets no instance"),
    ]

    static let workers: [Case] = [
        Case(name: "unknown contract", edits: [("models/chat/worker/contract", "\"grpc\"")], expect: "unknown worker contract \"grpc\""),
        Case(name: "empty command", edits: [("models/chat/worker/command", "[]")], expect: "expected a non-empty array of strings"),
        Case(name: "empty program", edits: [("models/chat/worker/command", "[\"\"]")], expect: "the program name is empty"),
        Case(name: "env not object", edits: [("models/chat/worker/env", "[]")], expect: "expected an object of environment variables"),
        Case(name: "env name with =", edits: [("models/chat/worker/env/A=B", "\"1\"")], expect: "\"A=B\" is not an environment variable name"),
        Case(name: "readiness on lambda", edits: [("models/embed/versions/4/worker/readiness", "\"/x\"")], expect: "\"readiness\" applies to the http contract only"),
        Case(name: "readiness odd", edits: [("models/chat/worker/readiness", "\"health\"")], expect: "expected an HTTP path starting with \"/\" or \"tcp\""),
    ]

    static let csvHeader = "time,target,caller,version\n"
    /// A good first row for the mooncake cases (the second row is the bad one).
    static let good = "{\"timestamp\": 2000, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0, 1]}\n"

    static let traceFiles: [Case] = [
        Case(name: "hash block off mooncake", edits: [("workload/5/hashBlockTokens", "512")], expect: "\"hashBlockTokens\" is for the mooncake format only, not csv"),
        Case(name: "mooncake not an object", traces: ["mooncake.jsonl": good + "[1, 2]\n"], expect: "expected a JSON object"),
        Case(name: "mooncake bare key", traces: ["mooncake.jsonl": good + "{timestamp: 0}\n"], expect: "expected a key in double quotes"),
        Case(name: "mooncake key cut", traces: ["mooncake.jsonl": good + "{\"timest\n"], expect: "unterminated key"),
        Case(name: "mooncake no colon", traces: ["mooncake.jsonl": good + "{\"timestamp\" 0}\n"], expect: "expected \":\" after the key"),
        Case(name: "mooncake bad time", traces: ["mooncake.jsonl": good + "{\"timestamp\": \"soon\", \"input_length\": 600, \"output_length\": 5}\n"], expect: "expected the timestamp in milliseconds"),
        Case(name: "mooncake hashes not array", traces: ["mooncake.jsonl": good + "{\"timestamp\": 9000, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": 3}\n"], expect: "expected an array of block hash ids"),
        Case(name: "mooncake bad hash", traces: ["mooncake.jsonl": good + "{\"timestamp\": 9000, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0, -1]}\n"], expect: "as a hash id, found \"-1\""),
        Case(name: "mooncake hashes cut", traces: ["mooncake.jsonl": good + "{\"timestamp\": 9000, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0, 1\n"], expect: "unterminated hash_ids array"),
        Case(name: "mooncake hashes odd", traces: ["mooncake.jsonl": good + "{\"timestamp\": 9000, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0 1]}\n"], expect: "in hash_ids"),
        Case(name: "mooncake other key cut", traces: ["mooncake.jsonl": good + "{\"timestamp\": 9000, \"note\": [1, 2\n"], expect: "cannot read the value of \"note\""),
        Case(name: "mooncake object cut", traces: ["mooncake.jsonl": good + "{\"timestamp\": 9000\n"], expect: "unterminated object"),
        Case(name: "mooncake no comma", traces: ["mooncake.jsonl": good + "{\"timestamp\": 9000 \"input_length\": 600}\n"], expect: "after a value"),
        Case(name: "mooncake text after", traces: ["mooncake.jsonl": good + "{\"timestamp\": 9000, \"input_length\": 600, \"output_length\": 5} x\n"], expect: "unexpected text after the object"),
        Case(name: "mooncake missing key", traces: ["mooncake.jsonl": good + "{\"timestamp\": 9000, \"input_length\": 600}\n"], expect: "missing \"output_length\""),
        Case(name: "mooncake out of order", traces: ["mooncake.jsonl": good + "{\"timestamp\": 1, \"input_length\": 600, \"output_length\": 5}\n"], expect: "earlier than the row before"),
        Case(name: "mooncake hash count", traces: ["mooncake.jsonl": good + "{\"timestamp\": 9000, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0]}\n"], expect: "expected 2 hash ids for input_length 600"),
        Case(name: "mooncake tokens odd", traces: ["mooncake.jsonl": good + "{\"timestamp\": 9000, \"input_length\": 6.5, \"output_length\": 5}\n"], expect: "$.input_length: expected a whole number of tokens"),
        Case(name: "no trace file", edits: [("workload/5/path", "\"missing.csv\"")], wholeFile: true, expect: "cannot open trace file"),
        Case(name: "trace a folder", edits: [("workload/5/path", "\".\"")], wholeFile: true, expect: "is a folder, expected a trace file"),
        Case(name: "trace spans centuries", traces: ["trace.csv": csvHeader + "0,rank,web,a\n4000000000,rank,web,a\n"], expect: "a trace spans at most 100 years"),
        Case(name: "trace empty", traces: ["trace.csv": ""], expect: "the trace is empty"),
        Case(name: "llm header", traces: ["llm.csv": "a,b,c\n"], expect: "expected the Azure LLM inference header"),
        Case(name: "2021 header", traces: ["invocations.txt": "x,y\n"], expect: "expected the Azure Functions 2021 header"),
        Case(name: "2019 header", traces: ["functions.csv": "HashOwner,HashApp\n"], expect: "expected the Azure Functions 2019 header"),
        Case(name: "csv without time", traces: ["trace.csv": "when,target\n0,rank\n"], expect: "expected a header row naming a \"time\" column"),
        Case(name: "csv without target", edits: [("workload/5/target", nil), ("workload/5/filter", nil)], traces: ["trace.csv": "time\n0\n"],
             expect: "the trace has no \"target\" column and the workload source names no target"),
        Case(name: "csv short row", traces: ["trace.csv": csvHeader + "0,rank\n"], expect: "expected 4 comma-separated fields, found 2"),
        Case(name: "csv bad time", traces: ["trace.csv": csvHeader + "abc,rank,web,a\n"], expect: "cannot read time \"abc\""),
        Case(name: "csv bad service time", traces: ["trace.csv": "time,target,caller,version,service_s\n0,rank,web,a,-1\n"],
             expect: "cannot read service time \"-1\": expected seconds, zero or more"),
        Case(name: "csv service time for a pipeline", traces: ["trace.csv": "time,target,caller,version,service_s\n0,rag,web,a,1\n"],
             expect: "target \"rag\" cannot take a service time from the trace"),
        Case(name: "csv mixed times", traces: ["trace.csv": csvHeader + "0,rank,web,a\n2023-11-16 18:15:46,rank,web,a\n"], expect: "expected one time format throughout the trace"),
        Case(name: "csv out of order", traces: ["trace.csv": csvHeader + "5,rank,web,a\n3,rank,web,a\n"], expect: "rows must be in time order"),
        Case(name: "csv unknown target", traces: ["trace.csv": csvHeader + "0,rnk,web,a\n"], expect: "unknown target \"rnk\""),
        Case(name: "csv empty target", edits: [("workload/5/target", nil), ("workload/5/filter", nil)], traces: ["trace.csv": csvHeader + "0,,web,a\n"],
             expect: "empty target and the workload source names no default target"),
        Case(name: "csv tokens needed", edits: [("workload/5/filter", nil)], traces: ["trace.csv": csvHeader + "0,chat,web,a\n"],
             expect: "has a token-driven service time, but this trace has no token columns"),
        Case(name: "llm tokens odd", traces: ["llm.csv": "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,3x4,44\n"], expect: "expected a whole number of tokens, found \"3x4\""),
        Case(name: "llm tokens huge", traces: ["llm.csv": "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,99999999999,44\n"], expect: "tokens, found \"99999999999\""),
        Case(name: "llm tokens empty", traces: ["llm.csv": "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,,44\n"], expect: "found an empty field"),
        Case(name: "2021 reorder window", edits: [("workload/7/reorderWindow", "\"1s\"")],
             traces: ["invocations.txt": "app,func,end_timestamp,duration\na,f00d,5.5,0.5\na,f00d,7,0.1\na,f00d,9,8\n"], expect: "exceeds the reorder window"),
        Case(name: "2021 short row", traces: ["invocations.txt": "app,func,end_timestamp,duration\na,f00d,5.5\n"], expect: "expected 4 comma-separated fields (app,func,end_timestamp,duration), found 3"),
        Case(name: "2021 bad end", traces: ["invocations.txt": "app,func,end_timestamp,duration\na,f00d,x,0.5\n"], expect: "cannot read end_timestamp \"x\""),
        Case(name: "2021 bad duration", traces: ["invocations.txt": "app,func,end_timestamp,duration\na,f00d,5.5,x\n"], expect: "cannot read duration \"x\""),
        Case(name: "2021 out of order", traces: ["invocations.txt": "app,func,end_timestamp,duration\na,f00d,9,0.5\na,beef,5.5,1\n"], expect: "rows must be in order of end time"),
        Case(name: "2019 short row", traces: ["functions.csv": "HashOwner,HashApp,HashFunction,Trigger," + (1...1440).map(String.init).joined(separator: ",") + "\no,a,9a3e4e0b,http,1,2\n"],
             expect: "expected 1,444 comma-separated fields"),
        Case(name: "2019 bad count", traces: ["functions.csv": "HashOwner,HashApp,HashFunction,Trigger," + (1...1440).map(String.init).joined(separator: ",") + "\n"
                                                + "o,a,9a3e4e0b,http,x" + String(repeating: ",1", count: 1439) + "\n"],
             expect: "expected a whole number of invocations, found \"x\""),
        Case(name: "2019 twenty digits", traces: ["functions.csv": "HashOwner,HashApp,HashFunction,Trigger," + (1...1440).map(String.init).joined(separator: ",") + "\n"
                                                     + "o,a,9a3e4e0b,http,98765432109876543210" + String(repeating: ",1", count: 1439) + "\n"],
             expect: "a 20-digit count of invocations in one minute"),
        Case(name: "2019 minute too full", traces: ["functions.csv": "HashOwner,HashApp,HashFunction,Trigger," + (1...1440).map(String.init).joined(separator: ",") + "\n"
                                                       + "o,a,9a3e4e0b,http,6000000" + String(repeating: ",1", count: 1439) + "\n"
                                                       + "o,a,0b0b0b0b,http,6000000" + String(repeating: ",1", count: 1439) + "\n"],
             expect: "minute 1 of the day asks for more than"),
        Case(name: "limit below request", edits: [("models/chat/limits", "{\"vcpus\": 1}")], expect: "at least the request of 4 vCPU, found 1"),
        Case(name: "CFS period too long", edits: [("models/chat/limits", "{\"vcpus\": 6, \"period\": \"2s\"}")], expect: "expected a CFS period from 1 ms to 1 s"),
        Case(name: "CFS period without a limit", edits: [("models/chat/limits", "{\"period\": \"50ms\"}")], expect: "a period without a CPU limit has nothing to enforce"),
        Case(name: "run queues unknown", edits: [("hardware/cpu/contention/runQueues", "\"per-cpu\"")], expect: "unknown run queues \"per-cpu\""),
        Case(name: "run queues per core on part cores", edits: [("hardware/cpu/vcpus", "3.5")], expect: "run queues per core need a whole number of cores"),
        Case(name: "run queues per core for threads", edits: [("hardware/gpu/contention", "{\"runQueues\": \"per-core\"}")],
             expect: "whose run queues are per core, and its threads 2 would use several cores at once"),
        Case(name: "GPU sharing mode unknown", edits: [("hardware/gpu.mps/gpuSharing/mode", "\"mpx\"")], expect: "unknown GPU sharing mode \"mpx\""),
        Case(name: "GPU sharing without GPUs", edits: [("hardware/gpu.mps/gpus", "0")], expect: "expected GPUs to share: the node type has none"),
        Case(name: "MIG slices above 7", edits: [("hardware/gpu.mps/gpuSharing", "{\"mode\": \"mig\", \"replicas\": 8}")], expect: "expected at most 7 instances per GPU with mig"),
        Case(name: "MPS slowdown without MPS", edits: [("hardware/gpu.mps/gpuSharing", "{\"mode\": \"time-slicing\", \"replicas\": 2, \"mpsSlowdown\": 0.1}")],
             expect: "expected mpsSlowdown only with \"mode\": \"mps\""),
        Case(name: "two GPUs on a shared GPU", edits: [("hardware/gpu.mps/gpus", "2"), ("models/chat/requires", "{\"vcpus\": 4, \"memoryGiB\": 16, \"gpus\": 2}")],
             expect: "expected at most 1 GPU for a model on node type \"gpu.mps\""),
        Case(name: "engine on a shared GPU", edits: [("models/llm-a/runsOn", "[\"gpu.mps\"]")], expect: "an LLM engine's iteration times are those of whole GPUs"),
        Case(name: "CPU and GPU work above the service", edits: [("models/chat/gpu", "{\"fraction\": 0.95}")], expect: "expected CPU and GPU work to fit in the service time"),
        Case(name: "GPU work without a GPU", edits: [("models/embed/gpu", "{\"fraction\": 0.5}")], expect: "expected a model with GPU work to require a GPU"),
        Case(name: "boost without factor", edits: [("models/chat/cpu", "{\"startupBoost\": {}}")], expect: "factor"),
    ]
}
