// Decoding `models` (versions, rollouts, images, service times) and `pipelines`.

extension ScenarioDecoder {
    // MARK: Models

    func decodeModels(_ node: JSONNode, hardware: [HardwareType], rollouts: inout [RolloutSpec]) throws -> [ModelDefinition] {
        let members = try namedMembers(node, "$.models", what: "models")
        guard !members.isEmpty else { throw v.error(node, "$.models", "define at least one model") }
        let hardwareNames = hardware.map(\.name)
        let decoded: [(ModelDefinition, [ModelDefinition], RolloutSpec?)] = try members.map { m in
            let path = ObjectReader.join("$.models", m.key)
            var o = try ObjectReader(m.value, path: path, file: file)
            let version = try o.optional("version").map { n -> String in
                if case let .number(x) = n.value { return ValueReader.show(x) }
                return try v.string(n, o.childPath("version"))
            }
            let image = try o.optional("image").map { try decodeImage($0, path: o.childPath("image")) }
            let initTime = try o.optional("init").map { try v.distribution($0, o.childPath("init")) } ?? .constant(0)
            let load = try o.optional("load").map { try v.distribution($0, o.childPath("load")) } ?? .constant(0)
            let rNode = try o.required("requires", expected: "the resources one instance needs: vcpus, memoryGiB, gpus")
            var ro = try ObjectReader(rNode, path: o.childPath("requires"), file: file)
            let requires = ResourceRequest(
                vcpus: try ro.optional("vcpus").map { try v.number($0, ro.childPath("vcpus"), min: 0, max: Bounds.vcpus) } ?? 0,
                memoryGiB: try ro.optional("memoryGiB").map { try v.number($0, ro.childPath("memoryGiB"), min: 0, max: Bounds.memoryGiB) } ?? 0,
                gpus: try ro.optional("gpus").map { try v.integer($0, ro.childPath("gpus"), max: Bounds.gpus) } ?? 0)
            try ro.finish()

            var engine = try o.optional("engine").map { try decodeEngine($0, path: o.childPath("engine"), hardware: hardware) }
            // An engine model's time comes from its iterations: a service time is optional.
            let sNode = engine == nil ? try o.required("service", expected: "the service time, or service times by node type (or an \"engine\" for an LLM)")
                                      : o.optional("service")
            let sPath = o.childPath("service")
            var (service, serverlessService, keyed) = ([DistributionSpec?](repeating: nil, count: hardware.count), DistributionSpec?.none, [Int]())
            if let sNode { (service, serverlessService, keyed) = try decodeService(sNode, sPath, hardware: hardware) }

            var runsOn: [Int]
            let explicitRunsOn = o.optional("runsOn") != nil
            if let rn = o.optional("runsOn") {
                guard case let .array(items) = rn.value, !items.isEmpty else {
                    throw v.error(rn, o.childPath("runsOn"), "expected a non-empty array of node type names")
                }
                runsOn = try items.enumerated().map { k, item in
                    let p = o.childPath("runsOn") + "[\(k)]"
                    return try resolve(try v.string(item, p), in: hardwareNames, node: item, path: p, what: "node type")
                }
                for h in runsOn where service[h] == nil && engine == nil {
                    throw v.error(sNode ?? rn, sPath, "no service time for node type \"\(hardwareNames[h])\", which runsOn lists",
                                  suggestion: "add \"\(hardwareNames[h])\": {\"dist\": …} to service")
                }
            } else {
                runsOn = keyed.isEmpty ? Array(hardware.indices) : keyed
            }
            let fitting = runsOn.filter { h in
                hardware[h].vcpus >= requires.vcpus && hardware[h].memoryGiB >= requires.memoryGiB && hardware[h].gpus >= requires.gpus
            }
            if fitting.isEmpty {
                let needs = "\(ValueReader.show(requires.vcpus)) vCPU, \(ValueReader.show(requires.memoryGiB)) GiB, \(requires.gpus) GPU"
                let offered = runsOn.map { h in "\(hardwareNames[h]) has \(ValueReader.show(hardware[h].vcpus)) vCPU, \(ValueReader.show(hardware[h].memoryGiB)) GiB, \(hardware[h].gpus) GPU" }
                throw v.error(rNode, o.childPath("requires"), "model \"\(m.key)\" fits no node type it may run on: it needs \(needs); \(offered.joined(separator: "; "))",
                              suggestion: "lower requires, or add a larger node type to hardware and runsOn")
            }
            runsOn = runsOn.filter { fitting.contains($0) } // a type it cannot fit on is never chosen
            var concurrency = try o.optional("concurrency").map { try v.integer($0, o.childPath("concurrency"), min: 1, max: ValueReader.largestCount) } ?? 1
            if let engine {
                // The engine takes up to maxSequences requests at once: that is the instance's
                // concurrency, which the scheduler core routes by.
                if let c = o.optional("concurrency") {
                    throw v.error(c, o.childPath("concurrency"), "found a concurrency, but an engine model's concurrency is its engine's maxSequences (\(engine.maxSequences))",
                                  suggestion: "remove \"concurrency\", or set engine.maxSequences")
                }
                concurrency = engine.maxSequences
                if requires.gpus < engine.profile.gpus {
                    throw v.error(rNode, o.childPath("requires") + ".gpus",
                                  "the engine's profile \"\(engine.profile.name)\" runs on \(engine.profile.gpus) GPU(s), so the model needs at least that many, found \(requires.gpus)",
                                  suggestion: "set requires.gpus to \(engine.profile.gpus)")
                }
            }
            // Default queue depth 10,000: Knative's activator breaker queue (autoscalers.md §3.3,
            // pkg/activator/net/throttler.go breakerQueueDepth).
            let queueLimit = try o.optional("queueLimit").map { try v.integer($0, o.childPath("queueLimit"), max: 1_000_000_000) } ?? 10_000
            var base = ModelDefinition(name: m.key, version: version, image: image, initTime: initTime, load: load, requires: requires,
                                       runsOn: runsOn, service: service, serverlessService: serverlessService,
                                       concurrency: concurrency, queueLimit: queueLimit)
            // An engine whose model's shape is known has its weights' size: a 70B model does not
            // load like a 7B one (issue #30 item 7). Given, it is the user's.
            base.weightsGB = try o.optional("weightsGB").map { try v.number($0, o.childPath("weightsGB"), min: 0) }
                ?? engine?.roofline.map { $0.instanceWeightBytes / 1e9 }
            base.warmup = try o.optional("warmup").map { try v.distribution($0, o.childPath("warmup")) } ?? .constant(0)
            base.worker = try o.optional("worker").map { try decodeWorker($0, path: o.childPath("worker")) }
            base.cpu = try o.optional("cpu").map { try decodeCPUWork($0, path: o.childPath("cpu")) }
            if let g = o.optional("gpu") {
                var go = try ObjectReader(g, path: o.childPath("gpu"), file: file)
                let fNode = try go.required("fraction", expected: "the share of the service time that is GPU work (0 to 1)")
                let fraction = try v.number(fNode, go.childPath("fraction"), min: 0, max: 1)
                try go.finish()
                if let cpu = base.cpu, cpu.fraction + fraction > 1 + 1e-9 {
                    throw v.error(fNode, go.childPath("fraction"), "expected CPU and GPU work to fit in the service time: cpu.fraction \(ValueReader.show(cpu.fraction)) + gpu.fraction \(ValueReader.show(fraction)) is more than 1",
                                  suggestion: "the service time is CPU work, then GPU work, then the rest: lower one of the fractions")
                }
                guard requires.gpus > 0 else {
                    throw v.error(fNode, go.childPath("fraction"), "expected a model with GPU work to require a GPU, found requires.gpus 0", suggestion: "set requires.gpus to 1")
                }
                base.gpuFraction = fraction
            }
            // Instances on shared GPUs take one GPU's share each: an instance needing several
            // GPUs, or an LLM engine (whose iteration times are a whole GPU's), cannot share.
            // Listed in runsOn, such a type is refused; by default, it is left out (as a type
            // the model does not fit is), and said by explain-plan's runsOn.
            if !explicitRunsOn {
                let sharing = runsOn.filter { hardware[$0].gpuSharing != nil && requires.gpus > 0 && (requires.gpus > 1 || engine != nil) }
                if !sharing.isEmpty && sharing.count < runsOn.count { runsOn.removeAll { sharing.contains($0) } }
            }
            for h in runsOn {
                guard let sharing = hardware[h].gpuSharing, requires.gpus > 0 else { continue }
                if requires.gpus > 1 {
                    throw v.error(rNode, o.childPath("requires") + ".gpus", "expected at most 1 GPU for a model on node type \"\(hardwareNames[h])\", whose GPUs are shared (\(sharing.mode.rawValue)): each instance takes one share of one GPU, found \(requires.gpus)",
                                  suggestion: "set requires.gpus to 1, or run the model on a node type without gpuSharing")
                }
                if engine != nil {
                    throw v.error(rNode, o.childPath("requires") + ".gpus", "an LLM engine's iteration times are those of whole GPUs, so it cannot run on node type \"\(hardwareNames[h])\", whose GPUs are shared (\(sharing.mode.rawValue))",
                                  suggestion: "run the engine model on a node type without gpuSharing")
                }
            }
            if var e = engine, !e.rooflineByType.isEmpty, let eNode = o.optional("engine") {
                // Its GPU is each node type's: by default the types that name one (as types whose
                // GPUs are shared are left out); every type it runs on must name one and hold
                // its weights. It is explained, and its defaults taken, as on the first.
                if !explicitRunsOn {
                    let named = runsOn.filter { e.rooflineByType[$0] != nil }
                    if !named.isEmpty { runsOn = named }
                }
                for h in runsOn {
                    guard let r = e.rooflineByType[h] else {
                        throw v.error(eNode, o.childPath("engine"), "the engine takes its GPU from the node type, and node type \"\(hardwareNames[h])\", which the model runs on, names no gpuModel",
                                      suggestion: "give hardware.\(hardwareNames[h]).gpuModel, or engine.gpu, or list in runsOn only the types with a gpuModel")
                    }
                    let p = r.profile
                    if e.kvBlocks(for: p) == 0 {
                        throw v.error(eNode, o.childPath("engine"), "on node type \"\(hardwareNames[h])\" (\(r.gpu.name)) the KV cache would hold no block: \(p.gpus) GPU(s) × \(ValueReader.show(p.gpuMemoryGiB)) GiB × \(EngineSpec.gpuMemoryUtilization) leaves nothing beside \(ValueReader.show(p.weightsGiB)) GiB of weights",
                                      suggestion: "raise tensorParallel, or leave \"\(hardwareNames[h])\" out of runsOn")
                    }
                }
                e.roofline = e.rooflineByType[runsOn[0]]
                e.profile = e.roofline!.profile
                engine = e
            }
            if let l = o.optional("limits") {
                var lo = try ObjectReader(l, path: o.childPath("limits"), file: file)
                if let c = lo.optional("vcpus") {
                    let limit = try v.number(c, lo.childPath("vcpus"), min: 0, exclusiveMin: true, max: Bounds.vcpus)
                    if limit < requires.vcpus {
                        throw v.error(c, lo.childPath("vcpus"), "expected a CPU limit of at least the request of \(ValueReader.show(requires.vcpus)) vCPU, found \(ValueReader.show(limit))",
                                      suggestion: "set limits.vcpus to at least requires.vcpus (Kubernetes refuses a limit below the request)")
                    }
                    base.limitVCPUs = limit
                }
                if let pNode = lo.optional("period") {
                    // cpu.max accepts periods from 1 ms to 1 s (sched-bwc.rst).
                    let period = try v.duration(pNode, lo.childPath("period"), positive: true)
                    guard period >= 0.001 - 1e-12, period <= 1 + 1e-12 else {
                        throw v.error(pNode, lo.childPath("period"), "expected a CFS period from 1 ms to 1 s (the kernel's bounds for cpu.max), found \(ValueReader.show(period)) s",
                                      suggestion: "leave it out for the kernel's default of 100 ms")
                    }
                    guard base.limitVCPUs != nil else {
                        throw v.error(pNode, lo.childPath("period"), "expected limits.vcpus beside the CFS period: a period without a CPU limit has nothing to enforce",
                                      suggestion: "add limits.vcpus, or leave the period out")
                    }
                    base.limitPeriod = period
                }
                try lo.finish()
            }
            base.engine = engine
            var variants: [ModelDefinition] = []
            if let vNode = o.optional("versions") {
                guard let version else {
                    throw v.error(vNode, o.childPath("versions"), "a model with other versions needs its own \"version\" label",
                                  suggestion: "add \"version\": \"1\" to model \"\(m.key)\"")
                }
                for vm in try namedMembers(vNode, o.childPath("versions"), what: "versions") {
                    guard vm.key != version else {
                        throw ScenarioError(file: file, line: vm.line, column: vm.column, path: ObjectReader.join(o.childPath("versions"), vm.key),
                                            message: "version \"\(vm.key)\" is the model's own version: another version needs another label", suggestion: "give the new version another label")
                    }
                    variants.append(try decodeVersion(vm.value, path: ObjectReader.join(o.childPath("versions"), vm.key), label: vm.key, base: base, hardware: hardware))
                }
            }
            var rollout: RolloutSpec?
            if let rNode = o.optional("rollout") {
                rollout = try decodeRollout(rNode, path: o.childPath("rollout"), versions: variants.map { $0.version! })
            }
            try o.finish()
            return (base, variants, rollout)
        }
        // Versions become models of their own ("name@version") after the declared ones, so
        // the declared models keep their indices.
        var models = decoded.map(\.0)
        for (k, entry) in decoded.enumerated() {
            var group = [k]
            for variant in entry.1 {
                var model = variant
                model.variantOf = k
                group.append(models.count)
                models.append(model)
            }
            if group.count > 1 {
                models[k].variantGroup = group
                for g in group.dropFirst() { models[g].variantGroup = group }
            }
            if var rollout = entry.2 {
                rollout.model = k
                rollout.variant = group[1 + entry.1.firstIndex { $0.version == rollout.version }!]
                rollouts.append(rollout)
            }
        }
        return models
    }

