// libFuzzer target: the value strings a scenario and the command line accept — durations,
// sizes and the distribution strings — each through its reader, and the scenario decoder on a
// small scenario with the input as its duration, a model's service time and a rate.
import Scenario

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = ValueReaderBridge.duration(text)
    let quoted = JSONText.quote(text)
    for (field, value) in [("duration", quoted), ("service", quoted), ("rate", text)] {
        let scenario = """
        {"name": "f", "seed": 1, "duration": \(field == "duration" ? value : "\"1m\""),
         "hardware": {"cpu": {"vcpus": 2, "memoryGiB": 4, "pricePerHour": 0.1, "boot": "30s"}},
         "models": {"m": {"requires": {"vcpus": 1, "memoryGiB": 1}, "service": \(field == "service" ? value : "\"100ms\"")}},
         "workload": [{"kind": "poisson", "target": "m", "rate": \(field == "rate" ? value : "5")}],
         "slo": {"latency": "1s"},
         "plans": {"p": {"policy": "traditional", "nodes": {"cpu": 1}}}}
        """
        _ = try? ScenarioLoader.decode(scenario, file: "fuzz.json", directory: "/nonexistent-fuzz-folder")
    }
    return 0
}
