import Foundation
import AutoRecCore
import AutoRec

/// The store's side of the report: the registry's models (the active one marked) and the nightly
/// job's history (each run's holdout metric, promoted or kept, its step timings). Plain data here;
/// AutoRecStore reads it from PostgreSQL.
public struct StoreReport: Sendable {
    public struct Model: Sendable {
        public var id: Int, kind: String, task: String, status: String, createdAt: String
        /// The registry's numeric metrics (holdout_recall@20, train_seconds, epochs, ...).
        public var metrics: [String: Double]
        public var curve: LearningCurve?
        public init(id: Int, kind: String, task: String, status: String, createdAt: String, metrics: [String: Double], curve: LearningCurve?) {
            self.id = id; self.kind = kind; self.task = task; self.status = status; self.createdAt = createdAt
            self.metrics = metrics; self.curve = curve
        }
    }

    public struct Run: Sendable {
        public var id: Int, startedAt: String, status: String
        public var decision: String?, error: String?
        /// The holdout metric's name ("rmse", "recall@20") and the candidate's and the active model's scores.
        public var metric: String?, candidate: Double?, active: Double?
        public var candidateID: Int?
        /// Seconds per step, in the job's order (snapshot, train, evaluate, register, score, activate).
        public var steps: [(name: String, seconds: Double)]
        public var promoted: Bool { decision?.hasPrefix("promoted") ?? false }
        public init(id: Int, startedAt: String, status: String, decision: String?, error: String?, metric: String?,
                    candidate: Double?, active: Double?, candidateID: Int?, steps: [(name: String, seconds: Double)]) {
            self.id = id; self.startedAt = startedAt; self.status = status; self.decision = decision; self.error = error
            self.metric = metric; self.candidate = candidate; self.active = active; self.candidateID = candidateID; self.steps = steps
        }
    }

    public var title = "autorec store report"
    public var database: String
    public var models: [Model]
    public var runs: [Run]
    public var generated: String

    public init(database: String, models: [Model], runs: [Run], generated: String = ISO8601DateFormatter().string(from: Date())) {
        self.database = database; self.models = models; self.runs = runs; self.generated = generated
    }

    public func html() -> String {
        var page = ReportPage.head(title: title)
        page += "<h1>\(SVGText.escaped(title))</h1>\n"
        page += "<p class=\"meta\">Store: \(SVGText.escaped(database)); \(models.count) registered models, \(runs.count) nightly runs. Written \(SVGText.escaped(generated)) by autorec.</p>\n"
        page += "<h2>Registered models</h2>\n" + modelTable()
        page += "<h2>Nightly runs</h2>\n" + runTable()
        for (heading, plot) in plots() { page += "<h2>\(SVGText.escaped(heading))</h2>\n" + plot }
        return page + "</body>\n</html>\n"
    }

    public func plots() -> [(heading: String, svg: String)] {
        let ordered = runs.sorted { $0.id < $1.id }
        func points(_ pick: (Run) -> Double?, _ keep: (Run) -> Bool) -> [PlotPoint] {
            ordered.filter(keep).compactMap { r in pick(r).map { PlotPoint(x: Double(r.id), y: $0, title: "run \(r.id): \(r.decision ?? r.error ?? r.status)") } }
        }
        let metricName = ordered.compactMap(\.metric).last ?? "holdout metric"
        let history = XYPlot(
            title: "Holdout \(metricName) per nightly run", xLabel: "run id", yLabel: "holdout \(metricName)",
            caption: "Each run's candidate on the holdout, promoted or not, beside the model that was active before it; hover a point for the decision.",
            series: [PlotSeries(name: "promoted", points: points(\.candidate) { $0.promoted }),
                     PlotSeries(name: "kept the active", points: points(\.candidate) { !$0.promoted }),
                     PlotSeries(name: "active before", points: points(\.active) { _ in true })],
            style: .points).svg()
        let stepNames = ordered.flatMap { $0.steps.map(\.name) }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let timings = BarPlot(
            title: "Step timings per nightly run", xLabel: "run id", yLabel: "seconds",
            caption: "Wall-clock seconds of each step of the job, per run.",
            categories: ordered.map { "\($0.id)" },
            series: stepNames.map { step in (step, ordered.map { r in r.steps.first { $0.name == step }?.seconds ?? .nan }) }).svg()
        var out = [("Nightly history", history), ("Nightly step timings", timings)]
        let curves = models.compactMap { m in m.curve.map { ("model \(m.id) (\(m.kind))", $0) } }
        if !curves.isEmpty { out += LearningCurvePlots(curves: curves).plots() }
        return out
    }

    func modelTable() -> String {
        let keys = Array(Set(models.flatMap { $0.metrics.keys })).sorted()
        let rows = models.map { m -> [HTMLTable.Cell] in
            [.text("\(m.id)"), .text(m.kind), .text(m.task), m.status == "active" ? .strong("active ★") : .text(m.status), .text(m.createdAt)]
                + keys.map { key in .text(m.metrics[key].map { Self.format($0) } ?? "-") }
        }
        return HTMLTable.render(headers: ["id", "kind", "task", "status", "created"] + keys, rows: rows)
    }

    func runTable() -> String {
        let rows = runs.sorted(by: { $0.id < $1.id }).map { r -> [HTMLTable.Cell] in
            let total = r.steps.reduce(0) { $0 + $1.seconds }
            let cells = ["\(r.id)", r.startedAt, r.status, r.candidateID.map { "model \($0)" } ?? "-", r.candidate.map { Self.format($0) } ?? "-",
                         r.active.map { Self.format($0) } ?? "-", String(format: "%.1f", total)]
            return cells.map { .text($0) } + [.wrapping(r.decision ?? r.error ?? "-")]
        }
        return HTMLTable.render(headers: ["run", "started", "status", "candidate", "holdout", "active before", "total s", "decision"], rows: rows)
    }

    static func format(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(format: "%.4f", x) }
}
