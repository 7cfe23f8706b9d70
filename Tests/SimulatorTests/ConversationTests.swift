import Foundation
import XCTest
import Scenario
@testable import Simulator

/// Generated prompts that share prefixes (`prompts`): conversations whose turns extend the
/// conversation so far, shared system prompts, an unbounded cache serving exactly their own
/// reuse, and session affinity keeping a conversation where its cache is.
final class ConversationTests: XCTestCase {
    func source(rate: Double = 0.5, duration: String = "10m", system: String = #"{ "tokens": 1000, "variants": 2 }"#,
                turns: String = "3", think: String = "\"20s\"", engine: String = "", instances: Int = 1, routing: String = "least-loaded") -> String {
        """
        {
          "name": "conversations", "seed": 5, "duration": "\(duration)",
          "hardware": { "gpu": { "vcpus": 16, "memoryGiB": 200, "gpus": 1, "pricePerHour": 4 } },
          "models": { "chat": { "requires": { "vcpus": 4, "memoryGiB": 64, "gpus": 1 },
                                "engine": { "kind": "continuous-batching", "kvCacheTokens": 1000000000,
                                            "profile": { "prefill": { "base": "0ms", "perToken": "0.01ms" }, "decode": { "base": "5ms", "perSequence": "0ms", "perKVToken": "0ms" } }\(engine) } } },
          "workload": [ { "kind": "poisson", "target": "chat", "rate": \(rate),
                          "tokens": { "input": { "dist": "lognormal", "mean": 300, "cv": 1 }, "output": { "dist": "lognormal", "mean": 80, "cv": 1 } },
                          "prompts": { "systemPrompt": \(system), "conversation": { "turns": \(turns), "thinkTime": \(think) } } } ],
          "slo": { "timeout": "1h" },
          "plans": { "one": { "policy": "traditional", "nodes": { "gpu": \(instances) }, "routing": { "chat": "\(routing)" } } }
        }
        """
    }

    struct Arrival {
        var time: Int64
        var prompt: Int
        var output: Int
        var leaf: Int32
        var session: Int32
    }

    /// Every arrival of the scenario's one source, with the prefix tree they were drawn into.
    func arrivals(_ s: Scenario) throws -> ([Arrival], PrefixTree) {
        let tree = PrefixTree()
        var callers = StringTable(), versions = StringTable()
        var sources = try SourceState.make(s, seed: s.seed, callers: &callers, versions: &versions, prefixes: tree)
        var out: [Arrival] = []
        while true {
            try sources[0].advance(callers: &callers, versions: &versions)
            if sources[0].exhausted { break }
            let x = sources[0]
            out.append(Arrival(time: x.nextTime, prompt: Int(x.nextInput), output: Int(x.nextOutput), leaf: x.nextPrefix, session: x.nextSession))
        }
        return (out, tree)
    }

