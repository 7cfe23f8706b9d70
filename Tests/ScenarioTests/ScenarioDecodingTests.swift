import Foundation
import XCTest
@testable import Scenario

final class ScenarioDecodingTests: XCTestCase {
    func testValidScenarioDecodesInFileOrder() throws {
        let s = try ScenarioLoader.decode(validScenario, file: "test.json")
        XCTAssertEqual(s.name, "fixture")
        XCTAssertEqual(s.seed, 3)
        XCTAssertEqual(s.duration, 600)
        XCTAssertEqual(s.hardware.map(\.name), ["cpu", "gpu"])
        XCTAssertEqual(s.hardware[0].billing, Billing.ec2Linux, "default billing is EC2 Linux: 1 s increment, 60 s minimum")
        XCTAssertEqual(s.models.map(\.name), ["small", "big"])
        XCTAssertEqual(s.models[0].service[0], .constant(0.04))
        XCTAssertEqual(s.models[0].queueLimit, 10_000)
        XCTAssertEqual(s.models[1].concurrency, 1)
        XCTAssertEqual(s.targetNames, ["small", "big", "both"])
        XCTAssertEqual(s.stages(of: TargetRef(index: 2)), [1, 0])
        XCTAssertEqual(s.plans.map(\.name), ["reserved", "auto"])
        XCTAssertEqual(s.slo.timeout, 30)
        XCTAssertEqual(s.slo.percentile, 99)
        guard case let .bursts(base, peak, every, length, offset) = s.workload[1].kind else { return XCTFail() }
        XCTAssertEqual([base, peak, every, length, offset], [1, 4, 300, 30, 0])
        XCTAssertEqual(s.expectations[0].bounds, [.maxRatioTo(plan: 0, value: 1.5)])
    }

