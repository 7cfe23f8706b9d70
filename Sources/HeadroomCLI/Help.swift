/// Help texts, in the shape swift-argument-parser prints: OVERVIEW, USAGE, ARGUMENTS, OPTIONS,
/// SUBCOMMANDS.
enum Help {
    static let version = "0.1.0"

    struct Subcommand {
        let name: String
        let abstract: String
        let usage: String
        let text: String
    }

    static let run = Subcommand(
        name: "run",
        abstract: "Run a scenario's plans and write the reports.",
        usage: "headroom run <file> [--out <dir>] [--plan <name> ...] [--seed <n>] [--requests] [--interval <duration>] [--set <path=value> ...] [--max-requests <n>] [--max-rows <n>]",
        text: """
        OVERVIEW: Run a scenario's plans side by side and write the reports.

        Each plan replays the same arrivals (same seed) on its own virtual clock. The
        comparison table goes to standard output; summary.csv, targets.csv and
        timeseries.csv (and requests.csv with --requests) go to the output folder, all
        written whole or not at all. The scenario's expect gates are then checked: the
        exit status is 1 when one fails.

        USAGE: headroom run <file> [--out <dir>] [--plan <name> ...] [--seed <n>] [--requests] [--interval <duration>] [--set <path=value> ...]

        ARGUMENTS:
          <file>                  The scenario file (JSON), e.g. Scenarios/quickstart.json.

        OPTIONS:
          -o, --out <dir>         Output folder. (default: Reports/<scenario name>)
          --plan <name>           Run only this plan; repeat for several. (default: all plans)
          --seed <n>              Override the scenario's seed.
          --requests              Also write requests.csv, one row per request (the audit trail).
          --interval <duration>   Time-series interval, e.g. 30s or 5m. (default: 60s)
          --sequential            Run the plans one after another instead of on all cores.
                                  (A plan running alone has its arrivals and service-time
                                  draws made ahead on a spare core: the same draws, sooner.)
          --max-requests <n>      Refuse a run estimated to simulate more requests than this,
                                  before it starts. (default: 1e9)
          --max-rows <n>          Refuse a run that would keep more timeseries.csv rows than
                                  this. (default: 2e6)
          --set <path=value>      Change one field of the scenario for this run, by its JSON
                                  path, e.g. 'workload[0].path=/data/conv.csv' or
                                  'plans.autoscaled.target=0.5'. The key must exist. Repeatable.
          -h, --help              Show help information.

        EXIT STATUS: 0 all gates pass, 1 a gate fails or the scenario is invalid, 64 usage error,
        73 the report files could not be written (the table and gates are still printed).

        """)

    static let validate = Subcommand(
        name: "validate",
        abstract: "Check scenario files without running them.",
        usage: "headroom validate <file> ...",
        text: """
        OVERVIEW: Check scenario files without running them.

        Reads each file as `run` would — every key, reference, plan capacity and trace
        row — and reports the first problem of each with its file, line and JSON path.

        USAGE: headroom validate <file> ...

        ARGUMENTS:
          <file>                  One or more scenario files (JSON).

        OPTIONS:
          -h, --help              Show help information.

        EXIT STATUS: 0 all valid, 1 a file is invalid, 64 usage error.

        """)

    static let check = Subcommand(
        name: "check",
        abstract: "Run every scenario's gates: the CI step.",
        usage: "headroom check [<path> ...] [--junit <file>] [--max-requests <n>]",
        text: """
        OVERVIEW: Run every scenario's expect gates — the CI step.

        Runs each scenario file under the given paths (folders are searched for .json
        files), all plans on all cores, and prints one line per gate (scenario, plan,
        metric, measured value, bound, PASS/FAIL) in a stable order, then a closing line
        'N passed, N failed'. A scenario that does not load counts as one failure. A JSON
        Schema document (its $schema a json-schema.org meta-schema) and a model config (a
        Hugging Face config.json for an engine's model) are skipped, and said to be;
        finding no scenario at all is an error, not a pass. No report files are written
        (the JUnit file records the scenario's SHA-256 and the command); use 'headroom run'
        for reports.

        USAGE: headroom check [<path> ...] [--junit <file>]

        ARGUMENTS:
          <path>                  Scenario files or folders. (default: Scenarios)

        OPTIONS:
          --junit <file>          Also write the results as JUnit XML.
          --sequential            Run one plan at a time instead of on all cores. (Then,
                                  or with fewer plans than cores, arrivals and service-time
                                  draws are made ahead on a spare core: the same draws.)
          --max-requests <n>      Refuse a scenario estimated to simulate more requests than
                                  this (over all its plans). (default: 1e9)
          -h, --help              Show help information.

        EXIT STATUS: 0 all gates pass, 1 a gate fails or a scenario is invalid, 64 usage error.

        """)

