import Linalg
import AutoRecCore

/// One call of `AutoRecObjective.evaluate`: what every stage of the loss and gradient reads, under
/// names that say what each buffer holds, and the stages themselves in the order they run (see the
/// objective's notes and docs/ARCHITECTURE.md, "Training I-AutoRec and U-AutoRec"). Pointers are
/// valid for the call only: the objective builds a pass inside its buffers' scopes and drops it.
struct AutoRecPass {
    // The data: samples x inputs, and the batch's samples.
    let rowStart: UnsafePointer<Int>
    let columns: UnsafePointer<Int32>
    let values: UnsafePointer<Float>
    let rowCount: Int
    let inputCount: Int
    let hiddenCount: Int
    let samples: [Int]
    /// How many samples the batch holds.
    let batch: Int
    // The network and its parameters (offsets into the flat vector: AutoRecParameters' layout).
    let encoder: Activation
    let decoder: Activation
    let inputShift: Float
    let inputScaling: InputScaling
    let writableParams: UnsafeMutablePointer<Float>
    var params: UnsafePointer<Float> { UnsafePointer(writableParams) }
    let encoderWeightsAt: Int, encoderBiasAt: Int, decoderWeightsAt: Int, decoderBiasAt: Int
    var encoderWeights: UnsafePointer<Float> { params + encoderWeightsAt }
    var decoderWeights: UnsafePointer<Float> { params + decoderWeightsAt }
    let tiles: [Range<Int>]
    let tileWidth: Int
    /// The last tile when it is narrower than `tileWidth` (else -1), and its padded weight rows.
    let narrowTile: Int
    let narrowPad: UnsafeMutablePointer<Float>
    let narrowGradient: UnsafeMutablePointer<Float>
    // The loss's settings.
    let l2Scale: Float
    let dropout: Float
    /// 1 / (1 - dropout): the multiplier of a kept input.
    let keepScale: Float
    let maskSeed: UInt64
    let keptWeight: Float
    let threads: Int
    // How the pass walks: by input column (inputs outnumber the batch) or by sample, in blocks of
    // input columns (`columnBlockCount` > 1) or of batch positions (`sampleBlocks`).
    let byColumn: Bool
    let columnBlockCount: Int
    let sampleBlocks: [Range<Int>]
    var sampleBlockCount: Int { sampleBlocks.count }
    let sampleChunks: [Range<Int>]
    // Workspaces (tile-major, see AutoRecObjective): encoder pre-activations, codes, dL/dh.
    let preActivations: UnsafeMutablePointer<Float>
    let codes: UnsafeMutablePointer<Float>
    let codeGradients: UnsafeMutablePointer<Float>
    // Encoder inputs of the kept entries, packed at the front of each row's range, their columns
    // and where each row's (or each (block, row)'s) packed part ends.
    let keptInput: UnsafeMutablePointer<Float>
    let keptColumn: UnsafeMutablePointer<Int32>
    let keptRowEnd: UnsafeMutablePointer<Int>
    // Walking by sample: the decoder output (then dL/dy) and the dropout multiplier per entry.
    let entryOutput: UnsafeMutablePointer<Float>
    let entryKeep: UnsafeMutablePointer<Float>
    // Walking by column: the batch's entries grouped by (block of batch positions, input column).
    let columnStart: UnsafeMutablePointer<Int32>
    let columnSample: UnsafeMutablePointer<Int32>
    let columnOutput: UnsafeMutablePointer<Float>
    let columnInput: UnsafeMutablePointer<Float>
    let columnValue: UnsafeMutablePointer<Float>
    let columnKept: UnsafeMutablePointer<Int32>
    let columnKeptEnd: UnsafeMutablePointer<Int32>
    // Blocked by input column: (block, row) order of the entries and its workspaces.
    let blockedStart: UnsafePointer<Int>
    let blockedToEntry: UnsafePointer<Int>
    let blockedInput: UnsafeMutablePointer<Float>
    let blockedOutput: UnsafeMutablePointer<Float>
    // The loss's parts: per column (walking by column), per sample, and the squared weights per tile.
    let columnLoss: UnsafeMutablePointer<Double>
    let sampleLoss: UnsafeMutablePointer<Double>
    let tileSquares: UnsafeMutablePointer<Double>
    // Where gradients go: the full vector, or (fused) scratch that `update` steps from.
    let fullGradient: UnsafeMutablePointer<Float>?
    let update: AutoRecObjective.RangeUpdate?
    var fused: Bool { fullGradient == nil }
    let tileScratch: UnsafeMutablePointer<Float>
    let decoderTileScratch: UnsafeMutablePointer<Float>
    let encoderBiasGradient: UnsafeMutablePointer<Float>
    let decoderBiasGradient: UnsafeMutablePointer<Float>
    /// Walking by column, fused: a tile's decoder rows are stepped as soon as their gradient is
    /// final, and the encoder rows' gradient then takes the same scratch.
    var decoderStepsFirst: Bool { fused && byColumn }

