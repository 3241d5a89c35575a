// The training loop shared by both stages: seeded data order, micro-batches with gradient
// accumulation, loss normalised over the step's target tokens, gradient-norm clipping, AdamW or
// SGD with a cosine-with-warmup schedule, metrics.jsonl, periodic atomic checkpoints, --resume.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LLaVA
import LLaVACheckpoint
import LLaVATensor

/// A tokenized sample ready for training.
public struct PreparedSample: Sendable {
    public var ids: [Int]
    public var labels: [Int]
    public var imagePath: URL?

    public init(ids: [Int], labels: [Int], imagePath: URL?) {
        self.ids = ids
        self.labels = labels
        self.imagePath = imagePath
    }
}

public struct TrainingOptions: Sendable {
    public var stage: TrainingStage = .featureAlignment
    public var epochs = 1
    public var maxSteps: Int?
    public var batchSize = 1
    public var gradAccum = 1
    public var lr: Float = 1e-3
    public var weightDecay: Float = 0
    public var warmupRatio = 0.03
    public var optimizer: OptimizerKind = .adamw
    public var shuffle = true
    public var lora: LoRAConfig?
    public var saveEvery: Int?
    public var seed: UInt64 = 0
    public var maxGradNorm: Float = 1
    public var resume = false

    public init() {}
}

public struct StepMetrics: Sendable {
    public var step: Int
    public var totalSteps: Int
    public var epoch: Double
    public var loss: Double
    public var lr: Float
    public var tokens: Int
    public var targets: Int
    public var gradNorm: Double
    public var seconds: Double

    var json: String {
        "{\"step\": \(step), \"loss\": \(loss), \"lr\": \(lr), \"tokens\": \(tokens), \"targets\": \(targets), "
            + "\"grad_norm\": \(gradNorm), \"epoch\": \(epoch), \"seconds\": \(seconds)}"
    }
}

public enum TrainingError: Error, CustomStringConvertible {
    case nonFiniteLoss(step: Int, lastCheckpoint: String?)
    case noTargets(step: Int)
    case emptyDataset
    case nothingToResume(output: String)
    case resumeMismatch(detail: String)

    public var description: String {
        switch self {
        case .nonFiniteLoss(let step, let last):
            return "the loss became NaN or infinite at step \(step); training stopped. "
                + (last.map { "The last good checkpoint, \($0), is intact." } ?? "No checkpoint had been saved yet.")
                + " Try a lower --lr or more --warmup-ratio."
        case .noTargets(let step):
            return "step \(step) has no target tokens (every answer masked or truncated); check the data and --max-length"
        case .emptyDataset:
            return "the dataset has no usable samples"
        case .nothingToResume(let output):
            return "--resume: no checkpoint-* directory with trainer_state.json in \(output)"
        case .resumeMismatch(let detail):
            return "--resume: the saved state does not match this run: \(detail)"
        }
    }
}

public final class Trainer {
    public let options: TrainingOptions
    public let source: URL
    public let output: URL
    public let model: TrainableLLaVA
    let tensors: [String: Weight]
    let samples: [PreparedSample]
    let loadPixels: (URL) throws -> [Float]
    let optimizer: Optimizer
    public let stepsPerEpoch: Int
    public let totalSteps: Int
    public private(set) var startStep = 0
    var featureCache: [URL: Tensor] = [:]
    public private(set) var lastCheckpoint: URL?

    public init(source: URL, output: URL, options: TrainingOptions, samples: [PreparedSample],
                loadPixels: @escaping (URL) throws -> [Float]) throws {
        guard !samples.isEmpty else { throw TrainingError.emptyDataset }
        self.options = options
        self.source = source
        self.output = output
        self.samples = samples
        self.loadPixels = loadPixels
        let config = try LLaVAConfig(directory: source)
        tensors = try CheckpointLayout.canonicalize(CheckpointFiles.loadTensors(directory: source))
        model = try TrainableLLaVA(config: config, tensors: tensors, directory: source.path, stage: options.stage,
                                   lora: options.lora, seed: options.seed)
        optimizer = Optimizer(kind: options.optimizer, parameterCount: model.params.count, weightDecay: options.weightDecay)
        let perStep = options.batchSize * options.gradAccum
        stepsPerEpoch = (samples.count + perStep - 1) / perStep
        totalSteps = options.maxSteps ?? stepsPerEpoch * options.epochs
        if options.resume { try restore() }
    }

