// Decoding `workload` (generators, traces, training jobs, mixes) and `slo`.

extension ScenarioDecoder {
    // MARK: Workload

    func decodeWorkload(_ node: JSONNode, targetNames: [String], hardwareNames: [String]) throws -> (sources: [WorkloadSource], training: [TrainingJob]) {
        guard case let .array(items) = node.value else {
            throw v.error(node, "$.workload", "expected an array of workload sources, found \(node.value.kindDescription)")
        }
        guard !items.isEmpty else { throw v.error(node, "$.workload", "define at least one workload source") }
        let kinds = ["poisson", "bursts", "diurnal", "flash-crowd", "mmpp", "counts", "trace", "training"]
        var sources: [WorkloadSource] = [], training: [TrainingJob] = []
        for (k, item) in items.enumerated() {
            let path = "$.workload[\(k)]"
            var o = try ObjectReader(item, path: path, file: file)
            let kindNode = try o.required("kind", expected: kinds.joined(separator: ", "))
            let kind = try v.string(kindNode, o.childPath("kind"))
            if kind == "training" {
                training.append(try decodeTraining(&o, path: path, hardwareNames: hardwareNames))
                continue
            }
            var mix: [MixEntry] = []
            /// The source's target; synthetic sources may give a weighted `mix` instead.
            func target(required: Bool, allowsMix: Bool = true) throws -> TargetRef? {
                if allowsMix, let m = o.optional("mix") {
                    if let t = o.optional("target") {
                        throw v.error(t, o.childPath("target"), "a source has either a target or a mix, not both")
                    }
                    mix = try decodeMix(m, o.childPath("mix"), targetNames: targetNames)
                    return nil
                }
                guard let t = required ? try o.required("target", expected: "a model or pipeline name (or a mix)") : o.optional("target") else { return nil }
                let name = try v.string(t, o.childPath("target"))
                return TargetRef(index: try resolve(name, in: targetNames, node: t, path: o.childPath("target"), what: "target"))
            }
            func rate(_ key: String) throws -> Double {
                try v.number(try o.required(key, expected: "requests per second"), o.childPath(key), min: 0)
            }
            let workloadKind: WorkloadKind
            var targetRef: TargetRef?
            switch kind {
            case "poisson":
                targetRef = try target(required: true)
                workloadKind = .poisson(rate: try rate("rate"))
            case "bursts":
                targetRef = try target(required: true)
                let base = try rate("base"), peak = try rate("peak")
                let every = try v.duration(try o.required("every", expected: "the time between burst starts"), o.childPath("every"), positive: true)
                let lengthNode = try o.required("length", expected: "how long each burst lasts")
                let length = try v.duration(lengthNode, o.childPath("length"), positive: true)
                guard length <= every else { throw v.error(lengthNode, o.childPath("length"), "a burst cannot last longer than the time between bursts (every)") }
                let offset = try o.optional("offset").map { try v.duration($0, o.childPath("offset")) } ?? 0
                workloadKind = .bursts(base: base, peak: peak, every: every, length: length, offset: offset)
            case "diurnal":
                targetRef = try target(required: true)
                let mean = try rate("mean")
                let amplitude = try v.number(try o.required("amplitude", expected: "the swing around the mean, 0…1"), o.childPath("amplitude"), min: 0, max: 1)
                let period = try o.optional("period").map { try v.duration($0, o.childPath("period"), positive: true) } ?? 86400
                let peakAt = try o.optional("peakAt").map { try v.duration($0, o.childPath("peakAt")) } ?? 14 * 3600
                workloadKind = .diurnal(mean: mean, amplitude: amplitude, period: period, peakAt: peakAt)
            case "flash-crowd":
                targetRef = try target(required: true)
                let base = try rate("base"), peak = try rate("peak")
                let at = try v.duration(try o.required("at", expected: "when the crowd starts arriving"), o.childPath("at"))
                let rampUp = try o.optional("rampUp").map { try v.duration($0, o.childPath("rampUp")) } ?? 60
                let hold = try o.optional("hold").map { try v.duration($0, o.childPath("hold")) } ?? 0
                let decay = try o.optional("decay").map { try v.duration($0, o.childPath("decay"), positive: true) } ?? 600
                workloadKind = .flashCrowd(base: base, peak: peak, at: at, rampUp: rampUp, hold: hold, decay: decay)
            case "mmpp":
                targetRef = try target(required: true)
                let statesNode = try o.required("states", expected: "an array of {\"rate\": r, \"meanStay\": d}")
                guard case let .array(items) = statesNode.value, items.count >= 2 else {
                    throw v.error(statesNode, o.childPath("states"), "expected an array of at least two states")
                }
                let states = try items.enumerated().map { k, item -> MMPPState in
                    var so = try ObjectReader(item, path: o.childPath("states") + "[\(k)]", file: file)
                    let r = try v.number(try so.required("rate", expected: "requests per second in this state"), so.childPath("rate"), min: 0)
                    let stay = try v.duration(try so.required("meanStay", expected: "mean time in this state"), so.childPath("meanStay"), positive: true)
                    try so.finish()
                    return MMPPState(rate: r, meanStay: stay)
                }
                workloadKind = .mmpp(states: states)
            case "counts":
                targetRef = try target(required: true)
                let interval = try o.optional("interval").map { try v.duration($0, o.childPath("interval"), positive: true) } ?? 60
                let cNode = try o.required("counts", expected: "arrivals per interval, an array of whole numbers")
                guard case let .array(items) = cNode.value, !items.isEmpty else {
                    throw v.error(cNode, o.childPath("counts"), "expected a non-empty array of arrivals per interval, found \(cNode.value.kindDescription)")
                }
                // At most 10 million arrivals in one interval: the bound of the function-count
                // traces, whose even spacing this shares.
                let counts = try items.enumerated().map { k, item in
                    Int64(try v.integer(item, o.childPath("counts") + "[\(k)]", max: 10_000_000))
                }
                var spread = TraceSpec.Spread.uniform
                if let sp = o.optional("spread") {
                    let name = try v.string(sp, o.childPath("spread"))
                    guard let s = TraceSpec.Spread(rawValue: name) else {
                        throw v.error(sp, o.childPath("spread"), "unknown spread \"\(name)\"", suggestion: Suggest.hint(for: name, in: TraceSpec.Spread.allCases.map(\.rawValue)))
                    }
                    spread = s
                }
                workloadKind = .counts(CountsSpec(interval: interval, counts: counts, spread: spread))
            case "trace":
                let formatNode = try o.required("format", expected: TraceSpec.Format.allCases.map(\.rawValue).joined(separator: " or "))
                let formatName = try v.string(formatNode, o.childPath("format"))
                guard let format = TraceSpec.Format(rawValue: formatName) else {
                    throw v.error(formatNode, o.childPath("format"), "unknown trace format \"\(formatName)\"",
                                  suggestion: Suggest.hint(for: formatName, in: TraceSpec.Format.allCases.map(\.rawValue)))
                }
                let pathNode = try o.required("path", expected: "the trace file, relative to the scenario file")
                let tracePath = try v.string(pathNode, o.childPath("path"))
                let resolved = tracePath.hasPrefix("/") ? tracePath : (directory.isEmpty ? tracePath : directory + "/" + tracePath)
                targetRef = try target(required: format != .csv, allowsMix: false)
                var spec = TraceSpec(format: format, path: tracePath, resolvedPath: resolved)
                if let x = o.optional("speed") { spec.speed = try v.number(x, o.childPath("speed"), min: 0, exclusiveMin: true) }
                if let x = o.optional("offset") { spec.offset = try v.duration(x, o.childPath("offset")) }
                if let x = o.optional("loop") {
                    guard case let .bool(b) = x.value else { throw v.error(x, o.childPath("loop"), "expected true or false, found \(x.value.kindDescription)") }
                    spec.loop = b
                }
                if let f = o.optional("filter") {
                    let columns = ["target", "caller", "version"]
                    guard format == .csv else {
                        throw v.error(f, o.childPath("filter"), "the \(format.rawValue) format has no target, caller or version column to filter on")
                    }
                    for m in try namedMembers(f, o.childPath("filter"), what: "column filters") {
                        let p = ObjectReader.join(o.childPath("filter"), m.key)
                        guard columns.contains(m.key) else {
                            throw ScenarioError(file: file, line: m.line, column: m.column, path: p, message: "cannot filter on column \"\(m.key)\"",
                                                suggestion: Suggest.hint(for: m.key, in: columns, noun: "valid keys here are"))
                        }
                        var values: [String] = []
                        switch m.value.value {
                        case let .array(items): values = try items.enumerated().map { try v.string($1, "\(p)[\($0)]") }
                        default: values = [try v.string(m.value, p)]
                        }
                        if m.key == "target" {
                            for (k, name) in values.enumerated() where !targetNames.contains(name) {
                                throw v.error(m.value, values.count > 1 ? "\(p)[\(k)]" : p, "unknown target \"\(name)\"",
                                              suggestion: Suggest.hint(for: name, in: targetNames, noun: "targets are"))
                            }
                        }
                        spec.filter.append(TraceFilter(column: m.key, values: values))
                    }
                }
                let functionsOnly = "is for the azure-functions-2019 format only, not \(format.rawValue)"
                let functions2021Only = "is for the azure-functions-2021 format only, not \(format.rawValue)"
                if let w = o.optional("reorderWindow") {
                    guard format == .azureFunctions2021 else { throw v.error(w, o.childPath("reorderWindow"), "\"reorderWindow\" \(functions2021Only)") }
                    spec.reorderWindow = try v.duration(w, o.childPath("reorderWindow"), positive: true)
                }
                if let d = o.optional("durations") {
                    guard format == .azureFunctions2021 else { throw v.error(d, o.childPath("durations"), "\"durations\" \(functions2021Only)") }
                    let name = try v.string(d, o.childPath("durations"))
                    guard name == "service" || name == "ignore" else {
                        throw v.error(d, o.childPath("durations"), "unknown durations use \"\(name)\"", suggestion: Suggest.hint(for: name, in: ["service", "ignore"]))
                    }
                    spec.useDurations = name == "service"
                }
                if let f = o.optional("functions") {
                    guard format == .azureFunctions2019 || format == .azureFunctions2021 else {
                        throw v.error(f, o.childPath("functions"), "\"functions\" is for the azure-functions-2019 and azure-functions-2021 formats only, not \(format.rawValue)")
                    }
                    for m in try namedMembers(f, o.childPath("functions"), what: "targets by function or app hash") {
                        let p = ObjectReader.join(o.childPath("functions"), m.key)
                        spec.functionTargets.append(FunctionTarget(
                            hash: m.key, target: try resolve(try v.string(m.value, p), in: targetNames, node: m.value, path: p, what: "target")))
                    }
                }
                if let t = o.optional("top") {
                    guard format == .azureFunctions2019 else { throw v.error(t, o.childPath("top"), "\"top\" \(functionsOnly)") }
                    spec.top = try v.integer(t, o.childPath("top"), min: 1)
                }
                if let b = o.optional("hashBlockTokens") {
                    guard format == .mooncake else {
                        throw v.error(b, o.childPath("hashBlockTokens"), "\"hashBlockTokens\" is for the mooncake format only, not \(format.rawValue)")
                    }
                    spec.hashBlockTokens = try v.integer(b, o.childPath("hashBlockTokens"), min: 1, max: 1_048_576)
                }
                if let sp = o.optional("spread") {
                    guard format == .azureFunctions2019 else { throw v.error(sp, o.childPath("spread"), "\"spread\" \(functionsOnly)") }
                    let name = try v.string(sp, o.childPath("spread"))
                    guard let spread = TraceSpec.Spread(rawValue: name) else {
                        throw v.error(sp, o.childPath("spread"), "unknown spread \"\(name)\"", suggestion: Suggest.hint(for: name, in: TraceSpec.Spread.allCases.map(\.rawValue)))
                    }
                    spec.spread = spread
                }
                workloadKind = .trace(spec)
            default:
                throw v.error(kindNode, o.childPath("kind"), "unknown workload kind \"\(kind)\"", suggestion: Suggest.hint(for: kind, in: kinds))
            }
            let caller = try o.optional("caller").map { try v.string($0, o.childPath("caller")) }
            let version = try o.optional("version").map { n -> String in
                if case let .number(x) = n.value { return ValueReader.show(x) }
                return try v.string(n, o.childPath("version"))
            }
            let start = try o.optional("start").map { try v.duration($0, o.childPath("start")) } ?? 0
            let end = try o.optional("end").map { try v.duration($0, o.childPath("end")) }
            var inputTokens: DistributionSpec?, outputTokens: DistributionSpec?
            if let t = o.optional("tokens") {
                var to = try ObjectReader(t, path: o.childPath("tokens"), file: file)
                inputTokens = try v.distribution(try to.required("input", expected: "input tokens per request"), to.childPath("input"), of: .count)
                outputTokens = try v.distribution(try to.required("output", expected: "output tokens per request"), to.childPath("output"), of: .count)
                try to.finish()
            }
            var prompts: PromptSpec?
            // Synthetic sources only: a trace's prompts are its own (a mooncake trace's hash_ids).
            if kind != "trace", let p = o.optional("prompts") {
                prompts = try decodePrompts(p, path: o.childPath("prompts"), hasTokens: inputTokens != nil)
            }
            try o.finish()
            var source = WorkloadSource(kind: workloadKind, target: targetRef, caller: caller, version: version, start: start, end: end,
                                        inputTokens: inputTokens, outputTokens: outputTokens, jsonPath: path)
            source.mix = mix
            source.prompts = prompts
            sources.append(source)
        }
        return (sources, training)
    }

