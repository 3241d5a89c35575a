// Backward passes of the kernels in Ops.swift / Linear.swift, for training. Each function states
// the forward expression it differentiates. Gradients of parameters are accumulated (+=), so
// micro-batches add up; gradients of inputs are written (=) unless stated otherwise.
import CKernels
import Foundation

public enum Backward {
    /// Forward: y (T, O) = x (T, I) Wᵀ + b, W (O, I).
    /// dx (T, I) = dy W  (if dx given; accumulated when `accumulateDx`),
    /// dW (O, I) += dyᵀ x,  db (O) += Σ_t dy.
    public static func linear(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, W: UnsafePointer<Float>, T: Int, I: Int, O: Int,
        dx: UnsafeMutablePointer<Float>?, dW: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?,
        accumulateDx: Bool = false
    ) {
        if let dx {
            BLAS.gemm(M: T, N: I, K: O, A: dy, lda: O, B: W, ldb: I, beta: accumulateDx ? 1 : 0, C: dx, ldc: I)
        }
        if let dW {
            BLAS.gemm(transA: true, M: O, N: I, K: T, A: dy, lda: O, B: x, ldb: I, beta: 1, C: dW, ldc: I)
        }
        if let db {
            for t in 0..<T {
                let row = dy + t * O
                for o in 0..<O { db[o] += row[o] }
            }
        }
    }

    /// Forward: y = w ⊙ x / rms(x), rms(x) = sqrt(mean(x²) + eps), per row of C.
    /// dx = (w ⊙ dy) / rms − x · mean((w ⊙ dy) ⊙ x) / rms³;  dw += Σ_rows dy ⊙ x / rms.
    public static func rmsNorm(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>, rows: Int, C: Int, eps: Float,
        dx: UnsafeMutablePointer<Float>, dw: UnsafeMutablePointer<Float>?
    ) {
        for r in 0..<rows {
            let xr = x + r * C, dyr = dy + r * C, dxr = dx + r * C
            var ss: Float = 0
            for c in 0..<C { ss += xr[c] * xr[c] }
            let inv = 1 / (ss / Float(C) + eps).squareRoot()
            var dot: Float = 0
            for c in 0..<C { dot += w[c] * dyr[c] * xr[c] }
            let k = dot * inv * inv * inv / Float(C)
            for c in 0..<C { dxr[c] = w[c] * dyr[c] * inv - xr[c] * k }
            if let dw { for c in 0..<C { dw[c] += dyr[c] * xr[c] * inv } }
        }
    }

    /// Forward: y = (x − mean) / sqrt(var + eps) ⊙ w + b, per row of C (biased variance).
    /// With x̂ the normalised row and g = dy ⊙ w: dx = (g − mean(g) − x̂ mean(g ⊙ x̂)) / σ;
    /// dw += Σ dy ⊙ x̂; db += Σ dy.
    public static func layerNorm(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>, rows: Int, C: Int, eps: Float,
        dx: UnsafeMutablePointer<Float>, dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?
    ) {
        for r in 0..<rows {
            let xr = x + r * C, dyr = dy + r * C, dxr = dx + r * C
            var mean: Float = 0
            for c in 0..<C { mean += xr[c] }
            mean /= Float(C)
            var variance: Float = 0
            for c in 0..<C { let d = xr[c] - mean; variance += d * d }
            variance /= Float(C)
            let rstd = 1 / (variance + eps).squareRoot()
            var meanG: Float = 0, meanGX: Float = 0
            for c in 0..<C {
                let xhat = (xr[c] - mean) * rstd
                let g = dyr[c] * w[c]
                meanG += g
                meanGX += g * xhat
                dw?[c] += dyr[c] * xhat
                db?[c] += dyr[c]
            }
            meanG /= Float(C)
            meanGX /= Float(C)
            for c in 0..<C {
                let xhat = (xr[c] - mean) * rstd
                dxr[c] = (dyr[c] * w[c] - meanG - xhat * meanGX) * rstd
            }
        }
    }

    /// Forward: y = 0.5 x (1 + erf(x/√2)). dy/dx = Φ(x) + x φ(x). dx = dy ⊙ that (written into dy).
    public static func gelu(dy: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = x[i]
            let cdf = 0.5 * (1 + erff(v * 0.70710678118654752))
            let pdf = expf(-0.5 * v * v) * 0.3989422804014327
            dy[i] *= cdf + v * pdf
        }
    }

    /// Forward: y = x σ(1.702 x). dy/dx = σ(1.702x) (1 + 1.702 x (1 − σ(1.702x))). In place on dy.
    public static func quickGELU(dy: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = x[i]
            let s = 1 / (1 + expf(-1.702 * v))
            dy[i] *= s * (1 + 1.702 * v * (1 - s))
        }
    }

    /// SwiGLU's gate for training: m = silu(g) ⊙ u, with the same σ as `siluMul`'s backward.
    /// (CKernels: AVX-512 when the CPU has it, σ from a polynomial exp, ~2e-7 relative; the
    /// scalar path elsewhere. Inference keeps Ops.siluMul with glibc's expf.)
    public static func siluMulForward(g: UnsafePointer<Float>, u: UnsafePointer<Float>, count: Int, m: UnsafeMutablePointer<Float>) {
        ck_silu_mul(g, u, m, count)
    }

    /// Forward: m = silu(g) ⊙ u, silu(g) = g σ(g).
    /// dg = dm ⊙ u ⊙ σ(g)(1 + g(1 − σ(g))), du = dm ⊙ silu(g).
    public static func siluMul(
        dm: UnsafePointer<Float>, g: UnsafePointer<Float>, u: UnsafePointer<Float>, count: Int,
        dg: UnsafeMutablePointer<Float>, du: UnsafeMutablePointer<Float>
    ) {
        ck_silu_mul_backward(dm, g, u, dg, du, count)
    }
}
