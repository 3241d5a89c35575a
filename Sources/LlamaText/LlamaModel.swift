// The Llama / Mistral decoder of transformers (modeling_llama.py, modeling_mistral.py, v5.23):
// token embeddings → L pre-norm blocks (RMSNorm, GQA self-attention with RoPE, RMSNorm, SwiGLU
// MLP) → final RMSNorm → lm_head. Runs on input embeddings (so LLaVA can splice image features
// in) with a KV cache for generation.
import LLaVACheckpoint
import LLaVATensor

public struct LlamaDecoderLayer: Sendable {
    // Checkpoint keys under layers.{i}.
    let inputNorm: [Float]              // input_layernorm.weight (C)
    let q, k, v, o: Linear              // self_attn.{q,k,v,o}_proj: (NH·HS, C), (NKV·HS, C) ×2, (C, NH·HS)
    let postAttentionNorm: [Float]      // post_attention_layernorm.weight (C)
    let gate, up, down: Linear          // mlp.{gate,up,down}_proj: (I, C), (I, C), (C, I)

    init(_ store: WeightStore, _ p: String, _ c: LlamaConfig) throws {
        let C = c.hiddenSize, I = c.intermediateSize, QD = c.numAttentionHeads * c.headDim, KVD = c.numKeyValueHeads * c.headDim
        inputNorm = try store.floats(p + "input_layernorm.weight", [C])
        q = try store.linear(p + "self_attn.q_proj", out: QD, in: C, bias: c.attentionBias)
        k = try store.linear(p + "self_attn.k_proj", out: KVD, in: C, bias: c.attentionBias)
        v = try store.linear(p + "self_attn.v_proj", out: KVD, in: C, bias: c.attentionBias)
        o = try store.linear(p + "self_attn.o_proj", out: C, in: QD, bias: c.attentionBias)
        postAttentionNorm = try store.floats(p + "post_attention_layernorm.weight", [C])
        gate = try store.linear(p + "mlp.gate_proj", out: I, in: C, bias: c.mlpBias)
        up = try store.linear(p + "mlp.up_proj", out: I, in: C, bias: c.mlpBias)
        down = try store.linear(p + "mlp.down_proj", out: C, in: I, bias: c.mlpBias)
    }
}

/// Keys and values of every layer for positions 0 ..< length.
public struct KVCache {
    public let capacity: Int
    public private(set) var length = 0
    var keys: [[Float]]     // L × (capacity, NKV·HS)
    var values: [[Float]]

    public init(config: LlamaConfig, capacity: Int) {
        self.capacity = capacity
        let row = config.numKeyValueHeads * config.headDim
        keys = Array(repeating: [Float](repeating: 0, count: capacity * row), count: config.numHiddenLayers)
        values = keys
    }

    mutating func advance(by n: Int) { length += n }
}

public struct LlamaModel: Sendable {
    public let config: LlamaConfig
    public let embedTokens: Weight          // embed_tokens.weight (V, C)
    let layers: [LlamaDecoderLayer]         // layers.{0 ..< L}
    let norm: [Float]                       // norm.weight (C)
    public let lmHead: Linear               // lm_head.weight (V, C), or embed_tokens when tied
    let rope: RoPE

    /// `prefix` is where the decoder's keys live (e.g. "language_model."); `lmHeadKey` is nil when tied.
    public init(config c: LlamaConfig, store: WeightStore, prefix: String, lmHeadKey: String?) throws {
        config = c
        embedTokens = try store.weight(prefix + "embed_tokens.weight", [c.vocabSize, c.hiddenSize])
        layers = try (0..<c.numHiddenLayers).map { try LlamaDecoderLayer(store, prefix + "layers.\($0).", c) }
        norm = try store.floats(prefix + "norm.weight", [c.hiddenSize])
        if let lmHeadKey {
            lmHead = Linear(weight: try store.weight(lmHeadKey, [c.vocabSize, c.hiddenSize]), bias: nil)
        } else {
            lmHead = Linear(weight: embedTokens, bias: nil)
        }
        rope = RoPE(config: c)
        store.ignore { $0.hasPrefix(prefix) && $0.hasSuffix("rotary_emb.inv_freq") }
    }

    /// Token embeddings (T, C) of `ids`; the caller has checked 0 <= id < V.
    public func embed(_ ids: [Int]) -> Tensor {
        let C = config.hiddenSize
        var out = Tensor(zeros: [ids.count, C])
        out.data.withUnsafeMutableBufferPointer { o in
            for (t, id) in ids.enumerated() {
                precondition(id >= 0 && id < config.vocabSize, "token id \(id) outside the vocabulary")
                embedTokens.convert(from: id * C, count: C, into: o.baseAddress! + t * C)
            }
        }
        return out
    }

    /// Runs the decoder on x (T, C) at positions cache.length ..< cache.length + T, appending to
    /// the cache. Returns the final-normed hidden states (T, C).
    public func forward(_ x: Tensor, cache: inout KVCache) -> Tensor {
        let c = config, T = x.rows, start = cache.length
        precondition(start + T <= cache.capacity, "KV cache: \(start + T) positions exceed capacity \(cache.capacity)")
        let NH = c.numAttentionHeads, NKV = c.numKeyValueHeads, HS = c.headDim
        var x = x
        for (l, layer) in layers.enumerated() {
            let h = Ops.rmsNorm(x, weight: layer.inputNorm, eps: c.rmsNormEps)
            var q = layer.q(h), k = layer.k(h), v = layer.v(h)
            q.data.withUnsafeMutableBufferPointer { rope.apply($0.baseAddress!, rows: T, heads: NH, start: start) }
            k.data.withUnsafeMutableBufferPointer { rope.apply($0.baseAddress!, rows: T, heads: NKV, start: start) }
            let row = NKV * HS
            cache.keys[l].withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: start * row).update(from: k.data, count: T * row) }
            cache.values[l].withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: start * row).update(from: v.data, count: T * row) }
            var attn = Tensor(zeros: [T, NH * HS])
            q.data.withUnsafeBufferPointer { qp in
                cache.keys[l].withUnsafeBufferPointer { kp in
                    cache.values[l].withUnsafeBufferPointer { vp in
                        attn.data.withUnsafeMutableBufferPointer { op in
                            Attention.forward(q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!, T: T, S: start + T,
                                              NH: NH, NKV: NKV, HS: HS, causalOffset: start, slidingWindow: c.slidingWindow,
                                              out: op.baseAddress!)
                        }
                    }
                }
            }
            x.add(layer.o(attn))
            let h2 = Ops.rmsNorm(x, weight: layer.postAttentionNorm, eps: c.rmsNormEps)
            var g = layer.gate(h2)
            Ops.siluMul(&g, layer.up(h2))
            x.add(layer.down(g))
        }
        cache.advance(by: T)
        return Ops.rmsNorm(x, weight: norm, eps: c.rmsNormEps)
    }

    /// Logits (T, V) of final hidden states (T, C).
    public func logits(_ hidden: Tensor) -> Tensor { lmHead(hidden) }
}
