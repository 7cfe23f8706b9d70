import Foundation
import Scenario

/// The settings of a plan that live in no Kubernetes object but in the flags of two cluster
/// components: the cluster autoscaler (node groups, scan and scale-down timing, totals) and
/// kube-controller-manager (the HPA controller's sync period, tolerance and default
/// scale-down stabilisation).
///
/// `headroom export kubernetes` writes them as a commented companion file, `cluster.flags`,
/// one `--flag=value` per line as the components take them; `headroom import kubernetes`
/// reads it back beside the manifests. Flag names and formats: kubernetes/autoscaler
/// `cluster-autoscaler/FAQ.md` ("What are the parameters to CA?") and the
/// kube-controller-manager reference (`--horizontal-pod-autoscaler-*`).
public struct ClusterFlags: Sendable, Equatable {
    public struct NodeGroup: Sendable, Equatable {
        /// The node group's name: here the Headroom hardware type it is made of.
        public var type: String
        public var min: Int
        public var max: Int
        public var line: Int
    }
    public var file = ""
    public var nodeGroups: [NodeGroup] = []
    /// `--scan-interval`, `--scale-down-unneeded-time`, `--scale-down-delay-after-add`.
    public var scanInterval: Double?
    public var unneededTime: Double?
    public var delayAfterAdd: Double?
    /// The largest `--cores-total` and `--gpu-total` (the cluster's quota).
    public var coresTotal: Int?
    public var gpusTotal: Int?
    /// `--horizontal-pod-autoscaler-sync-period`, `-tolerance`, `-downscale-stabilization`.
    public var syncPeriod: Double?
    public var tolerance: Double?
    public var downscaleStabilization: Double?
    /// Settings read that Headroom cannot honour, each with why.
    public var notHonoured: [String] = []

    public init() {}

    static let durationFlags = ["scan-interval", "scale-down-unneeded-time", "scale-down-delay-after-add",
                                "horizontal-pod-autoscaler-sync-period", "horizontal-pod-autoscaler-downscale-stabilization"]
    static let known = ["nodes", "cores-total", "gpu-total", "horizontal-pod-autoscaler-tolerance"] + durationFlags

    /// Whether `bytes` look like a flags file rather than JSON: the first character that is
    /// not white space is `#` or `-`.
    public static func looksLikeFlags(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else { return false }
        return first == UInt8(ascii: "#") || first == UInt8(ascii: "-")
    }

    /// Reads a companion flags file: comments (`#`), blank lines and `--name=value` lines.
    public static func parse(_ text: String, file: String) throws -> ClusterFlags {
        var flags = ClusterFlags()
        flags.file = file
        for (k, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = k + 1
            let s = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if s.isEmpty || s.hasPrefix("#") { continue }
            func fail(_ message: String, suggestion: String? = nil, raisedIn f: String = #fileID, at l: Int = #line) -> ScenarioError {
                ScenarioError(file: file, line: line, column: 1, message: message, suggestion: suggestion, raisedIn: f, at: l)
            }
            guard s.hasPrefix("--"), let eq = s.firstIndex(of: "=") else {
                throw fail("expected a flag as --name=value (or a # comment), found \"\(s)\"",
                           suggestion: "write flags as cluster-autoscaler and kube-controller-manager take them, e.g. --nodes=1:4:cpu.m5xl")
            }
            let name = String(s[s.index(s.startIndex, offsetBy: 2)..<eq])
            let value = String(s[s.index(after: eq)...])
            guard known.contains(name) else {
                throw fail("unknown flag --\(name)", suggestion: Suggest.hint(for: name, in: known, noun: "the flags read are"))
            }
            if durationFlags.contains(name) {
                guard let d = ValueReaderBridge.duration(value), d >= 0 else {
                    throw fail("--\(name): expected a duration such as 10s or 10m0s, found \"\(value)\"")
                }
                switch name {
                case "scan-interval": flags.scanInterval = d
                case "scale-down-unneeded-time": flags.unneededTime = d
                case "scale-down-delay-after-add": flags.delayAfterAdd = d
                case "horizontal-pod-autoscaler-sync-period": flags.syncPeriod = d
                default: flags.downscaleStabilization = d
                }
                continue
            }
            switch name {
            case "nodes":
                // MIN:MAX:NAME (the node group's name may itself hold colons: none here).
                let parts = value.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                guard parts.count == 3, let lo = Int(parts[0]), let hi = Int(parts[1]), lo >= 0, hi >= lo, !parts[2].isEmpty else {
                    throw fail("--nodes: expected MIN:MAX:NODE-GROUP with 0 ≤ MIN ≤ MAX, found \"\(value)\"", suggestion: "e.g. --nodes=1:4:cpu.m5xl")
                }
                flags.nodeGroups.append(NodeGroup(type: String(parts[2]), min: lo, max: hi, line: line))
            case "cores-total":
                let parts = value.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2, let lo = Int(parts[0]), let hi = Int(parts[1]), lo >= 0, hi >= max(lo, 1) else {
                    throw fail("--cores-total: expected MIN:MAX with 0 ≤ MIN ≤ MAX and MAX ≥ 1, found \"\(value)\"", suggestion: "e.g. --cores-total=0:64")
                }
                if lo > 0 { flags.notHonoured.append("\(file):\(line): --cores-total minimum \(lo): Headroom's quota is an upper bound only") }
                flags.coresTotal = hi
            case "gpu-total":
                let parts = value.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 3, !parts[0].isEmpty, let lo = Int(parts[1]), let hi = Int(parts[2]), lo >= 0, hi >= max(lo, 1) else {
                    throw fail("--gpu-total: expected GPU-TYPE:MIN:MAX with 0 ≤ MIN ≤ MAX and MAX ≥ 1, found \"\(value)\"", suggestion: "e.g. --gpu-total=nvidia-h100:0:16")
                }
                if lo > 0 { flags.notHonoured.append("\(file):\(line): --gpu-total minimum \(lo): Headroom's quota is an upper bound only") }
                flags.gpusTotal = (flags.gpusTotal ?? 0) + hi
            default:   // horizontal-pod-autoscaler-tolerance
                guard let t = Double(value), t >= 0, t <= 1 else {
                    throw fail("--horizontal-pod-autoscaler-tolerance: expected a fraction from 0 to 1, found \"\(value)\"", suggestion: "the default is 0.1")
                }
                flags.tolerance = t
            }
        }
        return flags
    }
}
