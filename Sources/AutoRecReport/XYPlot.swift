/// One point of a plot; `title` is shown on hover (an SVG `<title>`), e.g. an item's name.
public struct PlotPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var title: String?
    public init(x: Double, y: Double, title: String? = nil) { self.x = x; self.y = y; self.title = title }
}

/// A named series of points, drawn in one colour.
public struct PlotSeries: Sendable, Equatable {
    public var name: String
    public var points: [PlotPoint]
    public init(name: String, points: [PlotPoint]) { self.name = name; self.points = points }
    public init(name: String, x: [Double], y: [Double]) {
        self.init(name: name, points: zip(x, y).map { PlotPoint(x: $0, y: $1) })
    }
}

/// A plot of numeric x against numeric y: curves (`.lines`, a NaN point breaks the line) or a
/// scatter (`.points`, a NaN point is left out). Renders a self-contained `<figure>` with inline SVG.
public struct XYPlot: Sendable {
    public enum Style: Sendable { case lines, points }
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var caption: String
    public var series: [PlotSeries]
    public var style: Style
    public var width = 680.0, height = 360.0

    public init(title: String, xLabel: String, yLabel: String, caption: String, series: [PlotSeries], style: Style = .lines) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.caption = caption
        self.series = series; self.style = style
    }

    public func svg() -> String {
        let frame = PlotFrame(title: title, xLabel: xLabel, yLabel: yLabel, caption: caption, width: width, height: height)
        let finite = series.flatMap { $0.points }.filter { $0.x.isFinite && $0.y.isFinite }
        let xScale = AxisScale(covering: padded(finite.map(\.x))), yScale = AxisScale(covering: padded(finite.map(\.y)))
        var body = "<g class=\"marks\">\n"
        for (index, s) in series.enumerated() {
            let colour = PlotFrame.colour(index)
            let place = { (p: PlotPoint) in (xScale.position(p.x, from: frame.left, to: frame.right), yScale.position(p.y, from: frame.bottom, to: frame.top)) }
            switch style {
            case .lines: body += polylines(s, colour: colour, place: place)
            case .points: body += dots(s, colour: colour, place: place)
            }
        }
        body += "</g>\n"
        return frame.figure(body: body, xScale: xScale, yScale: yScale, legend: series.map(\.name),
                            legendMarker: style == .lines ? .line : .dot, empty: finite.isEmpty)
    }

    /// A scatter's range widened by 5% each side, so that no point sits on an axis.
    private func padded(_ values: [Double]) -> [Double] {
        guard style == .points, let low = values.min(), let high = values.max() else { return values }
        let pad = high > low ? (high - low) * 0.05 : 0.5
        return values + [low - pad, high + pad]
    }

    /// One `<polyline>` per run of finite points, with a dot (and its hover title) on each point.
    private func polylines(_ s: PlotSeries, colour: String, place: (PlotPoint) -> (Double, Double)) -> String {
        var out = "", run: [String] = []
        func flush() {
            if run.count > 1 { out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(run.joined(separator: " "))\"/>\n" }
            run = []
        }
        for p in s.points {
            guard p.x.isFinite, p.y.isFinite else { flush(); continue }
            let (x, y) = place(p)
            run.append("\(SVGText.number(x)),\(SVGText.number(y))")
        }
        flush()
        return out + dots(s, colour: colour, place: place, radius: 2.5)
    }

    private func dots(_ s: PlotSeries, colour: String, place: (PlotPoint) -> (Double, Double), radius: Double = 3.5) -> String {
        var out = ""
        for p in s.points where p.x.isFinite && p.y.isFinite {
            let (x, y) = place(p)
            let hover = "<title>\(SVGText.escaped(p.title ?? "\(s.name): \(SVGText.number(p.x)), \(p.y)"))</title>"
            out += "<circle cx=\"\(SVGText.number(x))\" cy=\"\(SVGText.number(y))\" r=\"\(SVGText.number(radius))\" fill=\"\(colour)\" fill-opacity=\"0.8\">\(hover)</circle>\n"
        }
        return out
    }
}
