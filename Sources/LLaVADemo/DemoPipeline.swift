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
                                          samplesPerScene: s.samplesPerScene, shortAnswerPerScene: s.shortAnswerPerScene,
                                          sizeFocusShare: s.sizeFocusShare), [Double]())
        }
        let tokenizerDir = output.appendingPathComponent("tokenizer")
        let tokenizer = try timed("tokenizer") { (try buildTokenizer(at: tokenizerDir), [Double]()) }
        let processor = ImageProcessor(config: try ImageProcessorConfig(directory: tokenizerDir))

        // CLIP pretraining, then LM pretraining — or both taken from an earlier run with the same
        // settings (ablations vary the LLaVA stages only, so they share one CLIP and one Llama).
        let text = llamaConfig(vocabularySize: tokenizer.vocabularySize, tokenizer: tokenizer)
        let pre = try s.pretrained.map { try reusePretrained(from: $0, tokenizerDir: tokenizerDir) }
            ?? pretrain(text: text, tokenizer: tokenizer, tokenizerDir: tokenizerDir, processor: processor)
        let clipResult = pre.clip
        onMessage("  CLIP zero-shot accuracy \(percent(clipResult.zeroShotAccuracy)) (colour \(percent(clipResult.zeroShotColourAccuracy)), "
            + "shape \(percent(clipResult.zeroShotShapeAccuracy))); with \"a {size} {colour} {shape}\" prompts "
            + "\(percent(clipResult.captionPromptAccuracy)) (shape \(percent(clipResult.captionPromptShapeAccuracy)))")

        // Assemble: the pretrained Llama, the CLIP tower, a freshly initialised projector.
        let assembled = output.appendingPathComponent("llava-assembled")
        try writeLLaVA(assembled, text: text, vision: pre.vision, tensors: pre.visionTensors + pre.language,
                       projector: s.projector, tokenizer: tokenizerDir, seed: s.seed &+ 400)

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
                      epochs: s.stage2Epochs, batch: s.stage2Batch, lr: s.stage2LR, weightDecay: s.stage2WeightDecay)
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
        let scenes = try sceneObjects()
        let eval = try timed("evaluation") { () -> ((splits: [String: Accuracy], byObjectCount: [Int: Accuracy], blank: Accuracy,
                                                     shuffled: Accuracy, shortAnswer: Accuracy, shortAnswerBlank: Accuracy,
                                                     examples: [Example]), [Double]) in
            (try evaluator.run(records, objectCounts: scenes.mapValues(\.count)) { self.onProgress("eval", $0, $1, nil) }, [])
        }
        let baseline = try Evaluator.questionOnlyBaseline(records, settings: s)
        let testScenes = Array(Set(records.filter { $0.split == "test" }.map(\.sceneID))).sorted()
        let description = try timed("descriptions") { () -> ((precision: Double, recall: Double, example: String), [Double]) in
            (try evaluator.descriptions(sceneIDs: testScenes, scenes: scenes) { self.onProgress("describe", $0, $1, nil) }, [])
        }
        let results = DemoResults(settings: s, summary: summary, clip: clipResult, stages: stages, splits: eval.splits,
                                  byObjectCount: eval.byObjectCount,
                                  blank: eval.blank, shuffled: eval.shuffled, shortAnswer: eval.shortAnswer,
                                  shortAnswerBlank: eval.shortAnswerBlank, baseline: baseline, examples: eval.examples,
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
        // Every stage-2 sample starts with Vicuna's system sentence and has "USER:" and "ASSISTANT:"
        // turns: counted that often, BPE gives them few tokens (the sentence is one token anyway when it
        // is in `tokenizerSymbols`, which BPETrainer cuts out of this text).
        corpus += Array(repeating: ChatTemplate.vicunaSystem + " USER: ASSISTANT:",
                        count: settings.scenes * (settings.samplesPerScene + settings.shortAnswerPerScene))
        let (json, config) = try BPETrainer.train(corpus: corpus, vocabularySize: settings.vocabularySize,
                                                  userSymbols: settings.tokenizerSymbols,
                                                  splitPunctuation: settings.tokenizerSplitsPunctuation,
                                                  modelMaxLength: settings.maxPositions)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try json.write(to: dir.appendingPathComponent("tokenizer.json"))
        try config.write(to: dir.appendingPathComponent("tokenizer_config.json"))
        try CheckpointFactory.imageProcessorJSON(size: settings.imageSize).write(to: dir.appendingPathComponent("preprocessor_config.json"))
        return try Tokenizer(directory: dir)
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

    /// The pretrained parts a LLaVA is assembled from.
    struct Pretrained {
        var vision: CLIPVisionConfig
        var visionTensors: [RandomInit.Spec]   // canonical LLaVA names (vision_tower.vision_model.*)
        var language: [RandomInit.Spec]        // language_model.*, lm_head.weight
        var clip: CLIPResult
    }

    /// CLIP pretraining (written to clip/) and LM pretraining (lm/).
    func pretrain(text: LlamaConfig, tokenizer: Tokenizer, tokenizerDir: URL, processor: ImageProcessor) throws -> Pretrained {
        let s = settings
        let (clip, clipResult) = try timed("CLIP pretraining") { () -> ((TrainableCLIP, CLIPResult), [Double]) in
            let r = try CLIPPretraining.train(tokenizer: tokenizer, settings: s, processor: processor) { step, loss in
                self.onProgress("CLIP", step, s.clipSteps, loss)
            }
            return (r, r.1.losses)
        }
        try CheckpointFactory.writeCLIP(clip, to: output.appendingPathComponent("clip"))
        let vision = clip.params.entries.filter { $0.name.hasPrefix("vision_model.") }.map { e -> RandomInit.Spec in
            (CheckpointLayout.vision + e.name.dropFirst("vision_model.".count), e.shape, clip.params.floats(e.name), true)
        }
        // LM pretraining trains a random Llama on text, inside a LLaVA so it goes through `llava train`.
        let initDir = output.appendingPathComponent("llava-init")
        try writeLLaVA(initDir, text: text, vision: clip.vision, tensors: vision + RandomInit.llama(text, tied: false, seed: s.seed &+ 200),
                       projector: .mlp2xGELU, tokenizer: tokenizerDir, seed: s.seed &+ 300)
        let lmDir = output.appendingPathComponent("lm")
        try train("LM pretraining", source: initDir, output: lmDir, stage: .languageModel, samples: try lmSamples(tokenizer),
                  epochs: s.lmEpochs, batch: s.lmBatch, lr: s.lmLR)
        let language = try Self.specs(in: lmDir, where: Self.isLanguage)
        return Pretrained(vision: clip.vision, visionTensors: vision, language: language, clip: clipResult)
    }

    /// The CLIP tower and pretrained Llama of an earlier run (its llava-assembled/ and results.json),
    /// after checking that it was made with the same data and tokenizer.
    func reusePretrained(from dir: URL, tokenizerDir: URL) throws -> Pretrained {
        let theirs = dir.appendingPathComponent("tokenizer/tokenizer.json")
        guard let a = try? Data(contentsOf: theirs), a == (try Data(contentsOf: tokenizerDir.appendingPathComponent("tokenizer.json"))) else {
            throw DemoError.pretrainedMismatch(dir.path, "its tokenizer/tokenizer.json is missing or differs from this run's")
        }
        let assembled = dir.appendingPathComponent("llava-assembled")
        let config = try LLaVAConfig(directory: assembled)
        guard config.vision.imageSize == settings.imageSize, config.vision.patchSize == settings.patchSize,
              config.text.hiddenSize == settings.llmHidden, config.text.numHiddenLayers == settings.llmLayers else {
            throw DemoError.pretrainedMismatch(dir.path, "its model sizes differ from this run's settings")
        }
        guard let results = try? JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("results.json"))) as? [String: Any],
              let clip = (results["clip"] as? [String: Any]).map(CLIPResult.init(reportJSON:)) else {
            throw DemoError.pretrainedMismatch(dir.path, "it has no results.json with a \"clip\" section")
        }
        onMessage("▸ CLIP and LM pretraining: reused from \(dir.path)")
        return Pretrained(vision: config.vision, visionTensors: try Self.specs(in: assembled) { $0.hasPrefix(CheckpointLayout.vision) },
                          language: try Self.specs(in: assembled, where: Self.isLanguage), clip: clip)
    }

    /// The Llama's tensors: language_model.* and lm_head.weight (canonical names).
    static func isLanguage(_ name: String) -> Bool { name.hasPrefix(CheckpointLayout.text) || name == CheckpointLayout.lmHead }

    /// The tensors of the checkpoint in `dir` whose canonical names pass `keep`, sorted by name.
    static func specs(in dir: URL, where keep: (String) -> Bool) throws -> [RandomInit.Spec] {
        let t = try CheckpointLayout.canonicalize(CheckpointFiles.loadTensors(directory: dir))
        return t.keys.sorted().filter(keep).map { ($0, t[$0]!.shape, t[$0]!.floats(), true) }
    }

    func writeLLaVA(_ dir: URL, text: LlamaConfig, vision: CLIPVisionConfig, tensors: [RandomInit.Spec],
                    projector: LLaVAConfig.ProjectorType, tokenizer: URL, seed: UInt64) throws {
        let tok = try Tokenizer(directory: tokenizer)
        let imageToken = tok.id(for: "<image>")!, pad = tok.id(for: "<pad>")
        let configData = try CheckpointFactory.llavaConfigJSON(vision: vision, text: text, imageTokenIndex: imageToken,
                                                               padTokenID: pad, projector: projector, featureLayer: -2)
        let config = try LLaVAConfig(data: configData, path: dir.appendingPathComponent("config.json").path)
        let all = tensors + RandomInit.projector(config, seed: seed)
        try CheckpointFactory.writeLLaVA(to: dir, config: configData, tensors: all.map { ($0.name, $0.shape, $0.values) },
                                         tokenizer: Data(contentsOf: tokenizer.appendingPathComponent("tokenizer.json")),
                                         tokenizerConfig: Data(contentsOf: tokenizer.appendingPathComponent("tokenizer_config.json")),
                                         imageSize: settings.imageSize, patchSize: vision.patchSize)
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
               epochs: Int, batch: Int, lr: Float, weightDecay: Float = 0) throws {
        var o = TrainingOptions()
        o.stage = stage
        o.epochs = epochs
        o.batchSize = batch
        o.lr = lr
        o.weightDecay = weightDecay
        o.warmupRatio = 0.03
        o.seed = settings.orderSeed ?? settings.seed
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
