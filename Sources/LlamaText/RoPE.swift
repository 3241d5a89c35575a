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

    /// Rotates every head of x (T, H * HS) in place; row t is at absolute position start + t.
    public func apply(_ x: UnsafeMutablePointer<Float>, rows T: Int, heads H: Int, start: Int) {
        let half = headDim / 2
        var cosines = [Float](repeating: 0, count: half), sines = cosines
        for t in 0..<T {
            let position = Float(start + t) * positionScale
            for i in 0..<half {
                let angle = position * invFreq[i]
                cosines[i] = cosf(angle)
                sines[i] = sinf(angle)
            }
            for h in 0..<H {
                let v = x + (t * H + h) * headDim
                for i in 0..<half {
                    let a = v[i], b = v[i + half]
                    v[i] = a * cosines[i] - b * sines[i]
                    v[i + half] = b * cosines[i] + a * sines[i]
                }
            }
        }
    }
}

extension RoPE {
    /// The backward of `apply`: rotation is orthogonal, so the gradient rotates by the negative angle.
    public func applyInverse(_ dx: UnsafeMutablePointer<Float>, rows T: Int, heads H: Int, start: Int) {
        let half = headDim / 2
        for t in 0..<T {
            let position = Float(start + t) * positionScale
            for i in 0..<half {
                let angle = position * invFreq[i]
                let c = cosf(angle), s = sinf(angle)
                for h in 0..<H {
                    let v = dx + (t * H + h) * headDim
                    let a = v[i], b = v[i + half]
                    v[i] = a * c + b * s
                    v[i + half] = b * c - a * s
                }
            }
        }
    }
}
