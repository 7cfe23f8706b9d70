import XCTest
import Foundation
@testable import Kubernetes
@testable import Scenario
import Planning

/// `import(export(plan))` gives the plan back, for every bundled plan that has a Kubernetes
/// form, in every form it has.
final class RoundTripTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Reads exported files back as `headroom import kubernetes` does.
    static func read(_ files: [ExportedFile]) throws -> ([ManifestObject], [ClusterFlags]) {
        var objects: [ManifestObject] = []
        var flags: [ClusterFlags] = []
        for f in files {
            if ClusterFlags.looksLikeFlags(Array(f.text.utf8)) {
                flags.append(try ClusterFlags.parse(f.text, file: f.name))
            } else {
                objects += try Manifest.objects(in: try JSONReader.parse(f.text, file: f.name), file: f.name)
            }
        }
        return (objects, flags)
    }

    /// The plan as it runs: defaults the importer leaves out filled in, settings the policy
    /// ignores set to what the importer gives, and commitments (billing, not cluster objects)
    /// dropped.
    static func normalised(_ plan: Plan, in s: Scenario) throws -> Plan {
        var p = plan
        p.commitments = []
        switch p.policy {
        case let .traditional(nodes, instances):
            let counts = PlanReplicas.traditional(s, nodes: nodes, instances: instances)
            let used = PlanBuilder.usedModels(s)
            p.policy = .traditional(nodes: nodes, instances: s.models.indices.map { m in
                used[m] && s.models[m].variantOf == nil ? counts[m] : instances[m] })
        case var .elastic(e):
            let used = PlanBuilder.usedModels(s)
            var ranges: [InstanceRange] = []
            for m in s.models.indices where used[m] && s.models[m].variantOf == nil {
                let r = e.instances.first { $0.model == m }
                ranges.append(InstanceRange(model: m, min: r?.min ?? 1, max: r?.max ?? 1000))
            }
            e.instances = ranges
            p.policy = .elastic(e)
        case var .serverless(sv):
            if sv.kpa != nil { sv.keepAlive = 600; sv.concurrencyLimit = 0 }
            p.policy = .serverless(sv)
        }
        return p
    }

    func testEveryBundledPlanComesBack() throws {
        let folder = Self.root.appendingPathComponent("Scenarios")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") && $0 != "schema.json" }.sorted()
        var mapped = 0, refused = 0
        var forms: [String: Int] = [:]
        for name in files {
            let path = folder.appendingPathComponent(name).path
            let scenario = try ScenarioLoader.load(path: path)
            let (root, directory) = try ScenarioLoader.read(path: path)
            for (k, plan) in scenario.plans.enumerated() {
                var any = false
                for format in ExportFormat.allCases {
                    let exported: ExportResult
                    do {
                        exported = try KubernetesExport.export(scenario, planIndex: k, as: format, prometheus: "http://prometheus.monitoring:9090")
                    } catch let e as ScenarioError {
                        XCTAssertEqual(e.path, plan.jsonPath, "\(name) \(plan.name) \(format): \(e)")
                        continue
                    }
                    any = true
                    forms[format.rawValue, default: 0] += 1
                    let (objects, flags) = try Self.read(exported.files)
                    let result = try KubernetesImport.plan(objects: objects, flags: flags, scenario: scenario, root: root,
                                                           options: ImportOptions(planName: plan.name))
                    XCTAssertEqual(result.family, plan.policy.family, "\(name) \(plan.name) \(format)")
                    XCTAssertTrue(result.modelChanges.isEmpty, "\(name) \(plan.name) \(format): \(result.modelChanges.map(\.description))")
                    let back = try ScenarioLoader.decode(root: result.applied(to: root), file: path, directory: directory)
                    XCTAssertEqual(back.models, scenario.models, "\(name) \(plan.name) \(format)")
                    XCTAssertEqual(back.plans.map(\.name), scenario.plans.map(\.name))
                    XCTAssertEqual(try Self.normalised(back.plans[k], in: back), try Self.normalised(plan, in: scenario),
                                   "\(name) \(plan.name) as \(format): \(result.plan.text())")
                }
                if any { mapped += 1 } else { refused += 1 }
            }
        }
        // The bundled scenarios hold traditional, elastic and KPA plans, each with a form.
        XCTAssertGreaterThanOrEqual(mapped, 30)
        XCTAssertGreaterThan(forms["knative"] ?? 0, 5)
        XCTAssertGreaterThan(forms["kserve"] ?? 0, 5)
        XCTAssertGreaterThan(forms["keda"] ?? 0, 5)
        print("round trip: \(mapped) bundled plans come back (\(forms.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))); \(refused) have no Kubernetes form")
    }
}
