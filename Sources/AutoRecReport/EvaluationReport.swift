import Foundation
import AutoRecCore
import AutoRecModels

/// One self-contained HTML page of an offline evaluation: the metric table and the plots (inline
/// SVG written by `XYPlot` and `BarPlot`; no scripts, no fonts or files from anywhere else).
public struct EvaluationReport: Sendable {
    public var title = "autorec evaluation report"
    /// What was measured on, e.g. "data/ml-100k/splits/implicit-80-20/test.tsv: 938 users, 11075 interactions".
    public var testDescription: String
    public var models: [ModelFigures]
    /// The catalogue's own share of the training interactions per popularity decile.
    public var catalogueShare: [Double]?
    public var itemMap: ItemMap?
    public var generated: String

    public init(testDescription: String, models: [ModelFigures], catalogueShare: [Double]? = nil,
                itemMap: ItemMap? = nil, generated: String = ISO8601DateFormatter().string(from: Date())) {
        self.testDescription = testDescription; self.models = models; self.catalogueShare = catalogueShare
        self.itemMap = itemMap; self.generated = generated
    }

    /// The page. Every data string is escaped.
    public func html() -> String {
        var page = ReportPage.head(title: title)
        page += "<h1>\(SVGText.escaped(title))</h1>\n"
        page += "<p class=\"meta\">Test part: \(SVGText.escaped(testDescription)). Written \(SVGText.escaped(generated)) by autorec.</p>\n"
        page += "<h2>Metrics</h2>\n" + metricTable()
        for (heading, plot) in plots() { page += "<h2>\(SVGText.escaped(heading))</h2>\n" + plot }
        return page + "</body>\n</html>\n"
    }

    /// The plots in page order, each under a heading.
    public func plots() -> [(heading: String, svg: String)] {
        var out: [(String, String)] = [
            ("Recall@k", curve(\.recall, label: "Recall@k", caption: "Share of each user's test items found in the top k, averaged over users; higher is better.")),
            ("NDCG@k", curve(\.ndcg, label: "NDCG@k", caption: "Discounted gain of the hits by rank in the top k, against the best possible order; higher is better.")),
            ("Catalogue coverage@k", curve(\.coverage, label: "coverage@k (share of items)", caption: "Share of the catalogue that appears in at least one user's top k.")),
        ]
        out += LearningCurvePlots(curves: models.compactMap { m in m.curve.map { (m.name, $0) } }).plots()
        out.append(("Recall@20 by user activity", BarPlot(
            title: "Recall@20 by user activity", xLabel: "training interactions per user", yLabel: "Recall@20",
            caption: "Users bucketed by how many training interactions they have (users per bucket: \(usersPerBucket)).",
            categories: ActivityBuckets.labels, series: models.map { ($0.name, $0.recallByActivity) }).svg()))
        let rated = models.filter { $0.rmseByActivity != nil }
        if !rated.isEmpty {
            out.append(("RMSE by user activity", BarPlot(
                title: "RMSE by user activity", xLabel: "training ratings per user", yLabel: "RMSE (stars)",
                caption: "Root mean squared error of the predicted ratings per activity bucket; lower is better.",
                categories: ActivityBuckets.labels, series: rated.map { ($0.name, $0.rmseByActivity!) }).svg()))
        }
        var popularity = models.map { ($0.name, $0.popularityShare) }
        if let catalogueShare { popularity.append(("training interactions", catalogueShare)) }
        out.append(("Popularity bias", BarPlot(
            title: "Where the top-20 lists come from", xLabel: "item popularity decile (1: the most popular 10% of items)",
            yLabel: "share of top-20 slots",
            caption: "Each model's top-20 slots by the popularity decile of the recommended item, beside the training interactions' own share.",
            categories: (1...10).map(String.init), series: popularity).svg()))
        if let itemMap { out.append(("Item map", itemMapPlot(itemMap))) }
        return out
    }

    private var usersPerBucket: String {
        guard let first = models.first else { return "none" }
        return zip(ActivityBuckets.labels, first.usersByActivity).map { "\($0) \($1)" }.joined(separator: ", ")
    }

    private func curve(_ metric: KeyPath<RankingMetrics, [Int: Double]>, label: String, caption: String) -> String {
        let series = models.map { m in
            let values = m.metrics[keyPath: metric]
            return PlotSeries(name: m.name, x: m.metrics.k.map(Double.init), y: m.metrics.k.map { values[$0] ?? .nan })
        }
        return XYPlot(title: "\(label) over k", xLabel: "k (list length, items)", yLabel: label, caption: caption, series: series).svg()
    }

    private func itemMapPlot(_ map: ItemMap) -> String {
        let series = (0..<map.clusters).map { c in
            PlotSeries(name: "cluster \(c + 1)", points: map.points.filter { $0.cluster == c }.map { PlotPoint(x: $0.x, y: $0.y, title: $0.title) })
        }
        let kept = String(format: "%.0f%%", 100 * map.explained)
        return XYPlot(title: "Items by their \(map.source) embedding", xLabel: "first principal axis of the codes",
                      yLabel: "second principal axis", caption: "Each item's \(map.source) code projected to its two leading principal axes (\(kept) of the codes' variance), coloured by k-means cluster; hover a point for its title.",
                      series: series, style: .points).svg()
    }

    /// The side-by-side table `evaluate` prints, as HTML.
    func metricTable() -> String {
        let columns: [(String, (ModelFigures) -> String)] = [
            ("model", { $0.name }), ("kind", { $0.kind }),
            ("Recall@10", { Self.metric($0.metrics.recall[10]) }), ("Recall@20", { Self.metric($0.metrics.recall[20]) }),
            ("Recall@50", { Self.metric($0.metrics.recall[50]) }), ("NDCG@10", { Self.metric($0.metrics.ndcg[10]) }),
            ("NDCG@20", { Self.metric($0.metrics.ndcg[20]) }), ("NDCG@50", { Self.metric($0.metrics.ndcg[50]) }),
            ("Precision@20", { Self.metric($0.metrics.precision[20]) }), ("MAP@20", { Self.metric($0.metrics.map[20]) }),
            ("coverage@20", { Self.metric($0.metrics.coverage[20]) }), ("users", { "\($0.metrics.users)" }),
            ("train s", { $0.trainSeconds.map { String(format: "%.2f", $0) } ?? "-" }),
        ]
        return HTMLTable.render(headers: columns.map(\.0), rows: models.map { m in columns.map { .text($0.1(m)) } })
    }

    static func metric(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "-" }
}

/// The page's head and its print-friendly style.
enum ReportPage {
    static func head(title: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(SVGText.escaped(title))</title>
        <style>
        body { font-family: sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #222; }
        .table { overflow-x: auto; }
        table { border-collapse: collapse; font-size: 12px; margin: 1em 0; }
        th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; white-space: nowrap; }
        th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
        td.text { white-space: normal; text-align: left; min-width: 320px; }
        figure { margin: 1em 0 2em 0; break-inside: avoid; page-break-inside: avoid; }
        figure svg { max-width: 100%; height: auto; }
        figcaption { font-size: 13px; color: #444; }
        .meta { color: #555; font-size: 13px; }
        @media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } }
        </style>
        </head>
        <body>

        """
    }
}
