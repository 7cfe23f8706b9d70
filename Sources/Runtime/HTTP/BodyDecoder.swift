import Glibc

/// Decodes a response body as its bytes arrive, so it can be relayed on before it is whole:
/// a worker's streamed answer (server-sent events, chunked transfer coding, or a body that
/// runs until the connection closes).
///
/// Sans-I/O: bytes in, the body's data out through `emit`, no socket. The chunked grammar and
/// its verdicts are those of `HTTPConnection`'s whole-message parser (RFC 9112 §7.1; h11's
/// rules: 1 to 20 hex digits, an extension from ";" to the line's end, CRLF line ends, CRLF
/// after each chunk's data, trailer fields up to an empty line), which a randomized test
/// checks it against, however the bytes are cut.
struct BodyDecoder {
    enum State: Equatable {
        /// Chunked: a chunk-size line comes next.
        case size
        /// Chunked: this many bytes of a chunk's data are still to come.
        case data(Int)
        /// Chunked: the CRLF after a chunk's data.
        case dataEnd
        /// Chunked: trailer fields up to the empty line.
        case trailer
        /// A Content-Length body: this many bytes are still to come.
        case remaining(Int)
        /// The body runs until the peer closes.
        case untilClose
        case done
    }

    private(set) var state: State
    /// The longest chunk-size or trailer line, and all trailer lines together (bytes).
    let lineLimit: Int
    private var trailerBytes = 0

    init(_ framing: HTTPFraming, lineLimit: Int = HTTPLimits().headerBytes) {
        switch framing {
        case .chunked: state = .size
        case let .length(n): state = n == 0 ? .done : .remaining(n)
        case .untilClose: state = .untilClose
        }
        self.lineLimit = lineLimit
    }

    var isDone: Bool { state == .done }

    /// Decodes what it can of `bytes`: each piece of body data goes to `emit` (valid only
    /// during the call). Returns how many bytes were consumed: the rest (part of a line) must
    /// be offered again with more after it. `eof`: the peer has closed, and `bytes` are the
    /// last; a body not complete then is an error (except one that runs until close).
    ///
    /// - Throws: `HTTPReadError.malformed` (status 502) for bytes that break the framing, or
    ///   a body cut short by the end of stream.
    /// - Complexity: O(n) for n bytes.
    mutating func decode(_ bytes: UnsafeBufferPointer<UInt8>, eof: Bool, emit: (UnsafeBufferPointer<UInt8>) -> Void) throws -> Int {
        var i = 0
        let n = bytes.count
        loop: while state != .done {
            switch state {
            case .untilClose:
                if i < n { emit(UnsafeBufferPointer(rebasing: bytes[i..<n])) }
                i = n
                if eof { state = .done }
                break loop
            case let .remaining(left):
                let take = Swift.min(left, n - i)
                if take > 0 { emit(UnsafeBufferPointer(rebasing: bytes[i..<(i + take)])) }
                i += take
                state = left - take == 0 ? .done : .remaining(left - take)
                if i == n { break loop }
            case let .data(left):
                let take = Swift.min(left, n - i)
                if take > 0 { emit(UnsafeBufferPointer(rebasing: bytes[i..<(i + take)])) }
                i += take
                state = left - take == 0 ? .dataEnd : .data(left - take)
                if i == n { break loop }
            case .dataEnd:
                guard n - i >= 2 else {
                    if n - i == 1, bytes[i] != 13 { throw Self.malformed("missing CRLF after a chunk") }
                    break loop
                }
                guard bytes[i] == 13, bytes[i + 1] == 10 else { throw Self.malformed("missing CRLF after a chunk") }
                i += 2
                state = .size
            case .size:
                guard let lf = Self.lineFeed(bytes, from: i) else {
                    if n - i > lineLimit + 1 { throw Self.malformed("chunk size line too long") }
                    break loop
                }
                guard lf - i <= lineLimit + 1 else { throw Self.malformed("chunk size line too long") }
                let size = try Self.chunkSize(bytes, from: i, lineFeed: lf)
                i = lf + 1
                state = size == 0 ? .trailer : .data(size)
            case .trailer:
                guard let lf = Self.lineFeed(bytes, from: i) else {
                    if n - i > lineLimit + 1 { throw Self.malformed("trailer fields larger than \(lineLimit) bytes") }
                    break loop
                }
                var lineEnd = lf
                if lineEnd > i && bytes[lineEnd - 1] == 13 { lineEnd -= 1 }
                trailerBytes += lineEnd - i
                guard trailerBytes <= lineLimit else { throw Self.malformed("trailer fields larger than \(lineLimit) bytes") }
                if lineEnd == i {
                    state = .done
                } else {
                    try Self.checkField(bytes, from: i, to: lineEnd)
                }
                i = lf + 1
            case .done:
                break loop
            }
        }
        if eof && state != .done {
            throw HTTPReadError.malformed(status: 502, message: "the connection closed in the middle of an answer")
        }
        return i
    }

    private static func malformed(_ message: String) -> HTTPReadError { .malformed(status: 502, message: message) }

    private static func lineFeed(_ b: UnsafeBufferPointer<UInt8>, from i: Int) -> Int? {
        guard i < b.count, let p = memchr(b.baseAddress! + i, 10, b.count - i) else { return nil }
        return UnsafePointer<UInt8>(p.assumingMemoryBound(to: UInt8.self)) - b.baseAddress!
    }

    /// A chunk-size line from `i` to its LF, which must follow a CR (`HTTPFraming.chunkSize`,
    /// the whole-message parser's reading).
    private static func chunkSize(_ b: UnsafeBufferPointer<UInt8>, from i: Int, lineFeed lf: Int) throws -> Int {
        guard lf > i, let size = HTTPFraming.chunkSize(b, line: i..<(lf - 1)) else { throw malformed("bad chunk size line") }
        return size
    }

    /// A trailer field line: a token, a colon, a value without NUL, CR, LF, VT or FF.
    private static func checkField(_ b: UnsafeBufferPointer<UInt8>, from i: Int, to end: Int) throws {
        var k = i
        while k < end && HTTPFraming.isTokenByte(b[k]) { k += 1 }
        guard k > i, k < end, b[k] == 58 else { throw malformed("malformed trailer field") }
        for j in (k + 1)..<end where !(b[j] == 32 || b[j] == 9 || HTTPFraming.isFieldValueByte(b[j])) {
            throw malformed("a trailer field value with a NUL, CR, LF, VT or FF byte")
        }
    }
}
