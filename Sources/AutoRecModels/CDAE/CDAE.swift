import Linalg
#if canImport(Glibc)
import Glibc
#endif
import AutoRecCore

/// Loss of CDAE's outputs.
public enum CDAELoss: String, CaseIterable, Sendable, Codable {
    /// Binary cross-entropy on the positives and the sampled negatives.
    case bce
    /// Squared error on the same entries.
    case squared
}

/// Hyperparameters of CDAE. The defaults were chosen on a validation part of the ML-100K implicit
/// training split (docs/RESULTS.md).
public struct CDAEConfig: Sendable, Equatable, Codable {
    public var hidden = 400
    /// The most epochs: early stopping on `validationFraction` chooses the count (`TopNDefaults`).
    public var epochs = TopNDefaults.mostEpochs
    public var batchSize = 100
    public var learningRate: Float = 1e-3
    public var l2: Float = 0
    /// Corruption: each input entry is dropped with this probability (kept ones scaled by 1/(1-p)).
    public var dropout: Float = 0.5
    /// Negatives sampled per positive for the loss, fresh each update; 0 uses every item.
    public var negatives = 5
    public var loss: CDAELoss = .bce
    public var seed: UInt64 = 1
    public var validationFraction = TopNDefaults.validation
    /// With a validation share: epochs without a better validation Recall@20 before stopping (0: none).
    public var patience = TopNDefaults.patience
    /// Decay of an exponential moving average of the weights after each update, kept as the model; 0 is off.
    public var averaging: Float = 0.97
    /// Scale each user's input vector to unit length (as Mult-DAE does) before the corruption; the
    /// paper feeds the raw 0/1 vector.
    public var normalizeInput = true
    /// The hidden layer's activation (the paper: sigmoid).
    public var activation: Activation = .sigmoid
    /// With a validation share: train again on all the interactions for the best epoch count.
    public var refit = true
    public init() {}
}

/// CDAE (Wu et al. 2016): a denoising autoencoder over a user's items with a per-user input node,
/// h = sigmoid(W0^T y~ + V_u + b0), outputs sigmoid(W1^T h + b1). The first layer multiplies only the
/// observed entries; the output layer is one GEMM per batch, the loss read on the positives and the
/// sampled negatives. A new user is encoded without the user node.
public struct CDAE: Ranker {
    /// The kind name its files carry; the catalogue registers the kind under it.
    public static let kindName = "cdae"
    public var kind = Self.kindName
    public let config: CDAEConfig
    public let parameters: [Float]
    public let users: IDMap
    public let items: IDMap
    public let history: CSRMatrix

    /// Offsets of W0 (items x h), b0 (h), W1 (h x items), b1 (items), V (users x h) in the flat vector.
    struct Layout {
        let items: Int, users: Int, hidden: Int
        let w0: Int, b0: Int, w1: Int, b1: Int, v: Int, count: Int

        init(items: Int, users: Int, hidden: Int) {
            self.items = items; self.users = users; self.hidden = hidden
            var layout = ParameterLayout()
            let encoder = layout.dense(inputs: items, outputs: hidden), decoder = layout.dense(inputs: hidden, outputs: items)
            w0 = encoder.w; b0 = encoder.b; w1 = decoder.w; b1 = decoder.b
            v = layout.reserve(users * hidden).lowerBound
            count = layout.count
        }

        /// `count` for sizes read from a file, before laying them out: nil when it overflows.
        static func checkedCount(items: Int, users: Int, hidden: Int) -> Int? {
            let i = CheckedSize(items), u = CheckedSize(users), h = CheckedSize(hidden)
            return (CheckedSize(2) * i * h + h + i + u * h).value
        }
    }

    var layout: Layout { Layout(items: items.count, users: users.count, hidden: config.hidden) }

    init(config: CDAEConfig, parameters: [Float], users: IDMap, items: IDMap, history: CSRMatrix) {
        self.config = config; self.parameters = parameters; self.users = users; self.items = items; self.history = history
    }

    static func initialParameters(_ l: Layout, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var p = [Float](repeating: 0, count: l.count)
        let limit = (6 / Float(l.items + l.hidden)).squareRoot()
        rng.fillUniform(&p, offset: l.w0, count: l.items * l.hidden, limit: limit)
        rng.fillUniform(&p, offset: l.w1, count: l.items * l.hidden, limit: limit)
        for j in 0..<(l.users * l.hidden) { p[l.v + j] = 0.01 * rng.normal() }
        return p
    }

