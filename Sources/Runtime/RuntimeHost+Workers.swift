import Foundation
import Glibc
import SchedulerCore
import Scenario

// The physical side of the core's capacity actions: nodes from the provider, instances as
// worker processes (spawn, readiness, stop), and failures reported back as inputs.

extension RuntimeHost {
    // MARK: Nodes

    func startNode(_ n: Int, type t: Int, warm: Bool) {
        while nodes.count <= n { nodes.append(nil) }
        let generation = nextGeneration
        nextGeneration += 1
        nodes[n] = NodeRuntime(generation: generation, type: t, ready: warm, readyAt: warm ? lastNow : 0, bootSeconds: 0)
        let hardware = scenario.hardware[t]
        let delay = provider.startNode(n, type: hardware, warm: warm) { [self] in
            guard !warm else { return }
            executor.async { [self] in
                guard !stopped, n < nodes.count, nodes[n]?.generation == generation else { return }
                nodes[n]!.ready = true
                nodes[n]!.readyAt = lastNow
                feed(.nodeReady(NodeID(n)))
            }
        }
        nodes[n]!.bootSeconds = delay
        let cpus = provider.placement(onNode: n).cpus.map(String.init).joined(separator: ",")
        say("node \(n) (\(hardware.name)) started" + (warm ? "" : ", boot \(ValueText.seconds(delay)) (modelled)") + (cpus.isEmpty ? "" : ", cpus \(cpus)"))
    }

    func stopNode(_ n: Int) {
        guard n < nodes.count, let node = nodes[n] else { return }
        nodes[n] = nil
        closedNodeSeconds[node.type] += Double(MonotonicClock.nanoseconds() - node.since) / 1e9
        provider.stopNode(n)
        say("node \(n) (\(scenario.hardware[node.type].name)) stopped")
    }

    // MARK: Instances

    /// Kubernetes' crash-loop back-off: the first restart at once, then 10 s doubling to
    /// 5 min (kubelet's defaults, pkg/kubelet/kubelet.go backOffPeriod / MaxContainerBackOff).
    func backOff(model: Int) -> Double {
        let f = failures[model]
        guard f >= 2 else { return 0 }
        return min(300, 10 * pow(2, Double(f - 2)))
    }

    func startInstance(_ i: Int, model m: Int, node n: Int, warm: Bool) {
        while instances.count <= i { instances.append(nil) }
        let generation = nextGeneration
        nextGeneration += 1
        let model = scenario.models[m]
        var record = InstanceRuntime(generation: generation, model: m, node: n, warm: warm, started: MonotonicClock.nanoseconds())
        if warm {
            warmStarts.enter()
            record.awaitedAtStart = true
        } else {
            record.ordinal = instanceStartCounts[m]
            instanceStartCounts[m] += 1
        }
        // Node boot counts toward this instance's cold start when the instance waited for it.
        if n >= 0, let node = nodes[n], case .nodeReady(let ready)? = currentInput, ready.index == n { record.bootSeconds = node.bootSeconds }
        if n >= 0, let image = model.image, nodes[n] != nil, !nodes[n]!.images.contains(image.name) {
            nodes[n]!.images.insert(image.name)
            record.pullSeconds = warm ? 0 : image.pull.mean * delayScale
        }
        let delay = record.pullSeconds + backOff(model: m)
        record.delaySeconds = delay
        instances[i] = record
        let placement = n >= 0 ? provider.placement(onNode: n) : WorkerPlacement(cpus: [], environment: [])
        let where_ = n >= 0 ? "node \(n)" : "provider capacity"
        say("instance \(i) \(model.name) starting on \(where_)" + (record.pullSeconds > 0 ? ", image pull \(ValueText.seconds(record.pullSeconds)) (modelled)" : "")
            + (delay > record.pullSeconds ? ", crash-loop back-off \(ValueText.seconds(delay - record.pullSeconds))" : ""))
        // A thread of its own: the spawn then waits on readiness for up to its start timeout,
        // which must not hold a shared dispatch thread that other spawns queue behind.
        let starter = Thread { [self] in
            if delay > 0 { usleep(useconds_t(min(delay, 3600) * 1e6)) }
            spawn(i, generation: generation, model: m, placement: placement)
        }
        starter.stackSize = 256 * 1024
        starter.start()
    }

