/// One request on a connection of its own, its answer's body handed over piece by piece as it
/// arrives (a client of streamed answers: `headroom loadgen --api openai` timing tokens).
public enum StreamingCall {
    public enum Outcome: Sendable {
        /// The whole answer came: its status and header fields.
        case answered(status: Int, headers: [(name: String, value: String)])
        /// No whole answer by the deadline.
        case timedOut
        /// No connection, or it broke before the answer's head.
        case failed(String)
        /// The answer began, then broke off (no last chunk, a malformed one, a reset).
        case cut(status: Int, why: String)
    }

    /// Sends `request` to `address` and reads its answer until `deadline` (monotonic ns),
    /// calling `body` with each piece of the body as it is decoded (valid only during the
    /// call). The connection is closed at the end.
    public static func call(_ request: HTTPRequest, to address: SocketAddress, connectTimeout: Double, deadline: Int64,
                            body: (UnsafeBufferPointer<UInt8>) -> Void) -> Outcome {
        let socket: Socket
        do {
            socket = try Socket.connect(address, timeout: connectTimeout)
        } catch {
            return .failed("\(error)")
        }
        defer { socket.close() }
        var request = request
        request.headers.append(("Connection", "close"))
        let http = HTTPConnection(socket: socket)
        let head: HTTPConnection.ResponseHead
        do {
            try socket.write(request.serialized(host: address.description))
            head = try http.readResponseHead(method: request.method, deadline: deadline)
        } catch HTTPReadError.timeout {
            return .timedOut
        } catch {
            return .failed("\(error)")
        }
        var decoder = BodyDecoder(head.noBody ? .length(0) : head.framing)
        var pending = Array(http.buffer[http.start..<http.end])
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var eof = false
        do {
            while true {
                let used = try pending.withUnsafeBufferPointer { try decoder.decode($0, eof: eof, emit: body) }
                pending.removeFirst(used)
                if decoder.isDone { return .answered(status: head.status, headers: head.headers) }
                guard let n = try chunk.withUnsafeMutableBytes({ try socket.read(into: $0.baseAddress!, count: $0.count, deadline: deadline) }) else {
                    return .timedOut
                }
                if n == 0 { eof = true } else { pending += chunk[0..<n] }
            }
        } catch let HTTPReadError.malformed(_, message) {
            return .cut(status: head.status, why: message)
        } catch {
            return .cut(status: head.status, why: "\(error)")
        }
    }
}
