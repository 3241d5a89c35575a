// `llava demo --quick` end to end: every stage runs, every loss falls, the report has the
// fields the issue asks for, and the final model is a checkpoint `llava generate` runs.
// (Takes ~1.5 minutes on 2 cores.)
import Foundation
import LLaVATestSupport
import XCTest

final class DemoCLITests: CLITestCase {
    func testQuickDemoRunsEveryStageAndReports() throws {
        let out = scratch.appendingPathComponent("demo")
        let r = try llava(["demo", "--quick", "--output", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let results = try json(String(contentsOf: out.appendingPathComponent("results.json"), encoding: .utf8)
            .replacingOccurrences(of: "\n", with: " "))
        let eval = try XCTUnwrap(results["eval"] as? [String: Any])
        for kind in ["colour", "shape", "count", "position", "existence", "reasoning", "overall"] {
            XCTAssertNotNil(eval[kind] as? Double, "eval.\(kind)")
        }
        let splits = try XCTUnwrap(results["splits"] as? [String: Any])
        XCTAssertNotNil((splits["unseen_combinations"] as? [String: Any])?["overall"])
        XCTAssertNotNil((splits["unseen_phrasings"] as? [String: Any])?["overall"])
        // Test accuracy by the number of objects in the scene covers every test question once.
        let byCount = try XCTUnwrap(results["by_object_count"] as? [String: Any])
        XCTAssertTrue(Set(byCount.keys).isSubset(of: ["1", "2", "3", "4", "5"]), "\(byCount.keys)")
        XCTAssertEqual(byCount.values.compactMap { ($0 as? [String: Any])?["questions"] as? Int }.reduce(0, +), eval["questions"] as? Int)
        let controls = try XCTUnwrap(results["controls"] as? [String: Any])
        XCTAssertNotNil((controls["blank_image"] as? [String: Any])?["overall"])
        XCTAssertNotNil((controls["shuffled_image"] as? [String: Any])?["overall"])
        // The trained model uses the image: it beats the blank-image control overall, and on colour,
        // the kind the image decides most directly (measured at the default seed: see README).
        let blank = try XCTUnwrap(controls["blank_image"] as? [String: Any])
        let overall = try XCTUnwrap(eval["overall"] as? Double), blankOverall = try XCTUnwrap(blank["overall"] as? Double)
        XCTAssertGreaterThan(overall, blankOverall, "overall accuracy with the real image vs a blank one")
        let colour = try XCTUnwrap(eval["colour"] as? Double), blankColour = try XCTUnwrap(blank["colour"] as? Double)
        XCTAssertGreaterThan(colour, blankColour + 0.15, "colour accuracy with the real image vs a blank one")
        // The same test questions with LLaVA-1.5's short-answer prompt, on the image and on a blank one
        // (--quick trains without short-answer samples, so only their presence is checked).
        let short = try XCTUnwrap(results["short_answer_prompt"] as? [String: Any])
        for part in ["test", "blank_image"] {
            XCTAssertEqual((short[part] as? [String: Any])?["questions"] as? Int, eval["questions"] as? Int, part)
        }
        let stages = try XCTUnwrap(results["stages"] as? [[String: Any]])
        let trained = stages.filter { ($0["steps"] as? Int ?? 0) > 0 }
        XCTAssertEqual(trained.map { $0["name"] as! String },
                       ["CLIP pretraining", "LM pretraining", "stage 1: feature alignment", "stage 2: visual instruction tuning"])
        for s in trained {
            let first = s["first_loss"] as! Double, last = s["last_loss"] as! Double
            XCTAssertLessThan(last, first, "\(s["name"]!): loss did not fall")
        }
        for file in ["results.md", "loss-stage-2-visual-instruction-tuning.svg", "clip/model.safetensors", "llava/config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), file)
        }
        // What transformers' LlavaProcessor reads to expand <image> (16-px patches in the demo).
        let processor = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("llava/processor_config.json"))) as! [String: Any]
        XCTAssertEqual(processor["patch_size"] as? Int, 16)
        XCTAssertEqual(processor["vision_feature_select_strategy"] as? String, "default")
        let g = try llava(["generate", "--model", out.appendingPathComponent("llava").path,
                           "--image", out.appendingPathComponent("data/images/scene-000000.png").path,
                           "--prompt", "What color is the circle?", "--max-tokens", "12"])
        XCTAssertEqual(g.status, 0, g.stderr)
    }

    /// --pretrained must point at a finished run with the same data and tokenizer.
    func testPretrainedFromAnUnrelatedDirectoryIsRefused() throws {
        let empty = scratch.appendingPathComponent("not-a-demo")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let r = try llava(["demo", "--quick", "--pretrained", empty.path, "--output", scratch.appendingPathComponent("out").path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("cannot reuse the pretrained CLIP and Llama in \(empty.path): its tokenizer/tokenizer.json is missing"),
                      r.stderr)
    }
}