    func isCurrent(_ i: Int, _ generation: UInt64) -> Bool {
        i < instances.count && instances[i]?.generation == generation && instances[i]?.stopping == false
    }

    /// Spawns the worker (off the core's executor) and waits for it to be ready.
    func spawn(_ i: Int, generation: UInt64, model m: Int, placement: WorkerPlacement) {
        guard executor.sync(execute: { !stopped && isCurrent(i, generation) }) else { return }
        let model = scenario.models[m]
        let spec = model.worker!
        var env = placement.environment
        env.append(("HEADROOM_MODEL", model.name))
        env.append(("HEADROOM_INSTANCE", String(i)))
        // Made before the process and closed if the process cannot be started: a Lambda
        // endpoint is a listening socket with a thread (each failed start leaked both).
        var made: WorkerEndpoint?
        // Its CPU limit, as a container runtime applies it: a cgroup of its own, joined before
        // exec. A start-up boost starts it at the boosted request and limit (reverted once it
        // is ready and the boost's afterReady has passed).
        let cgroup: WorkerCgroup? = {
            guard let limit = model.limitVCPUs, let cgroups else { return nil }
            let boost = model.cpu?.startupBoost?.factor ?? 1
            do {
                return try cgroups.make(limit: limit * boost, period: model.limitPeriod, vcpus: model.requires.vcpus * boost)
            } catch {
                say("instance \(i) \(model.name): \(error); it runs without its CPU limit")
                return nil
            }
        }()
        let spawnedAt = MonotonicClock.nanoseconds()
        do {
            let endpoint: WorkerEndpoint
            switch spec.contract {
            case .http:
                let port = try WorkerPorts.shared.take()
                env.append(("PORT", String(port)))
                endpoint = HTTPWorkerEndpoint(port: port)
            case .lambda:
                let api = try LambdaRuntimeAPI(onReady: { [self] in ready(i, generation: generation) },
                                               onInitError: { [self] why in workerBroken(instance: i, generation: generation, why: "init error: \(why)") })
                env.append(("AWS_LAMBDA_RUNTIME_API", api.address.description))
                env.append(("AWS_LAMBDA_FUNCTION_NAME", model.variantOf.map { scenario.models[$0].name } ?? model.name))
                env.append(("AWS_LAMBDA_FUNCTION_VERSION", model.version ?? "$LATEST"))
                env.append(("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", String(Int(model.requires.memoryGiB * 1024))))
                env.append(("AWS_REGION", "local"))
                endpoint = api
            }
            made = endpoint
            env.append(contentsOf: spec.environment)
            let process = try WorkerProcess(command: resolvedCommand(spec), environment: env, directory: workingDirectory(spec),
                                            cpus: placement.cpus, cgroup: cgroup) { [self] status in
                workerExited(i, generation: generation, status: status)
                cgroup?.remove()
            }
            let keep: Bool = executor.sync {
                guard isCurrent(i, generation) else { return false }
                instances[i]!.process = process
                instances[i]!.cgroup = cgroup
                instances[i]!.endpoint = endpoint
                instances[i]!.spawnedAt = spawnedAt
                return true
            }
            guard keep else {
                endpoint.close()
                process.stop(grace: spec.stopGrace)
                return
            }
            if spec.contract == .http {
                waitForReadiness(i, generation: generation, spec: spec, endpoint: endpoint as! HTTPWorkerEndpoint, process: process)
            } else {
                DispatchTimer.after(seconds: spec.startTimeout) { [self] in
                    let late = executor.sync { isCurrent(i, generation) && !(instances[i]?.ready ?? true) }
                    if late { startTimedOut(i, generation: generation, spec: spec) }
                }
            }
        } catch {
            made?.close()
            cgroup?.remove()
            executor.async { [self] in
                guard isCurrent(i, generation) else { return }
                say("instance \(i) \(model.name): the worker could not be started: \(error)")
                failed(i, why: "\(error)")
            }
        }
    }

    func resolvedCommand(_ spec: WorkerSpec) -> [String] {
        var command = spec.command
        if command[0].contains("/") && !command[0].hasPrefix("/") { command[0] = scenarioFolder + "/" + command[0] }
        return command
    }

    func workingDirectory(_ spec: WorkerSpec) -> String {
        guard let d = spec.directory else { return scenarioFolder }
        return d.hasPrefix("/") ? d : scenarioFolder + "/" + d
    }

