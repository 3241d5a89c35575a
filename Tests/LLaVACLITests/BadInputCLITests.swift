// Bad input gets "error: …" naming what and where, exit status 1, never a crash.
import Foundation
import LLaVATestSupport
import XCTest

final class BadInputCLITests: CLITestCase {
    var image: String { Fixtures.url("models/llava15_f32/reference/image.png").path }

    func generate(_ model: String, _ extra: [String] = ["--prompt", "Hi"]) throws -> CLIResult {
        try llava(["generate", "--model", model, "--image", image, "--max-tokens", "2"] + extra)
    }

    func testMissingCheckpoint() throws {
        let dir = scratch.appendingPathComponent("nothing").path
        let r = try generate(dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: \(dir)/config.json: file not found. Is --model a Hugging Face checkpoint directory?\n")
    }

    func testTruncatedWeights() throws {
        let dir = try copyOfFixture("llava15_f32")
        let file = dir.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: file)
        try data.prefix(data.count / 2).write(to: file)
        let r = try generate(dir.path)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(file.path): tensor '"), r.stderr)
        XCTAssertTrue(r.stderr.hasSuffix("(file truncated or corrupt?)\n"), r.stderr)
    }

    func testMissingAndUnusedTensors() throws {
        let dir = try copyOfFixture("llava15_f32")
        var config = try String(contentsOf: dir.appendingPathComponent("config.json"), encoding: .utf8)
        config = config.replacingOccurrences(of: "\"num_hidden_layers\": 2", with: "\"num_hidden_layers\": 3")
        try config.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let r = try generate(dir.path)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(dir.path): checkpoint lacks "), r.stderr)
        XCTAssertTrue(r.stderr.contains("language_model.layers.2.input_layernorm.weight"), r.stderr)
    }

    func testUnsupportedModelType() throws {
        let dir = try copyOfFixture("llava15_f32")
        let url = dir.appendingPathComponent("config.json")
        let config = try String(contentsOf: url, encoding: .utf8)
            .replacingOccurrences(of: "\"model_type\": \"llama\"", with: "\"model_type\": \"qwen2\"")
        try config.write(to: url, atomically: true, encoding: .utf8)
        let r = try generate(dir.path)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: \(url.path): text_config.model_type \"qwen2\" is not supported; supported: llama, mistral\n")
    }

    func testPromptWithoutImage() throws {
        let r = try generate(Fixtures.url("models/llava15_f32").path, ["--raw-prompt", "USER: hello ASSISTANT:"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: the prompt has no <image> token: \"USER: hello ASSISTANT:\". Put <image> where the image goes "
            + "(with --prompt the chat template adds it for you).\n")
    }

    func testPromptLongerThanContext() throws {
        let long = String(repeating: "shape ", count: 400)
        let r = try generate(Fixtures.url("models/llava15_f32").path, ["--prompt", long])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: the prompt is "), r.stderr)
        XCTAssertTrue(r.stderr.hasSuffix("tokens (image tokens included) but the model's context is 256 (max_position_embeddings); shorten the prompt or lower --max-tokens\n"), r.stderr)
    }

    func testMissingImage() throws {
        let missing = scratch.appendingPathComponent("none.jpg").path
        let r = try llava(["generate", "--model", Fixtures.url("models/llava15_f32").path, "--image", missing, "--prompt", "Hi"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: "), r.stderr)
        XCTAssertTrue(r.stderr.contains(missing), r.stderr)
    }

    func testBothPromptFlagsRejected() throws {
        let r = try generate(Fixtures.url("models/llava15_f32").path, ["--prompt", "a", "--raw-prompt", "<image>"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("give exactly one of --prompt and --raw-prompt"), r.stderr)
    }
}
