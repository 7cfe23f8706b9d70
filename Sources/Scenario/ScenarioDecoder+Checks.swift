// Decoding `expect` (the gates), and the cross-checks made once the whole scenario is read.

extension ScenarioDecoder {
    // MARK: Expectations

    func decodeExpect(_ node: JSONNode, planNames: [String], targetNames: [String], slo: SLO, hasEngine: Bool = false) throws -> [Expectation] {
        guard case let .array(items) = node.value else {
            throw v.error(node, "$.expect", "expected an array of gates, found \(node.value.kindDescription)")
        }
        return try items.enumerated().map { k, item in
            let path = "$.expect[\(k)]"
            var o = try ObjectReader(item, path: path, file: file)
            if o.has("cheapestMeetingSLO"), let c = o.optional("cheapestMeetingSLO") {
                let plan = try resolve(try v.string(c, o.childPath("cheapestMeetingSLO")), in: planNames, node: c,
                                       path: o.childPath("cheapestMeetingSLO"), what: "plan")
                guard slo.hasObjective else {
                    throw v.error(c, o.childPath("cheapestMeetingSLO"), "this gate needs an SLO: set slo.latency (or slo.ttft / slo.tpot) and slo.percentile")
                }
                try o.finish()
                return Expectation(plan: plan, metric: "cost_usd", scope: .plan, bounds: [], cheapestMeetingSLO: true, jsonPath: path)
            }
            let pNode = try o.required("plan", expected: "the plan this gate checks")
            let plan = try resolve(try v.string(pNode, o.childPath("plan")), in: planNames, node: pNode, path: o.childPath("plan"), what: "plan")
            var scope = Expectation.Scope.plan
            if let t = o.optional("target") {
                scope = .target(try resolve(try v.string(t, o.childPath("target")), in: targetNames, node: t, path: o.childPath("target"), what: "target"))
            }
            if let c = o.optional("caller") {
                guard scope == .plan else { throw v.error(c, o.childPath("caller"), "a gate looks at a target or a caller, not both") }
                scope = .caller(try v.string(c, o.childPath("caller")))
            }
            let mNode = try o.required("metric", expected: "a summary.csv column such as latency_p99_s")
            let metric = try v.string(mNode, o.childPath("metric"))
            var allowed = (scope == .plan ? SummaryMetric.names : ScopedMetric.names) + AccuracyMetric.gateNames
            let isCaller: Bool
            if case .caller = scope { isCaller = true } else { isCaller = false }
            if hasEngine && !isCaller { allowed += EngineMetric.names }
            if !hasEngine && EngineMetric.names.contains(metric) {
                throw v.error(mNode, o.childPath("metric"), "\"\(metric)\" is measured on engine models, and no model here has an \"engine\"",
                              suggestion: "add an engine (continuous batching) to the LLM model, or gate on latency")
            }
            guard allowed.contains(metric) else {
                throw v.error(mNode, o.childPath("metric"), "unknown metric \"\(metric)\"\(scope == .plan ? "" : " for a target or caller")",
                              suggestion: Suggest.hint(for: metric, in: allowed, noun: scope == .plan ? "metrics are the numeric summary.csv columns" : "metrics here are"))
            }
            var bounds: [Expectation.Bound] = []
            if let x = o.optional("min") { bounds.append(.min(try v.number(x, o.childPath("min")))) }
            if let x = o.optional("max") { bounds.append(.max(try v.number(x, o.childPath("max")))) }
            for (key, isMax) in [("maxRatioTo", true), ("minRatioTo", false)] {
                if let r = o.optional(key) {
                    let other = try resolve(try v.string(r, o.childPath(key)), in: planNames, node: r, path: o.childPath(key), what: "plan")
                    let value = try v.number(try o.required("value", expected: "the ratio bound for \(key)"), o.childPath("value"), min: 0)
                    bounds.append(isMax ? .maxRatioTo(plan: other, value: value) : .minRatioTo(plan: other, value: value))
                }
            }
            if bounds.isEmpty {
                throw v.error(item, path, "a gate needs a bound: min, max, or maxRatioTo/minRatioTo with value (or cheapestMeetingSLO)")
            }
            if !bounds.contains(where: { if case .maxRatioTo = $0 { return true }; if case .minRatioTo = $0 { return true }; return false }),
               let value = o.optional("value") {
                throw v.error(value, o.childPath("value"), "\"value\" is the ratio for maxRatioTo or minRatioTo, but this gate has neither: expected one of them beside it",
                              suggestion: "use min or max for a plain bound")
            }
            try o.finish()
            return Expectation(plan: plan, metric: metric, scope: scope, bounds: bounds, cheapestMeetingSLO: false, jsonPath: path)
        }
    }

    // MARK: Cross-checks

