import SchedulerCore
import Scenario
import Planning

/// What a plan will actually run with: every policy parameter resolved, defaults filled in,
/// each with where its value comes from. What `headroom explain-plan` prints.
public struct PlanExplanation: Sendable {
    public struct Line: Sendable, Equatable {
        /// Section ("HPA", "node layer", …), parameter, resolved value, and its origin: "set"
        /// (in the file) or the default's source.
        public var section: String
        public var name: String
        public var value: String
        public var origin: String
    }
    public var plan: String
    public var family: String
    public var lines: [Line] = []

    mutating func add(_ section: String, _ name: String, _ value: String, _ origin: String) {
        lines.append(Line(section: section, name: name, value: value, origin: origin))
    }
}

extension PlanBuilder {
    /// Explains one plan of a scenario.
    public static func explain(_ s: Scenario, planIndex: Int) throws -> PlanExplanation {
        let s = s.forPlan(planIndex)
        let plan = s.plans[planIndex]
        var e = PlanExplanation(plan: plan.name, family: plan.policy.family)
        func seconds(_ t: TimeSpan) -> String { show(t.seconds) + " s" }
        func setOr(_ isSet: Bool, _ source: String) -> String { isSet ? "set" : "default: " + source }
        let used = usedModels(s)
        for c in plan.commitments {
            e.add("billing", "committed[\"\(s.hardware[c.hardware].name)\"]", "\(c.nodes) nodes at $\(show(c.pricePerHour))/h for the whole run",
                  "set; beyond them on-demand $\(show(s.hardware[c.hardware].pricePerHour))/h")
        }
        switch plan.policy {
        case let .traditional(nodes, instances):
            for (t, n) in nodes.enumerated() where n > 0 { e.add("capacity", "nodes[\"\(s.hardware[t].name)\"]", String(n), "set") }
            // The starting instance counts, as the core places them.
            var core = Scheduler(configuration: configuration(s, providerHosted: false), policy: traditional(s, nodes: nodes, instances: instances))
            var actions: [SchedulerAction] = []
            core.handle(.start, at: .zero, into: &actions)
            for (m, model) in s.models.enumerated() where used[m] {
                let count = core.cluster.models[m].replicas
                e.add("capacity", "instances[\"\(model.name)\"]", String(count), instances[m] != nil ? "set" : (core.cluster.isRetired(ModelID(m)) ? "a version before its rollout" : "packed onto the room left"))
            }
            if !s.rollouts.isEmpty { e.add("rollouts", "surge node sweep", seconds(.seconds(10)), "headroom: surge nodes released when empty") }
            if !s.rollouts.isEmpty || s.hardware.contains(where: { $0.spot != nil }) {
                e.add("capacity", "launch watchdog", seconds(TraditionalPolicy.maxLaunchTime) + ", then launched again",
                      "default: a surge or replacement node not ready by then is given up (max-node-provision-time 15 min, §2.2)")
            }
        case let .elastic(p):
            let policy = elastic(s, p)
            let q = policy.parameters
            if let step = p.step {
                let section = step.cooldown != nil ? "simple scaling" : "step scaling"
                e.add(section, "metric", p.metric, p.metric == "utilisation" ? "default" : "set")
                e.add(section, "period", show(step.period) + " s", "set or default 60 s (CloudWatch 1-minute metrics, autoscalers.md §6.1)")
                if let cooldown = step.cooldown {
                    e.add(section, "cooldown", show(cooldown) + " s", "set or default 300 s (DefaultCooldown, §6.1): alarms ignored until the activity completes and the cooldown ends")
                } else {
                    e.add(section, "instance warm-up", show(step.warmup) + " s", "set or default 300 s (the default cooldown AWS falls back to, §6.1)")
                }
                for (name, alarm) in [("scale-out", step.scaleOut), ("scale-in", step.scaleIn)] {
                    guard let alarm else { continue }
                    let steps = step.cooldown != nil ? alarm.steps.map { "\($0.kind) \(show($0.value))" }
                        : alarm.steps.map { "[\($0.lower.map(show) ?? "−∞"), \($0.upper.map(show) ?? "+∞")): \($0.kind) \(show($0.value))" }
                    e.add(section, name, "threshold \(show(alarm.threshold)) × \(alarm.evaluationPeriods) periods; " + steps.joined(separator: "; "), "set")
                }
                for (m, model) in s.models.enumerated() where used[m] {
                    e.add(section, "instances[\"\(model.name)\"]", "\(q.minInstances[m])…\(q.maxInstances[m])", p.instances.contains { $0.model == m } ? "set" : "default: 1…1000")
                }
                explainNodes(&e, s, q.nodes, p.nodeScanInterval, p.nodeUnneededTime, p.scaleDownDelayAfterAdd)
                break
            }
            e.add("HPA", "scaler", p.scaler, "set")
            e.add("HPA", "target utilisation", show(q.target), setOr(true, ""))
            e.add("HPA", "tolerance", show(q.tolerance), setOr(p.tolerance != nil, "0.1, --horizontal-pod-autoscaler-tolerance (autoscalers.md §1.5)"))
            e.add("HPA", "sync period", seconds(q.syncPeriod), setOr(p.syncPeriod != nil, "15 s, --horizontal-pod-autoscaler-sync-period (§1.5)"))
            e.add("HPA", "downscale stabilisation", seconds(q.downscaleStabilization), setOr(p.downscaleStabilization != nil, "300 s (§1.5)"))
            e.add("HPA", "metric", p.metric, p.metric == "utilisation" ? "default: resource utilisation" : "set")
            if let b = q.behavior {
                func rules(_ r: HPABehavior.Rules) -> String {
                    let policies = r.policies.map { "\($0.type == .pods ? "+\($0.value) pods" : "\($0.value) %") per \(seconds($0.period))" }
                    return "window \(seconds(r.stabilizationWindow)), \(r.select.rawValue) of [\(policies.joined(separator: ", "))]"
                }
                e.add("HPA", "behavior.scaleUp", rules(b.scaleUp), "set, defaults filled: no window, Max of 4 pods / 100 % per 15 s (§1.5)")
                e.add("HPA", "behavior.scaleDown", rules(b.scaleDown), "set, defaults filled: 300 s window, 100 % per 15 s (§1.5)")
            } else {
                e.add("HPA", "scale-up limit", "max(2 × current, 4) per reconcile", "default: no behavior, horizontal.go scaleUpLimitFactor/Minimum (§1.3)")
            }
            e.add("HPA", "starting instances", "count as idle on scale-up", "default: replica_calculator.go (§1.3)")
            for (m, model) in s.models.enumerated() where used[m] {
                let isSet = p.instances.contains { $0.model == m }
                e.add("HPA", "instances[\"\(model.name)\"]", "\(q.minInstances[m])…\(q.maxInstances[m])", setOr(isSet, "min 1 (minReplicas API default), max 1000"))
            }
            if let k = q.keda, let spec = p.keda {
                let zero = s.models.indices.filter { used[$0] && q.minInstances[$0] == 0 }.map { "\"\(s.models[$0].name)\"" }
                e.add("KEDA", "scales to and from zero", zero.joined(separator: ", "), "set: instances.min 0; the HPA keeps the others, and these once active, at 1 or more")
                e.add("KEDA", "trigger", p.metric == "concurrency" ? "requests in flight (in service or waiting), all instances" : "requests waiting (for an instance or in an engine's line), all instances",
                      "the plan's metric as the gateway counts it, so it has a value at zero instances")
                e.add("KEDA", "polling interval", seconds(k.pollingInterval), setOr(spec.pollingInterval != nil, "30 s, pollingInterval (k8s-and-batch.md §1)"))
                e.add("KEDA", "activation threshold", show(k.activationThreshold), setOr(spec.activationThreshold != nil, "0, a trigger's activationThreshold: active above it (§1)"))
                e.add("KEDA", "cooldown period", seconds(k.cooldownPeriod), setOr(spec.cooldownPeriod != nil, "300 s, cooldownPeriod: inactive this long, to zero (§1)"))
            }
            explainNodes(&e, s, q.nodes, p.nodeScanInterval, p.nodeUnneededTime, p.scaleDownDelayAfterAdd)
        case let .serverless(sv):
            e.add("serverless", "hosting", sv.hosting.rawValue, "set")
            if let kpa = sv.kpa {
                let k = knativeParameters(kpa)
                e.add("KPA", "target utilisation", show(k.targetUtilisation), setOr(kpa.targetUtilisation != nil, "0.7, container-concurrency-target-percentage (autoscalers.md §3.4)"))
                e.add("KPA", "stable window", "\(k.stableWindow) s", setOr(kpa.stableWindow != nil, "60 s, stable-window (§3.4)"))
                e.add("KPA", "panic window", "\(k.panicWindow) s (\(show(k.panicWindowPercentage)) %)", setOr(kpa.panicWindowPercentage != nil, "10 %, panic-window-percentage (§3.4)"))
                e.add("KPA", "panic threshold", show(k.panicThreshold * 100) + " %", setOr(kpa.panicThreshold != nil, "200 %, panic-threshold-percentage (§3.4)"))
                e.add("KPA", "max scale-up rate", show(k.maxScaleUpRate), setOr(kpa.maxScaleUpRate != nil, "1000 (§3.4)"))
                e.add("KPA", "max scale-down rate", show(k.maxScaleDownRate), setOr(kpa.maxScaleDownRate != nil, "2 (§3.4)"))
                e.add("KPA", "scale-to-zero grace", "\(k.scaleToZeroGrace) s", setOr(kpa.scaleToZeroGrace != nil, "30 s, scale-to-zero-grace-period (§3.4)"))
                e.add("KPA", "decision tick", "\(k.tick) s", "default: multiscaler.go tickInterval (§3.2)")
                for (m, model) in s.models.enumerated() where used[m] {
                    let target = Swift.max(0.01, Double(model.concurrency) * k.targetUtilisation)
                    e.add("KPA", "target concurrency[\"\(model.name)\"]", show(target), "concurrency \(model.concurrency) × target utilisation")
                }
            } else {
                e.add("keep-alive", "policy", sv.hybridKeepAlive ? "hybrid-histogram" : "fixed", setOr(sv.hybridKeepAlive, "fixed"))
                if sv.hybridKeepAlive {
                    let h = HybridHistogram.Parameters()
                    e.add("keep-alive", "histogram", "\(h.bins) bins of \(seconds(h.binWidth))", "default: 4 h of 1-min bins (autoscalers.md §5.1)")
                    e.add("keep-alive", "pre-warm / keep-alive percentiles", "\(show(h.head * 100)) / \(show(h.tail * 100))", "default: head 5th, tail 99th (§5.1)")
                    e.add("keep-alive", "margin", show(h.margin * 100) + " %", "default: 10 % (§5.1)")
                    e.add("keep-alive", "trusted when", "≥ \(h.minimumSamples) idle times and bin-count CV ≥ \(show(h.cvThreshold))", "default: dslab/SPES (§5.1, marked unconfirmed)")
                    e.add("keep-alive", "fallback window", "no pre-warm, \(seconds(TimeSpan(nanoseconds: h.binWidth.nanoseconds * Int64(h.bins)))) loaded", "default: the histogram range (§5.1)")
                } else {
                    e.add("keep-alive", "keep-alive", show(sv.keepAlive) + " s", "set or default 600 s (Lambda observed 2019, autoscalers.md §4.3)")
                }
            }
            if sv.hosting == .provider {
                e.add("provider", "concurrency limit", String(sv.concurrencyLimit), "set or default 1,000 (Lambda account limit, §4.1)")
                e.add("provider", "one request per environment", "yes; the request that starts it is served by it", "default: Lambda (§4.1)")
                e.add("provider", "scaling rate", sv.scaleRatePer10s > 0 ? "\(sv.scaleRatePer10s) new environments per 10 s per model" : "none",
                      "set or default 1,000 per 10 s per function (Lambda since Nov 2023, §4.2)")
                for (m, n) in sv.provisioned.enumerated() where n > 0 {
                    e.add("provider", "provisioned concurrency[\"\(s.models[m].name)\"]", String(n), "set")
                }
                if sv.provisioned.contains(where: { $0 > 0 }) {
                    e.add("provider", "provisioned capacity price", show(sv.pricing.provisionedPerGBSecond) + " per GB-s, 5-min rounding", "set or default (§4.4)")
                    e.add("provider", "provisioned duration price", show(sv.pricing.provisionedDurationPerGBSecond) + " per GB-s", "set or default (§4.4)")
                }
                e.add("provider", "price per GB-second", show(sv.pricing.perGBSecond), "set or default Lambda x86 US East (§4.4)")
                e.add("provider", "price per request", show(sv.pricing.perRequest), "set or default $0.20 per million (§4.4)")
                e.add("provider", "billing granularity", show(sv.pricing.granularity) + " s", "set or default 1 ms (§4.4)")
                e.add("provider", "INIT phase", "billed", "default: billed since 1 Aug 2025 (§4.4)")
            } else {
                explainNodes(&e, s, nodeParameters(s, sv.nodes, scan: sv.nodeScanInterval, unneeded: sv.nodeUnneededTime, delay: sv.scaleDownDelayAfterAdd, quota: sv.quota),
                             sv.nodeScanInterval, sv.nodeUnneededTime, sv.scaleDownDelayAfterAdd)
            }
        }
        explainEngines(&e, s, plan, used: used)
        explainSpot(&e, s, plan)
        explainContention(&e, s, plan, used: used)
        // A model the plan can never serve answers every request it gets with "no capacity":
        // said here, and by `serve` at start, rather than found from 503s.
        for a in plan.serve {
            e.add("traffic", "serve[\"\(s.targetNames[a.from])\"]", "served as \"\(s.targetNames[a.to])\"",
                  "set: its requests (a trace's rows naming it too) are \"\(s.targetNames[a.to])\"'s in this plan and reported under that name")
        }
        for none in modelsWithoutCapacity(s, planIndex: planIndex) where !plan.serve.contains(where: { $0.from == none.model }) {
            e.add("capacity", "no capacity for \"\(s.models[none.model].name)\"", "every request to it is rejected (no_capacity)", none.why)
        }
        return e
    }

