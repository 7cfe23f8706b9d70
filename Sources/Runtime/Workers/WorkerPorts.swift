import Foundation
import Glibc

/// Hands out the ports that http workers are told to listen on (`PORT`).
///
/// The port is chosen here and bound by the worker later, so something else can take it in
/// between. Asking the kernel for a free port (bind to port 0, read it, close) made that
/// likely: the port came from the ephemeral range, the same range the kernel then hands to
/// every outgoing connection and every other port-0 listener on the machine. In CI a worker
/// was told a port that a client socket had taken meanwhile; it exited with "Address already
/// in use" and the request waiting for it got 502.
///
/// So the ports come from a range the kernel never hands out by itself: the 8,192 ports just
/// below the ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`, 32768–60999 by
/// default, so 24576–32767). Each process starts at its own place in the range (from its
/// pid, scattered) and goes round it, so two servers on one machine, or one worker and its
/// successor, do not meet on a port. A port is handed out only when a plain bind to it on every
/// interface, without `SO_REUSEADDR`, succeeds: nothing listens on it, holds it, or waits in
/// TIME_WAIT on it, so a worker that does not set `SO_REUSEADDR` can bind it too.
///
/// When the ephemeral range leaves no such room, the kernel's choice (port 0) is used.
public final class WorkerPorts: @unchecked Sendable {
    /// The ports this allocator goes round; nil: the kernel's choice each time.
    public let range: ClosedRange<Int>?
    private let next: Atomic<Int>

    /// The allocator that `serve` uses for its workers.
    ///
    /// Its start is the pid scattered over the range (Knuth's multiplicative hash), so
    /// processes started one after another (a test and the server it starts) do not walk
    /// the range a port apart.
    public static let shared = WorkerPorts(range: WorkerPorts.rangeBelowEphemeral(),
                                           start: Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: getpid()) &* 2_654_435_761) & 0x7fff_ffff)

    /// - Parameters:
    ///   - range: the ports to hand out; nil means the kernel's choice each time.
    ///   - start: where in the range to begin (taken modulo its size).
    public init(range: ClosedRange<Int>?, start: Int) {
        self.range = range
        let size = range?.count ?? 1
        next = Atomic((range?.lowerBound ?? 0) + ((start % size) + size) % size)
    }

    /// The port the next `take()` tries first.
    var nextPort: Int { next.load }

    /// A port that nothing holds now, outside the kernel's ephemeral range where possible.
    ///
    /// - Complexity: O(1) bind attempts while the range is mostly free; at worst one per
    ///   port of the range, then the kernel's choice.
    public func take() throws -> Int {
        if let range {
            for _ in 0..<range.count {
                let port = next.withLock { (value: inout Int) -> Int in
                    let p = value
                    value = p == range.upperBound ? range.lowerBound : p + 1
                    return p
                }
                if WorkerPorts.isFree(port) { return port }
            }
        }
        return try freeLoopbackPort()
    }

    /// True when a socket can bind `port` on every interface without `SO_REUSEADDR`.
    public static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = INADDR_ANY
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// The kernel's ephemeral port range, or nil when it cannot be read.
    public static func ephemeralRange() -> ClosedRange<Int>? {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else { return nil }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        guard fields.count == 2, fields[0] <= fields[1] else { return nil }
        return fields[0]...fields[1]
    }

    /// Up to 8,192 ports just below the ephemeral range, none under 1024 (they need
    /// privileges); nil when fewer than 256 are left there.
    public static func rangeBelowEphemeral(_ ephemeral: ClosedRange<Int>? = ephemeralRange()) -> ClosedRange<Int>? {
        // Linux's default when /proc cannot be read (ip-sysctl.rst: ip_local_port_range).
        let ephemeral = ephemeral ?? 32768...60999
        let top = ephemeral.lowerBound - 1
        let bottom = max(1024, top - 8191)
        return top - bottom + 1 >= 256 ? bottom...top : nil
    }
}

/// A free TCP port on the loopback interface, the kernel's choice (bound, read, released).
/// It comes from the ephemeral range, so it may be taken again at once; workers get theirs
/// from `WorkerPorts`.
func freeLoopbackPort() throws -> Int {
    let s = try Socket.listen(SocketAddress(host: "127.0.0.1", port: 0), backlog: 1)
    defer { s.close() }
    return s.localPort
}
