// The typed form of a scenario's expectations (gates), and the metric names a gate may use.

public struct Expectation: Sendable, Equatable {
    public enum Bound: Sendable, Equatable {
        case min(Double)
        case max(Double)
        /// metric(plan) ≤ value × metric(other plan)
        case maxRatioTo(plan: Int, value: Double)
        /// metric(plan) ≥ value × metric(other plan)
        case minRatioTo(plan: Int, value: Double)
    }
    /// Which requests a gate looks at.
    public enum Scope: Sendable, Equatable {
        /// The whole plan (summary.csv).
        case plan
        /// One target (targets.csv), by target index.
        case target(Int)
        /// One caller, by name (known only once the run has seen its requests).
        case caller(String)
    }
    public var plan: Int
    public var metric: String
    public var scope: Scope
    public var bounds: [Bound]
    /// "The cheapest plan meeting the SLO is `plan`" (`bounds` is empty).
    public var cheapestMeetingSLO: Bool
    public var jsonPath: String
}

/// Metrics a gate may name for one target or one caller.
/// What `headroom calibrate` compares between a simulation and a measured run, as the
/// `metric` column of accuracy.csv. A gate names `accuracy_<metric>` to bound the absolute
/// relative error (0.05: within 5 %); `run` and `check` skip such gates, `calibrate`
/// evaluates them.
public enum AccuracyMetric {
    public static let names = ["requests", "rejected", "timed_out", "cold_starts", "latency_p50_s", "latency_p95_s", "latency_p99_s",
                               "instance_seconds", "instance_starts", "node_seconds",
                               // LLM engines, measured with streamed OpenAI requests.
                               "ttft_p50_s", "ttft_p90_s", "tpot_p50_s", "tpot_p90_s"]
    /// The gate metric names: `accuracy_` and an accuracy.csv metric (the error of the
    /// simulations with drawn service times), or `accuracy_replayed_` and one (of those
    /// replaying each measured request's own service time).
    public static let gateNames = names.map { "accuracy_" + $0 } + names.map { "accuracy_replayed_" + $0 }
}

public enum ScopedMetric {
    public static let names = [
        "requests", "completed", "rejected", "timed_out",
        "latency_mean_s", "latency_p50_s", "latency_p90_s", "latency_p95_s", "latency_p99_s", "latency_p999_s", "latency_max_s",
        "wait_mean_s", "cold_starts", "cold_start_ratio", "slo_attainment", "rejected_ratio", "timed_out_ratio",
    ]
}

/// The columns an engine (continuous batching) adds to `summary.csv` and `targets.csv`, in
/// file order, after the others; present only when some model has an engine (SCENARIO.md,
/// "Keys added with the runtime and the LLM engine"). `kv_cache_utilisation` and
/// `batch_size_mean` are plan-wide (empty in `targets.csv`).
public enum EngineMetric {
    public static let names = [
        "ttft_p50_s", "ttft_p90_s", "ttft_p99_s", "tpot_p50_s", "tpot_p90_s", "tpot_p99_s",
        "output_tokens_per_s", "kv_cache_utilisation", "batch_size_mean", "preemptions",
        // Beyond SCENARIO.md's list: requests the engine refused as longer than its KV cache
        // (or, without chunked prefill, its token budget) allows.
        "rejected_too_long",
        // The share of completed requests' prompt tokens served from the prefix cache.
        "prefix_cache_hit_rate",
        // The plan's cost (cost_usd) per million prompt and generated tokens of its completed
        // engine requests: summary.csv only (a target's share of the cost is not defined).
        "usd_per_million_input_tokens", "usd_per_million_output_tokens",
    ]
    public static let integers: Set<String> = ["preemptions", "rejected_too_long"]
}

/// The numeric columns of `summary.csv` that `expect` gates may name, in file order
/// (SCENARIO.md, "Report files").
public enum SummaryMetric {
    public static let names = [
        "requests", "completed", "rejected", "timed_out",
        "latency_mean_s", "latency_p50_s", "latency_p90_s", "latency_p95_s", "latency_p99_s", "latency_p999_s", "latency_max_s",
        "wait_mean_s", "cold_starts", "cold_start_ratio", "slo_attainment",
        "cost_usd", "cost_per_1k_requests_usd", "node_hours", "gpu_hours", "utilisation",
        "instances_mean", "instances_max", "nodes_mean", "nodes_max",
        // Beyond SCENARIO.md's list: outcome ratios, handy as gates.
        "rejected_ratio", "timed_out_ratio", "instance_starts",
        // Training jobs sharing the pools, and serving while they ran.
        "training_jobs", "training_completed", "training_preemptions", "training_wait_mean_s",
        "training_gpu_hours", "serving_gpu_hours", "requests_during_training",
        "slo_attainment_during_training", "latency_p99_during_training_s",
        // Capacity paid for while idle.
        "idle_instance_hours", "idle_cost_usd", "node_request_failures",
        // Where cold-start time went: node boot, image pull, init, weight load, warm-up (s).
        "cold_start_node_s", "cold_start_pull_s", "cold_start_init_s", "cold_start_load_s", "cold_start_warmup_s",
        // Spot nodes reclaimed (at their notice) and request stages cut off in service there.
        "spot_interruptions", "requests_interrupted",
    ]
}
