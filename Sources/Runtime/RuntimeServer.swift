import Foundation
import SchedulerCore
import Scenario
import Planning
import Digest

/// How to serve a plan.
public struct ServeOptions: Sendable {
    public var listen = SocketAddress(host: "127.0.0.1", port: 8080)
    /// Where to append the core's decisions (JSON lines), if anywhere.
    public var decisionLog: String?
    /// Seconds in-flight requests get to finish at shutdown.
    public var drainGrace = 30.0
    public var limits = HTTPLimits()
    public var maxConnections = 1024
    /// Multiplies modelled delays (node boot, image pull): 1 in `serve`.
    public var delayScale = 1.0
    /// Status lines (listening, nodes and instances starting and stopping).
    public var say: @Sendable (String) -> Void = { print($0) }
    /// Reported in `GET /v2`.
    public var version = "headroom"
    /// API keys: callers and what they may call. Nil: anonymous, allowed on loopback only.
    public var keys: AccessKeys?
    /// The audit trail, if kept.
    public var audit: AuditLog.Options?
    /// Measured instance starts and stage service times, if wanted (`headroom calibrate`).
    public var recorder: RuntimeRecorder?

    public init() {}
}

/// A plan served for real: the scheduler core on the wall clock, worker processes, and the
/// HTTP API.
public final class RuntimeServer: @unchecked Sendable {
    let host: ServingHost
    let http: LoopHTTPServer
    let loop: EventLoop
    let options: ServeOptions
    public var address: SocketAddress { http.address }

