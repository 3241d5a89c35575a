// CLIP's vision transformer as LLaVA uses it: transformers' CLIPVisionModel (modeling_clip.py,
// v5.23) up to the hidden state LLaVA selects. post_layernorm and the pooled output are not used
// by LLaVA, and layers after the selected one are never run.
import LLaVACheckpoint
import LLaVATensor

public struct CLIPEncoderLayer: Sendable {
    // Checkpoint keys under vision_model.encoder.layers.{i}.
    let layerNorm1W, layerNorm1B: [Float]   // layer_norm1.{weight,bias} (C)
    let q, k, v, out: Linear                 // self_attn.{q,k,v,out}_proj, (C, C) + bias
    let layerNorm2W, layerNorm2B: [Float]   // layer_norm2.{weight,bias} (C)
    let fc1, fc2: Linear                     // mlp.fc1 (I, C), mlp.fc2 (C, I), with bias

    init(_ store: WeightStore, _ p: String, _ c: CLIPVisionConfig) throws {
        let C = c.hiddenSize, I = c.intermediateSize
        layerNorm1W = try store.floats(p + "layer_norm1.weight", [C])
        layerNorm1B = try store.floats(p + "layer_norm1.bias", [C])
        q = try store.linear(p + "self_attn.q_proj", out: C, in: C, bias: true)
        k = try store.linear(p + "self_attn.k_proj", out: C, in: C, bias: true)
        v = try store.linear(p + "self_attn.v_proj", out: C, in: C, bias: true)
        out = try store.linear(p + "self_attn.out_proj", out: C, in: C, bias: true)
        layerNorm2W = try store.floats(p + "layer_norm2.weight", [C])
        layerNorm2B = try store.floats(p + "layer_norm2.bias", [C])
        fc1 = try store.linear(p + "mlp.fc1", out: I, in: C, bias: true)
        fc2 = try store.linear(p + "mlp.fc2", out: C, in: I, bias: true)
    }

    /// Pre-LN block: x + out_proj(attn(ln1(x))), then x + fc2(act(fc1(ln2(x)))). x (T, C).
    func callAsFunction(_ x: Tensor, _ c: CLIPVisionConfig) -> Tensor {
        let T = x.rows, C = c.hiddenSize
        let h = Ops.layerNorm(x, weight: layerNorm1W, bias: layerNorm1B, eps: c.layerNormEps)
        let qh = q(h), kh = k(h), vh = v(h)                  // (T, C) each
        var attn = Tensor(zeros: [T, C])
        qh.data.withUnsafeBufferPointer { qp in
            kh.data.withUnsafeBufferPointer { kp in
                vh.data.withUnsafeBufferPointer { vp in
                    attn.data.withUnsafeMutableBufferPointer { op in
                        Attention.forward(q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!, T: T, S: T,
                                          NH: c.numAttentionHeads, NKV: c.numAttentionHeads, HS: c.headSize,
                                          causalOffset: nil, out: op.baseAddress!)
                    }
                }
            }
        }
        var x = x + out(attn)
        var m = fc1(Ops.layerNorm(x, weight: layerNorm2W, bias: layerNorm2B, eps: c.layerNormEps))  // (T, I)
        if c.hiddenAct == "quick_gelu" { Ops.quickGELU(&m) } else { Ops.gelu(&m) }
        x.add(fc2(m))
        return x
    }
}

public struct CLIPVisionModel: Sendable {
    public let config: CLIPVisionConfig
    // Checkpoint keys under vision_model.:
    let patchEmbedding: Linear       // embeddings.patch_embedding.weight (C, 3, P, P) as (C, 3·P·P), no bias
    let classEmbedding: [Float]      // embeddings.class_embedding (C)
    let positionEmbedding: [Float]   // embeddings.position_embedding.weight (N+1, C)
    let preLayerNormW, preLayerNormB: [Float]  // pre_layrnorm.{weight,bias} (sic: the checkpoint's spelling)
    let layers: [CLIPEncoderLayer]   // encoder.layers.{0 ..< layersToRun}

