/// A counter-based uniform draw: the same (seed, index) always gives the same value.
package enum DropoutMask {
    @inlinable @inline(__always) package static func uniform(_ seed: UInt64, _ index: Int) -> Float {
        var z = seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) * (1.0 / Float(1 << 24))
    }
}