    /// service: one distribution for every node type, or an object keyed by node type (plus
    /// "serverless" for provider-hosted capacity).
    func decodeService(_ sNode: JSONNode, _ sPath: String, hardware: [HardwareType]) throws -> (service: [DistributionSpec?], serverless: DistributionSpec?, keyed: [Int]) {
        let hardwareNames = hardware.map(\.name)
        var service = [DistributionSpec?](repeating: nil, count: hardware.count)
        var serverlessService: DistributionSpec?
        var keyed: [Int] = []
        if case let .object(sMembers) = sNode.value, !sMembers.contains(where: { $0.key == "dist" }) {
            for sm in sMembers {
                let p = ObjectReader.join(sPath, sm.key)
                let d = try v.distribution(sm.value, p)
                if sm.key == "serverless" { serverlessService = d; continue }
                guard let h = hardwareNames.firstIndex(of: sm.key) else {
                    throw ScenarioError(file: file, line: sm.line, column: sm.column, path: p,
                                        message: "unknown node type \"\(sm.key)\"",
                                        suggestion: Suggest.hint(for: sm.key, in: hardwareNames + ["serverless"], noun: "node types are"))
                }
                service[h] = d
                keyed.append(h)
            }
        } else {
            let d = try v.distribution(sNode, sPath)
            for h in hardware.indices { service[h] = d }
            serverlessService = d
        }
        return (service, serverlessService, keyed)
    }

