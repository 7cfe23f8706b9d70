// swift-tools-version:6.0
// Headroom: a discrete-event capacity simulator for ML serving.
// No package dependencies: Foundation, Dispatch and Glibc only, so a clean clone builds offline.
import Foundation
import PackageDescription

// Release executables carry the Swift runtime and Foundation inside them (`-static-stdlib`,
// what `swift build --static-swift-stdlib` does): the binary runs on a machine without a Swift
// toolchain (a CI runner, a container), and calls into the runtime (copy-on-write checks)
// go direct instead of through the PLT. A 300-hour M/M/10 `headroom run` took a median 0.949
// of the dynamically linked binary's time (9 alternating pairs) and starts in 16 ms instead
// of 22; the file is larger (88 MB, 62 MB stripped), and every output is byte-identical.
// Every module is compiled for it too: the static Foundation's modules name the libraries
// they need (ICU, CoreFoundation) for the linker. Test targets are not (XCTest has no static
// module) and run in debug builds, which link dynamically. The toolchain's lld links them:
// GNU gold warns on every build about glibc's mktemp inside the static Foundation, a warning
// nobody building Headroom can act on.
let staticStdlib: [SwiftSetting] = [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))]
let staticRuntime: [LinkerSetting] = [.unsafeFlags(["-static-stdlib", "-use-ld=lld"], .when(configuration: .release))]

// Release builds of the engine (SchedulerCore, Planning, Simulator) are optimised with an
// execution profile: LLVM's IR-level profile-guided optimisation, which lays out and inlines
// the request path as the bundled scenarios run it. The 300-hour M/M/10 `headroom run` took a
// median 0.889 of the time (21 alternating pairs), the other scenarios 0.92-0.96; every output
// is byte-identical. The profile, Benchmarks/profile/headroom.profdata, is taken by
// Benchmarks/profile.sh from every bundled scenario and the whole-run benchmark workloads; a
// function changed since is compiled as without one (`Benchmarks/profile.sh --check` says
// whether the engine changed since). Swift 6.3's LLVM wrote it and older compilers cannot read
// it, so they build without it, as does HEADROOM_PROFILE_USE=0 (set while taking a profile).
// (Swift's own SIL-level -profile-use crashes the 6.3.1 compiler on this code:
// swiftlang/swift pull request 84432.)
#if compiler(>=6.3)
let profilePath = Context.packageDirectory + "/Benchmarks/profile/headroom.profdata"
let profileGuided: [SwiftSetting] =
    Context.environment["HEADROOM_PROFILE_USE"] != "0" && FileManager.default.fileExists(atPath: profilePath)
    ? [.unsafeFlags(["-Xfrontend", "-ir-profile-use=" + profilePath], .when(configuration: .release))] : []
#else
let profileGuided: [SwiftSetting] = []
#endif

// The engine is compiled with optimisation even in debug builds: the validation tests
// (Erlang C within 2 % at 95 % confidence) simulate millions of requests, which an unoptimised
// build does ~15x slower. -enable-testing (for @testable imports) still applies.
// Release builds also optimise across the core/simulator boundary: the core's per-request
// bookkeeping is then inlined into the host's loop (callgrind, 300k M/M/10 requests: 713 M ->
// 706 M instructions; headroom-bench mmc ratio 0.47-0.48 -> 0.48-0.49).
let engineSettings: [SwiftSetting] = [
    .unsafeFlags(["-O"], .when(configuration: .debug)),
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
] + staticStdlib

