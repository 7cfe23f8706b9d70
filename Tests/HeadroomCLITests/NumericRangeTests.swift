import XCTest
import Foundation
@testable import HeadroomCLI
import Scenario
import Glibc

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
            "mooncake.jsonl": "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0, 1]}\n{\"timestamp\": 1500, \"input_length\": 1100, \"output_length\": 7, \"hash_ids\": [0, 1, 2]}\n",
            "functions.csv": "HashOwner,HashApp,HashFunction,Trigger," + (1...1440).map(String.init).joined(separator: ",") + "\n"
                + "o,a,9a3e4e0b,http," + (1...1440).map { String($0 % 3) }.joined(separator: ",") + "\n",
        ]
        for (name, text) in files { try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
        let text = try String(contentsOfFile: root.appendingPathComponent("Tests/ScenarioTests/Fixtures/kitchen-sink.json").path, encoding: .utf8)
        try text.write(toFile: folder + "/kitchen-sink.json", atomically: true, encoding: .utf8)
        return folder
    }

    /// `--set` paths of every number and duration string in `node`.
    func leaves(_ node: JSONNode, _ path: String, into out: inout [(path: String, isDuration: Bool)]) {
        switch node.value {
        case .number: out.append((path, false))
        case let .string(s) where ValueReaderBridge.duration(s) != nil && s.first.map({ $0.isNumber }) == true: out.append((path, true))
        case let .array(items): for (k, item) in items.enumerated() { leaves(item, "\(path)[\(k)]", into: &out) }
        case let .object(members):
            for m in members where m.key != "$schema" {
                let isName = m.key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && m.key.first?.isLetter == true
                let step = isName ? (path.isEmpty ? m.key : ".\(m.key)") : "[\"\(m.key)\"]"
                leaves(m.value, path + step, into: &out)
            }
        default: break
        }
    }

    /// Every number and duration of the kitchen sink (every key of the format), set in turn to
    /// 0, −1, 10¹² and 10³⁰⁰: a clear error (`Error:` on stderr, non-zero) or a bounded run,
    /// never a trap, never a Foundation error domain, never a run of more than 20 s. (On
    /// 1 Dec 2026: 219 fields, 876 variants, 232 runs and 644 errors in 23 s; the first
    /// passes trapped at seven places, fixed then.)
    func testEveryNumberAtItsExtremesGivesAnErrorOrABoundedRun() throws {
        let folder = try kitchenSink()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/kitchen-sink.json"
        var fields: [(path: String, isDuration: Bool)] = []
        leaves(try ScenarioLoader.read(path: file).root, "", into: &fields)
        XCTAssertGreaterThan(fields.count, 200, "the kitchen sink's numbers and durations")
        var runs = 0, errors = 0
        for field in fields {
            for value in field.isDuration ? ["0s", "-1s", "1000000000000s", "1e300s"] : ["0", "-1", "1e12", "1e300"] {
                // Ten simulated minutes (unless the field is the duration itself) keep the 876
                // runs to seconds in all. A trap ends the process: its handler names the variant.
                TrapNote.set("\(field.path)=\(value)")
                let shorter = field.path == "duration" ? [] : ["--set", "duration=10m"]
                let started = Date()
                let r = runHeadroom(["run", file, "--set", "\(field.path)=\(value)"] + shorter
                                    + ["--out", folder + "/out", "--max-requests", "2000000", "--max-rows", "200000"])
                if r.err.isEmpty && r.out.contains("simulated") {
                    runs += 1   // its gates passed (0) or failed (1)
                } else {
                    errors += 1
                    XCTAssertTrue(r.status != 0 && r.err.hasPrefix("Error:"), "\(field.path)=\(value): exit \(r.status), \(r.err.prefix(300))")
                    XCTAssertFalse(r.err.contains("NSCocoaErrorDomain"), "\(field.path)=\(value): \(r.err.prefix(300))")
                }
                XCTAssertLessThan(Date().timeIntervalSince(started), 20, "\(field.path)=\(value) ran too long")
            }
        }
        TrapNote.clear()
        XCTAssertGreaterThan(runs, 0)
        XCTAssertGreaterThan(errors, 0)
        print("numeric extremes: \(fields.count) fields, \(runs) bounded runs, \(errors) clear errors")
    }

    /// The values that trapped first, each a clear error or a bounded run now.
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
        // A trace slowed a trillionfold (from its first row): its replay times passed Int64.
        let slow = runHeadroom(["run", file, "--set", "workload[5].speed=1e-12", "--set", "workload[5].offset=0s", "--set", "duration=10m",
                                "--out", folder + "/out"])
        XCTAssertTrue(slow.err.isEmpty && slow.out.contains("simulated"), "a bounded run, found \(slow.err)")
    }
}

/// Names the variant being run if the process traps (SIGILL, SIGTRAP): the handler writes it
/// to stderr with write(2), then lets the signal take its course.
enum TrapNote {
    nonisolated(unsafe) static let note = UnsafeMutablePointer<CChar>.allocate(capacity: 512)

    static func set(_ text: String) {
        _ = signal(SIGILL, TrapNote.handler)
        _ = signal(SIGTRAP, TrapNote.handler)
        let bytes = Array(("numeric extremes: trapped at " + text + "\n").utf8.prefix(510))
        for (k, b) in bytes.enumerated() { note[k] = CChar(bitPattern: b) }
        note[bytes.count] = 0
    }

    static func clear() {
        _ = signal(SIGILL, SIG_DFL)
        _ = signal(SIGTRAP, SIG_DFL)
    }

    static let handler: @convention(c) (Int32) -> Void = { sig in
        _ = write(2, TrapNote.note, strlen(TrapNote.note))
        _ = signal(sig, SIG_DFL)
        _ = raise(sig)
    }
}
