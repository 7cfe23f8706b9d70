/// Help for the commands that carry plans to and from Kubernetes.
extension Help {
    static let importCommand = Subcommand(
        name: "import",
        abstract: "Read a plan from Kubernetes objects, or traffic from Prometheus.",
        usage: "headroom import kubernetes <file> ... --into <scenario> [--plan <name>] [--out <file>] [--model <name>] [--nodes <type=min:max> ...]\n"
            + "       headroom import prometheus <url> --target <name> --requests <promql> [--latency <promql>] --start <time> --end <time> [--step <duration>] [--spread uniform|random] --into <scenario> [--out <file>]",
        text: """
        OVERVIEW: Read what production runs into a scenario: the plan from Kubernetes
        objects, or a target's traffic (and latency) from a Prometheus server.

        KUBERNETES: Read the plan a cluster runs today from its Kubernetes objects, as
        `kubectl get deploy,hpa -o json` prints them (a List or single objects), and add it
        to a scenario (or replace the plan of the same name).

        Deployments alone become a traditional plan (their replicas pinned); with
        HorizontalPodAutoscalers or KEDA ScaledObjects an elastic plan; Knative Services
        (the KPA) or KServe InferenceServices in serverless mode a self-hosted serverless
        plan with the KPA. Each workload maps to the model of its name; its pod's requests
        and CPU limit become the model's requires and limits. Knative's config-autoscaler
        ConfigMap gives the cluster-wide KPA settings; the cluster.flags file that `export`
        writes gives the node groups and controller flags. Every setting Headroom cannot
        honour is listed with why; other kinds are skipped with a line saying so. The
        scenario is checked before it is written. Mapping: docs/kubernetes.md.

        USAGE: headroom import kubernetes <file> ... --into <scenario> [--plan <name>] [--out <file>] [--model <name>] [--nodes <type=min:max> ...]

        ARGUMENTS:
          <file>                  JSON files of Kubernetes objects, and optionally a
                                  cluster.flags file (cluster-autoscaler and
                                  kube-controller-manager flags).

        OPTIONS:
          --into <scenario>       The scenario the plan goes into (its models and hardware).
          --plan <name>           The plan's name. (default: imported)
          -o, --out <file>        Write the scenario here instead of in place.
          --model <name>          Map every workload to this model instead of by name.
          --nodes <type=min:max>  A node pool, when no cluster.flags says; repeatable. A
                                  traditional plan takes max nodes of each type.
          -h, --help              Show help information.

        PROMETHEUS: Read a target's requests per second (one series: aggregate it, e.g.
        sum(rate(http_requests_total{job="chat"}[1m]))) from /api/v1/query_range, every
        --step from --start to --end, into a counts workload source that replays each step's
        requests (replacing the sources of that target); the scenario's duration becomes
        the range's. With --latency, a histogram's buckets summed by le (e.g.
        sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) become the model's
        service time, an empirical distribution interpolated as histogram_quantile does.

        USAGE: headroom import prometheus <url> --target <name> --requests <promql> [--latency <promql>] --start <time> --end <time> [--step <duration>] [--spread uniform|random] --into <scenario> [--out <file>]

          <url>                   The Prometheus server, http://HOST:PORT (an IP address or
                                  localhost).
          --target <name>         The model or pipeline whose traffic it is.
          --requests <promql>     Requests per second, one series.
          --latency <promql>      Latency histogram buckets, by le (optional).
          --start, --end <time>   The range: RFC 3339 (2026-12-01T09:00:00Z) or Unix seconds.
          --step <duration>       Whole seconds per counted interval. (default: 60s)
          --spread <how>          Arrivals within a step: random (default) or uniform.

        EXIT STATUS: 0 imported, 1 bad objects, answers or scenario (nothing written), 64
        usage error.

        """)

    static let exportCommand = Subcommand(
        name: "export",
        abstract: "Write the Kubernetes objects that run a plan.",
        usage: "headroom export kubernetes <scenario> --plan <name> --out <dir> [--as deployment|knative|kserve|keda] [--prometheus-url <url>] [--force]",
        text: """
        OVERVIEW: Write the manifests that run a plan, one JSON file per object, for
        `kubectl apply -f <dir>/`: every value the plan has, in the object and field where
        the platform reads it. What no object holds (node groups, the cluster autoscaler's
        timing, the HPA controller's flags) goes to a commented companion file,
        cluster.flags, which `import` reads back; prices and commitments are comments.
        `headroom import kubernetes <dir>/* --into <scenario>` gives the same plan back.

        Traditional plans become Deployments; elastic (target-tracking) plans Deployments
        with HPAs, KEDA ScaledObjects, Knative Services of the HPA class or KServe raw
        deployments; self-hosted KPA plans Knative Services or KServe serverless
        InferenceServices, with Knative's config-autoscaler ConfigMap for the cluster-wide
        settings. Provider-hosted serverless, the keep-alive scaler and step scaling have
        no Kubernetes object and are refused with why. Mapping: docs/kubernetes.md.

        USAGE: headroom export kubernetes <scenario> --plan <name> --out <dir> [--as deployment|knative|kserve|keda] [--prometheus-url <url>] [--force]

        ARGUMENTS:
          <scenario>              The scenario file.

        OPTIONS:
          --plan <name>           The plan to export. (default: the only plan)
          -o, --out <dir>         The folder for the manifests; it must be empty.
          --as <kind>             deployment, knative, kserve or keda. (default:
                                  deployment; knative for a KPA plan)
          --prometheus-url <url>  The Prometheus server KEDA's triggers query (elastic
                                  plans on concurrency or queue length with --as keda).
          --force                 Replace the .json and .flags files of a folder in use.
          -h, --help              Show help information.

        EXIT STATUS: 0 written, 1 the plan has no Kubernetes form or a file cannot be
        written, 64 usage error.

        """)
}
