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
    .card { border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px 14px; border-top: 4px solid var(--c); }
    .card .name { font-weight: 600; } .card .policy { color: #6b7280; font-size: 12px; margin-left: 6px; }
    .card .big { font-size: 24px; font-weight: 650; margin: 6px 0 2px; font-variant-numeric: tabular-nums; }
    .card .sub { color: #4b5563; font-size: 12.5px; font-variant-numeric: tabular-nums; }
    table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 13px; }
    .scroll { overflow-x: auto; }
    th, td { padding: 6px 7px; border-bottom: 1px solid #e5e7eb; text-align: right; white-space: nowrap; }
    th { font-size: 12px; color: #4b5563; font-weight: 600; background: #f9fafb; }
    th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
    td.best { background: #dcfce7; font-weight: 650; }
    .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
    .note { color: #6b7280; font-size: 12.5px; margin: 10px 0 0; }
    .gates th, .gates td { text-align: left; } .gates td.num, .gates th.num { text-align: right; }
    .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 700; }
    .PASS { background: #dcfce7; color: #166534; } .FAIL { background: #fee2e2; color: #991b1b; } .SKIP { background: #e5e7eb; color: #374151; }
    .charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 14px; }
    .chart { border: 1px solid #e5e7eb; border-radius: 8px; padding: 6px; }
    svg { width: 100%; height: auto; display: block; }
    svg .title { font-size: 13px; font-weight: 650; fill: #111827; }
    svg .tick { font-size: 10.5px; fill: #4b5563; } svg .label { font-size: 11px; fill: #374151; } svg .legend { font-size: 10.5px; fill: #374151; }
    svg .grid { stroke: #e5e7eb; stroke-width: 1; } svg .axis { stroke: #6b7280; stroke-width: 1; }
    footer { color: #6b7280; font-size: 12px; margin-top: 16px; }
    @media print { body { background: #fff; } section { break-inside: avoid; } }
    """

    static func esc(_ s: String) -> String { SVGChart.escape(s) }

    public static func page(title: String, body: String) -> String {
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            + "<title>\(esc(title))</title>\n<style>\n\(style)\n</style>\n</head>\n<body>\n<main>\n\(body)\n</main>\n</body>\n</html>\n"
    }

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
        let color = { (k: Int) in SVGChart.palette[k % SVGChart.palette.count] }
        let rows = run.plans.map(Summary.row)
        var body = "<header>\n<h1>\(esc(s.name))</h1>\n"
        if let d = s.description { body += "<p class=\"desc\">\(esc(d))</p>\n" }
        let requests = run.plans.first?.totals.requests ?? 0
        body += "<p class=\"meta\">\(run.plans.count) plan\(run.plans.count == 1 ? "" : "s") · \(requests) requests each · arrivals for \(TerminalTable.duration(s.duration)) · seed \(run.seed)"
        if let l = s.slo.latency { body += " · SLO: \(Gates.show(s.slo.percentile)) % of requests within \(TerminalTable.duration(l))" }
        body += " · Headroom \(version)</p>\n</header>\n"

        // Headline cards.
        body += "<section>\n<h2>At a glance</h2>\n<div class=\"cards\">\n"
        for (k, r) in rows.enumerated() {
            body += "<div class=\"card\" style=\"--c: \(color(k))\"><span class=\"name\">\(esc(r.plan))</span><span class=\"policy\">\(esc(r.policy))</span>"
            body += "<div class=\"big\">\(esc(TerminalTable.money(r.value("cost_usd"))))</div>"
            body += "<div class=\"sub\">\(esc(TerminalTable.money(r.value("cost_per_1k_requests_usd")))) per 1,000 requests</div>"
            body += "<div class=\"sub\">p99 \(esc(TerminalTable.duration(r.value("latency_p99_s"))))"
            if let a = r.value("slo_attainment") { body += " · \(CSVNumber.fixed(a * 100, 1)) % within SLO" }
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
            let values = rows.compactMap { $0.value(c.0) }
            if let b = lower ? values.min() : values.max(), values.contains(where: { $0 != b }) { best[k] = b }
        }
        for (p, r) in rows.enumerated() {
            body += "<tr><td><span class=\"swatch\" style=\"background: \(color(p))\"></span>\(esc(r.plan))</td><td>\(esc(r.policy))</td>"
            for (k, c) in columns.enumerated() {
                let v = r.value(c.0)
                let text: String
                switch c.0 {
                case let m where m.hasSuffix("_s"): text = TerminalTable.duration(v)
                case let m where m.hasPrefix("cost"): text = TerminalTable.money(v)
                case "utilisation", "slo_attainment": text = v.map { CSVNumber.fixed($0 * 100, 1) + " %" } ?? "–"
                default: text = v.map { Gates.show($0) } ?? "–"
                }
                body += "<td\(v != nil && best[k] == v ? " class=\"best\"" : "")>\(esc(text))</td>"
            }
            body += "</tr>\n"
        }
        body += "</table></div>\n<p class=\"note\">Every plan replays the same arrivals (same seed), so differences come from the policy alone. Green: the best value in its column. Latency is arrival to completion, end to end through pipelines; cost follows each plan's billing rules.</p>\n</section>\n"

        if !gates.isEmpty {
            body += "<section>\n<h2>Gates</h2>\n<table class=\"gates\">\n<tr><th>result</th><th>plan</th><th>metric</th><th class=\"num\">measured</th><th>bound</th><th>note</th></tr>\n"
            for g in gates {
                body += "<tr><td><span class=\"badge \(g.verdict.rawValue)\">\(g.verdict.rawValue)</span></td><td>\(esc(g.plan))</td><td>\(esc(g.metric))</td>"
                body += "<td class=\"num\">\(esc(g.measured.map { $0.isFinite ? Gates.show($0) : "∞" } ?? "–"))</td><td>\(esc(g.bound))</td><td>\(esc(g.note))</td></tr>\n"
            }
            body += "</table>\n</section>\n"
        }

        body += "<section>\n<h2>Over time</h2>\n<div class=\"charts\">\n"
        for chart in charts(run) { body += "<div class=\"chart\">\(chart)</div>\n" }
        body += "</div>\n</section>\n"
        if let manifest { body += manifest.html }
        body += "<footer>Generated by Headroom \(version) from \(esc(s.file)). The same numbers are in summary.csv, targets.csv and timeseries.csv beside this file.</footer>"
        return page(title: "Headroom — \(s.name)", body: body)
    }

    /// The charts of a run: arrivals, instances, nodes, latency CDF, cost, cold starts.
    static func charts(_ run: RunResult) -> [String] {
        let end = run.plans.map(\.endTime).max() ?? run.scenario.duration
        let (xLabel, scale) = timeAxis(end)
        let xf = { (x: Double) in Gates.show(x) }
        func series(_ value: (TimeseriesRow) -> Double) -> [ChartSeries] {
            run.plans.enumerated().map { k, p in
                ChartSeries(name: p.plan, color: SVGChart.palette[k % SVGChart.palette.count],
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
            let arrivals = ChartSeries(name: "all plans", color: "#111827",
                                       points: zip(p.timeseries, intervals).map { ($0.time / scale, Double($0.arrivals) / $1) })
            out.append(SVGChart.line(title: "Arrivals", series: [arrivals], xLabel: xLabel, yLabel: "requests per second",
                                     xFormat: xf, yFormat: number, xFromZero: true))
        }
        out.append(SVGChart.line(title: "Instances (serving, idle or starting)", series: series { Double($0.instancesBusy + $0.instancesIdle + $0.instancesStarting) },
                                 xLabel: xLabel, yLabel: "instances", xFormat: xf, yFormat: number, xFromZero: true))
        out.append(SVGChart.line(title: "Nodes (ready or booting)", series: series { Double($0.nodesReady + $0.nodesBooting) },
                                 xLabel: xLabel, yLabel: "nodes", xFormat: xf, yFormat: number, xFromZero: true))
        let cdf = run.plans.enumerated().map { k, p in
            ChartSeries(name: p.plan, color: SVGChart.palette[k % SVGChart.palette.count],
                        points: p.totals.latency.cdf().map { (Double($0.0) / 1e9, $0.1) })
        }
        out.append(SVGChart.line(title: "Latency distribution (completed requests)", series: cdf, xLabel: "latency (seconds, log scale)",
                                 yLabel: "fraction at or below", xFormat: { Gates.show($0) }, yFormat: { CSVNumber.fixed($0 * 100, 0) + "%" },
                                 logX: true, yMax: 1))
        out.append(SVGChart.line(title: "Cost so far", series: series(\.costSoFar), xLabel: xLabel, yLabel: "USD",
                                 xFormat: xf, yFormat: { "$" + number($0) }, xFromZero: true))
        out.append(SVGChart.line(title: "Cold starts", series: series { Double($0.coldStarts) }, xLabel: xLabel,
                                 yLabel: "requests per interval that waited on a start", xFormat: xf, yFormat: number, xFromZero: true))
        return out
    }
}
