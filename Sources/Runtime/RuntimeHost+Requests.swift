import Foundation
import SchedulerCore
import Scenario
import Planning

// A request's way through the host: submitted from its connection, its deadline kept, its
// stages dispatched to workers and answered, and its end (completed, rejected, timed out,
// cancelled) counted and its slot released.

extension RuntimeHost {
    /// Runs on the caller's (connection's) thread: `executor.sync` executes the block right there
    /// when the executor is free, so the usual path has no thread hand-off at all — the core's
    /// dispatch is already in the call's mailbox when this returns. Still one serial executor:
    /// blocks never overlap.
    func submit(_ call: Call) {
        executor.sync {
            if stopped {
                call.outcome = "rejected"
                call.reason = "shutting_down"
                call.post(.finished(.error(503, "the server is shutting down")))
                return
            }
            let r: Int
            if let slot = freeSlots.popLast() {
                r = Int(slot)
            } else {
                r = calls.count
                calls.append(nil)
            }
            calls[r] = call
            call.slot = r
            held += 1
            while slotGeneration.count <= r { slotGeneration.append(0) }
            slotGeneration[r] &+= 1
            armDeadline(RequestDeadline(time: call.deadline, slot: Int32(r), generation: slotGeneration[r]))
            feed(.requestArrived(RequestID(r), target: TargetID(call.target), caller: CallerID(call.caller)))
        }
    }

    /// Deadlines need no heap: every request has the same timeout, so they come in arrival
    /// order (a FIFO, as in the simulator); one timer is armed for the earliest.
    ///
    /// Entries of requests that ended stay until their time (removing each at once would cost
    /// a search per request), but not in unbounded numbers: once they outnumber the requests
    /// held (and 64), the FIFO keeps only the held ones. Without that it held every request of
    /// the last timeout: 48 k requests a second for a 30 s timeout took serve from 23 MB to
    /// 63 MB, and a timeout of an hour would have taken gigabytes.
    ///
    /// - Complexity: O(1) amortized (a compaction of n entries follows n/2 appends at least).
    func armDeadline(_ d: RequestDeadline) {
        if deadlines.count >= 2 * held + 64 {
            deadlines.keep { calls[Int($0.slot)] != nil && slotGeneration[Int($0.slot)] == $0.generation }
        }
        deadlines.append(d)
        if deadlines.count == 1 { scheduleDeadlineCheck(at: d.time) }
    }

    func scheduleDeadlineCheck(at deadline: Int64) {
        // One check pending at a time: a compaction that emptied the FIFO must not add a
        // second timer when the next request files its deadline.
        if let pending = deadlineCheckAt, pending <= deadline { return }
        deadlineCheckAt = deadline
        let delay = Double(max(0, deadline - MonotonicClock.nanoseconds())) / 1e9
        executor.asyncAfter(deadline: .now() + delay) { [self] in
            if deadlineCheckAt == deadline { deadlineCheckAt = nil }
            checkDeadlines()
        }
    }

    func checkDeadlines() {
        let now = MonotonicClock.nanoseconds()
        while let first = deadlines.first, first.time <= now {
            deadlines.removeFirst()
            let r = Int(first.slot)
            // Entries of calls that ended stay until their time (removing them early would
            // cost a search per request): the slot's generation tells them apart.
            if slotGeneration[r] == first.generation, let call = calls[r] { deadlinePassed(call) }
        }
        if let first = deadlines.first { scheduleDeadlineCheck(at: first.time) }
    }

    func cancel(_ call: Call) {
        executor.sync {
            guard call.slot >= 0, calls[call.slot] === call, !call.answered else { return }
            call.answered = true
            call.outcome = "cancelled"
            call.post(.finished(.error(504, "cancelled: the pipeline's request ended")))
            feed(.requestTimedOut(RequestID(call.slot)))
        }
    }

    func recordGraph(target: Int, caller: Int, outcome: Metrics.Outcome, latency: Double) {
        executor.sync {
            if outcome == .completed { metrics.latency[target].observe(latency) }
            metrics.requests[Metrics.RequestKey(target: Int32(target), version: -1, caller: Int32(caller), outcome: outcome), default: 0] += 1
        }
    }

    /// The request's `slo.timeout` passed: the client gets a 504 now; the core releases the
    /// slot when the request leaves its queue or its worker.
    func deadlinePassed(_ call: Call) {
        guard call.slot >= 0, calls[call.slot] === call, !call.answered, !call.streaming else { return }
        call.answered = true
        call.outcome = "timed_out"
        count(call, .timedOut)
        call.post(.finished(.error(504, "no answer within the timeout of \(ValueText.seconds(timeout))")))
        feed(.requestTimedOut(RequestID(call.slot)))
    }

    func dispatch(request r: Int, instance i: Int, cold: Bool) {
        guard let call = calls[r], let inst = instances[i], let endpoint = inst.endpoint else { return }
        if cold { call.cold = true }
        call.lastModel = inst.model
        let model = scenario.models[inst.model]
        if call.logsStages { call.noteStage(AuditRecord.Stage(model: functionNames[inst.model], version: model.version ?? "", instance: "i\(i)",
                                         node: inst.node >= 0 ? "\(scenario.hardware[nodes[inst.node]?.type ?? 0].name)#\(inst.node)" : "",
                                         cold: cold, start: AuditLog.nowMicros(), end: nil)) }
        let base = call.workerPath ?? stagePaths[inst.model]
        let path = call.query.isEmpty ? base : base + "?" + call.query
        let stage = StageCall(id: call.id, path: path, headers: call.headers, body: call.body,
                              function: functionNames[inst.model], deadlineUnixMs: call.deadlineUnixMs,
                              stream: call.streams ? StreamOptions(stall: timeout, hashes: call.logsStages) : nil)
        if !call.answered {
            call.post(.dispatch(instance: i, generation: inst.generation, endpoint: endpoint, stage: stage,
                                meter: recorder == nil ? nil : WorkerMeter(pid: inst.process?.pid ?? 0, cgroup: inst.cgroup)))
        } else {
            // Timed out while bound to a starting instance, then dispatched: no one waits, so
            // the host ends the stage at once on the client's behalf.
            executor.async { [self] in
                if call.slot >= 0, calls[call.slot] === call { feed(.requestFinished(RequestID(call.slot))) }
            }
        }
    }

