// nn.Linear for training, optionally with a LoRA adapter:
//   y (T, O) = x Wᵀ + b + s · (x Aᵀ) Bᵀ,   W (O, I), A (r, I), B (O, r), s = alpha / r.
// The forward saves z = x Aᵀ (T, r) for the backward; x itself is saved by the caller.
import LLaVATensor

public struct TrainLinear {
    public let W: Param
    public let b: Param?
    public let lora: (A: Param, B: Param, scale: Float)?

    public var inFeatures: Int { W.shape[1] }
    public var outFeatures: Int { W.shape[0] }
    public var rank: Int { lora?.A.shape[0] ?? 0 }

    /// y = x Wᵀ + b (+ LoRA). z receives x Aᵀ when LoRA is on (T, r).
    public func forward(_ x: UnsafePointer<Float>, T: Int, y: UnsafeMutablePointer<Float>, z: UnsafeMutablePointer<Float>?) {
        let I = inFeatures, O = outFeatures
        BLAS.gemm(transB: true, M: T, N: O, K: I, A: x, lda: I, B: W.value, ldb: I, C: y, ldc: O)
        if let b {
            for t in 0..<T { for o in 0..<O { y[t * O + o] += b.value[o] } }
        }
        if let lora, let z {
            let r = rank
            BLAS.gemm(transB: true, M: T, N: r, K: I, A: x, lda: I, B: lora.A.value, ldb: I, C: z, ldc: r)
            BLAS.gemm(transB: true, M: T, N: O, K: r, alpha: lora.scale, A: z, lda: r, B: lora.B.value, ldb: r,
                      beta: 1, C: y, ldc: O)
        }
    }

    /// Backward of forward. dx (T, I) is written, or added to when `accumulate`; parameter
    /// gradients accumulate only for trainable parameters.
    ///   dW += dyᵀ x;  db += Σ dy;  dB += s dyᵀ z;  dz = s dy B;  dA += dzᵀ x;  dx = dy W + dz A.
    public func backward(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, z: UnsafePointer<Float>?, T: Int,
        dx: UnsafeMutablePointer<Float>?, accumulate: Bool
    ) {
        let I = inFeatures, O = outFeatures
        Backward.linear(dy: dy, x: x, W: W.value, T: T, I: I, O: O, dx: dx,
                        dW: W.trainable ? W.grad : nil, db: (b?.trainable ?? false) ? b!.grad : nil,
                        accumulateDx: accumulate)
        guard let lora, let z else { return }
        let r = rank
        if lora.B.trainable {
            BLAS.gemm(transA: true, M: O, N: r, K: T, alpha: lora.scale, A: dy, lda: O, B: z, ldb: r,
                      beta: 1, C: lora.B.grad, ldc: r)
        }
        let dz = UnsafeMutablePointer<Float>.allocate(capacity: T * r)
        defer { dz.deallocate() }
        BLAS.gemm(M: T, N: r, K: O, alpha: lora.scale, A: dy, lda: O, B: lora.B.value, ldb: r, C: dz, ldc: r)
        if lora.A.trainable {
            BLAS.gemm(transA: true, M: r, N: I, K: T, A: dz, lda: r, B: x, ldb: I, beta: 1, C: lora.A.grad, ldc: I)
        }
        if let dx {
            BLAS.gemm(M: T, N: I, K: r, A: dz, lda: r, B: lora.A.value, ldb: I, beta: 1, C: dx, ldc: I)
        }
    }
}
