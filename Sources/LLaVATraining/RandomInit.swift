// Fresh parameters for models trained from scratch (ShapesWorld), as transformers initialises
// them: Llama and the projector normal(0, 0.02); CLIP by CLIPPreTrainedModel._init_weights
// (initializer_factor 1) — q/k/v and fc2 std C^-½·(2L)^-½, out_proj C^-½, fc1 (2C)^-½, class
// embedding C^-½, projections C^-½, other embeddings 0.02. Zero biases, unit norm weights.
// (With 0.02 everywhere a 3-layer ViT learned shape 2-3x slower — measured in PyTorch.)
import CLIPVision
import Foundation
import LLaVA
import LlamaText

public enum RandomInit {
    public typealias Spec = (name: String, shape: [Int], values: [Float], trainable: Bool)

    /// Box–Muller normals from the seeded generator.
    public static func normal(_ n: Int, std: Float, _ rng: inout SeededGenerator) -> [Float] {
        (0..<n).map { _ in
            let u1 = max(Double(rng.next() >> 11) / Double(1 << 53), 1e-300), u2 = Double(rng.next() >> 11) / Double(1 << 53)
            return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)) * std
        }
    }

    static func linear(_ name: String, out: Int, in inFeatures: Int, bias: Bool, std: Float = 0.02,
                       _ rng: inout SeededGenerator) -> [Spec] {
        var s: [Spec] = [(name + ".weight", [out, inFeatures], normal(out * inFeatures, std: std, &rng), true)]
        if bias { s.append((name + ".bias", [out], [Float](repeating: 0, count: out), true)) }
        return s
    }

    static func norm(_ name: String, _ C: Int, bias: Bool) -> [Spec] {
        var s: [Spec] = [(name + ".weight", [C], [Float](repeating: 1, count: C), true)]
        if bias { s.append((name + ".bias", [C], [Float](repeating: 0, count: C), true)) }
        return s
    }

    /// CLIP encoder layers with CLIPAttention's and CLIPMLP's initialisation.
    static func encoderLayers(_ prefix: String, count: Int, C: Int, I: Int, _ rng: inout SeededGenerator) -> [Spec] {
        let inStd = Float(pow(Double(C), -0.5) * pow(Double(2 * count), -0.5))
        let outStd = Float(pow(Double(C), -0.5)), fcStd = Float(pow(Double(2 * C), -0.5))
        return (0..<count).flatMap { i -> [Spec] in
            let p = prefix + "encoder.layers.\(i)."
            return norm(p + "layer_norm1", C, bias: true)
                + ["q_proj", "k_proj", "v_proj"].flatMap { linear(p + "self_attn." + $0, out: C, in: C, bias: true, std: inStd, &rng) }
                + linear(p + "self_attn.out_proj", out: C, in: C, bias: true, std: outStd, &rng)
                + norm(p + "layer_norm2", C, bias: true)
                + linear(p + "mlp.fc1", out: I, in: C, bias: true, std: fcStd, &rng)
                + linear(p + "mlp.fc2", out: C, in: I, bias: true, std: inStd, &rng)
        }
    }

    /// CLIPVisionTransformer parameters under `prefix` (e.g. "vision_model.").
    public static func clipVision(_ c: CLIPVisionConfig, prefix: String, seed: UInt64) -> [Spec] {
        var rng = SeededGenerator(seed: seed)
        let C = c.hiddenSize, P = c.patchSize
        var s: [Spec] = [
            (prefix + "embeddings.class_embedding", [C], normal(C, std: Float(pow(Double(C), -0.5)), &rng), true),
            (prefix + "embeddings.patch_embedding.weight", [C, c.numChannels, P, P], normal(C * c.numChannels * P * P, std: 0.02, &rng), true),
            (prefix + "embeddings.position_embedding.weight", [c.numPositions, C], normal(c.numPositions * C, std: 0.02, &rng), true),
        ]
        s += norm(prefix + "pre_layrnorm", C, bias: true)
        s += encoderLayers(prefix, count: c.numHiddenLayers, C: C, I: c.intermediateSize, &rng)
        s += norm(prefix + "post_layernorm", C, bias: true)
        return s
    }

    /// CLIPTextTransformer parameters under `prefix` (e.g. "text_model.").
    public static func clipText(_ c: CLIPTextConfig, prefix: String, seed: UInt64) -> [Spec] {
        var rng = SeededGenerator(seed: seed)
        let C = c.hiddenSize
        var s: [Spec] = [
            (prefix + "embeddings.token_embedding.weight", [c.vocabSize, C], normal(c.vocabSize * C, std: 0.02, &rng), true),
            (prefix + "embeddings.position_embedding.weight", [c.maxPositionEmbeddings, C],
             normal(c.maxPositionEmbeddings * C, std: 0.02, &rng), true),
        ]
        s += encoderLayers(prefix, count: c.numHiddenLayers, C: C, I: c.intermediateSize, &rng)
        s += norm(prefix + "final_layer_norm", C, bias: true)
        return s
    }

    /// Llama decoder parameters in canonical LLaVA names (language_model.*, lm_head.weight).
    public static func llama(_ c: LlamaConfig, tied: Bool, seed: UInt64) -> [Spec] {
        var rng = SeededGenerator(seed: seed)
        let C = c.hiddenSize, I = c.intermediateSize, QD = c.numAttentionHeads * c.headDim, KVD = c.numKeyValueHeads * c.headDim
        let p = CheckpointLayout.text
        var s: [Spec] = [(p + "embed_tokens.weight", [c.vocabSize, C], normal(c.vocabSize * C, std: 0.02, &rng), true)]
        for i in 0..<c.numHiddenLayers {
            let l = p + "layers.\(i)."
            s += norm(l + "input_layernorm", C, bias: false)
            s += linear(l + "self_attn.q_proj", out: QD, in: C, bias: c.attentionBias, &rng)
            s += linear(l + "self_attn.k_proj", out: KVD, in: C, bias: c.attentionBias, &rng)
            s += linear(l + "self_attn.v_proj", out: KVD, in: C, bias: c.attentionBias, &rng)
            s += linear(l + "self_attn.o_proj", out: C, in: QD, bias: c.attentionBias, &rng)
            s += norm(l + "post_attention_layernorm", C, bias: false)
            s += linear(l + "mlp.gate_proj", out: I, in: C, bias: c.mlpBias, &rng)
            s += linear(l + "mlp.up_proj", out: I, in: C, bias: c.mlpBias, &rng)
            s += linear(l + "mlp.down_proj", out: C, in: I, bias: c.mlpBias, &rng)
        }
        s += norm(p + "norm", C, bias: false)
        if !tied { s.append((CheckpointLayout.lmHead, [c.vocabSize, C], normal(c.vocabSize * C, std: 0.02, &rng), true)) }
        return s
    }

    /// LLaVA projector parameters (multi_modal_projector.linear_1, and linear_2 for the MLP).
    public static func projector(_ config: LLaVAConfig, seed: UInt64) -> [Spec] {
        var rng = SeededGenerator(seed: seed)
        let p = CheckpointLayout.projector, D = config.text.hiddenSize
        var s = linear(p + "linear_1", out: D, in: config.projectorInputSize, bias: config.projectorBias, &rng)
        if config.projectorType == .mlp2xGELU { s += linear(p + "linear_2", out: D, in: D, bias: config.projectorBias, &rng) }
        return s
    }
}
