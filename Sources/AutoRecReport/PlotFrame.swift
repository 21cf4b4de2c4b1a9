/// What every plot of the report shares: the canvas, the title, the axes with their ticks and
/// labels, the legend, and the caption under it (a `<figure>` with a `<figcaption>`).
struct PlotFrame {
    var title: String
    var xLabel: String
    var yLabel: String
    var caption: String
    var width = 680.0
    var height = 360.0

    static let palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
    static func colour(_ index: Int) -> String { palette[index % palette.count] }

    /// The plotting area inside the margins (title above, tick labels left and below, legend right).
    var left: Double { 64 }
    var right: Double { width - 190 }
    var top: Double { 34 }
    var bottom: Double { height - 48 }

    /// The figure around `body` (the marks), with the y axis of `yScale` and, for a numeric x axis,
    /// `xScale`; `xTicks` (position and label) serve a category axis instead.
    func figure(body: String, xScale: AxisScale?, xTicks: [(Double, String)] = [], yScale: AxisScale,
                legend: [String], legendMarker: LegendMarker = .line, empty: Bool = false) -> String {
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(SVGText.number(width)) \(SVGText.number(height))\" "
        svg += "width=\"\(SVGText.number(width))\" height=\"\(SVGText.number(height))\" role=\"img\" aria-label=\"\(SVGText.escaped(title))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        svg += "<title>\(SVGText.escaped(title))</title>\n"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(SVGText.number(width))\" height=\"\(SVGText.number(height))\" fill=\"#ffffff\"/>\n"
        svg += "<text class=\"plot-title\" x=\"\(SVGText.number(left))\" y=\"20\" font-size=\"14\" font-weight=\"bold\">\(SVGText.escaped(title))</text>\n"
        svg += yAxis(yScale)
        if let xScale { svg += xAxis(xScale.ticks.map { (xScale.position($0, from: left, to: right), xScale.label($0)) }) }
        else { svg += xAxis(xTicks) }
        svg += body
        if empty {
            svg += "<text class=\"no-data\" x=\"\(SVGText.number((left + right) / 2))\" y=\"\(SVGText.number((top + bottom) / 2))\" text-anchor=\"middle\" fill=\"#777777\">no data</text>\n"
        }
        svg += legendBlock(legend, marker: legendMarker)
        svg += "</svg>"
        return "<figure class=\"plot\">\n\(svg)\n<figcaption>\(SVGText.escaped(caption))</figcaption>\n</figure>\n"
    }

    enum LegendMarker { case line, box, dot }

    private func yAxis(_ scale: AxisScale) -> String {
        var s = "<g class=\"y-axis\">\n"
        s += line(left, top, left, bottom, colour: "#333333")
        for tick in scale.ticks {
            let y = scale.position(tick, from: bottom, to: top)
            s += line(left, y, right, y, colour: "#e5e5e5")
            s += line(left - 4, y, left, y, colour: "#333333")
            s += "<text x=\"\(SVGText.number(left - 7))\" y=\"\(SVGText.number(y + 4))\" text-anchor=\"end\">\(SVGText.escaped(scale.label(tick)))</text>\n"
        }
        let middle = SVGText.number((top + bottom) / 2)
        s += "<text class=\"axis-label\" x=\"14\" y=\"\(middle)\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(middle))\">\(SVGText.escaped(yLabel))</text>\n"
        return s + "</g>\n"
    }

    private func xAxis(_ ticks: [(Double, String)]) -> String {
        var s = "<g class=\"x-axis\">\n"
        s += line(left, bottom, right, bottom, colour: "#333333")
        for (x, label) in ticks {
            s += line(x, bottom, x, bottom + 4, colour: "#333333")
            s += "<text x=\"\(SVGText.number(x))\" y=\"\(SVGText.number(bottom + 16))\" text-anchor=\"middle\">\(SVGText.escaped(label))</text>\n"
        }
        s += "<text class=\"axis-label\" x=\"\(SVGText.number((left + right) / 2))\" y=\"\(SVGText.number(height - 10))\" text-anchor=\"middle\">\(SVGText.escaped(xLabel))</text>\n"
        return s + "</g>\n"
    }

    private func legendBlock(_ names: [String], marker: LegendMarker) -> String {
        guard !names.isEmpty else { return "" }
        var s = "<g class=\"legend\">\n"
        for (index, name) in names.enumerated() {
            let y = top + 8 + Double(index) * 18, x = right + 14
            switch marker {
            case .line: s += "<line x1=\"\(SVGText.number(x))\" y1=\"\(SVGText.number(y))\" x2=\"\(SVGText.number(x + 18))\" y2=\"\(SVGText.number(y))\" stroke=\"\(Self.colour(index))\" stroke-width=\"2.5\"/>\n"
            case .box: s += "<rect x=\"\(SVGText.number(x))\" y=\"\(SVGText.number(y - 5))\" width=\"18\" height=\"10\" fill=\"\(Self.colour(index))\"/>\n"
            case .dot: s += "<circle cx=\"\(SVGText.number(x + 9))\" cy=\"\(SVGText.number(y))\" r=\"4\" fill=\"\(Self.colour(index))\"/>\n"
            }
            s += "<text x=\"\(SVGText.number(x + 24))\" y=\"\(SVGText.number(y + 4))\">\(SVGText.escaped(name))</text>\n"
        }
        return s + "</g>\n"
    }

    func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, colour: String) -> String {
        "<line x1=\"\(SVGText.number(x1))\" y1=\"\(SVGText.number(y1))\" x2=\"\(SVGText.number(x2))\" y2=\"\(SVGText.number(y2))\" stroke=\"\(colour)\" stroke-width=\"1\"/>\n"
    }
}
