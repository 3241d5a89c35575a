// Writing new checkpoints from parameters (models trained from scratch): a LLaVA checkpoint in
// the Hugging Face layout (config.json, model.safetensors, tokenizer and image-processor files)
// and a CLIP checkpoint in transformers' CLIPModel layout.
import CLIPVision
import Foundation
import LLaVA
import LLaVACheckpoint
import LlamaText

public enum CheckpointFactory {
    /// config.json of a LlavaForConditionalGeneration with these parts.
    public static func llavaConfigJSON(vision: CLIPVisionConfig, text: LlamaConfig, imageTokenIndex: Int, padTokenID: Int?,
                                       projector: LLaVAConfig.ProjectorType, featureLayer: Int, strategy: String = "default",
                                       tied: Bool = false) throws -> Data {
        func object<T: Encodable>(_ v: T) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(v)) as! [String: Any]
        }
        var textJSON = try object(text)
        textJSON["architectures"] = ["LlamaForCausalLM"]
        textJSON["tie_word_embeddings"] = tied
        textJSON["dtype"] = "float32"
        let patches = (vision.imageSize / vision.patchSize) * (vision.imageSize / vision.patchSize)
        var json: [String: Any] = [
            "architectures": ["LlavaForConditionalGeneration"],
            "model_type": "llava",
            "dtype": "float32",
            "image_token_index": imageTokenIndex,
            "projector_hidden_act": "gelu",
            "multimodal_projector_bias": true,
            "vision_feature_layer": featureLayer,
            "vision_feature_select_strategy": strategy,
            "image_seq_length": patches + (strategy == "full" ? 1 : 0),
            "tie_word_embeddings": tied,
            "text_config": textJSON,
            "vision_config": try object(vision),
        ]
        if let padTokenID { json["pad_token_id"] = padTokenID }
        if projector == .linear { json["projector_type"] = "linear" }
        return floatFieldsFixed(try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys]))
    }

    /// Fields transformers 5 validates as floats. Foundation writes 10000.0 as `10000`, which that
    /// validation rejects, so integral values of these keys get a `.0`.
    static let floatKeys = ["rope_theta", "rms_norm_eps", "layer_norm_eps", "initializer_range", "initializer_factor",
                            "attention_dropout", "logit_scale_init_value", "rescale_factor"]

    static func floatFieldsFixed(_ data: Data) -> Data {
        var text = String(decoding: data, as: UTF8.self)
        for key in floatKeys {
            let pattern = "\"\(key)\" : (-?[0-9]+)(?=[,\n }])"
            guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
            text = regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text),
                                                  withTemplate: "\"\(key)\" : $1.0")
        }
        return Data(text.utf8)
    }

    /// A CLIPImageProcessor config for square images of `size` (no resize or crop change at that size).
    public static func imageProcessorJSON(size: Int) throws -> Data {
        let json: [String: Any] = [
            "image_processor_type": "CLIPImageProcessor", "processor_class": "LlavaProcessor",
            "do_resize": true, "size": ["shortest_edge": size], "resample": 3,
            "do_center_crop": true, "crop_size": ["height": size, "width": size],
            "do_rescale": true, "rescale_factor": 1.0 / 255, "do_normalize": true,
            "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
            "do_convert_rgb": true,
        ]
        return try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
    }

    /// processor_config.json as llava-hf ships it: what transformers' LlavaProcessor needs to expand
    /// `<image>` into one token per patch (without it `AutoProcessor` fails on patch_size None).
    public static func processorJSON(patchSize: Int) throws -> Data {
        let json: [String: Any] = [
            "processor_class": "LlavaProcessor", "image_token": "<image>", "patch_size": patchSize,
            "vision_feature_select_strategy": "default", "num_additional_image_tokens": 1,  // the CLS token
        ]
        return try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
    }

    /// Writes a complete LLaVA checkpoint: `tensors` in canonical names, written in the hub-era layout.
    public static func writeLLaVA(to dir: URL, config: Data, tensors: [(name: String, shape: [Int], values: [Float])],
                                  tokenizer: Data, tokenizerConfig: Data, imageSize: Int, patchSize: Int) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var writer = SafeTensorsWriter()
        for t in tensors { writer.add(CheckpointSaver.fileKey(t.name), shape: t.shape, values: t.values) }
        try writer.write(to: dir.appendingPathComponent("model.safetensors"))
        try config.write(to: dir.appendingPathComponent("config.json"), options: .atomic)
        try tokenizer.write(to: dir.appendingPathComponent("tokenizer.json"), options: .atomic)
        try tokenizerConfig.write(to: dir.appendingPathComponent("tokenizer_config.json"), options: .atomic)
        try imageProcessorJSON(size: imageSize).write(to: dir.appendingPathComponent("preprocessor_config.json"), options: .atomic)
        try processorJSON(patchSize: patchSize).write(to: dir.appendingPathComponent("processor_config.json"), options: .atomic)
        try Data(ChatTemplate.vicunaV1Jinja.utf8).write(to: dir.appendingPathComponent("chat_template.jinja"), options: .atomic)
    }

    /// Writes a CLIPModel checkpoint (config.json + model.safetensors) of a trained TrainableCLIP.
    public static func writeCLIP(_ clip: TrainableCLIP, to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var writer = SafeTensorsWriter()
        for e in clip.params.entries { writer.add(e.name, shape: e.shape, values: clip.params.floats(e.name)) }
        try writer.write(to: dir.appendingPathComponent("model.safetensors"))
        let v = clip.vision, t = clip.text
        var visionJSON = try JSONSerialization.jsonObject(with: JSONEncoder().encode(v)) as! [String: Any]
        visionJSON["projection_dim"] = clip.projectionDim
        let json: [String: Any] = [
            "architectures": ["CLIPModel"], "model_type": "clip", "dtype": "float32", "projection_dim": clip.projectionDim,
            "logit_scale_init_value": 2.6592,
            "text_config": [
                "model_type": "clip_text_model", "vocab_size": t.vocabSize, "hidden_size": t.hiddenSize,
                "intermediate_size": t.intermediateSize, "num_hidden_layers": t.numHiddenLayers,
                "num_attention_heads": t.numAttentionHeads, "max_position_embeddings": t.maxPositionEmbeddings,
                "hidden_act": "quick_gelu", "layer_norm_eps": t.layerNormEps, "projection_dim": clip.projectionDim,
            ] as [String: Any],
            "vision_config": visionJSON,
        ]
        try floatFieldsFixed(JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys]))
            .write(to: dir.appendingPathComponent("config.json"), options: .atomic)
    }

    /// The vision tower of a CLIP checkpoint written by writeCLIP, in canonical LLaVA names
    /// (vision_model.* → vision_tower.vision_model.*).
    public static func readCLIPVision(from dir: URL) throws -> (config: CLIPVisionConfig, tensors: [(name: String, shape: [Int], values: [Float])]) {
        let data = try CheckpointFiles.readJSON(dir.appendingPathComponent("config.json"))
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any], let v = json["vision_config"] else {
            throw CheckpointError.invalidConfig(path: dir.appendingPathComponent("config.json").path, detail: "no vision_config")
        }
        let config = try JSONDecoder().decode(CLIPVisionConfig.self, from: JSONSerialization.data(withJSONObject: v))
        let file = try SafeTensorsFile(path: dir.appendingPathComponent("model.safetensors").path)
        let tensors = file.tensors.keys.sorted().filter { $0.hasPrefix("vision_model.") }.map { key in
            (CheckpointLayout.vision + key.dropFirst("vision_model.".count), file.tensors[key]!.shape, file.tensors[key]!.floats())
        }
        return (config, tensors)
    }
}