    /// Shared cores: each model's CPU work, cap and weight as the simulator uses them, and
    /// each node type's cores, background load and interference.
    static func explainContention(_ e: inout PlanExplanation, _ s: Scenario, _ plan: Plan, used: [Bool]) {
        explainGPUSharing(&e, s, plan, used: used)
        guard s.models.contains(where: { $0.cpu != nil }) else { return }
        if case let .serverless(sv) = plan.policy, sv.hosting == .provider {
            e.add("shared cores", "all models", "not shared", "provider hosting: the provider's capacity, no node of the plan's")
            return
        }
        func percent(_ x: Double) -> String { show((x * 100 * 10).rounded() / 10) + " %" }
        for (m, model) in s.models.enumerated() where used[m] {
            guard let cpu = model.cpu else {
                e.add("shared cores", "\(model.name): CPU work", "none declared: an island (its times as given, whatever its neighbours do)", "default")
                continue
            }
            e.add("shared cores", "\(model.name): CPU work per request", "\(percent(cpu.fraction)) of the service time, at up to \(show(cpu.threads)) core(s)", "set")
            let phases = [("init", cpu.initFraction), ("load", cpu.loadFraction), ("warmup", cpu.warmupFraction)].filter { $0.1 > 0 }
            e.add("shared cores", "\(model.name): CPU work per start-up",
                  phases.isEmpty ? "none" : phases.map { "\($0.0) \(percent($0.1))" }.joined(separator: ", ") + ", at up to \(show(cpu.startupThreads)) core(s)",
                  phases.isEmpty ? "default: start-ups share nothing" : "set")
            e.add("shared cores", "\(model.name): weight", "\(show(Swift.max(model.requires.vcpus, 2.0 / 1024)))",
                  "requires.vcpus, as Kubernetes turns a CPU request into CFS shares (at least 2 shares)")
            if cpu.instanceThreads < .infinity {
                e.add("shared cores", "\(model.name): cores per instance", "at most \(show(cpu.instanceThreads)) at once, whatever its threads (a steady bound)", "set")
            }
            e.add("shared cores", "\(model.name): limit",
                  model.limitVCPUs.map { "\(show($0)) vCPU per instance (its requests and start-up together): a quota of \(show($0 * model.limitPeriod * 1000)) ms of CPU per \(show(model.limitPeriod * 1000)) ms period, throttled to the period's end once spent" } ?? "none",
                  model.limitVCPUs == nil ? "default" : "set; CFS bandwidth control (sched-bwc.rst)")
            if let boost = cpu.startupBoost {
                e.add("shared cores", "\(model.name): start-up boost",
                      "×\(show(boost.factor)) request and limit while starting and \(show(boost.afterReady)) s after ready", "set")
            }
        }
        for hw in s.hardware {
            let c = hw.contention
            let queues = c.runQueues == .perCore ? "a run queue per core" : "one fluid for the node"
            e.add("shared cores", "\(hw.name): cores", "\(show(hw.vcpus)), \(queues), background \(show(c.backgroundVCPUs)), interference α \(show(c.interference)), start-up interference α \(show(c.startupInterference))",
                  c == NodeContention() ? "default: no background load or interference" : "set")
        }
    }

