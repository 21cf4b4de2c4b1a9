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
