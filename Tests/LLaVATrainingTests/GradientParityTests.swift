// Loss and every parameter's gradient against PyTorch autograd (Tools/fixtures/
// make_training_fixtures.py, transformers 5.23, float32), for stage 1 (projector only), stage 2
// (projector + LLM), LoRA, GQA/Mistral and tied embeddings.
//
// Tolerances: loss 1e-5 relative (summation order alone moves it by ~3 ulp); gradients
// |a − e| ≤ 1e-4 |e| + 1e-4 · max|e| per tensor (the 1e-4 relative, with a floor at the
// tensor's scale for entries that are near zero).
import Foundation
import LLaVA
import LLaVATensor
import LLaVATestSupport
import LLaVATraining
import XCTest

final class GradientParityTests: XCTestCase {
    func batch(_ file: String, model: TrainableLLaVA) throws -> [TrainingExample] {
        let b = try SafeTensorsFixture(Fixtures.url("training/\(file).safetensors"))
        var out: [TrainingExample] = []
        var i = 0
        while let ids = b.ints["input_ids_\(i)"] {
            let features = b.floats["pixel_values_\(i)"].map { model.visionFeatures(pixels: $0) }
            out.append(TrainingExample(ids: ids, labels: b.ints["labels_\(i)"]!, visionFeatures: features))
            i += 1
        }
        return out
    }

    func loss(_ name: String) throws -> Double { Double(try Fixtures.npy("training/loss_\(name).npy").floats[0]) }

    /// Runs one loss + backward and compares with the fixture's loss and gradients.
    func checkGradients(fixture: String, batchFile: String, grads: String, stage: TrainingStage, lora: LoRAConfig? = nil,
                        file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try TrainableLLaVA(directory: Fixtures.url("models/\(fixture)"), stage: stage, lora: lora)
        if lora != nil {
            let initial = try SafeTensorsFixture(Fixtures.url("training/lora_init.safetensors"))
            for (name, values) in initial.floats {
                let p = model.params[name]
                XCTAssertEqual(p.count, values.count, name)
                p.value.update(from: values, count: values.count)
            }
        }
        let examples = try batch(batchFile, model: model)
        let targets = examples.reduce(0) { $0 + $1.targetCount }
        let r = model.lossAndGradients(examples, gradScale: 1 / Float(targets))
        XCTAssertEqual(r.count, targets)
        let expectedLoss = try loss(grads)
        XCTAssertEqual(r.sum / Double(r.count), expectedLoss, accuracy: 1e-5 * expectedLoss, "\(grads) loss", file: file, line: line)

        let expected = try SafeTensorsFixture(Fixtures.url("training/grads_\(grads).safetensors"))
        let trainable = Set(model.params.entries.filter(\.trainable).map(\.name))
        XCTAssertEqual(trainable, Set(expected.floats.keys), "\(grads): trainable parameters", file: file, line: line)
        var worst = (name: "", rel: Float(0))
        for name in expected.floats.keys.sorted() where trainable.contains(name) {
            let e = expected.floats[name]!
            let scale = e.map(abs).max() ?? 0
            let c = compare("\(grads) d\(name)", model.params.gradient(name), e, rtol: 1e-4, atol: 1e-4 * scale)
            XCTAssertTrue(c.passed, c.description, file: file, line: line)
            if c.maxAbs / max(scale, 1e-30) > worst.rel { worst = (name, c.maxAbs / max(scale, 1e-30)) }
        }
        print("\(grads): loss \(r.sum / Double(r.count)) vs \(expectedLoss); \(expected.floats.count) gradients, "
            + "worst max|diff|/max|g| \(worst.rel) (\(worst.name))")
    }

    func testStage1ProjectorOnly() throws {
        try checkGradients(fixture: "llava15_f32", batchFile: "batch", grads: "stage1", stage: .featureAlignment)
    }

    func testStage2FullModel() throws {
        try checkGradients(fixture: "llava15_f32", batchFile: "batch", grads: "stage2", stage: .instructionTuning)
    }

    func testStage2LoRA() throws {
        try checkGradients(fixture: "llava15_f32", batchFile: "batch", grads: "lora", stage: .instructionTuning,
                           lora: LoRAConfig(rank: 2, alpha: 4, targets: ["q_proj", "v_proj"]))
    }

    func testMistralGQA() throws {
        try checkGradients(fixture: "mistral_gqa_bf16_sharded", batchFile: "mistral_batch", grads: "mistral_stage2",
                           stage: .instructionTuning)
    }

    func testTiedEmbeddings() throws {
        try checkGradients(fixture: "tied_f16_full", batchFile: "tied_batch", grads: "tied_stage2", stage: .instructionTuning)
    }
}
