import Foundation
import XCTest
@testable import Simulator

/// The per-request log never ends a run looking whole when its rows did not reach the file.
final class RequestLogTests: XCTestCase {
    /// `/dev/full` takes an open and refuses every write with ENOSPC, as a full disk does.
    func requireDevFull() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/dev/full"), "no /dev/full on this system")
    }

    func testCloseThrowsWhenTheLastRowsCannotBeWritten() throws {
        try requireDevFull()
        let log = try RequestLogWriter(path: "/dev/full")
        // Less than stdio's own buffer: fwrite accepts it, and only the final flush fails.
        log.append("r,0,,ocr,ocr,,0.000000,0.000000,0.050000,completed,false,n#0,i0,\n")
        XCTAssertThrowsError(try log.close()) { error in
            XCTAssertTrue("\(error)".contains("cannot write /dev/full"), "\(error)")
        }
    }

    func testARunWhoseRequestLogCannotBeWrittenFails() throws {
        try requireDevFull()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-log-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/requests.0.part", withDestinationPath: "/dev/full")
        // A few requests: their rows fit in stdio's buffer, so only closing the log finds out.
        let s = try scenario(queueScenario(servers: 1, rate: 1, service: "\"50ms\"", queueLimit: 10, duration: 5, seed: 3))
        var options = RunOptions()
        options.requestLogDirectory = dir
        XCTAssertThrowsError(try Runner.run(s, options: options)) { error in
            XCTAssertTrue("\(error)".contains("cannot write"), "\(error)")
        }
        // The same run with a writable log succeeds: the failure is the file's.
        try FileManager.default.removeItem(atPath: dir + "/requests.0.part")
        let run = try Runner.run(s, options: options)
        let rows = try String(contentsOfFile: dir + "/requests.0.part", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(Int64(rows.count), run.plans[0].totals.requests)
        XCTAssertGreaterThan(rows.count, 0)
    }
}