let package = Package(
    name: "Headroom",
    products: [
        .executable(name: "headroom", targets: ["headroom"]),
        .executable(name: "headroom-bench", targets: ["headroom-bench"]),
        .library(name: "SchedulerCore", targets: ["SchedulerCore"]),
    ],
    targets: [
        // Pure decision logic: no clock, no I/O, no Foundation.
        .target(name: "SchedulerCore", swiftSettings: engineSettings + profileGuided),
        // The scenario file contract: JSON reader with source positions, typed model, validation.
        .target(name: "Scenario", swiftSettings: staticStdlib),
        // SHA-256 and HMAC-SHA-256, written here (no package dependency): audit chains, key
        // hashes, report provenance.
        .target(name: "Digest", swiftSettings: engineSettings),
        // Scenario + plan -> the core's configuration and policy: used by both hosts.
        .target(name: "Planning", dependencies: ["SchedulerCore", "Scenario"], swiftSettings: engineSettings + profileGuided),
        // Virtual clock, event queue, hardware, workloads, billing and the run loop.
        // Release builds drop the dynamic exclusivity checks, as the runtime's do (debug builds,
        // which the tests use, keep them): the LLM engine's instances are objects, and every
        // access to one's stored properties paid a check (an hour of the Azure LLM trace at 16
        // times its pace on a 1-16 GPU plan: 2.77 s with them, 1.53 s without; M/M/10, no
        // engine, unchanged; every report file byte-identical).
        .target(name: "Simulator", dependencies: ["SchedulerCore", "Scenario", "Planning"],
                swiftSettings: engineSettings + profileGuided + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        // epoll, eventfd and thread names for the runtime's event loop (Glibc's module lacks them).
        .target(name: "CEventLoop"),
        // fork + exec of a worker tied to the runtime's life (PR_SET_PDEATHSIG), which
        // posix_spawn cannot set up.
        .target(name: "CWorkerSpawn"),
        // The same core on the wall clock: worker processes, HTTP front, metrics, decision log.
        // Built like the engine: across the module boundary the core's generic request path is
        // specialised into the host (wrk, 64 connections, four alternating 6 s pairs: 32.9-39.0 k
        // req/s with, 32.9-34.7 k without).
        // Release builds also drop the dynamic exclusivity checks (debug builds, which the
        // tests use, keep them): every access to a connection's or the host's stored
        // properties paid one, 12 % of `serve`'s instructions per request (callgrind).
        .target(name: "Runtime", dependencies: ["SchedulerCore", "Scenario", "Planning", "Digest", "CEventLoop", "CWorkerSpawn"],
                swiftSettings: engineSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        // Live measurement: an open-loop load generator, measured report folders, calibration
        // of a scenario from its real workers, and the simulated-vs-measured accuracy table.
        .target(name: "Measurement", dependencies: ["Scenario", "SchedulerCore", "Planning", "Simulator", "Runtime", "Reports"], swiftSettings: staticStdlib),
        // Summary tables, CSV files and expectation gates.
        .target(name: "Reports", dependencies: ["Simulator", "Scenario", "SchedulerCore", "Digest"], swiftSettings: staticStdlib),
        // Design-space exploration: sweeps over scenario fields, Pareto fronts, shards.
        .target(name: "Sweep", dependencies: ["Scenario", "Planning", "Simulator", "Reports"], swiftSettings: staticStdlib),
        // Kubernetes objects <-> plans: import of Deployments, HPAs, Knative, KServe and KEDA
        // objects as they run, export of a plan as the manifests that run it.
        .target(name: "Kubernetes", dependencies: ["Scenario", "SchedulerCore", "Planning"], swiftSettings: staticStdlib),
        // Command parsing and help, swift-argument-parser conventions, hand-written.
        .target(name: "HeadroomCLI", dependencies: ["Scenario", "Planning", "Simulator", "Runtime", "Reports", "Sweep", "Digest", "Measurement", "Kubernetes"], swiftSettings: staticStdlib),
        .executableTarget(name: "headroom", dependencies: ["HeadroomCLI"], swiftSettings: staticStdlib, linkerSettings: staticRuntime),
        // The speed benchmark, with its hand-written yardstick loops.
        // The runtime's HTTP parser on inputs from stdin, beside h11 (Scripts/http-differential.py).
        .executableTarget(name: "headroom-http-oracle", dependencies: ["Runtime"], swiftSettings: engineSettings),
        .executableTarget(name: "headroom-bench", dependencies: ["Scenario", "Simulator", "Reports", "Runtime", "Digest"], swiftSettings: engineSettings,
                          linkerSettings: staticRuntime),

        .testTarget(name: "SchedulerCoreTests", dependencies: ["SchedulerCore"]),
        .testTarget(name: "DigestTests", dependencies: ["Digest"]),
        .testTarget(name: "ScenarioTests", dependencies: ["Scenario"], exclude: ["Fixtures"]),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "Scenario", "SchedulerCore", "Reports"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Simulator", "Scenario", "SchedulerCore"]),
        .testTarget(name: "SweepTests", dependencies: ["Sweep", "Scenario"]),
        .testTarget(name: "KubernetesTests", dependencies: ["Kubernetes", "Scenario", "Planning"], exclude: ["Fixtures"]),
        .testTarget(name: "HeadroomCLITests", dependencies: ["HeadroomCLI", "Runtime", "Digest", "Scenario", "Simulator"]),
        .testTarget(name: "MeasurementTests", dependencies: ["Measurement", "Runtime", "Simulator", "Scenario", "Reports", "HeadroomCLI"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "Planning", "Scenario", "SchedulerCore"], exclude: ["Workers"]),
    ]
)
