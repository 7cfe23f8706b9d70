import Foundation

/// Reads and checks scenario files.
public enum ScenarioLoader {
    /// Loads the scenario at `path` (as the user named it).
    public static func load(path: String) throws -> Scenario {
        try decode(try text(path: path), file: path, directory: (path as NSString).deletingLastPathComponent)
    }

    /// The scenario file's text, or an error saying why there is none.
    static func text(path: String) throws -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ScenarioError(file: path, message: "is a folder, expected a scenario file (.json)")
        }
        // Read with the system's calls, so a pipe (`<(…)`, /dev/stdin) works and a failure
        // says why.
        let data: [UInt8]
        switch FileSystem.readWhole(path) {
        case let .success(bytes): data = bytes
        case let .failure(e):
            throw ScenarioError(file: path, message: e.code == ENOENT ? "no such file" : "cannot be read (\(e.reason))",
                                suggestion: e.code == ENOENT ? "bundled scenarios are in Scenarios/, e.g. Scenarios/quickstart.json" : nil)
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ScenarioError(file: path, message: "is not UTF-8 text, expected a JSON scenario file")
        }
        return text
    }

    /// Decodes scenario text. `directory` resolves relative paths inside it.
    public static func decode(_ text: String, file: String, directory: String = ".") throws -> Scenario {
        try decode(root: try JSONReader.parse(text, file: file), file: file, directory: directory)
    }

    /// Decodes an already parsed (possibly edited) JSON document.
    public static func decode(root: JSONNode, file: String, directory: String = ".") throws -> Scenario {
        var decoder = ScenarioDecoder(file: file, directory: directory)
        return try decoder.decode(root)
    }

    /// Reads a scenario file's JSON without decoding it.
    public static func read(path: String) throws -> (root: JSONNode, directory: String) {
        (try JSONReader.parse(try text(path: path), file: path), (path as NSString).deletingLastPathComponent)
    }
}

struct ScenarioDecoder {
    let file: String
    let directory: String
    let v: ValueReader

    init(file: String, directory: String) {
        self.file = file
        self.directory = directory
        v = ValueReader(file: file)
    }

    /// Reads an object whose keys are names, in file order.
    func namedMembers(_ node: JSONNode, _ path: String, what: String) throws -> [JSONMember] {
        guard case let .object(members) = node.value else {
            throw v.error(node, path, "expected an object of \(what) by name, found \(node.value.kindDescription)")
        }
        // A name is how reports, gates and errors refer to it: an empty one would be invisible.
        if let blank = members.first(where: { $0.key.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ScenarioError(file: file, line: blank.line, column: blank.column, path: path,
                                message: "expected a name for each of the \(what), found \(blank.key.isEmpty ? "an empty one" : "one of only spaces")")
        }
        return members
    }

    func resolve(_ name: String, in names: [String], node: JSONNode, path: String, what: String) throws -> Int {
        if let i = names.firstIndex(of: name) { return i }
        throw v.error(node, path, "unknown \(what) \"\(name)\"", suggestion: Suggest.hint(for: name, in: names, noun: "the \(what)s defined are"))
    }

    mutating func decode(_ root: JSONNode) throws -> Scenario {
        var o = try ObjectReader(root, path: "$", file: file, what: "a scenario object")
        o.allowsDollarKeys = true
        let nameNode = try o.required("name", expected: "the scenario's name")
        let name = try v.string(nameNode, "$.name")
        // The name names the default report folder (Reports/<name>): an empty one would be Reports/ itself.
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw v.error(nameNode, "$.name", "expected a scenario name, found an empty one") }
        let description = try o.optional("description").map { try v.string($0, "$.description") }
        let seed = try o.optional("seed").map { UInt64(try v.integer($0, "$.seed")) } ?? 1
        let duration = try v.duration(try o.required("duration", expected: "how long arrivals run, e.g. \"1h\""), "$.duration", positive: true)

        let hardware = try decodeHardware(try o.required("hardware", expected: "the node types by name"))
        let hardwareNames = hardware.map(\.name)
        var rollouts: [RolloutSpec] = []
        var models = try decodeModels(try o.required("models", expected: "the models by name"), hardware: hardware, rollouts: &rollouts)
        let modelNames = models.map(\.name)
        let pipelines = try o.optional("pipelines").map { try decodePipelines($0, modelNames: modelNames) } ?? []
        for p in pipelines where modelNames.contains(p.name) {
            throw ScenarioError(file: file, path: "$.pipelines.\(p.name)", message: "pipeline \"\(p.name)\" has the name of a model; target names must be unique")
        }
        let targetNames = modelNames + pipelines.map(\.name)
        let (workload, training) = try decodeWorkload(try o.required("workload", expected: "an array of workload sources"),
                                                      targetNames: targetNames, hardwareNames: hardwareNames)
        let slo = try o.optional("slo").map { try decodeSLO($0) } ?? SLO(latency: nil, percentile: 99, timeout: 300)
        let plans = try decodePlans(try o.required("plans", expected: "the plans to compare, by name"),
                                    hardwareNames: hardwareNames, modelNames: modelNames)
        var callerQuotas: [CallerQuota] = []
        if let c = o.optional("callers") {
            for m in try namedMembers(c, "$.callers", what: "callers") {
                let p = ObjectReader.join("$.callers", m.key)
                var co = try ObjectReader(m.value, path: p, file: file)
                let limit = try v.integer(try co.required("maxConcurrent", expected: "requests this caller may have in flight at once"), co.childPath("maxConcurrent"), min: 1)
                try co.finish()
                callerQuotas.append(CallerQuota(caller: m.key, maxConcurrent: limit))
            }
        }
        let expectations = try o.optional("expect").map { try decodeExpect($0, planNames: plans.map(\.name), targetNames: targetNames, slo: slo,
                                                                        hasEngine: models.contains { $0.engine != nil }) } ?? []
        try o.finish()

        for i in models.indices where models[i].queueLimit < 0 { models[i].queueLimit = 0 }
        var scenario = Scenario(name: name, description: description, seed: seed, duration: duration, hardware: hardware,
                                models: models, pipelines: pipelines, workload: workload, slo: slo, plans: plans,
                                expectations: expectations, file: file)
        scenario.callerQuotas = callerQuotas
        scenario.training = training
        scenario.rollouts = rollouts
        try check(&scenario, root: root)
        return scenario
    }