    /// The dropout multiplier of entry p: 0 (hidden from the encoder) or 1/(1-p), a hash of (maskSeed, p).
    @inline(__always) func keep(_ p: Int) -> Float {
        dropout > 0 ? (DropoutMask.uniform(maskSeed, p) < dropout ? 0 : keepScale) : 1
    }

    /// Where tile t's encoder and decoder weight gradients end up in the tile's own layout: the
    /// full gradient, or (fused) the scratch of the chunk of tiles that computes it.
    @inline(__always) func gradientRows(_ t: Int, chunk: Int) -> (gv: UnsafeMutablePointer<Float>, gw: UnsafeMutablePointer<Float>) {
        if let gradient = fullGradient {
            let lo = tiles[t].lowerBound
            return (gradient + encoderWeightsAt + inputCount * lo, gradient + decoderWeightsAt + inputCount * lo)
        }
        let gv = tileScratch + chunk * inputCount * tileWidth
        return (gv, decoderStepsFirst ? gv : decoderTileScratch + chunk * inputCount * tileWidth)
    }

    /// Tile t's encoder weights, decoder weights and encoder bias, and where their gradients go:
    /// rows of `tileWidth` floats (the padded copies for a narrow tile).
    @inline(__always) func tilePointers(_ t: Int, chunk: Int = 0) -> (v: UnsafePointer<Float>, w: UnsafePointer<Float>, mu: UnsafePointer<Float>,
                                                                      gv: UnsafeMutablePointer<Float>, gw: UnsafeMutablePointer<Float>) {
        let n = inputCount, width = tileWidth
        if t == narrowTile {
            let g = fused ? gradientRows(t, chunk: chunk) : (gv: narrowGradient, gw: narrowGradient + n * width)
            return (UnsafePointer(narrowPad), UnsafePointer(narrowPad + n * width), UnsafePointer(narrowPad + 2 * n * width), g.gv, g.gw)
        }
        let lo = tiles[t].lowerBound, g = gradientRows(t, chunk: chunk)
        return (encoderWeights + n * lo, decoderWeights + n * lo, params + encoderBiasAt + lo, g.gv, g.gw)
    }

    /// The narrow tile's weights and encoder bias into their padded rows.
    func padNarrowTile() {
        if narrowTile >= 0 {
            let lo = tiles[narrowTile].lowerBound, width = tiles[narrowTile].count
            for c in 0..<inputCount {
                for j in 0..<width { narrowPad[c * tileWidth + j] = encoderWeights[inputCount * lo + c * width + j]; narrowPad[inputCount * tileWidth + c * tileWidth + j] = decoderWeights[inputCount * lo + c * width + j] }
            }
            for j in 0..<width { narrowPad[2 * inputCount * tileWidth + j] = params[encoderBiasAt + lo + j] }
        }
    }

