import Foundation
import XCTest
import Glibc
@testable import Runtime

/// An audit log the system refuses to write (a full disk: `/dev/full`, which takes an open and
/// fails every write with ENOSPC) is never silent: the start fails, or the failures are
/// counted and the gap shows in `audit verify`.
final class AuditFailureTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/dev/full"), "no /dev/full on this system")
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("headroom-audit-failure-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if !folder.isEmpty { try? FileManager.default.removeItem(atPath: folder) }
    }

    func record(_ k: Int) -> AuditRecord {
        AuditRecord(id: "r\(k)", caller: "web", target: "echo", stages: [], arrival: 1_764_572_400_000_000 + Int64(k),
                    end: 1_764_572_400_100_000 + Int64(k), arrivalSeconds: Double(k), endSeconds: Double(k) + 0.1,
                    outcome: "completed", reason: "", status: 200, requestSHA256: "", responseSHA256: "")
    }

    /// Waits (at most 10 s) until the writer has chained `count` records.
    func waitForRecords(_ log: AuditLog, _ count: Int64) {
        let deadline = Date().addingTimeInterval(10)
        while log.health.records < count && Date() < deadline { usleep(5_000) }
    }

    /// A log rotating after every batch whose second file opened is `second(path)` (the
    /// first, and every later one, is the real path).
    func rotatingLog(secondOpen second: @escaping (String) -> UnsafeMutablePointer<FILE>?) throws -> AuditLog {
        var options = AuditLog.Options(path: folder + "/audit.jsonl", key: nil)
        options.flushInterval = 0.01
        options.rotateBytes = 1
        var opens = 0
        return try AuditLog(options: options, scenarioSHA256: AuditLog.zeros, plan: "p", version: "test", openFile: { p in
            opens += 1
            return opens == 2 ? second(p) : fopen(p, "a")
        })
    }

    /// The records in the folder's log files, by id.
    func loggedIDs() throws -> [String] {
        try logFiles().flatMap { try String(contentsOfFile: $0, encoding: .utf8).split(separator: "\n") }
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .compactMap { $0["id"] as? String }
    }

    func logFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("audit.jsonl") }.map { folder + "/" + $0 }
    }

    func testAHeaderThatCannotBeWrittenStopsTheStart() throws {
        let options = AuditLog.Options(path: folder + "/audit.jsonl", key: nil)
        XCTAssertThrowsError(try AuditLog(options: options, scenarioSHA256: AuditLog.zeros, plan: "p", version: "test",
                                          openFile: { _ in fopen("/dev/full", "a") })) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("cannot write the audit log's header"), text)
            XCTAssertTrue(text.contains("No space left on device"), text)
        }
    }

    func testALogThatIsNotARegularFileIsRefused() throws {
        for path in ["/dev/full", folder] {
            XCTAssertThrowsError(try AuditLog(options: AuditLog.Options(path: path, key: nil), scenarioSHA256: AuditLog.zeros,
                                              plan: "p", version: "test")) { error in
                XCTAssertTrue("\(error)".contains("--audit-log needs a regular file"), "\(error)")
            }
        }
    }

    func testFailedWritesAreCountedAndTheGapShowsInVerify() throws {
        // The first rotation's new file is a full disk.
        let log = try rotatingLog(secondOpen: { _ in fopen("/dev/full", "a") })
        XCTAssertEqual(log.health.failures, 0)
        for k in 0..<3 { log.append(record(k)) }
        waitForRecords(log, 3)
        for k in 3..<6 { log.append(record(k)) }
        waitForRecords(log, 6)
        for k in 6..<9 { log.append(record(k)) }
        waitForRecords(log, 9)
        log.close()

        let health = log.health
        XCTAssertEqual(health.records, 9)
        XCTAssertGreaterThan(health.failures, 0)
        XCTAssertTrue(health.lastFailure?.contains("No space left on device") == true, health.lastFailure ?? "no failure")
        let metrics = log.metricsText()
        XCTAssertTrue(metrics.contains("headroom_audit_records_total 9\n"), metrics)
        XCTAssertTrue(metrics.contains("headroom_audit_write_failures_total \(health.failures)\n"), metrics)
        // The records written to the full disk are missing, and verify finds where.
        let ids = try loggedIDs()
        XCTAssertLessThan(ids.count, 9, "some records were lost: \(ids)")
        XCTAssertTrue(ids.contains("r0") && ids.contains("r8"), "\(ids)")
        let report = try AuditVerifier.verify(try logFiles(), key: nil)
        XCTAssertNotNil(report.failure, "verify passed a log with lost records")
    }

    func testARotationThatCannotOpenItsNextFileRecoversAtTheNextBatch() throws {
        // The first rotation's new file cannot be opened, as in a vanished folder.
        let log = try rotatingLog(secondOpen: { _ in nil })
        for k in 0..<3 { log.append(record(k)) }
        waitForRecords(log, 3)
        // No file is open now: the next batch opens one first, and nothing is lost.
        for k in 3..<6 { log.append(record(k)) }
        waitForRecords(log, 6)
        log.close()
        XCTAssertEqual(log.health.records, 6)
        XCTAssertEqual(log.health.failures, 1, log.health.lastFailure ?? "")
        XCTAssertTrue(log.health.lastFailure?.contains("open a new log file after rotating") == true, log.health.lastFailure ?? "")
        XCTAssertEqual(try loggedIDs().sorted(), (0..<6).map { "r\($0)" })
        let report = try AuditVerifier.verify(try logFiles(), key: nil)
        XCTAssertNil(report.failure?.message)
        XCTAssertEqual(report.records, 6)
    }

    func testAHealthyLogCountsNoFailure() throws {
        var options = AuditLog.Options(path: folder + "/audit.jsonl", key: nil)
        options.flushInterval = 0.01
        let log = try AuditLog(options: options, scenarioSHA256: AuditLog.zeros, plan: "p", version: "test")
        for k in 0..<5 { log.append(record(k)) }
        log.close()
        XCTAssertEqual(log.health.records, 5)
        XCTAssertEqual(log.health.failures, 0)
        XCTAssertNil(log.health.lastFailure)
        XCTAssertTrue(log.metricsText().contains("headroom_audit_write_failures_total 0\n"))
        XCTAssertNil(try AuditVerifier.verify([folder + "/audit.jsonl"], key: nil).failure)
    }
}
