import Foundation
import XCTest

/// The scheduler core must stay free of I/O and clocks: a real runtime and the simulator drive
/// the same code, so it may only see what its inputs tell it.
final class PurityTests: XCTestCase {
    func testCoreImportsNoFoundationDispatchOrGlibc() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/SchedulerCore")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }.sorted()
        XCTAssertGreaterThan(files.count, 5, "expected the core's sources in \(folder.path)")
        let forbiddenImport = try NSRegularExpression(pattern: #"^\s*(@\w+\s+)*import\s+(\w+\s+)?(Foundation\w*|Dispatch|Glibc|Darwin|Musl)\b"#,
                                                      options: [.anchorsMatchLines])
        let forbiddenCalls = ["Date()", "clock_gettime", "DispatchTime", "ContinuousClock", "SuspendingClock", "fopen(", "print("]
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let range = NSRange(text.startIndex..., in: text)
            XCTAssertNil(forbiddenImport.firstMatch(in: text, range: range), "\(file) imports an I/O or clock module")
            for call in forbiddenCalls {
                XCTAssertFalse(text.contains(call), "\(file) uses \(call)")
            }
        }
    }
}
