// Every CLIP vision-tower gradient against PyTorch autograd, for the scalar loss
// Σ hidden_states[-2][:, 1:] ⊙ R (R fixed, random): patch conv, class and position embeddings,
// pre_layrnorm, and each encoder layer (layer norms, attention, quick_gelu MLP).
import Foundation
import LLaVA
import LLaVACheckpoint
import LLaVATestSupport
import LLaVATraining
import XCTest

final class CLIPGradientTests: XCTestCase {
    func testVisionTowerGradientsMatchPyTorch() throws {
        let dir = Fixtures.url("models/llava15_f32")
        let config = try LLaVAConfig(directory: dir)
        let tensors = try CheckpointLayout.canonicalize(CheckpointFiles.loadTensors(directory: dir))
        let layers = config.visionLayersToRun
        let prefix = CheckpointLayout.vision
        let names = tensors.keys.sorted().filter { name in
            guard name.hasPrefix(prefix), !name.contains("post_layernorm") else { return false }
            if let r = name.range(of: "encoder.layers.") {
                return Int(name[r.upperBound...].prefix { $0 != "." })! < layers
            }
            return true
        }
        let params = ParameterSet(names.map { ($0, tensors[$0]!.shape, tensors[$0]!.floats(), true) })
        let clip = TrainableCLIPVision(config: config.vision, params: params, prefix: prefix, layers: layers)
        let batch = try SafeTensorsFixture(Fixtures.url("training/batch.safetensors"))
        let R = try Fixtures.npy("training/clip_R.npy").floats
        let C = config.vision.hiddenSize
        let out = clip.forward([batch.floats["pixel_values_0"]!])
        var loss = 0.0
        var dOut = [Float](repeating: 0, count: out.count)
        for i in 0..<R.count {
            loss += Double(out[C + i]) * Double(R[i])
            dOut[C + i] = R[i]
        }
        let expectedLoss = Double(try Fixtures.npy("training/loss_clip.npy").floats[0])
        XCTAssertEqual(loss, expectedLoss, accuracy: 1e-5 * abs(expectedLoss))
        clip.backward(dOut)
        let expected = try SafeTensorsFixture(Fixtures.url("training/grads_clip.safetensors"))
        XCTAssertEqual(Set(expected.floats.keys), Set(names))
        // The k_proj bias's true gradient is exactly 0 (adding q·b to a whole softmax row changes
        // nothing), so both sides hold float noise (~1e-8): the absolute floor is 1e-5 of the
        // largest gradient in the tower, besides 1e-4 of each tensor's own scale.
        let global = expected.floats.values.map { $0.map(abs).max()! }.max()!
        for (name, e) in expected.floats {
            let scale = e.map(abs).max()!
            let c = compare("d\(name)", params.gradient(name), e, rtol: 1e-4, atol: max(1e-4 * scale, 1e-5 * global))
            XCTAssertTrue(c.passed, c.description)
        }
    }
}
