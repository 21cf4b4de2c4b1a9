import Linalg
import AutoRecCore

/// The masked reconstruction loss of AutoRec and its gradient, computed sparsely:
/// loss = sum over samples, over OBSERVED entries k of (f(W_k . g(V r + mu) + b_k) - r_k)^2
///        + (lambda / 2) * scale * (|V|^2 + |W|^2).
/// The encoder touches only the observed inputs, the decoder only the observed outputs, so one pass
/// costs O(nonzeros x hidden), never O(samples x inputs x hidden). This class owns the workspaces;
/// one call's stages are `AutoRecPass`'s. Its design (32-unit tiles, walking by sample or by column,
/// cache blocking, the narrow tile, packed dropout, fused steps) is in docs/ARCHITECTURE.md.
public final class AutoRecObjective {
    public let data: CSRMatrix            // samples x inputs
    public let hidden: Int
    public let encoder: Activation
    public let decoder: Activation
    public let l2: Float
    /// Subtracted from each observed rating before it enters the encoder (0, or the mean when centring).
    public let inputShift: Float
    /// How each sample's input vector is scaled by its number of observed entries.
    public let inputScaling: InputScaling
    public let threads: Int
    /// Units per hidden tile.
    public static let tileWidth = AutoRecParameters.tileWidth
    let tiles: [Range<Int>]
    /// The index of the last tile when it is narrower than `tileWidth`, else -1.
    let narrowTile: Int
    /// That tile's encoder weights, decoder weights and encoder bias, in rows of `tileWidth` floats
    /// (the padding stays zero).
    private let narrowPad: UnsafeMutablePointer<Float>
    /// Its weight gradients in padded rows when the full gradient is asked for. Fused updates use
    /// the chunk's tile scratch instead, compacting the rows in place (35 MB less at 138k inputs).
    private let narrowGradientPad: LazyWorkspace<Float>

    // Workspaces, sized for the whole data set, tile-major: tile t of batch position bi starts at
    // batch * t.lowerBound + bi * tileWidth (a narrower last tile's rows are padded).
    private let zBuf: UnsafeMutablePointer<Float>   // encoder pre-activations (hBuf itself, see below)
    private let hBuf: UnsafeMutablePointer<Float>   // codes
    private let dBuf: UnsafeMutablePointer<Float>   // dL/dh, then dL/dz in place
    // Per-entry workspaces that only one way of walking reads are allocated on the first call that
    // walks that way (I-AutoRec on 20M ratings walks by column only).
    private let yBuf: LazyWorkspace<Float>          // by sample: decoder pre-activation per entry, then dL/dy in place
    private let aBuf: UnsafeMutablePointer<Float>   // unblocked: encoder input per entry: (r - shift) * dropout multiplier
    // The encoder's inputs skip the entries that dropout hides (their terms are zero): each row's kept
    // entries are packed at the front of its range, aBuf (or blockedInput) holding their inputs, aCol
    // their input columns, and aEnd the end of the packed part per row (per (block, row) when blocked).
    private let aCol: UnsafeMutablePointer<Int32>
    private let aEnd: UnsafeMutablePointer<Int>
    private let kBuf: LazyWorkspace<Float>          // by sample: dropout multiplier per entry, 0 (dropped) or 1/(1-p)
    // Walking by column: the batch's entries grouped by (block of batch positions, input column).
    private let colStart: LazyWorkspace<Int32>
    private let colSample: LazyWorkspace<Int32>
    private let colDY: LazyWorkspace<Float>
    private let colA: LazyWorkspace<Float>
    // Walking by column, the encoder inputs of the kept entries of each (block, column) are packed at
    // the front of its range of colA, with their batch positions in colKept and the end in colKeptEnd,
    // so that the encoder weights' gradient skips the entries dropout hid (their terms are zero).
    private let colKept: LazyWorkspace<Int32>
    private let colKeptEnd: LazyWorkspace<Int32>
    // Walking by column, the grouping is kept for the next call with the same samples (every epoch
    // of full-batch training), with each entry's rating in column order, so that the loss is
    // computed in column order without gathering from entry order.
    private let colValue: LazyWorkspace<Float>
    private var groupedFor: [Int]?
    private let columnLoss: UnsafeMutablePointer<Double>
    private let sampleLoss: UnsafeMutablePointer<Double>
    private let tileSquares: UnsafeMutablePointer<Double>
    /// Cache blocking for large inputs (see `cacheBytes`): the input columns cut into blocks whose
    /// weight slice fits in L2. With more than one block, the per-call workspaces are laid out in
    /// (block, row) order, entries of block b in row s at blockedStart[b rows + s]..<blockedStart[b rows + s + 1],
    /// so that the encoder streams one block's entries at a time. Rows are sorted by column, so those
    /// entries are one run of the row in entry order too: blocked position q is entry q + blockedToEntry[b rows + s]
    /// (the columns and ratings are read from the matrix itself, not kept a second time).
    let columnBlocks: [Range<Int>]
    private let blockedStart: [Int]
    private let blockedToEntry: [Int]
    /// The encoder's input per entry in that order (each call's dropout mask applied).
    private let blockedInput: UnsafeMutablePointer<Float>
    /// Walking by sample: decoder outputs, then dL/dy, per entry in that order.
    private let blockedOutput: LazyWorkspace<Float>
    /// Fused updates: the biases' gradients (mu, then b), and per chunk of tiles the weight gradients
    /// of the tile it is on (encoder rows, then decoder rows).
    private let biasGradient: LazyWorkspace<Float>
    private let tileScratch: LazyWorkspace<Float>
    /// The decoder weights' half of that scratch when walking by sample. Walking by column the
    /// decoder rows are stepped before the encoder's gradient is computed, which then reuses the
    /// first half (35 MB less at 138k inputs on 2 threads).
    private let decoderTileScratch: LazyWorkspace<Float>