    /// Probes an http worker until it answers (2 ms apart), it exits, or its start timeout.
    func waitForReadiness(_ i: Int, generation: UInt64, spec: WorkerSpec, endpoint: HTTPWorkerEndpoint, process: WorkerProcess) {
        let deadline = MonotonicClock.nanoseconds() + Int64(spec.startTimeout * 1e9)
        while MonotonicClock.nanoseconds() < deadline {
            if process.hasExited { return }   // the exit is reported by the watcher
            if !executor.sync(execute: { isCurrent(i, generation) }) { return }
            switch spec.readiness {
            case .tcp:
                if let s = try? Socket.connect(endpoint.client.address, timeout: 0.5) {
                    s.close()
                    ready(i, generation: generation)
                    return
                }
            case let .path(path):
                let probe = HTTPClient(address: endpoint.client.address, keep: 0)
                if case let .answered(r) = probe.call(HTTPRequest(method: "GET", target: path), deadline: MonotonicClock.nanoseconds() + 1_000_000_000, connectTimeout: 0.5),
                   (200..<300).contains(r.status) {
                    ready(i, generation: generation)
                    return
                }
            }
            usleep(2000)
        }
        startTimedOut(i, generation: generation, spec: spec)
    }

    func startTimedOut(_ i: Int, generation: UInt64, spec: WorkerSpec) {
        executor.async { [self] in
            guard isCurrent(i, generation), let record = instances[i], !record.ready else { return }
            say("instance \(i) \(scenario.models[record.model].name): not ready within its start timeout of \(ValueText.seconds(spec.startTimeout)); killed")
            if let process = record.process {
                instances[i]!.startTimedOut = true
                process.signal(SIGKILL)   // the watcher reports the exit
            } else {
                failed(i, why: "start timeout")
            }
        }
    }

    func ready(_ i: Int, generation: UInt64) {
        executor.async { [self] in
            guard isCurrent(i, generation), var record = instances[i], !record.ready else { return }
            record.ready = true
            instances[i] = record
            failures[record.model] = 0
            let model = scenario.models[record.model].name
            let start = Double(MonotonicClock.nanoseconds() - record.spawnedAt) / 1e9
            let total = Double(MonotonicClock.nanoseconds() - record.started) / 1e9 + record.bootSeconds
            var phases: [String] = []
            if record.bootSeconds > 0 { phases.append("node boot \(ValueText.seconds(record.bootSeconds)) (modelled)") }
            if record.pullSeconds > 0 { phases.append("image pull \(ValueText.seconds(record.pullSeconds)) (modelled)") }
            phases.append("process start → ready \(ValueText.seconds(start))")
            say("instance \(i) \(model) ready in \(ValueText.seconds(total)): " + phases.joined(separator: ", "))
            // The measured part of the cold start, as the core saw it: from its start action to
            // readiness, less the modelled sleep (thread start and spawn included, as they are
            // part of what a real start costs).
            let measured = max(start, Double(MonotonicClock.nanoseconds() - record.started) / 1e9 - record.delaySeconds)
            let cpu = recorder == nil ? nil : record.process.flatMap { ProcessCPU.of($0.pid) }
            instances[i]!.readyCPU = cpu
            let throttle = record.cgroup?.stat()
            instances[i]!.readyThrottle = throttle
            recorder?.instanceReady(RuntimeRecorder.InstanceStart(model: record.model, processStart: measured,
                                                                  modelled: record.bootSeconds + record.pullSeconds, warm: record.warm, cpu: cpu,
                                                                  throttle: throttle, ordinal: record.ordinal))
            let spec = scenario.models[record.model]
            if let group = record.cgroup, let boost = spec.cpu?.startupBoost, let limit = spec.limitVCPUs {
                DispatchTimer.after(seconds: boost.afterReady) { [self] in
                    // Only while the same worker runs (a stopped one's group is gone).
                    guard executor.sync(execute: { isCurrent(i, generation) }) else { return }
                    do {
                        try group.set(limit: limit, period: spec.limitPeriod, vcpus: spec.requires.vcpus)
                    } catch {
                        say("instance \(i) \(spec.name): its start-up boost could not be reverted: \(error)")
                    }
                }
            }
            if record.awaitedAtStart {
                instances[i]!.awaitedAtStart = false
                warmStarts.leave()
            } else {
                metrics.coldStarts[model, default: 0] += 1
                metrics.coldSeconds[[model, "node_boot"], default: 0] += record.bootSeconds
                metrics.coldSeconds[[model, "image_pull"], default: 0] += record.pullSeconds
                metrics.coldSeconds[[model, "process_start"], default: 0] += start
            }
            if !record.warm { feed(.instanceReady(InstanceID(i))) }
        }
    }