    /// Stage 0 (by sample): encoder inputs with the dropout mask, kept entries packed; decoder bias per entry.
    func prepareInputs() {
        // Local copies: the entry loops read them once, not through `self` at every entry.
        let (dropout, maskSeed, keepScale) = (self.dropout, self.maskSeed, self.keepScale)
        @inline(__always) func keep(_ p: Int) -> Float {
            dropout > 0 ? (DropoutMask.uniform(maskSeed, p) < dropout ? 0 : keepScale) : 1
        }
        let (rowStart, columns, values, samples, inputShift, inputScaling) = (self.rowStart, self.columns, self.values, self.samples, self.inputShift, self.inputScaling)
        let (keptInput, keptColumn, keptRowEnd, entryKeep, entryOutput) = (self.keptInput, self.keptColumn, self.keptRowEnd, self.entryKeep, self.entryOutput)
        let (blockedStart, blockedToEntry, blockedInput, params, decoderBiasAt) = (self.blockedStart, self.blockedToEntry, self.blockedInput, self.params, self.decoderBiasAt)
        let (byColumn, columnBlockCount, rowCount) = (self.byColumn, self.columnBlockCount, self.rowCount)
        // Stage 0 (by sample): encoder inputs with the dropout mask, the kept entries packed at the
        // front of each row's range (see keptColumn); decoder bias per entry.
        Parallel.forEach(sampleChunks.count, threads: threads) { chunk in
            if columnBlockCount > 1 {
                // The encoder's inputs in (block, row) order, row by row so that each row's
                // ratings are read from memory once (its blocks' slices are written in order).
                for bi in sampleChunks[chunk] {
                    let s = samples[bi]
                    let norm = inputScaling.factor(count: rowStart[s + 1] - rowStart[s])
                    for b in 0..<columnBlockCount {
                        let key = b * rowCount + s
                        var m = blockedStart[key]
                        let toEntry = blockedToEntry[key]
                        for q in blockedStart[key]..<blockedStart[key + 1] {
                            let p = q + toEntry, k = keep(p)
                            if k != 0 { blockedInput[m] = (values[p] - inputShift) * k * norm; keptColumn[m] = columns[p]; m += 1 }
                        }
                        keptRowEnd[key] = m
                    }
                }
            }
            // Entry order: the encoder's inputs unless blocked; walking by sample, also the mask
            // (for the loss) and, unblocked, the decoder bias.
            if byColumn && columnBlockCount > 1 { return }
            for bi in sampleChunks[chunk] {
                let s = samples[bi]
                let norm = inputScaling.factor(count: rowStart[s + 1] - rowStart[s])
                var m = rowStart[s]
                for p in rowStart[s]..<rowStart[s + 1] {
                    let k = keep(p)
                    if !byColumn { entryKeep[p] = k }
                    if columnBlockCount == 1 {
                        if k != 0 { keptInput[m] = (values[p] - inputShift) * k * norm; keptColumn[m] = columns[p]; m += 1 }
                        if !byColumn { entryOutput[p] = params[decoderBiasAt + Int(columns[p])] }
                    }
                }
                if columnBlockCount == 1 { keptRowEnd[s] = m }
            }
        }
    }

    /// Walking by column, when the batch changed: its entries grouped by (block of batch positions, input column).
    func groupByColumn() {
        // The batch's entries grouped by (block of batch positions, input column): a counting
        // sort, stable in batch order. Entries of column c in block b are columnStart[b n + c]..<columnStart[b n + c + 1],
        // so each blocked pass streams them in order.
        // Local copies: the entry loops read them once, not through `self` at every entry.
        let (rowStart, columns, values, samples, sampleBlocks, inputCount) = (self.rowStart, self.columns, self.values, self.samples, self.sampleBlocks, self.inputCount)
        let (columnStart, columnSample, columnValue) = (self.columnStart, self.columnSample, self.columnValue)
        let keys = sampleBlocks.count * inputCount
        for key in 0...keys { columnStart[key] = 0 }
        for (b, block) in sampleBlocks.enumerated() {
            for bi in block {
                let s = samples[bi]
                for p in rowStart[s]..<rowStart[s + 1] { columnStart[b * inputCount + Int(columns[p]) + 1] += 1 }
            }
        }
        for key in 0..<keys { columnStart[key + 1] += columnStart[key] }
        for (b, block) in sampleBlocks.enumerated() {
            for bi in block {
                let s = samples[bi]
                for p in rowStart[s]..<rowStart[s + 1] {
                    let key = b * inputCount + Int(columns[p])
                    let k = columnStart[key]
                    columnSample[Int(k)] = Int32(bi); columnValue[Int(k)] = values[p]
                    columnStart[key] = k + 1
                }
            }
        }
        for key in stride(from: keys, to: 0, by: -1) { columnStart[key] = columnStart[key - 1] }
        columnStart[0] = 0
    }

