import Foundation
import Simulator
import Reports

/// Progress on an interactive terminal, on one line rewritten in place: what is done, the
/// rate and the time left. Shown only when stderr is a terminal (callers check).
final class Progress: @unchecked Sendable {
    enum Style {
        /// "variants 12/208  3.4/s  ETA 52 s"
        case count(String)
        /// "simulated 45%  ETA 3.1 s"
        case percent(String)
    }

    let sink: TextSink
    let style: Style
    let started = Date()
    let lock = NSLock()
    var last = Date.distantPast

    init(sink: TextSink, style: Style) {
        self.sink = sink
        self.style = style
    }

    /// Reports `done` of `total`; redraws at most five times a second, and at the end.
    func update(_ done: Int, _ total: Int) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard done == total || now.timeIntervalSince(last) > 0.2 else { return }
        last = now
        let elapsed = now.timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = "ETA " + TerminalTable.duration(rate > 0 ? Double(total - done) / rate : 0)
        switch style {
        case let .count(noun):
            sink.write("\r\(noun) \(done)/\(total)  \(CSVNumber.fixed(rate, 1))/s  \(eta)   ")
        case let .percent(label):
            sink.write("\r\(label) \(CSVNumber.fixed(Double(done) / Double(total) * 100, 0))%  \(eta)   ")
        }
    }

    /// Clears the line.
    func finish() { sink.write("\r\u{1B}[K") }
}

/// Per-plan progress fractions shared by the plans' threads.
final class FractionBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var fractions: [Double]
    init(count: Int) { fractions = [Double](repeating: 0, count: Swift.max(count, 1)) }
    /// Sets one plan's fraction; returns the mean over plans.
    func set(_ plan: Int, _ fraction: Double) -> Double {
        lock.lock()
        defer { lock.unlock() }
        fractions[plan] = fraction
        return fractions.reduce(0, +) / Double(fractions.count)
    }
}

/// Progress for logs that are not a terminal (CI): a plain line every few seconds, so a long
/// run shows it is alive without the carriage-return display.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private let sink: TextSink
    private let every: Double
    private var last = Date()
    init(sink: TextSink, every: Double = 5) {
        self.sink = sink
        self.every = every
    }
    func write(_ line: () -> String) {
        lock.lock()
        defer { lock.unlock() }
        guard Date().timeIntervalSince(last) >= every else { return }
        last = Date()
        sink.write(line() + "\n")
    }
}