    /// Checks that the plan can be served: every model its workload reaches has a `worker`,
    /// the scenario has no training jobs, and the plan does not scale on a KV cache.
    public static func check(_ s: Scenario, planIndex: Int) throws {
        let used = PlanBuilder.usedModels(s)
        let missing = s.models.indices.filter { used[$0] && s.models[$0].worker == nil }.map { s.models[$0].name }
        if !missing.isEmpty {
            throw ScenarioError(file: s.file, path: "$.models", message: "cannot serve: model\(missing.count == 1 ? "" : "s") \(missing.map { "\"\($0)\"" }.joined(separator: ", ")) \(missing.count == 1 ? "has" : "have") no \"worker\"",
                                suggestion: "add \"worker\": {\"contract\": \"http\", \"command\": [...]} to each (docs/runtime.md)")
        }
        if !s.training.isEmpty {
            throw ScenarioError(file: s.file, path: "$.workload", message: "cannot serve: the scenario has training jobs, which the runtime does not run",
                                suggestion: "serve a copy of the scenario without its training entries")
        }
        if case let .elastic(e) = s.plans[planIndex].policy, e.metric == "kv-cache-usage" || e.metric == "tokens-per-second" {
            throw ScenarioError(file: s.file, path: s.plans[planIndex].jsonPath + ".metric",
                                message: "cannot serve: the plan scales on the engines' \(e.metric == "kv-cache-usage" ? "KV cache" : "output tokens per second"), which the runtime does not read from its workers",
                                suggestion: "serve a plan that scales on utilisation, concurrency or queue-length")
        }
        if let a = s.plans[planIndex].serve.first {
            throw ScenarioError(file: s.file, path: s.plans[planIndex].jsonPath + ".serve",
                                message: "cannot serve: the plan serves \"\(s.targetNames[a.from])\" as \"\(s.targetNames[a.to])\", and the runtime routes each request to the target it names",
                                suggestion: "serve a plan without \"serve\", or address \"\(s.targetNames[a.to])\" directly")
        }
        if let m = s.models.indices.first(where: s.isPool) {
            throw ScenarioError(file: s.file, path: "$.models[\"\(s.models[m].name)\"].engine.role",
                                message: "cannot serve: model \"\(s.models[m].name)\" is a \(s.models[m].engine!.role.rawValue) pool of disaggregated serving, and the runtime does not move KV caches between workers",
                                suggestion: "serve a copy of the scenario with aggregated engines (no \"role\"), or run disaggregated serving behind its own proxy (llm-d, Dynamo)")
        }
        try PlanBuilder.checkPlan(s, planIndex: planIndex)
    }

    /// Starts the plan's capacity, waits until its initial instances are ready, then listens.
    public static func start(_ scenario: Scenario, planIndex: Int, options: ServeOptions, provider: NodeProvider? = nil) throws -> RuntimeServer {
        try check(scenario, planIndex: planIndex)
        if !options.listen.isLoopback && options.keys == nil {
            throw RuntimeError("refusing to listen on \(options.listen) without --keys: anyone who can reach it could call every model as anyone. "
                               + "Create keys with `headroom keys add CALLER --targets … --file keys.json` and pass --keys keys.json, or listen on 127.0.0.1 or [::1]")
        }
        // What a killed runtime left running (its workers' own children, which the kernel
        // does not kill with it) holds ports and memory: stopped before any worker of ours starts.
        let orphans = OrphanedWorkers.reap()
        if !orphans.isEmpty {
            let runtimes = Array(Set(orphans.map { String($0.runtime.prefix { $0 != ":" }) })).sorted()
            options.say("stopped \(orphans.count) worker process(es) left by a runtime that was killed (pid \(runtimes.joined(separator: ", "))): "
                        + orphans.map { String($0.pid) }.joined(separator: ", "))
        }
        // Workers of a model with a CPU limit run in cgroups that hold them to it, as a
        // container runtime would; without a writable cpu controller they run unlimited, said.
        var cgroups: WorkerCgroups?
        let limited = scenario.models.filter { $0.limitVCPUs != nil && $0.worker != nil }.map(\.name)
        if !limited.isEmpty {
            switch WorkerCgroups.open() {
            case let .success(g):
                cgroups = g
                options.say("CPU limits of \(limited.joined(separator: ", ")) applied with cgroup \(g.kind == .v1 ? "v1" : "v2") at \(g.directory)")
            case let .failure(why):
                options.say("warning: limits.vcpus of \(limited.joined(separator: ", ")) is not applied: \(why.description); "
                            + "the workers run without a CPU limit (run serve as root, or with a delegated cgroup, to apply it)")
            }
        }
        let plan = scenario.plans[planIndex]
        // A served model the plan never gives an instance answers 503 "no capacity" forever:
        // said at start, with why, rather than found from the 503s.
        for none in PlanBuilder.modelsWithoutCapacity(scenario, planIndex: planIndex) where scenario.models[none.model].worker != nil {
            options.say("warning: model \"\(scenario.models[none.model].name)\" has no capacity under plan \"\(plan.name)\": \(none.why); "
                        + "every request to it is answered 503 (no capacity)"
                        + (plan.policy.family == "traditional" ? ". Pin instances with \"instances\": {\"\(scenario.models[none.model].name)\": 1} in the plan" : ""))
        }
        let scenarioSHA256 = FileManager.default.contents(atPath: scenario.file).map { SHA256.hex([UInt8]($0)) } ?? AuditLog.zeros
        let audit = try options.audit.map { try AuditLog(options: $0, scenarioSHA256: scenarioSHA256, plan: plan.name, version: options.version) }
        let log: DecisionLogWriter?
        do {
            log = try options.decisionLog.map { path in
                let absolute = URL(fileURLWithPath: scenario.file).standardizedFileURL.path
                return try DecisionLogWriter(path: path, header: "{\"headroom\":\"decision-log\",\"version\":1,\"scenario\":\(JSON.quote(absolute)),\"plan\":\(JSON.quote(plan.name))}")
            }
        } catch {
            audit?.close()   // its writer thread is running
            throw error
        }
        let provider = provider ?? LocalPartitions(delayScale: options.delayScale)
        struct MakeHost: CoreVisitor {
            let s: Scenario, plan: String, provider: NodeProvider, log: DecisionLogWriter?, options: ServeOptions, cgroups: WorkerCgroups?
            func visit<P: ScalingPolicy>(_ core: Scheduler<P>) throws -> ServingHost {
                let host = RuntimeHost(core: core, scenario: s, planName: plan, provider: provider, decisionLog: log,
                                       delayScale: options.delayScale, say: options.say)
                host.recorder = options.recorder
                host.cgroups = cgroups
                let startTimeout = s.models.compactMap { $0.worker?.startTimeout }.max() ?? 30
                do {
                    try host.start(startTimeout: startTimeout + s.hardware.map { $0.boot.mean * options.delayScale }.max()! + 5)
                } catch {
                    host.shutdown()
                    throw error
                }
                return host
            }
        }
        let host: ServingHost
        do {
            host = try PlanBuilder.withCore(scenario, planIndex: planIndex, callerQuotas: CallerDirectory(scenario).quotas,
                                            MakeHost(s: scenario, plan: plan.name, provider: provider, log: log, options: options, cgroups: cgroups))
        } catch {
            cgroups?.close()
            audit?.close()
            throw error
        }
        let front = Front(host: host, version: options.version, keys: options.keys, audit: audit, recorder: options.recorder)
        let http: LoopHTTPServer
        let loop: EventLoop
        do {
            loop = try EventLoop()
            http = try LoopHTTPServer(address: options.listen, limits: options.limits, maxConnections: options.maxConnections, loop: loop) {
                front.handle($0, loop: $1, respond: $2)
            }
        } catch {
            host.shutdown()
            audit?.close()
            throw RuntimeError("cannot listen on \(options.listen): \(error)")
        }
        if audit != nil { http.onRefused = { front.auditRefusal($0) } }
        http.shapeRefusal = { target, response in
            guard let function = Front.lambdaFunction(target) else { return response }
            return Front.lambdaShaped(response, function: function)
        }
        loop.start(name: "headroom-http")
        http.start()
        let server = RuntimeServer(host: host, http: http, loop: loop, options: options, audit: audit, decisionLog: log)
        options.say("serving \(scenario.name), plan \(plan.name), on http://\(http.address)")
        return server
    }

    let audit: AuditLog?
    let decisionLog: DecisionLogWriter?
    /// Set by the first `stop`: a second one (a signal handler and a `defer`, say) returns at
    /// once instead of waiting on a loop that has ended.
    private let stopped = NSLock()
    private var stopCalled = false

    init(host: ServingHost, http: LoopHTTPServer, loop: EventLoop, options: ServeOptions, audit: AuditLog?, decisionLog: DecisionLogWriter?) {
        self.host = host
        self.http = http
        self.loop = loop
        self.options = options
        self.audit = audit
        self.decisionLog = decisionLog
    }

    /// What the audit and decision logs lost so far, one sentence each (none when every
    /// write reached its file): a log with a gap is an error for whoever runs `serve`, not
    /// only for the log's reader.
    public var logLosses: [String] {
        var losses: [String] = []
        if let audit, case let h = audit.health, h.failures > 0 {
            losses.append("the audit log lost records: \(h.failures) write(s) of \(audit.options.path) failed (last: \(h.lastFailure ?? "")); "
                          + "'headroom audit verify' shows where the chain breaks")
        }
        if let decisionLog, case let f = decisionLog.failures, f.count > 0 {
            losses.append("the decision log lost lines: \(f.count) write(s) of \(decisionLog.path) failed (last: \(f.last ?? "")); "
                          + "'headroom replay' of it will differ")
        }
        return losses
    }

    /// Connections open now, and refused for the connection limit so far.
    public var connectionCounts: (open: Int, refused: Int) { http.connectionCounts }

    /// Monotonic ns (`MonotonicClock`) of the core's time zero: the plan started then, and
    /// its timers (HPA syncs, node scans, rollout steps) count from it. A load generator that
    /// wants the workload's t = 0 to be the core's, as in a simulation, starts its schedule
    /// here (requests due while the plan's first instances were still starting go out late).
    public var coreOrigin: Int64 { host.origin }

    /// Requests the runtime holds now.
    public var inFlight: Int { host.inFlight }

    /// Requests' deadlines the host has filed (held requests' and some ended ones').
    var deadlinesFiled: Int { host.deadlinesFiled }
    /// The metrics text, as `GET /metrics` gives it.
    public var metricsText: String { host.metricsText() + (audit?.metricsText() ?? "") }

    /// Stops: no new connection; in-flight requests get `drainGrace` seconds; then every
    /// worker is stopped (SIGTERM, its `stopGrace`, SIGKILL) and the decision log closed.
    /// A second call returns at once.
    public func stop() {
        let first = stopped.withLock { () -> Bool in
            defer { stopCalled = true }
            return !stopCalled
        }
        guard first else { return }
        http.stop(grace: options.drainGrace)
        loop.stop()
        host.shutdown()
        audit?.close()   // the last records and a final digest
    }
}
