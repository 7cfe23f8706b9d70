import Foundation
import Simulator

/// How one plan is drawn, the same in every chart and table of a report.
///
/// Twelve colours, then the same twelve again with a dashed line (a square marker in a
/// scatter), so 24 plans stay distinguishable without leaning on colour alone; beyond 24
/// the styles repeat (the report's plan filter then separates them).
public struct SeriesStyle: Sendable, Equatable {
    public var color: String
    /// An SVG `stroke-dasharray`, or nil for a solid line.
    public var dash: String?
    /// A scatter point drawn as a square rather than a circle.
    public var square: Bool

    /// The style of the `k`-th plan.
    public static func of(_ k: Int) -> SeriesStyle {
        let c = SVGChart.palette
        let variant = (k / c.count) % 2
        return SeriesStyle(color: c[k % c.count], dash: variant == 1 ? "7 4" : nil, square: variant == 1)
    }

    /// A legend or table swatch in HTML: a short line (dashed when the plan's line is).
    public var swatch: String {
        "<i class=\"sw\" style=\"border-top: 3px \(dash == nil ? "solid" : "dashed") \(color)\"></i>"
    }

    /// A scatter legend's marker in HTML.
    public var marker: String {
        "<i class=\"mk\" style=\"background: \(color); border-radius: \(square ? "1px" : "50%")\"></i>"
    }
}

/// One line (or set of dots) of a chart.
public struct ChartSeries: Sendable {
    public var name: String
    public var style: SeriesStyle
    /// The plan's index, so the report's plan filter can hide the line (nil: not a plan's).
    public var plan: Int?
    public var points: [(x: Double, y: Double)]
    public init(name: String, style: SeriesStyle, plan: Int? = nil, points: [(x: Double, y: Double)]) {
        self.name = name
        self.style = style
        self.plan = plan
        self.points = points
    }
}

