// `llava train`: stage 1 (projector on captions) or stage 2 (projector + LLM, or LoRA, on
// conversations) on a LLaVA-format dataset; writes an HF checkpoint and metrics.jsonl to OUTPUT.
import ArgumentParser
import Foundation
import LLaVA
import LLaVAImage
import LLaVATensor
import LLaVATokenizer
import LLaVATraining
#if canImport(Glibc)
import Glibc
#endif

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train stage 1 or stage 2 of LLaVA.")

    @Option(help: "1: feature alignment (projector only); 2: visual instruction tuning (projector + LLM).") var stage: Int
    @Option(help: "Checkpoint directory to start from.") var model: String
    @Option(help: "LLaVA-format JSON file.") var data: String
    @Option(name: .customLong("image-folder"), help: "Folder the samples' \"image\" paths are relative to.") var imageFolder: String?
    @Option(help: "Output directory (an HF checkpoint, metrics.jsonl, checkpoint-*/).") var output: String
    @Option(help: "Epochs over the data.") var epochs = 1
    @Option(name: .customLong("max-steps"), help: "Stop after this many optimizer steps (overrides --epochs).") var maxSteps: Int?
    @Option(name: .customLong("batch-size"), help: "Samples per micro-batch.") var batchSize = 1
    @Option(name: .customLong("grad-accum"), help: "Micro-batches per optimizer step.") var gradAccum = 1
    @Option(help: "Peak learning rate (default: 1e-3 for stage 1, 2e-5 for stage 2, as LLaVA-1.5).") var lr: Float?
    @Option(name: .customLong("weight-decay"), help: "AdamW weight decay (not on norms and biases).") var weightDecay: Float = 0
    @Option(name: .customLong("warmup-ratio"), help: "Fraction of steps of linear warmup before the cosine decay.") var warmupRatio = 0.03
    @Option(help: "adamw or sgd (plain SGD: no momentum, decay or clipping).") var optimizer = "adamw"
    @Flag(name: .customLong("no-shuffle"), help: "Keep the file's order.") var noShuffle = false
    @Option(name: .customLong("lora-rank"), help: "Stage 2 with LoRA adapters of this rank instead of full fine-tuning.") var loraRank: Int?
    @Option(name: .customLong("lora-alpha"), help: "LoRA alpha (default 2 × rank, as LLaVA's scripts).") var loraAlpha: Float?
    @Option(name: .customLong("lora-targets"), help: "Comma-separated projections to adapt.")
    var loraTargets = LoRAConfig.allTargets.joined(separator: ",")
    @Option(name: .customLong("save-every"), help: "Save a checkpoint every N optimizer steps.") var saveEvery: Int?
    @Option(help: "Seed for data order and LoRA initialisation.") var seed: UInt64 = 0
    @Flag(help: "Continue from the last checkpoint in --output.") var resume = false
    @Option(name: .customLong("max-grad-norm"), help: "Clip the gradient norm (0 = off; AdamW only).") var maxGradNorm: Float = 1
    @Option(name: .customLong("max-length"), help: "Truncate sequences to this many tokens (default: the model's context).") var maxLength: Int?
    @Option(help: "Conversation template: plain or llava_v1 (default: plain for stage 1, llava_v1 for stage 2).") var template: String?
    @Flag(name: .customLong("skip-missing-images"), help: "Skip samples whose image is missing (and count them).") var skipMissingImages = false

    func validate() throws {
        guard stage == 1 || stage == 2 else { throw ValidationError("--stage must be 1 or 2") }
        guard OptimizerKind(rawValue: optimizer) != nil else { throw ValidationError("--optimizer must be adamw or sgd") }
        guard batchSize >= 1, gradAccum >= 1, epochs >= 1 else { throw ValidationError("--batch-size, --grad-accum and --epochs must be ≥ 1") }
        if let maxSteps { guard maxSteps >= 1 else { throw ValidationError("--max-steps must be ≥ 1") } }
        guard (0...1).contains(warmupRatio) else { throw ValidationError("--warmup-ratio must be in [0, 1]") }
        if let loraRank {
            guard loraRank >= 1 else { throw ValidationError("--lora-rank must be ≥ 1") }
            guard stage == 2 else { throw ValidationError("--lora-rank applies to stage 2 only") }
            let unknown = loraTargets.split(separator: ",").map(String.init).filter { !LoRAConfig.allTargets.contains($0) }
            guard unknown.isEmpty else {
                throw ValidationError("--lora-targets: unknown \(unknown.joined(separator: ", ")); choose from \(LoRAConfig.allTargets.joined(separator: ", "))")
            }
        }
    }

    func run() throws {
        try reportingErrors {
            KernelInfo.keepFreedMemoryInHeap()
            let modelDir = URL(fileURLWithPath: model)
            let config = try LLaVAConfig(directory: modelDir)
            let tokenizer = try Tokenizer(directory: modelDir)
            let processor = ImageProcessor(config: try ImageProcessorConfig(directory: modelDir))
            let templateKind = try template.map { name -> ConversationTemplate in
                guard let t = ConversationTemplate(rawValue: name) else {
                    throw ValidationError("--template must be one of \(ConversationTemplate.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return t
            } ?? (stage == 1 ? .plain : .llavaV1)
            let (samples, stats, skipped) = try PreparedSample.load(
                data: URL(fileURLWithPath: data), imageFolder: imageFolder.map { URL(fileURLWithPath: $0) },
                template: templateKind, tokenizer: tokenizer, config: config, maxLength: maxLength,
                skipMissingImages: skipMissingImages)
            log("data: \(stats.samples) samples (\(stats.truncated) truncated to the context, \(stats.masked) masked "
                + "by the tokenization rule, \(skipped) skipped for a missing image)")
            var options = TrainingOptions()
            options.stage = stage == 1 ? .featureAlignment : .instructionTuning
            options.epochs = epochs
            options.maxSteps = maxSteps
            options.batchSize = batchSize
            options.gradAccum = gradAccum
            options.lr = lr ?? (stage == 1 ? 1e-3 : 2e-5)
            options.weightDecay = weightDecay
            options.warmupRatio = warmupRatio
            options.optimizer = OptimizerKind(rawValue: optimizer)!
            options.shuffle = !noShuffle
            options.saveEvery = saveEvery
            options.seed = seed
            options.resume = resume
            options.maxGradNorm = maxGradNorm
            if let loraRank {
                options.lora = LoRAConfig(rank: loraRank, alpha: loraAlpha ?? Float(2 * loraRank),
                                          targets: loraTargets.split(separator: ",").map(String.init))
            }
            let trainer = try Trainer(source: modelDir, output: URL(fileURLWithPath: output), options: options, samples: samples) { url in
                try processor.preprocess(try ImageDecoder.decode(fileAt: url)).values
            }
            log("training \(trainer.model.params.trainableCount) of \(trainer.model.params.count) parameters for "
                + "\(trainer.totalSteps - trainer.startStep) steps" + (trainer.startStep > 0 ? " (resumed at step \(trainer.startStep))" : ""))
            let progress = ProgressBar(total: trainer.totalSteps, enabled: isatty(2) != 0)
            try trainer.run { progress.update($0) }
            progress.finish()
            log("saved \(output)")
        }
    }
}

func log(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

/// A one-line progress bar on stderr: step, loss, tokens/s, ETA.
final class ProgressBar {
    let total: Int
    let enabled: Bool
    let started = Date()
    var tokens = 0
    var firstStep: Int?

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func update(_ m: StepMetrics) {
        if firstStep == nil { firstStep = m.step - 1 }
        tokens += m.tokens
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(started)
        let done = m.step - firstStep!
        let eta = done > 0 ? elapsed / Double(done) * Double(total - m.step) : 0
        let line = String(format: "\r%@ step %d/%d  loss %.4f  lr %.2e  %.0f tok/s  ETA %02d:%02d ", Self.bar(m.step, total), m.step, total, m.loss,
                          Double(m.lr), Double(tokens) / max(elapsed, 1e-9), Int(eta) / 60, Int(eta) % 60)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() { if enabled { FileHandle.standardError.write(Data("\n".utf8)) } }

    /// A 24-character bar filled step / total.
    static func bar(_ step: Int, _ total: Int) -> String {
        let width = 24, filled = min(width, width * step / max(total, 1))
        return String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
    }
}
