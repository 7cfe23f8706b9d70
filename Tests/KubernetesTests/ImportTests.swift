import XCTest
import Foundation
@testable import Kubernetes
@testable import Scenario

/// Objects as `kubectl get … -o json` prints them (status, managed fields, the API server's
/// defaults filled in) → the plan, the model changes and the list of what is not honoured.
final class ImportTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func load(_ names: [String], text: [String: String] = [:]) throws -> ([ManifestObject], [ClusterFlags]) {
        var objects: [ManifestObject] = []
        var flags: [ClusterFlags] = []
        for name in names {
            let body = try text[name] ?? String(contentsOf: Self.fixtures.appendingPathComponent(name), encoding: .utf8)
            if ClusterFlags.looksLikeFlags(Array(body.utf8)) { flags.append(try ClusterFlags.parse(body, file: name)) }
            else { objects += try Manifest.objects(in: try JSONReader.parse(body, file: name), file: name) }
        }
        return (objects, flags)
    }

    func importing(_ names: [String], text: [String: String] = [:], plan: String = "imported", model: String? = nil,
                   nodes: [(type: String, min: Int, max: Int)] = [("cpu.m5xl", 1, 4), ("gpu.g5", 1, 2)]) throws -> (ImportResult, Scenario) {
        let path = Self.fixtures.appendingPathComponent("scenario.json").path
        let scenario = try ScenarioLoader.load(path: path)
        let (root, dir) = try ScenarioLoader.read(path: path)
        let (objects, flags) = try load(names, text: text)
        let result = try KubernetesImport.plan(objects: objects, flags: flags, scenario: scenario, root: root,
                                               options: ImportOptions(planName: plan, model: model, nodes: nodes))
        return (result, try ScenarioLoader.decode(root: result.applied(to: root), file: path, directory: dir))
    }

    func testDeploymentsWithAnHPA() throws {
        let (r, s) = try importing(["kubectl-deploy-hpa.json"])
        XCTAssertEqual(r.family, "elastic")
        XCTAssertEqual(r.read, ["Deployment/chat", "HorizontalPodAutoscaler/chat", "Deployment/embed"])
        XCTAssertEqual(r.skipped.count, 1)
        XCTAssertTrue(r.skipped[0].hasPrefix("Secret/registry-credentials (v1): a kind Headroom does not map"), r.skipped[0])
        guard case let .elastic(e) = s.plans.last!.policy else { return XCTFail("not elastic") }
        XCTAssertEqual(e.metric, "utilisation")
        XCTAssertEqual(e.target, 0.65, accuracy: 1e-12)
        // Deployment/embed has no autoscaler: its 2 replicas become a fixed range.
        XCTAssertEqual(e.instances, [InstanceRange(model: 0, min: 2, max: 12), InstanceRange(model: 1, min: 2, max: 2)])
        XCTAssertEqual(e.nodes, [NodeRange(hardware: 0, min: 1, max: 4), NodeRange(hardware: 1, min: 1, max: 2)])
        XCTAssertEqual(e.behavior?.scaleDown, BehaviorSpec.Rules(stabilizationWindow: 120, selectPolicy: "Max",
                                                                 policies: [BehaviorSpec.Policy(type: "Pods", value: 1, period: 60)]))
        XCTAssertEqual(e.behavior?.scaleUp?.policies?.count, 2)
        XCTAssertEqual(e.behavior?.scaleUp?.stabilizationWindow, 0)
        // The pod's requests, summed over its two containers, become the model's.
        XCTAssertEqual(s.models[0].requires.vcpus, 1.6, accuracy: 1e-12)
        XCTAssertEqual(s.models[0].requires.memoryGiB, 3.125, accuracy: 1e-12)
        XCTAssertNil(s.models[0].limitVCPUs)
        XCTAssertEqual(r.modelChanges.map(\.description), ["models.chat.requires.vcpus: 1 → 1.6 (Deployment/chat)",
                                                           "models.chat.requires.memoryGiB: 2 → 3.125 GiB (Deployment/chat)"])
        let notes = r.notHonoured.joined(separator: "\n")
        for fragment in ["ephemeral-storage: Headroom models CPU, memory and GPUs only", "limits.memory: memory limits (OOM kills) are not modelled",
                         "1 of 2 containers have a CPU limit", "spec.metrics[1]: Resource memory: Headroom does not model memory use",
                         "Deployment/embed: no autoscaler; its 2 replicas become the model's instance range 2…2",
                         "Deployment/chat spec.strategy: rolling updates are the scenario's rollout"] {
            XCTAssertTrue(notes.contains(fragment), "missing \(fragment) in\n\(notes)")
        }
    }

    func testKnativeServiceWithTheClusterConfigMap() throws {
        let (r, s) = try importing(["knative.json"])
        XCTAssertEqual(r.family, "serverless")
        guard case let .serverless(sv) = s.plans.last!.policy, let k = sv.kpa else { return XCTFail("not a KPA plan") }
        XCTAssertEqual(sv.hosting, .self)
        // target 6 at 80 % of containerConcurrency 10: 4.8 per pod, 0.48 of the model's 10.
        XCTAssertEqual(s.models[0].concurrency, 10)
        XCTAssertEqual(k.targetUtilisation!, 0.48, accuracy: 1e-12)
        XCTAssertEqual(k.stableWindow, 40)
        XCTAssertEqual(k.panicWindowPercentage, 20)
        XCTAssertEqual(k.panicThreshold!, 1.5, accuracy: 1e-12)
        XCTAssertEqual(k.maxScaleUpRate, 100)
        XCTAssertEqual(k.maxScaleDownRate, 4)
        XCTAssertEqual(k.scaleToZeroGrace, 45)
        let notes = r.notHonoured.joined(separator: "\n")
        for fragment in ["autoscaling.knative.dev/min-scale \"1\": a per-revision floor is not modelled",
                         "data.activator-capacity \"100.0\": not modelled", "model \"embed\": the workload sends it requests but no manifest serves it",
                         "is read as targetUtilisation 0.48"] {
            XCTAssertTrue(notes.contains(fragment), "missing \(fragment) in\n\(notes)")
        }
        XCTAssertFalse(notes.contains("scale-down-delay"), "a neutral value is not listed: \(notes)")
    }

    func testKEDAPrometheusTriggerOnVLLMsQueue() throws {
        let (r, s) = try importing(["keda.json"])
        guard case let .elastic(e) = s.plans.last!.policy else { return XCTFail("not elastic") }
        XCTAssertEqual(e.metric, "queue-length")
        XCTAssertEqual(e.target, 2.5)
        XCTAssertEqual(e.instances, [InstanceRange(model: 1, min: 1, max: 8)])
        XCTAssertEqual(e.behavior?.scaleDown?.stabilizationWindow, 60)
        let unread = try importing(["keda.json"], text: ["keda.json": String(contentsOf: Self.fixtures.appendingPathComponent("keda.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"advanced\": {", with: "\"advanced\": { \"restoreToOriginalReplicaCount\": true,")]).0.notHonoured
        XCTAssertTrue(unread.contains { $0.contains("spec.advanced.restoreToOriginalReplicaCount: KEDA's own scaling options") }, unread.joined(separator: "\n"))
        XCTAssertNil(e.behavior?.scaleUp)
        XCTAssertTrue(r.modelChanges.isEmpty, r.modelChanges.map(\.description).joined())
        XCTAssertTrue(r.notHonoured.contains { $0.contains("model \"chat\"") }, r.notHonoured.joined())
    }

    /// A ScaledObject at minReplicaCount 0 on vLLM's waiting requests scales its model to zero:
    /// the plan gets instances.min 0 and KEDA's polling, cooldown and activation threshold. On
    /// a cpu trigger it cannot (KEDA's cpu scaler is inactive at zero), and the note says so.
    func testKEDAScaleToZeroOnWaitingRequests() throws {
        let keda = try String(contentsOf: Self.fixtures.appendingPathComponent("keda.json"), encoding: .utf8)
        let zero = keda.replacingOccurrences(of: "\"minReplicaCount\": 1", with: "\"minReplicaCount\": 0")
            .replacingOccurrences(of: "\"threshold\": \"2.5\"", with: "\"threshold\": \"2.5\", \"activationThreshold\": \"1\"")
        let (r, s) = try importing(["keda.json"], text: ["keda.json": zero])
        guard case let .elastic(e) = s.plans.last!.policy else { return XCTFail("not elastic") }
        XCTAssertEqual(e.instances, [InstanceRange(model: 1, min: 0, max: 8)])
        var expected = KEDASpec()
        expected.pollingInterval = 15
        expected.cooldownPeriod = 120
        expected.activationThreshold = 1
        XCTAssertEqual(e.keda, expected)
        XCTAssertFalse(r.notHonoured.contains { $0.contains("minReplicaCount") || $0.contains("pollingInterval") || $0.contains("activationThreshold") }, r.notHonoured.joined(separator: "\n"))
        // At minReplicaCount 1 the same settings are noted, not modelled.
        let (one, _) = try importing(["keda.json"], text: ["keda.json": keda])
        XCTAssertTrue(one.notHonoured.contains { $0.contains("spec.pollingInterval: applies to scaling to and from zero only") }, one.notHonoured.joined(separator: "\n"))
    }

    func testKServeServerlessWithAModelFormat() throws {
        let (r, s) = try importing(["kserve.json"])
        guard case let .serverless(sv) = s.plans.last!.policy, let k = sv.kpa else { return XCTFail("not a KPA plan") }
        // scaleTarget 3 at the default 70 %, of containerConcurrency 4.
        XCTAssertEqual(k.targetUtilisation!, 3 * 0.7 / 4, accuracy: 1e-12)
        XCTAssertEqual(k.stableWindow, 30)
        XCTAssertEqual(r.read, ["InferenceService/chat"])
        XCTAssertTrue(r.modelChanges.isEmpty)
    }

    func testDeploymentsAloneAreATraditionalPlanWithTheirReplicas() throws {
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent("kubectl-deploy-hpa.json"), encoding: .utf8)
        let withoutHPA = text.replacingOccurrences(of: "\"kind\": \"HorizontalPodAutoscaler\"", with: "\"kind\": \"PodDisruptionBudget\"")
            .replacingOccurrences(of: "\"apiVersion\": \"autoscaling/v2\"", with: "\"apiVersion\": \"policy/v1\"")
        let (r, s) = try importing(["deploy.json"], text: ["deploy.json": withoutHPA], nodes: [("cpu.m5xl", 2, 3), ("gpu.g5", 2, 2)])
        XCTAssertEqual(r.family, "traditional")
        guard case let .traditional(nodes, instances) = s.plans.last!.policy else { return XCTFail("not traditional") }
        XCTAssertEqual(nodes, [3, 2])
        XCTAssertEqual(instances, [3, 2])
        XCTAssertTrue(r.notHonoured.contains("node group cpu.m5xl 2:3: a traditional plan has a fixed node count; it takes the maximum, 3"), r.notHonoured.joined(separator: "\n"))
    }

    func testTheCompanionFlagsGiveNodesAndControllerSettings() throws {
        let flags = """
        # comment
        --nodes=0:5:cpu.m5xl
        --nodes=1:1:gpu.g5
        --scan-interval=20s
        --scale-down-unneeded-time=5m0s
        --scale-down-delay-after-add=2m
        --cores-total=0:32
        --gpu-total=nvidia-a10g:0:4
        --horizontal-pod-autoscaler-sync-period=30s
        --horizontal-pod-autoscaler-tolerance=0.05
        --horizontal-pod-autoscaler-downscale-stabilization=2m

        """
        let (_, s) = try importing(["kubectl-deploy-hpa.json", "cluster.flags"], text: ["cluster.flags": flags], nodes: [])
        guard case let .elastic(e) = s.plans.last!.policy else { return XCTFail("not elastic") }
        XCTAssertEqual(e.nodes, [NodeRange(hardware: 0, min: 0, max: 5), NodeRange(hardware: 1, min: 1, max: 1)])
        XCTAssertEqual(e.nodeScanInterval, 20)
        XCTAssertEqual(e.nodeUnneededTime, 300)
        XCTAssertEqual(e.scaleDownDelayAfterAdd, 120)
        XCTAssertEqual(e.quota.vcpus, 32)
        XCTAssertEqual(e.quota.gpus, 4)
        XCTAssertEqual(e.syncPeriod, 30)
        XCTAssertEqual(e.tolerance, 0.05)
        XCTAssertEqual(e.downscaleStabilization, 120)
    }

    func testQuantities() {
        let good: [(String, Double)] = [("500m", 0.5), ("2", 2), ("1.5", 1.5), ("4Gi", 4 * 0x1p30), ("512Mi", 0x1p29), ("1e3", 1000), ("2E-1", 0.2),
                                        ("100k", 1e5), ("1M", 1e6), ("+3", 3), (".5", 0.5), ("250u", 250e-6)]
        for (text, value) in good { XCTAssertEqual(Quantity.parse(text)!, value, accuracy: value * 1e-12, text) }
        for bad in ["500x", "1.5.3Gi", "", "Gi", "1 Gi", "1Gib", "--1", "1e", "0x10", "1.2.3", "m"] { XCTAssertNil(Quantity.parse(bad), bad) }
        XCTAssertEqual(Quantity.cpu(2), "2")
        XCTAssertEqual(Quantity.cpu(0.25), "250m")
        XCTAssertEqual(Quantity.memory(gib: 4), "4Gi")
        XCTAssertEqual(Quantity.memory(gib: 0.5), "512Mi")
        XCTAssertEqual(Quantity.value(2.5), "2500m")
        for x in [0.001, 0.25, 1, 1.5, 3.125, 96] {
            XCTAssertEqual(Quantity.parse(Quantity.cpu(x))!, x, accuracy: 1e-12)
            // Memory is kept to the byte.
            XCTAssertEqual(Quantity.parse(Quantity.memory(gib: x))!, (x * 0x1p30).rounded(), accuracy: 1e-12)
            XCTAssertEqual(Quantity.parse(Quantity.value(x))!, x, accuracy: 1e-12)
        }
    }

    func testPromQLMetricNames() {
        XCTAssertEqual(KubernetesImport.identifiers(in: "sum(rate(vllm:num_requests_waiting{model_name=\"x\"}[1m])) by (pod)"),
                       ["vllm:num_requests_waiting", "by", "pod"])
        XCTAssertEqual(KubernetesImport.identifiers(in: "avg(headroom_queue_depth{model=\"a b\"})"), ["headroom_queue_depth"])
    }

    /// Bad objects: each a clear error naming the file, the object, the field and what was expected.
    func testBadObjects() throws {
        let deploy = try String(contentsOf: Self.fixtures.appendingPathComponent("kubectl-deploy-hpa.json"), encoding: .utf8)
        let knative = try String(contentsOf: Self.fixtures.appendingPathComponent("knative.json"), encoding: .utf8)
        let keda = try String(contentsOf: Self.fixtures.appendingPathComponent("keda.json"), encoding: .utf8)
        let cases: [(String, String, String)] = [
            ("unknown API version", deploy.replacingOccurrences(of: "autoscaling/v2", with: "autoscaling/v2beta1"),
             "HorizontalPodAutoscaler/chat apiVersion: unknown API version \"autoscaling/v2beta1\" for a HorizontalPodAutoscaler"),
            ("no metric modelled", deploy.replacingOccurrences(of: "\"name\": \"cpu\", \"target\": { \"averageUtilization\": 65", with: "\"name\": \"ephemeral\", \"target\": { \"averageUtilization\": 65"),
             "no metric of HorizontalPodAutoscaler/chat is one Headroom can model"),
            ("bad quantity", deploy.replacingOccurrences(of: "\"1500m\"", with: "\"500x\""),
             "Deployment/chat spec.template.spec.containers[0].resources.requests.cpu: expected a quantity such as 500m, 2 or 4Gi, found \"500x\""),
            ("two points", deploy.replacingOccurrences(of: "\"3Gi\"", with: "\"1.5.3Gi\""), "found \"1.5.3Gi\""),
            ("target names no Deployment", deploy.replacingOccurrences(of: "\"kind\": \"Deployment\", \"name\": \"chat\"", with: "\"kind\": \"Deployment\", \"name\": \"chta\""),
             "HorizontalPodAutoscaler/chat scales Deployment/chta, which is not among the objects given"),
            ("window out of range", knative.replacingOccurrences(of: "\"40s\"", with: "\"5s\""),
             "autoscaling.knative.dev/window: expected a duration from 6s to 3600s (Knative's limits), found \"5s\""),
            ("panic threshold out of range", knative.replacingOccurrences(of: "\"150.0\"", with: "\"105\""),
             "expected a panic threshold percentage from 110 to 1000 (Knative's limits), found \"105\""),
            ("unknown annotation", knative.replacingOccurrences(of: "autoscaling.knative.dev/window", with: "autoscaling.knative.dev/windw"),
             "unknown annotation autoscaling.knative.dev/windw"),
            ("rps", knative.replacingOccurrences(of: "\"metric\": \"concurrency\"", with: "\"metric\": \"rps\"")
                .replacingOccurrences(of: "autoscaling.knative.dev/metric\": \"concurrency\"", with: "autoscaling.knative.dev/metric\": \"rps\""),
             "Service/chat scales on rps: expected concurrency"),
            ("unknown query", keda.replacingOccurrences(of: "vllm:num_requests_waiting", with: "http_requests_total"),
             "no trigger of ScaledObject/embed is one Headroom can model — spec.triggers[0]: prometheus query"),
            ("no name", deploy.replacingOccurrences(of: "\"name\": \"embed\", \"namespace\"", with: "\"nam\": \"embed\", \"namespace\""),
             "items[1].metadata.name: expected a metadata.name in every Kubernetes object, found none"),
        ]
        for (name, text, fragment) in cases {
            XCTAssertThrowsError(try importing(["objects.json"], text: ["objects.json": text]), name) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(fragment), "\(name): \(message)")
                XCTAssertTrue(message.hasPrefix("objects.json:"), "\(name): the file and line first: \(message)")
            }
        }
        // A plan cannot be two families; no nodes anywhere; a model that is not there.
        XCTAssertThrowsError(try importing(["kubectl-deploy-hpa.json", "knative.json"])) { XCTAssertTrue("\($0)".contains("one plan is one policy family"), "\($0)") }
        XCTAssertThrowsError(try importing(["kubectl-deploy-hpa.json"], nodes: [])) { XCTAssertTrue("\($0)".contains("give --nodes TYPE=MIN:MAX"), "\($0)") }
        XCTAssertThrowsError(try importing(["kubectl-deploy-hpa.json"], model: "chta")) {
            XCTAssertTrue("\($0)".contains("maps to no model of") && "\($0)".contains("did you mean 'chat'?"), "\($0)")
        }
        XCTAssertThrowsError(try importing(["cluster.flags", "keda.json"], text: ["cluster.flags": "--nodes=1:2:cpu.m5xl\n--scan-intervall=10s\n"], nodes: [])) {
            XCTAssertTrue("\($0)".hasPrefix("cluster.flags:2:1: unknown flag --scan-intervall") && "\($0)".contains("did you mean 'scan-interval'?"), "\($0)")
        }
    }
}