    /// A synthetic source's `prompts`: `{"systemPrompt": {"tokens", "variants"}, "conversation":
    /// {"turns", "thinkTime"}}`, each optional.
    func decodePrompts(_ node: JSONNode, path: String, hasTokens: Bool) throws -> PromptSpec {
        guard hasTokens else {
            throw v.error(node, path, "\"prompts\" needs the source's token counts: expected \"tokens\": {\"input\": …, \"output\": …} beside it",
                          suggestion: "add \"tokens\" (a turn's new message and its answer)")
        }
        var o = try ObjectReader(node, path: path, file: file)
        var spec = PromptSpec()
        if let s = o.optional("systemPrompt") {
            var so = try ObjectReader(s, path: o.childPath("systemPrompt"), file: file)
            spec.systemTokens = try v.integer(try so.required("tokens", expected: "the system prompt's tokens"), so.childPath("tokens"), min: 1, max: 10_000_000)
            spec.systemVariants = try so.optional("variants").map { try v.integer($0, so.childPath("variants"), min: 1, max: 1_000_000) } ?? 1
            try so.finish()
        }
        if let c = o.optional("conversation") {
            var co = try ObjectReader(c, path: o.childPath("conversation"), file: file)
            spec.turns = try v.distribution(try co.required("turns", expected: "turns per conversation (a number or a distribution)"), co.childPath("turns"), of: .count)
            spec.thinkTime = try co.optional("thinkTime").map { try v.distribution($0, co.childPath("thinkTime")) } ?? .constant(0)
            try co.finish()
        }
        try o.finish()
        return spec
    }