    /// Options of one loss evaluation.
    struct Pass {
        var dropout: Float = 0
        var maskSeed: UInt64 = 0
        var negativeSeed: UInt64 = 0
        var negatives = 0
        var loss: CDAELoss = .bce
        var l2: Float = 0
        /// Whether the user node enters the code (false for fold-in).
        var userNode = true
        /// Scale each user's input to unit length before the corruption.
        var normalize = false
        var hidden: Activation = .sigmoid
    }

    /// Loss of the batch (users `rows` with interactions `s`) and, when `gradient` has the
    /// parameters' length, its gradient; with `logitsOut` of the right shape, only the logits.
    static func run(_ P: [Float], _ l: Layout, rows users: [Int], _ s: SparseRows, _ pass: Pass,
                    gradient: inout [Float], logitsOut: inout Matrix) -> Double {
        let rows = s.count, n = l.items
        let wantGrad = gradient.count == l.count
        let inputs = corruptedInputs(s, pass)
        let activations = forward(P, l, rows: users, s, inputs: inputs, pass)
        if !wantGrad && logitsOut.rows == rows && logitsOut.cols == n { logitsOut.storage = activations.logits; return 0 }
        let (target, mask) = lossEntries(s, items: n, pass)
        let output = outputLoss(activations.logits, target: target, mask: mask, pass, rows: rows, wantGradient: wantGrad)
        var loss = output.loss / Double(max(1, rows))
        loss += weightDecay(P, l, rows: users, pass)
        guard wantGrad else { return loss }
        backward(P, l, rows: users, s, inputs: inputs, activations, dLogits: output.dLogits, pass, gradient: &gradient)
        return loss
    }

    /// The encoder's input per entry: the value, scaled to unit-length rows when asked, then
    /// dropped with the pass's probability (kept ones scaled by 1/(1-p)).
    private static func corruptedInputs(_ s: SparseRows, _ pass: Pass) -> [Float] {
        let keepScale: Float = pass.dropout > 0 ? 1 / (1 - pass.dropout) : 1
        var a = [Float](repeating: 0, count: s.values.count)
        for r in 0..<s.count {
            var scale: Float = 1
            if pass.normalize {
                var ss: Float = 0
                for p in s.rowStart[r]..<s.rowStart[r + 1] { ss += s.values[p] * s.values[p] }
                scale = ss > 0 ? 1 / ss.squareRoot() : 0
            }
            for p in s.rowStart[r]..<s.rowStart[r + 1] {
                a[p] = s.values[p] * scale * (pass.dropout > 0 ? (DropoutMask.uniform(pass.maskSeed, p) < pass.dropout ? 0 : keepScale) : 1)
            }
        }
        return a
    }

    /// What the forward pass keeps for the backward one (rows x hidden, rows x items).
    private struct Activations {
        /// The hidden layer before and after its activation.
        var preActivation: [Float], hidden: [Float]
        var logits: [Float]
    }

    /// The hidden layer (with each user's node when the pass has them) and the output logits.
    private static func forward(_ P: [Float], _ l: Layout, rows users: [Int], _ s: SparseRows, inputs a: [Float],
                                _ pass: Pass) -> Activations {
        let rows = s.count, h = l.hidden, n = l.items
        var hid = [Float](repeating: 0, count: rows * h)
        var pre = [Float](repeating: 0, count: rows * h)
        var logits = [Float](repeating: 0, count: rows * n)
        P.withUnsafeBufferPointer { pp in
            let W = pp.baseAddress!
            a.withUnsafeBufferPointer { ap in
                hid.withUnsafeMutableBufferPointer { hp in
                    LayerOps.sparseAffine(s, ap.baseAddress!, out: h, w: W + l.w0, b: W + l.b0, into: hp.baseAddress!)
                    if pass.userNode { for (r, u) in users.enumerated() { Kernels.axpy(h, 1, W + l.v + u * h, hp.baseAddress! + r * h) } }
                    pre.withUnsafeMutableBufferPointer { zp in zp.baseAddress!.update(from: hp.baseAddress!, count: rows * h) }
                    pass.hidden.apply(rows * h, hp.baseAddress!)
                }
            }
            hid.withUnsafeBufferPointer { hp in
                logits.withUnsafeMutableBufferPointer { lp in
                    LayerOps.affine(hp.baseAddress!, rows: rows, in: h, out: n, w: W + l.w1, b: W + l.b1, into: lp.baseAddress!)
                }
            }
        }
        return Activations(preActivation: pre, hidden: hid, logits: logits)
    }

