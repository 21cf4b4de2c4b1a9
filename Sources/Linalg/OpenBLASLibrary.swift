#if canImport(Glibc)
import Glibc
#endif
import CBLAS

/// The OpenBLAS routines Linalg calls, resolved from libopenblas when the first one is needed.
/// Loading it (and its gfortran runtime and thread pool) costs about 3 ms, which short commands
/// such as a stored-list lookup would otherwise pay at every start.
struct OpenBLASLibrary: @unchecked Sendable {
    // BLAS, OpenBLAS' thread control, then LAPACK.
    let sgemm: autorec_sgemm_fn, sgemv: autorec_sgemv_fn, saxpy: autorec_saxpy_fn, sdot: autorec_sdot_fn
    let setThreads: autorec_set_threads_fn
    let spotrf: autorec_spotrf_fn, spotri: autorec_spotri_fn, ssyev: autorec_ssyev_fn

    /// The names tried in turn: Debian's runtime package, then the development link.
    static let fileNames = ["libopenblas.so.0", "libopenblas.so"]

    /// The loaded library (a global, so it is loaded once and thread-safely).
    static let shared = OpenBLASLibrary.load()

    private static func load() -> OpenBLASLibrary {
        guard let handle = fileNames.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            fail("cannot load OpenBLAS (\(reason)). Install it with tools/setup or 'apt-get install libopenblas0'.")
        }
        func symbol<T>(_ name: String, as type: T.Type) -> T {
            guard let address = dlsym(handle, name) else { fail("OpenBLAS has no symbol \(name); reinstall libopenblas0.") }
            return unsafeBitCast(address, to: type)
        }
        return OpenBLASLibrary(
            sgemm: symbol("cblas_sgemm", as: autorec_sgemm_fn.self),
            sgemv: symbol("cblas_sgemv", as: autorec_sgemv_fn.self),
            saxpy: symbol("cblas_saxpy", as: autorec_saxpy_fn.self),
            sdot: symbol("cblas_sdot", as: autorec_sdot_fn.self),
            setThreads: symbol("openblas_set_num_threads", as: autorec_set_threads_fn.self),
            spotrf: symbol("spotrf_", as: autorec_spotrf_fn.self),
            spotri: symbol("spotri_", as: autorec_spotri_fn.self),
            ssyev: symbol("ssyev_", as: autorec_ssyev_fn.self))
    }

    private static func fail(_ message: String) -> Never {
        fputs("autorec: \(message)\n", stderr)
        exit(1)
    }
}
