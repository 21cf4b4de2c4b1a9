#if canImport(Glibc)
import Glibc
#endif

/// Work that cannot fit in this machine's memory is refused before its arrays are allocated, with
/// what to lower: the process would otherwise stop with "failed to allocate" and nothing else.
/// Estimates count the large arrays only, so they err low: a refusal is certain, a pass is not.
public enum MemoryBudget {
    /// This machine's physical memory in bytes.
    public static var physicalBytes: Double {
        Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Refuses `bytes` for `what` when they exceed the physical memory; `lower` says which settings shrink it.
    public static func check(_ bytes: Double, for what: String, lower: String) throws {
        guard bytes > physicalBytes else { return }
        throw SettingError("\(what) needs about \(gibibytes(bytes)) GiB, more than this machine's \(gibibytes(physicalBytes)) GiB of memory; lower \(lower)")
    }

    /// A network's training memory: its weights with their gradient, two Adam moments and the
    /// weight average (5 floats each), plus `activations` floats of working arrays.
    public static func checkNetwork(parameters: Double, activations: Double, for what: String, lower: String) throws {
        try check(4 * (5 * parameters + activations), for: what, lower: lower)
    }

    static func gibibytes(_ bytes: Double) -> String {
        let g = bytes / 1_073_741_824
        return g >= 10 ? String(Int(g.rounded())) : String(Double(Int(g * 10)) / 10)
    }
}
