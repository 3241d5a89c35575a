// config.json of a LlavaForConditionalGeneration checkpoint (transformers' LlavaConfig, v5.23),
// with LlavaConfig's defaults for every omitted field. Hub configs such as
// llava-hf/llava-1.5-7b-hf list only a few keys and rely on these.
import CLIPVision
import Foundation
import LLaVACheckpoint
import LlamaText

public struct LLaVAConfig: Sendable {
    public enum SelectStrategy: String, Sendable { case `default`, full }
    public enum ProjectorType: String, Sendable {
        case mlp2xGELU = "mlp2x_gelu"   // LLaVA-1.5: linear_1 → GELU → linear_2 (transformers' only kind)
        case linear                      // LLaVA-1: linear_1 only (our extension: "projector_type": "linear")
    }

    public var modelType: String
    public var vision: CLIPVisionConfig
    public var text: LlamaConfig
    public var imageTokenIndex: Int                 // image_token_index
    public var padTokenID: Int?                     // pad_token_id
    public var projectorHiddenAct: String           // projector_hidden_act
    public var projectorType: ProjectorType         // projector_type (ours) / mm_projector_type (original LLaVA)
    public var projectorBias: Bool                  // multimodal_projector_bias
    public var visionFeatureLayers: [Int]           // vision_feature_layer: an int or a list
    public var selectStrategy: SelectStrategy       // vision_feature_select_strategy
    public var tieWordEmbeddings: Bool              // tie_word_embeddings (top level or text_config)

    public static let supportedModelTypes = ["llava"]

    /// Reads and validates DIR/config.json.
    public init(directory: URL) throws {
        let url = directory.appendingPathComponent("config.json")
        try self.init(data: CheckpointFiles.readJSON(url), path: url.path)
    }

    public init(data: Data, path: String) throws {
        guard let any = try? JSONSerialization.jsonObject(with: data), let json = any as? [String: Any] else {
            throw CheckpointError.invalidConfig(path: path, detail: "not a JSON object")
        }
        func field<T>(_ key: String, _ type: T.Type) throws -> T? {
            guard let v = json[key], !(v is NSNull) else { return nil }
            guard let t = v as? T else { throw CheckpointError.invalidConfig(path: path, detail: "field \(key) should be \(T.self), got \(v)") }
            return t
        }
        modelType = try field("model_type", String.self) ?? ""
        guard Self.supportedModelTypes.contains(modelType) else {
            throw CheckpointError.unsupportedModelType(path: path, field: "model_type", value: modelType, supported: Self.supportedModelTypes)
        }
        func sub<T: Decodable>(_ key: String, _ type: T.Type) throws -> T? {
            guard let v = json[key], !(v is NSNull) else { return nil }
            guard JSONSerialization.isValidJSONObject(v), let d = try? JSONSerialization.data(withJSONObject: v) else {
                throw CheckpointError.invalidConfig(path: path, detail: "field \(key) should be an object")
            }
            do { return try JSONDecoder().decode(T.self, from: d) } catch let e as DecodingError {
                throw CheckpointError.invalidConfig(path: path, detail: CheckpointFiles.describe(e, prefix: key + "."))
            }
        }
        // LlavaConfig: no vision_config → CLIP ViT-L/14-336; no text_config → LlamaConfig().
        vision = try sub("vision_config", CLIPVisionConfig.self) ?? .llavaDefault
        text = try sub("text_config", LlamaConfig.self) ?? LlamaConfig()
        imageTokenIndex = try field("image_token_index", Int.self) ?? field("image_token_id", Int.self) ?? 32000
        padTokenID = try field("pad_token_id", Int.self)
        projectorHiddenAct = try field("projector_hidden_act", String.self) ?? "gelu"
        let projector = try field("projector_type", String.self) ?? field("mm_projector_type", String.self) ?? "mlp2x_gelu"
        guard let p = ProjectorType(rawValue: projector) else {
            throw CheckpointError.unsupportedModelType(path: path, field: "projector_type", value: projector, supported: ["mlp2x_gelu", "linear"])
        }
        projectorType = p
        projectorBias = try field("multimodal_projector_bias", Bool.self) ?? true
        if let list = json["vision_feature_layer"] as? [Int] {
            visionFeatureLayers = list
        } else {
            visionFeatureLayers = [try field("vision_feature_layer", Int.self) ?? -2]
        }
        let strategy = try field("vision_feature_select_strategy", String.self) ?? "default"
        guard let s = SelectStrategy(rawValue: strategy) else {
            throw CheckpointError.unsupportedModelType(path: path, field: "vision_feature_select_strategy", value: strategy, supported: ["default", "full"])
        }
        selectStrategy = s
        tieWordEmbeddings = try text.tieWordEmbeddings ?? field("tie_word_embeddings", Bool.self) ?? false
        try validate(path: path)
    }

    func validate(path: String) throws {
        try vision.validate(path: path)
        try text.validate(path: path)
        guard ["gelu"].contains(projectorHiddenAct) else {
            throw CheckpointError.unsupportedModelType(path: path, field: "projector_hidden_act", value: projectorHiddenAct, supported: ["gelu"])
        }
        guard !visionFeatureLayers.isEmpty else {
            throw CheckpointError.invalidConfig(path: path, detail: "vision_feature_layer is an empty list")
        }
        for layer in visionFeatureLayers where hiddenStateIndex(layer) == nil {
            throw CheckpointError.invalidConfig(
                path: path, detail: "vision_feature_layer \(layer) is outside the vision tower's hidden states "
                    + "(\(-(vision.numHiddenLayers + 1)) ... \(vision.numHiddenLayers))")
        }
        guard (0..<text.vocabSize).contains(imageTokenIndex) else {
            throw CheckpointError.invalidConfig(path: path, detail: "image_token_index \(imageTokenIndex) is outside the vocabulary (\(text.vocabSize))")
        }
    }

    /// Index into CLIP's hidden_states (0 = embeddings, i = output of layer i-1) of a feature layer.
    public func hiddenStateIndex(_ layer: Int) -> Int? {
        let count = vision.numHiddenLayers + 1
        let index = layer < 0 ? count + layer : layer
        return (0..<count).contains(index) ? index : nil
    }

    /// How many CLIP layers must run: up to the deepest selected hidden state.
    public var visionLayersToRun: Int { visionFeatureLayers.compactMap(hiddenStateIndex).max() ?? 0 }

    /// Image tokens per image: patches, plus the CLS token with strategy "full".
    public var imageTokenCount: Int { vision.numPatches + (selectStrategy == .full ? 1 : 0) }

    /// Width of the projector's input: the selected layers are concatenated on the last dim.
    public var projectorInputSize: Int { vision.hiddenSize * visionFeatureLayers.count }
}