    func testDurations() {
        let cases: [(String, Double?)] = [("250ms", 0.25), ("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400),
                                          ("1h30m", 5400), ("1.5s", 1.5), ("100us", 0.0001), ("12", 12), ("5 min", nil),
                                          ("5min", 300), ("ten", nil), ("", nil), ("3x", nil), ("1s2", nil),
                                          // One grammar: largest unit first, each once; common unit words.
                                          ("1s1s", nil), ("30m1h", nil), ("1h30m15s", 5415), ("1hr", 3600), ("2hrs", 7200), ("1d2h", 93600),
                                          ("3days", 259200), ("10sec", 10), ("1m30s", 90), ("500ms250us", 0.50025)]
        for (text, expected) in cases {
            let got = ValueReader.parseDuration(text)
            if let expected, let got {
                XCTAssertEqual(got, expected, accuracy: 1e-12, text)
            } else {
                XCTAssertEqual(got == nil, expected == nil, "\(text) → \(String(describing: got))")
            }
        }
    }

    func testUnknownKeySuggestsTheKnownOne() throws {
        let text = fixture(replacing: "\"concurrency\": 2", with: "\"concurency\": 2")
        let e = try XCTUnwrap(decodeError(text))
        XCTAssertEqual(e.path, "$.models.small.concurency")
        XCTAssertEqual(e.line, line(of: "concurency", in: text))
        XCTAssertEqual(e.message, "unknown key \"concurency\"")
        XCTAssertEqual(e.suggestion, "did you mean 'concurrency'?")
        XCTAssertTrue(e.description.hasPrefix("test.json:\(e.line!):"))
    }

    func testMissingKeyNamesTheObject() throws {
        let e = try XCTUnwrap(decodeError(fixture(replacing: "\"requires\": { \"vcpus\": 1, \"memoryGiB\": 2 }, ", with: "")))
        XCTAssertEqual(e.path, "$.models.small")
        XCTAssertTrue(e.message.contains("missing key \"requires\""), e.message)
    }

    func testWrongTypeSaysWhatWasExpected() throws {
        let e = try XCTUnwrap(decodeError(fixture(replacing: "\"concurrency\": 2", with: "\"concurrency\": \"two\"")))
        XCTAssertEqual(e.path, "$.models.small.concurrency")
        XCTAssertEqual(e.message, "expected a whole number ≥ 1, found \"two\"")
    }

    func testVersionsAndRolloutErrors() throws {
        // Versions need the model's own label.
        var e = try XCTUnwrap(decodeError(fixture(replacing: "\"concurrency\": 2 }", with: "\"concurrency\": 2, \"versions\": { \"2\": {} } }")))
        XCTAssertEqual(e.path, "$.models.small.versions")
        XCTAssertEqual(e.suggestion, "add \"version\": \"1\" to model \"small\"")
        // A rollout to a version that does not exist suggests the closest one.
        e = try XCTUnwrap(decodeError(fixture(replacing: "\"concurrency\": 2 }", with: """
            "concurrency": 2, "version": "1", "versions": { "2.0": { "load": "3s" } },
            "rollout": { "to": "2.1", "steps": [ { "at": "1m", "weight": 10 } ] } }
            """)))
        XCTAssertEqual(e.path, "$.models.small.rollout.to")
        XCTAssertEqual(e.message, "unknown version \"2.1\"")
        XCTAssertEqual(e.suggestion, "did you mean '2.0'?")
        // Steps go forward in time; weights are percentages.
        e = try XCTUnwrap(decodeError(fixture(replacing: "\"concurrency\": 2 }", with: """
            "concurrency": 2, "version": "1", "versions": { "2": {} },
            "rollout": { "to": "2", "steps": [ { "at": "5m", "weight": 10 }, { "at": "2m", "weight": 50 } ] } }
            """)))
        XCTAssertEqual(e.path, "$.models.small.rollout.steps[1].at")
        e = try XCTUnwrap(decodeError(fixture(replacing: "\"concurrency\": 2 }", with: """
            "concurrency": 2, "version": "1", "versions": { "2": {} }, "rollout": { "to": "2", "strategy": "blue-gren", "at": "1m" } }
            """)))
        XCTAssertEqual(e.path, "$.models.small.rollout.strategy")
        XCTAssertEqual(e.suggestion, "did you mean 'blue-green'?")
        // A version overrides only what differs: an unknown key there is refused.
        e = try XCTUnwrap(decodeError(fixture(replacing: "\"concurrency\": 2 }", with: "\"concurrency\": 2, \"version\": \"1\", \"versions\": { \"2\": { \"runsOn\": [\"cpu\"] } } }")))
        XCTAssertEqual(e.path, "$.models.small.versions.2.runsOn")
    }

    func testTrainingJobErrors() throws {
        let job = "{ \"kind\": \"training\", \"name\": \"ft\", \"hardware\": \"gpux\", \"nodes\": 1, \"duration\": \"1h\" },\n    { \"kind\": \"poisson\", \"target\": \"small\", \"rate\": 5 },"
        var e = try XCTUnwrap(decodeError(fixture(replacing: "{ \"kind\": \"poisson\", \"target\": \"small\", \"rate\": 5 },", with: job)))
        XCTAssertEqual(e.path, "$.workload[0].hardware")
        XCTAssertEqual(e.suggestion, "did you mean 'gpu'?")
        e = try XCTUnwrap(decodeError(fixture(replacing: "{ \"kind\": \"poisson\", \"target\": \"small\", \"rate\": 5 },",
                                               with: job.replacingOccurrences(of: "gpux", with: "gpu").replacingOccurrences(of: "\"nodes\": 1", with: "\"nodes\": 0"))))
        XCTAssertEqual(e.path, "$.workload[0].nodes")
        let ok = try ScenarioLoader.decode(fixture(replacing: "{ \"kind\": \"poisson\", \"target\": \"small\", \"rate\": 5 },",
                                                   with: job.replacingOccurrences(of: "gpux", with: "gpu").replacingOccurrences(of: "\"duration\": \"1h\"", with: "\"duration\": \"1h\", \"start\": \"2m\", \"every\": \"4m\"")), file: "t.json")
        XCTAssertEqual(ok.workload.count, 2, "training entries are not request sources")
        XCTAssertEqual(ok.training.map(\.priority), [1])
        XCTAssertEqual(ok.trainingSubmissions.map(\.time), [120, 360], "every 4 min from 2 min within the 10 min")
    }

    func testGraphPipelineErrors() throws {
        var e = try XCTUnwrap(decodeError(fixture(replacing: "\"both\": [\"big\", \"small\"]", with: "\"both\": { \"big\": [\"small\"], \"small\": [\"big\"] }")))
        XCTAssertEqual(e.path, "$.pipelines.both")
        XCTAssertEqual(e.message, "the stages \"big\", \"small\" wait for each other in a cycle")
        e = try XCTUnwrap(decodeError(fixture(replacing: "\"both\": [\"big\", \"small\"]", with: "\"both\": { \"big\": [], \"small\": [\"bigg\"] }")))
        XCTAssertEqual(e.path, "$.pipelines.both.small[0]")
        XCTAssertEqual(e.suggestion, "did you mean 'big'?")
        e = try XCTUnwrap(decodeError(fixture(replacing: "\"both\": [\"big\", \"small\"]", with: "\"both\": { \"big\": [], \"tiny\": [\"big\"] }")))
        XCTAssertEqual(e.path, "$.pipelines.both.tiny")
        let ok = try ScenarioLoader.decode(fixture(replacing: "\"both\": [\"big\", \"small\"]", with: "\"both\": { \"big\": [], \"small\": [\"big\"] }"), file: "t.json")
        XCTAssertEqual(ok.pipelines[0].dependencies, [[], [0]])
    }

    func testSpotNodeTypes() throws {
        let cpu = "\"cpu\": { \"vcpus\": 4, \"memoryGiB\": 8, \"pricePerHour\": 0.17 }"
        func spot(_ body: String) -> String {
            fixture(replacing: cpu, with: "\"cpu\": { \"vcpus\": 4, \"memoryGiB\": 8, \"pricePerHour\": 0.07, \"spot\": \(body) }")
        }
        var e = try XCTUnwrap(decodeError(spot("{ \"notice\": \"30s\" }")))
        XCTAssertEqual(e.path, "$.hardware.cpu.spot")
        XCTAssertTrue(e.message.contains("needs \"interruptionsPerHour\" > 0 or \"waves\""), e.message)
        e = try XCTUnwrap(decodeError(spot("{ \"waves\": [\"1h\"], \"interrupted\": \"retyr\" }")))
        XCTAssertEqual(e.path, "$.hardware.cpu.spot.interrupted")
        XCTAssertEqual(e.message, "unknown value \"retyr\"; expected \"retry\" or \"fail\"")
        e = try XCTUnwrap(decodeError(spot("{ \"waves\": \"1h\" }")))
        XCTAssertEqual(e.path, "$.hardware.cpu.spot.waves")
        e = try XCTUnwrap(decodeError(spot("{ \"interruptionsPerHour\": -1 }")))
        XCTAssertEqual(e.path, "$.hardware.cpu.spot.interruptionsPerHour")
        e = try XCTUnwrap(decodeError(spot("{ \"interruptionsPerHour\": 1, \"noticee\": \"1m\" }")))
        XCTAssertEqual(e.path, "$.hardware.cpu.spot.noticee")
        let ok = try ScenarioLoader.decode(spot("{ \"interruptionsPerHour\": 0.1, \"waves\": [\"2h\", \"30m\"], \"interrupted\": \"fail\" }"), file: "t.json")
        let s = try XCTUnwrap(ok.hardware[0].spot)
        XCTAssertEqual(s.interruptionsPerHour, 0.1)
        XCTAssertEqual(s.notice, 120, "EC2's two-minute notice by default")
        XCTAssertEqual(s.waves, [1800, 7200], "in time order")
        XCTAssertFalse(s.retryInterrupted)
        XCTAssertNil(ok.hardware[1].spot)
    }

    /// `cpu`, `limits` and `hardware.<t>.contention`: values, defaults, and bad values with
    /// the line, the JSON path and what was expected.
    func testContentionKeys() throws {
        let small = "\"service\": { \"cpu\": \"40ms\" }, \"concurrency\": 2 }"
        func model(_ extra: String) -> String { fixture(replacing: small, with: "\"service\": { \"cpu\": \"40ms\" }, \"concurrency\": 2, \(extra) }") }
        let ok = try ScenarioLoader.decode(model("\"cpu\": { \"fraction\": 0.8, \"init\": 1, \"startupThreads\": 2, \"instanceThreads\": 1, \"startupBoost\": { \"factor\": 2, \"afterReady\": \"10s\" } }, \"limits\": { \"vcpus\": 1.5, \"period\": \"50ms\" }"), file: "t.json")
        let cpu = try XCTUnwrap(ok.models[0].cpu)
        XCTAssertEqual(cpu.fraction, 0.8)
        XCTAssertEqual(cpu.threads, 1, "one thread by default")
        XCTAssertEqual(cpu.initFraction, 1)
        XCTAssertEqual(cpu.loadFraction, 0)
        XCTAssertEqual(cpu.startupThreads, 2)
        XCTAssertEqual(ok.models[0].limitVCPUs, 1.5)
        XCTAssertEqual(ok.models[0].limitPeriod, 0.05)
        XCTAssertEqual(cpu.instanceThreads, 1)
        XCTAssertEqual(cpu.startupBoost, StartupBoost(factor: 2, afterReady: 10))
        XCTAssertNil(ok.models[1].cpu)
        XCTAssertEqual(ok.models[1].limitPeriod, 0.1, "the kernel's default period")
        let cases: [(String, String, String)] = [
            ("\"cpu\": { \"fraction\": -0.1 }", "$.models.small.cpu.fraction", "expected a number ≥ 0"),
            ("\"cpu\": { \"fraction\": 1.5 }", "$.models.small.cpu.fraction", "≤ 1"),
            ("\"cpu\": { \"threads\": 0 }", "$.models.small.cpu.threads", "> 0"),
            ("\"cpu\": { \"therads\": 2 }", "$.models.small.cpu.therads", "did you mean 'threads'"),
            ("\"limits\": { \"vcpus\": -1 }", "$.models.small.limits.vcpus", "> 0"),
            ("\"limits\": { \"vcpus\": 0.5 }", "$.models.small.limits.vcpus", "at least the request of 1 vCPU, found 0.5"),
            ("\"limits\": { \"memoryGiB\": 1 }", "$.models.small.limits.memoryGiB", "unknown key"),
            ("\"limits\": { \"vcpus\": 2, \"period\": \"2s\" }", "$.models.small.limits.period", "from 1 ms to 1 s"),
            ("\"limits\": { \"vcpus\": 2, \"period\": 0 }", "$.models.small.limits.period", "positive"),
            ("\"limits\": { \"period\": \"100ms\" }", "$.models.small.limits.period", "without a CPU limit"),
            ("\"cpu\": { \"instanceThreads\": 0 }", "$.models.small.cpu.instanceThreads", "> 0"),
            ("\"cpu\": { \"startupBoost\": { } }", "$.models.small.cpu.startupBoost", "factor"),
            ("\"cpu\": { \"startupBoost\": { \"factor\": 0.5 } }", "$.models.small.cpu.startupBoost.factor", "≥ 1"),
            ("\"cpu\": { \"startupBoost\": { \"factor\": 2, \"afterReady\": \"-1s\" } }", "$.models.small.cpu.startupBoost.afterReady", "duration"),
        ]
        for (extra, path, message) in cases {
            let e = try XCTUnwrap(decodeError(model(extra)), extra)
            XCTAssertEqual(e.path, path, extra)
            XCTAssertTrue(e.message.contains(message) || (e.suggestion ?? "").contains(message), "\(extra): \(e.message) / \(e.suggestion ?? "")")
            XCTAssertNotNil(e.line, "a line to point at")
        }
        let cpuType = "\"cpu\": { \"vcpus\": 4, \"memoryGiB\": 8, \"pricePerHour\": 0.17 }"
        func hardware(_ body: String) -> String {
            fixture(replacing: cpuType, with: "\"cpu\": { \"vcpus\": 4, \"memoryGiB\": 8, \"pricePerHour\": 0.17, \"contention\": \(body) }")
        }
        let h = try ScenarioLoader.decode(hardware("{ \"backgroundVCPUs\": 0.5, \"interference\": 0.3, \"startupInterference\": 0.08 }"), file: "t.json")
        XCTAssertEqual(h.hardware[0].contention.backgroundVCPUs, 0.5)
        XCTAssertEqual(h.hardware[0].contention.interference, 0.3)
        XCTAssertEqual(h.hardware[0].contention.startupInterference, 0.08)
        XCTAssertEqual(try XCTUnwrap(decodeError(hardware("{ \"startupInterference\": -0.1 }"))).path, "$.hardware.cpu.contention.startupInterference")
        XCTAssertEqual(h.hardware[0].contention.runQueues, .node, "one fluid for the node unless said")
        XCTAssertEqual(try ScenarioLoader.decode(hardware("{ \"runQueues\": \"per-core\" }"), file: "t.json").hardware[0].contention.runQueues, .perCore)
        let queues = try XCTUnwrap(decodeError(hardware("{ \"runQueues\": \"percore\" }")))
        XCTAssertEqual(queues.path, "$.hardware.cpu.contention.runQueues")
        XCTAssertTrue(queues.message.contains("expected one of \"node\", \"per-core\"") && (queues.suggestion ?? "").contains("per-core"), "\(queues.message) / \(queues.suggestion ?? "")")
        XCTAssertNotNil(queues.line)
        var e = try XCTUnwrap(decodeError(hardware("{ \"backgroundVCPUs\": 5 }")))
        XCTAssertEqual(e.path, "$.hardware.cpu.contention.backgroundVCPUs")
        XCTAssertTrue(e.message.contains("≤ 4"), e.message)
        e = try XCTUnwrap(decodeError(hardware("{ \"interference\": -1 }")))
        XCTAssertEqual(e.path, "$.hardware.cpu.contention.interference")
    }

    func testSimpleScalingAlarmsTakeOneAdjustment() throws {
        let pools = "\"nodes\": { \"cpu\": { \"min\": 1, \"max\": 2 }, \"gpu\": { \"min\": 0, \"max\": 1 } }"
        func plan(_ body: String) -> String {
            fixture(replacing: "\"plans\": {", with: "\"plans\": { \"s\": { \"policy\": \"elastic\", \"scaler\": \"simple\", \(pools), \(body) },")
        }
        var e = try XCTUnwrap(decodeError(plan("\"scaleOut\": { \"threshold\": 0.7, \"steps\": [{ \"lower\": 0, \"change\": 1 }] }")))
        XCTAssertEqual(e.path, "$.plans.s.scaleOut")
        XCTAssertTrue(e.message.contains("exactly one adjustment"), e.message)
        e = try XCTUnwrap(decodeError(plan("\"warmup\": \"60s\", \"scaleOut\": { \"threshold\": 0.7, \"change\": 1 }")))
        XCTAssertEqual(e.path, "$.plans.s.warmup", "warm-up is step scaling's")
        let ok = try ScenarioLoader.decode(plan("\"scaleOut\": { \"threshold\": 0.7, \"change\": 2 }"), file: "t.json")
        guard case let .elastic(p) = ok.plans[0].policy else { return XCTFail("not elastic") }
        XCTAssertEqual(p.step?.cooldown, 300, "EC2's DefaultCooldown")
        XCTAssertEqual(p.step?.scaleOut?.steps.map(\.value), [2])
    }

    func testNegativeRate() throws {
        let e = try XCTUnwrap(decodeError(fixture(replacing: "\"rate\": 5", with: "\"rate\": -5")))
        XCTAssertEqual(e.path, "$.workload[0].rate")
        XCTAssertEqual(e.message, "expected a number ≥ 0, found -5")
    }

    func testModelThatFitsNoNodeType() throws {
        let e = try XCTUnwrap(decodeError(fixture(replacing: "\"requires\": { \"vcpus\": 1, \"memoryGiB\": 2 }",
                                                  with: "\"requires\": { \"vcpus\": 1, \"memoryGiB\": 64 }")))
        XCTAssertEqual(e.path, "$.models.small.requires")
        XCTAssertTrue(e.message.contains("fits no node type"), e.message)
        XCTAssertTrue(e.message.contains("cpu has 4 vCPU, 8 GiB"), e.message)
    }

    func testUnknownTargetSuggestsTheClosest() throws {
        let e = try XCTUnwrap(decodeError(fixture(replacing: "\"target\": \"small\"", with: "\"target\": \"smal\"")))
        XCTAssertEqual(e.path, "$.workload[0].target")
        XCTAssertEqual(e.message, "unknown target \"smal\"")
        XCTAssertEqual(e.suggestion, "did you mean 'small'?")
    }

    func testUnknownNodeTypeInRunsOn() throws {
        let e = try XCTUnwrap(decodeError(fixture(replacing: "\"runsOn\": [\"cpu\"]", with: "\"runsOn\": [\"cpx\"]")))
        XCTAssertEqual(e.path, "$.models.small.runsOn[0]")
        XCTAssertEqual(e.suggestion, "did you mean 'cpu'?")
    }

    func testUnknownMetricAndPlanInGates() throws {
        var e = try XCTUnwrap(decodeError(fixture(replacing: "\"metric\": \"cost_usd\"", with: "\"metric\": \"cost_usdd\"")))
        XCTAssertEqual(e.path, "$.expect[0].metric")
        XCTAssertEqual(e.suggestion, "did you mean 'cost_usd'?")
        e = try XCTUnwrap(decodeError(fixture(replacing: "\"maxRatioTo\": \"reserved\"", with: "\"maxRatioTo\": \"reservd\"")))
        XCTAssertEqual(e.path, "$.expect[0].maxRatioTo")
    }

    func testUnknownPolicyAndDistribution() throws {
        var e = try XCTUnwrap(decodeError(fixture(replacing: "\"policy\": \"elastic\"", with: "\"policy\": \"elastc\"")))
        XCTAssertEqual(e.suggestion, "did you mean 'elastic'?")
        e = try XCTUnwrap(decodeError(fixture(replacing: "\"dist\": \"exponential\"", with: "\"dist\": \"expo\"")))
        XCTAssertEqual(e.path, "$.models.big.service.gpu.dist")
        XCTAssertTrue(e.message.contains("unknown distribution"))
    }

    func testProviderServerlessRefusesGPUModelsWithoutAGPUPrice() throws {
        let text = fixture(replacing: "\"auto\": { \"policy\": \"elastic\", \"target\": 0.6, \"nodes\": { \"cpu\": { \"min\": 1, \"max\": 3 }, \"gpu\": { \"min\": 1, \"max\": 2 } } }",
                           with: "\"auto\": { \"policy\": \"serverless\", \"hosting\": \"provider\" }")
        let e = try XCTUnwrap(decodeError(text))
        XCTAssertEqual(e.path, "$.plans.auto.hosting")
        XCTAssertTrue(e.message.contains("needs GPUs"), e.message)
        XCTAssertNil(decodeError(text.replacingOccurrences(of: "\"hosting\": \"provider\"", with: "\"hosting\": \"provider\", \"pricing\": { \"perGPUSecond\": 0.0003 }")))
    }

    func testElasticPlanWithoutAPoolForAModel() throws {
        let e = try XCTUnwrap(decodeError(fixture(replacing: ", \"gpu\": { \"min\": 1, \"max\": 2 } } }", with: " } }")))
        XCTAssertEqual(e.path, "$.plans.auto.nodes")
        XCTAssertTrue(e.message.contains("model \"big\" runs on gpu"), e.message)
    }

    func testTokenDrivenModelNeedsTokenCounts() throws {
        let e = try XCTUnwrap(decodeError(fixture(replacing: "\"service\": { \"cpu\": \"40ms\" }",
                                                  with: "\"service\": { \"cpu\": { \"dist\": \"tokens\", \"base\": \"10ms\", \"perOutputToken\": \"5ms\" } }")))
        XCTAssertEqual(e.path, "$.workload[0]")
        XCTAssertTrue(e.message.contains("token-driven"), e.message)
    }

    func testDistributions() throws {
        let v = ValueReader(file: "t")
        func parse(_ json: String) throws -> DistributionSpec {
            try v.distribution(try JSONReader.parse(json, file: "t"), "$")
        }
        XCTAssertEqual(try parse("\"2s\""), .constant(2))
        XCTAssertEqual(try parse("{\"dist\": \"lognormal\", \"mean\": \"180ms\", \"cv\": 0.6}"), .lognormal(mean: 0.18, cv: 0.6))
        XCTAssertEqual(try parse("{\"dist\": \"gamma\", \"shape\": 4, \"scale\": \"1s\"}"), .gamma(mean: 4, cv: 0.5))
        XCTAssertEqual(try parse("{\"dist\": \"uniform\", \"min\": \"1s\", \"max\": \"3s\"}").mean, 2)
        let empirical = try parse("{\"dist\": \"empirical\", \"percentiles\": {\"0\": \"0s\", \"50\": \"1s\", \"100\": \"2s\"}}")
        XCTAssertEqual(empirical.mean, 1, accuracy: 1e-12)
        XCTAssertThrowsError(try parse("{\"dist\": \"empirical\", \"percentiles\": {\"50\": \"1s\", \"100\": \"2s\"}}"))
        XCTAssertThrowsError(try parse("{\"dist\": \"uniform\", \"min\": \"3s\", \"max\": \"1s\"}"))
        XCTAssertThrowsError(try parse("{\"dist\": \"lognormal\", \"mean\": \"1s\"}"))
        XCTAssertThrowsError(try parse("{\"dist\": \"exponential\", \"mean\": \"1s\", \"cv\": 2}"), "unknown key cv")
    }

    func testBundledScenariosAllDecode() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scenarios")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") && $0 != "schema.json" }
        XCTAssertTrue(files.contains("quickstart.json"))
        XCTAssertTrue(files.contains("mmc-validation.json"))
        for file in files.sorted() {
            XCTAssertNoThrow(try ScenarioLoader.load(path: folder.appendingPathComponent(file).path), file)
        }
    }
}
