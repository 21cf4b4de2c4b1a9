#if canImport(Glibc)
import Glibc
#endif

/// Flushing subnormal floats to zero for the duration of a hot loop.
///
/// Saturated sigmoids give codes around 1e-39, below Float's smallest normal number (1.2e-38).
/// Every vector instruction that reads or produces such a subnormal value takes a microcode assist
/// of about a hundred cycles on x86 CPUs, and the more inputs a sample has, the more of its codes
/// saturate: on 10M synthetic ratings, AutoRec's decoder ran 2.2x slower than with subnormals
/// flushed, and whole epochs 1.5x slower. With the flush, a value under 1.2e-38 counts as zero,
/// as in TensorFlow's default and PyTorch's `set_flush_denormal`. Results differ only where a
/// value was already below 1.2e-38, and stay the same from run to run.
public enum Subnormals {
    /// Runs `body` with subnormal inputs read as zero and subnormal results written as zero (the
    /// DAZ and FTZ bits of MXCSR on x86-64), then restores the thread's previous mode. The mode is
    /// per thread. Elsewhere (no SSE control register) `body` runs unchanged.
    @inlinable @inline(__always)
    public static func flushedToZero<R>(_ body: () throws -> R) rethrows -> R {
        #if arch(x86_64) && canImport(Glibc)
        // (fegetmode and fesetmode, which leave the exception flags alone, are not visible from
        // Swift's Glibc module; the whole environment is saved and restored instead.)
        var saved = fenv_t()
        fegetenv(&saved)
        if saved.__mxcsr & flushBits == flushBits { return try body() }
        var flushed = saved
        flushed.__mxcsr |= flushBits
        fesetenv(&flushed)
        defer { fesetenv(&saved) }
        return try body()
        #else
        return try body()
        #endif
    }

    /// MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6).
    @usableFromInline static let flushBits: UInt32 = 0x8040

    /// Whether the calling thread flushes subnormals now (for tests).
    public static var areFlushed: Bool {
        #if arch(x86_64) && canImport(Glibc)
        var env = fenv_t()
        fegetenv(&env)
        return env.__mxcsr & flushBits == flushBits
        #else
        return false
        #endif
    }
}
