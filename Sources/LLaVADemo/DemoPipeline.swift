// `llava demo`: every stage of LLaVA, for real, on ShapesWorld — data → tokenizer → CLIP
// pretraining → language-model pretraining → assemble a LLaVA with a fresh projector → stage 1
// (projector on captions) → stage 2 (projector + LLM on conversations) → evaluation. The LLaVA
// stages go through the same Trainer and data code as `llava train`.
import CLIPVision
import Foundation
import LLaVA
import LLaVACheckpoint
import LLaVAImage
import LLaVATokenizer
import LLaVATraining
import LlamaText
import ShapesWorld

public struct StageLog: Sendable {
    public var name: String
    public var seconds: Double
    public var losses: [Double]
}

public final class DemoPipeline {
    public let settings: DemoSettings
    public let output: URL
    /// Called with (stage, step, total, loss?) as work progresses.
    public var onProgress: (String, Int, Int, Double?) -> Void = { _, _, _, _ in }
    public var onMessage: (String) -> Void = { _ in }
    public private(set) var stages: [StageLog] = []

    public init(settings: DemoSettings, output: URL) {
        self.settings = settings
        self.output = output
    }

    var dataDir: URL { output.appendingPathComponent("data") }

    func timed<T>(_ name: String, _ body: () throws -> (T, [Double])) rethrows -> T {
        let start = Date()
        onMessage("▸ \(name)")
        let (value, losses) = try body()
        stages.append(StageLog(name: name, seconds: Date().timeIntervalSince(start), losses: losses))
        return value
    }