    /// Shared GPUs: each node type's sharing mode and the slowdown it brings, and each model's
    /// GPU work.
    static func explainGPUSharing(_ e: inout PlanExplanation, _ s: Scenario, _ plan: Plan, used: [Bool]) {
        guard s.hardware.contains(where: { $0.gpuSharing != nil }) else { return }
        if case let .serverless(sv) = plan.policy, sv.hosting == .provider { return }
        for hw in s.hardware {
            guard let g = hw.gpuSharing else { continue }
            let how: String
            switch g.mode {
            case .timeSlicing: how = "time-slicing: instances with GPU work take turns, each at 1/k of the GPU while k have some"
            case .mps: how = "MPS: kernels run at once, each slowed by \(show(g.mpsSlowdown * 100)) % per other instance with GPU work"
            case .mig: how = "MIG: isolated slices, no instance slowed by its neighbours (service times are the slice's)"
            }
            e.add("shared GPUs", "\(hw.name): GPUs", "\(hw.gpus) × \(g.replicas) \(g.mode == .mig ? "slices" : "instances") per GPU; \(how)",
                  g.mode == .mps && g.mpsSlowdown == GPUSharing.publishedMPSSlowdown
                    ? "set; slowdown default: two vLLM per A100 under MPS, TPOT +19.5 % (contention.md [25])" : "set")
        }
        for (m, model) in s.models.enumerated() where used[m] && model.requires.gpus > 0 {
            guard model.runsOn.contains(where: { s.hardware[$0].gpuSharing != nil }) else { continue }
            e.add("shared GPUs", "\(model.name): GPU work per request",
                  model.gpuFraction.map { "\(show(($0 * 1000).rounded() / 10)) % of the service time (after its CPU part)" } ?? "none declared: its times are as given on a shared GPU",
                  model.gpuFraction == nil ? "default" : "set")
        }
    }

