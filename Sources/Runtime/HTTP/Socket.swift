import Glibc
import Scenario

/// A system error with the call that failed, e.g. "bind 127.0.0.1:8080: Address already in use".
public struct SystemError: RaisedError, CustomStringConvertible {
    public let call: String
    public let code: Int32
    public let raisedAt: String
    public init(_ call: String, code: Int32 = errno, raisedIn f: String = #fileID, at l: Int = #line) {
        self.call = call
        self.code = code
        raisedAt = "\(f):\(l)"
    }
    public var description: String { "\(call): \(String(cString: strerror(code)))" }
}

/// A host and port to listen on or connect to. IPv6 literals are written in brackets.
public struct SocketAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses "HOST:PORT", "[V6]:PORT" or ":PORT" (loopback). Nil when malformed.
    public init?(parsing text: String) {
        var host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }   // an IPv6 address needs brackets
        }
        guard let port = Int(portText), (0...65535).contains(port) else { return nil }
        self.host = host.isEmpty ? "127.0.0.1" : (host == "localhost" ? "127.0.0.1" : String(host))
        self.port = port
    }

    public var isIPv6: Bool { host.contains(":") }
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether the address is on the loopback interface (127.0.0.0/8 or ::1).
    public var isLoopback: Bool { host == "::1" || host.hasPrefix("127.") }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) throws -> R {
        if isIPv6 {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = UInt16(port).bigEndian
            guard inet_pton(AF_INET6, host, &a.sin6_addr) == 1 else { throw SystemError("address \(host)", code: EINVAL) }
            return try withUnsafePointer(to: &a) { try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &a.sin_addr) == 1 else { throw SystemError("address \(host)", code: EINVAL) }
        return try withUnsafePointer(to: &a) { try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    }
}

/// A connected or listening socket descriptor, closed once.
public final class Socket: @unchecked Sendable {
    public let fd: Int32
    private let closed = Atomic(false)

    /// Takes ownership of `fd`. (Linux has no SO_NOSIGPIPE: every send passes MSG_NOSIGNAL.)
    init(fd: Int32) {
        self.fd = fd
    }

    deinit { close() }

    public func close() {
        if closed.exchange(true) == false { _ = Glibc.close(fd) }
    }

    /// Stops reads and writes on both sides (wakes a thread blocked in `read`).
    public func shutdown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    /// A socket listening on `address` (port 0: any free port), with SO_REUSEADDR.
    public static func listen(_ address: SocketAddress, backlog: Int32 = 512) throws -> Socket {
        let fd = Glibc.socket(address.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        let s = Socket(fd: fd)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        try address.withSockaddr { sa, len in
            guard bind(fd, sa, len) == 0 else { throw SystemError("bind \(address)") }
        }
        guard Glibc.listen(fd, backlog) == 0 else { throw SystemError("listen \(address)") }
        return s
    }

    /// The port the socket is bound to.
    public var localPort: Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        if storage.ss_family == sa_family_t(AF_INET6) {
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
        }
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
    }

    /// Accepts a connection (blocking); nil when the listener was shut down.
    public func accept() -> Socket? {
        while true {
            let c = Glibc.accept(fd, nil, nil)
            if c >= 0 {
                _ = fcntl(c, F_SETFD, FD_CLOEXEC)   // workers must not inherit client connections
                var one: Int32 = 1
                setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return Socket(fd: c)
            }
            if errno == EINTR || errno == ECONNABORTED { continue }
            if errno == EMFILE || errno == ENFILE {
                usleep(10_000)   // out of descriptors: back off rather than spin
                continue
            }
            return nil
        }
    }

    /// Connects to `address`, waiting at most `timeout` seconds.
    public static func connect(_ address: SocketAddress, timeout: Double) throws -> Socket {
        let fd = Glibc.socket(address.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        let s = Socket(fd: fd)
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let rc = try address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if rc != 0 {
            guard errno == EINPROGRESS else { throw SystemError("connect \(address)") }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&p, 1, Int32(max(1, timeout * 1000)))
            guard ready > 0 else { throw SystemError("connect \(address)", code: ETIMEDOUT) }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            guard err == 0 else { throw SystemError("connect \(address)", code: err) }
        }
        _ = fcntl(fd, F_SETFL, flags)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return s
    }

    /// How long one blocking `recv` waits before the reader looks at its deadline again, set
    /// once per socket (SO_RCVTIMEO). Reading then costs one system call, not a poll and a
    /// recv; a deadline is noticed within one tick of passing.
    private var tick: Int64 = 0

    /// Sets the receive tick (at most once per value: a system call).
    func setReceiveTick(nanoseconds: Int64) {
        guard nanoseconds != tick else { return }
        tick = nanoseconds
        var tv = timeval(tv_sec: Int(nanoseconds / 1_000_000_000), tv_usec: Int(nanoseconds % 1_000_000_000 / 1000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Reads up to `count` bytes, blocking until data, end of stream, or `deadline` (monotonic
    /// ns): nil when the deadline passed first.
    func read(into buffer: UnsafeMutableRawPointer, count: Int, deadline: Int64) throws -> Int? {
        while true {
            let left = deadline - MonotonicClock.nanoseconds()
            if left <= 0 { return nil }
            // Short waits get a tick of their own; long ones wake every 250 ms at most.
            setReceiveTick(nanoseconds: max(1_000_000, min(left, 250_000_000)))
            let n = Glibc.recv(fd, buffer, count, 0)
            if n >= 0 { return n }
            if errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK { continue }
            throw SystemError("recv")
        }
    }

    /// Reads up to `count` bytes; 0 at end of stream; throws on error.
    public func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        while true {
            let n = Glibc.recv(fd, buffer, count, 0)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw SystemError("recv")
        }
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("send")
            }
            offset += n
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

/// A small atomic flag/value, by a mutex (Foundation-free).
final class Atomic<Value>: @unchecked Sendable {
    private var value: Value
    private var mutex = pthread_mutex_t()

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(&mutex, nil)
    }
    deinit { pthread_mutex_destroy(&mutex) }

    func exchange(_ new: Value) -> Value {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        let old = value
        value = new
        return old
    }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body(&value)
    }

    var load: Value { withLock { $0 } }
}

/// The monotonic clock the runtime's timeline runs on.
public enum MonotonicClock {
    /// Nanoseconds of CLOCK_MONOTONIC.
    public static func nanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