    /// Runs everything and writes the report; returns the results (also in results.json).
    @discardableResult
    public func run() throws -> DemoResults {
        let s = settings
        let started = Date()
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let summary = try timed("data") {
            (try ShapesWorldDataset.write(to: dataDir, scenes: s.scenes, seed: s.seed, evalScenes: s.evalScenes, size: s.imageSize,
                                          samplesPerScene: s.samplesPerScene), [Double]())
        }
        let tokenizerDir = output.appendingPathComponent("tokenizer")
        let tokenizer = try timed("tokenizer") { (try buildTokenizer(at: tokenizerDir), [Double]()) }
        let processor = ImageProcessor(config: try ImageProcessorConfig(directory: tokenizerDir))

        // CLIP pretraining on (image, caption) pairs from the stage-1 data.
        let pairs = try captionPairs(processor: processor)
        let (clip, clipResult) = try timed("CLIP pretraining") { () -> ((TrainableCLIP, CLIPResult), [Double]) in
            let r = try CLIPPretraining.train(pairs: pairs, tokenizer: tokenizer, settings: s, processor: processor) { step, loss in
                self.onProgress("CLIP", step, s.clipSteps, loss)
            }
            return (r, r.1.losses)
        }
        try CheckpointFactory.writeCLIP(clip, to: output.appendingPathComponent("clip"))
        onMessage("  CLIP zero-shot accuracy \(percent(clipResult.zeroShotAccuracy)) (shape \(percent(clipResult.zeroShotShapeAccuracy))); "
            + "with \"a {colour} {shape}\" prompts \(percent(clipResult.captionPromptAccuracy)) (shape \(percent(clipResult.captionPromptShapeAccuracy)))")

        // A LLaVA with the CLIP tower and a random Llama; LM pretraining trains the Llama on text.
        let text = llamaConfig(vocabularySize: tokenizer.vocabularySize, tokenizer: tokenizer)
        let initDir = output.appendingPathComponent("llava-init")
        try writeLLaVA(initDir, text: text, clip: clip, language: RandomInit.llama(text, tied: false, seed: s.seed &+ 200),
                       projector: .mlp2xGELU, tokenizer: tokenizerDir, seed: s.seed &+ 300)
        let lmDir = output.appendingPathComponent("lm")
        try train("LM pretraining", source: initDir, output: lmDir, stage: .languageModel, samples: try lmSamples(tokenizer),
                  epochs: s.lmEpochs, batch: s.lmBatch, lr: s.lmLR)

        // Assemble: the pretrained Llama, the CLIP tower, a freshly initialised projector.
        let assembled = output.appendingPathComponent("llava-assembled")
        let lmTensors = try CheckpointLayout.canonicalize(CheckpointFiles.loadTensors(directory: lmDir))
        let language = lmTensors.keys.sorted().filter { $0.hasPrefix(CheckpointLayout.text) || $0 == CheckpointLayout.lmHead }
            .map { ($0, lmTensors[$0]!.shape, lmTensors[$0]!.floats(), true) }
        try writeLLaVA(assembled, text: text, clip: clip, language: language, projector: s.projector, tokenizer: tokenizerDir,
                       seed: s.seed &+ 400)

        let config = try LLaVAConfig(directory: assembled)
        var current = assembled
        if !s.skipStage1 {
            let dir = output.appendingPathComponent("stage1")
            let (samples, _, _) = try PreparedSample.load(data: dataDir.appendingPathComponent("pretrain.json"),
                                                          imageFolder: dataDir.appendingPathComponent("images"), template: .plain,
                                                          tokenizer: tokenizer, config: config)
            try train("stage 1: feature alignment", source: current, output: dir, stage: .featureAlignment, samples: samples,
                      epochs: s.stage1Epochs, batch: s.stage1Batch, lr: s.stage1LR)
            current = dir
        }
        if !s.stage1Only {
            let dir = output.appendingPathComponent("stage2")
            var (samples, _, _) = try PreparedSample.load(data: dataDir.appendingPathComponent("instruct.json"),
                                                          imageFolder: dataDir.appendingPathComponent("images"), template: .llavaV1,
                                                          tokenizer: tokenizer, config: config)
            if s.trainFraction < 1 { samples = Array(samples.prefix(Int(Double(samples.count) * s.trainFraction))) }
            try train(s.freezeLLM ? "stage 2: instruction tuning (LLM frozen)" : "stage 2: visual instruction tuning",
                      source: current, output: dir, stage: s.freezeLLM ? .featureAlignment : .instructionTuning, samples: samples,
                      epochs: s.stage2Epochs, batch: s.stage2Batch, lr: s.stage2LR)
            current = dir
        }
        let finalDir = output.appendingPathComponent("llava")
        try? FileManager.default.removeItem(at: finalDir)
        try FileManager.default.createDirectory(at: finalDir, withIntermediateDirectories: true)
        for f in try FileManager.default.contentsOfDirectory(atPath: current.path)
        where !f.hasPrefix("checkpoint-") && !f.hasPrefix(".") && f != "metrics.jsonl" {
            try FileManager.default.copyItem(at: current.appendingPathComponent(f), to: finalDir.appendingPathComponent(f))
        }

        // Evaluation.
        var evaluator = try Evaluator(model: finalDir, data: dataDir)
        let records = try Evaluator.records(dataDir)
        let eval = try timed("evaluation") { () -> ((splits: [String: Accuracy], blank: Accuracy, shuffled: Accuracy, examples: [Example]), [Double]) in
            (try evaluator.run(records) { self.onProgress("eval", $0, $1, nil) }, [])
        }
        let baseline = try Evaluator.questionOnlyBaseline(records, settings: s)
        let scenes = try sceneObjects()
        let testScenes = Array(Set(records.filter { $0.split == "test" }.map(\.sceneID))).sorted()
        let description = try timed("descriptions") { () -> ((precision: Double, recall: Double, example: String), [Double]) in
            (try evaluator.descriptions(sceneIDs: testScenes, scenes: scenes) { self.onProgress("describe", $0, $1, nil) }, [])
        }
        let results = DemoResults(settings: s, summary: summary, clip: clipResult, stages: stages, splits: eval.splits,
                                  blank: eval.blank, shuffled: eval.shuffled, baseline: baseline, examples: eval.examples,
                                  descriptionPrecision: description.precision, descriptionRecall: description.recall,
                                  descriptionExample: description.example, seconds: Date().timeIntervalSince(started),
                                  modelDirectory: finalDir.path, parameters: try parameterCounts(finalDir))
        try DemoReport.write(results, to: output)
        return results
    }