    /// Bytes of a weight or workspace slice that one pass reads at random and that should stay in
    /// the L2 cache (1.25 MB a core on the machines measured, shared with the streamed data and, in
    /// the decoder and backward passes, with a second slice); the encoder's weight blocks get twice
    /// this. Chosen by same-process A/B runs on 1M and 10M synthetic ratings: 128-256 KB were within
    /// noise of each other and 10% faster than 512 KB at both sizes.
    public static let defaultCacheBytes = 192 * 1024
    /// This objective's slice budget (tests use tiny ones to exercise the blocked paths).
    public let cacheBytes: Int

    /// The sum of squared errors (without the L2 term) of the last `evaluate` call.
    public private(set) var lastSquaredError = 0.0
    /// The number of observed entries the last `evaluate` call covered.
    public private(set) var lastEntries = 0
    /// Seconds spent so far in each stage (inputs and grouping, encoder, decoder and loss, the
    /// backward pass with the weight gradients, the rest), for benchmarks.
    public private(set) var stageSeconds = [Double](repeating: 0, count: 5)
    public static let stageNames = ["inputs", "encoder", "decoder", "backward", "loss"]

    public init(data: CSRMatrix, hidden: Int, encoder: Activation, decoder: Activation, l2: Float,
                inputShift: Float = 0, inputScaling: InputScaling = .none, threads: Int = Parallel.defaultThreads,
                cacheBytes: Int = AutoRecObjective.defaultCacheBytes) {
        self.inputScaling = inputScaling
        self.cacheBytes = max(1, cacheBytes)
        self.data = data
        self.hidden = hidden
        self.encoder = encoder
        self.decoder = decoder
        self.l2 = l2
        self.inputShift = inputShift
        self.threads = max(1, threads)
        tiles = AutoRecParameters.tiles(hidden: hidden)
        func alloc<T>(_ n: Int, _ v: T) -> UnsafeMutablePointer<T> { Memory.allocate(n, v) }
        narrowTile = (tiles.last?.count ?? Self.tileWidth) < Self.tileWidth ? tiles.count - 1 : -1
        narrowPad = alloc(narrowTile >= 0 ? 2 * data.cols * Self.tileWidth + Self.tileWidth : 1, 0)
        narrowGradientPad = LazyWorkspace(narrowTile >= 0 ? 2 * data.cols * Self.tileWidth : 1, 0)
        let paddedHidden = tiles.count * Self.tileWidth
        hBuf = alloc(data.rows * paddedHidden, 0)
        // The codes overwrite the pre-activations in place unless the backward pass reads both.
        zBuf = Self.derivativeNeedsInput(encoder) ? alloc(data.rows * paddedHidden, 0) : hBuf
        dBuf = alloc(data.rows * paddedHidden, 0)
        yBuf = LazyWorkspace(data.nonZeros, 0)
        aCol = alloc(data.nonZeros, 0)
        kBuf = LazyWorkspace(data.nonZeros, 1)
        let columnKeys = Self.blocks(count: data.rows, rowBytes: Self.tileWidth * 4, budget: max(1, cacheBytes)).count * data.cols
        // 32-bit positions (a batch's entries, below 2^31): 20 MB less each at 20M ratings.
        precondition(data.nonZeros < Int(Int32.max), "AutoRecObjective holds entry positions in 32 bits")
        colStart = LazyWorkspace(columnKeys + 1, 0)
        colKeptEnd = LazyWorkspace(columnKeys, 0)
        colSample = LazyWorkspace(data.nonZeros, 0)
        colDY = LazyWorkspace(data.nonZeros, 0)
        colA = LazyWorkspace(data.nonZeros, 0)
        colKept = LazyWorkspace(data.nonZeros, 0)
        colValue = LazyWorkspace(data.nonZeros, 0)
        columnLoss = alloc(data.cols, 0.0)
        sampleLoss = alloc(data.rows, 0.0)
        tileSquares = alloc(tiles.count, 0.0)
        // The encoder gathers weight rows of its input columns at random: with many inputs, it walks
        // them one block of columns at a time, each sample's entries of the block in turn.
        columnBlocks = Self.blocks(count: data.cols, rowBytes: Self.tileWidth * 4, budget: 2 * self.cacheBytes)
        let nb = columnBlocks.count, rows = data.rows
        (blockedStart, blockedToEntry) = nb > 1 ? Self.blockedOrder(data, columnBlocks: columnBlocks) : ([], [])
        aEnd = alloc(nb * rows, 0)
        aBuf = alloc(nb == 1 ? data.nonZeros : 1, 0)
        blockedInput = alloc(nb > 1 ? data.nonZeros : 1, 0)
        blockedOutput = LazyWorkspace(nb > 1 ? data.nonZeros : 1, 0)
        biasGradient = LazyWorkspace(hidden + data.cols, 0)
        tileScratch = LazyWorkspace(min(self.threads, tiles.count) * data.cols * Self.tileWidth, 0)
        decoderTileScratch = LazyWorkspace(min(self.threads, tiles.count) * data.cols * Self.tileWidth, 0)
    }

