#if AUTOREC_AVX2
// The x86 intrinsics that ship with the Swift toolchain's Clang (no package, no C code of ours).
import _Builtin_intrinsics.intel
#endif

/// Small vector kernels on raw pointers for the sparse training loops, where a BLAS call per
/// 500-float row would cost more in overhead than in arithmetic. Written so the optimiser vectorises them.
public enum Kernels {
    /// y[0..<n] += a * x[0..<n]
    @inlinable @inline(__always)
    public static func axpy(_ n: Int, _ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= n {
            let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let yv = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: yv + a * xv, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    /// The dot product of x[0..<n] and y[0..<n].
    @inlinable @inline(__always)
    public static func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            acc0 += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            acc1 += UnsafeRawPointer(x + i + 8).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(y + i + 8).loadUnaligned(as: SIMD8<Float>.self)
            i += 16
        }
        var s = (acc0 + acc1).sum()
        while i < n { s += x[i] * y[i]; i += 1 }
        return s
    }
}

/// 32 floats held in four 8-lane registers: the accumulator (and the scattered row) of the 32-wide
/// kernels, loaded, updated by c * row and stored in one place.
@usableFromInline
struct Row32 {
    @usableFromInline var v0, v1, v2, v3: SIMD8<Float>

    @inlinable @inline(__always)
    init() { v0 = SIMD8(); v1 = SIMD8(); v2 = SIMD8(); v3 = SIMD8() }

    /// scale * p[0..<32].
    @inlinable @inline(__always)
    init(_ p: UnsafeRawPointer, scale: Float = 1) {
        v0 = scale * p.loadUnaligned(as: SIMD8<Float>.self)
        v1 = scale * p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        v2 = scale * p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
        v3 = scale * p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
    }

