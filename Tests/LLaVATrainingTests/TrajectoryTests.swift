// Ten optimizer steps through the real Trainer (AdamW, cosine schedule with warmup, gradient
// clipping, weight decay on matrices only) against the same ten steps in PyTorch. Losses are
// compared to 1e-4 relative, as the issue asks; the final weights too.
import Foundation
import LLaVA
import LLaVATensor
import LLaVATestSupport
import LlamaText
import LLaVATraining
import XCTest

final class TrajectoryTests: XCTestCase {
    /// The fixture batch as trainer samples, images served from memory.
    func fixtureSamples() throws -> ([PreparedSample], [URL: [Float]]) {
        let batch = try SafeTensorsFixture(Fixtures.url("training/batch.safetensors"))
        var samples: [PreparedSample] = []
        var pixels: [URL: [Float]] = [:]
        var i = 0
        while let ids = batch.ints["input_ids_\(i)"] {
            var path: URL?
            if let px = batch.floats["pixel_values_\(i)"] {
                path = URL(fileURLWithPath: "/fixture-image-\(i)")
                pixels[path!] = px
            }
            samples.append(PreparedSample(ids: ids, labels: batch.ints["labels_\(i)"]!, imagePath: path))
            i += 1
        }
        return (samples, pixels)
    }

    func run(_ key: String, options: TrainingOptions) throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("training/trajectory.json"))) as! [String: Any]
        let spec = json[key] as! [String: Any]
        let steps = spec["steps"] as! [[String: Any]]
        let (samples, pixels) = try fixtureSamples()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("traj-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let trainer = try Trainer(source: Fixtures.url("models/llava15_f32"), output: output, options: options,
                                  samples: samples, loadPixels: { pixels[$0]! })
        var metrics: [StepMetrics] = []
        try trainer.run { metrics.append($0) }
        XCTAssertEqual(metrics.count, steps.count)
        for (m, s) in zip(metrics, steps) {
            let loss = s["loss"] as! Double, lr = s["lr"] as! Double, norm = s["grad_norm_pre_clip"] as! Double
            XCTAssertEqual(m.loss, loss, accuracy: 1e-4 * loss, "\(key) step \(m.step) loss")
            XCTAssertEqual(Double(m.lr), lr, accuracy: 1e-7, "\(key) step \(m.step) lr")
            XCTAssertEqual(m.gradNorm, norm, accuracy: 1e-4 * norm, "\(key) step \(m.step) grad norm")
        }
        print("\(key): losses " + metrics.map { String(format: "%.5f", $0.loss) }.joined(separator: " ")
            + " vs PyTorch " + steps.map { String(format: "%.5f", $0["loss"] as! Double) }.joined(separator: " "))
        let final = try SafeTensorsFixture(Fixtures.url(key == "stage2" ? "training/trajectory_final.safetensors"
                                                                          : "training/trajectory_stage1_final.safetensors"))
        for (name, expected) in final.floats {
            let scale = expected.map(abs).max()!
            let c = compare("\(key) final \(name)", trainer.model.params.floats(name), expected, rtol: 1e-4, atol: 1e-4 * scale)
            XCTAssertTrue(c.passed, c.description)
        }
        // The HF checkpoint written at the end reloads with the inference loader and gives the same
        // logits as the trained parameters in memory.
        let reloaded = try LLaVAModel(directory: output)
        let inMemory = try LLaVAModel(config: trainer.model.config, tensors: Dictionary(uniqueKeysWithValues:
            trainer.model.params.entries.map { ($0.name, Weight(shape: $0.shape, values: trainer.model.params.floats($0.name))) }
            + trainer.model.visionTensors.map { ($0.key, $0.value) }), directory: "memory")
        let ids = samples[0].ids
        let px = pixels[samples[0].imagePath!]!
        func logits(_ m: LLaVAModel) throws -> [Float] {
            var cache = KVCache(config: m.config.text, capacity: ids.count)
            let x = try m.inputEmbeddings(ids: ids, imageFeatures: m.encodeImage(pixels: px))
            return m.language.logits(m.language.forward(x, cache: &cache)).data
        }
        XCTAssertEqual(try logits(reloaded), try logits(inMemory), "saved and reloaded checkpoint changes the logits")
    }

    /// Gradient accumulation: 3 micro-batches of 1 give the same update as one batch of 3.
    func testGradientAccumulationEqualsTheLargerBatch() throws {
        let (samples, pixels) = try fixtureSamples()
        var finals: [[Float]] = []
        for (batch, accum) in [(3, 1), (1, 3)] {
            var o = TrainingOptions()
            o.stage = .instructionTuning
            o.maxSteps = 1
            o.batchSize = batch
            o.gradAccum = accum
            o.optimizer = .sgd
            o.lr = 1
            o.warmupRatio = 0
            o.shuffle = false
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("accum-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: output) }
            let trainer = try Trainer(source: Fixtures.url("models/llava15_f32"), output: output, options: o, samples: samples,
                                      loadPixels: { pixels[$0]! })
            try trainer.run()
            finals.append(Array(UnsafeBufferPointer(start: trainer.model.params.values, count: trainer.model.params.count)))
        }
        // Different packings round differently (GEMM blocking): with lr = 1 the largest parameter
        // difference is 3.0e-6 with glibc's expf in SwiGLU and 3.1e-6 with the AVX-512 kernel.
        let c = compare("batch 3 vs 3 × accumulated batch 1", finals[1], finals[0], rtol: 1e-5, atol: 2e-6)
        XCTAssertTrue(c.passed, c.description)
    }

    func testStage2AdamWTrajectoryMatchesPyTorch() throws {
        var o = TrainingOptions()
        o.stage = .instructionTuning
        o.maxSteps = 10
        o.batchSize = 3
        o.lr = 1e-3
        o.weightDecay = 0.01
        o.warmupRatio = 0.1
        o.shuffle = false
        o.maxGradNorm = 1
        try run("stage2", options: o)
    }

    func testStage1AdamWTrajectoryMatchesPyTorch() throws {
        var o = TrainingOptions()
        o.stage = .featureAlignment
        o.maxSteps = 10
        o.batchSize = 3
        o.lr = 1e-2
        o.weightDecay = 0
        o.warmupRatio = 0
        o.shuffle = false
        try run("stage1", options: o)
    }
}
