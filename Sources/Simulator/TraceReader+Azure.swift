import Foundation
import Scenario

// Azure Functions 2021 invocations: rows come in order of end time and are replayed in order
// of start, through a reorder heap.

/// An invocation read ahead, waiting to be replayed in order of start.
struct PendingInvocation: HeapElement {
    var start: Int64
    var sequence: Int
    var target: Int32
    var service: Int64

    func precedes(_ other: PendingInvocation) -> Bool {
        start < other.start || (start == other.start && sequence < other.sequence)
    }
}

extension TraceReader {
    /// The next invocation in order of start time. Rows come in order of end time; an
    /// invocation started `duration` before its end, so rows are read ahead until the end
    /// times passed the earliest pending start by the reorder window, and pending ones leave
    /// a binary heap by (start, row order). Memory follows the invocations within the window.
    func nextInvocation() throws -> TraceRow? {
        while true {
            if let head = pendingInvocations.first, eofReached || lastEnd - head.start >= reorderWindow {
                let invocation = popInvocation()
                if invocation.start < lastEmitted {
                    throw ScenarioError(file: displayPath, line: invocation.sequence, path: "column duration",
                                        message: "this invocation started \(Self.seconds(lastEmitted - invocation.start)) s before one already replayed: its duration exceeds the reorder window (\(Self.seconds(reorderWindow)) s)",
                                        suggestion: "raise the source's \"reorderWindow\" above the longest duration in the trace")
                }
                lastEmitted = invocation.start
                return TraceRow(offset: try offset(invocation.start, column: "end_timestamp"), target: invocation.target, caller: 0, version: 0,
                                inputTokens: 0, outputTokens: 0, service: useDurations ? invocation.service : -1)
            }
            if eofReached { return nil }
            if try !readInvocation() { eofReached = true }
        }
    }

    /// Reads one row into the pending heap; false at end of file.
    func readInvocation() throws -> Bool {
        while let raw = nextLine() {
            if raw.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            split(raw)
            guard starts.count >= 4 else {
                throw fail("expected 4 comma-separated fields (app,func,end_timestamp,duration), found \(starts.count)")
            }
            let endBytes = field(raw, 2), durationBytes = field(raw, 3)
            guard let end = Self.parseTime(endBytes) else {
                throw fail("cannot read end_timestamp \"\(Self.text(endBytes))\": expected seconds", column: "end_timestamp")
            }
            guard let duration = Self.parseTime(durationBytes), duration >= 0 else {
                throw fail("cannot read duration \"\(Self.text(durationBytes))\": expected seconds ≥ 0", column: "duration")
            }
            if end < lastEnd {
                throw fail("end_timestamp \"\(Self.text(endBytes))\" is earlier than the row before: rows must be in order of end time",
                           column: "end_timestamp", suggestion: "sort the trace by end_timestamp")
            }
            lastEnd = end
            var target = defaultTarget
            if seenTargets != nil {
                // Describing the trace: each function is a target of its own.
                let function = field(raw, 1)
                if !function.elementsEqual(lastFunction) {
                    lastFunction = Array(function)
                    lastFunctionTarget = seenTargets!.intern(Self.text(function))
                }
                target = lastFunctionTarget
            } else if !functionTargets.isEmpty {
                let function = field(raw, 1), app = field(raw, 0)
                if function.elementsEqual(lastFunction) && app.elementsEqual(lastApp) {
                    target = lastFunctionTarget
                } else {
                    target = functionTargets[Self.text(function)] ?? functionTargets[Self.text(app)] ?? defaultTarget
                    lastFunction = Array(function)
                    lastApp = Array(app)
                    lastFunctionTarget = target
                }
            }
            pushInvocation(PendingInvocation(start: end - duration, sequence: line, target: target, service: duration))
            return true
        }
        return false
    }

    func pushInvocation(_ invocation: PendingInvocation) {
        pendingInvocations.append(invocation)
        pendingInvocations.withUnsafeMutableBufferPointer { h in
            BinaryHeap.siftUp(invocation, from: h.count - 1, in: h.baseAddress!)
        }
    }

    func popInvocation() -> PendingInvocation {
        let top = pendingInvocations[0]
        let last = pendingInvocations.removeLast()
        if pendingInvocations.isEmpty { return top }
        pendingInvocations.withUnsafeMutableBufferPointer { h in
            BinaryHeap.siftDown(last, in: h.baseAddress!, count: h.count)
        }
        return top
    }

    static func seconds(_ nanoseconds: Int64) -> String {
        let s = Double(nanoseconds) / 1e9
        return s == s.rounded() ? String(Int64(s)) : String(s)
    }
}
