import Foundation

/// A linear axis over a data range with "nice" ticks (steps of 1, 2 or 5 times a power of ten), for
/// any range: an empty or one-value range is widened, NaN and infinities are left out before.
public struct AxisScale: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    public let ticks: [Double]

    /// Covers `values` (the finite ones) with about `tickCount` ticks; `includeZero` starts bar axes at 0.
    public init(covering values: [Double], tickCount: Int = 5, includeZero: Bool = false) {
        var finite = values.filter { $0.isFinite }
        if includeZero { finite.append(0) }
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        if high - low < 1e-12 * max(1, abs(high)) {
            let pad = high == 0 ? 1 : abs(high) * 0.1
            low -= pad; high += pad
            if includeZero && low < 0 && finite.allSatisfy({ $0 >= 0 }) { low = 0 }
        }
        var step = Self.niceStep((high - low) / Double(max(1, tickCount)))
        // Whole-number data (epochs, run ids, counts) gets whole-number ticks.
        if !finite.isEmpty && finite.allSatisfy({ $0 == $0.rounded() }) { step = max(1, step) }
        let first = (low / step).rounded(.down) * step, last = (high / step).rounded(.up) * step
        let count = Int(((last - first) / step).rounded()) + 1
        ticks = (0..<count).map { Self.clean(first + Double($0) * step, step: step) }
        lower = ticks[0]; upper = ticks[count - 1]
    }

    /// The position of `value` on a span from `start` (at `lower`) to `end` (at `upper`).
    public func position(_ value: Double, from start: Double, to end: Double) -> Double {
        start + (value - lower) / (upper - lower) * (end - start)
    }

    /// A tick's label: as few decimals as the step needs, thousands as "k", millions as "M".
    public func label(_ value: Double) -> String {
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        if abs(value) >= 1e6 && step >= 1e5 { return Self.trimmed(value / 1e6, step: step / 1e6) + "M" }
        if abs(value) >= 1e4 && step >= 1e3 { return Self.trimmed(value / 1e3, step: step / 1e3) + "k" }
        return Self.trimmed(value, step: step)
    }

    static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let power = pow(10, (log10(raw)).rounded(.down))
        let fraction = raw / power
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * power
    }

    /// Rounds away the binary noise of `first + n * step` (0.30000000000000004 -> 0.3).
    private static func clean(_ x: Double, step: Double) -> Double {
        let digits = max(0, -Int(log10(step).rounded(.down)) + 1)
        let scale = pow(10, Double(min(digits, 12)))
        let rounded = (x * scale).rounded() / scale
        return rounded == 0 ? 0 : rounded
    }

    private static func trimmed(_ x: Double, step: Double) -> String {
        let decimals = max(0, min(10, -Int(log10(step).rounded(.down))))
        return String(format: "%.\(decimals)f", x)
    }
}