    // MARK: pieces

    func buildTokenizer(at dir: URL) throws -> Tokenizer {
        var corpus = try String(contentsOf: dataDir.appendingPathComponent("lm_corpus.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        corpus.append(ChatTemplate.vicunaSystem + " USER: ASSISTANT:")
        let (json, config) = try BPETrainer.train(corpus: corpus, vocabularySize: settings.vocabularySize,
                                                  modelMaxLength: settings.maxPositions)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try json.write(to: dir.appendingPathComponent("tokenizer.json"))
        try config.write(to: dir.appendingPathComponent("tokenizer_config.json"))
        try CheckpointFactory.imageProcessorJSON(size: settings.imageSize).write(to: dir.appendingPathComponent("preprocessor_config.json"))
        return try Tokenizer(directory: dir)
    }

    /// CLIP's training pairs: the stage-1 (image, brief caption) pairs, plus as many single-object
    /// scenes captioned "a {size} {colour} {shape}". With 8 colours, a batch of multi-object scenes
    /// is told apart by colours alone and CLIP learned no shape at all (zero-shot shape accuracy at
    /// chance, 15.6%); single objects that share a colour make shape necessary. They obey the
    /// held-out combinations like all training data.
    func captionPairs(processor: ImageProcessor) throws -> [(pixels: [Float], caption: String)] {
        let data = try Data(contentsOf: dataDir.appendingPathComponent("pretrain.json"))
        let samples = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        var pairs = try samples.map { s -> (pixels: [Float], caption: String) in
            let turns = s["conversations"] as! [[String: String]]
            let image = try ImageDecoder.decode(fileAt: dataDir.appendingPathComponent("images").appendingPathComponent(s["image"] as! String))
            return (try processor.preprocess(image).values, turns.last!["value"]!)
        }
        let generator = try SceneGenerator(seed: settings.seed &+ 500, size: settings.imageSize, composition: .training,
                                           heldOutCombinations: SceneGenerator.heldOutCombinations(seed: settings.seed),
                                           objectCount: 1...1)
        for i in 0..<samples.count {
            let scene = generator.scene(index: i)
            let o = scene.objects[0]
            let px = try processor.preprocess(RGBImage(width: scene.width, height: scene.height, pixels: scene.pixels)).values
            pairs.append((px, "a \(o.size.rawValue) \(o.color.rawValue) \(o.shape.rawValue)"))
        }
        return pairs
    }

    func llamaConfig(vocabularySize: Int, tokenizer: Tokenizer) -> LlamaConfig {
        var c = LlamaConfig()
        let s = settings
        c.vocabSize = vocabularySize
        c.hiddenSize = s.llmHidden
        c.intermediateSize = s.llmMLP
        c.numHiddenLayers = s.llmLayers
        c.numAttentionHeads = s.llmHeads
        c.numKeyValueHeads = s.llmKVHeads
        c.headDim = s.llmHidden / s.llmHeads
        c.maxPositionEmbeddings = s.maxPositions
        c.rmsNormEps = 1e-5
        c.bosTokenID = tokenizer.bosTokenID
        c.eosTokenIDs = tokenizer.eosTokenID.map { [$0] } ?? []
        return c
    }

    func writeLLaVA(_ dir: URL, text: LlamaConfig, clip: TrainableCLIP, language: [RandomInit.Spec],
                    projector: LLaVAConfig.ProjectorType, tokenizer: URL, seed: UInt64) throws {
        let imageToken = try Tokenizer(directory: tokenizer).id(for: "<image>")!
        let pad = try Tokenizer(directory: tokenizer).id(for: "<pad>")
        let configData = try CheckpointFactory.llavaConfigJSON(vision: clip.vision, text: text, imageTokenIndex: imageToken,
                                                               padTokenID: pad, projector: projector, featureLayer: -2)
        let config = try LLaVAConfig(data: configData, path: dir.appendingPathComponent("config.json").path)
        var tensors: [(name: String, shape: [Int], values: [Float])] = clip.params.entries
            .filter { $0.name.hasPrefix("vision_model.") }
            .map { (CheckpointLayout.vision + $0.name.dropFirst("vision_model.".count), $0.shape, clip.params.floats($0.name)) }
        tensors += language.map { ($0.name, $0.shape, $0.values) }
        tensors += RandomInit.projector(config, seed: seed).map { ($0.name, $0.shape, $0.values) }
        try CheckpointFactory.writeLLaVA(to: dir, config: configData, tensors: tensors,
                                         tokenizer: Data(contentsOf: tokenizer.appendingPathComponent("tokenizer.json")),
                                         tokenizerConfig: Data(contentsOf: tokenizer.appendingPathComponent("tokenizer_config.json")),
                                         imageSize: settings.imageSize)
    }

    /// Next-token samples over the text corpus: every token after BOS is a target.
    func lmSamples(_ tokenizer: Tokenizer) throws -> [PreparedSample] {
        let eos = tokenizer.eosTokenID ?? 2
        return try String(contentsOf: dataDir.appendingPathComponent("lm_corpus.txt"), encoding: .utf8)
            .split(separator: "\n").map { line in
                let ids = Array((tokenizer.encode(String(line)) + [eos]).prefix(settings.maxPositions))
                return PreparedSample(ids: ids, labels: [-100] + ids.dropFirst(), imagePath: nil)
            }
    }

    func train(_ name: String, source: URL, output dir: URL, stage: TrainingStage, samples: [PreparedSample],
               epochs: Int, batch: Int, lr: Float) throws {
        var o = TrainingOptions()
        o.stage = stage
        o.epochs = epochs
        o.batchSize = batch
        o.lr = lr
        o.warmupRatio = 0.03
        o.seed = settings.seed
        let processor = ImageProcessor(config: try ImageProcessorConfig(directory: source))
        try? FileManager.default.removeItem(at: dir)
        let trainer = try Trainer(source: source, output: dir, options: o, samples: samples) { url in
            try processor.preprocess(try ImageDecoder.decode(fileAt: url)).values
        }
        try timed(name) { () -> ((), [Double]) in
            var losses: [Double] = []
            try trainer.run { m in
                losses.append(m.loss)
                self.onProgress(name, m.step, m.totalSteps, m.loss)
            }
            return ((), losses)
        }
    }

    func sceneObjects() throws -> [String: [(String, String)]] {
        var out: [String: [(String, String)]] = [:]
        let text = try String(contentsOf: dataDir.appendingPathComponent("scenes.json"), encoding: .utf8)
        let scenes = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [[String: Any]]
        for s in scenes {
            out[s["id"] as! String] = (s["objects"] as! [[String: Any]]).map { ($0["color"] as! String, $0["shape"] as! String) }
        }
        return out
    }

    func parameterCounts(_ dir: URL) throws -> [String: Int] {
        let config = try LLaVAConfig(directory: dir)
        let t = try CheckpointLayout.canonicalize(CheckpointFiles.loadTensors(directory: dir))
        var counts: [String: Int] = ["vision": 0, "projector": 0, "language": 0]
        for (k, w) in t {
            if k.hasPrefix(CheckpointLayout.vision) { counts["vision"]! += w.count }
            else if k.hasPrefix(CheckpointLayout.projector) { counts["projector"]! += w.count }
            else { counts["language"]! += w.count }
        }
        counts["image_tokens"] = config.imageTokenCount
        return counts
    }
}

func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
