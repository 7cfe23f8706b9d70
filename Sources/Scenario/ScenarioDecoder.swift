import Foundation

/// Reads and checks scenario files.
public enum ScenarioLoader {
    /// Loads the scenario at `path` (as the user named it).
    public static func load(path: String) throws -> Scenario {
        try decode(try text(path: path), file: path, directory: (path as NSString).deletingLastPathComponent)
    }

    /// The scenario file's text, or an error saying why there is none.
    public static func text(path: String) throws -> String {
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
                                    hardwareNames: hardwareNames, modelNames: modelNames, targetNames: targetNames)
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
        var roundTrip = 0.0
        if let n = o.optional("network") {
            var no = try ObjectReader(n, path: "$.network", file: file)
            roundTrip = try v.duration(try no.required("roundTrip", expected: "the time between a client and the platform, there and back, e.g. \"2ms\""),
                                       no.childPath("roundTrip"))
            try no.finish()
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
        scenario.networkRoundTrip = roundTrip
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
            var contention = NodeContention()
            if let c = o.optional("contention") {
                var co = try ObjectReader(c, path: o.childPath("contention"), file: file)
                if let b = co.optional("backgroundVCPUs") { contention.backgroundVCPUs = try v.number(b, co.childPath("backgroundVCPUs"), min: 0, max: vcpus) }
                if let a = co.optional("interference") { contention.interference = try v.number(a, co.childPath("interference"), min: 0, max: 100) }
                if let a = co.optional("startupInterference") { contention.startupInterference = try v.number(a, co.childPath("startupInterference"), min: 0, max: 100) }
                if let q = co.optional("runQueues") {
                    let path = co.childPath("runQueues")
                    let choices = NodeContention.RunQueues.allCases.map(\.rawValue)
                    let text = try v.string(q, path)
                    guard let runQueues = NodeContention.RunQueues(rawValue: text) else {
                        throw v.error(q, path, "unknown run queues \"\(text)\": expected one of " + choices.map { "\"\($0)\"" }.joined(separator: ", "),
                                      suggestion: Suggest.hint(for: text, in: choices))
                    }
                    contention.runQueues = runQueues
                    // A run queue per core needs whole cores to put them on.
                    if contention.runQueues == .perCore, vcpus.rounded() != vcpus || vcpus > NodeContention.perCoreMax {
                        throw v.error(q, path, "run queues per core need a whole number of cores, at most \(Int(NodeContention.perCoreMax)): the type has \(ValueReader.show(vcpus)) vcpus",
                                      suggestion: "give the type whole vcpus, or use \"runQueues\": \"node\"")
                    }
                }
                try co.finish()
            }
            var gpuSharing: GPUSharing?
            if let g = o.optional("gpuSharing") {
                gpuSharing = try decodeGPUSharing(g, path: o.childPath("gpuSharing"), gpus: gpus)
            }
            var gpuModel: GPUSpec?
            if let g = o.optional("gpuModel") {
                guard gpus > 0 else {
                    throw v.error(g, o.childPath("gpuModel"), "a gpuModel needs GPUs to name, and the type has none (gpus is 0)", suggestion: "give the type its gpus")
                }
                gpuModel = try decodeGPU(g, path: o.childPath("gpuModel"))
            }
            try o.finish()
            var type = HardwareType(name: m.key, vcpus: vcpus, memoryGiB: memory, gpus: gpus, pricePerHour: price, boot: boot, billing: billing)
            type.pullMBps = pullMBps
            type.loadGBps = loadGBps
            type.stockoutProbability = stockoutProbability
            type.stockoutWindows = stockoutWindows
            type.spot = spot
            type.contention = contention
            type.gpuSharing = gpuSharing
            type.gpuModel = gpuModel
            return type
        }
    }

    func decodeGPUSharing(_ node: JSONNode, path: String, gpus: Int) throws -> GPUSharing {
        var o = try ObjectReader(node, path: path, file: file)
        let modes = GPUSharing.Mode.allCases.map(\.rawValue)
        let mNode = try o.required("mode", expected: "how instances share a GPU: " + modes.map { "\"\($0)\"" }.joined(separator: ", "))
        let text = try v.string(mNode, o.childPath("mode"))
        guard let mode = GPUSharing.Mode(rawValue: text) else {
            throw v.error(mNode, o.childPath("mode"), "unknown GPU sharing mode \"\(text)\": expected one of " + modes.map { "\"\($0)\"" }.joined(separator: ", "),
                          suggestion: Suggest.hint(for: text, in: modes))
        }
        guard gpus > 0 else {
            throw v.error(mNode, o.childPath("mode"), "expected GPUs to share: the node type has none", suggestion: "set \"gpus\" on the node type, or remove gpuSharing")
        }
        let most = mode == .mig ? GPUSharing.migSlicesMax : mode == .mps ? GPUSharing.mpsClientsMax : 1000
        let why = mode == .mig ? "MIG makes at most 7 slices of a GPU" : mode == .mps ? "MPS serves at most 48 clients per GPU" : "a bound on instances per GPU"
        let rNode = try o.required("replicas", expected: "instances per GPU (MIG: slices per GPU)")
        let replicas = try v.integer(rNode, o.childPath("replicas"), min: 1, max: 1000)
        guard replicas <= most else {
            throw v.error(rNode, o.childPath("replicas"), "expected at most \(most) instances per GPU with \(mode.rawValue) (\(why)), found \(replicas)")
        }
        var sharing = GPUSharing(mode: mode, replicas: replicas)
        if let s = o.optional("mpsSlowdown") {
            guard mode == .mps else {
                throw v.error(s, o.childPath("mpsSlowdown"), "expected mpsSlowdown only with \"mode\": \"mps\", found mode \"\(mode.rawValue)\"")
            }
            sharing.mpsSlowdown = try v.number(s, o.childPath("mpsSlowdown"), min: 0, max: 10)
        }
        try o.finish()
        return sharing
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
}
