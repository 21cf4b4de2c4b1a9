/// bfloat16 storage: the upper 16 bits of a Float (same range, 8 significant bits). Large
/// optimiser state (Adam's first moment, the weight average's offset) is kept this way to halve
/// its memory; arithmetic stays in Float.
public enum BFloat16 {
    /// The nearest bfloat16 (ties to even). Inputs are finite optimiser values.
    @inline(__always) public static func encode(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    @inline(__always) public static func decode(_ h: UInt16) -> Float {
        Float(bitPattern: UInt32(h) << 16)
    }
}
