import Foundation
import Scenario
import Simulator

/// `report.html`: one self-contained file (inline CSS and SVG, no script, nothing fetched)
/// with the plan comparison, the gates and the charts.
public enum HTMLReport {
    public static let version = "0.1.0"

    static let style = """
    :root { color-scheme: light; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #111827; background: #f3f4f6; }
    main { max-width: 1180px; margin: 0 auto; padding: 28px 28px 40px; }
    header h1 { margin: 0 0 4px; font-size: 26px; }
    header .desc { margin: 0 0 6px; color: #374151; max-width: 900px; }
    header .meta { margin: 0; color: #6b7280; font-size: 13px; }
    section { background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 18px 20px; margin-top: 18px; }
    h2 { font-size: 16px; margin: 0 0 12px; }
    .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(250px, 1fr)); gap: 12px; }
    .card { border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px 14px; }
    .card .name { font-weight: 600; } .card .policy { color: #6b7280; font-size: 12px; margin-left: 6px; }
    .card .big { font-size: 24px; font-weight: 650; margin: 6px 0 2px; font-variant-numeric: tabular-nums; }
    .card .sub { color: #4b5563; font-size: 12.5px; font-variant-numeric: tabular-nums; }
    table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 13px; }
    .scroll { overflow-x: auto; }
    th, td { padding: 6px 7px; border-bottom: 1px solid #e5e7eb; text-align: right; white-space: nowrap; }
    th { font-size: 12px; color: #4b5563; font-weight: 600; background: #f9fafb; }
    th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
    td.best { background: #dcfce7; font-weight: 650; }
    .sw { display: inline-block; width: 20px; height: 0; margin-right: 6px; vertical-align: 3px; }
    .mk { display: inline-block; width: 9px; height: 9px; margin-right: 6px; vertical-align: 0; }
    .misses { color: #991b1b; font-size: 11.5px; margin-left: 6px; }
    .note { color: #6b7280; font-size: 12.5px; margin: 10px 0 0; }
    .gates th, .gates td { text-align: left; } .gates td.num, .gates th.num { text-align: right; }
    .gates td:last-child, .manifest td { white-space: normal; overflow-wrap: anywhere; }
    .manifest th { text-align: left; vertical-align: top; width: 10em; } .manifest td { text-align: left; }
    .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 700; }
    .PASS { background: #dcfce7; color: #166534; } .FAIL { background: #fee2e2; color: #991b1b; } .SKIP { background: #e5e7eb; color: #374151; }
    .charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 14px; }
    .chart { border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px 8px 4px; min-width: 0; }
    .chart-title { font-size: 13px; font-weight: 650; margin: 0 0 4px 4px; }
    .legend { display: flex; flex-wrap: wrap; gap: 2px 12px; margin: 0 0 4px 4px; font-size: 11.5px; color: #374151; }
    .key { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 100%; }
    .filter { margin: 0 0 10px; font-size: 12.5px; color: #374151; }
    .filter-title { font-weight: 600; margin-right: 8px; }
    input.show { position: absolute; opacity: 0; width: 1px; height: 1px; margin: 0; }
    input.show + label { display: inline-block; margin: 0 12px 2px 0; white-space: nowrap; cursor: pointer; user-select: none; }
    input.show:not(:checked) + label { opacity: 0.45; text-decoration: line-through; }
    input.show:focus-visible + label { outline: 2px solid #2563eb; outline-offset: 1px; }
    svg { width: 100%; height: auto; display: block; }
    svg .title { font-size: 13px; font-weight: 650; fill: #111827; }
    svg .tick { font-size: 10.5px; fill: #4b5563; } svg .label { font-size: 11px; fill: #374151; } svg .legend { font-size: 10.5px; fill: #374151; }
    svg .grid { stroke: #e5e7eb; stroke-width: 1; } svg .axis { stroke: #6b7280; stroke-width: 1; }
    footer { color: #6b7280; font-size: 12px; margin-top: 16px; }
    @media (max-width: 900px) { .charts { grid-template-columns: minmax(0, 1fr); } }
    @media print { body { background: #fff; } section { break-inside: avoid; } }
    """

    static func esc(_ s: String) -> String { SVGChart.escape(s) }

    public static func page(title: String, body: String, extraStyle: String = "") -> String {
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            + "<title>\(esc(title))</title>\n<style>\n\(style)\n\(extraStyle)</style>\n</head>\n<body>\n<main>\n\(body)\n</main>\n</body>\n</html>\n"
    }