    /// One entry of a model's `versions`: what differs from the model (image, init, load,
    /// weights, warm-up, service, concurrency); everything else is the model's.
    /// A model's (or version's) `image`: `{"name": n, "pull": distribution, "sizeGB": x}`.
    func decodeImage(_ node: JSONNode, path: String) throws -> ImageSpec {
        var io = try ObjectReader(node, path: path, file: file)
        let name = try v.string(try io.required("name", expected: "the image name"), io.childPath("name"))
        let pull = try io.optional("pull").map { try v.distribution($0, io.childPath("pull")) } ?? .constant(0)
        let size = try io.optional("sizeGB").map { try v.number($0, io.childPath("sizeGB"), min: 0) }
        try io.finish()
        return ImageSpec(name: name, pull: pull, sizeGB: size)
    }

    func decodeVersion(_ node: JSONNode, path: String, label: String, base: ModelDefinition, hardware: [HardwareType]) throws -> ModelDefinition {
        var o = try ObjectReader(node, path: path, file: file)
        var model = base
        model.name = base.name + "@" + label
        model.version = label
        if let i = o.optional("image") { model.image = try decodeImage(i, path: o.childPath("image")) }
        if let n = o.optional("init") { model.initTime = try v.distribution(n, o.childPath("init")) }
        if let n = o.optional("load") { model.load = try v.distribution(n, o.childPath("load")) }
        if let n = o.optional("weightsGB") { model.weightsGB = try v.number(n, o.childPath("weightsGB"), min: 0) }
        if let n = o.optional("warmup") { model.warmup = try v.distribution(n, o.childPath("warmup")) }
        if let n = o.optional("worker") { model.worker = try decodeWorker(n, path: o.childPath("worker")) }
        if let n = o.optional("service") {
            let (service, serverless, _) = try decodeService(n, o.childPath("service"), hardware: hardware)
            for h in base.runsOn where service[h] == nil {
                throw v.error(n, o.childPath("service"), "no service time for node type \"\(hardware[h].name)\", which the model runs on",
                              suggestion: "add \"\(hardware[h].name)\": {\"dist\": …} to service")
            }
            model.service = service
            model.serverlessService = serverless ?? base.serverlessService
        }
        if let n = o.optional("concurrency") {
            if let engine = model.engine {
                throw v.error(n, o.childPath("concurrency"), "found a concurrency, but an engine model's concurrency is its engine's maxSequences (\(engine.maxSequences)), for every version",
                              suggestion: "remove \"concurrency\"")
            }
            model.concurrency = try v.integer(n, o.childPath("concurrency"), min: 1, max: ValueReader.largestCount)
        }
        try o.finish()
        return model
    }

