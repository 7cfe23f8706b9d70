// libFuzzer target: a scenario file's text through the JSON reader and the decoder, as
// `headroom validate` reads it. Any input must end in a scenario or a ScenarioError.
import Scenario

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? ScenarioLoader.decode(text, file: "fuzz.json", directory: "/nonexistent-fuzz-folder")
    return 0
}
