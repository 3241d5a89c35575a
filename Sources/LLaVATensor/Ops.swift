// Row-wise normalisations and activations, each matching its PyTorch definition in float32.
import CKernels
import Foundation

public enum Ops {
    /// nn.LayerNorm over the last dimension: (x - mean) / sqrt(var + eps) * w + b, biased variance.
    public static func layerNorm(_ x: Tensor, weight: [Float], bias: [Float], eps: Float) -> Tensor {
        let C = x.cols
        precondition(weight.count == C && bias.count == C, "layerNorm: C \(C) vs weight \(weight.count)")
        var out = x
        out.data.withUnsafeMutableBufferPointer { o in
            for r in 0..<x.rows {
                let row = o.baseAddress! + r * C
                var mean: Float = 0
                for c in 0..<C { mean += row[c] }
                mean /= Float(C)
                var variance: Float = 0
                for c in 0..<C { let d = row[c] - mean; variance += d * d }
                variance /= Float(C)
                let rstd = 1 / (variance + eps).squareRoot()
                for c in 0..<C { row[c] = (row[c] - mean) * rstd * weight[c] + bias[c] }
            }
        }
        return out
    }

    /// LlamaRMSNorm: x * rsqrt(mean(x²) + eps), cast back to the input dtype, then times the weight.
    /// (Math here is float32 throughout, so the cast is the identity.)
    public static func rmsNorm(_ x: Tensor, weight: [Float], eps: Float) -> Tensor {
        let C = x.cols
        precondition(weight.count == C, "rmsNorm: C \(C) vs weight \(weight.count)")
        var out = x
        out.data.withUnsafeMutableBufferPointer { o in
            for r in 0..<x.rows {
                let row = o.baseAddress! + r * C
                var ss: Float = 0
                for c in 0..<C { ss += row[c] * row[c] }
                let inv = 1 / (ss / Float(C) + eps).squareRoot()
                for c in 0..<C { row[c] = weight[c] * (row[c] * inv) }
            }
        }
        return out
    }

    /// CLIP's quick_gelu: x * sigmoid(1.702 x).
    public static func quickGELU(_ x: inout Tensor) {
        x.data.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { let v = p[i]; p[i] = v / (1 + expf(-1.702 * v)) }
        }
    }

    /// Exact GELU (nn.GELU(), F.gelu): 0.5 x (1 + erf(x / √2)).
    public static func gelu(_ x: inout Tensor) {
        x.data.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { let v = p[i]; p[i] = 0.5 * v * (1 + erff(v * 0.70710678118654752)) }
        }
    }

    /// SwiGLU gate: silu(gate) * up, elementwise, written into gate.
    public static func siluMul(_ gate: inout Tensor, _ up: Tensor) {
        precondition(gate.count == up.count, "siluMul: \(gate.shape) vs \(up.shape)")
        gate.data.withUnsafeMutableBufferPointer { g in
            up.data.withUnsafeBufferPointer { u in
                for i in 0..<g.count { let v = g[i]; g[i] = v / (1 + expf(-v)) * u[i] }
            }
        }
    }

    /// In-place softmax over a row of n values.
    @inline(__always)
    public static func softmax(_ row: UnsafeMutablePointer<Float>, _ n: Int) { ck_softmax(row, n) }
}
