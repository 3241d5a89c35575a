// `llava train` end to end on the tiny seeded checkpoint: the SGD identity (one step of plain SGD
// with lr 1 moves every trainable weight by exactly −∂L/∂w), metrics.jsonl, kill-and-resume
// reproducibility, reloading the saved checkpoint, and bad input.
import Foundation
import LLaVA
import LLaVACheckpoint
import LLaVATestSupport
import LLaVATokenizer
import LLaVATraining
import XCTest

final class TrainCLITests: CLITestCase {
    var model: URL { Fixtures.url("models/llava15_f32") }

    /// A small dataset next to a copy of the fixture image: `count` conversations, one text-only.
    func writeData(count: Int = 4, name: String = "data.json") throws -> URL {
        let images = scratch.appendingPathComponent("images")
        try? FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        try? FileManager.default.copyItem(at: Fixtures.url("models/llava15_f32/reference/image.png"),
                                          to: images.appendingPathComponent("a.png"))
        let answers = ["A red circle.", "There are two shapes.", "The square is blue.", "Yes, there is.", "It is small.", "No."]
        var samples: [[String: Any]] = []
        for i in 0..<count {
            var s: [String: Any] = ["id": "s\(i)", "conversations": [
                ["from": "human", "value": (i == 2 ? "" : "<image>\n") + "What is in the picture?"],
                ["from": "gpt", "value": answers[i % answers.count]],
                ["from": "human", "value": "And the colour?"],
                ["from": "gpt", "value": answers[(i + 1) % answers.count]],
            ]]
            if i != 2 { s["image"] = "a.png" }
            samples.append(s)
        }
        let url = scratch.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: samples).write(to: url)
        return url
    }

    func train(_ data: URL, _ output: URL, _ extra: [String]) throws -> CLIResult {
        try llava(["train", "--stage", "2", "--model", model.path, "--data", data.path, "--image-folder",
                   scratch.appendingPathComponent("images").path, "--output", output.path] + extra)
    }

    func testOneSGDStepMovesWeightsByMinusTheGradient() throws {
        let data = try writeData(count: 3)
        let out = scratch.appendingPathComponent("sgd")
        let r = try train(data, out, ["--optimizer", "sgd", "--lr", "1", "--max-steps", "1", "--no-shuffle",
                                      "--batch-size", "3", "--warmup-ratio", "0"])
        XCTAssertEqual(r.status, 0, r.stderr)

        // The same gradient in process: the first 3 samples, tokenized as the CLI does.
        let reference = try TrainableLLaVA(directory: model, stage: .instructionTuning)
        let tokenizer = try Tokenizer(directory: model)
        let dataset = try LLaVADataset.load(file: data, imageFolder: scratch.appendingPathComponent("images"), checkImages: true)
        let samples = try dataset.tokenized(template: .llavaV1, tokenizer: tokenizer, imageTokenCount: reference.config.imageTokenCount,
                                            maxLength: 256).samples
        let pixels = try Fixtures.npy("models/llava15_f32/reference/pixel_values.npy").floats
        let examples = samples.map { s in
            TrainingExample(ids: s.ids, labels: s.labels, visionFeatures: s.imagePath == nil ? nil : reference.visionFeatures(pixels: pixels))
        }
        let targets = examples.reduce(0) { $0 + $1.targetCount }
        _ = reference.lossAndGradients(examples, gradScale: 1 / Float(targets))

        let saved = try SafeTensorsFile(path: out.appendingPathComponent("model.safetensors").path)
        var compared = 0
        for e in reference.params.entries {
            let key = e.name == CheckpointLayout.lmHead ? "language_model.lm_head.weight"
                : (e.name.hasPrefix(CheckpointLayout.text) ? "language_model.model." + e.name.dropFirst(CheckpointLayout.text.count) : e.name)
            let after = try XCTUnwrap(saved.tensors[key], key).floats()
            let before = reference.params.floats(e.name), grad = reference.params.gradient(e.name)
            let expected = zip(before, grad).map { $0 - $1 }  // w − 1 · ∂L/∂w
            let c = compare("SGD \(e.name)", after, expected, rtol: 1e-6, atol: 1e-7)
            XCTAssertTrue(c.passed, c.description)
            compared += 1
        }
        XCTAssertEqual(compared, reference.params.entries.count)
        XCTAssertTrue(reference.params.gradNorm() > 0)
    }

    func testMetricsAndReloadedCheckpoint() throws {
        let data = try writeData(count: 4)
        let out = scratch.appendingPathComponent("run")
        let r = try train(data, out, ["--max-steps", "3", "--batch-size", "2", "--lr", "1e-3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("data: 4 samples (0 truncated to the context, 0 masked by the tokenization rule, 0 skipped for a missing image)"), r.stderr)
        let lines = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        for (i, line) in lines.enumerated() {
            let m = try json(String(line))
            XCTAssertEqual(m["step"] as? Int, i + 1)
            XCTAssertNotNil(m["loss"] as? Double)
            XCTAssertNotNil(m["lr"] as? Double)
            XCTAssertGreaterThan(m["tokens"] as? Int ?? 0, 0)
        }
        // The output directory is a checkpoint the inference path loads and runs.
        let g = try llava(["generate", "--model", out.path, "--image", scratch.appendingPathComponent("images/a.png").path,
                           "--prompt", "Hi", "--max-tokens", "3", "--json"])
        XCTAssertEqual(g.status, 0, g.stderr)
        XCTAssertEqual((try json(g.lastLine)["output_ids"] as? [Int])?.count, 3)
    }

    func testKilledAndResumedRunEndsWithTheSameWeights() throws {
        let data = try writeData(count: 6)
        let args = ["--max-steps", "30", "--batch-size", "2", "--lr", "1e-3", "--save-every", "1", "--seed", "5"]
        let straight = scratch.appendingPathComponent("straight")
        XCTAssertEqual(try train(data, straight, args).status, 0)

        // Start the same run, kill it with SIGKILL once a few checkpoints exist, then resume.
        let interrupted = scratch.appendingPathComponent("interrupted")
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["train", "--stage", "2", "--model", model.path, "--data", data.path, "--image-folder",
                             scratch.appendingPathComponent("images").path, "--output", interrupted.path] + args
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: interrupted.path)) ?? []
            if names.contains(where: { $0.hasPrefix("checkpoint-") && (Int($0.dropFirst(11)) ?? 0) >= 4 }) { break }
            usleep(2000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let metrics = try String(contentsOf: interrupted.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let stepsBeforeKill = metrics.split(separator: "\n").count
        XCTAssertLessThan(stepsBeforeKill, 30, "the run finished before it could be killed; the test proves nothing")
        let resumed = try train(data, interrupted, args + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resumed at step"), resumed.stderr)
        let a = try Data(contentsOf: straight.appendingPathComponent("model.safetensors"))
        let b = try Data(contentsOf: interrupted.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(a, b, "killed after \(stepsBeforeKill) steps and resumed: weights differ from the uninterrupted run")
        let m1 = try String(contentsOf: straight.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try json(String($0))["loss"] as! Double }
        let m2 = try String(contentsOf: interrupted.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try json(String($0))["loss"] as! Double }
        XCTAssertEqual(m1, m2)
    }

    func testBadTrainingInput() throws {
        let images = scratch.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let broken = scratch.appendingPathComponent("broken.json")
        try Data("[{\"id\": \"x\", \"conversations\": [}]".utf8).write(to: broken)
        var r = try train(broken, scratch.appendingPathComponent("o1"), ["--max-steps", "1"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: "), r.stderr)
        XCTAssertTrue(r.stderr.contains("broken.json"), r.stderr)

        let missing = scratch.appendingPathComponent("missing.json")
        try JSONSerialization.data(withJSONObject: [["id": "m1", "image": "nope.png", "conversations": [
            ["from": "human", "value": "<image>\nHi"], ["from": "gpt", "value": "Hello."]]]]).write(to: missing)
        r = try train(missing, scratch.appendingPathComponent("o2"), ["--max-steps", "1"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("nope.png"), r.stderr)

        let data = try writeData(count: 4)
        let out = scratch.appendingPathComponent("nan")
        r = try train(data, out, ["--optimizer", "sgd", "--lr", "1e30", "--max-steps", "4", "--save-every", "1", "--warmup-ratio", "0"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("the loss became NaN or infinite at step"), r.stderr)
        XCTAssertTrue(r.stderr.contains("is intact"), r.stderr)
        // The last good checkpoint is complete and loads.
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix("checkpoint-") }
        XCTAssertEqual(checkpoints.count, 1)
        XCTAssertNoThrow(try LLaVAModel(directory: out.appendingPathComponent(checkpoints[0])))
    }
}
