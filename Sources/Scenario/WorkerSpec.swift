/// How `headroom serve` runs a model for real: the worker process and the contract it speaks.
///
/// The simulator ignores it. Both contracts are ones existing software already speaks, so a
/// worker needs no Headroom-specific code:
/// - `http`: the Knative / Cloud Run container contract — listen on `$PORT`, answer a readiness
///   probe, serve the requests proxied to it.
/// - `lambda`: the AWS Lambda Runtime API (2018-06-01) — long-poll
///   `$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next`, post the response.
public struct WorkerSpec: Sendable, Equatable {
    public enum Contract: String, Sendable, CaseIterable {
        case http
        case lambda
    }

    /// How an `http` worker's readiness is probed.
    public enum Readiness: Sendable, Equatable {
        /// An HTTP GET on this path answers 2xx.
        case path(String)
        /// A TCP connection to the port is accepted.
        case tcp
    }

    public var contract: Contract
    /// The program and its arguments. A first element with a `/` in it is a path, resolved
    /// against the scenario file's folder when relative; otherwise it is looked up on `PATH`.
    public var command: [String]
    /// Added to the runtime's own environment.
    public var environment: [(key: String, value: String)]
    /// The working directory (resolved against the scenario file's folder), or nil for that
    /// folder itself.
    public var directory: String?
    public var readiness: Readiness
    /// Seconds from spawn to ready before the worker is killed and reported failed.
    public var startTimeout: Double
    /// Seconds between SIGTERM and SIGKILL when an instance stops.
    public var stopGrace: Double

    public init(contract: Contract, command: [String], environment: [(key: String, value: String)] = [], directory: String? = nil,
                readiness: Readiness = .path("/"), startTimeout: Double = 30, stopGrace: Double = 5) {
        self.contract = contract
        self.command = command
        self.environment = environment
        self.directory = directory
        self.readiness = readiness
        self.startTimeout = startTimeout
        self.stopGrace = stopGrace
    }

    public static func == (a: WorkerSpec, b: WorkerSpec) -> Bool {
        a.contract == b.contract && a.command == b.command && a.directory == b.directory && a.readiness == b.readiness
            && a.startTimeout == b.startTimeout && a.stopGrace == b.stopGrace
            && a.environment.map(\.key) == b.environment.map(\.key) && a.environment.map(\.value) == b.environment.map(\.value)
    }
}

extension ScenarioDecoder {
    /// A model's (or version's) `worker`:
    /// `{"contract": "http"|"lambda", "command": [...], "env": {...}, "directory": d,
    ///   "readiness": "/path"|"tcp", "startTimeout": "30s", "stopGrace": "5s"}`.
    func decodeWorker(_ node: JSONNode, path: String) throws -> WorkerSpec {
        var o = try ObjectReader(node, path: path, file: file)
        let contractNode = try o.required("contract", expected: "\"http\" (Knative / Cloud Run container contract) or \"lambda\" (AWS Lambda Runtime API)")
        let contractName = try v.string(contractNode, o.childPath("contract"))
        guard let contract = WorkerSpec.Contract(rawValue: contractName) else {
            throw v.error(contractNode, o.childPath("contract"), "unknown worker contract \"\(contractName)\"; expected \"http\" or \"lambda\"",
                          suggestion: Suggest.hint(for: contractName, in: WorkerSpec.Contract.allCases.map(\.rawValue)))
        }
        let commandNode = try o.required("command", expected: "the program and its arguments, e.g. [\"python3\", \"workers/echo.py\"]")
        guard case let .array(items) = commandNode.value, !items.isEmpty else {
            throw v.error(commandNode, o.childPath("command"), "expected a non-empty array of strings (the program, then its arguments)")
        }
        let command = try items.enumerated().map { k, item in try v.string(item, o.childPath("command") + "[\(k)]") }
        guard !command[0].isEmpty else {
            throw v.error(items[0], o.childPath("command") + "[0]", "the program name is empty")
        }
        var spec = WorkerSpec(contract: contract, command: command)
        if let envNode = o.optional("env") {
            guard case let .object(members) = envNode.value else {
                throw v.error(envNode, o.childPath("env"), "expected an object of environment variables (name: string value)")
            }
            for member in members {
                let p = ObjectReader.join(o.childPath("env"), member.key)
                guard !member.key.isEmpty, !member.key.contains("=") else {
                    throw ScenarioError(file: file, line: member.line, column: member.column, path: p,
                                        message: "\"\(member.key)\" is not an environment variable name (empty, or contains \"=\")")
                }
                let value: String
                if case let .number(x) = member.value.value { value = ValueReader.show(x) } else { value = try v.string(member.value, p) }
                spec.environment.append((member.key, value))
            }
        }
        if let d = o.optional("directory") { spec.directory = try v.string(d, o.childPath("directory")) }
        if let r = o.optional("readiness") {
            guard contract == .http else {
                throw v.error(r, o.childPath("readiness"), "\"readiness\" applies to the http contract only: a lambda worker is ready at its first invocation/next",
                              suggestion: "remove \"readiness\"")
            }
            let text = try v.string(r, o.childPath("readiness"))
            if text == "tcp" {
                spec.readiness = .tcp
            } else if text.hasPrefix("/") {
                spec.readiness = .path(text)
            } else {
                throw v.error(r, o.childPath("readiness"), "expected an HTTP path starting with \"/\" or \"tcp\", found \"\(text)\"",
                              suggestion: "for example \"/healthz\"")
            }
        }
        if let t = o.optional("startTimeout") { spec.startTimeout = try v.duration(t, o.childPath("startTimeout"), positive: true) }
        if let t = o.optional("stopGrace") { spec.stopGrace = try v.duration(t, o.childPath("stopGrace")) }
        try o.finish()
        return spec
    }
}