    /// The (column block, row) layout of the entries when the inputs are cut into blocks: where each
    /// (block, row)'s entries start in that order, and the offset from there to their place in entry order.
    private static func blockedOrder(_ data: CSRMatrix, columnBlocks: [Range<Int>]) -> (start: [Int], toEntry: [Int]) {
        let nb = columnBlocks.count, rows = data.rows
        var blockOf = [Int](repeating: 0, count: data.cols)
        for (b, range) in columnBlocks.enumerated() { for c in range { blockOf[c] = b } }
        var start = [Int](repeating: 0, count: nb * rows + 1)
        for r in 0..<rows {
            var last = 0
            for p in data.rowStart[r]..<data.rowStart[r + 1] {
                let b = blockOf[Int(data.columns[p])]
                precondition(b >= last, "AutoRecObjective needs each row's columns in increasing order")
                start[b * rows + r + 1] += 1
                last = b
            }
        }
        for key in 0..<(nb * rows) { start[key + 1] += start[key] }
        var toEntry = [Int](repeating: 0, count: nb * rows)
        for r in 0..<rows {
            var p = data.rowStart[r]
            for b in 0..<nb {
                let key = b * rows + r
                toEntry[key] = p - start[key]
                p += start[key + 1] - start[key]
            }
        }
        return (start, toEntry)
    }

    /// Whether `multiplyByDerivative` reads the pre-activations of `activation` (else only its outputs).
    static func derivativeNeedsInput(_ activation: Activation) -> Bool {
        switch activation {
        case .sigmoid, .identity, .tanh: return false
        case .relu, .elu: return true
        }
    }

    /// 0..<count cut into equal blocks of rows of `rowBytes` that fit in `budget` bytes (one block when all do).
    static func blocks(count: Int, rowBytes: Int, budget: Int) -> [Range<Int>] {
        let nb = max(1, (count * rowBytes + budget - 1) / budget)
        return (0..<nb).map { b in (b * count / nb)..<((b + 1) * count / nb) }
    }

    deinit {
        if zBuf != hBuf { Memory.free(zBuf) }
        Memory.free(hBuf); Memory.free(dBuf); Memory.free(aBuf)
        Memory.free(aCol); Memory.free(aEnd)
        Memory.free(columnLoss); Memory.free(blockedInput)
        Memory.free(sampleLoss); Memory.free(tileSquares); Memory.free(narrowPad)
    }