    /// LLM models' engines: their limits, the KV cache as sized, and how requests reach them.
    static func explainEngines(_ e: inout PlanExplanation, _ s: Scenario, _ plan: Plan, used: [Bool]) {
        let balancers = PlanBuilder.configuration(s, providerHosted: false, routing: plan.routing).models
        for (m, model) in s.models.enumerated() where used[m] {
            guard let engine = model.engine else { continue }
            let name = model.name, p = engine.profile
            if engine.rooflineByType.isEmpty {
                e.add("LLM engine", "\(name): profile", p.name, p.source)
                for d in engine.roofline?.derivation ?? [] { e.add("LLM engine", "\(name): \(d.what)", d.value, d.arithmetic) }
            } else {
                // Its GPU is the node type's: the roofline on each type it runs on.
                for t in model.runsOn {
                    guard let r = engine.rooflineByType[t] else { continue }
                    let on = "\(name) on \(s.hardware[t].name)"
                    e.add("LLM engine", "\(on): profile", r.profile.name, "the node type's gpuModel; " + r.profile.source)
                    for d in r.derivation { e.add("LLM engine", "\(on): \(d.what)", d.value, d.arithmetic) }
                    let blocks = engine.kvBlocks(for: r.profile)
                    e.add("LLM engine", "\(on): KV cache", "\(blocks * engine.blockTokens) tokens (\(blocks) blocks of \(engine.blockTokens))",
                          engine.kvCacheTokens != nil ? "set" : "auto, on this type's GPUs")
                }
            }
            e.add("LLM engine", "\(name): max sequences", String(engine.maxSequences), "set or default 256 (vLLM max_num_seqs); the instance's concurrency")
            e.add("LLM engine", "\(name): max batch tokens", String(engine.maxBatchTokens), "set or default 4,096 (vLLM max_num_batched_tokens for a 4k context)")
            let blocks = engine.kvBlocks
            let cache = "\(blocks * engine.blockTokens) tokens (\(blocks) blocks of \(engine.blockTokens))"
            if engine.kvCacheTokens != nil {
                e.add("LLM engine", "\(name): KV cache", cache, "set")
            } else {
                e.add("LLM engine", "\(name): KV cache", cache,
                      "auto: \(p.gpus) × \(show(p.gpuMemoryGiB)) GiB × \(show(EngineSpec.gpuMemoryUtilization)) − \(show(p.weightsGiB)) GiB, ÷ \(show(p.kvBytesPerToken)) bytes per token (vLLM gpu_memory_utilization)")
            }
            e.add("LLM engine", "\(name): admission watermark", "\(Int((EngineSpec.watermark * Double(blocks)).rounded(.down))) blocks kept free",
                  "default: 1 % (vLLM v0 block manager)")
            e.add("LLM engine", "\(name): scheduling", engine.scheduler.rawValue + (engine.chunkedPrefill ? ": chunked prefill (decodes first, then prompt chunks)" : ": prefill-only admission iterations"),
                  "set or default: vllm-v1 (vLLM's scheduler since 0.8; vllm-v0 for Vidur's configuration)")
            e.add("LLM engine", "\(name): preemption", engine.preemption.rawValue, "set or default: recompute (vLLM)")
            e.add("LLM engine", "\(name): prefix caching",
                  engine.prefixCaching ? "on: a prompt is prefilled past its longest cached prefix (whole blocks; the last token again); freed blocks stay cached, evicted least recently used first, the last block of a prompt before the ones it follows; held blocks never" : "off",
                  "set or default: on with vllm-v1, off with vllm-v0 (vLLM enable_prefix_caching); prompts carry prefixes from a mooncake trace's hash_ids")
            let overridden = m < plan.routing.count && plan.routing[m] != nil
            switch balancers[m].routing {
            case let .cacheAware(rule):
                e.add("LLM engine", "\(name): routing",
                      "cache-aware: the instance its longest prompt prefix went to when that is over \(show(rule.cacheThreshold * 100)) % of its blocks, else the least loaded; the least loaded whenever the busiest has over \(rule.balanceAbsThreshold) requests more and \(show(rule.balanceRelThreshold))× as many",
                      (overridden ? "plan" : "set") + "; defaults SGLang's router (cache_aware: 0.3, 64, 1.5); it remembers where it sent each prompt block, not what the instances evicted")
            case .sessionAffinity:
                e.add("LLM engine", "\(name): routing",
                      "session affinity: a conversation's request goes to the instance its previous request went to while that one has a free slot, else (and a first request) to the least loaded",
                      (overridden ? "plan" : "set") + "; sticky sessions, as llm-d's session-affinity scorer; conversations from a source's prompts.conversation")
            default:
                e.add("LLM engine", "\(name): routing", "least-loaded instance (fewest requests in flight)",
                      (overridden ? "plan" : "default") + ": a least-request balancer in front of LLM servers")
            }
            explainRole(&e, s, model)
        }
    }

