// Help for the commands that serve and measure for real: `serve`, `replay`, `keys`, `audit`,
// `loadgen` and `calibrate`. (Help.swift has the simulation commands and the overview.)

extension Help {
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
        (POST /v2/models/<target>/infer), the Lambda Invoke path
        (POST /2015-03-31/functions/<target>/invocations) or the OpenAI-compatible paths
        (POST /v1/chat/completions, /v1/completions, /v1/embeddings: routed by the body's
        "model"); GET /metrics is Prometheus text. A worker's streamed answer (server-sent
        events, chunked, or until close) is relayed as it comes, with its time to first
        byte and first event in /metrics.
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
          --audit-payloads        Also record request and response bodies (base64; not a
                                  streamed answer's, whose SHA-256 and timing are recorded).
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
        the Lambda Invoke path with --api lambda, or streamed OpenAI chat requests with
        --api openai), whatever the answers do. It writes the
        report files a simulation writes (summary.csv, targets.csv, callers.csv,
        timeseries.csv, requests.csv, report.html, manifest.json), so `headroom compare`
        reads a measured folder beside a simulated one.

        Latency runs from each request's due time to its answer. A send that goes out more
        than 2 ms late (every connection busy, or the machine too slow) is counted and
        reported, never hidden. Against `headroom serve`, capacity figures (instance-seconds,
        instance starts, nodes) come from its /metrics, and cold starts from its
        Headroom-Cold-Start header; against other servers they are zero.

        With --api openai each request is POST /v1/chat/completions naming its target as
        the model, with a prompt of the row's input tokens in words and max_tokens of its
        output tokens, "stream": true, on a connection of its own; its server-sent events
        are timed as vLLM's benchmark_serving times them: time to first token (the first
        event with content, from the due time) and time per output token ((end − first
        token) ÷ (tokens − 1)). summary.csv and targets.csv gain the TTFT and TPOT columns,
        requests.csv ttft_s and tpot_s.

        USAGE: headroom loadgen <url> (--scenario <file> | --trace <file>) [options]

        ARGUMENTS:
          <url>                   http://HOST:PORT[/PREFIX] (an IP address or localhost).

        OPTIONS:
          --scenario <file>       Send this scenario's workload (its seed, or --seed).
          --trace <file>          Send a trace's rows (csv, azure-llm, azure-functions-2021,
                                  mooncake).
          --format <name>         The trace's format. (default: from its header)
          --target <name>         The target of trace rows that name none.
          --plan <name>           The plan name written in the report. (default: measured)
          --seed <n>              The workload's seed. (default: the scenario's)
          --speed <x>             Divide every arrival time by x. (default: 1)
          --duration <duration>   Send only the first part of the workload (before --speed).
          --max-in-flight <n>     Requests outstanding at most. (default: 256)
          --timeout <duration>    Give up on a request after this long. (default: the
                                  scenario's slo.timeout plus 5 s, else 60 s)
          --api <kserve|lambda|openai>
                                  The paths to call. (default: kserve)
          --key <caller=key>      The API key of a caller (repeatable); callers without one
                                  are named in a headroom-caller header.
          --body <file>           Send this file as every request's body. (default: a small
                                  JSON object with the request's id and token counts; with
                                  --api openai, the chat request above)
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
        each with its relative error. It then replays each measured run: the calibrated copy
        driven by the run's own requests, each with the service time measured of it, and its
        cold starts with theirs, so that what differs is the model and not the luck of the
        draws (column "replayed"). Gates `accuracy_<metric>` in the scenario's `expect`
        bound the drawn errors (|simulated − measured| / measured),
        `accuracy_replayed_<metric>` the replayed ones.

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
                                  latencies pooled, counts averaged; the replay runs
                                  ceil(n ÷ runs) a measured run. (default: 20)
          --interval <duration>   timeseries.csv and /metrics sampling interval. (default: 1s)
          --out <dir>             Write <dir>/measured/ and <dir>/simulated/ (report folders),
                                  <dir>/calibrated.json, <dir>/accuracy.csv, <dir>/serve.log,
                                  <dir>/decisions.jsonl and <dir>/replay/ (each run's requests
                                  with their measured times, as traces), all at once at the end.
                                  (default: Reports/<name>-calibration/)
          -h, --help              Show help information.

        EXIT STATUS: 0 when every accuracy gate passes; 1 when one fails or on an error;
        130 when interrupted (every process it started is stopped; nothing is written).

        """)
}
