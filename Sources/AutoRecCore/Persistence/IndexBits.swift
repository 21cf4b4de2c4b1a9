/// Stores integer index arrays inside a model file's Float arrays bit for bit (no rounding).
package enum IndexBits {
    package static func encode(_ a: [Int32]) -> [Float] { a.map { Float(bitPattern: UInt32(bitPattern: $0)) } }
    package static func decode(_ a: [Float]) -> [Int32] { a.map { Int32(bitPattern: $0.bitPattern) } }
}