    /// Loss over `samples` (all when nil) and its gradient into `grad`. `regularizationScale`
    /// weights the L2 term (1 for full batch, the batch's share for mini-batches).
    /// With `dropout` > 0, each observed input is dropped with that probability (kept ones scaled by
    /// 1/(1-p)) while the loss still covers every observed output: the network must predict ratings
    /// it cannot see, as it must at test time. The mask is a hash of (`maskSeed`, entry), so it does
    /// not depend on threads. `keptWeight` weights the loss of the entries the encoder did see
    /// (1: plain denoising; below 1 emphasises predicting the hidden ones).
    public func evaluate(_ params: [Float], samples: [Int]? = nil, regularizationScale: Float = 1,
                         dropout: Float = 0, maskSeed: UInt64 = 0, keptWeight: Float = 1,
                         gradient grad: inout [Float]) -> Double {
        precondition(params.count == AutoRecParameters.count(inputs: data.cols, hidden: hidden))
        precondition(grad.count == params.count)
        return params.withUnsafeBufferPointer { pp in
            grad.withUnsafeMutableBufferPointer { gp in
                // Read only: without an update nothing writes the parameters.
                evaluate(UnsafeMutablePointer(mutating: pp.baseAddress!), gradient: gp.baseAddress!, samples: samples,
                         regularizationScale: regularizationScale, dropout: dropout, maskSeed: maskSeed,
                         keptWeight: keptWeight, update: nil)
            }
        }
    }

    /// Applies one optimiser step to `params[range]` from `gradient[0..<range.count]`; called from
    /// several threads at once, on disjoint ranges.
    public typealias RangeUpdate = (_ range: Range<Int>, _ params: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>) -> Void

    /// The same loss, with no full gradient vector: each tile's weight gradients go to a per-thread
    /// scratch and `update` steps those weights as soon as they are final (no later stage reads them),
    /// the biases once every tile is done. Every parameter is updated exactly once. For elementwise
    /// optimisers (Adam) the result is the one `evaluate(gradient:)` and a separate step would give.
    public func evaluate(_ params: inout [Float], samples: [Int]? = nil, regularizationScale: Float = 1,
                         dropout: Float = 0, maskSeed: UInt64 = 0, keptWeight: Float = 1,
                         update: RangeUpdate) -> Double {
        precondition(params.count == AutoRecParameters.count(inputs: data.cols, hidden: hidden))
        return withoutActuallyEscaping(update) { update in
            params.withUnsafeMutableBufferPointer { pp in
                evaluate(pp.baseAddress!, gradient: nil, samples: samples, regularizationScale: regularizationScale,
                         dropout: dropout, maskSeed: maskSeed, keptWeight: keptWeight, update: update)
            }
        }
    }