    /// Walking by column: each (block, column)'s kept entries' encoder inputs.
    func packColumnInputs() {
        // Local copies: the entry loops read them once, not through `self` at every entry.
        let (dropout, maskSeed, keepScale) = (self.dropout, self.maskSeed, self.keepScale)
        @inline(__always) func keep(_ p: Int) -> Float {
            dropout > 0 ? (DropoutMask.uniform(maskSeed, p) < dropout ? 0 : keepScale) : 1
        }
        let (rowStart, columns, values, samples, inputShift, inputScaling) = (self.rowStart, self.columns, self.values, self.samples, self.inputShift, self.inputScaling)
        let (columnStart, columnKeptEnd, columnInput, columnKept) = (self.columnStart, self.columnKeptEnd, self.columnInput, self.columnKept)
        let (sampleBlocks, inputCount) = (self.sampleBlocks, self.inputCount)
        // The encoder inputs of each (block, column)'s kept entries, packed at the front of its
        // range in batch order (columnKeptEnd serves as the write cursor and ends at the packed end).
        Parallel.forEach(sampleBlockCount, threads: threads) { b in
            for c in 0..<inputCount { columnKeptEnd[b * inputCount + c] = columnStart[b * inputCount + c] }
            for bi in sampleBlocks[b] {
                let s = samples[bi]
                let norm = inputScaling.factor(count: rowStart[s + 1] - rowStart[s])
                for p in rowStart[s]..<rowStart[s + 1] {
                    let k = keep(p)
                    if k == 0 { continue }
                    let key = b * inputCount + Int(columns[p]), m = columnKeptEnd[key]
                    columnInput[Int(m)] = (values[p] - inputShift) * k * norm; columnKept[Int(m)] = Int32(bi)
                    columnKeptEnd[key] = m + 1
                }
            }
        }
    }

    /// Stage 1 (by tile): the codes.
    func encode() {
        // Stage 1 (by tile): encoder z = mu + sum_k a_k V_k, then h = g(z).
        Parallel.forChunks(tiles.count, threads: threads) { _, tileRange in
            for t in tileRange {
                let lo = tiles[t].lowerBound, w = tileWidth, tp = tilePointers(t)
                let vt = tp.v, zt = preActivations + batch * lo, ht = codes + batch * lo
                // Gathering weight rows into a register tile beats scattering into z at every size tried.
                if columnBlockCount == 1 {
                    for bi in 0..<batch {
                        let s = samples[bi], p0 = rowStart[s]
                        Kernels.gatherAccumulate32(zt + bi * w, start: tp.mu, startScale: 1,
                                                   count: keptRowEnd[s] - p0, indices: keptColumn + p0, coefficients: keptInput + p0,
                                                   base: vt, stride: w)
                    }
                } else {
                    // One block of input columns at a time, so that its weight rows stay in cache.
                    for b in 0..<columnBlockCount {
                        for bi in 0..<batch {
                            let key = b * rowCount + samples[bi], q0 = blockedStart[key]
                            Kernels.gatherAccumulate32(zt + bi * w, start: b == 0 ? tp.mu : UnsafePointer(zt + bi * w),
                                                       startScale: 1, count: keptRowEnd[key] - q0, indices: keptColumn + q0,
                                                       coefficients: blockedInput + q0, base: vt, stride: w)
                        }
                    }
                }
                encoder.apply(batch * w, zt, into: ht)
            }
        }
    }

    /// Stage 2: decoder outputs on the observed entries, then the loss and dL/dy per entry, and the
    /// decoder bias gradient. Walking by column, the loss and bias gradient come with the last tile.
    func decodeAndScore(columnChunks: [Range<Int>]) {
        if byColumn { decodeByColumn(columnChunks); return }
        if columnBlockCount > 1 { decodeBySampleBlocked() } else { decodeBySample() }
        scoreBySample()
        decoderBiasGradientBySample()
    }

