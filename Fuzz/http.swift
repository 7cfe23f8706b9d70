// libFuzzer target: the runtime's HTTP/1.1 parser on a client's bytes and on a worker's. The
// bytes are parsed as the event loop does (from the buffer, retried as more arrive), whole and
// cut in two at a point the input chooses: both must give the same requests, or fail alike.
import Glibc
@testable import Runtime

private func parse(_ pieces: [ArraySlice<UInt8>], response: Bool) -> [String] {
    let c = HTTPConnection(socket: Socket(fd: -1), bufferSize: 64)
    c.nonblocking = true
    var limits = HTTPLimits()
    limits.body = 1 << 16
    var out: [String] = []
    for (k, piece) in pieces.enumerated() {
        if c.start == c.end { c.start = 0; c.end = 0 }
        if c.buffer.count - c.end < piece.count { c.buffer += [UInt8](repeating: 0, count: piece.count) }
        c.buffer.replaceSubrange(c.end..<(c.end + piece.count), with: piece)
        c.end += piece.count
        if k == pieces.count - 1 { c.eof = true }
        while c.start < c.end || c.eof {
            let parsed: Parsed<String>
            if response {
                parsed = c.parseBuffered {
                    let r = try c.readResponse(method: "POST", deadline: Int64.max, limits: limits)
                    return "\(r.status) \(r.headers.count) \(r.body.count)"
                }
            } else {
                parsed = c.parseBuffered {
                    let r = try c.readRequest(limits: limits)
                    return "\(r.method) \(r.target) \(r.headers.count) \(r.body.count) \(r.keepAlive)"
                }
            }
            switch parsed {
            case let .message(m): out.append(m)
            case .incomplete: break
            case let .failed(e): out.append("failed \(e)"); return out
            }
            if case .message = parsed { continue }
            break
        }
    }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let cut = bytes.isEmpty ? 0 : Int(data[0]) % (bytes.count + 1)
    for response in [false, true] {
        let whole = parse([bytes[...]], response: response)
        let split = parse([bytes[..<cut], bytes[cut...]], response: response)
        if whole != split {
            fatalError("parsed differently when cut at \(cut): \(whole) vs \(split)")
        }
    }
    return 0
}
