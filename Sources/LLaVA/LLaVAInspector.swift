// The data flow of a LLaVA checkpoint, stage by stage, from config.json alone: the tensor shape
// after each stage, its parameters, and its forward FLOPs (2 per multiply-add) for one image and
// a prompt of `promptTokens` text tokens. This is `llava inspect`.
public struct LLaVAStage: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var parameters: Int
    public var flops: Int
    public var note: String
}

public enum LLaVAInspector {
    public static func stages(_ config: LLaVAConfig, promptTokens: Int) -> [LLaVAStage] {
        let v = config.vision, t = config.text
        let C = v.hiddenSize, I = v.intermediateSize, P = v.patchSize, N = v.numPatches, NP = v.numPositions
        let ch = v.numChannels
        let run = config.visionLayersToRun
        let clipLayerParams = 4 * (C * C + C) + (C * I + I) + (I * C + C) + 4 * C
        let clipLayerFlops = 2 * NP * (4 * C * C + 2 * C * I) + 2 * 2 * NP * NP * C
        let imageTokens = config.imageTokenCount
        let D = t.hiddenSize, H = t.intermediateSize, V = t.vocabSize
        let QD = t.numAttentionHeads * t.headDim, KVD = t.numKeyValueHeads * t.headDim
        let T = promptTokens + imageTokens
        let projIn = config.projectorInputSize
        let projParams = (projIn * D + (config.projectorBias ? D : 0))
            + (config.projectorType == .linear ? 0 : D * D + (config.projectorBias ? D : 0))
        let projFlops = 2 * imageTokens * (projIn * D + (config.projectorType == .linear ? 0 : D * D))
        let bias = t.attentionBias ? 2 * QD + 2 * KVD : 0
        let decParams = D * QD * 2 + D * KVD * 2 + 3 * D * H + 2 * D + bias
        let decFlops = 2 * T * (2 * D * QD + 2 * D * KVD + 3 * D * H) + 2 * 2 * (T * (T + 1) / 2) * QD
        let lmHeadParams = config.tieWordEmbeddings ? 0 : V * D
        let layerNote = config.visionFeatureLayers.map(String.init).joined(separator: ", ")
        return [
            LLaVAStage(name: "image", shape: [ch, v.imageSize, v.imageSize], parameters: 0, flops: 0,
                       note: "preprocessed pixels"),
            LLaVAStage(name: "patch embedding", shape: [N, C], parameters: ch * P * P * C, flops: 2 * N * ch * P * P * C,
                       note: "\(v.patchesPerSide)×\(v.patchesPerSide) = \(N) patches of \(P)×\(P), conv without bias"),
            LLaVAStage(name: "+ class token, positions, pre-LN", shape: [NP, C], parameters: C + NP * C + 2 * C, flops: 0,
                       note: "CLS prepended"),
            LLaVAStage(name: "CLIP encoder layers", shape: [NP, C], parameters: run * clipLayerParams, flops: run * clipLayerFlops,
                       note: "\(run) of \(v.numHiddenLayers) layers run (\(v.numHiddenLayers - run) skipped), \(v.hiddenAct) MLP"),
            LLaVAStage(name: "select feature layer", shape: [imageTokens, projIn], parameters: 0, flops: 0,
                       note: "layer \(layerNote), strategy \(config.selectStrategy.rawValue)"
                        + (config.selectStrategy == .default ? " (CLS dropped)" : " (CLS kept)")),
            LLaVAStage(name: "projector", shape: [imageTokens, D], parameters: projParams, flops: projFlops,
                       note: config.projectorType == .linear ? "linear" : "linear → GELU → linear"),
            LLaVAStage(name: "token embeddings + image splice", shape: [T, D], parameters: V * D, flops: 0,
                       note: "\(promptTokens) text + \(imageTokens) image tokens; <image> (id \(config.imageTokenIndex)) × \(imageTokens)"),
            LLaVAStage(name: "decoder layers", shape: [T, D], parameters: t.numHiddenLayers * decParams,
                       flops: t.numHiddenLayers * decFlops,
                       note: "\(t.numHiddenLayers) × (RMSNorm, attention \(t.numAttentionHeads)q/\(t.numKeyValueHeads)kv heads × \(t.headDim), SwiGLU \(H))"),
            LLaVAStage(name: "final norm + lm_head", shape: [T, V], parameters: D + lmHeadParams, flops: 2 * T * D * V,
                       note: config.tieWordEmbeddings ? "tied to the token embeddings" : "logits at every position"),
        ]
    }
}
