// The Llama / Mistral decoder for training: the same computation as LlamaText.LlamaModel, on a
// packed batch (the samples' tokens concatenated, N = Σ T_s rows), with every activation the
// backward needs kept. Row-wise layers (norms, projections, MLP) run on all N rows at once;
// attention and RoPE run per sample. Packing is exactly equivalent to a right-padded batch with
// an attention mask (no token attends across samples, positions restart at 0 per sample), but
// spends no compute on padding.
import Foundation
import LLaVATensor
import LlamaText

/// Where each sample sits in a packed batch.
public struct Segments {
    public let lengths: [Int]
    public let starts: [Int]
    public var total: Int { lengths.reduce(0, +) }

    public init(lengths: [Int]) {
        self.lengths = lengths
        var s = 0
        var starts: [Int] = []
        for n in lengths {
            starts.append(s)
            s += n
        }
        self.starts = starts
    }
}

final class LlamaLayerParams {
    let inputNorm, postNorm: Param
    let q, k, v, o, gate, up, down: TrainLinear

    init(_ p: ParameterSet, _ prefix: String, lora: LoRAConfig?) {
        func linear(_ name: String) -> TrainLinear {
            let key = prefix + name
            let bias = p.contains(key + ".bias") ? p[key + ".bias"] : nil
            var adapter: (A: Param, B: Param, scale: Float)?
            if let lora, p.contains(key + ".lora_A") {
                adapter = (p[key + ".lora_A"], p[key + ".lora_B"], lora.scale)
            }
            return TrainLinear(W: p[key + ".weight"], b: bias, lora: adapter)
        }
        inputNorm = p[prefix + "input_layernorm.weight"]
        postNorm = p[prefix + "post_attention_layernorm.weight"]
        q = linear("self_attn.q_proj")
        k = linear("self_attn.k_proj")
        v = linear("self_attn.v_proj")
        o = linear("self_attn.o_proj")
        gate = linear("mlp.gate_proj")
        up = linear("mlp.up_proj")
        down = linear("mlp.down_proj")
    }

    var linears: [TrainLinear] { [q, k, v, o, gate, up, down] }
}

/// Activations of one decoder layer for one packed batch.
final class LlamaLayerActivations {
    var x, h1, q, k, v, attn, x2, h2, g, u, m: [Float]
    var probs: AttentionProbs?     // per sample (NH, T, T)
    var loraZ: [String: [Float]]   // per adapted projection: x Aᵀ (N, r)

    init() {
        x = []; h1 = []; q = []; k = []; v = []; attn = []; x2 = []; h2 = []; g = []; u = []; m = []
        probs = nil; loraZ = [:]
    }
}

public final class TrainableLlama {
    public let config: LlamaConfig
    let params: ParameterSet
    let layers: [LlamaLayerParams]
    let embed: Param
    let norm: Param
    let lmHead: Param        // lm_head.weight, or embed_tokens when tied
    let rope: RoPE
    var acts: [LlamaLayerActivations] = []
    var finalInput: [Float] = []    // x_L (N, C), input of the final norm
    var finalHidden: [Float] = []   // norm(x_L) (N, C)
    var angles: RoPE.Angles?        // positions 0 ..< the longest sample, for every layer and the backward

    init(config: LlamaConfig, params: ParameterSet, prefix: String, lmHeadName: String, lora: LoRAConfig?) {
        self.config = config
        self.params = params
        layers = (0..<config.numHiddenLayers).map { LlamaLayerParams(params, prefix + "layers.\($0).", lora: lora) }
        embed = params[prefix + "embed_tokens.weight"]
        norm = params[prefix + "norm.weight"]
        lmHead = params[lmHeadName]
        rope = RoPE(config: config)
    }

    /// Token embeddings (N, C) of ids, rows where ids < 0 left zero (filled by the caller).
    func embedTokens(_ ids: [Int]) -> [Float] {
        let C = config.hiddenSize
        var out = [Float](repeating: 0, count: ids.count * C)
        for (t, id) in ids.enumerated() where id >= 0 {
            for c in 0..<C { out[t * C + c] = embed.value[id * C + c] }
        }
        return out
    }

    /// Backward of embedTokens: dEmbed[id] += dx[t] for rows with id ≥ 0.
    func embedBackward(_ ids: [Int], dx: [Float]) {
        guard embed.trainable else { return }
        let C = config.hiddenSize
        for (t, id) in ids.enumerated() where id >= 0 {
            for c in 0..<C { embed.grad[id * C + c] += dx[t * C + c] }
        }
    }