    /// The loss and gradient passes over raw parameters: the gradient into `fullGradient`, or, when it
    /// is nil, tile by tile into scratch and straight into `update`. The stages are `AutoRecPass`'s.
    private func evaluate(_ writableParams: UnsafeMutablePointer<Float>, gradient fullGradient: UnsafeMutablePointer<Float>?,
                          samples: [Int]?, regularizationScale: Float, dropout: Float, maskSeed: UInt64,
                          keptWeight: Float, update: RangeUpdate?) -> Double {
        let samples = samples ?? Array(0..<data.rows)
        precondition(samples.count <= data.rows, "a batch lists each sample at most once")
        var clock = monotonicSeconds()
        var laps = [Double](repeating: 0, count: 5)
        func lap(_ i: Int) { let now = monotonicSeconds(); laps[i] += now - clock; clock = now }
        // Every pass reads rows of one table at random: the weights (n rows a tile) when it walks the
        // batch sample by sample, the batch's workspaces when it walks the inputs column by column.
        // Walk so that the random side is the smaller one; it is the one that stays in cache.
        let byColumn = data.cols > samples.count
        // Walking by sample needs no grouping by column.
        let regroup = byColumn && groupedFor != samples
        let scale = l2 * regularizationScale
        data.rowStart.withUnsafeBufferPointer { rowStart in
        data.columns.withUnsafeBufferPointer { columns in
        data.values.withUnsafeBufferPointer { values in
        blockedStart.withUnsafeBufferPointer { blockedStart in
        blockedToEntry.withUnsafeBufferPointer { blockedToEntry in
            let pass = makePass(writableParams, fullGradient: fullGradient, update: update, samples: samples, byColumn: byColumn,
                                l2Scale: scale, dropout: dropout, maskSeed: maskSeed, keptWeight: keptWeight,
                                rowStart: rowStart.baseAddress!, columns: columns.baseAddress!, values: values.baseAddress!,
                                // (Empty buffers have no address; they are read only with more than one block.)
                                blockedStart: blockedStart.baseAddress ?? UnsafePointer(aEnd),
                                blockedToEntry: blockedToEntry.baseAddress ?? UnsafePointer(aEnd))
            // The stages' clock starts here, as before the pass existed: the first call's lazy
            // workspace allocations (1.5 s at 20M ratings) are set-up, not the inputs stage.
            clock = monotonicSeconds()
            if pass.narrowTile >= 0 { pass.padNarrowTile() }
            pass.prepareInputs()
            if regroup { pass.groupByColumn() }
            if byColumn { pass.packColumnInputs() }
            // Locals: a closure that read `data.cols` would copy the matrix (and retain its arrays) per column.
            let (n, blocks, start) = (pass.inputCount, pass.sampleBlockCount, pass.columnStart)
            let columnChunks = byColumn ? Self.balancedChunks(count: n, threads: threads) { c in
                (0..<blocks).reduce(0) { $0 + Int(start[$1 * n + c + 1] - start[$1 * n + c]) }
            } : []
            lap(0)
            pass.encode()
            lap(1)
            pass.decodeAndScore(columnChunks: columnChunks)
            lap(2)
            pass.backward()
            lap(3)
        }}}}}
        if regroup { groupedFor = samples }
        let (loss, sq) = recordLoss(samples: samples, byColumn: byColumn)
        lap(4)
        for i in 0..<5 { stageSeconds[i] += laps[i] }
        return loss + 0.5 * Double(scale) * sq
    }

    /// Sums the pass's squared error (per column or per sample, as it walked) into `lastSquaredError`,
    /// counts its entries into `lastEntries`, and returns that error with the sum of squared weights.
    private func recordLoss(samples: [Int], byColumn: Bool) -> (squaredError: Double, squaredWeights: Double) {
        var loss = 0.0, entries = 0
        for bi in 0..<samples.count { entries += data.count(ofRow: samples[bi]) }
        if byColumn { for c in 0..<data.cols { loss += columnLoss[c] } } else { for bi in 0..<samples.count { loss += sampleLoss[bi] } }
        lastSquaredError = loss
        lastEntries = entries
        var sq = 0.0
        for t in 0..<tiles.count { sq += tileSquares[t] }
        return (loss, sq)
    }

    /// The pass of one call: this objective's workspaces (the lazy ones allocated for the way it
    /// walks) under their names, and the call's settings.
    private func makePass(_ writableParams: UnsafeMutablePointer<Float>, fullGradient: UnsafeMutablePointer<Float>?,
                          update: RangeUpdate?, samples: [Int], byColumn: Bool, l2Scale: Float, dropout: Float,
                          maskSeed: UInt64, keptWeight: Float, rowStart: UnsafePointer<Int>, columns: UnsafePointer<Int32>,
                          values: UnsafePointer<Float>, blockedStart: UnsafePointer<Int>, blockedToEntry: UnsafePointer<Int>) -> AutoRecPass {
        let n = data.cols, h = hidden, batch = samples.count
        let blocks = columnBlocks.count, fused = fullGradient == nil
        let biasGradient = self.biasGradient.pointer(fused)
        // Walking by column, the batch's workspace rows are read at random: with a large batch, in
        // blocks of batch positions whose rows fit in cache (entries of a column are in batch order).
        let sampleBlocks = byColumn ? Self.blocks(count: batch, rowBytes: Self.tileWidth * 4, budget: cacheBytes) : [0..<batch]
        return AutoRecPass(
            rowStart: rowStart, columns: columns, values: values, rowCount: data.rows, inputCount: n, hiddenCount: h,
            samples: samples, batch: batch, encoder: encoder, decoder: decoder, inputShift: inputShift, inputScaling: inputScaling,
            writableParams: writableParams, encoderWeightsAt: 0, encoderBiasAt: n * h, decoderWeightsAt: n * h + h,
            decoderBiasAt: 2 * n * h + h, tiles: tiles, tileWidth: Self.tileWidth, narrowTile: narrowTile, narrowPad: narrowPad,
            // The narrow tile's padded gradient rows: the chunk's own scratch when fused (compacted
            // in place afterwards, which is safe front to back), else their own workspace.
            narrowGradient: narrowGradientPad.pointer(!fused && narrowTile >= 0),
            l2Scale: l2Scale, dropout: dropout, keepScale: dropout > 0 ? 1 / (1 - dropout) : 1, maskSeed: maskSeed, keptWeight: keptWeight, threads: threads,
            byColumn: byColumn, columnBlockCount: blocks, sampleBlocks: sampleBlocks,
            sampleChunks: Self.balancedChunks(count: batch, threads: threads) { data.count(ofRow: samples[$0]) },
            preActivations: zBuf, codes: hBuf, codeGradients: dBuf, keptInput: aBuf, keptColumn: aCol, keptRowEnd: aEnd,
            entryOutput: yBuf.pointer(!byColumn), entryKeep: kBuf.pointer(!byColumn),
            columnStart: colStart.pointer(byColumn), columnSample: colSample.pointer(byColumn), columnOutput: colDY.pointer(byColumn),
            columnInput: colA.pointer(byColumn), columnValue: colValue.pointer(byColumn), columnKept: colKept.pointer(byColumn),
            columnKeptEnd: colKeptEnd.pointer(byColumn),
            blockedStart: blockedStart, blockedToEntry: blockedToEntry, blockedInput: blockedInput,
            blockedOutput: blockedOutput.pointer(!byColumn && blocks > 1),
            columnLoss: columnLoss, sampleLoss: sampleLoss, tileSquares: tileSquares,
            fullGradient: fullGradient, update: update,
            tileScratch: tileScratch.pointer(fused), decoderTileScratch: decoderTileScratch.pointer(fused && !byColumn),
            encoderBiasGradient: fullGradient.map { $0 + n * h } ?? biasGradient,
            decoderBiasGradient: fullGradient.map { $0 + 2 * n * h + h } ?? biasGradient + h)
    }