    /// Walking by column: each entry's output accumulated in column order (two tiles a pass where
    /// possible), then after the last tile its loss, dL/dy and the decoder bias gradient.
    private func decodeByColumn(_ columnChunks: [Range<Int>]) {
        // Local copies: the entry loops read them once, not through `self` at every entry.
        let (columnStart, columnSample, columnOutput, columnValue) = (self.columnStart, self.columnSample, self.columnOutput, self.columnValue)
        let (columnKept, columnKeptEnd, columnLoss, decoderBiasGradient) = (self.columnKept, self.columnKeptEnd, self.columnLoss, self.decoderBiasGradient)
        let (codes, params, decoderBiasAt, decoder, keptWeight) = (self.codes, self.params, self.decoderBiasAt, self.decoder, self.keptWeight)
        let (tiles, tileWidth, inputCount, batch, sampleBlockCount) = (self.tiles, self.tileWidth, self.inputCount, self.batch, self.sampleBlockCount)
        // Accumulate in column order (CY, sequential); the loss follows in column order too.
        Parallel.forEach(columnChunks.count, threads: threads) { chunk in
            let range = columnChunks[chunk]
            if range.isEmpty { return }
            let last = tiles.count - 1
            // Two tiles in one pass where possible: each entry's running sum is then read and
            // written half as often.
            var ti = 0
            while ti < tiles.count {
                let lo = tiles[ti].lowerBound, w = tileWidth
                let pair = ti < last
                let wt = tilePointers(ti).w, wtB = tilePointers(pair ? ti + 1 : ti).w, ht = codes + batch * lo
                let final = pair ? ti + 1 == last : ti == last
                defer { ti += pair ? 2 : 1 }
                for b in 0..<sampleBlockCount {
                    for c in range {
                        let wr = wt + c * w, k0 = Int(columnStart[b * inputCount + c]), k = Int(columnStart[b * inputCount + c + 1])
                        // The decoder bias first (while these entries are in cache).
                        if lo == 0 { for j in k0..<k { columnOutput[j] = params[decoderBiasAt + c] } }
                        if pair {
                            Kernels.gatherDots32Pair(wr, wtB + c * w, count: k - k0, indices: columnSample + k0, baseA: ht,
                                                     baseB: ht + batch * w, into: columnOutput + k0)
                        } else {
                            Kernels.gatherDots32(wr, count: k - k0, indices: columnSample + k0, base: ht, into: columnOutput + k0)
                        }
                        guard final else { continue }
                        // After the last tile, while the entries are in cache: the loss and
                        // dL/dy in column order and the decoder bias gradient. An entry was
                        // kept when it is the next of the range's packed kept entries.
                        var g: Float = b == 0 ? 0 : decoderBiasGradient[c], l = b == 0 ? 0 : columnLoss[c]
                        var m = k0
                        let keptEnd = Int(columnKeptEnd[b * inputCount + c])
                        for j in k0..<k {
                            let kept = m < keptEnd && columnKept[m] == columnSample[j]
                            if kept { m += 1 }
                            let y = columnOutput[j], o = decoder.apply(y), e = o - columnValue[j]
                            let weight: Float = kept ? keptWeight : 1
                            l += Double(weight * e * e)
                            let dy = 2 * weight * e * decoder.derivative(input: y, output: o)
                            columnOutput[j] = dy; g += dy
                        }
                        decoderBiasGradient[c] = g
                        columnLoss[c] = l
                    }
                }
            }
        }
    }

