// The `text_config` of a LLaVA config.json: transformers' LlamaConfig or MistralConfig. Omitted
// fields take that class's defaults (they differ: Mistral has 8 KV heads, a 14336 MLP, a 4096
// sliding window). RoPE settings come either as `rope_theta` + `rope_scaling` (transformers 4) or
// as `rope_parameters` (transformers 5).
import LLaVACheckpoint

public struct LlamaConfig: Codable, Equatable, Sendable {
    public var modelType: String
    public var vocabSize: Int               // V
    public var hiddenSize: Int              // C
    public var intermediateSize: Int
    public var numHiddenLayers: Int         // L
    public var numAttentionHeads: Int       // NH
    public var numKeyValueHeads: Int        // NKV
    public var headDim: Int                 // HS
    public var hiddenAct: String
    public var maxPositionEmbeddings: Int
    public var rmsNormEps: Float
    public var ropeTheta: Float
    public var ropeType: String             // "default" or "linear"
    public var ropeFactor: Float            // linear scaling factor (1 for default)
    public var attentionBias: Bool
    public var mlpBias: Bool
    public var tieWordEmbeddings: Bool?     // nil: not said (the LLaVA config decides)
    public var slidingWindow: Int?
    public var bosTokenID: Int?
    public var eosTokenIDs: [Int]

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim", hiddenAct = "hidden_act", maxPositionEmbeddings = "max_position_embeddings"
        case rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta", ropeScaling = "rope_scaling"
        case ropeParameters = "rope_parameters", attentionBias = "attention_bias", mlpBias = "mlp_bias"
        case tieWordEmbeddings = "tie_word_embeddings", slidingWindow = "sliding_window"
        case bosTokenID = "bos_token_id", eosTokenID = "eos_token_id"
    }

    /// rope_scaling / rope_parameters: {"rope_type" (or "type"), "rope_theta", "factor", ...}.
    struct RopeParameters: Codable {
        var ropeType: String?
        var type: String?
        var ropeTheta: Float?
        var factor: Float?
        enum CodingKeys: String, CodingKey { case ropeType = "rope_type", type, ropeTheta = "rope_theta", factor }
    }

    /// eos_token_id may be an int or a list of ints.
    struct IntOrList: Codable {
        var values: [Int]
        init(values: [Int]) { self.values = values }
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Int.self) { values = [v] } else { values = try c.decode([Int].self) }
        }
        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            if values.count == 1 { try c.encode(values[0]) } else { try c.encode(values) }
        }
    }

    public static let supportedModelTypes = ["llama", "mistral"]
    public static let supportedRopeTypes = ["default", "linear"]

    /// transformers.LlamaConfig() defaults (Llama-2-7B).
    public init(modelType: String = "llama") {
        let mistral = modelType == "mistral"
        self.modelType = modelType
        vocabSize = 32000
        hiddenSize = 4096
        intermediateSize = mistral ? 14336 : 11008
        numHiddenLayers = 32
        numAttentionHeads = 32
        numKeyValueHeads = mistral ? 8 : 32
        headDim = 128
        hiddenAct = "silu"
        maxPositionEmbeddings = mistral ? 4096 * 32 : 2048
        rmsNormEps = 1e-6
        ropeTheta = 10000
        ropeType = "default"
        ropeFactor = 1
        attentionBias = false
        mlpBias = false
        tieWordEmbeddings = nil
        slidingWindow = mistral ? 4096 : nil
        bosTokenID = 1
        eosTokenIDs = [2]
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "llama"
        self.init(modelType: type)
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? vocabSize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? numAttentionHeads
        // LlamaConfig: num_key_value_heads None means multi-head attention (= num_attention_heads).
        if c.contains(.numKeyValueHeads), !(try c.decodeNil(forKey: .numKeyValueHeads)) {
            numKeyValueHeads = try c.decode(Int.self, forKey: .numKeyValueHeads)
        } else if type != "mistral" || c.contains(.numKeyValueHeads) {
            numKeyValueHeads = numAttentionHeads
        }
        let heads = max(numAttentionHeads, 1)
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim) ?? hiddenSize / heads
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? hiddenAct
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? maxPositionEmbeddings
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? rmsNormEps
        let rope = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters)
            ?? c.decodeIfPresent(RopeParameters.self, forKey: .ropeScaling)
        ropeTheta = try rope?.ropeTheta ?? c.decodeIfPresent(Float.self, forKey: .ropeTheta) ?? ropeTheta
        ropeType = rope?.ropeType ?? rope?.type ?? "default"
        ropeFactor = rope?.factor ?? 1
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        mlpBias = try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings)
        if c.contains(.slidingWindow) { slidingWindow = try c.decodeIfPresent(Int.self, forKey: .slidingWindow) }
        if c.contains(.bosTokenID) { bosTokenID = try c.decodeIfPresent(Int.self, forKey: .bosTokenID) }
        if c.contains(.eosTokenID) { eosTokenIDs = try c.decodeIfPresent(IntOrList.self, forKey: .eosTokenID)?.values ?? [] }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modelType, forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(numKeyValueHeads, forKey: .numKeyValueHeads)
        try c.encode(headDim, forKey: .headDim)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        if ropeType != "default" {
            try c.encode(RopeParameters(ropeType: ropeType, ropeTheta: ropeTheta, factor: ropeFactor), forKey: .ropeScaling)
        }
        try c.encode(attentionBias, forKey: .attentionBias)
        try c.encode(mlpBias, forKey: .mlpBias)
        try c.encodeIfPresent(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        if modelType == "mistral" { try c.encode(slidingWindow, forKey: .slidingWindow) }
        try c.encodeIfPresent(bosTokenID, forKey: .bosTokenID)
        if !eosTokenIDs.isEmpty { try c.encode(IntOrList(values: eosTokenIDs), forKey: .eosTokenID) }
    }

    public func validate(path: String) throws {
        guard Self.supportedModelTypes.contains(modelType) else {
            throw CheckpointError.unsupportedModelType(
                path: path, field: "text_config.model_type", value: modelType, supported: Self.supportedModelTypes)
        }
        guard hiddenAct == "silu" else {
            throw CheckpointError.unsupportedModelType(path: path, field: "text_config.hidden_act", value: hiddenAct, supported: ["silu"])
        }
        guard Self.supportedRopeTypes.contains(ropeType) else {
            throw CheckpointError.unsupportedModelType(
                path: path, field: "text_config.rope_parameters.rope_type", value: ropeType, supported: Self.supportedRopeTypes)
        }
        for (name, v) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                          ("num_hidden_layers", numHiddenLayers), ("num_attention_heads", numAttentionHeads),
                          ("num_key_value_heads", numKeyValueHeads), ("head_dim", headDim),
                          ("max_position_embeddings", maxPositionEmbeddings)]
        where v <= 0 || v > 1 << 24 {
            throw CheckpointError.invalidConfig(path: path, detail: "text_config.\(name) = \(v) is out of range")
        }
        guard numAttentionHeads % numKeyValueHeads == 0 else {
            throw CheckpointError.invalidConfig(
                path: path, detail: "text_config.num_attention_heads \(numAttentionHeads) is not a multiple of num_key_value_heads \(numKeyValueHeads)")
        }
        guard headDim % 2 == 0 else {
            throw CheckpointError.invalidConfig(path: path, detail: "text_config.head_dim \(headDim) must be even for RoPE")
        }
    }
}

extension LlamaConfig.RopeParameters {
    init(ropeType: String, ropeTheta: Float, factor: Float) {
        self.ropeType = ropeType
        self.type = nil
        self.ropeTheta = ropeTheta
        self.factor = factor
    }
}