    /// Sample indices of optimizer step `s` (0-based): epoch e = s / stepsPerEpoch uses a seeded
    /// permutation of the data (identity with --no-shuffle); the last batch of an epoch may be short.
    public func sampleIndices(step s: Int) -> [Int] {
        let epoch = s / stepsPerEpoch, k = s % stepsPerEpoch
        var order = Array(samples.indices)
        if options.shuffle {
            var rng = SeededGenerator(seed: options.seed &+ 0x5EED &+ UInt64(epoch) &* 0x9E37_79B9)
            order.shuffle(using: &rng)
        }
        let perStep = options.batchSize * options.gradAccum
        return Array(order[(k * perStep)..<min(order.count, (k + 1) * perStep)])
    }

    func example(_ i: Int) throws -> TrainingExample {
        let s = samples[i]
        var features: Tensor?
        if let path = s.imagePath {
            if let cached = featureCache[path] {
                features = cached
            } else {
                let f = model.visionFeatures(pixels: try loadPixels(path))
                featureCache[path] = f
                features = f
            }
        }
        return TrainingExample(ids: s.ids, labels: s.labels, visionFeatures: features)
    }

    /// Runs steps startStep ..< totalSteps, calling `onStep` after each.
    public func run(onStep: (StepMetrics) -> Void = { _ in }) throws {
        let schedule = CosineSchedule(peak: options.lr, warmupRatio: options.warmupRatio, totalSteps: totalSteps)
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let metricsURL = output.appendingPathComponent("metrics.jsonl")
        try truncateMetrics(metricsURL, keepingSteps: startStep)
        let metrics = try FileHandle(forWritingTo: metricsURL)
        defer { try? metrics.close() }
        metrics.seekToEndOfFile()
        for step in startStep..<totalSteps {
            let started = Date()
            let indices = sampleIndices(step: step)
            let examples = try indices.map(example)
            let targets = examples.reduce(0) { $0 + $1.targetCount }
            guard targets > 0 else { throw TrainingError.noTargets(step: step + 1) }
            model.params.zeroGrads()
            var lossSum = 0.0
            for start in stride(from: 0, to: examples.count, by: options.batchSize) {
                let micro = Array(examples[start..<min(examples.count, start + options.batchSize)])
                lossSum += model.lossAndGradients(micro, gradScale: 1 / Float(targets)).sum
            }
            let loss = lossSum / Double(targets)
            let norm = model.params.gradNorm()
            guard loss.isFinite, norm.isFinite else {
                throw TrainingError.nonFiniteLoss(step: step + 1, lastCheckpoint: lastCheckpoint?.path)
            }
            if options.optimizer == .adamw, options.maxGradNorm > 0, norm > Double(options.maxGradNorm) {
                // torch.nn.utils.clip_grad_norm_: g · max_norm / (norm + 1e-6)
                model.params.scaleGrads(Float(Double(options.maxGradNorm) / (norm + 1e-6)))
            }
            let lr = schedule.lr(at: step)
            optimizer.update(model.params, lr: lr)
            let m = StepMetrics(step: step + 1, totalSteps: totalSteps, epoch: Double(step + 1) / Double(stepsPerEpoch),
                                loss: loss, lr: lr, tokens: examples.reduce(0) { $0 + $1.ids.count }, targets: targets,
                                gradNorm: norm, seconds: Date().timeIntervalSince(started))
            metrics.write(Data((m.json + "\n").utf8))
            onStep(m)
            if let every = options.saveEvery, every > 0, (step + 1) % every == 0, step + 1 < totalSteps {
                try save(step: step + 1)
            }
        }
        try save(step: totalSteps)
    }

    // MARK: checkpoints

    struct State: Codable {
        var step: Int
        var optimizerStep: Int
        var totalSteps: Int
        var seed: UInt64
        var stage: Int
        var optimizer: String
        var parameterCount: Int
    }

