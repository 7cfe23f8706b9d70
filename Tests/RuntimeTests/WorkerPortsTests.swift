import XCTest
@testable import Runtime

/// Worker ports come from outside the kernel's ephemeral range, and a port that anything
/// holds (a listener, a bound socket, a closed connection in TIME_WAIT) is never handed out.
final class WorkerPortsTests: XCTestCase {
    /// The ports a server hands its workers are ones the kernel never gives to an outgoing
    /// connection or a port-0 listener, distinct over many takes, and free to listen on.
    func testPortsComeFromBelowTheEphemeralRange() throws {
        let ephemeral = try XCTUnwrap(WorkerPorts.ephemeralRange(), "/proc/sys/net/ipv4/ip_local_port_range unreadable")
        let ports = WorkerPorts.shared
        let range = try XCTUnwrap(ports.range, "no room below the ephemeral range \(ephemeral)")
        XCTAssertLessThan(range.upperBound, ephemeral.lowerBound)
        XCTAssertGreaterThanOrEqual(range.lowerBound, 1024)
        var seen = Set<Int>()
        for _ in 0..<200 {
            let port = try ports.take()
            XCTAssertTrue(range.contains(port), "\(port) outside \(range)")
            XCTAssertFalse(ephemeral.contains(port), "\(port) is in the ephemeral range \(ephemeral)")
            XCTAssertTrue(seen.insert(port).inserted, "\(port) handed out twice in 200 takes")
        }
        // One of them, listened on as a worker would.
        let port = try ports.take()
        let listener = try Socket.listen(SocketAddress(host: "127.0.0.1", port: port))
        XCTAssertEqual(listener.localPort, port)
        listener.close()
    }

    /// Held ports are passed over, whichever way they are held; a worker that does not set
    /// SO_REUSEADDR could not bind a port left in TIME_WAIT.
    func testHeldPortsAreSkipped() throws {
        let (first, second) = try twoAdjacentFreePorts()
        let ports = WorkerPorts(range: first...second, start: 0)

        // A listener on the first.
        let listener = try Socket.listen(SocketAddress(host: "127.0.0.1", port: first))
        XCTAssertFalse(WorkerPorts.isFree(first))
        XCTAssertEqual(try ports.take(), second)
        XCTAssertEqual(try ports.take(), second, "the held port came round again")

        // A connection closed by the listening side leaves the port in TIME_WAIT.
        let client = try Socket.connect(SocketAddress(host: "127.0.0.1", port: first), timeout: 2)
        let accepted = try XCTUnwrap(listener.accept())
        listener.close()
        accepted.close()   // the side that closes first waits in TIME_WAIT
        usleep(50_000)
        client.close()
        XCTAssertFalse(WorkerPorts.isFree(first), "a port in TIME_WAIT counted as free")
        XCTAssertEqual(try ports.take(), second)
    }

    /// A range with nothing free falls back to the kernel's choice instead of failing.
    func testAFullRangeFallsBackToTheKernel() throws {
        let (first, _) = try twoAdjacentFreePorts()
        let listener = try Socket.listen(SocketAddress(host: "127.0.0.1", port: first))
        defer { listener.close() }
        let port = try WorkerPorts(range: first...first, start: 7).take()
        XCTAssertNotEqual(port, first)
        XCTAssertGreaterThan(port, 0)
        let ephemeral = WorkerPorts.ephemeralRange() ?? 32768...60999
        XCTAssertTrue(ephemeral.contains(port), "\(port)")
        // No range at all: the kernel's choice every time.
        XCTAssertTrue(ephemeral.contains(try WorkerPorts(range: nil, start: 3).take()))
    }

    func testRangeBelowTheEphemeralRange() {
        XCTAssertEqual(WorkerPorts.rangeBelowEphemeral(32768...60999), 24576...32767)
        XCTAssertEqual(WorkerPorts.rangeBelowEphemeral(5000...6000), 1024...4999)
        XCTAssertNil(WorkerPorts.rangeBelowEphemeral(1100...65535), "fewer than 256 ports below it")
        XCTAssertEqual(WorkerPorts.rangeBelowEphemeral(nil), 24576...32767, "Linux's default when /proc is unreadable")
        // Where each process starts is taken modulo the range, negative or not.
        XCTAssertEqual(WorkerPorts(range: 30000...30003, start: -1).nextPort, 30003)
        XCTAssertEqual(WorkerPorts(range: 30000...30003, start: 9).nextPort, 30001)
    }

    private func twoAdjacentFreePorts() throws -> (Int, Int) {
        for port in stride(from: 20000 + Int(getpid() % 2000) * 2, to: 24000, by: 2) where WorkerPorts.isFree(port) && WorkerPorts.isFree(port + 1) {
            return (port, port + 1)
        }
        throw XCTSkip("no two adjacent free ports in 20000–24000")
    }
}
