// Rotary position embedding as transformers' Llama applies it: the NeoX "half split" layout
// (rotate_half(x) = cat(-x[HS/2:], x[:HS/2])), not the interleaved one. Frequencies are computed
// in float32 exactly as LlamaRotaryEmbedding does: inv_freq = 1 / theta^(2i / HS), angle =
// position * inv_freq (linear scaling divides the position by its factor).
import Foundation

public struct RoPE: Sendable {
    public let headDim: Int          // HS
    let invFreq: [Float]             // (HS / 2)
    let positionScale: Float

    public init(config: LlamaConfig) {
        headDim = config.headDim
        invFreq = (0..<config.headDim / 2).map { i in
            1 / powf(config.ropeTheta, Float(2 * i) / Float(config.headDim))
        }
        positionScale = config.ropeType == "linear" ? 1 / config.ropeFactor : 1
    }

    /// cos and sin of every (position, frequency) pair of a run of positions: (T, HS / 2) each.
    /// Computed once, they serve every layer, q and k, and the backward.
    public struct Angles: Sendable {
        public let rows: Int
        let cosines, sines: [Float]
    }

    /// The angles of positions start ..< start + T.
    public func angles(start: Int, rows T: Int) -> Angles {
        let half = headDim / 2
        var cosines = [Float](repeating: 0, count: T * half), sines = cosines
        for t in 0..<T {
            let position = Float(start + t) * positionScale
            for i in 0..<half {
                let angle = position * invFreq[i]
                cosines[t * half + i] = cosf(angle)
                sines[t * half + i] = sinf(angle)
            }
        }
        return Angles(rows: T, cosines: cosines, sines: sines)
    }

    /// Rotates every head of x (T, H * HS) in place; row t is at absolute position start + t.
    public func apply(_ x: UnsafeMutablePointer<Float>, rows T: Int, heads H: Int, start: Int) {
        apply(x, rows: T, heads: H, angles: angles(start: start, rows: T))
    }

    /// Rotates every head of x (T, H * HS) in place by the first T rows of `angles`.
    public func apply(_ x: UnsafeMutablePointer<Float>, rows T: Int, heads H: Int, angles: Angles) {
        rotate(x, rows: T, heads: H, angles: angles, sign: 1)
    }

    /// (a, b) → (a cos − sign · b sin, b cos + sign · a sin) on each half pair; sign −1 rotates back.
    /// Multiplying by ±1 is exact, so both directions keep the bits of the plain formulas.
    func rotate(_ x: UnsafeMutablePointer<Float>, rows T: Int, heads H: Int, angles: Angles, sign: Float) {
        precondition(T <= angles.rows, "RoPE: \(T) rows, angles for \(angles.rows)")
        let half = headDim / 2
        angles.cosines.withUnsafeBufferPointer { cp in angles.sines.withUnsafeBufferPointer { sp in
            for t in 0..<T {
                let c = cp.baseAddress! + t * half, s = sp.baseAddress! + t * half
                for h in 0..<H {
                    let v = x + (t * H + h) * headDim
                    for i in 0..<half {
                        let a = v[i], b = v[i + half]
                        v[i] = a * c[i] - sign * b * s[i]
                        v[i + half] = b * c[i] + sign * a * s[i]
                    }
                }
            }
        } }
    }
}

extension RoPE {
    /// The backward of `apply`: rotation is orthogonal, so the gradient rotates by the negative angle.
    public func applyInverse(_ dx: UnsafeMutablePointer<Float>, rows T: Int, heads H: Int, start: Int) {
        applyInverse(dx, rows: T, heads: H, angles: angles(start: start, rows: T))
    }

    /// The backward of `apply(_:rows:heads:angles:)`.
    public func applyInverse(_ dx: UnsafeMutablePointer<Float>, rows T: Int, heads H: Int, angles: Angles) {
        rotate(dx, rows: T, heads: H, angles: angles, sign: -1)
    }
}
