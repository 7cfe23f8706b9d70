import XCTest
import Foundation
@testable import Kubernetes
@testable import Scenario

/// The error audit of the Kubernetes module: every `throw` in Sources/Kubernetes is reached by
/// a case below, and every message names the file (with a line for manifests), the object and
/// field or the plan, and says what was found or expected. A new throw site without a case
/// fails here, as in the scenario and command-line audits.
final class KubernetesErrorAuditTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    enum Action {
        /// Import these files (fixture name → replacements, or whole text) with these options.
        case importing([(file: String, edits: [(String, String)])], model: String? = nil, nodes: [(type: String, min: Int, max: Int)] = [("cpu.m5xl", 1, 4), ("gpu.g5", 1, 2)])
        case importText(String, nodes: [(type: String, min: Int, max: Int)] = [("cpu.m5xl", 1, 4), ("gpu.g5", 1, 2)])
        /// Export a plan (JSON) added to the fixture scenario, or a scenario edited by text.
        case export(plan: String, as: ExportFormat?, scenarioEdits: [(String, String)] = [], prometheus: String? = nil)
        case flags(String)
        /// A sweep job of the fixture scenario with a description this long.
        case sweepJob(description: Int)
    }

    struct Case {
        var name: String
        var action: Action
        var expect: String
    }

    func run(_ action: Action) throws {
        let path = Self.fixtures.appendingPathComponent("scenario.json").path
        switch action {
        case let .importing(files, model, nodes):
            let scenario = try ScenarioLoader.load(path: path)
            let (root, _) = try ScenarioLoader.read(path: path)
            var objects: [ManifestObject] = []
            var flags: [ClusterFlags] = []
            for f in files {
                var text = (try? String(contentsOf: Self.fixtures.appendingPathComponent(f.file), encoding: .utf8)) ?? ""
                for (a, b) in f.edits {
                    guard text.contains(a) || a.isEmpty else { throw NSError(domain: "case: no \(a) in \(f.file)", code: 0) }
                    text = a.isEmpty ? b : text.replacingOccurrences(of: a, with: b)
                }
                if ClusterFlags.looksLikeFlags(Array(text.utf8)) { flags.append(try ClusterFlags.parse(text, file: f.file)) }
                else { objects += try Manifest.objects(in: try JSONReader.parse(text, file: f.file), file: f.file) }
            }
            _ = try KubernetesImport.plan(objects: objects, flags: flags, scenario: scenario, root: root,
                                          options: ImportOptions(planName: "imported", model: model, nodes: nodes))
        case let .importText(text, nodes):
            try run(.importing([(file: "objects.json", edits: [("", text)])], nodes: nodes))
        case let .export(plan, format, edits, prometheus):
            var text = try String(contentsOfFile: path, encoding: .utf8)
            for (a, b) in edits {
                guard text.contains(a) else { throw NSError(domain: "case: no \(a) in the scenario", code: 0) }
                text = text.replacingOccurrences(of: a, with: b)
            }
            let root = try JSONReader.parse(text, file: path).setting(try JSONReader.parse(plan, file: "plan"), at: ["plans", "x"])
            let scenario = try ScenarioLoader.decode(root: root, file: "scenario.json", directory: Self.fixtures.path)
            _ = try KubernetesExport.export(scenario, planIndex: scenario.plans.count - 1, as: format, prometheus: prometheus)
        case let .flags(text):
            _ = try ClusterFlags.parse(text, file: "cluster.flags")
        case let .sweepJob(size):
            let text = try String(contentsOfFile: path, encoding: .utf8)
                .replacingOccurrences(of: "\"seed\": 1,", with: "\"seed\": 1, \"description\": \"\(String(repeating: "x", count: size))\",")
            let scenario = try ScenarioLoader.decode(text, file: "scenario.json", directory: Self.fixtures.path)
            _ = try SweepJob.export(scenario, text: text, fileName: "scenario.json", vary: ["seed=1,2"], sample: nil, shards: 2, image: "i", resultsClaim: "r")
        }
    }

    func throwSites() throws -> [String: String] {
        var sites: [String: String] = [:]
        let folder = Self.root.appendingPathComponent("Sources/Kubernetes").path
        for file in try FileManager.default.contentsOfDirectory(atPath: folder).filter({ $0.hasSuffix(".swift") }).sorted() {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where line.range(of: #"\bthrow\s"#, options: .regularExpression) != nil {
                sites["Kubernetes/\(file):\(k + 1)"] = line.trimmingCharacters(in: .whitespaces)
            }
        }
        return sites
    }

    func testEveryThrowSiteIsReachedAndSaysWhatToDo() throws {
        let sites = try throwSites()
        XCTAssertGreaterThan(sites.count, 70, "the scan found the throw sites")
        var reached: [String: String] = [:]
        for c in Self.cases {
            do {
                try run(c.action)
                XCTFail("\(c.name): no error")
            } catch let e as ScenarioError {
                let text = "\(e)"
                let first = String(text.split(separator: "\n").first ?? "")
                XCTAssertTrue(text.contains(c.expect), "\(c.name) [\(e.raisedAt)]: \(text)\n  expected to contain: \(c.expect)")
                XCTAssertFalse(e.file.isEmpty, "\(c.name): names the file")
                XCTAssertNotNil(e.line ?? (e.path.map { _ in 0 }), "\(c.name): a line or a path: \(text)")
                XCTAssertNil(first.range(of: #"[.!?] +[A-Z]"#, options: .regularExpression), "\(c.name): one sentence: \(first)")
                for bad in ["Optional(", "Swift.", "ErrorDomain"] { XCTAssertFalse(text.contains(bad), "\(c.name): \(text)") }
                let says = ["expected", "unknown", "no ", "not ", "cannot", "two ", "one ", "above", "has no", "only", "needs", "is at most", "would both", "refuse"]
                XCTAssertTrue(says.contains { first.lowercased().contains($0) }, "\(c.name): says what is wrong or expected: \(first)")
                if sites[e.raisedAt] != nil { reached[e.raisedAt] = c.name } else {
                    XCTFail("\(c.name): raised at \(e.raisedAt), which the scan does not list as a throw site")
                }
            } catch {
                XCTFail("\(c.name): not a ScenarioError: \(error)")
            }
        }
        let missing = sites.keys.filter { reached[$0] == nil }.sorted()
        XCTAssertTrue(missing.isEmpty, "\(missing.count) of \(sites.count) throw sites have no case:\n" + missing.map { "  \($0): \(sites[$0]!)" }.joined(separator: "\n"))
        print("kubernetes error audit: \(Self.cases.count) cases reach \(reached.count) of \(sites.count) throw sites")
    }

    static let hpa = "kubectl-deploy-hpa.json"
    static let plainDeployment = """
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "chat"}, "spec": {"replicas": 2, "template": {"spec": {
      "containers": [{"name": "chat", "resources": {"requests": {"cpu": "1", "memory": "2Gi"}}}]}}}}
    """
    static let elastic = #"{"policy": "elastic", "target": 0.6, "nodes": {"cpu.m5xl": {"min": 1, "max": 4}, "gpu.g5": {"min": 1, "max": 2}}}"#
    static let kpa = #"{"policy": "serverless", "hosting": "self", "scaler": "kpa", "nodes": {"cpu.m5xl": {"min": 0, "max": 4}, "gpu.g5": {"min": 0, "max": 2}}}"#

    static func hpaEdit(_ a: String, _ b: String) -> Action { .importing([(file: hpa, edits: [(a, b)])]) }
    static func kedaEdit(_ a: String, _ b: String) -> Action { .importing([(file: "keda.json", edits: [(a, b)])]) }
    static func knativeEdit(_ a: String, _ b: String) -> Action { .importing([(file: "knative.json", edits: [(a, b)])]) }
    static func kserveEdit(_ edits: [(String, String)]) -> Action { .importing([(file: "kserve.json", edits: edits)]) }
    static let rawMode = ("\"serving.kserve.io/deploymentMode\": \"Serverless\"", "\"serving.kserve.io/deploymentMode\": \"RawDeployment\"")
    static let hpaClass = ("\"kpa.autoscaling.knative.dev\"", "\"hpa.autoscaling.knative.dev\"")

    static let cases: [Case] = [
        // Manifest reading
        Case(name: "not an object", action: .importText("[]"), expect: "expected a Kubernetes object or a List"),
        Case(name: "List items", action: .importText(#"{"kind": "List", "items": {}}"#), expect: "expected the List's items as an array, found an object"),
        Case(name: "no apiVersion", action: .importText(#"{"kind": "Deployment", "metadata": {"name": "chat"}}"#), expect: "apiVersion: expected an apiVersion in every Kubernetes object"),
        Case(name: "kind not a string", action: .importText(#"{"apiVersion": "apps/v1", "kind": 5, "metadata": {"name": "chat"}}"#), expect: "kind: expected a kind as a non-empty string, found 5"),
        Case(name: "item not an object", action: .importText(#"{"kind": "List", "items": [5]}"#), expect: "items[0]: expected a Kubernetes object, found 5"),
        Case(name: "string field", action: hpaEdit("\"kind\": \"Deployment\", \"name\": \"chat\"", "\"kind\": \"Deployment\", \"name\": 5"),
             expect: "HorizontalPodAutoscaler/chat spec.scaleTargetRef.name: expected a string, found 5"),
        Case(name: "whole number", action: hpaEdit("\"maxReplicas\": 12", "\"maxReplicas\": 1.5"), expect: "spec.maxReplicas: expected a whole number, found 1.5"),
        Case(name: "number range", action: hpaEdit("\"maxReplicas\": 12", "\"maxReplicas\": 0"), expect: "spec.maxReplicas: expected a whole number from 1 to 1000000, found 0"),
        Case(name: "object field", action: hpaEdit("\"requests\": { \"cpu\": \"1500m\", \"memory\": \"3Gi\" }", "\"requests\": []"),
             expect: "resources.requests: expected an object, found an array"),
        Case(name: "serve annotation not a string",
             action: .importText(#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "chat", "annotations": {"headroom/serve": 3}}, "spec": {"replicas": 2, "template": {"spec": {"containers": []}}}}"#),
             expect: "expected \"target=target\" in the headroom/serve annotation, found 3"),
        Case(name: "serve annotation odd",
             action: .importText(#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "chat", "annotations": {"headroom/serve": "chat=nowhere"}}, "spec": {"replicas": 2, "template": {"spec": {"containers": []}}}}"#),
             expect: "as \"from=to\" in the headroom/serve annotation, found \"chat=nowhere\""),
        Case(name: "routing annotation odd",
             action: .importText(#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "chat", "annotations": {"headroom/routing": "nearest"}}, "spec": {"replicas": 2, "template": {"spec": {"containers": []}}}}"#),
             expect: "expected \"least-loaded\", \"cache-aware\" or \"session-affinity\" in the headroom/routing annotation, found \"nearest\""),
        Case(name: "array field", action: .importText(#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "chat"}, "spec": {"template": {"spec": {"containers": {}}}}}"#),
             expect: "Deployment/chat spec.template.spec.containers: expected an array, found an object"),
        // Import: kinds, families, models, nodes
        Case(name: "API version", action: hpaEdit("autoscaling/v2", "autoscaling/v2beta2"), expect: "unknown API version \"autoscaling/v2beta2\" for a HorizontalPodAutoscaler"),
        Case(name: "two families", action: .importing([(file: hpa, edits: []), (file: "knative.json", edits: [])]), expect: "one plan is one policy family"),
        Case(name: "no workload", action: .importText(#"{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}"#), expect: "no workload to import: expected a Deployment"),
        Case(name: "no model", action: .importing([(file: hpa, edits: [])], model: "chta"), expect: "maps to no model of"),
        Case(name: "flags node type", action: .importing([(file: hpa, edits: []), (file: "cluster.flags", edits: [("", "--nodes=1:2:cpu.m6\n")])], nodes: []),
             expect: "cluster.flags:1:1: --nodes names node group \"cpu.m6\", which is no node type of"),
        Case(name: "option node type", action: .importing([(file: hpa, edits: [])], nodes: [("cpu.m6", 1, 2)]), expect: "--nodes cpu.m6: unknown node type \"cpu.m6\""),
        Case(name: "elastic without nodes", action: .importing([(file: hpa, edits: [])], nodes: []), expect: "the manifests do not say which nodes the elastic plan runs on"),
        Case(name: "traditional without nodes", action: .importText(plainDeployment, nodes: []), expect: "the manifests do not say how many nodes the traditional plan has"),
        // Import: resources
        Case(name: "bad quantity", action: hpaEdit("\"1500m\"", "\"1.5.3\""), expect: "requests.cpu: expected a quantity such as 500m, 2 or 4Gi, found \"1.5.3\""),
        Case(name: "negative quantity", action: hpaEdit("\"1500m\"", "\"-1\""), expect: "requests.cpu: expected a non-negative quantity, found \"-1\""),
        Case(name: "fractional GPUs", action: hpaEdit("\"nvidia.com/gpu\": \"1\"", "\"nvidia.com/gpu\": \"0.5\""), expect: "expected whole GPUs, found 0.5"),
        // Import: HPA
        Case(name: "scales a StatefulSet", action: hpaEdit("\"kind\": \"Deployment\", \"name\": \"chat\"", "\"kind\": \"StatefulSet\", \"name\": \"chat\""),
             expect: "HorizontalPodAutoscaler/chat scales a StatefulSet: expected a Deployment"),
        Case(name: "no target name", action: hpaEdit("\"kind\": \"Deployment\", \"name\": \"chat\"", "\"kind\": \"Deployment\""), expect: "expected spec.scaleTargetRef.name"),
        Case(name: "target not given", action: hpaEdit("\"kind\": \"Deployment\", \"name\": \"chat\"", "\"kind\": \"Deployment\", \"name\": \"chta\""),
             expect: "scales Deployment/chta, which is not among the objects given"),
        Case(name: "two autoscalers", action: .importing([(file: hpa, edits: [("\"kind\": \"Deployment\", \"name\": \"chat\"", "\"kind\": \"Deployment\", \"name\": \"embed\"")]),
                                                        (file: "keda.json", edits: [("\"kind\": \"Deployment\",\n            \"metadata\": { \"name\": \"embed\" }", "\"kind\": \"Deployment\",\n            \"metadata\": { \"name\": \"embed2\" }")])]),
             expect: "Deployment/embed is scaled by two autoscalers"),
        Case(name: "zero replicas", action: hpaEdit("\"replicas\": 2,", "\"replicas\": 0,"), expect: "Deployment/embed spec.replicas: expected at least 1 replica in an elastic plan, found 0"),
        Case(name: "two workloads, one model", action: .importing([(file: hpa, edits: [])], model: "chat"), expect: "model \"chat\" is served by two workloads"),
        Case(name: "no maxReplicas", action: hpaEdit("\"maxReplicas\": 12,", ""), expect: "expected spec.maxReplicas, which every HPA has"),
        Case(name: "max below min", action: hpaEdit("\"maxReplicas\": 12", "\"maxReplicas\": 1"), expect: "expected maxReplicas ≥ minReplicas (2), found 1"),
        Case(name: "no metric modelled", action: hpaEdit("\"name\": \"cpu\", \"target\"", "\"name\": \"ephemeral-storage\", \"target\""), expect: "no metric of HorizontalPodAutoscaler/chat is one Headroom can model"),
        Case(name: "bad averageValue", action: hpaEdit("{ \"resource\": { \"name\": \"cpu\", \"target\": { \"averageUtilization\": 65, \"type\": \"Utilization\" } }, \"type\": \"Resource\" }",
                                                       "{ \"pods\": { \"metric\": { \"name\": \"headroom_queue_depth\" }, \"target\": { \"averageValue\": \"2x\", \"type\": \"AverageValue\" } }, \"type\": \"Pods\" }"),
             expect: "spec.metrics[0].pods.target.averageValue: expected a quantity such as 500m, 2 or 4Gi, found \"2x\""),
        Case(name: "selectPolicy", action: hpaEdit("\"selectPolicy\": \"Max\",\n                        \"stabilizationWindowSeconds\": 120", "\"selectPolicy\": \"Maximum\",\n                        \"stabilizationWindowSeconds\": 120"),
             expect: "unknown selectPolicy \"Maximum\""),
        Case(name: "policy type", action: hpaEdit("\"type\": \"Pods\", \"value\": 1", "\"type\": \"Pod\", \"value\": 1"), expect: "unknown policy type \"Pod\""),
        Case(name: "policy value", action: hpaEdit("\"type\": \"Pods\", \"value\": 1", "\"type\": \"Pods\""), expect: "spec.behavior.scaleDown.policies[0]: expected a value, pods or percent per period"),
        Case(name: "policy period", action: hpaEdit("{ \"periodSeconds\": 60, \"type\": \"Pods\", \"value\": 1 }", "{ \"type\": \"Pods\", \"value\": 1 }"), expect: "expected periodSeconds, 1 to 1800"),
        // Import: KEDA
        Case(name: "KEDA max below min", action: kedaEdit("\"maxReplicaCount\": 8", "\"maxReplicaCount\": 0"), expect: "spec.maxReplicaCount: expected a whole number from 1 to 1000000, found 0"),
        Case(name: "KEDA max below min count", action: kedaEdit("\"minReplicaCount\": 1", "\"minReplicaCount\": 9"), expect: "expected maxReplicaCount ≥ minReplicaCount (9), found 8"),
        Case(name: "KEDA activation threshold", action: .importing([(file: "keda.json", edits: [("\"minReplicaCount\": 1", "\"minReplicaCount\": 0"),
                                                                                             ("\"threshold\": \"2.5\"", "\"threshold\": \"2.5\", \"activationThreshold\": \"some\"")])]),
             expect: "expected the activation threshold as a string holding a number ≥ 0"),
        Case(name: "KEDA no triggers", action: kedaEdit("\"triggers\"", "\"trigger\""), expect: "expected spec.triggers, at least one"),
        Case(name: "KEDA no trigger modelled", action: kedaEdit("\"type\": \"prometheus\"", "\"type\": \"kafka\""), expect: "no trigger of ScaledObject/embed is one Headroom can model — spec.triggers[0]: a kafka trigger"),
        Case(name: "KEDA threshold", action: kedaEdit("\"threshold\": \"2.5\"", "\"threshold\": \"lots\""), expect: "expected the threshold as a string holding a positive number"),
        // Import: Knative
        Case(name: "annotation not a string", action: knativeEdit("\"autoscaling.knative.dev/target\": \"6\"", "\"autoscaling.knative.dev/target\": 6"),
             expect: "autoscaling.knative.dev/target: expected the annotation's value as a string"),
        Case(name: "unknown annotation", action: knativeEdit("autoscaling.knative.dev/window", "autoscaling.knative.dev/windw"), expect: "unknown annotation autoscaling.knative.dev/windw"),
        Case(name: "unknown class", action: knativeEdit("\"kpa.autoscaling.knative.dev\"", "\"kpa\""), expect: "unknown autoscaler class \"kpa\""),
        Case(name: "window", action: knativeEdit("\"40s\"", "\"2h\""), expect: "expected a duration from 6s to 3600s (Knative's limits), found \"2h\""),
        Case(name: "window fraction", action: knativeEdit("\"40s\"", "\"40.5s\""), expect: "autoscaling.knative.dev/window: expected whole seconds, found \"40.5s\""),
        Case(name: "panic percentage", action: knativeEdit("\"20.0\"", "\"0.5\""), expect: "expected a panic window percentage from 1 to 100 (Knative's limits), found \"0.5\""),
        Case(name: "rps", action: knativeEdit("\"autoscaling.knative.dev/metric\": \"concurrency\"", "\"autoscaling.knative.dev/metric\": \"rps\""), expect: "Service/chat scales on rps"),
        Case(name: "target above concurrency", action: knativeEdit("\"autoscaling.knative.dev/target\": \"6\"", "\"autoscaling.knative.dev/target\": \"50\""),
             expect: "a per-pod target of 50 × 80 % is above the model's concurrency of 10"),
        Case(name: "ConfigMap value", action: knativeEdit("\"max-scale-down-rate\": \"4\"", "\"max-scale-down-rate\": 4"), expect: "expected max-scale-down-rate as a string (ConfigMap data are strings), found 4"),
        Case(name: "ConfigMap grace", action: knativeEdit("\"45s\"", "\"soon\""), expect: "scale-to-zero-grace-period: expected a positive duration such as 30s, found \"soon\""),
        Case(name: "ConfigMap rate", action: knativeEdit("\"max-scale-up-rate\": \"100\"", "\"max-scale-up-rate\": \"1\""), expect: "max-scale-up-rate: expected a number above 1, found \"1\""),
        Case(name: "served twice", action: .importing([(file: "knative.json", edits: []), (file: "kserve.json", edits: [])]), expect: "model \"chat\" is served by two workloads"),
        Case(name: "HPA class metric", action: knativeEdit("\"autoscaling.knative.dev/class\": \"kpa.autoscaling.knative.dev\",\n                            \"autoscaling.knative.dev/metric\": \"concurrency\"",
                                                           "\"autoscaling.knative.dev/class\": \"hpa.autoscaling.knative.dev\",\n                            \"autoscaling.knative.dev/metric\": \"rps\""),
             expect: "the HPA class scaling on rps: expected cpu"),
        Case(name: "HPA class target", action: .importing([(file: "knative.json", edits: [hpaClass, ("\"autoscaling.knative.dev/metric\": \"concurrency\"", "\"autoscaling.knative.dev/metric\": \"cpu\""),
                                                                                        ("\"autoscaling.knative.dev/target\": \"6\",", "")])]),
             expect: "expected autoscaling.knative.dev/target, the CPU percentage the HPA class aims at"),
        Case(name: "HPA class min-scale", action: .importing([(file: "knative.json", edits: [hpaClass, ("\"autoscaling.knative.dev/metric\": \"concurrency\"", "\"autoscaling.knative.dev/metric\": \"cpu\""),
                                                                                           ("\"autoscaling.knative.dev/min-scale\": \"1\"", "\"autoscaling.knative.dev/min-scale\": \"one\"")])]),
             expect: "autoscaling.knative.dev/min-scale: expected a whole number from 0 to 1000000 (as a string), found \"one\""),
        // Import: KServe
        Case(name: "deploymentMode type", action: kserveEdit([("\"serving.kserve.io/deploymentMode\": \"Serverless\"", "\"serving.kserve.io/deploymentMode\": 1")]),
             expect: "expected serving.kserve.io/deploymentMode as a string, found 1"),
        Case(name: "deploymentMode", action: kserveEdit([("\"Serverless\"", "\"ModelMesh\"")]), expect: "unknown serving.kserve.io/deploymentMode \"ModelMesh\""),
        Case(name: "raw no maxReplicas", action: kserveEdit([rawMode]), expect: "expected spec.predictor.maxReplicas: KServe documents no default"),
        Case(name: "raw concurrency", action: kserveEdit([rawMode, ("\"minReplicas\": 0,", "\"minReplicas\": 1, \"maxReplicas\": 4,")]),
             expect: "raw deployment scaling on concurrency: expected cpu"),
        // Export
        Case(name: "two models, one name", action: .export(plan: elastic, as: nil, scenarioEdits: [("\"embed\": {", "\"Chat\": {"), ("\"target\": \"embed\"", "\"target\": \"Chat\"")]),
             expect: "models \"chat\" and \"Chat\" would both be named \"chat\" in Kubernetes"),
        Case(name: "traditional as Knative", action: .export(plan: #"{"policy": "traditional", "nodes": {"cpu.m5xl": 2, "gpu.g5": 1}}"#, as: .knative),
             expect: "a traditional plan is exported as Deployments, not knative"),
        Case(name: "provider", action: .export(plan: #"{"policy": "serverless", "hosting": "provider"}"#, as: nil, scenarioEdits: [("\"gpus\": 1 }, \"runsOn\"", "\"gpus\": 0 }, \"runsOn\"")]), expect: "a provider-hosted serverless plan (Lambda-like)"),
        Case(name: "keep-alive", action: .export(plan: #"{"policy": "serverless", "hosting": "self", "nodes": {"cpu.m5xl": {"max": 2}, "gpu.g5": {"max": 1}}}"#, as: nil),
             expect: "the keep-alive scaler (an instance per request, kept warm) has no Kubernetes counterpart"),
        Case(name: "step scaling", action: .export(plan: #"{"policy": "elastic", "scaler": "step", "scaleOut": {"threshold": 0.7, "steps": [{"lower": 0, "change": 1}]}, "nodes": {"cpu.m5xl": {"max": 4}, "gpu.g5": {"max": 1}}}"#, as: nil),
             expect: "step scaling (EC2 Auto Scaling's CloudWatch alarms) has no Kubernetes object"),
        Case(name: "target percentage", action: .export(plan: elastic.replacingOccurrences(of: "0.6", with: "0.655"), as: nil), expect: "a utilisation target of 0.655: expected a whole percentage"),
        Case(name: "target thousandths", action: .export(plan: elastic.replacingOccurrences(of: "\"target\": 0.6", with: "\"metric\": \"concurrency\", \"target\": 2.0005"), as: nil),
             expect: "a concurrency target of 2.0005: expected thousandths at most"),
        Case(name: "KEDA scale to zero as an HPA",
             action: .export(plan: elastic.replacingOccurrences(of: "\"target\": 0.6", with: "\"metric\": \"queue-length\", \"target\": 2, \"instances\": {\"embed\": {\"min\": 0, \"max\": 4}}, \"keda\": {}"), as: .deployment),
             expect: "the plan scales models to and from zero with KEDA; an HPA alone keeps at least one replica"),
        Case(name: "KEDA without Prometheus", action: .export(plan: elastic.replacingOccurrences(of: "\"target\": 0.6", with: "\"metric\": \"queue-length\", \"target\": 2"), as: .keda),
             expect: "a queue-length plan becomes a KEDA prometheus trigger, which needs the Prometheus server's address"),
        Case(name: "Knative on concurrency", action: .export(plan: elastic.replacingOccurrences(of: "\"target\": 0.6", with: "\"metric\": \"concurrency\", \"target\": 2"), as: .knative),
             expect: "knative scales an elastic plan with an HPA on CPU only; this plan scales on concurrency"),
        Case(name: "KServe with behavior", action: .export(plan: elastic.replacingOccurrences(of: "\"target\": 0.6", with: "\"target\": 0.6, \"behavior\": {\"scaleDown\": {\"stabilizationWindow\": \"60s\"}}"), as: .kserve),
             expect: "kserve has no field for the HPA's behavior, which this plan sets"),
        Case(name: "fractional window", action: .export(plan: elastic.replacingOccurrences(of: "\"target\": 0.6", with: "\"target\": 0.6, \"behavior\": {\"scaleDown\": {\"stabilizationWindow\": \"1.5s\"}}"), as: nil),
             expect: "behavior.scaleDown.stabilizationWindow of 1.5s: expected whole seconds from 0 to 3600"),
        Case(name: "KPA as Deployments", action: .export(plan: kpa, as: .deployment), expect: "a KPA plan is exported as Knative Services or KServe InferenceServices, not deployment"),
        Case(name: "KPA utilisation", action: .export(plan: kpa.replacingOccurrences(of: "\"scaler\": \"kpa\"", with: "\"scaler\": \"kpa\", \"kpa\": {\"targetUtilisation\": 0.005}"), as: nil),
             expect: "a KPA targetUtilisation of 0.005: expected 0.01 to 1"),
        Case(name: "KPA panic threshold", action: .export(plan: kpa.replacingOccurrences(of: "\"scaler\": \"kpa\"", with: "\"scaler\": \"kpa\", \"kpa\": {\"panicThreshold\": 1.05}"), as: nil),
             expect: "a panic threshold of 105 %: expected 110 to 1000 %"),
        Case(name: "KPA concurrency", action: .export(plan: kpa, as: nil, scenarioEdits: [("\"concurrency\": 8", "\"concurrency\": 2000")]),
             expect: "model \"embed\" has concurrency 2000: Knative's containerConcurrency is at most 1000"),
        Case(name: "sweep job too big", action: .sweepJob(description: 1 << 20), expect: "bytes: expected at most 1 MiB, what a ConfigMap holds"),
        // cluster.flags
        Case(name: "not a flag", action: .flags("# nodes\nnodes=1:2:cpu\n"), expect: "cluster.flags:2:1: expected a flag as --name=value (or a # comment), found \"nodes=1:2:cpu\""),
        Case(name: "unknown flag", action: .flags("--scan-intervall=10s\n"), expect: "unknown flag --scan-intervall"),
        Case(name: "flag duration", action: .flags("--scan-interval=often\n"), expect: "--scan-interval: expected a duration such as 10s or 10m0s, found \"often\""),
        Case(name: "flag nodes", action: .flags("--nodes=4:2:cpu\n"), expect: "--nodes: expected MIN:MAX:NODE-GROUP with 0 ≤ MIN ≤ MAX, found \"4:2:cpu\""),
        Case(name: "flag cores", action: .flags("--cores-total=64\n"), expect: "--cores-total: expected MIN:MAX with 0 ≤ MIN ≤ MAX and MAX ≥ 1, found \"64\""),
        Case(name: "flag gpus", action: .flags("--gpu-total=0:8\n"), expect: "--gpu-total: expected GPU-TYPE:MIN:MAX"),
        Case(name: "flag tolerance", action: .flags("--horizontal-pod-autoscaler-tolerance=10%\n"), expect: "expected a fraction from 0 to 1, found \"10%\""),
    ]
}
