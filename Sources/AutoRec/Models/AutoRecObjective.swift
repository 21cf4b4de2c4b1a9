import Linalg

/// The masked reconstruction loss of AutoRec and its gradient, computed sparsely:
/// loss = sum over samples, over OBSERVED entries k of (f(W_k . g(V r + mu) + b_k) - r_k)^2
///        + (lambda / 2) * scale * (|V|^2 + |W|^2).
/// The encoder touches only the observed inputs, the decoder only the observed outputs, so one pass
/// costs O(nonzeros x hidden), never O(samples x inputs x hidden).
///
/// Speed: the hidden layer is cut into tiles of 32 units. Every stage is a sum of weighted rows into
/// one 32-float tile (`Kernels.gatherAccumulate32`), whose accumulators stay in registers, while the
/// weights and workspaces are stored tile-major (see `AutoRecParameters`), so the slices a tile needs
/// are one compact region that stays in cache. Each pass reads one side at random, the weight rows
/// when it walks the batch sample by sample, the batch's rows when it walks the inputs column by
/// column; it walks so that the random side is the smaller one. Stages that write weights are split
/// over cores by tile, the others by sample or column; nothing is accumulated across threads, so the
/// result is bit-identical for any thread count. Every stage runs inside `Parallel` loops, which
/// flush subnormal floats to zero: saturated sigmoid codes (near 1e-39) otherwise cost a microcode
/// assist per instruction, and made 10M-rating epochs 1.5x slower.
///
/// Blocking: when the random side of a tile outgrows `cacheBytes`, the passes are blocked so that
/// it stays in L2 (ML-100K fits; I-AutoRec on 1M ratings takes 3 and 3 blocks, on 10M 8 and 22):
/// the inputs in blocks of columns (entries also stored block by block, so each block's are read in
/// order), the batch in blocks of positions (its entries grouped by block, then column). Walking by
/// column, the loss is computed in column order, and the grouping is kept from one call to the next
/// on the same samples (every epoch of full-batch training).
/// Blocking changes only the order of sums.
///
/// A narrower last tile (500 = 15 x 32 + 20 units) runs through the same 32-wide kernels: its
/// weights are copied each call into rows padded with zeros to 32 floats, its workspace rows are 32
/// floats apart like every tile's, and its gradient rows are copied back.
///
/// Input dropout: the encoder and its weights' gradient skip the entries that dropout hides (their
/// terms are zero), so with the I-AutoRec default of 0.5 those two passes do half the work.
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
        var start: [Int] = [], toEntry: [Int] = []
        if nb > 1 {
            var blockOf = [Int](repeating: 0, count: data.cols)
            for (b, range) in columnBlocks.enumerated() { for c in range { blockOf[c] = b } }
            start = [Int](repeating: 0, count: nb * rows + 1)
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
            toEntry = [Int](repeating: 0, count: nb * rows)
            for r in 0..<rows {
                var p = data.rowStart[r]
                for b in 0..<nb {
                    let key = b * rows + r
                    toEntry[key] = p - start[key]
                    p += start[key + 1] - start[key]
                }
            }
        }
        blockedStart = start
        blockedToEntry = toEntry
        aEnd = alloc(nb * rows, 0)
        aBuf = alloc(nb == 1 ? data.nonZeros : 1, 0)
        blockedInput = alloc(nb > 1 ? data.nonZeros : 1, 0)
        blockedOutput = LazyWorkspace(nb > 1 ? data.nonZeros : 1, 0)
        biasGradient = LazyWorkspace(hidden + data.cols, 0)
        tileScratch = LazyWorkspace(min(self.threads, tiles.count) * data.cols * Self.tileWidth, 0)
        decoderTileScratch = LazyWorkspace(min(self.threads, tiles.count) * data.cols * Self.tileWidth, 0)
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
    /// is nil, tile by tile into scratch and straight into `update`.
    private func evaluate(_ writableParams: UnsafeMutablePointer<Float>, gradient fullGradient: UnsafeMutablePointer<Float>?,
                          samples: [Int]?, regularizationScale: Float, dropout: Float, maskSeed: UInt64,
                          keptWeight: Float, update: RangeUpdate?) -> Double {
        let n = data.cols, h = hidden, P = UnsafePointer(writableParams)
        let list = samples ?? Array(0..<data.rows)
        let batch = list.count
        let enc = encoder, dec = decoder, shift = inputShift, tiles = self.tiles
        let vOff = 0, muOff = n * h, wOff = n * h + h, bOff = 2 * n * h + h
        let Z = zBuf, H = hBuf, D = dBuf, A = aBuf, L = sampleLoss, SQ = tileSquares
        let AC = aCol, AE = aEnd
        let keepScale: Float = dropout > 0 ? 1 / (1 - dropout) : 1
        /// The dropout multiplier of entry p: 0 (hidden from the encoder) or 1/(1-p), a hash of (maskSeed, p).
        @inline(__always) func keep(_ p: Int) -> Float {
            dropout > 0 ? (DropoutMask.uniform(maskSeed, p) < dropout ? 0 : keepScale) : 1
        }
        let scale = l2 * regularizationScale
        // Every pass reads rows of one table at random: the weights (n rows a tile) when it walks the
        // batch sample by sample, the batch's workspaces when it walks the inputs column by column.
        // Walk so that the random side is the smaller one; it is the one that stays in cache.
        let byColumn = n > batch
        let nb = columnBlocks.count
        let Y = yBuf.pointer(!byColumn), KP = kBuf.pointer(!byColumn)
        let CS = colStart.pointer(byColumn), CB = colSample.pointer(byColumn), CY = colDY.pointer(byColumn)
        let CA = colA.pointer(byColumn), CV = colValue.pointer(byColumn)
        let CK = colKept.pointer(byColumn), CKE = colKeptEnd.pointer(byColumn)
        let YB = blockedOutput.pointer(!byColumn && nb > 1)
        // Walking by column, the batch's workspace rows are read at random: with a large batch, in
        // blocks of batch positions whose rows fit in cache (entries of a column are in batch order).
        let sampleBlocks = byColumn ? Self.blocks(count: batch, rowBytes: Self.tileWidth * 4, budget: cacheBytes) : [0..<batch]
        let nbs = sampleBlocks.count
        precondition(batch <= data.rows, "a batch lists each sample at most once")
        var clock = monotonicSeconds()
        var laps = [Double](repeating: 0, count: 5)
        func lap(_ i: Int) { let now = monotonicSeconds(); laps[i] += now - clock; clock = now }
        let sampleChunks = balancedChunks(count: batch, threads: threads) { data.count(ofRow: list[$0]) }
        // Walking by sample needs no grouping by column.
        let regroup = byColumn && groupedFor != list
        let CL = columnLoss
        // Fused: the biases' gradients in a small buffer (mu, then b), each chunk of tiles' weight
        // gradients in its own scratch (its encoder rows, then its decoder rows, `tileWidth` wide).
        let fused = fullGradient == nil
        let biasGradient = self.biasGradient.pointer(fused), tileScratch = self.tileScratch.pointer(fused)
        let decoderTileScratch = self.decoderTileScratch.pointer(fused && !byColumn)
        // Walking by column, fused: the decoder rows of a tile are stepped as soon as their gradient is
        // final, and the encoder rows' gradient then takes the same scratch.
        let decoderStepsFirst = fused && byColumn
        let GMU = fullGradient.map { $0 + muOff } ?? biasGradient, GB = fullGradient.map { $0 + bOff } ?? biasGradient + h

        data.rowStart.withUnsafeBufferPointer { rs in
        data.columns.withUnsafeBufferPointer { cs in
        data.values.withUnsafeBufferPointer { vs in
            blockedStart.withUnsafeBufferPointer { bsp in
            blockedToEntry.withUnsafeBufferPointer { btp in
            let C = cs.baseAddress!
            // (Empty buffers have no address; they are read only with more than one block.)
            let EBS = bsp.baseAddress ?? UnsafePointer(AE), EBP = btp.baseAddress ?? UnsafePointer(AE)
            let AB = blockedInput, rows = data.rows
            let V = P + vOff, W = P + wOff
            let tw = Self.tileWidth, narrow = narrowTile, NP = narrowPad
            // The narrow tile's padded gradient rows: the chunk's own scratch when fused (compacted
            // in place afterwards, which is safe front to back), else their own workspace.
            let narrowGradient = self.narrowGradientPad.pointer(!fused && narrow >= 0)
            /// Where tile t's encoder and decoder weight gradients end up in the tile's own layout: the
            /// full gradient, or (fused) the scratch of the chunk of tiles that computes it.
            @inline(__always) func gradientRows(_ t: Int, chunk: Int) -> (gv: UnsafeMutablePointer<Float>, gw: UnsafeMutablePointer<Float>) {
                if let G = fullGradient { let lo = tiles[t].lowerBound; return (G + vOff + n * lo, G + wOff + n * lo) }
                let gv = tileScratch + chunk * n * tw
                return (gv, decoderStepsFirst ? gv : decoderTileScratch + chunk * n * tw)
            }
            /// Tile t's encoder weights, decoder weights and encoder bias, and where their gradients go:
            /// rows of `tw` floats (the padded copies for a narrow tile).
            @inline(__always) func tilePointers(_ t: Int, chunk: Int = 0) -> (v: UnsafePointer<Float>, w: UnsafePointer<Float>, mu: UnsafePointer<Float>,
                                                                              gv: UnsafeMutablePointer<Float>, gw: UnsafeMutablePointer<Float>) {
                if t == narrow {
                    let g = fused ? gradientRows(t, chunk: chunk) : (gv: narrowGradient, gw: narrowGradient + n * tw)
                    return (UnsafePointer(NP), UnsafePointer(NP + n * tw), UnsafePointer(NP + 2 * n * tw), g.gv, g.gw)
                }
                let lo = tiles[t].lowerBound, g = gradientRows(t, chunk: chunk)
                return (V + n * lo, W + n * lo, P + muOff + lo, g.gv, g.gw)
            }
            if narrow >= 0 {
                let lo = tiles[narrow].lowerBound, width = tiles[narrow].count
                for c in 0..<n {
                    for j in 0..<width { NP[c * tw + j] = V[n * lo + c * width + j]; NP[n * tw + c * tw + j] = W[n * lo + c * width + j] }
                }
                for j in 0..<width { NP[2 * n * tw + j] = P[muOff + lo + j] }
            }

            // Stage 0 (by sample): encoder inputs with the dropout mask, the kept entries packed at the
            // front of each row's range (see aCol); decoder bias per entry.
            Parallel.forEach(sampleChunks.count, threads: threads) { chunk in
                if nb > 1 {
                    // The encoder's inputs in (block, row) order, row by row so that each row's
                    // ratings are read from memory once (its blocks' slices are written in order).
                    for bi in sampleChunks[chunk] {
                        let s = list[bi]
                        let norm = inputScaling.factor(count: rs[s + 1] - rs[s])
                        for b in 0..<nb {
                            let key = b * rows + s
                            var m = EBS[key]
                            let toEntry = EBP[key]
                            for q in EBS[key]..<EBS[key + 1] {
                                let p = q + toEntry, k = keep(p)
                                if k != 0 { AB[m] = (vs[p] - shift) * k * norm; AC[m] = C[p]; m += 1 }
                            }
                            AE[key] = m
                        }
                    }
                }
                // Entry order: the encoder's inputs unless blocked; walking by sample, also the mask
                // (for the loss) and, unblocked, the decoder bias.
                if byColumn && nb > 1 { return }
                for bi in sampleChunks[chunk] {
                    let s = list[bi]
                    let norm = inputScaling.factor(count: rs[s + 1] - rs[s])
                    var m = rs[s]
                    for p in rs[s]..<rs[s + 1] {
                        let k = keep(p)
                        if !byColumn { KP[p] = k }
                        if nb == 1 {
                            if k != 0 { A[m] = (vs[p] - shift) * k * norm; AC[m] = C[p]; m += 1 }
                            if !byColumn { Y[p] = P[bOff + Int(C[p])] }
                        }
                    }
                    if nb == 1 { AE[s] = m }
                }
            }
            if regroup {
                // The batch's entries grouped by (block of batch positions, input column): a counting
                // sort, stable in batch order. Entries of column c in block b are CS[b n + c]..<CS[b n + c + 1],
                // so each blocked pass streams them in order.
                let keys = nbs * n
                for key in 0...keys { CS[key] = 0 }
                for (b, block) in sampleBlocks.enumerated() {
                    for bi in block {
                        let s = list[bi]
                        for p in rs[s]..<rs[s + 1] { CS[b * n + Int(C[p]) + 1] += 1 }
                    }
                }
                for key in 0..<keys { CS[key + 1] += CS[key] }
                for (b, block) in sampleBlocks.enumerated() {
                    for bi in block {
                        let s = list[bi]
                        for p in rs[s]..<rs[s + 1] {
                            let key = b * n + Int(C[p])
                            let k = CS[key]
                            CB[Int(k)] = Int32(bi); CV[Int(k)] = vs[p]
                            CS[key] = k + 1
                        }
                    }
                }
                for key in stride(from: keys, to: 0, by: -1) { CS[key] = CS[key - 1] }
                CS[0] = 0
                groupedFor = list
            }
            if byColumn {
                // The encoder inputs of each (block, column)'s kept entries, packed at the front of its
                // range in batch order (colKeptEnd serves as the write cursor and ends at the packed end).
                Parallel.forEach(nbs, threads: threads) { b in
                    for c in 0..<n { CKE[b * n + c] = CS[b * n + c] }
                    for bi in sampleBlocks[b] {
                        let s = list[bi]
                        let norm = inputScaling.factor(count: rs[s + 1] - rs[s])
                        for p in rs[s]..<rs[s + 1] {
                            let k = keep(p)
                            if k == 0 { continue }
                            let key = b * n + Int(C[p]), m = CKE[key]
                            CA[Int(m)] = (vs[p] - shift) * k * norm; CK[Int(m)] = Int32(bi)
                            CKE[key] = m + 1
                        }
                    }
                }
            }
            let columnChunks = byColumn ? balancedChunks(count: n, threads: threads) { c in
                (0..<nbs).reduce(0) { $0 + Int(CS[$1 * n + c + 1] - CS[$1 * n + c]) }
            } : []
            lap(0)

            // Stage 1 (by tile): encoder z = mu + sum_k a_k V_k, then h = g(z).
            Parallel.forChunks(tiles.count, threads: threads) { _, tileRange in
                for t in tileRange {
                    let lo = tiles[t].lowerBound, w = tw, tp = tilePointers(t)
                    let vt = tp.v, zt = Z + batch * lo, ht = H + batch * lo
                    // Gathering weight rows into a register tile beats scattering into z at every size tried.
                    if nb == 1 {
                        for bi in 0..<batch {
                            let s = list[bi], p0 = rs[s]
                            Kernels.gatherAccumulate32(zt + bi * w, start: tp.mu, startScale: 1,
                                                       count: AE[s] - p0, indices: AC + p0, coefficients: A + p0,
                                                       base: vt, stride: w)
                        }
                    } else {
                        // One block of input columns at a time, so that its weight rows stay in cache.
                        for b in 0..<nb {
                            for bi in 0..<batch {
                                let key = b * rows + list[bi], q0 = EBS[key]
                                Kernels.gatherAccumulate32(zt + bi * w, start: b == 0 ? tp.mu : UnsafePointer(zt + bi * w),
                                                           startScale: 1, count: AE[key] - q0, indices: AC + q0,
                                                           coefficients: AB + q0, base: vt, stride: w)
                            }
                        }
                    }
                    enc.apply(batch * w, zt, into: ht)
                }
            }
            lap(1)

            // Stage 2: decoder outputs on observed entries (by sample or by column), then the loss
            // and dL/dy per entry (by sample).
            if byColumn {
                // Accumulate in column order (CY, sequential); the loss follows in column order too.
                Parallel.forEach(columnChunks.count, threads: threads) { chunk in
                    let range = columnChunks[chunk]
                    if range.isEmpty { return }
                    let last = tiles.count - 1
                    // Two tiles in one pass where possible: each entry's running sum is then read and
                    // written half as often.
                    var ti = 0
                    while ti < tiles.count {
                        let lo = tiles[ti].lowerBound, w = tw
                        let pair = ti < last
                        let wt = tilePointers(ti).w, wtB = tilePointers(pair ? ti + 1 : ti).w, ht = H + batch * lo
                        let final = pair ? ti + 1 == last : ti == last
                        defer { ti += pair ? 2 : 1 }
                        for b in 0..<nbs {
                            for c in range {
                                let wr = wt + c * w, k0 = Int(CS[b * n + c]), k = Int(CS[b * n + c + 1])
                                // The decoder bias first (while these entries are in cache).
                                if lo == 0 { for j in k0..<k { CY[j] = P[bOff + c] } }
                                if pair {
                                    Kernels.gatherDots32Pair(wr, wtB + c * w, count: k - k0, indices: CB + k0, baseA: ht,
                                                             baseB: ht + batch * w, into: CY + k0)
                                } else {
                                    Kernels.gatherDots32(wr, count: k - k0, indices: CB + k0, base: ht, into: CY + k0)
                                }
                                guard final else { continue }
                                // After the last tile, while the entries are in cache: the loss and
                                // dL/dy in column order and the decoder bias gradient. An entry was
                                // kept when it is the next of the range's packed kept entries.
                                var g: Float = b == 0 ? 0 : GB[c], l = b == 0 ? 0 : CL[c]
                                var m = k0
                                let keptEnd = Int(CKE[b * n + c])
                                for j in k0..<k {
                                    let kept = m < keptEnd && CK[m] == CB[j]
                                    if kept { m += 1 }
                                    let y = CY[j], o = dec.apply(y), e = o - CV[j]
                                    let weight: Float = kept ? keptWeight : 1
                                    l += Double(weight * e * e)
                                    let dy = 2 * weight * e * dec.derivative(input: y, output: o)
                                    CY[j] = dy; g += dy
                                }
                                GB[c] = g
                                CL[c] = l
                            }
                        }
                    }
                }
            } else if nb > 1 {
                // By sample, one block of input columns at a time (the weight rows it reads stay in
                // cache), into the outputs in (block, row) order; then back to entry order.
                Parallel.forEach(sampleChunks.count, threads: threads) { chunk in
                    for bi in sampleChunks[chunk] {
                        let s = list[bi]
                        for b in 0..<nb { let key = b * rows + s; for q in EBS[key]..<EBS[key + 1] { YB[q] = P[bOff + Int(C[q + EBP[key]])] } }
                    }
                    for t in tiles.indices {
                        let lo = tiles[t].lowerBound, w = tw
                        let wt = tilePointers(t).w, ht = H + batch * lo
                        for b in 0..<nb {
                            for bi in sampleChunks[chunk] {
                                let key = b * rows + list[bi], q0 = EBS[key], hv = ht + bi * w
                                Kernels.gatherDots32(hv, count: EBS[key + 1] - q0, indices: C + q0 + EBP[key], base: wt, into: YB + q0)
                            }
                        }
                    }
                    for bi in sampleChunks[chunk] {
                        let s = list[bi]
                        for b in 0..<nb { let key = b * rows + s; for q in EBS[key]..<EBS[key + 1] { Y[q + EBP[key]] = YB[q] } }
                    }
                }
            } else {
                Parallel.forEach(sampleChunks.count, threads: threads) { chunk in
                    for t in tiles.indices {
                        let lo = tiles[t].lowerBound, w = tw
                        let wt = tilePointers(t).w, ht = H + batch * lo
                        for bi in sampleChunks[chunk] {
                            let s = list[bi], hv = ht + bi * w, p0 = rs[s]
                            Kernels.gatherDots32(hv, count: rs[s + 1] - p0, indices: C + p0, base: wt, into: Y + p0)
                        }
                    }
                }
            }
            if !byColumn { Parallel.forEach(sampleChunks.count, threads: threads) { chunk in
                for bi in sampleChunks[chunk] {
                    let s = list[bi]
                    var l = 0.0
                    for p in rs[s]..<rs[s + 1] {
                        let y = Y[p], o = dec.apply(y), e = o - vs[p]
                        let weight: Float = KP[p] != 0 ? keptWeight : 1
                        l += Double(weight * e * e)
                        Y[p] = 2 * weight * e * dec.derivative(input: y, output: o)
                    }
                    L[bi] = l
                    if nb > 1 { for b in 0..<nb { let key = b * rows + s; for q in EBS[key]..<EBS[key + 1] { YB[q] = Y[q + EBP[key]] } } }
                }
            } }
            // Decoder bias gradient, summed over the batch in order (each column's terms in batch order).
            if !byColumn {
                for c in 0..<n { GB[c] = 0 }
                for bi in 0..<batch {
                    let s = list[bi]
                    for p in rs[s]..<rs[s + 1] { GB[Int(C[p])] += Y[p] }
                }
            }
            lap(2)

            // Stage 3 (by tile): dL/dh = sum_k dy_k W_k, dL/dz, then the weight gradients (L2 term
            // plus sums over each weight row's entries) and the squared norms for the loss.
            Parallel.forChunks(tiles.count, threads: threads) { chunk, tileRange in
                for t in tileRange {
                    // Rows are tw floats apart; width is the tile's own (narrower for a narrow last tile).
                    let lo = tiles[t].lowerBound, w = tw, width = tiles[t].count, tp = tilePointers(t, chunk: chunk)
                    let vt = tp.v, wt = tp.w, zt = Z + batch * lo, ht = H + batch * lo, dt = D + batch * lo
                    let gvt = tp.gv, gwt = tp.gw
                    var sq = 0.0
                    // Walking by column: one block of batch positions at a time (see sampleBlocks). One
                    // pass over each column's entries gives both dL/dh and the decoder weights' gradient.
                    if byColumn {
                        for j in 0..<(batch * w) { dt[j] = 0 }
                        for b in 0..<nbs {
                            for c in 0..<n {
                                let k0 = Int(CS[b * n + c]), k = Int(CS[b * n + c + 1])
                                let wr = wt + c * w, gw = gwt + c * w
                                // The squared norms for the loss, while the weight rows are read.
                                if b == 0 { sq += Double(Kernels.dot(width, vt + c * w, vt + c * w) + Kernels.dot(width, wr, wr)) }
                                let start = b == 0 ? wr : UnsafePointer(gw), startScale = b == 0 ? scale : 1
                                Kernels.gatherScatter32(gw, start: start, startScale: startScale, count: k - k0, indices: CB + k0,
                                                        coefficients: CY + k0, base: ht, row: wr, scatter: dt)
                            }
                        }
                    } else if nb > 1 {
                        // By sample, one block of input columns at a time (see columnBlocks).
                        for b in 0..<nb {
                            for bi in 0..<batch {
                                let key = b * rows + list[bi], q0 = EBS[key], dv = dt + bi * w
                                Kernels.gatherAccumulate32(dv, start: b == 0 ? nil : UnsafePointer(dv), startScale: b == 0 ? 0 : 1,
                                                           count: EBS[key + 1] - q0, indices: C + q0 + EBP[key], coefficients: YB + q0, base: wt, stride: w)
                            }
                        }
                    } else {
                        for bi in 0..<batch {
                            let s = list[bi], p0 = rs[s]
                            Kernels.gatherAccumulate32(dt + bi * w, start: nil, startScale: 0, count: rs[s + 1] - p0,
                                                       indices: C + p0, coefficients: Y + p0, base: wt, stride: w)
                        }
                    }
                    if decoderStepsFirst, let step = update {
                        // The decoder rows' gradient is final and the rows are read no more in this pass.
                        let g = gradientRows(t, chunk: chunk).gw
                        if t == narrow {
                            for c in 0..<n { for j in 0..<width { g[c * width + j] = gwt[c * w + j] } }
                        }
                        step((wOff + n * lo)..<(wOff + n * (lo + width)), writableParams, g)
                    }
                    enc.multiplyByDerivative(batch * w, input: zt, output: ht, dt)

                    if byColumn {
                        for b in 0..<nbs {
                            for c in 0..<n {
                                let k0 = Int(CS[b * n + c]), gv = gvt + c * w
                                Kernels.gatherAccumulate32(gv, start: b == 0 ? vt + c * w : UnsafePointer(gv), startScale: b == 0 ? scale : 1,
                                                           count: Int(CKE[b * n + c]) - k0, indices: CK + k0, coefficients: CA + k0, base: dt, stride: w)
                            }
                        }
                    } else if nb > 1 {
                        for j in 0..<(n * w) { gwt[j] = scale * wt[j]; gvt[j] = scale * vt[j] }
                        // The two gradients in separate passes: each block's rows of one of them fit in
                        // L2 where both would not.
                        for b in 0..<nb {
                            for bi in 0..<batch {
                                let key = b * rows + list[bi], hv = ht + bi * w
                                let toEntry = EBP[key]
                                for q in EBS[key]..<EBS[key + 1] { Kernels.axpy(w, YB[q], hv, gwt + Int(C[q + toEntry]) * w) }
                            }
                            for bi in 0..<batch {
                                let key = b * rows + list[bi], dv = dt + bi * w
                                for q in EBS[key]..<AE[key] { Kernels.axpy(w, AB[q], dv, gvt + Int(AC[q]) * w) }
                            }
                        }
                    } else {
                        for j in 0..<(n * w) { gwt[j] = scale * wt[j]; gvt[j] = scale * vt[j] }
                        for bi in 0..<batch {
                            let s = list[bi], hv = ht + bi * w, dv = dt + bi * w
                            for p in rs[s]..<rs[s + 1] { Kernels.axpy(w, Y[p], hv, gwt + Int(C[p]) * w) }
                            for p in rs[s]..<AE[s] { Kernels.axpy(w, A[p], dv, gvt + Int(AC[p]) * w) }
                        }
                    }
                    if !byColumn { for c in 0..<n { sq += Double(Kernels.dot(width, vt + c * w, vt + c * w) + Kernels.dot(width, wt + c * w, wt + c * w)) } }
                    SQ[t] = sq
                    let gmu = GMU + lo
                    for j in 0..<width { gmu[j] = 0 }
                    for bi in 0..<batch { Kernels.axpy(width, 1, dt + bi * w, gmu) }
                    let tileGradient = gradientRows(t, chunk: chunk)
                    if t == narrow {
                        // The padded gradient rows back into the tile's own layout (front to back, so
                        // in place where the scratch holds both).
                        for c in 0..<n {
                            for j in 0..<width { tileGradient.gv[c * width + j] = gvt[c * w + j] }
                            if !decoderStepsFirst { for j in 0..<width { tileGradient.gw[c * width + j] = gwt[c * w + j] } }
                        }
                    }
                    // Fused: this tile's weights are read by no later stage, so they are stepped now.
                    if let step = update {
                        step((vOff + n * lo)..<(vOff + n * (lo + width)), writableParams, tileGradient.gv)
                        if !decoderStepsFirst { step((wOff + n * lo)..<(wOff + n * (lo + width)), writableParams, tileGradient.gw) }
                    }
                }
            }
            if let step = update {
                step(muOff..<(muOff + h), writableParams, GMU)
                step(bOff..<(bOff + n), writableParams, GB)
            }
            lap(3)
        }}}}}

        var loss = 0.0, entries = 0
        for bi in 0..<batch { entries += data.count(ofRow: list[bi]) }
        if byColumn { for c in 0..<data.cols { loss += columnLoss[c] } } else { for bi in 0..<batch { loss += sampleLoss[bi] } }
        lastSquaredError = loss
        lastEntries = entries
        var sq = 0.0
        for t in 0..<tiles.count { sq += tileSquares[t] }
        lap(4)
        for i in 0..<5 { stageSeconds[i] += laps[i] }
        return loss + 0.5 * Double(scale) * sq
    }

    /// Splits 0..<count into `threads` contiguous chunks of about equal total `weight`.
    private func balancedChunks(count: Int, threads: Int, weight: (Int) -> Int) -> [Range<Int>] {
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

/// A counter-based uniform draw: the same (seed, index) always gives the same value.
enum DropoutMask {
    @inline(__always) static func uniform(_ seed: UInt64, _ index: Int) -> Float {
        var z = seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) * (1.0 / Float(1 << 24))
    }
}

/// Scaling of a sample's input vector by its number of observed entries n, so that a user with 700
/// ratings and one with 20 give the encoder inputs of a similar size (as SVD++ does with 1/sqrt(n)).
public enum InputScaling: String, CaseIterable, Sendable, Codable {
    case none, sqrt, count

    @inline(__always) public func factor(count n: Int) -> Float {
        switch self {
        case .none: return 1
        case .sqrt: return n > 0 ? 1 / Float(n).squareRoot() : 1
        case .count: return n > 0 ? 1 / Float(n) : 1
        }
    }
}
