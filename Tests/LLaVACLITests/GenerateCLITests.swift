// `llava generate` end to end on the seeded fixtures: image file → our decoder and preprocessing
// → our tokenizer → the model, against transformers' input_ids, logits and greedy ids.
import Foundation
import LLaVACheckpoint
import LLaVATestSupport
import XCTest

final class GenerateCLITests: CLITestCase {
    static let fixtures = ["llava15_f32", "mistral_gqa_bf16_sharded", "tied_f16_full", "linear_projector"]

    func testJSONAndLogitsMatchTransformers() throws {
        for name in Self.fixtures {
            let ref = Fixtures.url("models/\(name)/reference")
            let prompt = try String(contentsOf: ref.appendingPathComponent("prompt.txt"), encoding: .utf8)
            let logitsURL = scratch.appendingPathComponent("\(name).npy")
            let r = try llava(["generate", "--model", Fixtures.url("models/\(name)").path,
                               "--image", ref.appendingPathComponent("image.png").path, "--raw-prompt", prompt,
                               "--max-tokens", "24", "--json", "--dump-logits", logitsURL.path])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            let out = try json(r.lastLine)
            XCTAssertEqual(out["input_ids"] as? [Int], try Fixtures.npy("models/\(name)/reference/input_ids.npy").ints, name)
            XCTAssertEqual(out["output_ids"] as? [Int], try Fixtures.npy("models/\(name)/reference/greedy_ids.npy").ints, name)
            XCTAssertNotNil(out["text"] as? String)
            let logits = try NPYArray.read(logitsURL)
            let expected = try Fixtures.npy("models/\(name)/reference/logits.npy")
            XCTAssertEqual(logits.shape, expected.shape, name)
            let scale = expected.floats.map(abs).max()!
            let c = compare("\(name) CLI logits", logits.floats, expected.floats, rtol: 1e-4, atol: 1e-4 * scale)
            XCTAssertTrue(c.passed, c.description)
        }
    }

    func testChatTemplateFromCheckpoint() throws {
        // llava15_f32's prompt.txt is the llava-1.5 template around this message; mistral's is [INST].
        for (name, message) in [("llava15_f32", "What is in the picture?"), ("mistral_gqa_bf16_sharded", "What shape is at the top?")] {
            let ref = Fixtures.url("models/\(name)/reference")
            let r = try llava(["generate", "--model", Fixtures.url("models/\(name)").path,
                               "--image", ref.appendingPathComponent("image.png").path, "--prompt", message,
                               "--max-tokens", "3", "--json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try json(r.lastLine)["input_ids"] as? [Int],
                           try Fixtures.npy("models/\(name)/reference/input_ids.npy").ints, name)
        }
    }

    func testSamplingIsSeeded() throws {
        let ref = Fixtures.url("models/llava15_f32/reference")
        let args = ["generate", "--model", Fixtures.url("models/llava15_f32").path,
                    "--image", ref.appendingPathComponent("image.png").path, "--prompt", "Hi",
                    "--max-tokens", "12", "--temperature", "1.5", "--top-k", "50", "--top-p", "0.95", "--json"]
        let a = try json(llava(args + ["--seed", "7"]).lastLine)["output_ids"] as? [Int]
        let b = try json(llava(args + ["--seed", "7"]).lastLine)["output_ids"] as? [Int]
        let c = try json(llava(args + ["--seed", "8"]).lastLine)["output_ids"] as? [Int]
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(a?.count, 12)
    }
}
