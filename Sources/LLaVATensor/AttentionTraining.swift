// Attention for training: the forward keeps the softmax probabilities, the backward turns
// dOut into dQ, dK, dV. One sequence of T tokens; heads interleaved as (T, NH·HS) like the
// q/k/v projections produce; K/V heads shared by NH / NKV query heads (GQA).
// Also the token-level cross-entropy loss with ignored positions.
import Foundation

extension Attention {
    /// Forward: S = scale · Q_h K_hᵀ (+ causal mask), P = softmax(S), O_h = P V_h.
    /// probs: (NH, T, T), written (masked entries 0).
    public static func forwardSaving(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        T: Int, NH: Int, NKV: Int, HS: Int, causal: Bool,
        probs: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        let scale = 1 / Float(HS).squareRoot()
        let group = NH / NKV
        for h in 0..<NH {
            let kvh = h / group
            let P = probs + h * T * T
            BLAS.gemm(transB: true, M: T, N: T, K: HS, alpha: scale, A: q + h * HS, lda: NH * HS,
                      B: k + kvh * HS, ldb: NKV * HS, C: P, ldc: T)
            for t in 0..<T {
                let row = P + t * T
                let visible = causal ? t + 1 : T
                Ops.softmax(row, visible)
                if visible < T { (row + visible).initialize(repeating: 0, count: T - visible) }
            }
            BLAS.gemm(M: T, N: HS, K: T, A: P, lda: T, B: v + kvh * HS, ldb: NKV * HS, C: out + h * HS, ldc: NH * HS)
        }
    }

    /// Backward of forwardSaving. dP = dO_h V_hᵀ; dV_h += Pᵀ dO_h; dS = P ⊙ (dP − Σ_j dP ⊙ P);
    /// dQ_h = scale · dS K_h; dK_h += scale · dSᵀ Q_h. dq, dk, dv are written (zeroed first).
    public static func backward(
        dOut: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        probs: UnsafePointer<Float>, T: Int, NH: Int, NKV: Int, HS: Int,
        dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>
    ) {
        let scale = 1 / Float(HS).squareRoot()
        let group = NH / NKV
        dk.initialize(repeating: 0, count: T * NKV * HS)
        dv.initialize(repeating: 0, count: T * NKV * HS)
        let dS = UnsafeMutablePointer<Float>.allocate(capacity: T * T)
        defer { dS.deallocate() }
        for h in 0..<NH {
            let kvh = h / group
            let P = probs + h * T * T
            // dP (T, T) = dO_h (T, HS) · V_h (T, HS)ᵀ
            BLAS.gemm(transB: true, M: T, N: T, K: HS, A: dOut + h * HS, lda: NH * HS, B: v + kvh * HS, ldb: NKV * HS,
                      C: dS, ldc: T)
            // dV_h (T, HS) += Pᵀ (T, T) · dO_h (T, HS)
            BLAS.gemm(transA: true, M: T, N: HS, K: T, A: P, lda: T, B: dOut + h * HS, ldb: NH * HS,
                      beta: 1, C: dv + kvh * HS, ldc: NKV * HS)
            for t in 0..<T {
                let p = P + t * T, d = dS + t * T
                var dot: Float = 0
                for j in 0..<T { dot += p[j] * d[j] }
                for j in 0..<T { d[j] = p[j] * (d[j] - dot) }
            }
            // dQ_h (T, HS) = scale · dS (T, T) · K_h (T, HS)
            BLAS.gemm(M: T, N: HS, K: T, alpha: scale, A: dS, lda: T, B: k + kvh * HS, ldb: NKV * HS,
                      C: dq + h * HS, ldc: NH * HS)
            // dK_h (T, HS) += scale · dSᵀ · Q_h
            BLAS.gemm(transA: true, M: T, N: HS, K: T, alpha: scale, A: dS, lda: T, B: q + h * HS, ldb: NH * HS,
                      beta: 1, C: dk + kvh * HS, ldc: NKV * HS)
        }
    }
}

public enum CrossEntropy {
    /// Σ over rows with target ≥ 0 of −log softmax(logits)[target]; rows with target −100 (or any
    /// negative) are ignored. If `dLogits` is given it receives (softmax − onehot) · `gradScale`
    /// for counted rows and 0 elsewhere. logits (N, V). Returns (loss sum, counted rows).
    @discardableResult
    public static func forwardBackward(
        logits: UnsafePointer<Float>, targets: [Int], V: Int, gradScale: Float, dLogits: UnsafeMutablePointer<Float>?
    ) -> (sum: Double, count: Int) {
        var sum = 0.0
        var count = 0
        for (n, target) in targets.enumerated() {
            let row = logits + n * V
            guard target >= 0 else {
                dLogits?.advanced(by: n * V).initialize(repeating: 0, count: V)
                continue
            }
            precondition(target < V, "cross-entropy target \(target) outside vocabulary \(V)")
            var m = row[0]
            for j in 1..<V where row[j] > m { m = row[j] }
            var z = 0.0
            for j in 0..<V { z += Double(expf(row[j] - m)) }
            let logZ = Double(m) + log(z)
            sum += logZ - Double(row[target])
            count += 1
            if let d = dLogits?.advanced(by: n * V) {
                for j in 0..<V { d[j] = Float(exp(Double(row[j]) - logZ)) * gradScale }
                d[target] -= gradScale
            }
        }
        return (sum, count)
    }
}