    // MARK: Hardware

    func decodeHardware(_ node: JSONNode) throws -> [HardwareType] {
        let members = try namedMembers(node, "$.hardware", what: "node types")
        guard !members.isEmpty else { throw v.error(node, "$.hardware", "define at least one node type") }
        return try members.map { m in
            let path = ObjectReader.join("$.hardware", m.key)
            var o = try ObjectReader(m.value, path: path, file: file)
            let vcpus = try v.number(try o.required("vcpus", expected: "virtual CPUs"), o.childPath("vcpus"), min: 0, exclusiveMin: true, max: Bounds.vcpus)
            let memory = try v.number(try o.required("memoryGiB", expected: "memory in GiB"), o.childPath("memoryGiB"), min: 0, exclusiveMin: true, max: Bounds.memoryGiB)
            let gpus = try o.optional("gpus").map { try v.integer($0, o.childPath("gpus"), max: Bounds.gpus) } ?? 0
            // At most $1,000,000 an hour: beyond any machine sold, and costs stay exact in a Double.
            let price = try v.number(try o.required("pricePerHour", expected: "USD per node-hour"), o.childPath("pricePerHour"), min: 0, max: 1e6)
            // Default boot: EC2 request→Ready 60–120 s (autoscalers.md §2.3, a modelling assumption).
            let boot = try o.optional("boot").map { try v.distribution($0, o.childPath("boot")) } ?? .constant(90)
            var billing = Billing.ec2Linux
            if let b = o.optional("billing") {
                var bo = try ObjectReader(b, path: o.childPath("billing"), file: file)
                if let inc = bo.optional("increment") { billing.increment = try v.duration(inc, bo.childPath("increment"), positive: true) }
                if let min = bo.optional("minimum") { billing.minimum = try v.duration(min, bo.childPath("minimum")) }
                try bo.finish()
            }
            let pullMBps = try o.optional("pullMBps").map { try v.number($0, o.childPath("pullMBps"), min: 0, exclusiveMin: true) }
            let loadGBps = try o.optional("loadGBps").map { try v.number($0, o.childPath("loadGBps"), min: 0, exclusiveMin: true) }
            var stockoutProbability = 0.0
            var stockoutWindows: [ClosedRange<Double>] = []
            if let so = o.optional("stockout") {
                var sr = try ObjectReader(so, path: o.childPath("stockout"), file: file)
                stockoutProbability = try sr.optional("probability").map { try v.number($0, sr.childPath("probability"), min: 0, max: 1) } ?? 0
                if let w = sr.optional("windows") {
                    guard case let .array(items) = w.value else { throw v.error(w, sr.childPath("windows"), "expected an array of {\"from\": time, \"to\": time}") }
                    stockoutWindows = try items.enumerated().map { k, item in
                        var wo = try ObjectReader(item, path: sr.childPath("windows") + "[\(k)]", file: file)
                        let from = try v.duration(try wo.required("from", expected: "when the stock-out begins"), wo.childPath("from"))
                        let toNode = try wo.required("to", expected: "when it ends")
                        let to = try v.duration(toNode, wo.childPath("to"))
                        guard to >= from else { throw v.error(toNode, wo.childPath("to"), "the window ends before it begins: expected \"to\" at or after \"from\" (\(ValueReader.show(from)) s), found \(ValueReader.show(to)) s") }
                        try wo.finish()
                        return from...to
                    }
                }
                try sr.finish()
            }
            let spot = try o.optional("spot").map { try decodeSpot($0, path: o.childPath("spot")) }
            try o.finish()
            var type = HardwareType(name: m.key, vcpus: vcpus, memoryGiB: memory, gpus: gpus, pricePerHour: price, boot: boot, billing: billing)
            type.pullMBps = pullMBps
            type.loadGBps = loadGBps
            type.stockoutProbability = stockoutProbability
            type.stockoutWindows = stockoutWindows
            type.spot = spot
            return type
        }
    }

