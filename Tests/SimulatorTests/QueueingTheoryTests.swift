import XCTest
import Scenario
@testable import Simulator

/// The simulator against closed-form queueing results. Each check runs independent
/// replications (different seeds) and asserts both the error against theory and that the
/// 95 % confidence interval is tight enough for the tolerance to mean something.
final class QueueingTheoryTests: XCTestCase {
    /// M/M/10 at ρ = 0.9: mean wait = C(10, 9) / (cμ − λ) (Erlang C).
    func testMMcMeanWaitMatchesErlangC() throws {
        let expected = erlangC(servers: 10, load: 9) / (10 - 9)
        XCTAssertEqual(expected, 0.66873, accuracy: 1e-5)
        // 16 replications × ≈2.5 M requests (280,000 s at 9/s): waits at ρ = 0.9 are strongly
        // autocorrelated, so a 2 % check needs tens of millions of requests.
        let results = try replications(16) { seed in
            try scenario(queueScenario(servers: 10, rate: 9, service: "{\"dist\": \"exponential\", \"mean\": \"1s\"}",
                                       queueLimit: 10_000_000, duration: 280_000, seed: seed))
        }
        let waits = results.map { $0.waitSum / Double($0.totals.completed) }
        let (mean, halfWidth) = meanAndHalfWidth(waits)
        let error = (mean - expected) / expected
        print("Erlang C: simulated mean wait \(mean) s ± \(halfWidth) (95 %), theory \(expected) s, error \(error * 100) %")
        XCTAssertLessThan(abs(error), 0.02)
        XCTAssertLessThan(halfWidth / expected, 0.02, "too few requests for a 2 % check")
        for r in results { XCTAssertEqual(r.totals.requests, r.totals.completed + r.totals.rejected + r.totals.timedOut) }
    }

    /// M/M/10/10 (queue limit 0) at offered load 9: blocking = B(10, 9) (Erlang B).
    func testLossSystemBlockingMatchesErlangB() throws {
        let expected = erlangB(servers: 10, load: 9)
        XCTAssertEqual(expected, 0.16796, accuracy: 1e-5)
        let results = try replications(8) { seed in
            try scenario(queueScenario(servers: 10, rate: 9, service: "{\"dist\": \"exponential\", \"mean\": \"1s\"}",
                                       queueLimit: 0, duration: 10_000, seed: seed))
        }
        let blocking = results.map { Double($0.totals.rejected) / Double($0.totals.requests) }
        let (mean, halfWidth) = meanAndHalfWidth(blocking)
        let error = (mean - expected) / expected
        print("Erlang B: simulated blocking \(mean) ± \(halfWidth) (95 %), theory \(expected), error \(error * 100) %")
        XCTAssertLessThan(abs(error), 0.02)
        XCTAssertLessThan(halfWidth / expected, 0.02)
        XCTAssertEqual(results[0].rejectedByReason[0], results[0].totals.rejected, "all rejections are queue_full")
    }

    /// M/G/1 with uniform service on [0.2 s, 0.8 s] at ρ = 0.6: Pollaczek–Khinchine mean wait
    /// λ E[S²] / (2 (1 − ρ)) = 1.2 × 0.28 / 0.8 = 0.42 s.
    func testMG1MeanWaitMatchesPollaczekKhinchine() throws {
        let expected = 1.2 * (0.36 / 12 + 0.25) / (2 * (1 - 0.6))
        let results = try replications(8) { seed in
            try scenario(queueScenario(servers: 1, rate: 1.2, service: "{\"dist\": \"uniform\", \"min\": \"200ms\", \"max\": \"800ms\"}",
                                       queueLimit: 10_000_000, duration: 50_000, seed: seed))
        }
        let waits = results.map { $0.waitSum / Double($0.totals.completed) }
        let (mean, halfWidth) = meanAndHalfWidth(waits)
        let error = (mean - expected) / expected
        print("Pollaczek–Khinchine: simulated mean wait \(mean) s ± \(halfWidth) (95 %), theory \(expected) s, error \(error * 100) %")
        XCTAssertLessThan(abs(error), 0.03)
        XCTAssertLessThan(halfWidth / expected, 0.03)
    }

    /// Utilisation of the M/M/10 pool is ρ = 0.9.
    func testUtilisationOfAFixedPool() throws {
        let r = try Runner.run(try scenario(queueScenario(servers: 10, rate: 9, service: "{\"dist\": \"exponential\", \"mean\": \"1s\"}",
                                                          queueLimit: 10_000_000, duration: 20_000, seed: 5)), options: RunOptions()).plans[0]
        XCTAssertEqual(r.busyInstanceSeconds / r.instanceSeconds, 0.9, accuracy: 0.01)
        XCTAssertEqual(r.instancesMean, 10, accuracy: 1e-9)
    }
}

/// The serverless keep-alive model against the SimFaaS peer on its reference parameters.
final class PeerAgreementTests: XCTestCase {
    /// SimFaaS (5 seeds × 1 M requests, shared/peers/README.md): cold-start probability
    /// 0.00135 ± 0.00004, mean instances 7.69 ± 0.02. SimFaaS draws a cold request's whole time
    /// from an exponential with mean 2.244 s; Headroom expresses it as a 253 ms init followed
    /// by the warm service time (mean 1.991 s), the same mean.
    func testServerlessKeepAliveMatchesSimFaaS() throws {
        let results = try replications(5) { seed in
            try scenario("""
            { "name": "simfaas", "seed": \(seed), "duration": "1111111s",
              "hardware": { "n": { "vcpus": 1, "memoryGiB": 1, "pricePerHour": 0 } },
              "models": { "f": { "requires": { "vcpus": 1, "memoryGiB": 1 }, "init": "253ms",
                                 "service": { "dist": "exponential", "mean": "1.991s" } } },
              "workload": [ { "kind": "poisson", "target": "f", "rate": 0.9 } ],
              "slo": { "timeout": "1d" },
              "plans": { "lambda": { "policy": "serverless", "hosting": "provider", "keepAlive": "600s", "concurrencyLimit": 0 } } }
            """)
        }
        let requests = results.reduce(0) { $0 + $1.totals.requests }
        let cold = Double(results.reduce(0) { $0 + $1.coldStarts }) / Double(requests)
        let instances = results.reduce(0.0) { $0 + $1.instancesMean } / Double(results.count)
        print("SimFaaS agreement: cold-start probability \(cold) (SimFaaS 0.00135, \((cold / 0.00135 - 1) * 100) %), mean instances \(instances) (SimFaaS 7.69, \((instances / 7.69 - 1) * 100) %)")
        XCTAssertEqual(cold, 0.00135, accuracy: 0.00135 * 0.05)
        XCTAssertEqual(instances, 7.69, accuracy: 7.69 * 0.02)
        XCTAssertEqual(results[0].instanceStarts, results[0].coldStarts, "each cold start is one environment started for its request")
    }
}
