// Attention for training: the forward keeps the softmax probabilities, the backward turns
// dOut into dQ, dK, dV. One sequence of T tokens; heads interleaved as (T, NH·HS) like the
// q/k/v projections produce; K/V heads shared by NH / NKV query heads (GQA).
// Also the token-level cross-entropy loss with ignored positions.
import CKernels
import Foundation

extension Attention {
    /// Forward: S = scale · Q_h K_hᵀ (+ causal mask), P = softmax(S), O_h = P V_h.
    /// probs: (NH, T, T), written (masked entries 0). Only the query heads of `kvHeads` are
    /// computed (all by default). Causal attention works in row blocks of `block` queries, each
    /// against the keys it can see, so the masked upper triangle is mostly never computed (about
    /// 60% of the products at T = 244, block 64). `parallel: false` keeps every product on this thread.
    public static func forwardSaving(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        T: Int, NH: Int, NKV: Int, HS: Int, causal: Bool,
        probs: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
        kvHeads: Range<Int>? = nil, block: Int = 64, parallel: Bool = true
    ) {
        let scale = 1 / Float(HS).squareRoot()
        let group = NH / NKV, QD = NH * HS, KVD = NKV * HS
        let rowBlock = causal ? max(1, block) : T
        for h in heads(kvHeads, NKV: NKV, group: group) {
            let kvh = h / group
            let P = probs + h * T * T
            for r0 in stride(from: 0, to: T, by: rowBlock) {
                let r1 = min(T, r0 + rowBlock), cols = causal ? r1 : T
                // S[r0..<r1, 0..<cols] = scale · Q_h[r0..<r1] K_h[0..<cols]ᵀ
                BLAS.gemm(transB: true, M: r1 - r0, N: cols, K: HS, alpha: scale, A: q + r0 * QD + h * HS, lda: QD,
                          B: k + kvh * HS, ldb: KVD, C: P + r0 * T, ldc: T, parallel: parallel)
                for t in r0..<r1 {
                    let row = P + t * T
                    let visible = causal ? t + 1 : T
                    Ops.softmax(row, visible)
                    if visible < T { (row + visible).initialize(repeating: 0, count: T - visible) }
                }
                // O_h[r0..<r1] = P[r0..<r1, 0..<cols] V_h[0..<cols]
                BLAS.gemm(M: r1 - r0, N: HS, K: cols, A: P + r0 * T, lda: T, B: v + kvh * HS, ldb: KVD,
                          C: out + r0 * QD + h * HS, ldc: QD, parallel: parallel)
            }
        }
    }

    /// Backward of forwardSaving. dP = dO_h V_hᵀ; dV_h += Pᵀ dO_h; dS = P ⊙ (dP − Σ_j dP ⊙ P);
    /// dQ_h = scale · dS K_h; dK_h += scale · dSᵀ Q_h. The columns of `kvHeads` (all by default) of
    /// dq, dk and dv are written; causal blocks skip the masked triangle as in the forward.
    public static func backward(
        dOut: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        probs: UnsafePointer<Float>, T: Int, NH: Int, NKV: Int, HS: Int,
        dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
        causal: Bool = false, kvHeads: Range<Int>? = nil, block: Int = 64, parallel: Bool = true
    ) {
        let scale = 1 / Float(HS).squareRoot()
        let group = NH / NKV, QD = NH * HS, KVD = NKV * HS
        let rowBlock = causal ? max(1, block) : T
        for g in kvHeads ?? 0..<NKV {
            for t in 0..<T {
                (dk + t * KVD + g * HS).initialize(repeating: 0, count: HS)
                (dv + t * KVD + g * HS).initialize(repeating: 0, count: HS)
            }
        }
        let dS = UnsafeMutablePointer<Float>.allocate(capacity: T * T)
        defer { dS.deallocate() }
        for h in heads(kvHeads, NKV: NKV, group: group) {
            let kvh = h / group
            let P = probs + h * T * T
            for r0 in stride(from: 0, to: T, by: rowBlock) {
                let r1 = min(T, r0 + rowBlock), rows = r1 - r0, cols = causal ? r1 : T
                // dP (rows, cols) = dO_h[r0..<r1] · V_h[0..<cols]ᵀ
                BLAS.gemm(transB: true, M: rows, N: cols, K: HS, A: dOut + r0 * QD + h * HS, lda: QD, B: v + kvh * HS,
                          ldb: KVD, C: dS + r0 * T, ldc: T, parallel: parallel)
                // dV_h[0..<cols] += P[r0..<r1, 0..<cols]ᵀ · dO_h[r0..<r1]
                BLAS.gemm(transA: true, M: cols, N: HS, K: rows, A: P + r0 * T, lda: T, B: dOut + r0 * QD + h * HS,
                          ldb: QD, beta: 1, C: dv + kvh * HS, ldc: KVD, parallel: parallel)
                // dS = P ⊙ (dP − Σ_j dP ⊙ P), row by row
                for t in r0..<r1 { ck_softmax_backward(P + t * T, dS + t * T, cols) }
                // dQ_h[r0..<r1] = scale · dS[r0..<r1, 0..<cols] · K_h[0..<cols]
                BLAS.gemm(M: rows, N: HS, K: cols, alpha: scale, A: dS + r0 * T, lda: T, B: k + kvh * HS, ldb: KVD,
                          C: dq + r0 * QD + h * HS, ldc: QD, parallel: parallel)
                // dK_h[0..<cols] += scale · dS[r0..<r1, 0..<cols]ᵀ · Q_h[r0..<r1]
                BLAS.gemm(transA: true, M: cols, N: HS, K: rows, alpha: scale, A: dS + r0 * T, lda: T,
                          B: q + r0 * QD + h * HS, ldb: QD, beta: 1, C: dk + kvh * HS, ldc: KVD, parallel: parallel)
            }
        }
    }

    /// Query heads of the K/V heads `kvHeads` (all heads when nil).
    private static func heads(_ kvHeads: Range<Int>?, NKV: Int, group: Int) -> Range<Int> {
        let g = kvHeads ?? 0..<NKV
        return (g.lowerBound * group)..<(g.upperBound * group)
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