    func decodeSpot(_ node: JSONNode, path: String) throws -> SpotSpec {
        var o = try ObjectReader(node, path: path, file: file)
        var spot = SpotSpec()
        if let r = o.optional("interruptionsPerHour") { spot.interruptionsPerHour = try v.number(r, o.childPath("interruptionsPerHour"), min: 0) }
        if let n = o.optional("notice") { spot.notice = try v.duration(n, o.childPath("notice")) }
        if let w = o.optional("waves") {
            guard case let .array(items) = w.value else {
                throw v.error(w, o.childPath("waves"), "expected an array of times (\"6h\") at which every spot node of this type is reclaimed")
            }
            spot.waves = try items.enumerated().map { k, item in try v.duration(item, o.childPath("waves") + "[\(k)]") }.sorted()
        }
        if let i = o.optional("interrupted") {
            let value = try v.string(i, o.childPath("interrupted"))
            switch value {
            case "retry": spot.retryInterrupted = true
            case "fail": spot.retryInterrupted = false
            default: throw v.error(i, o.childPath("interrupted"), "unknown value \"\(value)\"; expected \"retry\" or \"fail\"")
            }
        }
        try o.finish()
        guard spot.interruptionsPerHour > 0 || !spot.waves.isEmpty else {
            throw v.error(node, path, "a spot node type needs \"interruptionsPerHour\" > 0 or \"waves\"; without either it is never reclaimed (remove \"spot\" for on-demand nodes)")
        }
        return spot
    }

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

            let engine = try o.optional("engine").map { try decodeEngine($0, path: o.childPath("engine")) }
            // An engine model's time comes from its iterations: a service time is optional.
            let sNode = engine == nil ? try o.required("service", expected: "the service time, or service times by node type (or an \"engine\" for an LLM)")
                                      : o.optional("service")
            let sPath = o.childPath("service")
            var (service, serverlessService, keyed) = ([DistributionSpec?](repeating: nil, count: hardware.count), DistributionSpec?.none, [Int]())
            if let sNode { (service, serverlessService, keyed) = try decodeService(sNode, sPath, hardware: hardware) }

            var runsOn: [Int]
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
            base.weightsGB = try o.optional("weightsGB").map { try v.number($0, o.childPath("weightsGB"), min: 0) }
            base.warmup = try o.optional("warmup").map { try v.distribution($0, o.childPath("warmup")) } ?? .constant(0)
            base.worker = try o.optional("worker").map { try decodeWorker($0, path: o.childPath("worker")) }
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

    // MARK: Workload

    func decodeWorkload(_ node: JSONNode, targetNames: [String], hardwareNames: [String]) throws -> (sources: [WorkloadSource], training: [TrainingJob]) {
        guard case let .array(items) = node.value else {
            throw v.error(node, "$.workload", "expected an array of workload sources, found \(node.value.kindDescription)")
        }
        guard !items.isEmpty else { throw v.error(node, "$.workload", "define at least one workload source") }
        let kinds = ["poisson", "bursts", "diurnal", "flash-crowd", "mmpp", "trace", "training"]
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
            try o.finish()
            var source = WorkloadSource(kind: workloadKind, target: targetRef, caller: caller, version: version, start: start, end: end,
                                        inputTokens: inputTokens, outputTokens: outputTokens, jsonPath: path)
            source.mix = mix
            sources.append(source)
        }
        return (sources, training)
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

    // MARK: Plans

    func nodeRanges(_ node: JSONNode, _ path: String, hardwareNames: [String]) throws -> [NodeRange] {
        let members = try namedMembers(node, path, what: "node pools ({\"min\": m, \"max\": n})")
        guard !members.isEmpty else { throw v.error(node, path, "define at least one node pool") }
        return try members.map { m in
            let p = ObjectReader.join(path, m.key)
            let h = try resolve(m.key, in: hardwareNames, node: m.value, path: p, what: "node type")
            var o = try ObjectReader(m.value, path: p, file: file, what: "an object {\"min\": m, \"max\": n}")
            let min = try o.optional("min").map { try v.integer($0, o.childPath("min"), max: ValueReader.largestCount) } ?? 0
            let maxNode = try o.required("max", expected: "the most nodes of this type")
            let max = try v.integer(maxNode, o.childPath("max"), min: 1, max: ValueReader.largestCount)
            guard max >= min else { throw v.error(maxNode, o.childPath("max"), "expected max ≥ min (\(min)), found \(max)") }
            try o.finish()
            return NodeRange(hardware: h, min: min, max: max)
        }
    }