    /// A pool of disaggregated serving: what it does of a request and, for a decode pool,
    /// what pulling a prompt's KV cache costs.
    static func explainRole(_ e: inout PlanExplanation, _ s: Scenario, _ model: ModelDefinition) {
        guard let engine = model.engine, engine.role != .both else { return }
        let name = model.name
        guard engine.role == .decode else {
            e.add("LLM engine", "\(name): role", "prefill pool: computes each prompt and one token (max_tokens 1), then hands the request on",
                  "set; its decode pool pulls the KV cache; time to first token ends on the decode pool")
            return
        }
        e.add("LLM engine", "\(name): role", "decode pool: pulls each prompt's KV cache once it has taken its blocks, then generates every output token",
              "set; a preempted sequence is recomputed here (prefilled again), not pulled again")
        let t = engine.kvTransfer, bytes = engine.profile.kvBytesPerToken
        let gb = { (x: Double) in show(x / 1e9) }
        let perToken = { (bandwidth: Double) in String(format: "%.3f µs a prompt token + %@ ms", bytes / bandwidth * 1e6, show(t.latency * 1e3)) }
        e.add("LLM engine", "\(name): KV pull between nodes", perToken(t.bandwidth),
              "\(show(bytes)) B a token ÷ \(gb(t.bandwidth)) GB/s (" + (t.bandwidth == EngineSpec.KVTransfer().bandwidth ? "default: Dynamo's mocker's inter-node InfiniBand" : "set") + "); latency \(t.latency > 0 ? "set" : "default 0")")
        for h in s.hardware.indices where model.runsOn.contains(h) {
            let local = engine.sameNodeTransferBandwidth(onType: h, nodeGPU: s.hardware[h].gpuModel)
            e.add("LLM engine", "\(name): KV pull within a \(s.hardware[h].name) node", perToken(local),
                  "\(show(bytes)) B a token ÷ \(gb(local)) GB/s (" + (t.sameNodeBandwidth != nil ? "set" : "one way of the GPU's interconnect, half its catalogue figure") + "); pulls into one instance one at a time")
        }
    }