    static let sweep = Subcommand(
        name: "sweep",
        abstract: "Vary scenario fields over a grid or a sample; find the Pareto front.",
        usage: "headroom sweep <file> --vary '<path>=<values>' ... [--sample random:N|lhs:N] [--shard I/N] [--out <dir>] [--max-requests <n>]",
        text: """
        OVERVIEW: Vary scenario fields over a grid or a sample, run every plan of every
        variant on all cores, and find the Pareto front of cost vs p99 latency.

        Each --vary names a field by its JSON path (as error messages print it; quote
        keys with dots: plans.auto.nodes["gpu.t4"].max) and its values: a range
        LO..HI step S (numbers or durations) or a list A,B,C. The key must be present
        in the file. The grid is every combination, the first --vary varying slowest.

        sweep.csv has one row per variant × plan: the varied values, every summary
        metric, meets_slo, and the Pareto marks pareto_cost_p99 and
        pareto_cost_cold_starts. The front and the cheapest variant meeting the SLO are
        printed.

        USAGE: headroom sweep <file> --vary '<path>=<values>' ... [--sample random:N|lhs:N] [--shard I/N] [--out <dir>]

        ARGUMENTS:
          <file>                  The scenario file.

        OPTIONS:
          --vary <path=values>    A field and its values, e.g. 'plans.autoscaled.target=0.4..0.8 step 0.1'
                                  or 'plans.serverless.keepAlive=1m,5m,10m,30m'. Repeat for more.
          --sample <design>       random:N or lhs:N (Latin hypercube) instead of the full grid;
                                  ranges are sampled continuously.
          --seed <n>              Seed of the sample. (default: the scenario's seed)
          --shard <I/N>           Run only the I-th of N deterministic slices and write
                                  sweep.shard-I-of-N.csv; 'headroom merge' combines them.
          -o, --out <dir>         Output folder. (default: Reports/<scenario name>-sweep)
          --sequential            Run one variant at a time instead of on all cores. (Then,
                                  or with fewer variants than cores, arrivals and service-time
                                  draws are made ahead on a spare core: the same draws.)
          --max-requests <n>      Refuse a sweep estimated to simulate more requests than this
                                  (all variants and plans), before a variant is made. (default: 1e9)
          -h, --help              Show help information.

        EXIT STATUS: 0 written, 1 the scenario or a variant is invalid, 64 usage error, 73 the
        files could not be written (the summary is still printed).

        """)

    static let merge = Subcommand(
        name: "merge",
        abstract: "Combine sweep shards into the sweep.csv one run would write.",
        usage: "headroom merge <shard> ... [--out <dir>]",
        text: """
        OVERVIEW: Combine the shard files of a sweep into the sweep.csv a single run would
        write, byte for byte (Pareto marks are computed over all shards).

        USAGE: headroom merge <shard> ... [--out <dir>]

        ARGUMENTS:
          <shard>                 sweep.shard-I-of-N.csv files, all N of them, any order.

        OPTIONS:
          -o, --out <dir>         Output folder. (default: the first shard's folder)
          -h, --help              Show help information.

        """)

    static let compare = Subcommand(
        name: "compare",
        abstract: "Compare two report folders plan by plan.",
        usage: "headroom compare <dir-a> <dir-b>",
        text: """
        OVERVIEW: Compare two report folders (two runs of a scenario, e.g. before and after
        a change) plan by plan: each metric of A and B, the change, and whether it got
        better (▼ for costs and latencies going down, ▲ for attainment going up) or worse.

        USAGE: headroom compare <dir-a> <dir-b>

        ARGUMENTS:
          <dir-a> <dir-b>         Folders holding summary.csv (written by 'headroom run').

        OPTIONS:
          -h, --help              Show help information.

        """)