    /// Loads the layers needed to produce hidden state `hiddenStateIndex` (0 = embeddings after
    /// pre_layrnorm, i = output of layer i-1) from keys under `prefix` (e.g. "vision_tower.vision_model.").
    /// The remaining layers and post_layernorm are marked as deliberately unused.
    public init(config c: CLIPVisionConfig, store: WeightStore, prefix: String, layersToRun: Int) throws {
        precondition((0...c.numHiddenLayers).contains(layersToRun), "layersToRun \(layersToRun) of \(c.numHiddenLayers)")
        config = c
        let C = c.hiddenSize, P = c.patchSize
        let conv = try store.weight(prefix + "embeddings.patch_embedding.weight", [C, c.numChannels, P, P])
        patchEmbedding = Linear(
            weight: Weight(shape: [C, c.numChannels * P * P], dtype: conv.dtype, pointer: conv.pointer, owner: conv.owner),
            bias: nil)
        classEmbedding = try store.floats(prefix + "embeddings.class_embedding", [C])
        positionEmbedding = try store.floats(prefix + "embeddings.position_embedding.weight", [c.numPositions, C])
        preLayerNormW = try store.floats(prefix + "pre_layrnorm.weight", [C])
        preLayerNormB = try store.floats(prefix + "pre_layrnorm.bias", [C])
        layers = try (0..<layersToRun).map { try CLIPEncoderLayer(store, prefix + "encoder.layers.\($0).", c) }
        store.ignore { key in
            guard key.hasPrefix(prefix) else { return false }
            let rest = key.dropFirst(prefix.count)
            if rest.hasPrefix("post_layernorm.") || rest.hasSuffix("position_ids") { return true }
            if rest.hasPrefix("encoder.layers."), let i = Int(rest.dropFirst("encoder.layers.".count).prefix { $0 != "." }) {
                return i >= layersToRun
            }
            return false
        }
    }

    /// Patch embedding + class token + positions, then pre_layrnorm. pixels (3, H, W) → (N+1, C).
    public func embed(pixels: [Float]) -> Tensor {
        let c = config, C = c.hiddenSize, P = c.patchSize, S = c.imageSize, G = c.patchesPerSide
        precondition(pixels.count == c.numChannels * S * S, "CLIP: pixels \(pixels.count) vs 3×\(S)×\(S)")
        // im2col: row n = patch (gy, gx) flattened in the conv weight's (channel, py, px) order.
        let K = c.numChannels * P * P
        var cols = Tensor(zeros: [c.numPatches, K])
        cols.data.withUnsafeMutableBufferPointer { dst in
            for gy in 0..<G {
                for gx in 0..<G {
                    let base = (gy * G + gx) * K
                    for ch in 0..<c.numChannels {
                        for py in 0..<P {
                            let src = ch * S * S + (gy * P + py) * S + gx * P
                            let d = base + ch * P * P + py * P
                            for px in 0..<P { dst[d + px] = pixels[src + px] }
                        }
                    }
                }
            }
        }
        let patches = patchEmbedding(cols)  // (N, C)
        var x = Tensor(zeros: [c.numPositions, C])
        for i in 0..<C { x.data[i] = classEmbedding[i] + positionEmbedding[i] }
        for i in 0..<(c.numPatches * C) { x.data[C + i] = patches.data[i] + positionEmbedding[C + i] }
        return Ops.layerNorm(x, weight: preLayerNormW, bias: preLayerNormB, eps: c.layerNormEps)
    }

    /// Hidden states 0 ... layers.count: [0] the embeddings, [i] the output of layer i-1. pixels (3, H, W).
    public func hiddenStates(pixels: [Float]) -> [Tensor] {
        var states = [embed(pixels: pixels)]
        for layer in layers { states.append(layer(states.last!, config)) }
        return states
    }
}
