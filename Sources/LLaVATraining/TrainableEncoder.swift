// CLIP's pre-LN transformer encoder for training (transformers CLIPEncoderLayer): used by the
// vision tower (full attention) and by ShapesWorld's CLIP text tower (causal attention).
//   x2 = x + out_proj(attn(layer_norm1(x)));  x3 = x2 + fc2(act(fc1(layer_norm2(x2))))
// Runs on a packed batch (Segments), attention per sequence.
import Foundation
import LLaVATensor

final class EncoderLayerParams {
    let ln1W, ln1B, ln2W, ln2B: Param
    let q, k, v, out, fc1, fc2: TrainLinear

    init(_ p: ParameterSet, _ prefix: String) {
        func linear(_ name: String) -> TrainLinear {
            TrainLinear(W: p[prefix + name + ".weight"], b: p[prefix + name + ".bias"], lora: nil)
        }
        ln1W = p[prefix + "layer_norm1.weight"]
        ln1B = p[prefix + "layer_norm1.bias"]
        ln2W = p[prefix + "layer_norm2.weight"]
        ln2B = p[prefix + "layer_norm2.bias"]
        q = linear("self_attn.q_proj")
        k = linear("self_attn.k_proj")
        v = linear("self_attn.v_proj")
        out = linear("self_attn.out_proj")
        fc1 = linear("mlp.fc1")
        fc2 = linear("mlp.fc2")
    }
}

final class EncoderLayerActivations {
    var x: [Float] = [], h1: [Float] = [], q: [Float] = [], k: [Float] = [], v: [Float] = []
    var attn: [Float] = [], x2: [Float] = [], h2: [Float] = [], f: [Float] = [], a: [Float] = []
    var probs: AttentionProbs?
}

public final class TrainableEncoder {
    let layers: [EncoderLayerParams]
    let C: Int, NH: Int, I: Int
    let eps: Float
    let quickGELU: Bool
    let causal: Bool
    var acts: [EncoderLayerActivations] = []

    /// Layers `prefix`layers.{0 ..< count}.
    init(params: ParameterSet, prefix: String, count: Int, hidden: Int, heads: Int, intermediate: Int, eps: Float,
         quickGELU: Bool, causal: Bool) {
        layers = (0..<count).map { EncoderLayerParams(params, prefix + "layers.\($0).") }
        C = hidden
        NH = heads
        I = intermediate
        self.eps = eps
        self.quickGELU = quickGELU
        self.causal = causal
    }

    /// x (N, C) → output of the last layer (N, C), keeping activations.
    func forward(_ input: [Float], segments: Segments) -> [Float] {
        let N = segments.total, HS = C / NH
        acts = []
        var x = input
        for l in layers {
            let a = EncoderLayerActivations()
            a.x = x
            a.h1 = layerNorm(x, l.ln1W, l.ln1B, N)
            a.q = linear(l.q, a.h1, N)
            a.k = linear(l.k, a.h1, N)
            a.v = linear(l.v, a.h1, N)
            (a.attn, a.probs) = PackedAttention.forward(q: a.q, k: a.k, v: a.v, segments: segments, NH: NH, NKV: NH, HS: HS,
                                                        causal: causal)
            a.x2 = zip(x, linear(l.out, a.attn, N)).map(+)
            a.h2 = layerNorm(a.x2, l.ln2W, l.ln2B, N)
            a.f = linear(l.fc1, a.h2, N)
            var t = Tensor(shape: [N, I], data: a.f)
            if quickGELU { Ops.quickGELU(&t) } else { Ops.gelu(&t) }
            a.a = t.data
            x = zip(a.x2, linear(l.fc2, a.a, N)).map(+)
            acts.append(a)
        }
        return x
    }

    /// d(output) (N, C) → d(input) (N, C); accumulates parameter gradients.
    func backward(_ dOut: [Float], segments: Segments) -> [Float] {
        let N = segments.total, HS = C / NH
        var dx = dOut
        for (l, a) in zip(layers, acts).reversed() {
            // x3 = x2 + fc2(act(fc1(ln2(x2))))
            var da = linearBackward(l.fc2, dy: dx, x: a.a, N)
            da.withUnsafeMutableBufferPointer { d in a.f.withUnsafeBufferPointer { f in
                if quickGELU { Backward.quickGELU(dy: d.baseAddress!, x: f.baseAddress!, count: N * I) }
                else { Backward.gelu(dy: d.baseAddress!, x: f.baseAddress!, count: N * I) }
            } }
            let dh2 = linearBackward(l.fc1, dy: da, x: a.h2, N)
            var dx2 = dx
            let dn2 = layerNormBackward(dh2, a.x2, l.ln2W, l.ln2B, N)
            for i in 0..<(N * C) { dx2[i] += dn2[i] }
            // x2 = x + out(attn(ln1(x)))
            let dAttn = linearBackward(l.out, dy: dx2, x: a.attn, N)
            let (dq, dk, dv) = PackedAttention.backward(dOut: dAttn, q: a.q, k: a.k, v: a.v, probs: a.probs!, segments: segments,
                                                        NH: NH, NKV: NH, HS: HS)
            var dh1 = linearBackward(l.q, dy: dq, x: a.h1, N)
            let dhk = linearBackward(l.k, dy: dk, x: a.h1, N)
            let dhv = linearBackward(l.v, dy: dv, x: a.h1, N)
            for i in 0..<(N * C) { dh1[i] += dhk[i] + dhv[i] }
            let dn1 = layerNormBackward(dh1, a.x, l.ln1W, l.ln1B, N)
            dx = dx2
            for i in 0..<(N * C) { dx[i] += dn1[i] }
        }
        acts = []
        return dx
    }

    // MARK: helpers

    func linear(_ l: TrainLinear, _ x: [Float], _ N: Int) -> [Float] {
        var y = [Float](repeating: 0, count: N * l.outFeatures)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            l.forward(xp.baseAddress!, T: N, y: yp.baseAddress!, z: nil)
        } }
        return y
    }

    func linearBackward(_ l: TrainLinear, dy: [Float], x: [Float], _ N: Int) -> [Float] {
        var dx = [Float](repeating: 0, count: N * l.inFeatures)
        dy.withUnsafeBufferPointer { d in x.withUnsafeBufferPointer { xp in dx.withUnsafeMutableBufferPointer { dxp in
            l.backward(dy: d.baseAddress!, x: xp.baseAddress!, z: nil, T: N, dx: dxp.baseAddress!, accumulate: false)
        } } }
        return dx
    }

    func layerNorm(_ x: [Float], _ w: Param, _ b: Param, _ N: Int) -> [Float] {
        Ops.layerNorm(Tensor(shape: [N, C], data: x), weight: Array(UnsafeBufferPointer(start: w.value, count: C)),
                      bias: Array(UnsafeBufferPointer(start: b.value, count: C)), eps: eps).data
    }

    func layerNormBackward(_ dy: [Float], _ x: [Float], _ w: Param, _ b: Param, _ N: Int) -> [Float] {
        var dx = [Float](repeating: 0, count: N * C)
        dy.withUnsafeBufferPointer { d in x.withUnsafeBufferPointer { xp in dx.withUnsafeMutableBufferPointer { dxp in
            Backward.layerNorm(dy: d.baseAddress!, x: xp.baseAddress!, w: w.value, rows: N, C: C, eps: eps, dx: dxp.baseAddress!,
                               dw: w.trainable ? w.grad : nil, db: b.trainable ? b.grad : nil)
        } } }
        return dx
    }
}