    func workerExited(_ i: Int, generation: UInt64, status: Int32) {
        executor.async { [self] in
            guard isCurrent(i, generation), !stopped else { return }
            let model = scenario.models[instances[i]!.model].name
            if !instances[i]!.startTimedOut { say("instance \(i) \(model): worker \(WorkerProcess.describe(status)) unexpectedly") }
            failed(i, why: WorkerProcess.describe(status))
        }
    }

    /// Reports an instance gone to the core (on the executor). Its record stays until the core
    /// stops it, which it does in answer.
    func failed(_ i: Int, why: String) {
        guard let record = instances[i] else { return }
        metrics.workerFailures[scenario.models[record.model].name, default: 0] += 1
        failures[record.model] += 1
        if record.awaitedAtStart {
            instances[i]!.awaitedAtStart = false
            warmFailure = "instance \(i) of \(scenario.models[record.model].name) failed to start: \(why)"
            warmStarts.leave()
        }
        feed(.instanceFailed(InstanceID(i)))
    }

    func workerBroken(instance i: Int, generation: UInt64, why: String) {
        executor.async { [self] in
            guard isCurrent(i, generation), let record = instances[i] else { return }
            say("instance \(i) \(scenario.models[record.model].name): \(why); the worker is stopped")
            if let process = record.process, !process.hasExited {
                process.signal(SIGKILL)   // the watcher reports the exit, and the core hears of it
            } else if record.process == nil {
                failed(i, why: why)
            }
        }
    }

    func stopInstance(_ i: Int) {
        guard i < instances.count, let record = instances[i] else { return }
        instances[i] = nil   // the core may reuse the slot at once
        closedInstanceSeconds[record.model] += Double(MonotonicClock.nanoseconds() - record.started) / 1e9
        recordServingCPU(record)
        if record.awaitedAtStart { warmStarts.leave() }
        let name = scenario.models[record.model].name
        let grace = scenario.models[record.model].worker?.stopGrace ?? 5
        stopping.enter()
        DispatchQueue.global().async { [self] in
            // The process first: a Lambda client long-polling `next` must see SIGTERM, not a
            // closed Runtime API.
            record.process?.stop(grace: grace)
            record.endpoint?.close()
            say("instance \(i) \(name) stopped")
            stopping.leave()
        }
    }

    /// With a recorder: the worker's CPU from readiness to now, read before it is stopped.
    func recordServingCPU(_ record: InstanceRuntime) {
        guard let recorder, let ready = record.readyCPU, let pid = record.process?.pid, let now = ProcessCPU.of(pid) else { return }
        let throttle = record.readyThrottle.flatMap { earlier in record.cgroup?.stat().map { $0.since(earlier) } }
        recorder.instanceServed(RuntimeRecorder.InstanceCPU(model: record.model, cpu: now.since(ready), throttle: throttle))
    }

    // MARK: Reading the state

