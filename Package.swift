// swift-tools-version:6.0
// Headroom: a discrete-event capacity simulator for ML serving.
// No package dependencies: Foundation, Dispatch and Glibc only, so a clean clone builds offline.
import PackageDescription

let package = Package(
    name: "Headroom",
    products: [
        .executable(name: "headroom", targets: ["headroom"]),
        .library(name: "SchedulerCore", targets: ["SchedulerCore"]),
    ],
    targets: [
        // Pure decision logic: no clock, no I/O, no Foundation.
        .target(name: "SchedulerCore"),
        // The scenario file contract: JSON reader with source positions, typed model, validation.
        .target(name: "Scenario"),
        // Virtual clock, event queue, hardware, workloads, billing and the run loop.
        .target(name: "Simulator", dependencies: ["SchedulerCore", "Scenario"]),
        // Summary tables, CSV files and expectation gates.
        .target(name: "Reports", dependencies: ["Simulator", "Scenario"]),
        // Command parsing and help, swift-argument-parser conventions, hand-written.
        .target(name: "HeadroomCLI", dependencies: ["Scenario", "Simulator", "Reports"]),
        .executableTarget(name: "headroom", dependencies: ["HeadroomCLI"]),

        .testTarget(name: "SchedulerCoreTests", dependencies: ["SchedulerCore"]),
        .testTarget(name: "ScenarioTests", dependencies: ["Scenario"]),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "Scenario", "SchedulerCore"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Simulator", "Scenario"]),
        .testTarget(name: "HeadroomCLITests", dependencies: ["HeadroomCLI"]),
    ]
)