    /// A training job: `{"kind": "training", "name", "hardware", "nodes", "start", "duration",
    /// "priority"?, "every"?}`.
    func decodeTraining(_ o: inout ObjectReader, path: String, hardwareNames: [String]) throws -> TrainingJob {
        let name = try v.string(try o.required("name", expected: "the job's name"), o.childPath("name"))
        let h = try o.required("hardware", expected: "the node type the job runs on")
        let hardware = try resolve(try v.string(h, o.childPath("hardware")), in: hardwareNames, node: h, path: o.childPath("hardware"), what: "node type")
        let nodes = try v.integer(try o.required("nodes", expected: "whole nodes the job needs"), o.childPath("nodes"), min: 1, max: ValueReader.largestCount)
        let start = try o.optional("start").map { try v.duration($0, o.childPath("start")) } ?? 0
        let duration = try v.duration(try o.required("duration", expected: "how long the job runs once started"), o.childPath("duration"), positive: true)
        let priority = try o.optional("priority").map { try v.integer($0, o.childPath("priority"), min: -1_000_000) } ?? 1
        let every = try o.optional("every").map { try v.duration($0, o.childPath("every"), positive: true) }
        try o.finish()
        return TrainingJob(name: name, hardware: hardware, nodes: nodes, start: start, duration: duration,
                           priority: priority, every: every, jsonPath: path)
    }