    /// Checks that need the whole scenario: token-driven models get token counts, provider
    /// hosting gets no GPU model without a GPU price, each plan can host every used model.
    func check(_ s: inout Scenario, root: JSONNode) throws {
        let (used, usedBy) = usage(s)
        try checkDisaggregation(s)
        try checkRunQueues(s)
        try checkTokens(s, usedBy: usedBy)
        for (i, plan) in s.plans.enumerated() {
            for a in plan.serve {
                for t in [a.from, a.to] where s.isPool(t) {
                    throw ScenarioError(file: file, path: ObjectReader.join(plan.jsonPath + ".serve", s.targetNames[a.from]),
                                        message: "model \"\(s.models[t].name)\" is a \(s.models[t].engine!.role.rawValue) pool: traffic is served as the pipeline that runs it, not as one of its pools",
                                        suggestion: "name the chain pipeline of the prefill and decode pools")
                }
            }
            // The models this plan serves: its own sources' targets.
            let view = plan.serve.isEmpty ? s : s.forPlan(i)
            var (used, usedBy) = (used, usedBy)
            if !plan.serve.isEmpty {
                (used, usedBy) = usage(view)
                try checkTokens(view, usedBy: usedBy)
            }
            for (m, r) in plan.routing.enumerated() where r != nil && s.models[m].engine == nil {
                throw ScenarioError(file: file, path: ObjectReader.join(plan.jsonPath + ".routing", s.models[m].name),
                                    message: "model \"\(s.models[m].name)\" has no engine: \"routing\" chooses the balancer in front of an LLM model's instances",
                                    suggestion: "remove it, or give the model an \"engine\"")
            }
            switch plan.policy {
            case let .elastic(e):
                try checkPools(s, plan: plan, pools: e.nodes.map(\.hardware), used: used)
                if e.metric == "kv-cache-usage" || e.metric == "tokens-per-second", let m = s.models.indices.first(where: { used[$0] && s.models[$0].engine == nil }) {
                    throw ScenarioError(file: file, path: plan.jsonPath + ".metric",
                                        message: "metric \(e.metric) scales on the engines' \(e.metric == "kv-cache-usage" ? "KV cache" : "output tokens"), and model \"\(s.models[m].name)\" has no engine",
                                        suggestion: "scale on utilisation, concurrency or queue-length, or give every model the plan serves an \"engine\"")
                }
            case let .serverless(sv) where sv.hosting == .self:
                try checkPools(s, plan: plan, pools: sv.nodes.map(\.hardware), used: used)
            case let .serverless(sv):
                for (m, model) in s.models.enumerated() where used[m] && model.requires.gpus > 0 && sv.pricing.perGPUSecond == nil {
                    throw ScenarioError(file: file, path: plan.jsonPath + ".hosting",
                                        message: "model \"\(model.name)\" needs GPUs, and provider-hosted serverless (Lambda) has none",
                                        suggestion: "use \"hosting\": \"self\" with GPU node pools, or set pricing.perGPUSecond for a GPU serverless provider")
                }
            case .traditional:
                break
            }
        }
    }

    /// A run queue per core holds a task on one core: a request or start-up of several
    /// threads would need several at once, which that model does not place.
    func checkRunQueues(_ s: Scenario) throws {
        for model in s.models {
            guard let cpu = model.cpu else { continue }
            for t in model.runsOn where s.hardware[t].contention.runQueues == .perCore {
                for (key, threads) in [("threads", cpu.threads), ("startupThreads", cpu.startupThreads)] where threads > 1 {
                    throw ScenarioError(file: file, path: ObjectReader.join("$.models", model.name) + ".cpu." + key,
                                        message: "model \"\(model.name)\" runs on \(s.hardware[t].name), whose run queues are per core, and its \(key) \(ValueReader.show(threads)) would use several cores at once: expected at most 1, as a task waits on one core's run queue",
                                        suggestion: "use \"runQueues\": \"node\" on \(s.hardware[t].name), or \(key) of at most 1")
                }
            }
        }
    }

    /// The models some source reaches (a versioned model's versions too), and by model the
    /// sources that reach it.
    func usage(_ s: Scenario) -> (used: [Bool], usedBy: [[Int]]) {
        var used = [Bool](repeating: false, count: s.models.count)
        var usedBy = [[Int]](repeating: [], count: s.models.count)   // sources per model
        for (k, source) in s.workload.enumerated() {
            for m in s.stages(reachedBy: source) {
                used[m] = true
                usedBy[m].append(k)
            }
        }
        for m in s.models.indices where used[m] { for g in s.models[m].variantGroup { used[g] = true; usedBy[g] = usedBy[m] } }
        return (used, usedBy)
    }

