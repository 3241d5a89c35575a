// `llava demo`: train a LLaVA from scratch on ShapesWorld (every stage), evaluate it, report.
// `llava data`: write the ShapesWorld dataset alone.
import ArgumentParser
import Foundation
import LLaVA
import LLaVADemo
import LLaVATensor
import ShapesWorld
#if canImport(Glibc)
import Glibc
#endif

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Train and evaluate a LLaVA from scratch on ShapesWorld (CLIP, LM, stage 1, stage 2).")

    @Option(help: "Output directory (data, checkpoints, results.json, results.md, loss SVGs).") var output = "demo-out"
    @Flag(help: "A smaller run (~2 minutes) for tests.") var quick = false
    @Option(help: "Seed of the whole run.") var seed: UInt64 = 1
    @Option(help: "Projector: mlp2x_gelu (LLaVA-1.5) or linear (LLaVA).") var projector = "mlp2x_gelu"
    @Flag(name: .customLong("skip-stage1"), help: "Ablation: no feature-alignment stage.") var skipStage1 = false
    @Flag(name: .customLong("freeze-llm"), help: "Ablation: stage 2 trains the projector only.") var freezeLLM = false
    @Flag(name: .customLong("stage1-only"), help: "Ablation: stop after stage 1.") var stage1Only = false
    @Option(name: .customLong("train-fraction"), help: "Ablation: share of the instruction data used in stage 2.") var trainFraction = 1.0
    @Option(help: "Reuse the CLIP and pretrained Llama of an earlier demo output (same --seed, --quick) instead of training them.")
    var pretrained: String?
    @Option(name: .customLong("order-seed"), help: "Seed of the order stages 1 and 2 visit their samples in (default: --seed).")
    var orderSeed: UInt64?

    func validate() throws {
        guard LLaVAConfig.ProjectorType(rawValue: projector) != nil else { throw ValidationError("--projector must be mlp2x_gelu or linear") }
        guard trainFraction > 0, trainFraction <= 1 else { throw ValidationError("--train-fraction must be in (0, 1]") }
    }

    func run() throws {
        try reportingErrors {
            KernelInfo.keepFreedMemoryInHeap()
            var s = quick ? DemoSettings.quick : DemoSettings.full
            s.seed = seed
            s.projector = LLaVAConfig.ProjectorType(rawValue: projector)!
            s.skipStage1 = skipStage1
            s.freezeLLM = freezeLLM
            s.stage1Only = stage1Only
            s.trainFraction = trainFraction
            s.pretrained = pretrained.map { URL(fileURLWithPath: $0) }
            s.orderSeed = orderSeed
            let pipeline = DemoPipeline(settings: s, output: URL(fileURLWithPath: output))
            let tty = isatty(2) != 0
            var lastStage = ""
            pipeline.onMessage = { message in
                if tty, !lastStage.isEmpty { FileHandle.standardError.write(Data("\n".utf8)) }
                lastStage = ""
                log(message)
            }
            pipeline.onProgress = { stage, step, total, loss in
                guard tty else { return }
                lastStage = stage
                let bar = ProgressBar.bar(step, total)
                let l = loss.map { String(format: "  loss %.4f", $0) } ?? ""
                FileHandle.standardError.write(Data("\r  \(bar) \(step)/\(total)\(l)   ".utf8))
            }
            let r = try pipeline.run()
            if tty { FileHandle.standardError.write(Data("\n".utf8)) }
            print(DemoReport.markdown(r))
            print("Report: \(output)/results.json, \(output)/results.md; model: \(r.modelDirectory)")
        }
    }
}

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Write the ShapesWorld dataset (images, stage-1 captions, instructions, eval questions).")

    @Option(help: "Output directory.") var output: String
    @Option(help: "Training scenes.") var scenes = 2000
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(name: .customLong("eval-scenes"), help: "Scenes per evaluation split.") var evalScenes = 100
    @Option(name: .customLong("image-size"), help: "Image side in pixels.") var imageSize = 64
    @Option(name: .customLong("short-answer"), help: "LLaVA-1.5 short-answer VQA samples per scene, besides the two LLaVA-Instruct ones.")
    var shortAnswer = 0
    @Option(name: .customLong("size-focus"),
            help: "Chance that a training colour or shape question asks about an object only its size tells apart (the demo uses 0.5).")
    var sizeFocus = 0.0

    func run() throws {
        try reportingErrors {
            let s = try ShapesWorldDataset.write(to: URL(fileURLWithPath: output), scenes: scenes, seed: seed,
                                                 evalScenes: evalScenes, size: imageSize, shortAnswerPerScene: shortAnswer,
                                                 sizeFocusShare: sizeFocus)
            print("wrote \(output): \(s.trainScenes) training scenes, \(s.pretrainPairs) caption pairs, "
                + "instructions \(s.responseTypes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")), "
                + "\(s.evalQuestions.values.reduce(0, +)) evaluation questions")
        }
    }
}