    /// Splits 0..<count into `threads` contiguous chunks of about equal total `weight`.
    static func balancedChunks(count: Int, threads: Int, weight: (Int) -> Int) -> [Range<Int>] {
        var total = 0
        for i in 0..<count { total += weight(i) }
        var bounds = [0], acc = 0
        for i in 0..<count {
            acc += weight(i)
            if bounds.count < threads && acc * threads >= total * bounds.count { bounds.append(i + 1) }
        }
        while bounds.count < threads { bounds.append(count) }
        bounds.append(count)
        return (0..<threads).map { bounds[$0]..<bounds[$0 + 1] }
    }

    /// Encodes every sample: the hidden codes g(V (r - shift) + mu), one row per sample.
    public static func codes(of data: CSRMatrix, params: AutoRecParameters, encoder: Activation,
                             inputShift shift: Float = 0, inputScaling: InputScaling = .none,
                             threads: Int = Parallel.defaultThreads) -> Matrix {
        let h = params.hidden
        var out = Matrix(rows: data.rows, cols: h)
        // The ratings are the inputs as they are unless shifted or scaled: no copy of them then (76 MB
        // at 20M ratings, each validation epoch).
        var inputs = data.values
        if shift != 0 || inputScaling != .none {
            for s in 0..<data.rows {
                let norm = inputScaling.factor(count: data.count(ofRow: s))
                for p in data.rowStart[s]..<data.rowStart[s + 1] { inputs[p] = (inputs[p] - shift) * norm }
            }
        }
        let tiles = AutoRecParameters.tiles(hidden: h)
        let n = data.cols
        params.flat.withUnsafeBufferPointer { pp in
        out.storage.withUnsafeMutableBufferPointer { ob in
        data.rowStart.withUnsafeBufferPointer { rs in
        data.columns.withUnsafeBufferPointer { cs in
        inputs.withUnsafeBufferPointer { vs in
            let P = pp.baseAddress!, O = ob.baseAddress!, C = cs.baseAddress!, A = vs.baseAddress!
            let mu = P + params.encoderBiasOffset
            Parallel.forChunks(tiles.count, threads: threads) { _, tileRange in
                for t in tileRange {
                    let lo = tiles[t].lowerBound, w = tiles[t].count
                    for s in 0..<data.rows {
                        let p0 = rs[s], z = O + s * h + lo
                        Kernels.gatherAccumulate(w, z, start: mu + lo, startScale: 1, count: rs[s + 1] - p0,
                                                 indices: C + p0, coefficients: A + p0, base: P + n * lo, stride: w)
                        encoder.apply(w, z)
                    }
                }
            }
        }}}}}
        return out
    }
}