    func decodePlans(_ node: JSONNode, hardwareNames: [String], modelNames: [String]) throws -> [Plan] {
        let members = try namedMembers(node, "$.plans", what: "plans")
        guard !members.isEmpty else { throw v.error(node, "$.plans", "define at least one plan") }
        let families = ["traditional", "elastic", "serverless"]
        return try members.map { m in
            let path = ObjectReader.join("$.plans", m.key)
            var o = try ObjectReader(m.value, path: path, file: file)
            let pNode = try o.required("policy", expected: families.joined(separator: ", "))
            let family = try v.string(pNode, o.childPath("policy"))
            var policy: PlanPolicy
            switch family {
            case "traditional":
                let nNode = try o.required("nodes", expected: "node counts by type, e.g. {\"gpu.t4\": 10}")
                var nodes = [Int](repeating: 0, count: hardwareNames.count)
                for nm in try namedMembers(nNode, o.childPath("nodes"), what: "node counts") {
                    let p = ObjectReader.join(o.childPath("nodes"), nm.key)
                    nodes[try resolve(nm.key, in: hardwareNames, node: nm.value, path: p, what: "node type")] = try v.integer(nm.value, p, max: ValueReader.largestCount)
                }
                var instances = [Int?](repeating: nil, count: modelNames.count)
                if let iNode = o.optional("instances") {
                    for im in try namedMembers(iNode, o.childPath("instances"), what: "instance counts") {
                        let p = ObjectReader.join(o.childPath("instances"), im.key)
                        instances[try resolve(im.key, in: modelNames, node: im.value, path: p, what: "model")] = try v.integer(im.value, p, max: ValueReader.largestCount)
                    }
                }
                policy = .traditional(nodes: nodes, instances: instances)
            case "elastic":
                let scalers = ["target-tracking", "step", "simple"]
                let scaler = try o.optional("scaler").map { s -> String in
                    let name = try v.string(s, o.childPath("scaler"))
                    guard scalers.contains(name) else {
                        throw v.error(s, o.childPath("scaler"), "unknown scaler \"\(name)\"", suggestion: Suggest.hint(for: name, in: scalers))
                    }
                    return name
                } ?? "target-tracking"
                let metrics = ["utilisation", "concurrency", "queue-length"]
                let metricNode = o.optional("metric")
                let metric = try metricNode.map { try v.string($0, o.childPath("metric")) } ?? "utilisation"
                guard metrics.contains(metric) else {
                    throw v.error(metricNode!, o.childPath("metric"), "unknown metric \"\(metric)\"", suggestion: Suggest.hint(for: metric, in: metrics))
                }
                // Default target 0.8: the HPA's default CPU AverageUtilization of 80 %
                // (autoscalers.md §1.5; value marked unconfirmed there). For the AverageValue
                // metrics the target is a count per instance and has no default.
                let target: Double
                if metric == "utilisation" {
                    target = try o.optional("target").map { try v.number($0, o.childPath("target"), min: 0, exclusiveMin: true, max: 1) } ?? 0.8
                } else {
                    target = try v.number(try o.required("target", expected: metric == "concurrency" ? "requests in service per instance" : "requests waiting per instance"),
                                          o.childPath("target"), min: 0, exclusiveMin: true)
                }
                var behavior: BehaviorSpec?
                var step: StepSpec?
                if scaler == "step" || scaler == "simple" {
                    step = try decodeStep(&o, simple: scaler == "simple")
                } else if let bNode = o.optional("behavior") {
                    behavior = try decodeBehavior(bNode, path: o.childPath("behavior"))
                }
                let nodes = try nodeRanges(try o.required("nodes", expected: "node pools by type, {\"min\": m, \"max\": n}"),
                                           o.childPath("nodes"), hardwareNames: hardwareNames)
                var instances: [InstanceRange] = []
                if let iNode = o.optional("instances") {
                    for im in try namedMembers(iNode, o.childPath("instances"), what: "instance ranges") {
                        let p = ObjectReader.join(o.childPath("instances"), im.key)
                        let model = try resolve(im.key, in: modelNames, node: im.value, path: p, what: "model")
                        var io = try ObjectReader(im.value, path: p, file: file, what: "an object {\"min\": m, \"max\": n}")
                        let min = try io.optional("min").map { try v.integer($0, io.childPath("min"), min: 1, max: ValueReader.largestCount) } ?? 1
                        let max = try io.optional("max").map { try v.integer($0, io.childPath("max"), min: 1, max: ValueReader.largestCount) } ?? 1000
                        guard max >= min else { throw v.error(im.value, p, "expected max ≥ min (\(min)), found max \(max)") }
                        try io.finish()
                        instances.append(InstanceRange(model: model, min: min, max: max))
                    }
                }
                policy = .elastic(ElasticPlan(
                    scaler: scaler, target: target, nodes: nodes, instances: instances,
                    tolerance: try o.optional("tolerance").map { try v.number($0, o.childPath("tolerance"), min: 0, max: 1) },
                    syncPeriod: try o.optional("syncPeriod").map { try v.duration($0, o.childPath("syncPeriod"), positive: true) },
                    downscaleStabilization: try o.optional("downscaleStabilization").map { try v.duration($0, o.childPath("downscaleStabilization")) },
                    nodeScanInterval: try o.optional("nodeScanInterval").map { try v.duration($0, o.childPath("nodeScanInterval"), positive: true) },
                    nodeUnneededTime: try o.optional("nodeUnneededTime").map { try v.duration($0, o.childPath("nodeUnneededTime")) },
                    scaleDownDelayAfterAdd: try o.optional("scaleDownDelayAfterAdd").map { try v.duration($0, o.childPath("scaleDownDelayAfterAdd")) },
                    metric: metric, behavior: behavior, step: step))
            case "serverless":
                let hostingNames = ServerlessPlan.Hosting.allCases.map(\.rawValue)
                let hostingNode = try o.required("hosting", expected: "\"provider\" (Lambda-like) or \"self\" (on the plan's own nodes)")
                let hostingName = try v.string(hostingNode, o.childPath("hosting"))
                guard let hosting = ServerlessPlan.Hosting(rawValue: hostingName) else {
                    throw v.error(hostingNode, o.childPath("hosting"), "unknown hosting \"\(hostingName)\"", suggestion: Suggest.hint(for: hostingName, in: hostingNames))
                }
                let keepAlive = try o.optional("keepAlive").map { try v.duration($0, o.childPath("keepAlive")) } ?? 600
                var nodes: [NodeRange] = []
                if hosting == .self {
                    nodes = try nodeRanges(try o.required("nodes", expected: "node pools for self-hosting, {\"min\": m, \"max\": n}"),
                                           o.childPath("nodes"), hardwareNames: hardwareNames)
                } else if o.has("nodes"), let n = o.optional("nodes") {
                    throw v.error(n, o.childPath("nodes"), "provider-hosted serverless runs on the provider's capacity, not on nodes",
                                  suggestion: "use \"hosting\": \"self\" to run on your own node pools")
                }
                let limit = try o.optional("concurrencyLimit").map { try v.integer($0, o.childPath("concurrencyLimit")) } ?? (hosting == .provider ? 1000 : 0)
                var pricing = ProviderPricing.lambda
                if hosting == .provider, let pr = o.optional("pricing") {
                    var po = try ObjectReader(pr, path: o.childPath("pricing"), file: file)
                    if let x = po.optional("perGBSecond") { pricing.perGBSecond = try v.number(x, po.childPath("perGBSecond"), min: 0) }
                    if let x = po.optional("perRequest") { pricing.perRequest = try v.number(x, po.childPath("perRequest"), min: 0) }
                    if let x = po.optional("perGPUSecond") { pricing.perGPUSecond = try v.number(x, po.childPath("perGPUSecond"), min: 0) }
                    if let x = po.optional("granularity") { pricing.granularity = try v.duration(x, po.childPath("granularity"), positive: true) }
                    if let x = po.optional("provisionedPerGBSecond") { pricing.provisionedPerGBSecond = try v.number(x, po.childPath("provisionedPerGBSecond"), min: 0) }
                    if let x = po.optional("provisionedDurationPerGBSecond") {
                        pricing.provisionedDurationPerGBSecond = try v.number(x, po.childPath("provisionedDurationPerGBSecond"), min: 0)
                    }
                    try po.finish()
                }
                // The node layer's knobs exist only with nodes of one's own.
                let selfHosted = hosting == .self
                var kpa: KPASettings?
                if let sc = o.optional("scaler") {
                    let name = try v.string(sc, o.childPath("scaler"))
                    guard ["keep-alive", "kpa"].contains(name) else {
                        throw v.error(sc, o.childPath("scaler"), "unknown serverless scaler \"\(name)\"", suggestion: Suggest.hint(for: name, in: ["keep-alive", "kpa"]))
                    }
                    if name == "kpa" {
                        guard selfHosted else {
                            throw v.error(sc, o.childPath("scaler"), "the Knative Pod Autoscaler needs nodes of one's own, not provider hosting", suggestion: "use \"hosting\": \"self\"")
                        }
                        kpa = KPASettings()
                    }
                }
                if selfHosted, let k = o.optional("kpa") {
                    guard kpa != nil else { throw v.error(k, o.childPath("kpa"), "\"kpa\" settings need \"scaler\": \"kpa\"") }
                    var ko = try ObjectReader(k, path: o.childPath("kpa"), file: file)
                    if let x = ko.optional("targetUtilisation") { kpa!.targetUtilisation = try v.number(x, ko.childPath("targetUtilisation"), min: 0, exclusiveMin: true, max: 1) }
                    if let x = ko.optional("stableWindow") {
                        let w = try v.duration(x, ko.childPath("stableWindow"))
                        guard w >= 6, w <= 3600, w == w.rounded() else {
                            throw v.error(x, ko.childPath("stableWindow"), "expected a stable window of whole seconds from 6 s to 1 h (Knative's limits), found \(ValueReader.show(w)) s")
                        }
                        kpa!.stableWindow = w
                    }
                    if let x = ko.optional("panicWindowPercentage") { kpa!.panicWindowPercentage = try v.number(x, ko.childPath("panicWindowPercentage"), min: 1, max: 100) }
                    if let x = ko.optional("panicThreshold") { kpa!.panicThreshold = try v.number(x, ko.childPath("panicThreshold"), min: 1) }
                    if let x = ko.optional("maxScaleUpRate") { kpa!.maxScaleUpRate = try v.number(x, ko.childPath("maxScaleUpRate"), min: 1, exclusiveMin: true, max: 1e6) }
                    if let x = ko.optional("maxScaleDownRate") { kpa!.maxScaleDownRate = try v.number(x, ko.childPath("maxScaleDownRate"), min: 1, exclusiveMin: true, max: 1e6) }
                    if let x = ko.optional("scaleToZeroGrace") { kpa!.scaleToZeroGrace = try v.duration(x, ko.childPath("scaleToZeroGrace"), positive: true) }
                    try ko.finish()
                }
                // Lambda's per-function scaling rate since Nov 2023: 1,000 new environments per
                // 10 s (autoscalers.md §4.2); self-hosted scaling has no such token bucket.
                let scaleRate = try o.optional("scaleRate").map { try v.integer($0, o.childPath("scaleRate")) } ?? (hosting == .provider ? 1000 : 0)
                var provisioned = [Int](repeating: 0, count: modelNames.count)
                if hosting == .provider, let pc = o.optional("provisionedConcurrency") {
                    for m in try namedMembers(pc, o.childPath("provisionedConcurrency"), what: "environments by model") {
                        let p = ObjectReader.join(o.childPath("provisionedConcurrency"), m.key)
                        let k = try resolve(m.key, in: modelNames, node: m.value, path: p, what: "model")
                        provisioned[k] = try v.integer(m.value, p, max: ValueReader.largestCount)
                    }
                }
                var hybrid = false
                if let kp = o.optional("keepAlivePolicy") {
                    let name = try v.string(kp, o.childPath("keepAlivePolicy"))
                    guard ["fixed", "hybrid-histogram"].contains(name) else {
                        throw v.error(kp, o.childPath("keepAlivePolicy"), "unknown keep-alive policy \"\(name)\"",
                                      suggestion: Suggest.hint(for: name, in: ["fixed", "hybrid-histogram"]))
                    }
                    if name == "hybrid-histogram" && kpa != nil {
                        throw v.error(kp, o.childPath("keepAlivePolicy"), "the Knative Pod Autoscaler decides scale-down itself, so a keep-alive policy cannot apply: expected no keepAlivePolicy with \"scaler\": \"kpa\"")
                    }
                    hybrid = name == "hybrid-histogram"
                }
                policy = .serverless(ServerlessPlan(
                    hosting: hosting, keepAlive: keepAlive, nodes: nodes, concurrencyLimit: limit, pricing: pricing,
                    nodeScanInterval: selfHosted ? try o.optional("nodeScanInterval").map { try v.duration($0, o.childPath("nodeScanInterval"), positive: true) } : nil,
                    nodeUnneededTime: selfHosted ? try o.optional("nodeUnneededTime").map { try v.duration($0, o.childPath("nodeUnneededTime")) } : nil,
                    scaleDownDelayAfterAdd: selfHosted ? try o.optional("scaleDownDelayAfterAdd").map { try v.duration($0, o.childPath("scaleDownDelayAfterAdd")) } : nil,
                    kpa: kpa, hybridKeepAlive: hybrid, scaleRatePer10s: scaleRate, provisioned: provisioned))
            default:
                throw v.error(pNode, o.childPath("policy"), "unknown policy \"\(family)\"", suggestion: Suggest.hint(for: family, in: families))
            }
            var commitments: [Commitment] = []
            var providerHosted = false
            if case let .serverless(sv) = policy, sv.hosting == .provider { providerHosted = true }
            // Provider hosting has no nodes to commit to (provisionedConcurrency is its reserve).
            if !providerHosted, let c = o.optional("commitments") {
                for cm in try namedMembers(c, o.childPath("commitments"), what: "commitments by node type") {
                    let p = ObjectReader.join(o.childPath("commitments"), cm.key)
                    let h = try resolve(cm.key, in: hardwareNames, node: cm.value, path: p, what: "node type")
                    var co = try ObjectReader(cm.value, path: p, file: file)
                    let n = try v.integer(try co.required("nodes", expected: "nodes committed for the whole run"), co.childPath("nodes"), min: 1, max: ValueReader.largestCount)
                    let price = try v.number(try co.required("pricePerHour", expected: "USD per committed node-hour"), co.childPath("pricePerHour"), min: 0, max: 1e6)
                    try co.finish()
                    commitments.append(Commitment(hardware: h, nodes: n, pricePerHour: price))
                }
            }
            // Only plans that add nodes can run into an account quota.
            func quota() throws -> NodeQuota {
                var quota = NodeQuota()
                guard let q = o.optional("quota") else { return quota }
                var qo = try ObjectReader(q, path: o.childPath("quota"), file: file)
                quota.vcpus = try qo.optional("vcpus").map { try v.integer($0, qo.childPath("vcpus"), min: 1, max: Int(Bounds.vcpus) * 1_000_000) } ?? 0
                quota.gpus = try qo.optional("gpus").map { try v.integer($0, qo.childPath("gpus"), min: 1, max: Bounds.gpus * 1_000_000) } ?? 0
                try qo.finish()
                return quota
            }
            switch policy {
            case var .elastic(e):
                e.quota = try quota()
                policy = .elastic(e)
            case var .serverless(sv) where sv.hosting == .self:
                sv.quota = try quota()
                policy = .serverless(sv)
            default: break
            }
            try o.finish()
            var plan = Plan(name: m.key, policy: policy, jsonPath: path)
            plan.commitments = commitments
            return plan
        }
    }

