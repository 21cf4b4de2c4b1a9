#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Linalg

/// What one epoch of training reports (for progress display and the `--json` summary).
public struct EpochReport: Sendable {
    public var epoch: Int
    /// Root mean squared error on the ratings trained on, from the epoch's loss.
    public var trainRMSE: Double
    /// The full objective (squared error plus L2).
    public var objective: Double
    public var validationRMSE: Double?
    public var seconds: Double
}

/// Summary of a finished training run.
public struct TrainingSummary: Sendable {
    public var epochs: Int
    public var bestEpoch: Int
    public var trainSeconds: Double
    public var secondsPerEpoch: Double
    public var validationRMSE: Double?
    public var functionEvaluations: Int
    public var stopReason: String
}

/// Monotonic wall-clock seconds.
public func monotonicSeconds() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}

extension AutoRec {
    /// Trains AutoRec on `ratings`. A seeded share of the ratings (config.validationFraction) is held
    /// out for early stopping; the returned model keeps the weights of the best validation epoch and
    /// encodes from all the training ratings.
    public static func fit(_ ratings: Ratings, config: AutoRecConfig,
                           progress: ((EpochReport) -> Void)? = nil) -> (model: AutoRec, summary: TrainingSummary) {
        precondition(ratings.count > 0, "no ratings to train on")
        let all = ratings.userItemMatrix()
        let orient: (CSRMatrix) -> CSRMatrix = { config.orientation == .item ? $0.transposed() : $0 }
        let fitPart: Ratings
        var validation: Ratings? = nil
        if config.validationFraction > 0 && ratings.count >= 20 {
            let split = ratings.randomSplit(fraction: config.validationFraction, seed: config.seed &+ 0x5EED)
            fitPart = split.rest
            validation = split.heldOut
        } else {
            fitPart = ratings
        }
        let fitMatrix = orient(fitPart.userItemMatrix())
        let objective = AutoRecObjective(data: fitMatrix, hidden: config.hidden, encoder: config.encoder,
                                         decoder: config.decoder, l2: config.l2,
                                         inputShift: config.centerInputs ? ratings.mean : 0)
        var params = AutoRecParameters(inputs: fitMatrix.cols, hidden: config.hidden, seed: config.seed)
        let mean = ratings.mean
        let range = ratings.range

        // Validation RMSE of the current weights, encoding from the fit part (what training saw).
        func validationRMSE(_ flat: [Float]) -> Double? {
            guard let val = validation, val.count > 0 else { return nil }
            let p = AutoRecParameters(inputs: fitMatrix.cols, hidden: config.hidden, flat: flat)
            let m = AutoRec(config: config, parameters: p, users: ratings.users, items: ratings.items,
                            inputs: fitMatrix, mean: mean, ratingRange: range)
            var se = 0.0
            for k in 0..<val.count {
                let u = Int(val.userIndex[k]), i = Int(val.itemIndex[k])
                let (s, o) = m.sampleAndOutput(user: u, item: i)
                let pred = (fitMatrix.count(ofRow: s) == 0 || !m.outputSeen[o]) ? mean : m.predict(user: u, item: i)
                let e = Double(pred - val.values[k])
                se += e * e
            }
            return (se / Double(val.count)).squareRoot()
        }

        var best = params.flat
        var bestRMSE = Double.infinity
        var bestEpoch = 0
        var sinceBest = 0
        var epochsRun = 0
        var evaluations = 0
        var stopReason = "reached the epoch limit"
        let start = monotonicSeconds()
        var grad = [Float](repeating: 0, count: params.flat.count)

        func afterEpoch(_ epoch: Int, objectiveValue: Double, epochStart: Double) -> Bool {
            let rmse = validationRMSE(params.flat)
            let trainRMSE = (objective.lastSquaredError / Double(max(1, objective.lastEntries))).squareRoot()
            let seconds = monotonicSeconds() - epochStart
            progress?(EpochReport(epoch: epoch, trainRMSE: trainRMSE, objective: objectiveValue,
                                  validationRMSE: rmse, seconds: seconds))
            epochsRun = epoch
            if let r = rmse {
                if r < bestRMSE - 1e-6 {
                    bestRMSE = r; best = params.flat; bestEpoch = epoch; sinceBest = 0
                } else {
                    sinceBest += 1
                    if sinceBest >= config.patience {
                        stopReason = "validation RMSE did not improve for \(config.patience) epochs"
                        return false
                    }
                }
            } else {
                best = params.flat; bestEpoch = epoch
            }
            return true
        }

        switch config.optimizer {
        case .adam:
            var adam = Adam(parameterCount: params.flat.count, learningRate: config.learningRate)
            var rng = SeededRandom(seed: config.seed &+ 0xADA)
            var order = Array(0..<fitMatrix.rows)
            let batch = max(1, config.batchSize)
            for epoch in 1...max(1, config.epochs) {
                let t0 = monotonicSeconds()
                rng.shuffle(&order)
                var total = 0.0, se = 0.0, entries = 0
                var b = 0
                while b < order.count {
                    let slice = Array(order[b..<min(order.count, b + batch)])
                    let scale = Float(slice.count) / Float(order.count)
                    total += objective.evaluate(params.flat, samples: slice, regularizationScale: scale,
                                                dropout: config.inputDropout,
                                                maskSeed: config.seed &* 0x1000193 &+ UInt64(epoch) &* 0x100000001B3 &+ UInt64(b),
                                                gradient: &grad)
                    se += objective.lastSquaredError
                    entries += objective.lastEntries
                    adam.update(&params.flat, gradient: grad)
                    evaluations += 1
                    b += batch
                }
                _ = se; _ = entries
                if !afterEpoch(epoch, objectiveValue: total, epochStart: t0) { break }
            }
        case .lbfgs:
            var opt = LBFGS(memory: config.lbfgsMemory)
            var f = objective.evaluate(params.flat, gradient: &grad)
            evaluations += 1
            for epoch in 1...max(1, config.epochs) {
                let t0 = monotonicSeconds()
                let step = opt.step(x: &params.flat, loss: &f, gradient: &grad) { x, g in
                    objective.evaluate(x, gradient: &g)
                }
                evaluations += step.evaluations
                if !step.improved {
                    stopReason = "L-BFGS line search found no further decrease"
                    epochsRun = epoch - 1
                    break
                }
                if !afterEpoch(epoch, objectiveValue: f, epochStart: t0) { break }
            }
        }
        let trainSeconds = monotonicSeconds() - start
        let finalParams = AutoRecParameters(inputs: fitMatrix.cols, hidden: config.hidden, flat: best)
        let model = AutoRec(config: config, parameters: finalParams, users: ratings.users, items: ratings.items,
                            inputs: orient(all), mean: mean, ratingRange: range)
        let summary = TrainingSummary(epochs: epochsRun, bestEpoch: bestEpoch, trainSeconds: trainSeconds,
                                      secondsPerEpoch: trainSeconds / Double(max(1, epochsRun)),
                                      validationRMSE: bestRMSE.isFinite ? bestRMSE : nil,
                                      functionEvaluations: evaluations, stopReason: stopReason)
        return (model, summary)
    }
}
