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
        Schema document (its $schema a json-schema.org meta-schema) is skipped, and said to
        be; finding no scenario at all is an error, not a pass. No report files are written
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
        usage: "headroom trace stats <file> [--format csv|azure-llm|azure-functions-2021]",
        text: """
        OVERVIEW: Describe a trace before choosing a plan: arrivals per second and per
        minute (mean, p99, max, peak-to-mean), the inter-arrival coefficient of variation,
        token percentiles (Azure LLM traces or token columns), duration percentiles and
        functions (Azure Functions 2021 invocations), targets and callers. The file is
        streamed; a malformed row is reported with its line.

        USAGE: headroom trace stats <file> [--format csv|azure-llm|azure-functions-2021]

        ARGUMENTS:
          <file>                  The trace (CSV).

        OPTIONS:
          --format <format>       csv (time,target,…), azure-llm (TIMESTAMP,ContextTokens,GeneratedTokens)
                                  or azure-functions-2021 (app,func,end_timestamp,duration).
                                  (default: from the header)
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

    static let serve = Subcommand(
        name: "serve",
        abstract: "Serve a plan for real: the same scheduler core, real worker processes.",
        usage: "headroom serve <file> [--plan <name>] [--listen <host:port>] [--keys <file>] [--audit-log <path> [--audit-key <file>] [--audit-payloads]] [--decision-log <path>] [--drain-timeout <duration>]",
        text: """
        OVERVIEW: Serve one plan of a scenario for real, with the scheduler core that the
        simulator runs, on the wall clock.

        Each model's `worker` (an HTTP server on $PORT, or a Lambda function through its
        runtime interface client) is started as the plan says: reserved, autoscaled, or per
        request with keep-alive and scale to zero. Clients call the KServe v2 paths
        (POST /v2/models/<target>/infer) or the Lambda Invoke path
        (POST /2015-03-31/functions/<target>/invocations); GET /metrics is Prometheus text.
        Nodes are partitions of this machine: their boot and image pulls are modelled
        delays, a worker's start-up is real. SIGINT or SIGTERM drains in-flight requests,
        stops every worker and exits 0. See docs/runtime.md.

        USAGE: headroom serve <file> [--plan <name>] [--listen <host:port>] [--keys <file>]
                              [--audit-log <path> [--audit-key <file>] [--audit-payloads]]
                              [--decision-log <path>] [--drain-timeout <duration>]

        ARGUMENTS:
          <file>                  The scenario (JSON); the models it serves need a `worker`.

        OPTIONS:
          --plan <name>           The plan to serve. (required when the scenario has several)
          --listen <host:port>    Where to listen, e.g. 127.0.0.1:9000 or [::1]:8080.
                                  (default: 127.0.0.1:8080; any other address needs --keys)
          --keys <file>           API keys (`headroom keys add`): requests carry one as
                                  Authorization: Bearer <key> or x-api-key; 401 without a known
                                  key, 403 for a target or version the caller may not call.
          --audit-log <path>      Append one JSON record per request (refused ones too): who,
                                  which version, when, SHA-256 of body and answer, where it
                                  ran; hash-chained, rotated at 64 MiB. A write that
                                  fails (a full disk) is said on stderr and counted in
                                  headroom_audit_write_failures_total.
          --audit-key <file>      HMAC key for the log's digests (created when missing; keep it
                                  apart from the log).
          --audit-payloads        Also record request and response bodies (base64).
          --decision-log <path>   Write every input the core saw and the actions it took, one
                                  JSON object per line, for `headroom replay`.
          --drain-timeout <duration>
                                  How long in-flight requests may take at shutdown. (default: 30s)
          -h, --help              Show help information.

        EXIT STATUS: 0 after a clean shutdown, 1 the scenario cannot be served or the audit
        or decision log lost records (a write failed), 64 usage error.

        """)

    static let replay = Subcommand(
        name: "replay",
        abstract: "Replay a decision log into a fresh core and check it decides the same.",
        usage: "headroom replay <log> [--scenario <file>]",
        text: """
        OVERVIEW: Feed the inputs a `serve --decision-log` recorded, at their recorded times,
        to a fresh scheduler core built from the same scenario and plan, and compare its
        actions with the recorded ones. Prints "replayed N inputs, M actions: identical",
        or the first line that differs and exits 1.

        USAGE: headroom replay <log> [--scenario <file>]

        ARGUMENTS:
          <log>                   A decision log written by `headroom serve --decision-log`.

        OPTIONS:
          --scenario <file>       The scenario to build the core from. (default: the path the
                                  log's header records)
          -h, --help              Show help information.

        EXIT STATUS: 0 identical, 1 a difference or an unreadable log, 64 usage error.

        """)

    static let keys = Subcommand(
        name: "keys",
        abstract: "Add an API key for serve: a caller and what it may call.",
        usage: "headroom keys add <caller> --targets <a,b|*> [--versions <v,w>] --file <keys.json>",
        text: """
        OVERVIEW: Create a random API key for a caller, allowed to call the given targets (and,
        with --versions, only those versions). The key is printed once, as the only line on
        standard output; the file keeps its SHA-256 only. The file is created if needed and
        rewritten whole (mode 0600).

        USAGE: headroom keys add <caller> --targets <a,b|*> [--versions <v,w>] --file <keys.json>

        OPTIONS:
          --targets <list>        Targets (models or pipelines), comma-separated; * for all.
          --versions <list>       Versions the caller may address (default: any).
          --file <keys.json>      The keys file `headroom serve --keys` reads.
          -h, --help              Show help information.

        """)

    static let audit = Subcommand(
        name: "audit",
        abstract: "Verify an audit log's integrity, or query it.",
        usage: "headroom audit verify <path> ... [--audit-key <file>] | headroom audit query <path> ... [--caller <c>] [--target <t>] [--version <v>] [--outcome <o>] [--from <time>] [--to <time>] [--csv]",
        text: """
        OVERVIEW: `verify` checks the hash chain through every record and file (rotated files
        too, in any order) and, with the key, each digest's HMAC. It prints
        "verified N records" and exits 0, or names the first broken record (file, line,
        what differs) and exits 1. A last line cut short (a killed writer) is reported, not
        failed. `query` lists the requests that match, as a table or as CSV with the
        columns of a simulation's requests.csv.

        USAGE: headroom audit verify <path> ... [--audit-key <file>]
               headroom audit query <path> ... [--caller <c>] [--target <t>] [--version <v>]
                                    [--outcome <o>] [--from <time>] [--to <time>] [--csv]

        OPTIONS:
          --audit-key <file>      The key serve wrote the digests with.
          --caller, --target, --version, --outcome <value>
                                  Only requests with this value.
          --from, --to <time>     Arrival at or after / at or before, UTC: 2026-12-01 (a whole
                                  day) or 2026-12-01T09:30:00Z.
          --csv                   CSV instead of a table.
          -h, --help              Show help information.

        """)

    static let loadgen = Subcommand(
        name: "loadgen",
        abstract: "Send a scenario's workload or a trace to a live endpoint; write a measured report.",
        usage: "headroom loadgen <url> (--scenario <file> | --trace <file>) [--plan <name>] [--speed <x>] [--duration <duration>] [--max-in-flight <n>] [--out <dir>]",
        text: """
        OVERVIEW: An open-loop load generator. Each request is sent at its time — the
        scenario's workload with its seed (the same arrivals `headroom run` simulates), or a
        trace's rows — over HTTP to the KServe v2 path POST /v2/models/<target>/infer (or
        the Lambda Invoke path with --api lambda), whatever the answers do. It writes the
        report files a simulation writes (summary.csv, targets.csv, callers.csv,
        timeseries.csv, requests.csv, report.html, manifest.json), so `headroom compare`
        reads a measured folder beside a simulated one.

        Latency runs from each request's due time to its answer. A send that goes out more
        than 2 ms late (every connection busy, or the machine too slow) is counted and
        reported, never hidden. Against `headroom serve`, capacity figures (instance-seconds,
        instance starts, nodes) come from its /metrics, and cold starts from its
        Headroom-Cold-Start header; against other servers they are zero.

        USAGE: headroom loadgen <url> (--scenario <file> | --trace <file>) [options]

        ARGUMENTS:
          <url>                   http://HOST:PORT[/PREFIX] (an IP address or localhost).

        OPTIONS:
          --scenario <file>       Send this scenario's workload (its seed, or --seed).
          --trace <file>          Send a trace's rows (csv, azure-llm, azure-functions-2021).
          --format <name>         The trace's format. (default: from its header)
          --target <name>         The target of trace rows that name none.
          --plan <name>           The plan name written in the report. (default: measured)
          --seed <n>              The workload's seed. (default: the scenario's)
          --speed <x>             Divide every arrival time by x. (default: 1)
          --duration <duration>   Send only the first part of the workload (before --speed).
          --max-in-flight <n>     Requests outstanding at most. (default: 256)
          --timeout <duration>    Give up on a request after this long. (default: the
                                  scenario's slo.timeout plus 5 s, else 60 s)
          --api <kserve|lambda>   The paths to call. (default: kserve)
          --key <caller=key>      The API key of a caller (repeatable); callers without one
                                  are named in a headroom-caller header.
          --body <file>           Send this file as every request's body. (default: a small
                                  JSON object with the request's id and token counts)
          --interval <duration>   timeseries.csv and /metrics sampling interval. (default: 1s)
          --out <dir>             Where to write. (default: Reports/<name>-measured/)
          -h, --help              Show help information.

        EXIT STATUS: 0 when sent (late sends are reported, not failures); 1 for a bad
        input or an unreachable endpoint (before anything is sent); 130 when interrupted
        (no report folder is written).

        """)

    static let calibrate = Subcommand(
        name: "calibrate",
        abstract: "Serve a plan with real workers, replay its workload, and measure the model's error.",
        usage: "headroom calibrate <file> --plan <name> [--seed <n>] [--speed <x>] [--duration <duration>] [--runs <n>] [--replications <n>] [--out <dir>]",
        text: """
        OVERVIEW: Calibrate a scenario from its real workers and measure how far its
        simulation is from reality.

        Starts `headroom serve` for the plan (on a loopback port of its own), replays the
        scenario's workload against it with `headroom loadgen`, and reads the runtime's own
        records: every worker's process start → ready and every request's service time. It
        writes a calibrated copy of the scenario (those measurements as `empirical`
        distributions in place of the declared `service` and `init`; `load` and `warmup`
        removed; its description says where they came from), simulates that copy with the
        same seed, and prints simulated vs measured side by side — requests, rejections,
        cold starts, p50/p95/p99 latency, instance-seconds, instance starts, node-seconds —
        each with its relative error. Gates `accuracy_<metric>` in the scenario's `expect`
        bound those errors (|simulated − measured| / measured).

        USAGE: headroom calibrate <file> --plan <name> [options]

        OPTIONS:
          --plan <name>           The plan to serve and simulate. (required when several)
          --seed <n>              The workload's seed. (default: the scenario's)
          --duration <duration>   Replay only the first part of the workload; the simulation
                                  is cut to the same length.
          --max-in-flight <n>     Load generator connections. (default: 256)
          --speed <x>             Divide every arrival time by x, in the replay and in the
                                  simulation alike (plan timers keep real time). (default: 1)
          --runs <n>              Serve and replay n times, and pool the measurements: a
                                  transient (a ramp, a burst) varies from run to run, and one
                                  run is one draw of it. (default: 1)
          --replications <n>      Simulations pooled for the comparison, each with the measured
                                  run's arrivals and its own draws of service and start times:
                                  latencies pooled, counts averaged. (default: 20)
          --interval <duration>   timeseries.csv and /metrics sampling interval. (default: 1s)
          --out <dir>             Write <dir>/measured/ and <dir>/simulated/ (report folders),
                                  <dir>/calibrated.json, <dir>/accuracy.csv, <dir>/serve.log
                                  and <dir>/decisions.jsonl, all at once at the end.
                                  (default: Reports/<name>-calibration/)
          -h, --help              Show help information.

        EXIT STATUS: 0 when every accuracy gate passes; 1 when one fails or on an error;
        130 when interrupted (every process it started is stopped; nothing is written).

        """)

    static let subcommands = [run, check, sweep, merge, compare, validate, explainPlan, initCommand, trace, serve, replay, keys, audit, loadgen, calibrate]

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
      help                    Show subcommand help information.

      See 'headroom help <subcommand>' for detailed help.

    """
}