    /// Saves OUTPUT/checkpoint-<step>/ (model + optimizer + state) atomically, then points the
    /// top-level HF files of OUTPUT at it, then removes older checkpoints.
    func save(step: Int) throws {
        let fm = FileManager.default
        let staging = output.appendingPathComponent(".checkpoint-\(step).partial")
        try? fm.removeItem(at: staging)
        var state = SafeTensorsWriter()
        for e in model.params.entries where e.trainable {
            state.add("param." + e.name, shape: e.shape, values: model.params.floats(e.name))
            if options.optimizer == .adamw {
                state.add("m." + e.name, shape: e.shape, values: Array(optimizer.m[e.offset..<e.offset + e.count]))
                state.add("v." + e.name, shape: e.shape, values: Array(optimizer.v[e.offset..<e.offset + e.count]))
            }
        }
        let info = State(step: step, optimizerStep: optimizer.step, totalSteps: totalSteps, seed: options.seed,
                         stage: options.stage.rawValue, optimizer: options.optimizer.rawValue, parameterCount: model.params.count)
        try CheckpointSaver.writeModel(model, tensors: tensors, source: source, to: staging, extra: [
            "optimizer.safetensors": try state.encoded(),
            "trainer_state.json": try JSONEncoder().encode(info),
        ])
        let final = output.appendingPathComponent("checkpoint-\(step)")
        try? fm.removeItem(at: final)
        try fm.moveItem(at: staging, to: final)  // rename(2): the checkpoint appears whole or not at all
        // Top-level HF checkpoint: each file replaced by an atomic rename of a fresh copy.
        for file in try fm.contentsOfDirectory(atPath: final.path)
        where file != "optimizer.safetensors" && file != "trainer_state.json" {
            let tmp = output.appendingPathComponent(".\(file).tmp")
            try? fm.removeItem(at: tmp)
            try fm.copyItem(at: final.appendingPathComponent(file), to: tmp)
            guard rename(tmp.path, output.appendingPathComponent(file).path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: output.appendingPathComponent(file).path])
            }
        }
        if let previous = lastCheckpoint, previous != final { try? fm.removeItem(at: previous) }
        lastCheckpoint = final
    }

    /// Loads the newest complete checkpoint-* of OUTPUT: parameters, optimizer moments, step.
    func restore() throws {
        let fm = FileManager.default
        let dirs = ((try? fm.contentsOfDirectory(atPath: output.path)) ?? [])
            .filter { $0.hasPrefix("checkpoint-") }
            .compactMap { name -> (Int, URL)? in
                guard let n = Int(name.dropFirst("checkpoint-".count)) else { return nil }
                let url = output.appendingPathComponent(name)
                return fm.fileExists(atPath: url.appendingPathComponent("trainer_state.json").path) ? (n, url) : nil
            }
            .sorted { $0.0 < $1.0 }
        guard let (_, dir) = dirs.last else { throw TrainingError.nothingToResume(output: output.path) }
        let info = try JSONDecoder().decode(State.self, from: Data(contentsOf: dir.appendingPathComponent("trainer_state.json")))
        guard info.parameterCount == model.params.count, info.optimizer == options.optimizer.rawValue,
              info.stage == options.stage.rawValue, info.totalSteps == totalSteps
        else {
            throw TrainingError.resumeMismatch(detail: "saved stage \(info.stage), optimizer \(info.optimizer), "
                + "\(info.totalSteps) total steps, \(info.parameterCount) parameters; this run has stage \(options.stage.rawValue), "
                + "optimizer \(options.optimizer.rawValue), \(totalSteps) steps, \(model.params.count) parameters")
        }
        let state = try SafeTensorsFile(path: dir.appendingPathComponent("optimizer.safetensors").path)
        var m = optimizer.m, v = optimizer.v
        for e in model.params.entries where e.trainable {
            guard let value = state.tensors["param." + e.name], value.count == e.count else {
                throw TrainingError.resumeMismatch(detail: "optimizer.safetensors lacks param.\(e.name)")
            }
            value.convert(from: 0, count: e.count, into: model.params.values + e.offset)
            if options.optimizer == .adamw, let ms = state.tensors["m." + e.name], let vs = state.tensors["v." + e.name] {
                m.replaceSubrange(e.offset..<e.offset + e.count, with: ms.floats())
                v.replaceSubrange(e.offset..<e.offset + e.count, with: vs.floats())
            }
        }
        optimizer.restore(step: info.optimizerStep, m: m, v: v)
        startStep = info.step
        lastCheckpoint = dir
    }

    /// Drops metrics lines of steps after `keepingSteps` (a resumed run rewrites them).
    func truncateMetrics(_ url: URL, keepingSteps: Int) throws {
        let fm = FileManager.default
        guard fm.fileExists(atPath: url.path) else {
            fm.createFile(atPath: url.path, contents: nil)
            return
        }
        let lines = (try String(contentsOf: url, encoding: .utf8)).split(separator: "\n").prefix(keepingSteps)
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: url, options: .atomic)
    }
}