    func testTurnsExtendTheConversationSoFar() throws {
        let s = try scenario(source(system: #"{ "tokens": 1000, "variants": 2 }"#, turns: "3", think: "\"20s\""))
        let (all, tree) = try arrivals(s)
        XCTAssertEqual(all.map(\.time), all.map(\.time).sorted(), "in time order")
        var bySession: [Int32: [Arrival]] = [:]
        for a in all where a.session >= 0 { bySession[a.session, default: []].append(a) }
        XCTAssertGreaterThan(bySession.count, 200)
        XCTAssertEqual(all.filter { $0.session < 0 }.count, 0, "every conversation has three turns")
        var roots = Set<Int32>()
        for (_, turns) in bySession {
            // Three turns, 20 s apart, unless the run ended first.
            XCTAssertLessThanOrEqual(turns.count, 3)
            if turns[0].time < 540_000_000_000 { XCTAssertEqual(turns.count, 3) }
            for k in turns.indices.dropFirst() {
                XCTAssertEqual(turns[k].time - turns[k - 1].time, 20_000_000_000)
                // The previous prompt and its answer, then the new message; on the same path.
                XCTAssertGreaterThanOrEqual(turns[k].prompt, turns[k - 1].prompt + turns[k - 1].output)
                var n = turns[k].leaf, onPath = false
                while n >= 0 { if n == turns[k - 1].leaf { onPath = true }; n = tree.parent[Int(n)] }
                XCTAssertTrue(onPath, "turn \(k)'s prompt extends turn \(k - 1)'s")
                XCTAssertEqual(Int(tree.end[Int(turns[k].leaf)]), turns[k].prompt)
            }
            // The root of its path: a system prompt (1,000 tokens in blocks of 512 and 488).
            var n = turns[0].leaf
            while tree.parent[Int(n)] >= 0 && tree.end[Int(tree.parent[Int(n)])] >= 1000 { n = tree.parent[Int(n)] }
            XCTAssertEqual(tree.end[Int(n)], 1000)
            XCTAssertEqual(tree.end[Int(tree.parent[Int(n)])], 512)
            roots.insert(n)
            XCTAssertGreaterThanOrEqual(turns[0].prompt, 1000)
        }
        XCTAssertEqual(roots.count, 2, "two system prompts")
        // The run budget counts the turns.
        let estimate = WorkEstimate.of(s, plans: 1, interval: 0)
        XCTAssertEqual(estimate.requestsPerPlan, 0.5 * 600 * 3, accuracy: 1e-9)
        XCTAssertLessThanOrEqual(Double(all.count), estimate.requestsPerPlan * 1.2)
        // The same seed, the same conversations.
        let (again, _) = try arrivals(s)
        XCTAssertEqual(again.map(\.prompt), all.map(\.prompt))
        XCTAssertEqual(again.map(\.time), all.map(\.time))
    }

    func testAnUnboundedCacheServesTheConversationsOwnReuse() throws {
        // One instance, a cache that never evicts, arrivals far apart: every prompt finds all of
        // its prefix that an earlier prompt computed (in whole 16-token blocks; on a full hit
        // the last token again).
        let s = try scenario(source(rate: 0.2, duration: "30m", system: #"{ "tokens": 700, "variants": 3 }"#,
                                    turns: #"{ "dist": "exponential", "mean": 4 }"#, think: #"{ "dist": "exponential", "mean": "40s" }"#))
        let (all, tree) = try arrivals(s)
        var seen = Set<Int32>()
        var reusable = 0, prompts = 0
        for a in all {
            var path: [Int32] = []
            var n = a.leaf
            while n >= 0 { path.append(n); n = tree.parent[Int(n)] }
            path.reverse()
            var deepest = 0
            for node in path {
                guard seen.contains(node) else { break }
                deepest = Int(tree.end[Int(node)])
            }
            reusable += deepest > 0 ? Swift.min(deepest / 16 * 16, a.prompt - 1) : 0
            prompts += a.prompt
            for node in path { seen.insert(node) }
        }
        let expected = Double(reusable) / Double(prompts)
        let r = try Runner.run(s, options: RunOptions()).plans[0]
        let hit = try XCTUnwrap(r.engine?.prefixCacheHitRate)
        print("conversations: an unbounded cache served \(hit) of the prompt tokens; their own reuse is \(expected)")
        XCTAssertGreaterThan(expected, 0.5)
        XCTAssertEqual(hit, expected, accuracy: 0.002, "served \(hit), the conversations' own reuse \(expected)")
        XCTAssertEqual(r.engine?.inputTokens, Int64(prompts))
    }

    func testSessionAffinityKeepsAConversationsCache() throws {
        // Four instances: a least-loaded balancer spreads a conversation's turns, so most turns
        // find only the system prompt; session affinity keeps them together.
        func hit(_ routing: String) throws -> Double {
            let s = try scenario(source(rate: 2, duration: "10m", system: #"{ "tokens": 500, "variants": 1 }"#,
                                        turns: "6", think: "\"10s\"", instances: 4, routing: routing))
            return try XCTUnwrap(Runner.run(s, options: RunOptions()).plans[0].engine?.prefixCacheHitRate)
        }
        let spread = try hit("least-loaded"), sticky = try hit("session-affinity"), cacheAware = try hit("cache-aware")
        print("conversations on four instances: hit rate least-loaded \(spread), session affinity \(sticky), cache-aware \(cacheAware)")
        XCTAssertGreaterThan(sticky, spread + 0.2, "session affinity \(sticky), least loaded \(spread)")
        XCTAssertGreaterThan(cacheAware, spread + 0.2, "cache-aware \(cacheAware), least loaded \(spread)")
    }
}
