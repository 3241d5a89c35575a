// config.json decoding: every default transformers applies, checked against
// `LlavaConfig.from_pretrained(...).to_dict()` written by Tools/fixtures/hub_configs.py.
import Foundation
import LLaVA
import LLaVACheckpoint
import LLaVATestSupport
import XCTest

final class ConfigTests: XCTestCase {
    func resolved(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Fixtures.url("models/configs/\(name).resolved.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func config(_ name: String) throws -> LLaVAConfig {
        let url = Fixtures.url("models/configs/\(name).json")
        return try LLaVAConfig(data: Data(contentsOf: url), path: url.path)
    }

    func testHubConfigsGetTransformersDefaults() throws {
        for name in ["llava-1.5-7b-hf", "llava-mistral-7b"] {
            let c = try config(name)
            let r = try resolved(name)
            let t = r["text_config"] as! [String: Any], v = r["vision_config"] as! [String: Any]
            let rope = t["rope_parameters"] as! [String: Any]
            XCTAssertEqual(c.imageTokenIndex, r["image_token_index"] as? Int, name)
            XCTAssertEqual(c.projectorHiddenAct, r["projector_hidden_act"] as? String, name)
            XCTAssertEqual(c.projectorBias, r["multimodal_projector_bias"] as? Bool, name)
            XCTAssertEqual(c.visionFeatureLayers, [r["vision_feature_layer"] as! Int], name)
            XCTAssertEqual(c.selectStrategy.rawValue, r["vision_feature_select_strategy"] as? String, name)
            XCTAssertEqual(c.tieWordEmbeddings, r["tie_word_embeddings"] as? Bool, name)
            XCTAssertEqual(c.imageTokenCount, r["image_seq_length"] as? Int, name)

            XCTAssertEqual(c.text.modelType, t["model_type"] as? String, name)
            XCTAssertEqual(c.text.vocabSize, t["vocab_size"] as? Int, name)
            XCTAssertEqual(c.text.hiddenSize, t["hidden_size"] as? Int, name)
            XCTAssertEqual(c.text.intermediateSize, t["intermediate_size"] as? Int, name)
            XCTAssertEqual(c.text.numHiddenLayers, t["num_hidden_layers"] as? Int, name)
            XCTAssertEqual(c.text.numAttentionHeads, t["num_attention_heads"] as? Int, name)
            XCTAssertEqual(c.text.numKeyValueHeads, t["num_key_value_heads"] as? Int, name)
            XCTAssertEqual(c.text.headDim, t["head_dim"] as? Int, name)
            XCTAssertEqual(c.text.maxPositionEmbeddings, t["max_position_embeddings"] as? Int, name)
            XCTAssertEqual(Double(c.text.rmsNormEps), t["rms_norm_eps"] as! Double, accuracy: 1e-12, name)
            XCTAssertEqual(Double(c.text.ropeTheta), rope["rope_theta"] as! Double, name)
            XCTAssertEqual(c.text.ropeType, rope["rope_type"] as? String, name)
            XCTAssertEqual(c.text.slidingWindow, t["sliding_window"] as? Int, name)
            XCTAssertEqual(c.text.eosTokenIDs, [t["eos_token_id"] as! Int], name)

            XCTAssertEqual(c.vision.hiddenSize, v["hidden_size"] as? Int, name)
            XCTAssertEqual(c.vision.intermediateSize, v["intermediate_size"] as? Int, name)
            XCTAssertEqual(c.vision.numHiddenLayers, v["num_hidden_layers"] as? Int, name)
            XCTAssertEqual(c.vision.numAttentionHeads, v["num_attention_heads"] as? Int, name)
            XCTAssertEqual(c.vision.imageSize, v["image_size"] as? Int, name)
            XCTAssertEqual(c.vision.patchSize, v["patch_size"] as? Int, name)
            XCTAssertEqual(c.vision.hiddenAct, v["hidden_act"] as? String, name)
            XCTAssertEqual(Double(c.vision.layerNormEps), v["layer_norm_eps"] as! Double, accuracy: 1e-12, name)
        }
    }

    func testLlava15ShapesForTheTutorial() throws {
        let c = try config("llava-1.5-7b-hf")
        XCTAssertEqual(c.vision.numPatches, 576)
        XCTAssertEqual(c.visionLayersToRun, 23, "layer -2 is the output of layer index 22: 23 of 24 layers run")
        let stages = LLaVAInspector.stages(c, promptTokens: 16)
        XCTAssertEqual(stages.map(\.shape), [[3, 336, 336], [576, 1024], [577, 1024], [577, 1024], [576, 1024],
                                              [576, 4096], [592, 4096], [592, 4096], [592, 32064]])
        // Projector: 1024·4096 + 4096 + 4096·4096 + 4096 (llava-1.5's mlp2x_gelu).
        XCTAssertEqual(stages[5].parameters, 20_979_712)
    }

    func testBadConfigsNameTheProblem() throws {
        func message(_ json: String) -> String {
            do { _ = try LLaVAConfig(data: Data(json.utf8), path: "x/config.json"); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(message(#"{"model_type": "blip"}"#),
                       #"x/config.json: model_type "blip" is not supported; supported: llava"#)
        XCTAssertEqual(message(#"{"model_type": "llava", "text_config": {"model_type": "gpt2"}}"#),
                       #"x/config.json: text_config.model_type "gpt2" is not supported; supported: llama, mistral"#)
        XCTAssertEqual(message(#"{"model_type": "llava", "vision_feature_layer": -30}"#),
                       "x/config.json: vision_feature_layer -30 is outside the vision tower's hidden states (-25 ... 24)")
        XCTAssertEqual(message(#"{"model_type": "llava", "text_config": {"hidden_size": "big"}}"#),
                       "x/config.json: field text_config.hidden_size should be Int")
        XCTAssertEqual(message("[1, 2"), "x/config.json: not a JSON object")
        XCTAssertEqual(message(#"{"model_type": "llava", "vision_feature_select_strategy": "cls"}"#),
                       #"x/config.json: vision_feature_select_strategy "cls" is not supported; supported: default, full"#)
    }
}