    /// Spot node types the plan may run on: how they are reclaimed and what the plan does.
    static func explainSpot(_ e: inout PlanExplanation, _ s: Scenario, _ plan: Plan) {
        if case let .serverless(sv) = plan.policy, sv.hosting == .provider, s.training.isEmpty { return }
        let onNotice: String
        switch plan.policy {
        case .traditional: onNotice = "node cordoned; a replacement node launched at once; its instances restart there, cold"
        case let .serverless(sv) where sv.kpa == nil: onNotice = "node cordoned; its instances stop (busy ones finish first); later requests start instances elsewhere"
        default: onNotice = "node cordoned; its instances replaced elsewhere (cold), the node layer adding nodes for them"
        }
        for hw in s.hardware {
            guard let spot = hw.spot else { continue }
            let rate = spot.interruptionsPerHour > 0
                ? "\(show(spot.interruptionsPerHour)) per node-hour (mean \(show((1 / spot.interruptionsPerHour * 10).rounded() / 10)) h to interruption)" : "none at random"
            e.add("spot", "\(hw.name): interruptions", rate, "set")
            if !spot.waves.isEmpty { e.add("spot", "\(hw.name): waves", spot.waves.map { show($0) + " s" }.joined(separator: ", "), "set") }
            e.add("spot", "\(hw.name): notice", show(spot.notice) + " s",
                  "set or default 120 s (EC2 two-minute interruption notice; GCE and Azure Spot: 30 s)")
            e.add("spot", "\(hw.name): price", "$\(show(hw.pricePerHour))/h", "set (the spot price)")
            e.add("spot", "\(hw.name): on notice", onNotice, "headroom: a node termination handler's cordon and drain")
            e.add("spot", "\(hw.name): requests in service at the interruption", spot.retryInterrupted ? "retried" : "failed (rejected: interrupted)",
                  "set or default: retried")
        }
    }