    /// Step scaling's keys of an elastic plan: `period`, `warmup`, `scaleOut`, `scaleIn`; for
    /// simple scaling `period`, `cooldown` (default 300 s, EC2 Auto Scaling's `DefaultCooldown`,
    /// autoscalers.md §6.1) and alarms with one adjustment each, no steps.
    func decodeStep(_ o: inout ObjectReader, simple: Bool) throws -> StepSpec {
        var spec = StepSpec()
        if let x = o.optional("period") { spec.period = try v.duration(x, o.childPath("period"), positive: true) }
        if simple {
            spec.cooldown = try o.optional("cooldown").map { try v.duration($0, o.childPath("cooldown")) } ?? 300
        } else if let x = o.optional("warmup") {
            spec.warmup = try v.duration(x, o.childPath("warmup"))
        }
        /// The one adjustment of a step (or of a simple-scaling alarm): its kind and value.
        func adjustment(_ r: inout ObjectReader, _ node: JSONNode, message: String, suggestion: String) throws -> (String, Double) {
            let given = ["change", "percent", "exact"].compactMap { key in r.optional(key).map { (key, $0) } }
            guard given.count == 1 else { throw v.error(node, r.path, message + ", found \(given.isEmpty ? "none" : given.map { "\"\($0.0)\"" }.joined(separator: " and "))", suggestion: suggestion) }
            // Instance counts and percentages of them: a million either way (largestCount).
            let bound = Double(ValueReader.largestCount)
            return (given[0].0, try v.number(given[0].1, r.childPath(given[0].0), min: -bound, max: bound))
        }
        func alarm(_ key: String) throws -> StepSpec.Alarm? {
            guard let n = o.optional(key) else { return nil }
            var a = try ObjectReader(n, path: o.childPath(key), file: file)
            let threshold = try v.number(try a.required("threshold", expected: "the alarm's threshold on the metric"), a.childPath("threshold"), min: 0)
            let periods = try a.optional("evaluationPeriods").map { try v.integer($0, a.childPath("evaluationPeriods"), min: 1) } ?? 1
            if simple {
                let (kind, value) = try adjustment(&a, n, message: "a simple-scaling alarm needs exactly one adjustment of \"change\", \"percent\" or \"exact\"",
                                                   suggestion: "e.g. {\"threshold\": 0.7, \"change\": 2}; steps need \"scaler\": \"step\"")
                try a.finish()
                return StepSpec.Alarm(threshold: threshold, evaluationPeriods: periods,
                                      steps: [StepSpec.Step(lower: nil, upper: nil, kind: kind, value: value)])
            }
            let sNode = try a.required("steps", expected: "the steps: [{\"lower\", \"upper\", \"change\" | \"percent\" | \"exact\"}]")
            guard case let .array(items) = sNode.value, !items.isEmpty else {
                throw v.error(sNode, a.childPath("steps"), "expected a non-empty array of steps")
            }
            let steps = try items.enumerated().map { k, item -> StepSpec.Step in
                var so = try ObjectReader(item, path: a.childPath("steps") + "[\(k)]", file: file)
                let lower = try so.optional("lower").map { try v.number($0, so.childPath("lower")) }
                let upper = try so.optional("upper").map { try v.number($0, so.childPath("upper")) }
                let (kind, value) = try adjustment(&so, item, message: "a step needs exactly one of \"change\", \"percent\" or \"exact\"",
                                                   suggestion: "e.g. {\"lower\": 0, \"change\": 2}")
                try so.finish()
                return StepSpec.Step(lower: lower, upper: upper, kind: kind, value: value)
            }
            try a.finish()
            return StepSpec.Alarm(threshold: threshold, evaluationPeriods: periods, steps: steps)
        }
        spec.scaleOut = try alarm("scaleOut")
        spec.scaleIn = try alarm("scaleIn")
        guard spec.scaleOut != nil || spec.scaleIn != nil else {
            throw ScenarioError(file: file, path: o.path, message: "a \(simple ? "simple" : "step")-scaling plan needs a scaleOut or a scaleIn alarm",
                                suggestion: simple ? "add \"scaleOut\": {\"threshold\": 0.7, \"change\": 1}"
                                    : "add \"scaleOut\": {\"threshold\": 0.7, \"steps\": [{\"lower\": 0, \"change\": 1}]}")
        }
        return spec
    }

