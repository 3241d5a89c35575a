// Attention over a packed batch: q (N, NH·HS), k and v (N, NKV·HS) hold several sequences back to
// back (Segments); each attends only within itself. Shared by the decoder (causal) and CLIP's
// encoders (full, or causal for the text tower).
import LLaVATensor

enum PackedAttention {
    /// out (N, NH·HS) and, per sequence, the softmax probabilities (NH, T, T) for the backward.
    static func forward(q: [Float], k: [Float], v: [Float], segments: Segments, NH: Int, NKV: Int, HS: Int,
                        causal: Bool) -> (out: [Float], probs: [[Float]]) {
        let QD = NH * HS, KVD = NKV * HS
        var out = [Float](repeating: 0, count: segments.total * QD)
        var probs: [[Float]] = []
        for (s, T) in zip(segments.starts, segments.lengths) {
            var P = [Float](repeating: 0, count: NH * T * T)
            q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
                P.withUnsafeMutableBufferPointer { pp in out.withUnsafeMutableBufferPointer { op in
                    Attention.forwardSaving(q: qp.baseAddress! + s * QD, k: kp.baseAddress! + s * KVD, v: vp.baseAddress! + s * KVD,
                                            T: T, NH: NH, NKV: NKV, HS: HS, causal: causal,
                                            probs: pp.baseAddress!, out: op.baseAddress! + s * QD)
                } }
            } } }
            probs.append(P)
        }
        return (out, probs)
    }

    /// dOut (N, NH·HS) → (dq, dk, dv), sequence by sequence.
    static func backward(dOut: [Float], q: [Float], k: [Float], v: [Float], probs: [[Float]], segments: Segments,
                         NH: Int, NKV: Int, HS: Int) -> (dq: [Float], dk: [Float], dv: [Float]) {
        let QD = NH * HS, KVD = NKV * HS, N = segments.total
        var dq = [Float](repeating: 0, count: N * QD), dk = [Float](repeating: 0, count: N * KVD), dv = dk
        for (si, (s, T)) in zip(segments.starts, segments.lengths).enumerated() {
            dOut.withUnsafeBufferPointer { dop in q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in
                v.withUnsafeBufferPointer { vp in probs[si].withUnsafeBufferPointer { pp in
                    dq.withUnsafeMutableBufferPointer { dqp in dk.withUnsafeMutableBufferPointer { dkp in
                        dv.withUnsafeMutableBufferPointer { dvp in
                            Attention.backward(dOut: dop.baseAddress! + s * QD, q: qp.baseAddress! + s * QD,
                                               k: kp.baseAddress! + s * KVD, v: vp.baseAddress! + s * KVD,
                                               probs: pp.baseAddress!, T: T, NH: NH, NKV: NKV, HS: HS,
                                               dq: dqp.baseAddress! + s * QD, dk: dkp.baseAddress! + s * KVD,
                                               dv: dvp.baseAddress! + s * KVD)
                        }
                    } }
                } }
            } } }
        }
        return (dq, dk, dv)
    }
}