    /// `rollout`: `{"to": version, "steps": [{"at": t, "weight": percent}, …]}` (canary: the new
    /// version's share of traffic from each time on) or `{"to": version, "strategy":
    /// "blue-green", "at": t}` (the new version is started at full size beside the old one and
    /// takes all traffic once it is ready).
    func decodeRollout(_ node: JSONNode, path: String, versions: [String]) throws -> RolloutSpec {
        var o = try ObjectReader(node, path: path, file: file)
        let toNode = try o.required("to", expected: "the version to roll out (a key of versions)")
        let to = try { () throws -> String in
            if case let .number(x) = toNode.value { return ValueReader.show(x) }
            return try v.string(toNode, o.childPath("to"))
        }()
        guard versions.contains(to) else {
            throw v.error(toNode, o.childPath("to"), versions.isEmpty ? "the model has no other version to roll out" : "unknown version \"\(to)\"",
                          suggestion: versions.isEmpty ? "add \"versions\": {\"\(to)\": {…}} to the model" : Suggest.hint(for: to, in: versions))
        }
        let strategyNode = o.optional("strategy")
        let strategy = try strategyNode.map { try v.string($0, o.childPath("strategy")) } ?? "canary"
        var spec = RolloutSpec(version: to, blueGreen: false, steps: [])
        switch strategy {
        case "canary":
            let sNode = try o.required("steps", expected: "the canary steps: [{\"at\": time, \"weight\": percent}, …]")
            guard case let .array(items) = sNode.value, !items.isEmpty else {
                throw v.error(sNode, o.childPath("steps"), "expected a non-empty array of {\"at\": time, \"weight\": percent}")
            }
            for (k, item) in items.enumerated() {
                var so = try ObjectReader(item, path: o.childPath("steps") + "[\(k)]", file: file)
                let atNode = try so.required("at", expected: "when the step takes effect")
                let at = try v.duration(atNode, so.childPath("at"))
                let weight = try v.number(try so.required("weight", expected: "the new version's share of traffic, in percent"), so.childPath("weight"), min: 0, max: 100)
                try so.finish()
                if let last = spec.steps.last, at <= last.at {
                    throw v.error(atNode, so.childPath("at"), "steps must be in increasing time order")
                }
                spec.steps.append(RolloutStep(at: at, weight: weight))
            }
        case "blue-green":
            let at = try v.duration(try o.required("at", expected: "when the new version starts"), o.childPath("at"))
            spec.blueGreen = true
            spec.steps = [RolloutStep(at: at, weight: 100)]
        default:
            throw v.error(strategyNode!, o.childPath("strategy"), "unknown rollout strategy \"\(strategy)\"",
                          suggestion: Suggest.hint(for: strategy, in: ["canary", "blue-green"]))
        }
        try o.finish()
        return spec
    }

