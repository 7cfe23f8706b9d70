import Foundation
import Glibc
import CEventLoop

/// A blocking HTTP/1.1 server: an accept thread and a thread per connection, at most
/// `maxConnections` at once (beyond that a new connection gets a 503 and is closed, not
/// queued). Keep-alive, size limits and read timeouts come from `HTTPLimits`.
///
/// A handler runs on its connection's thread and may block (the runtime's does, while a
/// worker serves the request): connections are independent, so a slow one stalls no other.
public final class HTTPServer: @unchecked Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    public let address: SocketAddress
    let listener: Socket
    let limits: HTTPLimits
    let maxConnections: Int
    let handler: Handler
    private let state = Atomic(State())
    private let done = DispatchGroup()

    struct State {
        var open: [Int32: Socket] = [:]
        var stopping = false
        var refused = 0
    }

    /// Binds `address` (port 0: a free port; `address.port` is then the chosen one).
    public init(address: SocketAddress, limits: HTTPLimits = HTTPLimits(), maxConnections: Int = 1024, handler: @escaping Handler) throws {
        listener = try Socket.listen(address)
        self.address = SocketAddress(host: address.host, port: listener.localPort)
        self.limits = limits
        self.maxConnections = maxConnections
        self.handler = handler
    }

    /// Connections currently open, and connections refused for the limit so far.
    public var connectionCounts: (open: Int, refused: Int) { state.withLock { ($0.open.count, $0.refused) } }

    /// Starts accepting on a thread of its own.
    public func start() {
        done.enter()
        // Named from inside: Foundation on Linux does not apply a name set before start.
        let port = address.port
        Thread { [self] in
            cel_set_thread_name("accept \(port)")
            acceptLoop()
            done.leave()
        }.start()
    }

    private func acceptLoop() {
        while let connection = listener.accept() {
            let admitted: Bool = state.withLock { s in
                if s.stopping { return false }
                if s.open.count >= maxConnections {
                    s.refused += 1
                    return false
                }
                s.open[connection.fd] = connection
                return true
            }
            guard admitted else {
                let busy = HTTPResponse.error(503, "too many connections (the limit is \(maxConnections))")
                try? connection.write(busy.serialized(close: true))
                connection.close()
                if state.withLock({ $0.stopping }) { break }
                continue
            }
            done.enter()
            let t = Thread { [self] in
                serve(connection)
                state.withLock { _ = $0.open.removeValue(forKey: connection.fd) }
                connection.close()
                done.leave()
            }
            t.stackSize = 512 * 1024
            t.start()
        }
    }

    private func serve(_ socket: Socket) {
        let connection = HTTPConnection(socket: socket)
        while true {
            let request: HTTPRequest
            do {
                request = try connection.readRequest(limits: limits)
            } catch let e as HTTPReadError {
                switch e {
                case let .malformed(status, message):
                    try? socket.write(HTTPResponse.error(status, message).serialized(close: true))
                case .timeout, .closed, .failed:
                    // An idle keep-alive connection timed out, or the client went: just close.
                    // (A request that began and stalled is `.malformed(408)`.)
                    break
                }
                return
            } catch {
                return
            }
            let stopping = state.withLock { $0.stopping }
            let response = handler(request)
            let close = !request.keepAlive || stopping || response.header("connection")?.lowercased() == "close"
            do { try socket.write(response.serialized(close: close)) } catch { return }
            if close { return }
        }
    }

    /// Stops accepting, closes idle connections, and waits up to `grace` seconds for
    /// connections with a request in progress to finish; then cuts them.
    public func stop(grace: Double = 0) {
        let connections: [Socket] = state.withLock { s in
            s.stopping = true
            return Array(s.open.values)
        }
        listener.shutdown()
        listener.close()
        // Idle keep-alive connections wake from their read and end; busy ones finish first.
        for c in connections { _ = Glibc.shutdown(c.fd, Int32(SHUT_RD)) }
        if done.wait(timeout: .now() + max(0, grace)) == .timedOut {
            for c in state.withLock({ Array($0.open.values) }) { c.shutdown() }
            _ = done.wait(timeout: .now() + 5)
        }
    }
}
