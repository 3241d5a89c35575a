// The `vision_config` of a LLaVA config.json (transformers' CLIPVisionConfig, model_type
// "clip_vision_model"). Omitted fields take CLIPVisionConfig's defaults.
import LLaVACheckpoint

public struct CLIPVisionConfig: Codable, Equatable, Sendable {
    public var modelType: String
    public var hiddenSize: Int          // C
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int   // NH
    public var numChannels: Int
    public var imageSize: Int
    public var patchSize: Int           // P
    public var hiddenAct: String
    public var layerNormEps: Float
    public var projectionDim: Int

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numChannels = "num_channels"
        case imageSize = "image_size"
        case patchSize = "patch_size"
        case hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps"
        case projectionDim = "projection_dim"
    }

    /// transformers.CLIPVisionConfig() defaults (ViT-B/32).
    public init(
        modelType: String = "clip_vision_model", hiddenSize: Int = 768, intermediateSize: Int = 3072,
        numHiddenLayers: Int = 12, numAttentionHeads: Int = 12, numChannels: Int = 3, imageSize: Int = 224,
        patchSize: Int = 32, hiddenAct: String = "quick_gelu", layerNormEps: Float = 1e-5, projectionDim: Int = 512
    ) {
        self.modelType = modelType
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numChannels = numChannels
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.hiddenAct = hiddenAct
        self.layerNormEps = layerNormEps
        self.projectionDim = projectionDim
    }

    /// The vision tower LlavaConfig builds when config.json has no vision_config at all (ViT-L/14-336).
    public static let llavaDefault = CLIPVisionConfig(
        hiddenSize: 1024, intermediateSize: 4096, numHiddenLayers: 24, numAttentionHeads: 16, imageSize: 336,
        patchSize: 14, projectionDim: 768)

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CLIPVisionConfig()
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? d.modelType
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? d.numChannels
        imageSize = try c.decodeIfPresent(Int.self, forKey: .imageSize) ?? d.imageSize
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? d.patchSize
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? d.hiddenAct
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? d.layerNormEps
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? d.projectionDim
    }

    public static let supportedModelTypes = ["clip_vision_model"]
    public static let supportedActivations = ["quick_gelu", "gelu"]

    public var headSize: Int { hiddenSize / numAttentionHeads }                   // HS
    public var patchesPerSide: Int { imageSize / patchSize }
    public var numPatches: Int { patchesPerSide * patchesPerSide }                // N
    public var numPositions: Int { numPatches + 1 }                               // N + CLS

    /// Checks the values a model can be built from; `path` names config.json in errors.
    public func validate(path: String) throws {
        guard Self.supportedModelTypes.contains(modelType) else {
            throw CheckpointError.unsupportedModelType(
                path: path, field: "vision_config.model_type", value: modelType, supported: Self.supportedModelTypes)
        }
        guard Self.supportedActivations.contains(hiddenAct) else {
            throw CheckpointError.unsupportedModelType(
                path: path, field: "vision_config.hidden_act", value: hiddenAct, supported: Self.supportedActivations)
        }
        for (name, v) in [("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                          ("num_hidden_layers", numHiddenLayers), ("num_attention_heads", numAttentionHeads),
                          ("image_size", imageSize), ("patch_size", patchSize), ("num_channels", numChannels)]
        where v <= 0 || v > 1 << 20 {
            throw CheckpointError.invalidConfig(path: path, detail: "vision_config.\(name) = \(v) is out of range")
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw CheckpointError.invalidConfig(
                path: path, detail: "vision_config.hidden_size \(hiddenSize) is not divisible by num_attention_heads \(numAttentionHeads)")
        }
        guard imageSize % patchSize == 0 else {
            throw CheckpointError.invalidConfig(
                path: path, detail: "vision_config.image_size \(imageSize) is not a multiple of patch_size \(patchSize)")
        }
    }
}
