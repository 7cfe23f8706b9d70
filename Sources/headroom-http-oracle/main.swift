// headroom-http-oracle: the runtime's HTTP/1.1 parser on inputs read from standard input, for
// Scripts/http-differential.py, which sets its verdicts beside h11's on the same bytes.
//
//   headroom-http-oracle requests|responses < inputs > verdicts
//
// Each input is a 4-byte little-endian length and that many bytes; each verdict one line of
// JSON, a list of events: ["request", method, target, version, [headers], body-hex],
// ["response", status, [headers], body-hex], ["error", status, message], ["incomplete"],
// ["close"]. Limits are set above what an input can reach, so only the grammar and the
// framing decide.
import Foundation
import Runtime

let mode = CommandLine.arguments.dropFirst().first ?? ""
guard mode == "requests" || mode == "responses" else {
    FileHandle.standardError.write(Data("Usage: headroom-http-oracle requests|responses < inputs\n".utf8))
    exit(64)
}
var limits = HTTPLimits()
limits.requestLine = 1 << 20
limits.headerBytes = 1 << 20
limits.headerCount = 1 << 20
limits.body = 1 << 24

func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default:
            if u.value < 0x20 || u.value == 0x7f { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2 + 2)
    out.append(34)
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    out.append(34)
    return String(decoding: out, as: UTF8.self)
}

func json(_ e: HTTPWireParser.Event) -> String {
    switch e {
    case let .request(method, target, version, headers, body):
        return "[\"request\",\(quote(method)),\(quote(target)),\(quote(version)),[\(headers.map(quote).joined(separator: ","))],\(hex(body))]"
    case let .response(status, headers, body):
        return "[\"response\",\(status),[\(headers.map(quote).joined(separator: ","))],\(hex(body))]"
    case let .error(status, message): return "[\"error\",\(status),\(quote(message))]"
    case .incomplete: return "[\"incomplete\"]"
    case .close: return "[\"close\"]"
    }
}

let input = FileHandle.standardInput
var output = Data()
while true {
    let head = input.readData(ofLength: 4)
    guard head.count == 4 else { break }
    let n = Int(head[head.startIndex]) | Int(head[head.startIndex + 1]) << 8 | Int(head[head.startIndex + 2]) << 16 | Int(head[head.startIndex + 3]) << 24
    let bytes = n == 0 ? [] : [UInt8](input.readData(ofLength: n))
    let events = mode == "requests" ? HTTPWireParser.requests(bytes, limits: limits) : HTTPWireParser.response(bytes, limits: limits)
    output.append(contentsOf: Array(("[" + events.map(json).joined(separator: ",") + "]\n").utf8))
    if output.count > 1 << 16 {
        FileHandle.standardOutput.write(output)
        output.removeAll(keepingCapacity: true)
    }
}
FileHandle.standardOutput.write(output)