    /// Token-driven models (an engine, or a token-driven service time) get token counts from
    /// every source that reaches them.
    func checkTokens(_ s: Scenario, usedBy: [[Int]]) throws {
        for (m, model) in s.models.enumerated() where model.isTokenDriven {
            for k in usedBy[m] {
                let source = s.workload[k]
                var carriesTokens = source.inputTokens != nil
                if case let .trace(t) = source.kind, t.carriesTokens { carriesTokens = true }
                // Checked per row: a trace that names each row's target, and a CSV trace, whose
                // header may or may not carry input_tokens and output_tokens columns.
                if case let .trace(t) = source.kind, source.target == nil || t.format == .csv { continue }
                if !carriesTokens {
                    throw ScenarioError(file: file, path: source.jsonPath,
                                        message: "model \"\(model.name)\" \(model.engine != nil ? "has an engine (continuous batching)" : "has a token-driven service time"), which needs token counts, but this source carries none",
                                        suggestion: "add \"tokens\": {\"input\": …, \"output\": …} to the source, or replay a trace with token columns")
                }
            }
        }
    }

    func checkPools(_ s: Scenario, plan: Plan, pools: [Int], used: [Bool]) throws {
        for (m, model) in s.models.enumerated() where used[m] && !model.runsOn.contains(where: pools.contains) {
            throw ScenarioError(file: file, path: plan.jsonPath + ".nodes",
                                message: "model \"\(model.name)\" runs on \(model.runsOn.map { s.hardware[$0].name }.joined(separator: ", ")) but plan \"\(plan.name)\" has no pool of those types",
                                suggestion: "add a pool of \(s.hardware[model.runsOn[0]].name) to the plan's nodes")
        }
    }

    /// Disaggregated serving: a prefill pool and a decode pool run as consecutive stages of a
    /// chain pipeline, the prefill first, and share the model's KV layout; neither is
    /// addressed on its own.
    func checkDisaggregation(_ s: Scenario) throws {
        func role(_ m: Int) -> EngineSpec.Role { s.models[m].engine?.role ?? .both }
        for (k, source) in s.workload.enumerated() {
            var targets = source.mix.isEmpty ? (source.target.map { [$0] } ?? []) : source.mix.map(\.target)
            if case let .trace(t) = source.kind { targets += t.functionTargets.map { TargetRef(index: $0.target) } }
            for t in targets where s.isPool(t.index) {
                throw ScenarioError(file: file, path: source.jsonPath.isEmpty ? "$.workload[\(k)]" : source.jsonPath,
                                    message: "model \"\(s.models[t.index].name)\" is a \(role(t.index).rawValue) pool: it serves only as a stage of a pipeline, \(role(t.index) == .decode ? "after its prefill pool" : "before its decode pool")",
                                    suggestion: "address the pipeline that runs it (\"pipelines\": {\"chat\": [\"<prefill model>\", \"<decode model>\"]})")
            }
        }
        for pipeline in s.pipelines {
            let path = ObjectReader.join("$.pipelines", pipeline.name)
            for (k, m) in pipeline.stages.enumerated() where role(m) != .both {
                let stagePath = path + "[\(k)]"
                guard pipeline.dependencies == nil else {
                    throw ScenarioError(file: file, path: stagePath,
                                        message: "model \"\(s.models[m].name)\" is a \(role(m).rawValue) pool, and pipeline \"\(pipeline.name)\" is a graph: disaggregated serving runs only as a chain, the prefill pool then the decode pool",
                                        suggestion: "declare a chain pipeline for it: [\"<prefill model>\", \"<decode model>\"]")
                }
                if role(m) == .decode {
                    guard k > 0, role(pipeline.stages[k - 1]) == .prefill else {
                        throw ScenarioError(file: file, path: stagePath,
                                            message: "decode pool \"\(s.models[m].name)\" does not follow a prefill pool in pipeline \"\(pipeline.name)\": it would have no KV cache to pull",
                                            suggestion: "put the model's prefill pool (an engine with \"role\": \"prefill\") right before it")
                    }
                    continue
                }
                guard k + 1 < pipeline.stages.count, role(pipeline.stages[k + 1]) == .decode else {
                    throw ScenarioError(file: file, path: stagePath,
                                        message: "prefill pool \"\(s.models[m].name)\" is not followed by a decode pool in pipeline \"\(pipeline.name)\": the prompt's KV cache would go nowhere",
                                        suggestion: "put a model whose engine has \"role\": \"decode\" right after it")
                }
                let d = pipeline.stages[k + 1]
                let a = s.models[m].engine!.profile.kvBytesPerToken, b = s.models[d].engine!.profile.kvBytesPerToken
                guard abs(a - b) <= 1e-9 * Swift.max(a, b) else {
                    throw ScenarioError(file: file, path: path + "[\(k + 1)]",
                                        message: "decode pool \"\(s.models[d].name)\" keeps \(ValueReader.show(b)) KV bytes per token and prefill pool \"\(s.models[m].name)\" computes \(ValueReader.show(a)): one model's KV cache cannot be read as another's",
                                        suggestion: "give both engines the same model (\"engine.model\", or profiles with the same kvBytesPerToken)")
                }
            }
        }
    }
}
