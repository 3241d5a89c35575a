// Attention over a packed batch: q (N, NH·HS), k and v (N, NKV·HS) hold several sequences back to
// back (Segments); each attends only within itself. Shared by the decoder (causal) and CLIP's
// encoders (full, or causal for the text tower).
//
// The work is split into items, one per (sequence, K/V head) — their outputs are disjoint columns
// and rows — and the items are shared between the two threads, each computing its products on its
// own thread. Splitting every small per-head product in two instead (BLAS.gemm's default) left the
// attention of a stage-2 batch mostly on one thread.
import LLaVATensor

/// The softmax probabilities of a packed batch, kept for the backward: per sequence s of length
/// T_s, (NH, T_s, T_s) at `pointer(s)`. One allocation, written by the forward's threads; `causal`
/// records the forward's mask, so the backward skips the same triangle.
final class AttentionProbs {
    let causal: Bool
    private let storage: UnsafeMutablePointer<Float>
    private let offsets: [Int]

    init(segments: Segments, NH: Int, causal: Bool) {
        self.causal = causal
        var offsets: [Int] = [], total = 0
        for T in segments.lengths {
            offsets.append(total)
            total += NH * T * T
        }
        self.offsets = offsets
        storage = .allocate(capacity: max(1, total))
    }

    deinit { storage.deallocate() }

    func pointer(_ segment: Int) -> UnsafeMutablePointer<Float> { storage + offsets[segment] }
}

enum PackedAttention {
    /// One (sequence, K/V head) item.
    private struct Item {
        let segment: Int
        let kvHead: Int
    }

    /// Items for each of `Parallel.threads` parts, balanced by cost (T² per item).
    private static func parts(_ segments: Segments, NKV: Int) -> [[Item]] {
        let n = max(1, Parallel.threads)
        var items: [Item] = []
        for s in segments.lengths.indices { for g in 0..<NKV { items.append(Item(segment: s, kvHead: g)) } }
        items.sort { segments.lengths[$0.segment] > segments.lengths[$1.segment] }
        var parts = [[Item]](repeating: [], count: n), load = [Int](repeating: 0, count: n)
        for item in items {
            let p = load.indices.min { load[$0] < load[$1] }!
            parts[p].append(item)
            load[p] += segments.lengths[item.segment] * segments.lengths[item.segment]
        }
        return parts
    }

    /// Runs `body(item, parallel)` for every item: on two threads when there are several items,
    /// else on this one with BLAS splitting each product.
    private static func run(_ segments: Segments, NKV: Int, _ body: (Item, Bool) -> Void) {
        let split = parts(segments, NKV: NKV)
        if split.count > 1, split.allSatisfy({ !$0.isEmpty }) {
            Parallel.forEach(split.count) { p in for item in split[p] { body(item, false) } }
        } else {
            for item in split.joined() { body(item, true) }
        }
    }

    /// out (N, NH·HS) and, per sequence, the softmax probabilities (NH, T, T) for the backward.
    static func forward(q: [Float], k: [Float], v: [Float], segments: Segments, NH: Int, NKV: Int, HS: Int,
                        causal: Bool) -> (out: [Float], probs: AttentionProbs) {
        let QD = NH * HS, KVD = NKV * HS
        var out = [Float](repeating: 0, count: segments.total * QD)
        let probs = AttentionProbs(segments: segments, NH: NH, causal: causal)  // every entry written by forwardSaving
        q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
            out.withUnsafeMutableBufferPointer { op in
                run(segments, NKV: NKV) { item, parallel in
                    let s = segments.starts[item.segment], T = segments.lengths[item.segment]
                    Attention.forwardSaving(q: qp.baseAddress! + s * QD, k: kp.baseAddress! + s * KVD, v: vp.baseAddress! + s * KVD,
                                            T: T, NH: NH, NKV: NKV, HS: HS, causal: causal,
                                            probs: probs.pointer(item.segment), out: op.baseAddress! + s * QD,
                                            kvHeads: item.kvHead..<(item.kvHead + 1), parallel: parallel)
                }
            }
        } } }
        return (out, probs)
    }

    /// dOut (N, NH·HS) → (dq, dk, dv), item by item.
    static func backward(dOut: [Float], q: [Float], k: [Float], v: [Float], probs: AttentionProbs, segments: Segments,
                         NH: Int, NKV: Int, HS: Int) -> (dq: [Float], dk: [Float], dv: [Float]) {
        let QD = NH * HS, KVD = NKV * HS, N = segments.total
        var dq = [Float](repeating: 0, count: N * QD), dk = [Float](repeating: 0, count: N * KVD), dv = dk
        dOut.withUnsafeBufferPointer { dop in q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in
            v.withUnsafeBufferPointer { vp in
                dq.withUnsafeMutableBufferPointer { dqp in dk.withUnsafeMutableBufferPointer { dkp in
                    dv.withUnsafeMutableBufferPointer { dvp in
                        run(segments, NKV: NKV) { item, parallel in
                            let s = segments.starts[item.segment], T = segments.lengths[item.segment]
                            Attention.backward(dOut: dop.baseAddress! + s * QD, q: qp.baseAddress! + s * QD,
                                               k: kp.baseAddress! + s * KVD, v: vp.baseAddress! + s * KVD,
                                               probs: probs.pointer(item.segment), T: T, NH: NH, NKV: NKV, HS: HS,
                                               dq: dqp.baseAddress! + s * QD, dk: dkp.baseAddress! + s * KVD,
                                               dv: dvp.baseAddress! + s * KVD, causal: probs.causal,
                                               kvHeads: item.kvHead..<(item.kvHead + 1), parallel: parallel)
                        }
                    }
                } }
            }
        } } }
        return (dq, dk, dv)
    }
}