    /// x (N, C) → final-normed hidden states (N, C), keeping activations.
    func forward(_ input: [Float], segments: Segments) -> [Float] {
        let c = config, N = segments.total
        let NH = c.numAttentionHeads, NKV = c.numKeyValueHeads, HS = c.headDim
        let QD = NH * HS, KVD = NKV * HS, I = c.intermediateSize
        acts = []
        let angles = rope.angles(start: 0, rows: segments.lengths.max() ?? 0)
        self.angles = angles
        var x = input
        for layer in layers {
            let a = LlamaLayerActivations()
            a.x = x
            a.h1 = rmsNorm(x, layer.inputNorm, N)
            a.q = project(layer.q, a.h1, N, "q", a)
            a.k = project(layer.k, a.h1, N, "k", a)
            a.v = project(layer.v, a.h1, N, "v", a)
            a.q.withUnsafeMutableBufferPointer { qp in
                a.k.withUnsafeMutableBufferPointer { kp in
                    for (s, T) in zip(segments.starts, segments.lengths) {
                        rope.apply(qp.baseAddress! + s * QD, rows: T, heads: NH, angles: angles)
                        rope.apply(kp.baseAddress! + s * KVD, rows: T, heads: NKV, angles: angles)
                    }
                }
            }
            (a.attn, a.probs) = PackedAttention.forward(q: a.q, k: a.k, v: a.v, segments: segments, NH: NH, NKV: NKV, HS: HS,
                                                        causal: true)
            let o = project(layer.o, a.attn, N, "o", a)
            a.x2 = zip(x, o).map(+)
            a.h2 = rmsNorm(a.x2, layer.postNorm, N)
            a.g = project(layer.gate, a.h2, N, "gate", a)
            a.u = project(layer.up, a.h2, N, "up", a)
            a.m = [Float](repeating: 0, count: N * I)
            a.g.withUnsafeBufferPointer { gp in a.u.withUnsafeBufferPointer { up in a.m.withUnsafeMutableBufferPointer { mp in
                Backward.siluMulForward(g: gp.baseAddress!, u: up.baseAddress!, count: N * I, m: mp.baseAddress!)
            } } }
            let d = project(layer.down, a.m, N, "down", a)
            x = zip(a.x2, d).map(+)
            acts.append(a)
        }
        finalInput = x
        finalHidden = rmsNorm(x, norm, N)
        return finalHidden
    }