    /// A plan filter without script, which is also the charts' shared legend: a checkbox per
    /// plan (hidden; its label, the plan's swatch and name, is what one clicks), placed
    /// before the `.charts` block it governs so CSS's sibling combinator reaches it.
    /// Unticking one hides that plan's lines, dots and legend keys, so lines that run close
    /// together can be told apart by showing a few at a time.
    ///
    /// - Returns: the CSS rules (for the page's head) and the checkboxes' HTML; both empty
    ///   below `filterFrom` plans, where each chart's own legend names them.
    public static func planFilter(_ names: [String], square: Bool = false) -> (css: String, html: String) {
        guard names.count >= filterFrom else { return ("", "") }
        var css = "", html = "<div class=\"filter\"><span class=\"filter-title\">Plans</span>click a plan to hide or show its lines</div>\n"
        for (k, name) in names.enumerated() {
            css += "#show-\(k):not(:checked) ~ .charts .p\(k) { display: none; }\n"
            let style = SeriesStyle.of(k)
            html += "<input type=\"checkbox\" class=\"show\" id=\"show-\(k)\" checked><label for=\"show-\(k)\">\(square ? style.marker : style.swatch)\(esc(name))</label>\n"
        }
        return (css, html)
    }

    /// Plans at or above this count get the plan filter over their charts.
    public static let filterFrom = 5

    /// The time axis unit for a run of `seconds`.
    static func timeAxis(_ seconds: Double) -> (label: String, scale: Double) {
        if seconds >= 3 * 3600 { return ("time (hours)", 3600) }
        if seconds >= 600 { return ("time (minutes)", 60) }
        return ("time (seconds)", 1)
    }

    static func number(_ x: Double) -> String {
        if abs(x) >= 1000 { return Gates.show(x.rounded()) }
        if x == x.rounded() { return Gates.show(x) }
        return Gates.show((x * 100).rounded() / 100)
    }

