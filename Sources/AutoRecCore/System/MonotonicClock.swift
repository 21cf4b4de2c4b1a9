import Dispatch

/// Monotonic wall-clock seconds: epochs, steps and benchmarks time themselves with it.
public func monotonicSeconds() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}