    // MARK: Pipelines

    func decodePipelines(_ node: JSONNode, modelNames: [String]) throws -> [Pipeline] {
        let members = try namedMembers(node, "$.pipelines", what: "pipelines")
        return try members.map { m in
            let path = ObjectReader.join("$.pipelines", m.key)
            if case .object = m.value.value { return try decodeGraph(m.value, path: path, name: m.key, modelNames: modelNames) }
            guard case let .array(items) = m.value.value, !items.isEmpty else {
                throw v.error(m.value, path, "expected a non-empty array of model names, in order, or a graph {\"model\": [models it waits for], …}")
            }
            let stages = try items.enumerated().map { k, item in
                try resolve(try v.string(item, "\(path)[\(k)]"), in: modelNames, node: item, path: "\(path)[\(k)]", what: "model")
            }
            return Pipeline(name: m.key, stages: stages)
        }
    }

    /// A graph pipeline: `{"ocr": [], "layout": [], "ner": ["ocr"], "summary": ["ner", "layout"]}`
    /// — each key a model (a stage), each value the stages it waits for.
    func decodeGraph(_ node: JSONNode, path: String, name: String, modelNames: [String]) throws -> Pipeline {
        let members = try namedMembers(node, path, what: "stages")
        guard !members.isEmpty else { throw v.error(node, path, "a pipeline graph needs at least one stage") }
        let stageNames = members.map(\.key)
        let stages = try members.map { m in
            try resolve(m.key, in: modelNames, node: m.value, path: ObjectReader.join(path, m.key), what: "model")
        }
        let dependencies: [[Int]] = try members.map { m in
            let p = ObjectReader.join(path, m.key)
            guard case let .array(items) = m.value.value else {
                throw v.error(m.value, p, "expected an array of the stages \"\(m.key)\" waits for ([] for none)")
            }
            return try items.enumerated().map { k, item in
                let ip = "\(p)[\(k)]"
                let dep = try v.string(item, ip)
                guard let d = stageNames.firstIndex(of: dep) else {
                    throw v.error(item, ip, "\"\(dep)\" is not a stage of pipeline \"\(name)\"", suggestion: Suggest.hint(for: dep, in: stageNames, noun: "its stages are"))
                }
                guard dep != m.key else { throw v.error(item, ip, "stage \"\(dep)\" cannot wait for itself") }
                return d
            }
        }
        // Kahn's algorithm: every stage must become ready, else there is a cycle.
        var indegree = dependencies.map(\.count)
        var ready = indegree.indices.filter { indegree[$0] == 0 }
        var done = 0
        while let s = ready.popLast() {
            done += 1
            for (t, deps) in dependencies.enumerated() where deps.contains(s) {
                indegree[t] -= 1
                if indegree[t] == 0 { ready.append(t) }
            }
        }
        if done < stages.count {
            let cyclic = indegree.indices.filter { indegree[$0] > 0 }.map { stageNames[$0] }
            throw v.error(node, path, "the stages \(cyclic.map { "\"\($0)\"" }.joined(separator: ", ")) wait for each other in a cycle",
                          suggestion: "remove one of the dependencies between them")
        }
        return Pipeline(name: name, stages: stages, dependencies: dependencies)
    }
}

