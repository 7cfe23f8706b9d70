import XCTest
import Glibc
@testable import Runtime

/// The incremental body decoder against the whole-message parser (the reference, itself
/// checked against h11): the same body for every framing and every way of cutting the bytes,
/// and a refusal wherever the parser refuses.
final class BodyDecoderTests: XCTestCase {
    /// The reference: the whole response parsed from a buffer (nil: refused).
    func reference(_ wire: [UInt8]) -> [UInt8]? {
        let (a, b) = socketPair()
        defer { a.close(); b.close() }
        let http = HTTPConnection(socket: a, bufferSize: max(16, wire.count))
        http.nonblocking = true
        http.buffer.replaceSubrange(0..<wire.count, with: wire)
        http.end = wire.count
        http.eof = true
        return try? http.readResponse(method: "POST", deadline: 0).body
    }

    func socketPair() -> (Socket, Socket) {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        return (Socket(fd: fds[0]), Socket(fd: fds[1]))
    }

    /// The body decoded from `bytes` (the part after the head) fed in pieces cut at `cuts`,
    /// or nil when refused or cut short.
    func decoded(_ framing: HTTPFraming, _ bytes: [UInt8], cuts: [Int]) -> [UInt8]? {
        var d = BodyDecoder(framing)
        var out: [UInt8] = []
        var pending: [UInt8] = []
        var from = 0
        for cut in cuts + [bytes.count] where cut >= from {
            pending += bytes[from..<cut]
            from = cut
            let last = cut == bytes.count
            guard let used = try? pending.withUnsafeBufferPointer({ try d.decode($0, eof: last) { out += $0 } }) else { return nil }
            pending.removeFirst(used)
            if d.isDone { return out }
        }
        return d.isDone ? out : nil
    }

    func testAgainstTheWholeMessageParserOverManySeeds() {
        var rng = SplitMix(seed: 7)
        var accepted = 0, refused = 0
        for trial in 0..<3000 {
            let size = rng.below(300)
            let body = (0..<size).map { _ in UInt8(rng.below(256)) }
            var head = "HTTP/1.1 200 OK\r\n"
            var rest: [UInt8] = []
            let framing: HTTPFraming
            switch rng.below(3) {
            case 0:
                framing = .length(size)
                head += "Content-Length: \(size)\r\n\r\n"
                rest = body
            case 1:
                framing = .untilClose
                head += "Connection: close\r\n\r\n"
                rest = body
            default:
                framing = .chunked
                head += "Transfer-Encoding: chunked\r\n\r\n"
                var i = 0
                while i < size {
                    let n = min(size - i, 1 + rng.below(64))
                    let hex = String(n, radix: 16, uppercase: rng.below(2) == 0)
                    rest += Array((String(repeating: "0", count: rng.below(3)) + hex + (rng.below(5) == 0 ? ";ext=1" : "") + "\r\n").utf8)
                    rest += body[i..<(i + n)]
                    rest += [13, 10]
                    i += n
                }
                rest += Array(("0\r\n" + (rng.below(4) == 0 ? "Trailer-Field: yes\r\n" : "") + "\r\n").utf8)
            }
            // Now and then a byte of the framing is broken.
            if framing == .chunked, !rest.isEmpty, rng.below(4) == 0 {
                rest[rng.below(rest.count)] = [UInt8(ascii: "g"), 10, 13, UInt8(ascii: " "), UInt8(ascii: ";")][rng.below(5)]
            }
            let cuts = (0..<rng.below(6)).map { _ in rng.below(rest.count + 1) }.sorted()
            let want = reference(Array(head.utf8) + rest)
            let got = decoded(framing, rest, cuts: cuts)
            if let want {
                XCTAssertEqual(got, want, "trial \(trial): the same body")
                accepted += 1
            } else {
                XCTAssertNil(got, "trial \(trial): refused as the parser refuses")
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, 50, "broken framings were tried")
        XCTAssertGreaterThan(accepted, 2000)
    }

    func testCutShortIsAnError() {
        var d = BodyDecoder(.chunked)
        let bytes = Array("5\r\nhel".utf8)
        XCTAssertThrowsError(try bytes.withUnsafeBufferPointer { try d.decode($0, eof: true) { _ in } })
        var l = BodyDecoder(.length(10))
        XCTAssertThrowsError(try bytes.withUnsafeBufferPointer { try l.decode($0, eof: true) { _ in } })
    }
}