    /// self += c * p[0..<32], fused where the build targets FMA.
    @inlinable @inline(__always)
    mutating func add(_ c: SIMD8<Float>, _ p: UnsafeRawPointer) {
        Kernels.fma(&v0, c, p.loadUnaligned(as: SIMD8<Float>.self))
        Kernels.fma(&v1, c, p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
        Kernels.fma(&v2, c, p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
        Kernels.fma(&v3, c, p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
    }

    @inlinable @inline(__always)
    func store(_ p: UnsafeMutableRawPointer) {
        p.storeBytes(of: v0, as: SIMD8<Float>.self)
        p.storeBytes(of: v1, toByteOffset: 32, as: SIMD8<Float>.self)
        p.storeBytes(of: v2, toByteOffset: 64, as: SIMD8<Float>.self)
        p.storeBytes(of: v3, toByteOffset: 96, as: SIMD8<Float>.self)
    }
}

extension Kernels {
    /// acc += a * b lane by lane: one fused multiply-add where the build targets FMA (AUTOREC_AVX2,
    /// which the tools set only on CPUs that have it), else a multiply and an add. Without FMA in
    /// the target, `addProduct` becomes a call to the C library's exact `fmaf` per lane, several
    /// times slower than the whole rest of a kernel.
    @inlinable @inline(__always)
    public static func fma(_ acc: inout SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) {
        #if AUTOREC_AVX2
        acc.addProduct(a, b)
        #else
        acc += a * b
        #endif
    }
}

extension Kernels {
    /// out[0..<32] = startScale * start[0..<32] + sum_k coefficients[k] * (base + indices[k] * stride)[0..<32].
    /// The 32 accumulators stay in registers across the whole sum, so each term costs one row load:
    /// the inner loop of every sparse AutoRec stage. `start` nil means zero.
    @inlinable @inline(__always)
    public static func gatherAccumulate32(_ out: UnsafeMutablePointer<Float>, start: UnsafePointer<Float>?,
                                          startScale: Float, count: Int, indices: UnsafePointer<Int32>,
                                          coefficients: UnsafePointer<Float>, base: UnsafePointer<Float>, stride: Int) {
        var acc = start.map { Row32(UnsafeRawPointer($0), scale: startScale) } ?? Row32()
        for k in 0..<count {
            acc.add(SIMD8(repeating: coefficients[k]), UnsafeRawPointer(base + Int(indices[k]) * stride))
        }
        acc.store(UnsafeMutableRawPointer(out))
    }

    /// out[k] += the sum of the eight lanes of partial(k), for k in 0..<count: the reduction shared by
    /// the dot-product kernels, several products at a time.
    @inlinable @inline(__always)
    static func addLaneSums(count: Int, into out: UnsafeMutablePointer<Float>, _ partial: (Int) -> SIMD8<Float>) {
        var k = 0
        #if AUTOREC_AVX2
        // Eight products reduced by a tree of horizontal adds (vhaddps), then the two 128-bit halves:
        // written with portable SIMD shuffles instead, the optimiser rebuilds the tree from scalar
        // lane moves at about twice the cost (1.7x slower measured on this kernel alone).
        while k + 8 <= count {
            let s01 = _mm256_hadd_ps(partial(k), partial(k + 1)), s23 = _mm256_hadd_ps(partial(k + 2), partial(k + 3))
            let s45 = _mm256_hadd_ps(partial(k + 4), partial(k + 5)), s67 = _mm256_hadd_ps(partial(k + 6), partial(k + 7))
            let t0 = _mm256_hadd_ps(s01, s23), t1 = _mm256_hadd_ps(s45, s67)
            let u = SIMD8(lowHalf: t0.lowHalf, highHalf: t1.lowHalf) + SIMD8(lowHalf: t0.highHalf, highHalf: t1.highHalf)
            let o = UnsafeMutableRawPointer(out + k)
            o.storeBytes(of: o.loadUnaligned(as: SIMD8<Float>.self) + u, as: SIMD8<Float>.self)
            k += 8
        }
        if k + 4 <= count {
            let t = _mm256_hadd_ps(_mm256_hadd_ps(partial(k), partial(k + 1)), _mm256_hadd_ps(partial(k + 2), partial(k + 3)))
            let o = UnsafeMutableRawPointer(out + k)
            o.storeBytes(of: o.loadUnaligned(as: SIMD4<Float>.self) + (t.lowHalf + t.highHalf), as: SIMD4<Float>.self)
            k += 4
        }
        #else
        // Four products reduced together by a transposing tree of shuffles.
        while k + 4 <= count {
            let p0 = partial(k), p1 = partial(k + 1)
            let s01 = SIMD8(lowHalf: p0.lowHalf + p0.highHalf, highHalf: p1.lowHalf + p1.highHalf)
            let p2 = partial(k + 2), p3 = partial(k + 3)
            let s23 = SIMD8(lowHalf: p2.lowHalf + p2.highHalf, highHalf: p3.lowHalf + p3.highHalf)
            let u = SIMD8(lowHalf: s01.evenHalf, highHalf: s23.evenHalf) + SIMD8(lowHalf: s01.oddHalf, highHalf: s23.oddHalf)
            let sums = u.evenHalf + u.oddHalf
            let o = UnsafeMutableRawPointer(out + k)
            o.storeBytes(of: o.loadUnaligned(as: SIMD4<Float>.self) + sums, as: SIMD4<Float>.self)
            k += 4
        }
        #endif
        while k < count {
            let p = partial(k)
            let q = p.lowHalf + p.highHalf, t = q.lowHalf + q.highHalf
            out[k] += t[0] + t[1]
            k += 1
        }
    }

    /// out[k] += row . (base + indices[k] * 32)[0..<32] for k in 0..<count: the dot products of one
    /// 32-float row (held in registers) with gathered rows, the decoder's inner loop. Reducing each
    /// product's eight lanes to one float is half the work; it is done for several products at once.
    @inlinable
    public static func gatherDots32(_ row: UnsafePointer<Float>, count: Int, indices: UnsafePointer<Int32>,
                                      base: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let r = UnsafeRawPointer(row)
        let w0 = r.loadUnaligned(as: SIMD8<Float>.self), w1 = r.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        let w2 = r.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), w3 = r.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
        @inline(__always) func partial(_ k: Int) -> SIMD8<Float> {
            let h = UnsafeRawPointer(base + Int(indices[k]) * 32)
            var a = w0 * h.loadUnaligned(as: SIMD8<Float>.self)
            fma(&a, w1, h.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
            fma(&a, w2, h.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
            fma(&a, w3, h.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
            return a
        }
        addLaneSums(count: count, into: out, partial)
    }

    /// out[k] += rowA . (baseA + i_k 32)[0..<32] + rowB . (baseB + i_k 32)[0..<32]: two tiles' dot
    /// products in one pass over the entries (one reduction and one update of `out` per entry).
    @inlinable
    public static func gatherDots32Pair(_ rowA: UnsafePointer<Float>, _ rowB: UnsafePointer<Float>, count: Int,
                                        indices: UnsafePointer<Int32>, baseA: UnsafePointer<Float>, baseB: UnsafePointer<Float>,
                                        into out: UnsafeMutablePointer<Float>) {
        let r = UnsafeRawPointer(rowA), q = UnsafeRawPointer(rowB)
        let a0 = r.loadUnaligned(as: SIMD8<Float>.self), a1 = r.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        let a2 = r.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), a3 = r.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
        let b0 = q.loadUnaligned(as: SIMD8<Float>.self), b1 = q.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        let b2 = q.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), b3 = q.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
        @inline(__always) func partial(_ k: Int) -> SIMD8<Float> {
            let i = Int(indices[k]) * 32
            let h = UnsafeRawPointer(baseA + i), g = UnsafeRawPointer(baseB + i)
            var a = a0 * h.loadUnaligned(as: SIMD8<Float>.self)
            fma(&a, a1, h.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
            fma(&a, a2, h.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
            fma(&a, a3, h.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
            fma(&a, b0, g.loadUnaligned(as: SIMD8<Float>.self))
            fma(&a, b1, g.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
            fma(&a, b2, g.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
            fma(&a, b3, g.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
            return a
        }
        addLaneSums(count: count, into: out, partial)
    }

    /// Two sums over the same entries in one pass: out[0..<32] = startScale * start + sum_k c_k gathered_k
    /// (as `gatherAccumulate32`, gathering from `base`), and scatter[indices[k] * 32] += c_k * row for
    /// every k. The backward pass of a weight row needs both (its gradient, and its share of dL/dh), so
    /// its entries are streamed once, not twice. `row` is read once and held in registers.
    @inlinable @inline(__always)
    public static func gatherScatter32(_ out: UnsafeMutablePointer<Float>, start: UnsafePointer<Float>, startScale: Float,
                                       count: Int, indices: UnsafePointer<Int32>, coefficients: UnsafePointer<Float>,
                                       base: UnsafePointer<Float>, row: UnsafePointer<Float>, scatter: UnsafeMutablePointer<Float>) {
        var acc = Row32(UnsafeRawPointer(start), scale: startScale)
        let w = Row32(UnsafeRawPointer(row))
        for k in 0..<count {
            let i = Int(indices[k]) * 32
            let c = SIMD8<Float>(repeating: coefficients[k])
            acc.add(c, UnsafeRawPointer(base + i))
            let d = UnsafeMutableRawPointer(scatter + i)
            var dr = Row32(UnsafeRawPointer(d))
            dr.v0 += c * w.v0; dr.v1 += c * w.v1; dr.v2 += c * w.v2; dr.v3 += c * w.v3
            dr.store(d)
        }
        acc.store(UnsafeMutableRawPointer(out))
    }

    /// The same for any width `w` (the last, narrower tile of a hidden layer).
    @inlinable
    public static func gatherAccumulate(_ w: Int, _ out: UnsafeMutablePointer<Float>, start: UnsafePointer<Float>?,
                                        startScale: Float, count: Int, indices: UnsafePointer<Int32>,
                                        coefficients: UnsafePointer<Float>, base: UnsafePointer<Float>, stride: Int) {
        if w == 32 {
            gatherAccumulate32(out, start: start, startScale: startScale, count: count, indices: indices,
                               coefficients: coefficients, base: base, stride: stride)
            return
        }
        if let s = start { for j in 0..<w { out[j] = startScale * s[j] } } else { for j in 0..<w { out[j] = 0 } }
        for k in 0..<count { axpy(w, coefficients[k], base + Int(indices[k]) * stride, out) }
    }
}