    /// The entries the loss reads, rows x items: targets 1 on the positives, and weight 1 on them
    /// and on the sampled negatives (on every item when the pass samples none).
    private static func lossEntries(_ s: SparseRows, items n: Int, _ pass: Pass) -> (target: [Float], mask: [Float]) {
        let rows = s.count
        var target = [Float](repeating: 0, count: rows * n)
        var mask = [Float](repeating: pass.negatives == 0 ? 1 : 0, count: rows * n)
        var rng = SeededRandom(seed: pass.negativeSeed)
        for r in 0..<rows {
            for p in s.rowStart[r]..<s.rowStart[r + 1] { target[r * n + Int(s.columns[p])] = 1; mask[r * n + Int(s.columns[p])] = 1 }
            if pass.negatives > 0 {
                let positives = s.rowStart[r + 1] - s.rowStart[r]
                let want = min(n - positives, pass.negatives * positives)
                var drawn = 0, tries = 0
                while drawn < want && tries < 50 * want {
                    let i = rng.int(below: n); tries += 1
                    if mask[r * n + i] == 0 { mask[r * n + i] = 1; drawn += 1 }
                }
            }
        }
        return (target, mask)
    }

    /// The pass's loss summed over the masked entries (not yet averaged over rows) and, with
    /// `wantGradient`, dL/dlogits of the mean over rows.
    private static func outputLoss(_ logits: [Float], target: [Float], mask: [Float], _ pass: Pass, rows: Int,
                                   wantGradient: Bool) -> (loss: Double, dLogits: [Float]) {
        var d = [Float](repeating: 0, count: wantGradient ? logits.count : 0)
        var loss = 0.0
        let invRows = 1 / Float(max(1, rows))
        for j in 0..<logits.count where mask[j] != 0 {
            let x = logits[j], y = target[j]
            let o = 1 / (1 + expf(-x))
            switch pass.loss {
            case .bce:
                // softplus(x) - y x, stable for large |x|.
                loss += Double(max(x, 0) + log1pf(expf(-abs(x))) - y * x)
                if wantGradient { d[j] = (o - y) * invRows }
            case .squared:
                loss += Double((o - y) * (o - y))
                if wantGradient { d[j] = 2 * (o - y) * o * (1 - o) * invRows }
            }
        }
        return (loss, d)
    }

    /// (l2 / 2) x the squared weights and the batch's user nodes.
    private static func weightDecay(_ P: [Float], _ l: Layout, rows users: [Int], _ pass: Pass) -> Double {
        let h = l.hidden, n = l.items
        var sq = 0.0
        P.withUnsafeBufferPointer { pp in
            sq = LayerOps.sumOfSquares(pp.baseAddress! + l.w0, n * h) + LayerOps.sumOfSquares(pp.baseAddress! + l.w1, n * h)
            for u in users { sq += LayerOps.sumOfSquares(pp.baseAddress! + l.v + u * h, h) }
        }
        return 0.5 * Double(pass.l2) * sq
    }

    /// The gradient (overwritten): the L2 term's, then back from dL/dlogits through the output
    /// layer, the hidden activation, the first layer and the batch's user nodes.
    private static func backward(_ P: [Float], _ l: Layout, rows users: [Int], _ s: SparseRows, inputs a: [Float],
                                 _ activations: Activations, dLogits d: [Float], _ pass: Pass, gradient: inout [Float]) {
        let rows = s.count, h = l.hidden, n = l.items
        for j in 0..<l.count { gradient[j] = 0 }
        for j in 0..<(n * h) { gradient[l.w0 + j] = pass.l2 * P[l.w0 + j]; gradient[l.w1 + j] = pass.l2 * P[l.w1 + j] }
        for u in users { for j in 0..<h { gradient[l.v + u * h + j] += pass.l2 * P[l.v + u * h + j] } }
        var dh = [Float](repeating: 0, count: rows * h)
        P.withUnsafeBufferPointer { pp in
        gradient.withUnsafeMutableBufferPointer { gp in
            let W = pp.baseAddress!, G = gp.baseAddress!
            activations.hidden.withUnsafeBufferPointer { hp in
                d.withUnsafeBufferPointer { dp in
                    dh.withUnsafeMutableBufferPointer { dhp in
                        LayerOps.affineBackward(hp.baseAddress!, rows: rows, in: h, out: n, w: W + l.w1, dY: dp.baseAddress!,
                                                gW: G + l.w1, gb: G + l.b1, dX: dhp.baseAddress!)
                        activations.preActivation.withUnsafeBufferPointer { zp in
                            pass.hidden.multiplyByDerivative(rows * h, input: zp.baseAddress!, output: hp.baseAddress!, dhp.baseAddress!)
                        }
                    }
                }
            }
            a.withUnsafeBufferPointer { ap in
                dh.withUnsafeBufferPointer { dhp in
                    LayerOps.sparseAffineBackward(s, ap.baseAddress!, inputs: n, out: h, dY: dhp.baseAddress!, gW: G + l.w0, gb: G + l.b0)
                    if pass.userNode { for (r, u) in users.enumerated() { Kernels.axpy(h, 1, dhp.baseAddress! + r * h, G + l.v + u * h) } }
                }
            }
        }}
    }