    /// `behavior`: `{"scaleUp": rules, "scaleDown": rules}`, each `{"stabilizationWindow": d,
    /// "selectPolicy": "Max"|"Min"|"Disabled", "policies": [{"type": "Pods"|"Percent",
    /// "value": n, "period": d}]}`; what is left out keeps the API server's default.
    func decodeBehavior(_ node: JSONNode, path: String) throws -> BehaviorSpec {
        var o = try ObjectReader(node, path: path, file: file)
        var spec = BehaviorSpec()
        func rules(_ key: String) throws -> BehaviorSpec.Rules? {
            guard let n = o.optional(key) else { return nil }
            var r = try ObjectReader(n, path: o.childPath(key), file: file)
            var out = BehaviorSpec.Rules()
            out.stabilizationWindow = try r.optional("stabilizationWindow").map { try v.duration($0, r.childPath("stabilizationWindow")) }
            if let s = r.optional("selectPolicy") {
                let name = try v.string(s, r.childPath("selectPolicy"))
                guard ["Max", "Min", "Disabled"].contains(name) else {
                    throw v.error(s, r.childPath("selectPolicy"), "unknown selectPolicy \"\(name)\"", suggestion: Suggest.hint(for: name, in: ["Max", "Min", "Disabled"]))
                }
                out.selectPolicy = name
            }
            if let ps = r.optional("policies") {
                guard case let .array(items) = ps.value else { throw v.error(ps, r.childPath("policies"), "expected an array of {\"type\", \"value\", \"period\"}") }
                out.policies = try items.enumerated().map { k, item in
                    var po = try ObjectReader(item, path: r.childPath("policies") + "[\(k)]", file: file)
                    let tNode = try po.required("type", expected: "Pods or Percent")
                    let type = try v.string(tNode, po.childPath("type"))
                    guard ["Pods", "Percent"].contains(type) else {
                        throw v.error(tNode, po.childPath("type"), "unknown policy type \"\(type)\"", suggestion: Suggest.hint(for: type, in: ["Pods", "Percent"]))
                    }
                    let value = try v.integer(try po.required("value", expected: "pods or percent per period"), po.childPath("value"), min: 1)
                    let period = try v.duration(try po.required("period", expected: "the policy's period, 1 s to 30 min"), po.childPath("period"), positive: true)
                    try po.finish()
                    return BehaviorSpec.Policy(type: type, value: value, period: period)
                }
            }
            try r.finish()
            return out
        }
        spec.scaleUp = try rules("scaleUp")
        spec.scaleDown = try rules("scaleDown")
        try o.finish()
        return spec
    }

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
        var used = [Bool](repeating: false, count: s.models.count)
        var usedBy = [[Int]](repeating: [], count: s.models.count)   // sources per model
        for (k, source) in s.workload.enumerated() {
            var stages: [Int] = []
            if !source.mix.isEmpty { stages = source.mix.flatMap { s.stages(of: $0.target) } }
            else if let t = source.target { stages = s.stages(of: t) } else { stages = Array(s.models.indices) + s.pipelines.flatMap(\.stages) }
            for m in stages {
                used[m] = true
                usedBy[m].append(k)
            }
        }
        for m in s.models.indices where used[m] { for g in s.models[m].variantGroup { used[g] = true; usedBy[g] = usedBy[m] } }
        for (m, model) in s.models.enumerated() where model.isTokenDriven {
            for k in usedBy[m] {
                let source = s.workload[k]
                var carriesTokens = source.inputTokens != nil
                if case let .trace(t) = source.kind, t.format == .azureLLM { carriesTokens = true }
                if case .trace = source.kind, source.target == nil { continue } // checked per row
                if !carriesTokens {
                    throw ScenarioError(file: file, path: source.jsonPath,
                                        message: "model \"\(model.name)\" \(model.engine != nil ? "has an engine (continuous batching)" : "has a token-driven service time"), which needs token counts, but this source carries none",
                                        suggestion: "add \"tokens\": {\"input\": …, \"output\": …} to the source, or replay a trace with token columns")
                }
            }
        }
        for plan in s.plans {
            switch plan.policy {
            case let .elastic(e):
                try checkPools(s, plan: plan, pools: e.nodes.map(\.hardware), used: used)
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

    func checkPools(_ s: Scenario, plan: Plan, pools: [Int], used: [Bool]) throws {
        for (m, model) in s.models.enumerated() where used[m] && !model.runsOn.contains(where: pools.contains) {
            throw ScenarioError(file: file, path: plan.jsonPath + ".nodes",
                                message: "model \"\(model.name)\" runs on \(model.runsOn.map { s.hardware[$0].name }.joined(separator: ", ")) but plan \"\(plan.name)\" has no pool of those types",
                                suggestion: "add a pool of \(s.hardware[model.runsOn[0]].name) to the plan's nodes")
        }
    }
}
