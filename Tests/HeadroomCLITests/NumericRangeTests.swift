import XCTest
import Foundation
@testable import HeadroomCLI
import Scenario

/// Numbers of the kitchen-sink scenario (every key of the format) set to extremes through
/// `--set`, as a user or a sweep would: each must end in a clear error (non-zero, `Error:` on
/// stderr) or a bounded run, never a trap (a trap would end this test process).
final class NumericRangeTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The kitchen sink in a folder of its own, with the small traces it names.
    func kitchenSink() throws -> String {
        let folder = NSTemporaryDirectory() + "headroom-numbers-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let files = [
            "trace.csv": "time,target,caller,version\n0,rank,web,a\n1.5,embed,web,b\n3,rank,web,a\n",
            "llm.csv": "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n",
            "invocations.txt": "app,func,end_timestamp,duration\na,f00d,5.5,0.5\na,beef,9,1.25\n",
            "functions.csv": "HashOwner,HashApp,HashFunction,Trigger," + (1...1440).map(String.init).joined(separator: ",") + "\n"
                + "o,a,9a3e4e0b,http," + (1...1440).map { String($0 % 3) }.joined(separator: ",") + "\n",
        ]
        for (name, text) in files { try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
        let text = try String(contentsOfFile: root.appendingPathComponent("Tests/ScenarioTests/Fixtures/kitchen-sink.json").path, encoding: .utf8)
        try text.write(toFile: folder + "/kitchen-sink.json", atomically: true, encoding: .utf8)
        return folder
    }

    /// The values that trapped when the kitchen sink's numbers were set in turn to 0, −1,
    /// 10¹² and 10³⁰⁰: each is now a clear error or a bounded run. (The whole sweep is not in
    /// the suite yet: it still finds traps further on; see the closing notes of #17.)
    func testExtremesThatTrappedAreAnErrorOrABoundedRun() throws {
        let folder = try kitchenSink()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/kitchen-sink.json"
        let cases: [(String, String?)] = [
            ("hardware.cpu.vcpus=1e12", "expected a number ≤ 100000"),            // placement's fit score overflowed
            ("models.chat.requires.memoryGiB=1e300", "expected a number ≤ 1000000"),
            ("hardware.gpu.gpus=1e12", "expected a whole number from 0 to 10000"),
            ("hardware.gpu.boot.shape=1e12", nil),       // a gamma draw of millennia overflowed the clock
            ("models.chat.image.sizeGB=1e12", nil),      // a pull time from size / bandwidth did too
            ("models.chat.weightsGB=1e300", nil),
            ("workload[0].tokens.input.mean=1e300", nil), // a token count past Int64
        ]
        for (setting, error) in cases {
            let r = runHeadroom(["run", file, "--set", setting, "--set", "duration=10m", "--out", folder + "/out"])
            if let error {
                XCTAssertNotEqual(r.status, 0, setting)
                XCTAssertTrue(r.err.hasPrefix("Error:") && r.err.contains(error), "\(setting): \(r.err)")
            } else {
                XCTAssertTrue(r.err.isEmpty && r.out.contains("simulated"), "\(setting): a bounded run, found \(r.err)")
            }
        }
    }
}
