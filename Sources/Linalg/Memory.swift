#if canImport(Glibc)
import Glibc
#endif

#if canImport(Glibc)
@_silgen_name("malloc_trim") private func mallocTrim(_ pad: Int) -> Int32
#endif

/// Cache-line aligned buffers for the training loops' workspaces.
public enum Memory {
    /// Allocates `count` values set to `value`, aligned to 64 bytes. Free with `Memory.free`.
    public static func allocate<T>(_ count: Int, _ value: T) -> UnsafeMutablePointer<T> {
        let n = max(1, count)
        let bytes = n * MemoryLayout<T>.stride
        #if canImport(Glibc)
        var raw: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&raw, 64, bytes) == 0, let r = raw else {
            fatalError("out of memory allocating \(bytes) bytes")
        }
        #else
        let r = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        #endif
        let p = r.bindMemory(to: T.self, capacity: n)
        p.initialize(repeating: value, count: n)
        return p
    }

    /// Hands the pages of freed heap memory back to the system (glibc's malloc_trim), so that what one
    /// phase freed is not counted in the resident size of the next. A no-op elsewhere.
    public static func returnFreedPages() {
        #if canImport(Glibc)
        _ = mallocTrim(0)
        #endif
    }

    /// Frees what `allocate` returned.
    public static func free<T>(_ p: UnsafeMutablePointer<T>) {
        #if canImport(Glibc)
        Glibc.free(p)
        #else
        UnsafeMutableRawPointer(p).deallocate()
        #endif
    }
}

/// A workspace allocated on the first call that needs it, so that code paths which never read it
/// cost no memory. Until then a one-element stand-in is handed out.
public final class LazyWorkspace<T> {
    public let count: Int
    private let fill: T
    private var storage: UnsafeMutablePointer<T>?
    private let placeholder: UnsafeMutablePointer<T>

    public init(_ count: Int, _ fill: T) {
        self.count = count
        self.fill = fill
        placeholder = Memory.allocate(1, fill)
    }

    /// The full buffer when `needed` (allocated on the first such call), else whatever is there
    /// (the stand-in until then): callers read it only on the paths that asked for it.
    public func pointer(_ needed: Bool) -> UnsafeMutablePointer<T> {
        if needed && storage == nil { storage = Memory.allocate(count, fill) }
        return storage ?? placeholder
    }

    deinit {
        if let s = storage { Memory.free(s) }
        Memory.free(placeholder)
    }
}
