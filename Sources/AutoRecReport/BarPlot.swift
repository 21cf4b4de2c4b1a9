/// Grouped bars: one group per category (x), one bar per series in each; the y axis starts at 0.
/// A NaN value draws no bar. Renders a self-contained `<figure>` with inline SVG.
public struct BarPlot: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var caption: String
    public var categories: [String]
    /// Each series' values, one per category.
    public var series: [(name: String, values: [Double])]
    public var width = 680.0, height = 360.0

    public init(title: String, xLabel: String, yLabel: String, caption: String, categories: [String],
                series: [(name: String, values: [Double])]) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.caption = caption
        self.categories = categories; self.series = series
    }

    public func svg() -> String {
        let frame = PlotFrame(title: title, xLabel: xLabel, yLabel: yLabel, caption: caption, width: width, height: height)
        let values = series.flatMap { $0.values }.filter { $0.isFinite }
        let yScale = AxisScale(covering: values, includeZero: true)
        let groupWidth = (frame.right - frame.left) / Double(max(1, categories.count))
        let barWidth = groupWidth * 0.8 / Double(max(1, series.count))
        var body = "<g class=\"marks\">\n", ticks: [(Double, String)] = []
        for (c, category) in categories.enumerated() {
            let groupLeft = frame.left + Double(c) * groupWidth + groupWidth * 0.1
            ticks.append((groupLeft + groupWidth * 0.4, category))
            for (index, s) in series.enumerated() where c < s.values.count && s.values[c].isFinite {
                let value = s.values[c]
                let y0 = yScale.position(0, from: frame.bottom, to: frame.top), y1 = yScale.position(value, from: frame.bottom, to: frame.top)
                body += "<rect x=\"\(SVGText.number(groupLeft + Double(index) * barWidth))\" y=\"\(SVGText.number(min(y0, y1)))\" "
                body += "width=\"\(SVGText.number(barWidth * 0.92))\" height=\"\(SVGText.number(abs(y1 - y0)))\" fill=\"\(PlotFrame.colour(index))\">"
                body += "<title>\(SVGText.escaped("\(s.name), \(category): \(value)"))</title></rect>\n"
            }
        }
        body += "</g>\n"
        return frame.figure(body: body, xScale: nil, xTicks: ticks, yScale: yScale, legend: series.map(\.name),
                            legendMarker: .box, empty: values.isEmpty)
    }
}
