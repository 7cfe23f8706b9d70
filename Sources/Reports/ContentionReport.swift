import Simulator

/// What sharing nodes' cores and GPUs did, per plan and node type: `contention.csv`, and a table in the
/// run's terminal output. Written only when a model of the scenario declares CPU work, or GPU work on shared GPUs.
public enum ContentionReport {
    public static let columns = ["scenario", "plan", "node_type", "demand_over_capacity", "service_lost_share", "startup_stretch",
                                 "request_cpu_s", "request_cpu_uncontended_s", "startup_cpu_s", "startup_cpu_uncontended_s",
                                 "throttled_s", "throttled_periods", "gpu_s", "gpu_uncontended_s", "gpu_stretch"]

    /// Whether the run has any figures to show.
    public static func applies(_ run: RunResult) -> Bool { run.plans.contains { !$0.contention.isEmpty } }

    /// `contention.csv`: a row per plan and node type that had cores to share.
    ///
    /// - `demand_over_capacity`: time-average of the cores asked for (every activity at its
    ///   cap, background included) over the cores of the type's live nodes;
    /// - `service_lost_share`: the time requests' CPU parts took beyond the uncontended, over
    ///   the requests' uncontended service time;
    /// - `startup_stretch`: how much longer start-ups' CPU parts took than uncontended;
    /// - `throttled_s`, `throttled_periods`: how long instances with work in progress were
    ///   held by their CPU limit, and in how many CFS periods (cgroup `cpu.stat`'s
    ///   `throttled_time` and `nr_throttled`, summed over instances);
    /// - `gpu_s`, `gpu_uncontended_s`, `gpu_stretch`: requests' GPU parts on shared GPUs,
    ///   actual and on a GPU of their own, and how much longer they took.
    public static func csv(_ run: RunResult) -> String {
        var out = columns.joined(separator: ",") + "\n"
        for plan in run.plans {
            for (t, c) in plan.contention.enumerated() where c.capacityCoreSeconds > 0 || c.gpuNominal > 0 {
                out += [CSVNumber.field(run.scenario.name), CSVNumber.field(plan.plan), CSVNumber.field(run.scenario.hardware[t].name),
                        CSVNumber.fixed(c.demandOverCapacity, 6), CSVNumber.fixed(c.serviceLostShare, 6), CSVNumber.fixed(c.startupStretch, 6),
                        CSVNumber.fixed(c.requestCPUActual, 6), CSVNumber.fixed(c.requestCPUNominal, 6),
                        CSVNumber.fixed(c.startupCPUActual, 6), CSVNumber.fixed(c.startupCPUNominal, 6),
                        CSVNumber.fixed(c.throttledSeconds, 6), String(c.throttledPeriods),
                        CSVNumber.fixed(c.gpuActual, 6), CSVNumber.fixed(c.gpuNominal, 6), CSVNumber.fixed(c.gpuStretch, 6)].joined(separator: ",") + "\n"
            }
        }
        return out
    }

    /// The terminal table: demand over capacity, service time lost, start-ups stretched.
    public static func table(_ run: RunResult) -> String {
        var rows: [[String]] = [["shared nodes", "node type", "demand/cores", "service lost", "start-ups slower by", "throttled", "GPU work slower by"]]
        func percent(_ x: Double) -> String { TerminalTable.trim(100 * x, 1) + "%" }
        for plan in run.plans {
            for (t, c) in plan.contention.enumerated() where c.capacityCoreSeconds > 0 || c.gpuNominal > 0 {
                let cores = c.capacityCoreSeconds > 0
                rows.append([plan.plan, run.scenario.hardware[t].name, cores ? percent(c.demandOverCapacity) : "–", cores ? percent(c.serviceLostShare) : "–",
                             c.startupCPUNominal > 0 ? percent(c.startupStretch) : "–",
                             c.throttledPeriods > 0 ? TerminalTable.trim(c.throttledSeconds, 2) + " s in \(c.throttledPeriods) periods" : "–",
                             c.gpuNominal > 0 ? percent(c.gpuStretch) : "–"])
            }
        }
        return TerminalTable.render(rows, rightAligned: [2, 3, 4, 5, 6])
    }
}