    static func explainNodes(_ e: inout PlanExplanation, _ s: Scenario, _ n: NodeAutoscaler.Parameters, _ scan: Double?, _ unneeded: Double?, _ delay: Double?) {
        func seconds(_ t: TimeSpan) -> String { show(t.seconds) + " s" }
        for t in s.hardware.indices where n.maxNodes[t] > 0 {
            e.add("node layer", "nodes[\"\(s.hardware[t].name)\"]", "\(n.minNodes[t])…\(n.maxNodes[t])", "set")
        }
        e.add("node layer", "scan interval", seconds(n.scanInterval), scan != nil ? "set" : "default: 10 s, cluster-autoscaler scan-interval (autoscalers.md §2.2)")
        e.add("node layer", "unneeded time", seconds(n.unneededTime), unneeded != nil ? "set" : "default: 10 min, scale-down-unneeded-time (§2.2)")
        e.add("node layer", "delay after add", seconds(n.delayAfterAdd), delay != nil ? "set" : "default: 10 min, scale-down-delay-after-add (§2.2)")
        e.add("node layer", "expander", "least-waste", "default: cluster-autoscaler (§2.2)")
        if n.maxVCPUsTotal > 0 || n.maxGPUsTotal > 0 {
            e.add("node layer", "quota over all pools", "\(n.maxVCPUsTotal > 0 ? "\(n.maxVCPUsTotal) vCPUs" : "vCPUs unlimited"), \(n.maxGPUsTotal > 0 ? "\(n.maxGPUsTotal) GPUs" : "GPUs unlimited")", "set (like cores-total / gpu-total)")
        }
        e.add("node layer", "scale-down utilisation threshold", show(n.utilisationThreshold * 100) + " % (GPU nodes: GPUs)",
              "default: scale-down-utilization-threshold 0.5; drained one at a time (§2.1–2.2)")
        e.add("node layer", "max provision time", seconds(n.maxProvisionTime), "default: 15 min, max-node-provision-time (§2.2)")
        e.add("node layer", "backoff after a failed node", "\(seconds(n.initialBackoff)) doubling to \(seconds(n.maxBackoff)), reset after \(seconds(n.backoffReset))",
              "default: node-group backoff flags (§2.2)")
        e.add("node layer", "boot time", "per node type (hardware.boot)", "default: 90 s (EC2 request to Ready 60–120 s, §2.3)")
    }
}

/// A number as a person writes it: whole numbers without a decimal point.
private func show(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
}