    /// By sample, one block of input columns at a time (the weight rows it reads stay in cache),
    /// into the outputs in (block, row) order; then back to entry order.
    private func decodeBySampleBlocked() {
        // By sample, one block of input columns at a time (the weight rows it reads stay in
        // cache), into the outputs in (block, row) order; then back to entry order.
        Parallel.forEach(sampleChunks.count, threads: threads) { chunk in
            for bi in sampleChunks[chunk] {
                let s = samples[bi]
                for b in 0..<columnBlockCount { let key = b * rowCount + s; for q in blockedStart[key]..<blockedStart[key + 1] { blockedOutput[q] = params[decoderBiasAt + Int(columns[q + blockedToEntry[key]])] } }
            }
            for t in tiles.indices {
                let lo = tiles[t].lowerBound, w = tileWidth
                let wt = tilePointers(t).w, ht = codes + batch * lo
                for b in 0..<columnBlockCount {
                    for bi in sampleChunks[chunk] {
                        let key = b * rowCount + samples[bi], q0 = blockedStart[key], hv = ht + bi * w
                        Kernels.gatherDots32(hv, count: blockedStart[key + 1] - q0, indices: columns + q0 + blockedToEntry[key], base: wt, into: blockedOutput + q0)
                    }
                }
            }
            for bi in sampleChunks[chunk] {
                let s = samples[bi]
                for b in 0..<columnBlockCount { let key = b * rowCount + s; for q in blockedStart[key]..<blockedStart[key + 1] { entryOutput[q + blockedToEntry[key]] = blockedOutput[q] } }
            }
        }
    }

    /// By sample, unblocked: each entry's output.
    private func decodeBySample() {
        Parallel.forEach(sampleChunks.count, threads: threads) { chunk in
            for t in tiles.indices {
                let lo = tiles[t].lowerBound, w = tileWidth
                let wt = tilePointers(t).w, ht = codes + batch * lo
                for bi in sampleChunks[chunk] {
                    let s = samples[bi], hv = ht + bi * w, p0 = rowStart[s]
                    Kernels.gatherDots32(hv, count: rowStart[s + 1] - p0, indices: columns + p0, base: wt, into: entryOutput + p0)
                }
            }
        }
    }

    /// By sample: the loss and dL/dy per entry.
    private func scoreBySample() {
        Parallel.forEach(sampleChunks.count, threads: threads) { chunk in
        for bi in sampleChunks[chunk] {
            let s = samples[bi]
            var l = 0.0
            for p in rowStart[s]..<rowStart[s + 1] {
                let y = entryOutput[p], o = decoder.apply(y), e = o - values[p]
                let weight: Float = entryKeep[p] != 0 ? keptWeight : 1
                l += Double(weight * e * e)
                entryOutput[p] = 2 * weight * e * decoder.derivative(input: y, output: o)
            }
            sampleLoss[bi] = l
            if columnBlockCount > 1 { for b in 0..<columnBlockCount { let key = b * rowCount + s; for q in blockedStart[key]..<blockedStart[key + 1] { blockedOutput[q] = entryOutput[q + blockedToEntry[key]] } } }
        }
        }
    }

    /// By sample: the decoder bias gradient, summed over the batch in order (each column's terms
    /// in batch order).
    private func decoderBiasGradientBySample() {
        for c in 0..<inputCount { decoderBiasGradient[c] = 0 }
        for bi in 0..<batch {
            let s = samples[bi]
            for p in rowStart[s]..<rowStart[s + 1] { decoderBiasGradient[Int(columns[p])] += entryOutput[p] }
        }
    }

    /// Stage 3 (by tile): dL/dh = sum_k dy_k W_k, dL/dz, then the weight gradients (L2 term plus
    /// sums over each weight row's entries) and the squared norms for the loss; fused, each tile's
    /// weights are stepped as soon as their gradient is final, the biases at the end.
    func backward() {
        Parallel.forChunks(tiles.count, threads: threads) { chunk, tileRange in
            for t in tileRange { backward(tile: t, chunk: chunk) }
        }

        if let step = update {
            step(encoderBiasAt..<(encoderBiasAt + hiddenCount), writableParams, encoderBiasGradient)
            step(decoderBiasAt..<(decoderBiasAt + inputCount), writableParams, decoderBiasGradient)
        }
    }

    /// One tile's slices of the weights, workspaces and gradients: rows are `tileWidth` floats apart,
    /// `width` is the tile's own (narrower for a narrow last tile).
    private struct TileSlices {
        let t: Int, chunk: Int, lo: Int, width: Int
        let vt: UnsafePointer<Float>, wt: UnsafePointer<Float>
        let zt: UnsafeMutablePointer<Float>, ht: UnsafeMutablePointer<Float>, dt: UnsafeMutablePointer<Float>
        let gvt: UnsafeMutablePointer<Float>, gwt: UnsafeMutablePointer<Float>
    }

