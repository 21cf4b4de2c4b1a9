import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Parallel loops over the machine's cores. Work is split into contiguous, deterministic chunks so
/// that results never depend on scheduling. Every body runs with subnormal floats flushed to zero
/// (see `Subnormals`): these loops are the numeric hot paths, where one subnormal value costs a
/// microcode assist per instruction that touches it.
public enum Parallel {
    /// The number of worker threads: `AUTOREC_THREADS` if set, else the number of active cores.
    public static let defaultThreads: Int = {
        #if canImport(Glibc)
        if let s = getenv("AUTOREC_THREADS"), let n = Int(String(cString: s)), n > 0 { return n }
        #endif
        return max(1, ProcessInfoCores.active)
    }()

    /// Runs `body(chunk, range)` for `threads` contiguous chunks of 0..<count, in parallel.
    public static func forChunks(_ count: Int, threads: Int = defaultThreads,
                                 _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
        if count <= 0 { return }
        let t = max(1, min(threads, count))
        if t == 1 { Subnormals.flushedToZero { body(0, 0..<count) }; return }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: t) { c in
                let lo = count * c / t, hi = count * (c + 1) / t
                Subnormals.flushedToZero { body(c, lo..<hi) }
            }
        }
    }

    /// Runs `body(i)` for every i in 0..<count, in parallel chunks.
    public static func forEach(_ count: Int, threads: Int = defaultThreads, _ body: (Int) -> Void) {
        forChunks(count, threads: threads) { _, range in for i in range { body(i) } }
    }
}

/// The number of cores this process may use.
enum ProcessInfoCores {
    static var active: Int {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 1
        #endif
    }
}
