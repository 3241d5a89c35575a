// A fresh TrainableCLIP is initialised as transformers' CLIPPreTrainedModel._init_weights does
// (initializer_factor 1): the sample standard deviation of each tensor kind is within four
// standard errors (≥ 5%) of it.
// (The demo's ViT learned shape 2-3x slower with normal(0, 0.02) everywhere.)
import CLIPVision
import Foundation
import LLaVATraining
import XCTest

final class CLIPInitTests: XCTestCase {
    func testStandardDeviationsFollowTransformers() {
        let C = 64, L = 3
        let vision = CLIPVisionConfig(hiddenSize: C, intermediateSize: 4 * C, numHiddenLayers: L, numAttentionHeads: 4,
                                      imageSize: 64, patchSize: 8, projectionDim: C)
        let text = CLIPTextConfig(vocabSize: 500, hiddenSize: C, intermediateSize: 4 * C, numHiddenLayers: 2,
                                  numAttentionHeads: 4, maxPositionEmbeddings: 48)
        let clip = TrainableCLIP(vision: vision, text: text, projectionDim: C, seed: 1)
        func std(_ name: String) -> (Double, Int) {
            let v = clip.params.floats(name).map(Double.init)
            let m = v.reduce(0, +) / Double(v.count)
            return ((v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot(), v.count)
        }
        let c = Double(C)
        let expected: [(String, Double)] = [
            ("vision_model.embeddings.class_embedding", 1 / c.squareRoot()),
            ("vision_model.embeddings.patch_embedding.weight", 0.02),
            ("vision_model.embeddings.position_embedding.weight", 0.02),
            ("vision_model.encoder.layers.1.self_attn.q_proj.weight", 1 / (c * 2 * Double(L)).squareRoot()),
            ("vision_model.encoder.layers.1.self_attn.out_proj.weight", 1 / c.squareRoot()),
            ("vision_model.encoder.layers.1.mlp.fc1.weight", 1 / (2 * c).squareRoot()),
            ("vision_model.encoder.layers.1.mlp.fc2.weight", 1 / (c * 2 * Double(L)).squareRoot()),
            ("text_model.embeddings.token_embedding.weight", 0.02),
            ("text_model.encoder.layers.0.self_attn.k_proj.weight", 1 / (c * 4).squareRoot()),  // text: 2 layers
            ("visual_projection.weight", 1 / c.squareRoot()),
            ("text_projection.weight", 1 / c.squareRoot()),
        ]
        for (name, want) in expected {
            let (got, n) = std(name)
            XCTAssertEqual(got, want, accuracy: want * max(0.05, 4 / (2 * Double(n)).squareRoot()), name)
        }
        XCTAssertEqual(clip.params.floats("vision_model.encoder.layers.0.self_attn.q_proj.bias"), [Float](repeating: 0, count: C))
        XCTAssertEqual(clip.params.floats("vision_model.post_layernorm.weight"), [Float](repeating: 1, count: C))
    }
}