/// Charts for a report: a title and a legend in HTML above an inline SVG plot with axes,
/// units and ticks. No script, no external file.
///
/// The legend is HTML so it wraps with the text's real width above the plot, however many
/// plans there are: inside the SVG it had to guess widths, and past eight plans it ran over
/// the plot and hid lines.
public enum SVGChart {
    /// The twelve plan colours: Tailwind's 600–800 shades, picked to be distinguishable from
    /// one another on white and in print (the first eight are the report's original ones).
    public static let palette = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563",
                                 "#65a30d", "#92400e", "#1e3a8a", "#c026d3"]

    static let width = 560.0, height = 280.0
    static let left = 62.0, right = 16.0, top = 12.0, bottom = 46.0

    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// About `count` round tick values covering [lo, hi].
    static func niceTicks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo else { return [lo] }
        let raw = (hi - lo) / Double(count)
        let magnitude = pow10(floorLog10(raw))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        // Ticks as whole multiples of the step, rounded to the step's decimals so 3 × 0.2 is 0.6.
        let scale = pow10(Swift.max(0, -floorLog10(step)) + 2)
        var ticks: [Double] = []
        var k = (lo / step).rounded(.down)
        while k * step <= hi + step * 1e-9 {
            let t = (k * step * scale).rounded() / scale
            if t >= lo - step * 1e-9 { ticks.append(t == 0 ? 0 : t) }
            k += 1
        }
        return ticks
    }

    static func floorLog10(_ x: Double) -> Int { Int(Foundation.log10(x).rounded(.down)) }
    static func pow10(_ e: Int) -> Double { Foundation.pow(10, Double(e)) }
    static func log10(_ x: Double) -> Double { Foundation.log10(x) }

    /// A line chart. `logX` puts x on a base-10 log scale (values must be > 0).
    public static func line(title: String, series: [ChartSeries], xLabel: String, yLabel: String,
                            xFormat: (Double) -> String, yFormat: (Double) -> String,
                            logX: Bool = false, yFromZero: Bool = true, yMax: Double? = nil, xFromZero: Bool = false,
                            plansKeyed: Bool = true) -> String {
        let all = series.flatMap(\.points).filter { !logX || $0.x > 0 }
        guard !all.isEmpty else { return empty(title) }
        var xs = all.map(\.x), ys = all.map(\.y)
        if logX { xs = xs.map(log10) }
        var x0 = xFromZero ? Swift.min(0, xs.min()!) : xs.min()!, x1 = xs.max()!
        var y0 = yFromZero ? Swift.min(0, ys.min()!) : ys.min()!, y1 = yMax ?? ys.max()!
        if x1 <= x0 { x1 = x0 + 1 }
        if y1 <= y0 { y1 = y0 + 1 }
        let xTicks: [Double]
        if logX {
            x0 = x0.rounded(.down); x1 = x1.rounded(.up)
            if x1 <= x0 { x1 = x0 + 1 }
            xTicks = Array(stride(from: x0, through: x1, by: 1))
        } else {
            xTicks = niceTicks(x0, x1)
            x1 = Swift.max(x1, xTicks.last ?? x1)
        }
        let yTicks = niceTicks(y0, y1)
        y1 = Swift.max(y1, yTicks.last ?? y1)
        y0 = Swift.min(y0, yTicks.first ?? y0)
        let px = { (x: Double) in left + (x - x0) / (x1 - x0) * (width - left - right) }
        let py = { (y: Double) in height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom) }

        var svg = header(title)
        for t in yTicks {
            let y = py(t)
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(width - right))\" y2=\"\(f(y))\" class=\"grid\"/>"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" class=\"tick\" text-anchor=\"end\">\(escape(yFormat(t)))</text>"
        }
        for t in xTicks {
            let x = px(t)
            svg += "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(height - bottom))\" class=\"grid\"/>"
            svg += "<text x=\"\(f(x))\" y=\"\(f(height - bottom + 16))\" class=\"tick\" text-anchor=\"middle\">\(escape(xFormat(logX ? pow10(Int(t)) : t)))</text>"
        }
        svg += axes(xLabel: xLabel, yLabel: yLabel)
        for s in series {
            let pts = s.points.filter { !logX || $0.x > 0 }
            guard !pts.isEmpty else { continue }
            let d = pts.enumerated().map { k, p in "\(k == 0 ? "M" : "L")\(f(px(logX ? log10(p.x) : p.x))),\(f(py(p.y)))" }.joined()
            svg += "<path\(planClass(s.plan)) d=\"\(d)\" fill=\"none\" stroke=\"\(s.style.color)\" stroke-width=\"2\" stroke-linejoin=\"round\""
            svg += (s.style.dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>"
        }
        // A line identical to an earlier one is drawn over it and hides it: say so in the legend.
        // Without `plansKeyed` (the page's plan filter is the legend) only those notes and
        // the lines that are not a plan's get a key.
        var keys: [(SeriesStyle, Int?, String)] = []
        for (i, s) in series.enumerated() {
            let twin = series[..<i].first { $0.points.count == s.points.count && zip($0.points, s.points).allSatisfy { $0 == $1 } }
            guard plansKeyed || s.plan == nil || twin != nil else { continue }
            keys.append((s.style, s.plan, s.name + (twin.map { " = " + $0.name } ?? "")))
        }
        return heading(title) + legend(keys.map { ($0.0.swatch, $0.1, $0.2) }) + svg + "</svg>"
    }

    /// A scatter chart of plans' runs; highlighted points (the Pareto front) are drawn larger
    /// and joined by a dashed line.
    public static func scatter(title: String, points: [(x: Double, y: Double, plan: Int, highlighted: Bool)],
                               plans: [String], xLabel: String, yLabel: String,
                               xFormat: (Double) -> String, yFormat: (Double) -> String, plansKeyed: Bool = true) -> String {
        guard !points.isEmpty else { return empty(title) }
        var x0 = points.map(\.x).min()!, x1 = points.map(\.x).max()!
        var y0 = Swift.min(0, points.map(\.y).min()!), y1 = points.map(\.y).max()!
        if x1 <= x0 { x0 -= 1; x1 += 1 }
        if y1 <= y0 { y1 = y0 + 1 }
        let xTicks = niceTicks(x0, x1), yTicks = niceTicks(y0, y1)
        x0 = Swift.min(x0, xTicks.first!); x1 = Swift.max(x1, xTicks.last!)
        y0 = Swift.min(y0, yTicks.first!); y1 = Swift.max(y1, yTicks.last!)
        let px = { (x: Double) in left + (x - x0) / (x1 - x0) * (width - left - right) }
        let py = { (y: Double) in height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom) }
        var svg = header(title)
        for t in yTicks {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(width - right))\" y2=\"\(f(py(t)))\" class=\"grid\"/>"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(py(t) + 4))\" class=\"tick\" text-anchor=\"end\">\(escape(yFormat(t)))</text>"
        }
        for t in xTicks {
            svg += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top))\" x2=\"\(f(px(t)))\" y2=\"\(f(height - bottom))\" class=\"grid\"/>"
            svg += "<text x=\"\(f(px(t)))\" y=\"\(f(height - bottom + 16))\" class=\"tick\" text-anchor=\"middle\">\(escape(xFormat(t)))</text>"
        }
        svg += axes(xLabel: xLabel, yLabel: yLabel)
        let front = points.filter(\.highlighted).sorted { $0.x < $1.x }
        if front.count > 1 {
            let d = front.enumerated().map { k, p in "\(k == 0 ? "M" : "L")\(f(px(p.x))),\(f(py(p.y)))" }.joined()
            svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"#111827\" stroke-width=\"1\" stroke-dasharray=\"4 3\"/>"
        }
        func dot(_ p: (x: Double, y: Double, plan: Int, highlighted: Bool), radius r: Double, extra: String) -> String {
            let style = SeriesStyle.of(p.plan), x = px(p.x), y = py(p.y)
            if style.square {
                return "<rect\(planClass(p.plan)) x=\"\(f(x - r))\" y=\"\(f(y - r))\" width=\"\(f(2 * r))\" height=\"\(f(2 * r))\" fill=\"\(style.color)\"\(extra)/>"
            }
            return "<circle\(planClass(p.plan)) cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(r))\" fill=\"\(style.color)\"\(extra)/>"
        }
        for p in points where !p.highlighted { svg += dot(p, radius: 3, extra: " fill-opacity=\"0.35\"") }
        for p in front { svg += dot(p, radius: 5, extra: " stroke=\"#111827\" stroke-width=\"1\"") }
        let keys = (plansKeyed ? plans.enumerated().map { (SeriesStyle.of($0).marker, Optional($0), $1) } : [])
            + [("<i class=\"sw\" style=\"border-top: 1px dashed #111827\"></i>", nil, "Pareto front")]
        return heading(title) + legend(keys) + svg + "</svg>"
    }

    static func f(_ x: Double) -> String { CSVNumber.fixed(x, 1) }

    /// The SVG's opening with the plot area marked (`rect.plot`: the report's layout test
    /// checks the legend stays clear of it and the lines inside it).
    static func header(_ title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
            + "<rect class=\"plot\" x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width - left - right))\" height=\"\(f(height - top - bottom))\" fill=\"none\"/>"
    }

    static func heading(_ title: String) -> String { "<div class=\"chart-title\">\(escape(title))</div>" }

    /// ` class="pK"` for a plan's marks, so the plan filter's CSS can hide them.
    static func planClass(_ plan: Int?) -> String { plan.map { " class=\"p\($0)\"" } ?? "" }

    static func axes(xLabel: String, yLabel: String) -> String {
        "<line x1=\"\(f(left))\" y1=\"\(f(height - bottom))\" x2=\"\(f(width - right))\" y2=\"\(f(height - bottom))\" class=\"axis\"/>"
            + "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(height - bottom))\" class=\"axis\"/>"
            + "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 8))\" class=\"label\" text-anchor=\"middle\">\(escape(xLabel))</text>"
            + "<text transform=\"translate(14 \(f((top + height - bottom) / 2))) rotate(-90)\" class=\"label\" text-anchor=\"middle\">\(escape(yLabel))</text>"
    }

    /// The legend: one key per series (swatch HTML, plan index, name), wrapping above the plot.
    static func legend(_ items: [(String, Int?, String)]) -> String {
        guard !items.isEmpty else { return "" }
        var html = "<div class=\"legend\">"
        for (swatch, plan, name) in items {
            html += "<span class=\"key\(plan.map { " p\($0)" } ?? "")\" title=\"\(escape(name))\">\(swatch)\(escape(name))</span>"
        }
        return html + "</div>"
    }

    static func empty(_ title: String) -> String {
        heading(title) + header(title) + "<text x=\"\(f(width / 2))\" y=\"\(f(height / 2))\" class=\"label\" text-anchor=\"middle\">no data</text></svg>"
    }
}
