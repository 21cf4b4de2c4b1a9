import Linalg

/// Element-wise activation functions, with derivatives written in terms of input and output so the
/// backward pass can reuse what the forward pass already computed. Exponentials come from
/// `FastMath`, vectorised, and the scalar and vector paths agree bit for bit.
public enum Activation: String, CaseIterable, Sendable, Codable {
    case sigmoid, identity, relu, elu, tanh

    @inlinable public func apply(_ x: Float) -> Float {
        switch self {
        case .identity: return x
        case .relu: return x > 0 ? x : 0
        default: return apply(SIMD8<Float>(repeating: x))[0]
        }
    }

    @inlinable @inline(__always) public func apply(_ x: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .sigmoid: return FastMath.sigmoid(x)
        case .identity: return x
        case .relu: return x.replacing(with: 0, where: x .< 0)
        case .elu: return x.replacing(with: FastMath.exp(x) - 1, where: x .<= 0)
        case .tanh: return FastMath.tanh(x)
        }
    }

    /// d apply / dx at input `x` whose output was `y`.
    @inlinable public func derivative(input x: Float, output y: Float) -> Float {
        switch self {
        case .sigmoid: return y * (1 - y)
        case .identity: return 1
        case .relu: return x > 0 ? 1 : 0
        case .elu: return x > 0 ? 1 : y + 1
        case .tanh: return 1 - y * y
        }
    }

    /// out[i] = apply(x[i]) for `n` values (`out` may equal `x`).
    @inlinable public func apply(_ n: Int, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        if self == .identity {
            if UnsafePointer(out) != x { out.update(from: x, count: n) }
            return
        }
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: apply(v), as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { out[i] = apply(x[i]); i += 1 }
    }

    /// Applies in place to `n` values.
    @inlinable public func apply(_ n: Int, _ p: UnsafeMutablePointer<Float>) { apply(n, p, into: p) }

    /// d[i] *= derivative(x[i], y[i]) for `n` values: the chain rule through this activation.
    @inlinable public func multiplyByDerivative(_ n: Int, input x: UnsafePointer<Float>, output y: UnsafePointer<Float>,
                                                _ d: UnsafeMutablePointer<Float>) {
        switch self {
        case .identity: return
        case .sigmoid: for j in 0..<n { d[j] *= y[j] * (1 - y[j]) }
        case .tanh: for j in 0..<n { d[j] *= 1 - y[j] * y[j] }
        default: for j in 0..<n { d[j] *= derivative(input: x[j], output: y[j]) }
        }
    }
}
