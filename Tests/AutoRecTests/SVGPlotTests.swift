import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import AutoRec
@testable import AutoRecModels
@testable import AutoRecReport

/// The report's SVG plot writer: axes and ticks for any range, NaN and empty series, escaped text,
/// well-formed XML.
final class SVGPlotTests: XCTestCase {
    func testTicksCoverAnyRangeWithNiceSteps() {
        let ranges: [[Double]] = [[0, 1], [0.0001, 0.00023], [-5, 1e7], [3, 3], [0, 0], [-2.5, -2.4], [1, 100_000],
                                  [0.19, 0.42], [], [.nan, .infinity], [7]]
        for values in ranges {
            let scale = AxisScale(covering: values)
            let finite = values.filter { $0.isFinite }
            XCTAssertLessThan(scale.lower, scale.upper, "\(values)")
            if let low = finite.min(), let high = finite.max() {
                XCTAssertLessThanOrEqual(scale.lower, low, "\(values)")
                XCTAssertGreaterThanOrEqual(scale.upper, high, "\(values)")
            }
            XCTAssertTrue((2...12).contains(scale.ticks.count), "\(values): \(scale.ticks)")
            XCTAssertEqual(scale.ticks.first, scale.lower); XCTAssertEqual(scale.ticks.last, scale.upper)
            let steps = zip(scale.ticks.dropFirst(), scale.ticks).map { $0 - $1 }
            XCTAssertTrue(steps.allSatisfy { abs($0 - steps[0]) <= 1e-9 * max(1, abs(steps[0])) }, "\(values): even steps")
            let mantissa = steps[0] / pow(10, log10(steps[0]).rounded(.down))
            XCTAssertTrue([1, 2, 5, 10].contains { abs(mantissa - $0) < 1e-6 }, "\(values): step \(steps[0])")
            let labels = scale.ticks.map(scale.label)
            XCTAssertEqual(Set(labels).count, labels.count, "\(values): distinct labels \(labels)")
        }
        XCTAssertEqual(AxisScale(covering: [0.19, 0.42]).ticks.map(AxisScale(covering: [0.19, 0.42]).label), ["0.15", "0.20", "0.25", "0.30", "0.35", "0.40", "0.45"])
        XCTAssertEqual(AxisScale(covering: [5, 9], includeZero: true).lower, 0, "bars start at zero")
    }

    func testNaNBreaksALineAndAnEmptyPlotSaysSo() throws {
        let broken = PlotSeries(name: "a", x: [1, 2, 3, 4, 5], y: [0.1, 0.2, .nan, 0.3, 0.4])
        let svg = XYPlot(title: "t", xLabel: "k", yLabel: "Recall@k", caption: "c", series: [broken]).svg()
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2, "the NaN splits the curve in two")
        XCTAssertFalse(svg.lowercased().contains("nan"), "no NaN reaches the SVG")
        try assertWellFormed(svg)
        for empty in [XYPlot(title: "t", xLabel: "x", yLabel: "y", caption: "c", series: []),
                      XYPlot(title: "t", xLabel: "x", yLabel: "y", caption: "c", series: [PlotSeries(name: "z", x: [.nan], y: [1])])] {
            let out = empty.svg()
            XCTAssertTrue(out.contains("no data")); XCTAssertTrue(out.contains("class=\"y-axis\""))
            try assertWellFormed(out)
        }
        let bars = BarPlot(title: "b", xLabel: "bucket", yLabel: "RMSE", caption: "c", categories: ["1-20", "21+"],
                           series: [("m", [0.9, .nan])]).svg()
        XCTAssertEqual(bars.components(separatedBy: "</rect>").count - 1, 1, "one bar; the NaN draws none")
        try assertWellFormed(bars)
    }

    func testDataTextStaysText() throws {
        let hostile = "<script>alert('x')</script> & \"more\"\u{1}"
        let plot = XYPlot(title: hostile, xLabel: hostile, yLabel: hostile, caption: hostile,
                          series: [PlotSeries(name: hostile, points: [PlotPoint(x: 1, y: 2, title: hostile)])], style: .points)
        let bars = BarPlot(title: hostile, xLabel: hostile, yLabel: hostile, caption: hostile, categories: [hostile], series: [(hostile, [1])])
        for svg in [plot.svg(), bars.svg()] {
            XCTAssertFalse(svg.contains("<script"), "a title with <script> stays text")
            XCTAssertTrue(svg.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"))
            try assertWellFormed(svg)
        }
    }

    func testEveryPlotHasAxesLegendAndCaption() throws {
        let plot = XYPlot(title: "Recall@k", xLabel: "k (list length)", yLabel: "Recall@k", caption: "Higher is better.",
                          series: [PlotSeries(name: "ease", x: [1, 10, 20], y: [0.05, 0.25, 0.4]),
                                   PlotSeries(name: "mult-vae", x: [1, 10, 20], y: [0.06, 0.26, 0.41])]).svg()
        for part in ["class=\"x-axis\"", "class=\"y-axis\"", "class=\"legend\"", "<figcaption>Higher is better.</figcaption>",
                     "k (list length)", ">mult-vae</text>"] {
            XCTAssertTrue(plot.contains(part), part)
        }
        try assertWellFormed(plot)
    }

    /// Parses `figure` as XML (the SVG inside a figure element).
    private func assertWellFormed(_ figure: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let parser = XMLParser(data: Data(figure.utf8))
        XCTAssertTrue(parser.parse(), "not well-formed: \(String(describing: parser.parserError))", file: file, line: line)
    }
}