    /// Trains on `data` with Adam over shuffled user batches.
    public static func fit(_ data: ImplicitData, config c: CDAEConfig,
                           progress: ((RankingEpochReport) -> Void)? = nil) -> (CDAE, RankingTrainingSummary) {
        let l = Layout(items: data.items.count, users: data.users.count, hidden: c.hidden)
        let loop = UserBatchTraining(epochs: c.epochs, batchSize: c.batchSize, learningRate: c.learningRate,
                                     averaging: c.averaging, validationFraction: c.validationFraction, patience: c.patience, seed: c.seed)
        var unused = Matrix(rows: 0, cols: 0)
        let (params, summary) = loop.run(data, initial: initialParameters(l, seed: c.seed), step: { params, users, batch, _, rng, grad in
            let pass = Pass(dropout: c.dropout, maskSeed: rng.next(), negativeSeed: rng.next(), negatives: c.negatives,
                            loss: c.loss, l2: c.l2, userNode: true, normalize: c.normalizeInput, hidden: c.activation)
            return run(params, l, rows: users, batch, pass, gradient: &grad, logitsOut: &unused)
        }, model: { CDAE(config: c, parameters: $0, users: data.users, items: data.items, history: $1) },
        progress: progress)
        return (CDAE(config: c, parameters: params, users: data.users, items: data.items, history: data.matrix), summary)
    }

    public func blockScorer() -> @Sendable ([Int]) -> Matrix {
        let model = self
        return { block in
            var out = Matrix(rows: block.count, cols: model.items.count)
            var g: [Float] = []
            _ = CDAE.run(model.parameters, model.layout, rows: block, SparseRows(model.history, rows: block),
                         Pass(normalize: model.config.normalizeInput, hidden: model.config.activation),
                         gradient: &g, logitsOut: &out)
            return out
        }
    }

    public func foldIn(items: [Int], values: [Float]) throws -> [Float] {
        var s = SparseRows()
        s.append(columns: items, values: values)
        var out = Matrix(rows: 1, cols: self.items.count)
        var g: [Float] = []
        _ = CDAE.run(parameters, layout, rows: [0], s, Pass(userNode: false, normalize: config.normalizeInput, hidden: config.activation), gradient: &g, logitsOut: &out)
        return out.storage
    }

    public func modelFile(extraHeader: [String: Any] = [:]) -> ModelFile {
        RankerFile.file(kind: kind, users: users, items: items, history: history, configuration: config,
                        extraHeader: extraHeader, arrays: [("parameters", parameters)])
    }

    public init(modelFile f: ModelFile, path: String = "model") throws {
        let (u, i, h) = try RankerFile.common(f, path: path)
        let c = try f.configuration(CDAEConfig.self, defaults: CDAEConfig(), path: path)
        guard c.hidden > 0 else { throw ModelFileError(path: path, message: "bad CDAE header: hidden \(c.hidden)") }
        guard let count = Layout.checkedCount(items: i.count, users: u.count, hidden: c.hidden) else {
            throw ModelFileError(path: path, message: "CDAE size hidden=\(c.hidden) with \(i.count) items and \(u.count) users overflows")
        }
        self.init(config: c, parameters: try RankerFile.array(f, "parameters", count: count, path: path), users: u, items: i, history: h)
    }
}
