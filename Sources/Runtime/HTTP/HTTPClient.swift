/// A keep-alive connection pool to one HTTP endpoint (a worker), for blocking calls from any
/// thread.
public final class HTTPClient: @unchecked Sendable {
    public let address: SocketAddress
    private let idle = Atomic<[HTTPConnection]>([])
    /// Idle connections kept for reuse at most.
    let keep: Int

    public init(address: SocketAddress, keep: Int = 64) {
        self.address = address
        self.keep = keep
    }

    /// A call whose answer is still outstanding past its deadline: the caller may keep
    /// waiting for it (`keepWaiting`) or drop it (`abandon`).
    public struct Pending: @unchecked Sendable {
        let connection: HTTPConnection
        let method: String
    }

    public enum Outcome: @unchecked Sendable {
        case answered(HTTPResponse)
        case timedOut(Pending)
        /// The endpoint could not be reached, or the connection broke.
        case failed(String)
    }

    /// Sends `request` and reads the answer before `deadline` (monotonic ns). A reused idle
    /// connection that the server had closed meanwhile is retried once on a new one.
    public func call(_ request: HTTPRequest, deadline: Int64, connectTimeout: Double = 5) -> Outcome {
        let bytes = request.serialized(host: address.description)
        var attempt = 0
        while true {
            attempt += 1
            let reused: HTTPConnection? = idle.withLock { $0.popLast() }
            let connection: HTTPConnection
            if let reused {
                connection = reused
            } else {
                do {
                    connection = HTTPConnection(socket: try Socket.connect(address, timeout: connectTimeout), bufferSize: 16 * 1024)
                } catch {
                    return .failed("\(error)")
                }
            }
            do {
                try connection.socket.write(bytes)
            } catch {
                connection.socket.close()
                if reused != nil && attempt == 1 { continue }
                return .failed("\(error)")
            }
            let outcome = keepWaiting(Pending(connection: connection, method: request.method), deadline: deadline)
            // A stale kept-alive connection ends before any byte of the answer: retry once.
            if case .failed("closed") = outcome, reused != nil, attempt == 1 { continue }
            return outcome
        }
    }

    /// Reads the answer on `pending`'s connection until `deadline`.
    public func keepWaiting(_ pending: Pending, deadline: Int64) -> Outcome {
        do {
            let response = try pending.connection.readResponse(method: pending.method, deadline: deadline)
            // Bytes after the answer are nobody's: the connection is out of step, not reused.
            if response.asksToClose || pending.connection.buffered > 0 {
                pending.connection.socket.close()
            } else {
                let kept = idle.withLock { list -> Bool in
                    guard list.count < keep else { return false }
                    list.append(pending.connection)
                    return true
                }
                if !kept { pending.connection.socket.close() }
            }
            return .answered(response)
        } catch HTTPReadError.timeout {
            return .timedOut(pending)
        } catch HTTPReadError.closed {
            pending.connection.socket.close()
            return .failed("closed")
        } catch let HTTPReadError.failed(why) {
            pending.connection.socket.close()
            return .failed(why)
        } catch let HTTPReadError.malformed(_, message) {
            pending.connection.socket.close()
            return .failed(message)
        } catch {
            pending.connection.socket.close()
            return .failed("\(error)")
        }
    }

    /// Drops an outstanding call (closes its connection).
    public func abandon(_ pending: Pending) { pending.connection.socket.close() }

    /// Closes every idle connection.
    public func closeAll() {
        for c in idle.withLock({ list -> [HTTPConnection] in defer { list = [] }; return list }) { c.socket.close() }
    }
}