    /// On the caller's thread, like `submit`: the next stage's dispatch or the client's answer
    /// is in the call's mailbox when this returns.
    func stageAnswered(_ call: Call, _ response: HTTPResponse, functionError: Bool) {
        if call.logsStages { call.noteStageEnd(AuditLog.nowMicros()) }
        executor.sync {
            guard call.slot >= 0, calls[call.slot] === call else { return }
            call.lastStage = (response, functionError)
            if (functionError || response.status >= 400), call.stageError == nil { call.stageError = (response, functionError) }
            call.body = response.body
            feed(.requestFinished(RequestID(call.slot)))
        }
    }

    /// A worker began a streamed answer, which the client is now being sent: the request's
    /// deadline no longer applies (the stream's own stall and slow-reader timeouts do).
    func streamBegan(_ call: Call) {
        executor.sync {
            guard call.slot >= 0, calls[call.slot] === call, !call.answered else { return }
            call.streaming = true
        }
    }

    /// A streamed answer ended: its timing goes to the metrics; one that broke off (the
    /// worker failed or stalled, or the client went away) ends the request here, counted as
    /// failed or cancelled, and the core is told its worker is done with it. A whole one is
    /// reported by `stageAnswered`, as any answer.
    func streamEnded(_ call: Call, _ end: ResponseStream.End, timing: StreamTiming) {
        if end != .finished, call.logsStages { call.noteStageEnd(AuditLog.nowMicros()) }
        executor.sync {
            metrics.observeStream(target: call.target, timing: timing, end: end)
            let (outcome, why): (Metrics.Outcome, String)
            switch end {
            case .finished: return
            case let .failed(reason): (outcome, why) = (.failed, reason)
            case let .cancelled(reason): (outcome, why) = (.cancelled, reason)
            }
            guard call.slot >= 0, calls[call.slot] === call else { return }
            if !call.answered {
                call.answered = true
                (call.outcome, call.reason) = (outcome.label, why)
                count(call, outcome)
            }
            feed(.requestFinished(RequestID(call.slot)))
        }
    }

    func complete(_ r: Int) {
        guard let call = calls[r] else { return }
        if !call.answered {
            call.answered = true
            let latency = Double(MonotonicClock.nanoseconds() - call.arrival) / 1e9
            if !call.isStage { metrics.latency[call.target].observe(latency) }
            call.outcome = "completed"
            count(call, .completed)
            call.post(.completed)   // the connection's thread builds the answer, off the executor
        }
        releaseSlot(r)
    }

    func reject(_ r: Int, reason: RejectReason) {
        guard let call = calls[r] else { return }
        let target = targetNames[call.target]
        metrics.rejections[Metrics.RejectionKey(target: Int32(call.target), reason: reason.rawValue), default: 0] += 1
        if !call.answered {
            call.answered = true
            call.outcome = "rejected"
            call.reason = reason.label
            count(call, .rejected)
            call.post(.finished(Self.rejection(reason, target: target)))
        }
        releaseSlot(r)
    }

    /// The HTTP answer for a rejection reason.
    static func rejection(_ reason: RejectReason, target: String) -> HTTPResponse {
        var response = rejectionBody(reason, target: target)
        // The core's reason, by its report label, for clients that tally them (loadgen).
        response.headers.append(("Headroom-Reject-Reason", reason.label))
        return response
    }

    static func rejectionBody(_ reason: RejectReason, target: String) -> HTTPResponse {
        switch reason {
        case .queueFull:
            return .error(429, "\(target): the queue is full", headers: [("Retry-After", "1")])
        case .throttled:
            return .error(429, "\(target): throttled (concurrency or scaling-rate limit)", headers: [("Retry-After", "1")])
        case .quota:
            return .error(429, "\(target): the caller has its quota of requests in flight", headers: [("Retry-After", "1")])
        case .noCapacity:
            return .error(503, "\(target): no capacity can serve it under this plan")
        case .workerFailed, .interrupted:
            return .error(502, "\(target): the worker failed while serving the request")
        }
    }

    func releaseSlot(_ r: Int) {
        guard r < calls.count, let call = calls[r] else { return }
        call.slot = -1
        calls[r] = nil
        freeSlots.append(Int32(r))
        held -= 1
    }

    func count(_ call: Call, _ outcome: Metrics.Outcome) {
        if call.isStage { return }
        var version: Int32 = -1
        let m = call.lastModel
        if m >= 0, scenario.models[m].variantOf != nil || !scenario.models[m].variantGroup.isEmpty { version = Int32(m) }
        metrics.requests[Metrics.RequestKey(target: Int32(call.target), version: version, caller: Int32(call.caller), outcome: outcome), default: 0] += 1
    }

    func callerID(_ name: String) -> Int {
        callerLock.lock()
        defer { callerLock.unlock() }
        return callers.intern(name)
    }

    var inFlight: Int { executor.sync { held } }

    var deadlinesFiled: Int { executor.sync { deadlines.count } }
}
