import AutoRecCore
import AutoRec

/// The learning curves of the models whose files keep one: training loss (relative to each run's
/// first epoch, since the losses of different kinds are on different scales) and the validation
/// score, per epoch; a refit's epochs are a series of their own.
struct LearningCurvePlots {
    /// Each model's name and curve.
    var curves: [(name: String, curve: LearningCurve)]

    func plots() -> [(heading: String, svg: String)] {
        var loss: [PlotSeries] = []
        for (name, curve) in curves {
            for refit in [false, true] {
                let epochs = curve.epochs.indices.filter { curve.refit[$0] == refit }
                guard let first = epochs.first, curve.loss[first].isFinite, curve.loss[first] != 0 else { continue }
                loss.append(PlotSeries(name: refit ? "\(name) (refit)" : name, x: epochs.map { Double(curve.epochs[$0]) },
                                       y: epochs.map { curve.loss[$0] / curve.loss[first] }))
            }
        }
        var out = [("Learning curves: training loss", XYPlot(
            title: "Training loss per epoch", xLabel: "epoch", yLabel: "loss / first epoch's loss",
            caption: curves.isEmpty ? "None of these model files keeps a learning curve (closed-form models and files written before curves were kept)."
                                    : "Each run's training loss relative to its first epoch; a refit on all the training data is drawn on its own.",
            series: loss).svg())]
        for metric in [ValidationMetric.recall20, .rmse] {
            let series = curves.filter { $0.curve.metric == metric }.compactMap { name, curve -> PlotSeries? in
                let epochs = curve.epochs.indices.filter { curve.validation[$0] != nil }
                return epochs.isEmpty ? nil : PlotSeries(name: name, x: epochs.map { Double(curve.epochs[$0]) }, y: epochs.map { curve.validation[$0]! })
            }
            guard !series.isEmpty || (metric == .recall20 && curves.allSatisfy { $0.curve.metric == .recall20 }) else { continue }
            out.append(("Learning curves: validation \(metric.label)", XYPlot(
                title: "Validation \(metric.label) per epoch", xLabel: "epoch", yLabel: "validation \(metric.label)",
                caption: "Measured on the part of the training data held out for early stopping; the run keeps its best epoch\(metric.higherIsBetter ? " (highest)" : " (lowest)").",
                series: series).svg()))
        }
        return out
    }
}