    func metricsText() -> String {
        executor.sync {
            let c = core.cluster
            var instanceCounts: [(model: String, state: String, count: Int)] = []
            let states: [(InstanceState, String)] = [(.pending, "pending"), (.waitingForNode, "waiting_for_node"), (.starting, "starting"),
                                                     (.ready, "ready"), (.draining, "draining")]
            for (m, model) in scenario.models.enumerated() {
                for (state, label) in states {
                    instanceCounts.append((model.name, label, c.instances.filter { $0.model.index == m && $0.state == state }.count))
                }
            }
            var nodeCounts: [(type: String, state: String, count: Int)] = []
            for (t, hw) in scenario.hardware.enumerated() {
                nodeCounts.append((hw.name, "booting", c.nodes.filter { $0.type.index == t && $0.state == .booting }.count))
                nodeCounts.append((hw.name, "ready", c.nodes.filter { $0.type.index == t && $0.state == .ready }.count))
            }
            let queued = scenario.models.enumerated().map { (model: $0.element.name, count: c.models[$0.offset].queued) }
            let names = Metrics.Names(targets: targetNames, versions: scenario.models.map { $0.version ?? "" },
                                      callers: callerLock.withLock { callers.names }, reasons: RejectReason.allCases.map(\.label))
            var text = metrics.render(names: names, instances: instanceCounts, nodes: nodeCounts, queued: queued, inFlight: held)
            // Capacity held so far, as the simulator's instance_seconds and node_hours count it:
            // from the core's start action to its stop action (a load generator subtracts two
            // scrapes to get a run's figures).
            let now = MonotonicClock.nanoseconds()
            var instanceSeconds = closedInstanceSeconds
            for case let record? in instances { instanceSeconds[record.model] += Double(now - record.started) / 1e9 }
            var nodeSeconds = closedNodeSeconds
            for case let node? in nodes { nodeSeconds[node.type] += Double(now - node.since) / 1e9 }
            text += "# HELP headroom_instance_seconds_total Seconds instances existed (starting, ready or draining), by model.\n"
                + "# TYPE headroom_instance_seconds_total counter\n"
            for (m, model) in scenario.models.enumerated() {
                text += "headroom_instance_seconds_total\(Metrics.labels(["model"], [model.name])) \(instanceSeconds[m])\n"
            }
            text += "# HELP headroom_instance_starts_total Instances started after start-up (each pays a cold start), by model.\n"
                + "# TYPE headroom_instance_starts_total counter\n"
            for (m, model) in scenario.models.enumerated() {
                text += "headroom_instance_starts_total\(Metrics.labels(["model"], [model.name])) \(instanceStartCounts[m])\n"
            }
            text += "# HELP headroom_node_seconds_total Seconds nodes existed (booting or ready), by type.\n"
                + "# TYPE headroom_node_seconds_total counter\n"
            for (t, hw) in scenario.hardware.enumerated() {
                text += "headroom_node_seconds_total\(Metrics.labels(["type"], [hw.name])) \(nodeSeconds[t])\n"
            }
            return text
        }
    }

    func modelMetadata(target t: Int) -> String {
        executor.sync {
            let stages = core.cluster.configuration.targets[t].stages.map(\.index)
            var members: [Int] = []
            for m in stages {
                let group = scenario.models[m].variantGroup
                for g in (group.isEmpty ? [m] : group) where !members.contains(g) { members.append(g) }
            }
            let versions = members.compactMap { scenario.models[$0].version }.map(JSON.quote).joined(separator: ",")
            func count(_ state: InstanceState) -> Int {
                core.cluster.instances.filter { members.contains($0.model.index) && $0.state == state }.count
            }
            let stageNames = stages.map { JSON.quote(scenario.models[$0].name) }.joined(separator: ",")
            return "{\"name\":\(JSON.quote(scenario.targetNames[t])),\"platform\":\"headroom\",\"versions\":[\(versions)],"
                + "\"stages\":[\(stageNames)],\"inputs\":[],\"outputs\":[],"
                + "\"instances\":{\"pending\":\(count(.pending) + count(.waitingForNode)),\"starting\":\(count(.starting)),"
                + "\"ready\":\(count(.ready)),\"draining\":\(count(.draining))}}"
        }
    }

    func isReady(target t: Int) -> Bool {
        executor.sync {
            if core.policy.family == "serverless" { return true }   // scales from zero on demand
            return core.cluster.configuration.targets[t].stages.allSatisfy { m in
                let group = scenario.models[m.index].variantGroup
                return (group.isEmpty ? [m.index] : group).contains { core.cluster.models[$0].ready > 0 }
            }
        }
    }

    // MARK: Shutdown

    func shutdown() {
        let records: [InstanceRuntime] = executor.sync {
            stopped = true
            let all = instances.compactMap { $0 }
            for record in all { recordServingCPU(record) }
            instances = instances.map { _ in nil }
            decisionLog?.close()
            return all
        }
        DispatchQueue.concurrentPerform(iterations: records.count) { k in
            let record = records[k]
            record.process?.stop(grace: scenario.models[record.model].worker?.stopGrace ?? 5)
            record.endpoint?.close()
        }
        _ = stopping.wait(timeout: .now() + 60)
        cgroups?.close()
        let n = records.count
        say("stopped \(n) worker\(n == 1 ? "" : "s")")
    }
}
