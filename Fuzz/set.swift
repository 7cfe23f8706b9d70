// libFuzzer target: a `--set`/`--vary` path and value (the input split at its first '='),
// applied to a small scenario and decoded, as `headroom run --set` does.
import Scenario
import Sweep

let base = try! JSONReader.parse("""
    {"name": "f", "seed": 1, "duration": "1m",
     "hardware": {"cpu": {"vcpus": 2, "memoryGiB": 4, "pricePerHour": 0.1, "boot": "30s"}},
     "models": {"m": {"requires": {"vcpus": 1, "memoryGiB": 1}, "service": "100ms"}},
     "workload": [{"kind": "poisson", "target": "m", "rate": 5}],
     "slo": {"latency": "1s"},
     "plans": {"p": {"policy": "traditional", "nodes": {"cpu": 1}}}}
    """, file: "fuzz.json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let eq = text.firstIndex(of: "=") else { _ = try? JSONPath(text); return 0 }
    let valueText = String(text[text.index(after: eq)...])
    let value: JSONValue
    if let n = Double(valueText), n.isFinite { value = .number(n) }
    else if valueText == "true" || valueText == "false" { value = .bool(valueText == "true") }
    else { value = .string(valueText) }
    guard let path = try? JSONPath(String(text[..<eq])), let root = try? path.setting(value, in: base) else { return 0 }
    _ = try? ScenarioLoader.decode(root: root, file: "fuzz.json", directory: "/nonexistent-fuzz-folder")
    return 0
}