    private func backward(tile t: Int, chunk: Int) {
        let lo = tiles[t].lowerBound, tp = tilePointers(t, chunk: chunk)
        let slices = TileSlices(t: t, chunk: chunk, lo: lo, width: tiles[t].count, vt: tp.v, wt: tp.w,
                                zt: preActivations + batch * lo, ht: codes + batch * lo, dt: codeGradients + batch * lo,
                                gvt: tp.gv, gwt: tp.gw)
        var squares = codeAndDecoderGradients(slices)
        if decoderStepsFirst, let step = update { stepDecoderRows(slices, step) }
        encoder.multiplyByDerivative(batch * tileWidth, input: slices.zt, output: slices.ht, slices.dt)
        encoderGradients(slices)
        finish(slices, squares: &squares)
    }

    /// dL/dh into the tile's workspace and the decoder weights' gradient; walking by column also the
    /// squared weights (returned), read while the rows are in cache.
    private func codeAndDecoderGradients(_ tile: TileSlices) -> Double {
        let (vt, wt, ht, dt, gwt, width, w) = (tile.vt, tile.wt, tile.ht, tile.dt, tile.gwt, tile.width, tileWidth)
        var sq = 0.0
        // Walking by column: one block of batch positions at a time (see sampleBlocks). One
        // pass over each column's entries gives both dL/dh and the decoder weights' gradient.
        if byColumn {
            for j in 0..<(batch * w) { dt[j] = 0 }
            for b in 0..<sampleBlockCount {
                for c in 0..<inputCount {
                    let k0 = Int(columnStart[b * inputCount + c]), k = Int(columnStart[b * inputCount + c + 1])
                    let wr = wt + c * w, gw = gwt + c * w
                    // The squared norms for the loss, while the weight rows are read.
                    if b == 0 { sq += Double(Kernels.dot(width, vt + c * w, vt + c * w) + Kernels.dot(width, wr, wr)) }
                    let start = b == 0 ? wr : UnsafePointer(gw), startScale = b == 0 ? l2Scale : 1
                    Kernels.gatherScatter32(gw, start: start, startScale: startScale, count: k - k0, indices: columnSample + k0,
                                            coefficients: columnOutput + k0, base: ht, row: wr, scatter: dt)
                }
            }
        } else if columnBlockCount > 1 {
            // By sample, one block of input columns at a time (see columnBlocks).
            for b in 0..<columnBlockCount {
                for bi in 0..<batch {
                    let key = b * rowCount + samples[bi], q0 = blockedStart[key], dv = dt + bi * w
                    Kernels.gatherAccumulate32(dv, start: b == 0 ? nil : UnsafePointer(dv), startScale: b == 0 ? 0 : 1,
                                               count: blockedStart[key + 1] - q0, indices: columns + q0 + blockedToEntry[key], coefficients: blockedOutput + q0, base: wt, stride: w)
                }
            }
        } else {
            for bi in 0..<batch {
                let s = samples[bi], p0 = rowStart[s]
                Kernels.gatherAccumulate32(dt + bi * w, start: nil, startScale: 0, count: rowStart[s + 1] - p0,
                                           indices: columns + p0, coefficients: entryOutput + p0, base: wt, stride: w)
            }
        }
        return sq
    }

    /// Fused, walking by column: the decoder rows' gradient is final and the rows are read no more.
    private func stepDecoderRows(_ tile: TileSlices, _ step: AutoRecObjective.RangeUpdate) {
        let (t, chunk, lo, width, gwt, w) = (tile.t, tile.chunk, tile.lo, tile.width, tile.gwt, tileWidth)
        // The decoder rows' gradient is final and the rows are read no more in this pass.
        let g = gradientRows(t, chunk: chunk).gw
        if t == narrowTile {
            for c in 0..<inputCount { for j in 0..<width { g[c * width + j] = gwt[c * w + j] } }
        }
        step((decoderWeightsAt + inputCount * lo)..<(decoderWeightsAt + inputCount * (lo + width)), writableParams, g)
    }

