// Scaled dot-product attention over heads stored interleaved as (T, NH * HS), the layout the
// q/k/v projections produce. Grouped-query attention shares each K/V head among NH / NKV query
// heads (transformers' repeat_kv). The causal mask lets query t see keys 0 ... offset + t.
import CKernels

public enum Attention {
    /// q (T, NH*HS), k and v (S, NKV*HS) → out (T, NH*HS).
    /// `causalOffset`: nil for full (bidirectional) attention; otherwise query t sits at absolute
    /// position causalOffset + t and sees keys [0, causalOffset + t], or with a `slidingWindow` W
    /// (Mistral) only the last W of those.
    public static func forward(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        T: Int, S: Int, NH: Int, NKV: Int, HS: Int, causalOffset: Int?, slidingWindow: Int? = nil,
        out: UnsafeMutablePointer<Float>
    ) {
        precondition(NH % NKV == 0, "attention: \(NH) heads not a multiple of \(NKV) KV heads")
        if T == 1, let offset = causalOffset {
            // Decode: one query row; a fused loop beats 2·NH tiny GEMM calls.
            let end = min(S, offset + 1)
            let start = slidingWindow.map { max(0, end - $0) } ?? 0
            ck_attention_row(q, k, v, out, end, start, NH, NKV, HS)
            return
        }
        // Heads are independent: with enough work, split them over the cores.
        let parts = NH >= 2 && T * S * HS >= 1 << 18 ? min(Parallel.threads, NH) : 1
        Parallel.forEach(parts) { p in
            heads(NH * p / parts ..< NH * (p + 1) / parts, q: q, k: k, v: v, T: T, S: S, NH: NH, NKV: NKV, HS: HS,
                  causalOffset: causalOffset, slidingWindow: slidingWindow, out: out)
        }
    }

    static func heads(
        _ range: Range<Int>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        T: Int, S: Int, NH: Int, NKV: Int, HS: Int, causalOffset: Int?, slidingWindow: Int?,
        out: UnsafeMutablePointer<Float>
    ) {
        let scale = 1 / Float(HS).squareRoot()
        let group = NH / NKV
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: T * S)
        defer { scores.deallocate() }
        for h in range {
            let kvh = h / group
            // scores (T, S) = q_h (T, HS) · k_h (S, HS)ᵀ * scale
            BLAS.gemm(transB: true, M: T, N: S, K: HS, alpha: scale, A: q + h * HS, lda: NH * HS,
                      B: k + kvh * HS, ldb: NKV * HS, C: scores, ldc: S, parallel: false)
            for t in 0..<T {
                let row = scores + t * S
                let end = causalOffset.map { min(S, $0 + t + 1) } ?? S
                let start = slidingWindow.map { max(0, end - $0) } ?? 0
                Ops.softmax(row + start, end - start)
                if start > 0 { row.initialize(repeating: 0, count: start) }
                if end < S { (row + end).initialize(repeating: 0, count: S - end) }
            }
            // out_h (T, HS) = scores (T, S) · v_h (S, HS)
            BLAS.gemm(M: T, N: HS, K: S, A: scores, lda: S, B: v + kvh * HS, ldb: NKV * HS,
                      C: out + h * HS, ldc: NH * HS, parallel: false)
        }
    }
}