    static let initCommand = Subcommand(
        name: "init",
        abstract: "Write a starter scenario to edit.",
        usage: "headroom init [<file>] [--force]",
        text: """
        OVERVIEW: Write a starter scenario: one CPU model, steady traffic with bursts,
        the three policy families and a few gates. Its description says what to edit;
        README.md ("Your own scenario") walks through it key by key.

        USAGE: headroom init [<file>] [--force]

        ARGUMENTS:
          <file>                  Where to write it. (default: scenario.json)

        OPTIONS:
          --force                 Replace the file if it exists.
          -h, --help              Show help information.

        """)

    static let trace = Subcommand(
        name: "trace",
        abstract: "Describe a trace file: volume, burstiness, tokens, targets.",
        usage: "headroom trace stats <file> [--format csv|azure-llm|azure-functions-2021|mooncake]",
        text: """
        OVERVIEW: Describe a trace before choosing a plan: arrivals per second and per
        minute (mean, p99, max, peak-to-mean), the inter-arrival coefficient of variation,
        token percentiles (Azure LLM traces or token columns), duration percentiles and
        functions (Azure Functions 2021 invocations), targets and callers, and for a
        mooncake trace the prefix reuse: the share of prompt tokens in blocks an earlier
        row had (what a prefix cache that never evicts serves). The file is streamed; a
        malformed row is reported with its line.

        USAGE: headroom trace stats <file> [--format csv|azure-llm|azure-functions-2021|mooncake]

        ARGUMENTS:
          <file>                  The trace (CSV, or JSON lines for mooncake).

        OPTIONS:
          --format <format>       csv (time,target,…), azure-llm (TIMESTAMP,ContextTokens,GeneratedTokens),
                                  azure-functions-2021 (app,func,end_timestamp,duration) or
                                  mooncake (JSON lines with timestamp, input_length, output_length,
                                  hash_ids). (default: from the first line)
          -h, --help              Show help information.

        """)

    static let explainPlan = Subcommand(
        name: "explain-plan",
        abstract: "Show the parameters a plan runs with, defaults filled in.",
        usage: "headroom explain-plan <file> [<plan> ...]",
        text: """
        OVERVIEW: Show what each plan will actually run with: every policy parameter
        resolved (HPA, cluster-autoscaler node layer, Knative, keep-alive, provider
        pricing), the instance counts a reserved plan packs, and where each value comes
        from — set in the file, or the default and its source in the platform's code or
        documentation (shared/reference/autoscalers.md).

        USAGE: headroom explain-plan <file> [<plan> ...]

        ARGUMENTS:
          <file>                  The scenario (JSON).
          <plan>                  Plans to explain (default: all).

        OPTIONS:
          -h, --help              Show help information.

        """)

    static let subcommands = [run, check, sweep, merge, compare, validate, explainPlan, initCommand, trace, serve, replay, keys, audit, loadgen, calibrate,
                              importCommand, exportCommand]

    static let main = """
    OVERVIEW: Headroom — a discrete-event capacity simulator for ML serving.

    Compare traditional, elastic and serverless plans for serving ML models on bursty
    traffic: cost, latency percentiles, cold starts and utilisation, side by side.

    USAGE: headroom <subcommand>

    OPTIONS:
      --version               Show the version.
      -h, --help              Show help information.

    SUBCOMMANDS:
      run                     \(run.abstract)
      check                   \(check.abstract)
      sweep                   \(sweep.abstract)
      merge                   \(merge.abstract)
      compare                 \(compare.abstract)
      validate                \(validate.abstract)
      explain-plan            \(explainPlan.abstract)
      init                    \(initCommand.abstract)
      trace stats             \(trace.abstract)
      serve                   \(serve.abstract)
      replay                  \(replay.abstract)
      keys add                \(keys.abstract)
      audit                   \(audit.abstract)
      loadgen                 \(loadgen.abstract)
      calibrate               \(calibrate.abstract)
      import kubernetes       \(importCommand.abstract)
      export kubernetes       \(exportCommand.abstract)
      help                    Show subcommand help information.

      See 'headroom help <subcommand>' for detailed help.

    """
}