    /// The report of a run.
    public static func run(_ run: RunResult, gates: [GateResult], manifest: Manifest? = nil) -> String {
        let s = run.scenario
        let rows = run.plans.map(Summary.row)
        // Plans that miss the SLO (when there is one) are never highlighted as best.
        let hasSLO = s.slo.hasObjective
        let meets = run.plans.map { !hasSLO || Summary.meetsSLO($0, percentile: s.slo.percentile) }
        var body = "<header>\n<h1>\(esc(s.name))</h1>\n"
        if let d = s.description { body += "<p class=\"desc\">\(esc(d))</p>\n" }
        let requests = run.plans.first?.totals.requests ?? 0
        body += "<p class=\"meta\">\(run.plans.count) plan\(run.plans.count == 1 ? "" : "s") · \(requests) requests each · arrivals for \(TerminalTable.duration(s.duration)) · seed \(run.seed)"
        if let l = s.slo.latency { body += " · SLO: \(Gates.show(s.slo.percentile)) % of requests within \(TerminalTable.duration(l))" }
        body += " · Headroom \(version)</p>\n</header>\n"

        // Headline cards.
        body += "<section>\n<h2>At a glance</h2>\n<div class=\"cards\">\n"
        for (k, r) in rows.enumerated() {
            let style = SeriesStyle.of(k)
            body += "<div class=\"card\" style=\"border-top: 4px \(style.dash == nil ? "solid" : "dashed") \(style.color)\"><span class=\"name\">\(esc(r.plan))</span><span class=\"policy\">\(esc(r.policy))</span>"
            body += "<div class=\"big\">\(esc(TerminalTable.money(r.value("cost_usd"))))</div>"
            body += "<div class=\"sub\">\(esc(TerminalTable.money(r.value("cost_per_1k_requests_usd")))) per 1,000 requests</div>"
            if let perMillion = r.value("usd_per_million_output_tokens") {
                body += "<div class=\"sub\">\(esc(TerminalTable.money(perMillion))) per million output tokens</div>"
            }
            body += "<div class=\"sub\">p99 \(esc(TerminalTable.duration(r.value("latency_p99_s"))))"
            if let a = r.value("slo_attainment") { body += " · \(CSVNumber.fixed(a * 100, 1)) % within SLO" }
            if let ttft = r.value("ttft_p90_s") {
                // An LLM plan: what its users feel first, the wait for the first token and the pace after.
                body += "</div><div class=\"sub\">TTFT p90 \(esc(TerminalTable.duration(ttft))) · TPOT p90 \(esc(TerminalTable.duration(r.value("tpot_p90_s"))))"
            }
            body += "</div><div class=\"sub\">\(Int64(r.value("cold_starts") ?? 0)) cold starts · \(Int64((r.value("rejected") ?? 0) + (r.value("timed_out") ?? 0))) failed requests</div></div>\n"
        }
        body += "</div>\n</section>\n"

        // Comparison table, best value per column highlighted.
        let columns: [(String, String, Bool?)] = [
            ("requests", "requests", nil), ("completed", "completed", nil), ("rejected", "rejected", true), ("timed_out", "timed out", true),
            ("latency_p50_s", "p50", true), ("latency_p99_s", "p99", true),
            ("slo_attainment", "within SLO", false), ("cold_starts", "cold starts", true), ("cost_usd", "cost", true),
            ("cost_per_1k_requests_usd", "per 1k req", true), ("utilisation", "utilisation", false),
            ("instances_max", "peak inst.", nil), ("nodes_max", "peak nodes", nil),
        ]
        body += "<section>\n<h2>Plans compared</h2>\n<div class=\"scroll\"><table>\n<tr><th>plan</th><th>policy</th>"
        for c in columns { body += "<th>\(esc(c.1))</th>" }
        body += "</tr>\n"
        var best: [Int: Double] = [:]
        for (k, c) in columns.enumerated() {
            guard let lower = c.2, rows.count > 1 else { continue }
            let values = rows.indices.filter { meets[$0] }.compactMap { rows[$0].value(c.0) }
            if let b = lower ? values.min() : values.max(), values.contains(where: { $0 != b }) { best[k] = b }
        }
        for (p, r) in rows.enumerated() {
            body += "<tr><td>\(SeriesStyle.of(p).swatch)\(esc(r.plan))\(meets[p] ? "" : "<span class=\"misses\">misses SLO</span>")</td><td>\(esc(r.policy))</td>"
            for (k, c) in columns.enumerated() {
                let v = r.value(c.0)
                let text: String
                switch c.0 {
                case let m where m.hasSuffix("_s"): text = TerminalTable.duration(v)
                case let m where m.hasPrefix("cost"): text = TerminalTable.money(v)
                case "utilisation", "slo_attainment": text = v.map { CSVNumber.fixed($0 * 100, 1) + " %" } ?? "–"
                default: text = v.map { Gates.show($0) } ?? "–"
                }
                body += "<td\(v != nil && meets[p] && best[k] == v ? " class=\"best\"" : "")>\(esc(text))</td>"
            }
            body += "</tr>\n"
        }
        body += "</table></div>\n<p class=\"note\">Every plan replays the same arrivals (same seed), so differences come from the policy alone. Green: the best value in its column\(hasSLO ? " among the plans that meet the SLO" + (meets.contains(true) ? "" : " (none does, so nothing is marked)") : ""). Latency is arrival to completion, end to end through pipelines; cost follows each plan's billing rules.</p>\n</section>\n"

        if !gates.isEmpty {
            body += "<section>\n<h2>Gates</h2>\n<div class=\"scroll\"><table class=\"gates\">\n<tr><th>result</th><th>plan</th><th>metric</th><th class=\"num\">measured</th><th>bound</th><th>note</th></tr>\n"
            for g in gates {
                body += "<tr><td><span class=\"badge \(g.verdict.rawValue)\">\(g.verdict.rawValue)</span></td><td>\(esc(g.plan))</td><td>\(esc(g.metric))</td>"
                body += "<td class=\"num\">\(esc(g.shownMeasured))</td><td>\(esc(g.bound))</td><td>\(esc(g.note))</td></tr>\n"
            }
            body += "</table></div>\n</section>\n"
        }

        body += "<section>\n<h2>Over time</h2>\n"
        let filter = planFilter(run.plans.map(\.plan))
        body += filter.html + "<div class=\"charts\">\n"
        for chart in charts(run, plansKeyed: run.plans.count < filterFrom) { body += "<div class=\"chart\">\(chart)</div>\n" }
        body += "</div>\n</section>\n"
        if let manifest { body += manifest.html }
        body += "<footer>Generated by Headroom \(version) from \(esc(s.file)). The same numbers are in summary.csv, targets.csv and timeseries.csv beside this file.</footer>"
        return page(title: "Headroom — \(s.name)", body: body, extraStyle: filter.css)
    }

    /// An LLM engine's charts: TTFT and TPOT distributions, and batch size and KV-cache use
    /// over time (the intervals' averages).
    static func engineCharts(_ run: RunResult, plansKeyed: Bool, xLabel: String, scale: Double) -> [String] {
        func distribution(_ h: (EngineStats) -> LatencyHistogram) -> [ChartSeries] {
            run.plans.enumerated().compactMap { k, p in
                p.engine.map { e in ChartSeries(name: p.plan, style: .of(k), plan: k, points: h(e).cdf().map { (Double($0.0) / 1e9, $0.1) }) }
            }
        }
        func overTime(_ column: String) -> [ChartSeries] {
            let k = EngineMetric.names.firstIndex(of: column)!
            return run.plans.enumerated().map { n, p in
                ChartSeries(name: p.plan, style: .of(n), plan: n,
                            points: p.timeseries.compactMap { r in r.engine?[k].map { (r.time / scale, $0) } })
            }
        }
        let percent = { (x: Double) in CSVNumber.fixed(x * 100, 0) + "%" }
        return [
            SVGChart.line(title: "Time to first token (completed LLM requests)", series: distribution(\.ttft),
                          xLabel: "TTFT (seconds, log scale)", yLabel: "fraction at or below", xFormat: { Gates.show($0) },
                          yFormat: percent, logX: true, yMax: 1, plansKeyed: plansKeyed),
            SVGChart.line(title: "Time per output token", series: distribution(\.tpot),
                          xLabel: "TPOT (seconds, log scale)", yLabel: "fraction at or below", xFormat: { Gates.show($0) },
                          yFormat: percent, logX: true, yMax: 1, plansKeyed: plansKeyed),
            SVGChart.line(title: "Batch size (sequences per iteration)", series: overTime("batch_size_mean"), xLabel: xLabel,
                          yLabel: "mean over the interval", xFormat: { Gates.show($0) }, yFormat: number, xFromZero: true, plansKeyed: plansKeyed),
            SVGChart.line(title: "KV cache in use", series: overTime("kv_cache_utilisation"), xLabel: xLabel,
                          yLabel: "share of the engines' blocks", xFormat: { Gates.show($0) }, yFormat: percent, xFromZero: true, plansKeyed: plansKeyed),
        ]
    }

    /// The charts of a run: arrivals, instances, nodes, latency CDF, cost, cold starts.
    static func charts(_ run: RunResult, plansKeyed: Bool) -> [String] {
        let end = run.plans.map(\.endTime).max() ?? run.scenario.duration
        let (xLabel, scale) = timeAxis(end)
        let xf = { (x: Double) in Gates.show(x) }
        func series(_ value: (TimeseriesRow) -> Double) -> [ChartSeries] {
            run.plans.enumerated().map { k, p in
                ChartSeries(name: p.plan, style: .of(k), plan: k,
                            points: p.timeseries.map { ($0.time / scale, value($0)) })
            }
        }
        var intervals: [Double] = []
        if let p = run.plans.first {
            var previous = 0.0
            for r in p.timeseries { intervals.append(Swift.max(r.time - previous, 1e-9)); previous = r.time }
        }
        var out: [String] = []
        if let p = run.plans.first {
            let arrivals = ChartSeries(name: "all plans", style: SeriesStyle(color: "#111827", dash: nil, square: false),
                                       points: zip(p.timeseries, intervals).map { ($0.time / scale, Double($0.arrivals) / $1) })
            out.append(SVGChart.line(title: "Arrivals", series: [arrivals], xLabel: xLabel, yLabel: "requests per second",
                                     xFormat: xf, yFormat: number, xFromZero: true, plansKeyed: plansKeyed))
        }
        out.append(SVGChart.line(title: "Instances (serving, idle or starting)", series: series { Double($0.instancesBusy + $0.instancesIdle + $0.instancesStarting) },
                                 xLabel: xLabel, yLabel: "instances", xFormat: xf, yFormat: number, xFromZero: true, plansKeyed: plansKeyed))
        out.append(SVGChart.line(title: "Nodes (ready or booting)", series: series { Double($0.nodesReady + $0.nodesBooting) },
                                 xLabel: xLabel, yLabel: "nodes", xFormat: xf, yFormat: number, xFromZero: true, plansKeyed: plansKeyed))
        let cdf = run.plans.enumerated().map { k, p in
            ChartSeries(name: p.plan, style: .of(k), plan: k,
                        points: p.totals.latency.cdf().map { (Double($0.0) / 1e9, $0.1) })
        }
        out.append(SVGChart.line(title: "Latency distribution (completed requests)", series: cdf, xLabel: "latency (seconds, log scale)",
                                 yLabel: "fraction at or below", xFormat: { Gates.show($0) }, yFormat: { CSVNumber.fixed($0 * 100, 0) + "%" },
                                 logX: true, yMax: 1, plansKeyed: plansKeyed))
        if run.reportsTokens { out += engineCharts(run, plansKeyed: plansKeyed, xLabel: xLabel, scale: scale) }
        out.append(SVGChart.line(title: "Cost so far", series: series(\.costSoFar), xLabel: xLabel, yLabel: "USD",
                                 xFormat: xf, yFormat: { "$" + number($0) }, xFromZero: true, plansKeyed: plansKeyed))
        out.append(SVGChart.line(title: "Cold starts", series: series { Double($0.coldStarts) }, xLabel: xLabel,
                                 yLabel: "requests per interval that waited on a start", xFormat: xf, yFormat: number, xFromZero: true, plansKeyed: plansKeyed))
        return out
    }
}
