// libFuzzer target: an API keys file (`serve --keys`) and an audit log (`audit verify`), read
// as the runtime reads them: any input must load or fail with an error, never trap.
import Foundation
import Glibc
@testable import Runtime

let path = "/tmp/headroom-fuzz-keys-\(getpid()).json"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    _ = try? AccessKeys.parse(bytes, path: "keys.json")
    guard let f = fopen(path, "wb") else { return 0 }
    fwrite(data, 1, size, f)
    fclose(f)
    _ = try? AuditVerifier.verify([path], key: nil)
    _ = try? AuditVerifier.verify([path], key: Array("fuzz-key".utf8))
    return 0
}
