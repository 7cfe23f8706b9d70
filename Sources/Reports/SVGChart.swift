import Foundation
import Simulator

/// One line (or set of dots) of a chart.
public struct ChartSeries: Sendable {
    public var name: String
    public var color: String
    public var points: [(x: Double, y: Double)]
    public init(name: String, color: String, points: [(x: Double, y: Double)]) {
        self.name = name
        self.color = color
        self.points = points
    }
}

/// Inline SVG charts with axes, units, ticks and a legend: no script, no external file.
public enum SVGChart {
    /// Plan colours, distinguishable and print-safe.
    public static let palette = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"]

    static let width = 560.0, height = 300.0
    static let left = 62.0, right = 16.0, top = 40.0, bottom = 46.0

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
                            logX: Bool = false, yFromZero: Bool = true, yMax: Double? = nil, xFromZero: Bool = false) -> String {
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
            svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\" stroke-linejoin=\"round\"/>"
        }
        svg += legend(series.map { ($0.name, $0.color) })
        return svg + "</svg>"
    }

    /// A scatter chart; highlighted points are drawn larger, in colour, with a label.
    public static func scatter(title: String, points: [(x: Double, y: Double, color: String, highlighted: Bool)],
                               legendItems: [(String, String)], xLabel: String, yLabel: String,
                               xFormat: (Double) -> String, yFormat: (Double) -> String) -> String {
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
        for p in points where !p.highlighted {
            svg += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3\" fill=\"\(p.color)\" fill-opacity=\"0.35\"/>"
        }
        for p in front {
            svg += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"5\" fill=\"\(p.color)\" stroke=\"#111827\" stroke-width=\"1\"/>"
        }
        svg += legend(legendItems + [("Pareto front", "#111827")])
        return svg + "</svg>"
    }

    static func f(_ x: Double) -> String { CSVNumber.fixed(x, 1) }

    static func header(_ title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
            + "<text x=\"\(f(left))\" y=\"18\" class=\"title\">\(escape(title))</text>"
    }

    static func axes(xLabel: String, yLabel: String) -> String {
        "<line x1=\"\(f(left))\" y1=\"\(f(height - bottom))\" x2=\"\(f(width - right))\" y2=\"\(f(height - bottom))\" class=\"axis\"/>"
            + "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(height - bottom))\" class=\"axis\"/>"
            + "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 8))\" class=\"label\" text-anchor=\"middle\">\(escape(xLabel))</text>"
            + "<text transform=\"translate(14 \(f((top + height - bottom) / 2))) rotate(-90)\" class=\"label\" text-anchor=\"middle\">\(escape(yLabel))</text>"
    }

    static func legend(_ items: [(String, String)]) -> String {
        var svg = ""
        var x = width - right
        for (name, color) in items.reversed() {
            let w = Double(name.count) * 6.4 + 22
            x -= w
            svg += "<rect x=\"\(f(x))\" y=\"24\" width=\"12\" height=\"4\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(f(x + 16))\" y=\"30\" class=\"legend\">\(escape(name))</text>"
        }
        return svg
    }

    static func empty(_ title: String) -> String {
        header(title) + "<text x=\"\(f(width / 2))\" y=\"\(f(height / 2))\" class=\"label\" text-anchor=\"middle\">no data</text></svg>"
    }
}