    /// d(final hidden) (N, C) → d(input embeddings) (N, C); accumulates parameter gradients.
    func backward(_ dHidden: [Float], segments: Segments) -> [Float] {
        let c = config, N = segments.total, C = c.hiddenSize
        let NH = c.numAttentionHeads, NKV = c.numKeyValueHeads, HS = c.headDim
        let QD = NH * HS, KVD = NKV * HS, I = c.intermediateSize
        let angles = self.angles ?? rope.angles(start: 0, rows: segments.lengths.max() ?? 0)
        var dx = rmsNormBackward(dHidden, finalInput, norm, N)
        for (layer, a) in zip(layers, acts).reversed() {
            // x3 = x2 + down(m): dx2 = dx3 + d(rmsnorm path); dm = dx3 · W_down
            var dm = [Float](repeating: 0, count: N * I)
            projectBackward(layer.down, dy: dx, x: a.m, N, "down", a, dx: &dm, accumulate: false)
            var dg = [Float](repeating: 0, count: N * I), du = dg
            dm.withUnsafeBufferPointer { dmp in a.g.withUnsafeBufferPointer { gp in a.u.withUnsafeBufferPointer { up in
                dg.withUnsafeMutableBufferPointer { dgp in du.withUnsafeMutableBufferPointer { dup in
                    Backward.siluMul(dm: dmp.baseAddress!, g: gp.baseAddress!, u: up.baseAddress!, count: N * I,
                                     dg: dgp.baseAddress!, du: dup.baseAddress!)
                } }
            } } }
            var dh2 = [Float](repeating: 0, count: N * C)
            projectBackward(layer.gate, dy: dg, x: a.h2, N, "gate", a, dx: &dh2, accumulate: false)
            projectBackward(layer.up, dy: du, x: a.h2, N, "up", a, dx: &dh2, accumulate: true)
            var dx2 = dx
            let dNorm2 = rmsNormBackward(dh2, a.x2, layer.postNorm, N)
            for i in 0..<(N * C) { dx2[i] += dNorm2[i] }
            // x2 = x + o(attn)
            var dAttn = [Float](repeating: 0, count: N * QD)
            projectBackward(layer.o, dy: dx2, x: a.attn, N, "o", a, dx: &dAttn, accumulate: false)
            let grads = PackedAttention.backward(dOut: dAttn, q: a.q, k: a.k, v: a.v, probs: a.probs!, segments: segments,
                                                 NH: NH, NKV: NKV, HS: HS)
            var dq = grads.dq, dk = grads.dk
            let dv = grads.dv
            dq.withUnsafeMutableBufferPointer { dqp in
                dk.withUnsafeMutableBufferPointer { dkp in
                    for (s, T) in zip(segments.starts, segments.lengths) {
                        rope.applyInverse(dqp.baseAddress! + s * QD, rows: T, heads: NH, angles: angles)
                        rope.applyInverse(dkp.baseAddress! + s * KVD, rows: T, heads: NKV, angles: angles)
                    }
                }
            }
            var dh1 = [Float](repeating: 0, count: N * C)
            projectBackward(layer.q, dy: dq, x: a.h1, N, "q", a, dx: &dh1, accumulate: false)
            projectBackward(layer.k, dy: dk, x: a.h1, N, "k", a, dx: &dh1, accumulate: true)
            projectBackward(layer.v, dy: dv, x: a.h1, N, "v", a, dx: &dh1, accumulate: true)
            let dNorm1 = rmsNormBackward(dh1, a.x, layer.inputNorm, N)
            dx = dx2
            for i in 0..<(N * C) { dx[i] += dNorm1[i] }
        }
        acts = []
        return dx
    }

    // MARK: helpers over flat arrays

    func rmsNorm(_ x: [Float], _ w: Param, _ N: Int) -> [Float] {
        let C = config.hiddenSize
        return Ops.rmsNorm(Tensor(shape: [N, C], data: x), weight: Array(UnsafeBufferPointer(start: w.value, count: C)),
                           eps: config.rmsNormEps).data
    }

    func rmsNormBackward(_ dy: [Float], _ x: [Float], _ w: Param, _ N: Int) -> [Float] {
        let C = config.hiddenSize
        var dx = [Float](repeating: 0, count: N * C)
        dy.withUnsafeBufferPointer { dyp in x.withUnsafeBufferPointer { xp in dx.withUnsafeMutableBufferPointer { dxp in
            Backward.rmsNorm(dy: dyp.baseAddress!, x: xp.baseAddress!, w: w.value, rows: N, C: C, eps: config.rmsNormEps,
                             dx: dxp.baseAddress!, dw: w.trainable ? w.grad : nil)
        } } }
        return dx
    }

    func project(_ l: TrainLinear, _ x: [Float], _ N: Int, _ key: String, _ a: LlamaLayerActivations) -> [Float] {
        var y = [Float](repeating: 0, count: N * l.outFeatures)
        var z = [Float](repeating: 0, count: N * l.rank)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in z.withUnsafeMutableBufferPointer { zp in
            l.forward(xp.baseAddress!, T: N, y: yp.baseAddress!, z: l.rank > 0 ? zp.baseAddress! : nil)
        } } }
        if l.rank > 0 { a.loraZ[key] = z }
        return y
    }

    func projectBackward(_ l: TrainLinear, dy: [Float], x: [Float], _ N: Int, _ key: String, _ a: LlamaLayerActivations,
                         dx: inout [Float], accumulate: Bool) {
        let z = a.loraZ[key]
        dy.withUnsafeBufferPointer { dyp in x.withUnsafeBufferPointer { xp in dx.withUnsafeMutableBufferPointer { dxp in
            if let z {
                z.withUnsafeBufferPointer { zp in
                    l.backward(dy: dyp.baseAddress!, x: xp.baseAddress!, z: zp.baseAddress!, T: N, dx: dxp.baseAddress!,
                               accumulate: accumulate)
                }
            } else {
                l.backward(dy: dyp.baseAddress!, x: xp.baseAddress!, z: nil, T: N, dx: dxp.baseAddress!, accumulate: accumulate)
            }
        } } }
    }
}