    func decodeMix(_ node: JSONNode, _ path: String, targetNames: [String]) throws -> [MixEntry] {
        guard case let .array(items) = node.value, !items.isEmpty else {
            throw v.error(node, path, "expected a non-empty array of {\"target\": name, \"weight\": w}")
        }
        return try items.enumerated().map { k, item in
            var o = try ObjectReader(item, path: path + "[\(k)]", file: file)
            let t = try o.required("target", expected: "a model or pipeline name")
            let target = try resolve(try v.string(t, o.childPath("target")), in: targetNames, node: t, path: o.childPath("target"), what: "target")
            let weight = try v.number(try o.required("weight", expected: "a relative weight > 0"), o.childPath("weight"), min: 0, exclusiveMin: true)
            let caller = try o.optional("caller").map { try v.string($0, o.childPath("caller")) }
            let version = try o.optional("version").map { n -> String in
                if case let .number(x) = n.value { return ValueReader.show(x) }
                return try v.string(n, o.childPath("version"))
            }
            try o.finish()
            return MixEntry(target: TargetRef(index: target), weight: weight, caller: caller, version: version)
        }
    }

    // MARK: SLO

    func decodeSLO(_ node: JSONNode) throws -> SLO {
        var o = try ObjectReader(node, path: "$.slo", file: file)
        let latency = try o.optional("latency").map { try v.duration($0, "$.slo.latency", positive: true) }
        let percentile = try o.optional("percentile").map { try v.number($0, "$.slo.percentile", min: 0, exclusiveMin: true, max: 100) } ?? 99
        // Default timeout 300 s: Knative's revision-timeout-seconds (autoscalers.md §3.4).
        let timeout = try o.optional("timeout").map { try v.duration($0, "$.slo.timeout", positive: true) } ?? 300
        let ttft = try o.optional("ttft").map { try v.duration($0, "$.slo.ttft", positive: true) }
        let tpot = try o.optional("tpot").map { try v.duration($0, "$.slo.tpot", positive: true) }
        try o.finish()
        return SLO(latency: latency, percentile: percentile, timeout: timeout, ttft: ttft, tpot: tpot)
    }
}
