import Foundation
import Linalg

/// What a `scoreTopN` run measured.
public struct ScoringStats: Sendable {
    public var users = 0
    public var blockSize = 0
    /// Seconds spent filling score blocks (the GEMM, for the models that have one).
    public var scoringSeconds = 0.0
    /// Seconds spent selecting the lists.
    public var selectionSeconds = 0.0
    /// Seconds in the sink.
    public var sinkSeconds = 0.0
    public var totalSeconds = 0.0
    /// Floating-point operations of all blocks' matrix products; nil without one.
    public var flops: Double?

    public var usersPerSecond: Double { Double(users) / max(totalSeconds, 1e-9) }
    /// The matrix product's rate, 2 x users x items x hidden / scoring seconds; nil without one.
    public var gemmGFLOPS: Double? { flops.map { $0 / max(scoringSeconds, 1e-9) / 1e9 } }
}
