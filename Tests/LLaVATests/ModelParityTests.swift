// End-to-end parity with transformers 5.23 on the seeded checkpoints of
// Tools/fixtures/make_model_fixtures.py: vision hidden state at the selected layer, projector
// output, logits at every prompt position, and the greedy continuation.
//
// Inputs are the reference's own pixel_values and input_ids, so this checks the model alone
// (the tokenizer and image processor have their own parity tests).
//
// Tolerance: 1e-4 relative, the bar for float32 math, plus an absolute floor of 1e-4 of
// the tensor's largest magnitude (an elementwise relative test is meaningless for values that
// cross zero). Measured: max |diff| 1e-5 on logits of magnitude ~3, from summation order in
// OpenBLAS vs. PyTorch's kernels.
import Foundation
import LLaVA
import LLaVACheckpoint
import LLaVATestSupport
import LLaVATensor
import LlamaText
import XCTest

final class ModelParityTests: XCTestCase {
    static let fixtures = ["llava15_f32", "mistral_gqa_bf16_sharded", "tied_f16_full", "linear_projector"]

    func check(_ c: Comparison, file: StaticString = #filePath, line: UInt = #line) {
        print(c.description)
        XCTAssertTrue(c.passed, c.description, file: file, line: line)
    }

    /// |a - e| <= 1e-4 |e| + 1e-4 max|e|.
    func compareScaled(_ label: String, _ actual: [Float], _ expected: [Float]) -> Comparison {
        let scale = expected.map(abs).max() ?? 0
        return compare(label, actual, expected, rtol: 1e-4, atol: 1e-4 * scale)
    }

    func testEveryFixtureMatchesTransformers() throws {
        for name in Self.fixtures {
            try checkFixture(name)
        }
    }

    func checkFixture(_ name: String) throws {
        let dir = Fixtures.url("models/\(name)")
        let ref = "models/\(name)/reference/"
        let model = try LLaVAModel(directory: dir)
        let pixels = try Fixtures.npy(ref + "pixel_values.npy").floats
        let ids = try Fixtures.npy(ref + "input_ids.npy").ints

        let selected = model.visionFeatures(pixels: pixels)
        check(compareScaled("\(name) vision_selected", selected.data, try Fixtures.npy(ref + "vision_selected.npy").floats))
        let features = model.projector(selected)
        check(compareScaled("\(name) image_features", features.data, try Fixtures.npy(ref + "image_features.npy").floats))

        let embeddings = try model.inputEmbeddings(ids: ids, imageFeatures: features)
        var cache = KVCache(config: model.config.text, capacity: ids.count)
        let logits = model.language.logits(model.language.forward(embeddings, cache: &cache))
        let expected = try Fixtures.npy(ref + "logits.npy")
        XCTAssertEqual(logits.shape, expected.shape, "\(name) logits shape")
        check(compareScaled("\(name) logits", logits.data, expected.floats))
    }

    func testGreedyContinuationsAreIdentical() throws {
        for name in Self.fixtures {
            let ref = "models/\(name)/reference/"
            let model = try LLaVAModel(directory: Fixtures.url("models/\(name)"))
            let pixels = try Fixtures.npy(ref + "pixel_values.npy").floats
            let ids = try Fixtures.npy(ref + "input_ids.npy").ints
            let expected = try Fixtures.npy(ref + "greedy_ids.npy").ints
            let features = model.encodeImage(pixels: pixels)
            var cache = KVCache(config: model.config.text, capacity: ids.count + expected.count)
            var last = model.language.logits(
                model.language.forward(try model.inputEmbeddings(ids: ids, imageFeatures: features), cache: &cache))
            var output: [Int] = []
            while output.count < expected.count {
                let next = Sampler.argmax(Array(last.data[(last.rows - 1) * last.cols ..< last.count]))
                output.append(next)
                last = model.language.logits(
                    model.language.forward(try model.inputEmbeddings(ids: [next], imageFeatures: nil), cache: &cache))
            }
            XCTAssertEqual(output, expected, "\(name): greedy continuation")
        }
    }
}
