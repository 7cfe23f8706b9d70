// libFuzzer target: a trace file in each of the five formats (generic CSV, Azure LLM, Azure
// Functions 2019 and 2021, Mooncake's JSON lines), read whole as `headroom trace stats` reads it.
import Glibc
import Scenario
import Simulator

let path = "/tmp/headroom-fuzz-trace-\(getpid()).csv"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let f = fopen(path, "wb") else { return 0 }
    fwrite(data, 1, size, f)
    fclose(f)
    for format in TraceSpec.Format.allCases { _ = try? TraceStats.read(path: path, format: format) }
    return 0
}