extension ScenarioDecoder {
    /// `cpu`: `{"fraction": 0.9, "threads": 1, "init": 1, "load": 0.5, "warmup": 1, "startupThreads": 1}`.
    func decodeCPUWork(_ node: JSONNode, path: String) throws -> CPUWork {
        var o = try ObjectReader(node, path: path, file: file)
        var cpu = CPUWork()
        func share(_ key: String) throws -> Double? {
            try o.optional(key).map { try v.number($0, o.childPath(key), min: 0, max: 1) }
        }
        func cores(_ key: String) throws -> Double? {
            try o.optional(key).map { try v.number($0, o.childPath(key), min: 0, exclusiveMin: true, max: Bounds.vcpus) }
        }
        if let f = try share("fraction") { cpu.fraction = f }
        if let t = try cores("threads") { cpu.threads = t }
        if let f = try share("init") { cpu.initFraction = f }
        if let f = try share("load") { cpu.loadFraction = f }
        if let f = try share("warmup") { cpu.warmupFraction = f }
        if let t = try cores("startupThreads") { cpu.startupThreads = t }
        if let t = try cores("instanceThreads") { cpu.instanceThreads = t }
        if let b = o.optional("startupBoost") {
            var bo = try ObjectReader(b, path: o.childPath("startupBoost"), file: file)
            let fNode = try bo.required("factor", expected: "how many times its CPU request and limit an instance gets while it starts (Cloud Run's boost: 2)")
            let factor = try v.number(fNode, bo.childPath("factor"), min: 1, max: 100)
            let after = try bo.optional("afterReady").map { try v.duration($0, bo.childPath("afterReady")) } ?? 0
            try bo.finish()
            cpu.startupBoost = StartupBoost(factor: factor, afterReady: after)
        }
        try o.finish()
        return cpu
    }
}