    /// The encoder weights' gradient from dL/dz and the kept inputs.
    private func encoderGradients(_ tile: TileSlices) {
        let (vt, wt, ht, dt, gvt, gwt, w) = (tile.vt, tile.wt, tile.ht, tile.dt, tile.gvt, tile.gwt, tileWidth)

        if byColumn {
            for b in 0..<sampleBlockCount {
                for c in 0..<inputCount {
                    let k0 = Int(columnStart[b * inputCount + c]), gv = gvt + c * w
                    Kernels.gatherAccumulate32(gv, start: b == 0 ? vt + c * w : UnsafePointer(gv), startScale: b == 0 ? l2Scale : 1,
                                               count: Int(columnKeptEnd[b * inputCount + c]) - k0, indices: columnKept + k0, coefficients: columnInput + k0, base: dt, stride: w)
                }
            }
        } else if columnBlockCount > 1 {
            for j in 0..<(inputCount * w) { gwt[j] = l2Scale * wt[j]; gvt[j] = l2Scale * vt[j] }
            // The two gradients in separate passes: each block's rows of one of them fit in
            // L2 where both would not.
            for b in 0..<columnBlockCount {
                for bi in 0..<batch {
                    let key = b * rowCount + samples[bi], hv = ht + bi * w
                    let toEntry = blockedToEntry[key]
                    for q in blockedStart[key]..<blockedStart[key + 1] { Kernels.axpy(w, blockedOutput[q], hv, gwt + Int(columns[q + toEntry]) * w) }
                }
                for bi in 0..<batch {
                    let key = b * rowCount + samples[bi], dv = dt + bi * w
                    for q in blockedStart[key]..<keptRowEnd[key] { Kernels.axpy(w, blockedInput[q], dv, gvt + Int(keptColumn[q]) * w) }
                }
            }
        } else {
            for j in 0..<(inputCount * w) { gwt[j] = l2Scale * wt[j]; gvt[j] = l2Scale * vt[j] }
            for bi in 0..<batch {
                let s = samples[bi], hv = ht + bi * w, dv = dt + bi * w
                for p in rowStart[s]..<rowStart[s + 1] { Kernels.axpy(w, entryOutput[p], hv, gwt + Int(columns[p]) * w) }
                for p in rowStart[s]..<keptRowEnd[s] { Kernels.axpy(w, keptInput[p], dv, gvt + Int(keptColumn[p]) * w) }
            }
        }
    }

    /// The squared weights walking by sample, the encoder bias gradient, the narrow tile's rows back
    /// into its own layout, and (fused) the tile's steps.
    private func finish(_ tile: TileSlices, squares sq: inout Double) {
        let (t, chunk, lo, width, vt, wt, dt, gvt, gwt, w) = (tile.t, tile.chunk, tile.lo, tile.width, tile.vt, tile.wt, tile.dt, tile.gvt, tile.gwt, tileWidth)
        if !byColumn { for c in 0..<inputCount { sq += Double(Kernels.dot(width, vt + c * w, vt + c * w) + Kernels.dot(width, wt + c * w, wt + c * w)) } }
        tileSquares[t] = sq
        let gmu = encoderBiasGradient + lo
        for j in 0..<width { gmu[j] = 0 }
        for bi in 0..<batch { Kernels.axpy(width, 1, dt + bi * w, gmu) }
        let tileGradient = gradientRows(t, chunk: chunk)
        if t == narrowTile {
            // The padded gradient rows back into the tile's own layout (front to back, so
            // in place where the scratch holds both).
            for c in 0..<inputCount {
                for j in 0..<width { tileGradient.gv[c * width + j] = gvt[c * w + j] }
                if !decoderStepsFirst { for j in 0..<width { tileGradient.gw[c * width + j] = gwt[c * w + j] } }
            }
        }
        // Fused: this tile's weights are read by no later stage, so they are stepped now.
        if let step = update {
            step((encoderWeightsAt + inputCount * lo)..<(encoderWeightsAt + inputCount * (lo + width)), writableParams, tileGradient.gv)
            if !decoderStepsFirst { step((decoderWeightsAt + inputCount * lo)..<(decoderWeightsAt + inputCount * (lo + width)), writableParams, tileGradient.gw) }
        }
    }
}
