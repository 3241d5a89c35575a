// LLaVA for training: the frozen CLIP tower of the inference model, and the projector + language
// model as float32 parameters with gradients. One call computes the loss of a micro-batch and
// accumulates gradients; the objective is the next-token cross-entropy on answer tokens only,
//   L = −Σ_t log P(y_t | x_image, y_<t) / (number of target tokens in the optimizer step).
import Foundation
import LLaVA
import LLaVACheckpoint
import LLaVATensor
import LlamaText

public enum TrainingStage: Int, Sendable {
    case languageModel = 0           // LLM only, on text (ShapesWorld's LM pretraining)
    case featureAlignment = 1        // projector only
    case instructionTuning = 2       // projector + LLM (full, or LoRA adapters)
}

/// One tokenized training sample with its (frozen) vision features.
public struct TrainingExample {
    public var ids: [Int]                 // (T) prompt + answer ids, `<image>` expanded
    public var labels: [Int]              // (T) ids at supervised positions, −100 elsewhere (not shifted)
    public var visionFeatures: Tensor?    // (N_img, C_vision·layers) selected CLIP features, nil for text-only

    public init(ids: [Int], labels: [Int], visionFeatures: Tensor?) {
        self.ids = ids
        self.labels = labels
        self.visionFeatures = visionFeatures
    }

    /// Positions t whose next token is a target: labels[t + 1] ≥ 0.
    public var targetCount: Int { labels.dropFirst().filter { $0 >= 0 }.count }
}

public final class TrainableLLaVA {
    public let config: LLaVAConfig
    public let inference: LLaVAModel     // frozen vision tower (and the original weights, for saving)
    public let params: ParameterSet
    public let lora: LoRAConfig?
    /// The frozen vision tower's tensors, as loaded (canonical names).
    public let visionTensors: [String: Weight]
    let llama: TrainableLlama
    let linear1: TrainLinear
    let linear2: TrainLinear?

    /// Loads DIR and marks what `stage` trains. With `lora`, stage 2 trains adapters instead of W.
    public convenience init(directory: URL, stage: TrainingStage, lora: LoRAConfig? = nil, seed: UInt64 = 0) throws {
        let config = try LLaVAConfig(directory: directory)
        let tensors = try CheckpointLayout.canonicalize(CheckpointFiles.loadTensors(directory: directory))
        try self.init(config: config, tensors: tensors, directory: directory.path, stage: stage, lora: lora, seed: seed)
    }

    public init(config: LLaVAConfig, tensors: [String: Weight], directory: String, stage: TrainingStage,
                lora: LoRAConfig?, seed: UInt64) throws {
        self.config = config
        inference = try LLaVAModel(config: config, tensors: tensors, directory: directory)
        visionTensors = tensors.filter { $0.key.hasPrefix(CheckpointLayout.vision) }
        let trainLLM = (stage == .instructionTuning && lora == nil) || stage == .languageModel
        var specs: [(name: String, shape: [Int], values: [Float], trainable: Bool)] = []
        for name in tensors.keys.sorted() where !name.hasPrefix(CheckpointLayout.vision) {
            let w = tensors[name]!
            let isProjector = name.hasPrefix(CheckpointLayout.projector)
            specs.append((name, w.shape, w.floats(), isProjector ? stage != .languageModel : trainLLM))
        }
        self.lora = stage == .instructionTuning ? lora : nil
        if let lora = self.lora {
            var rng = SeededGenerator(seed: seed)
            let shapes = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0.shape) })
            for (module, shape) in lora.modules(layers: config.text.numHiddenLayers, shapes: shapes) {
                let bound = 1 / Float(shape[1]).squareRoot()
                let a = (0..<(lora.rank * shape[1])).map { _ in Float.random(in: -bound...bound, using: &rng) }
                specs.append((module + ".lora_A", [lora.rank, shape[1]], a, true))
                specs.append((module + ".lora_B", [shape[0], lora.rank], [Float](repeating: 0, count: shape[0] * lora.rank), true))
            }
        }
        params = ParameterSet(specs)
        let tied = !params.contains(CheckpointLayout.lmHead)
        llama = TrainableLlama(config: config.text, params: params, prefix: CheckpointLayout.text,
                               lmHeadName: tied ? CheckpointLayout.text + "embed_tokens.weight" : CheckpointLayout.lmHead,
                               lora: self.lora)
        let p = CheckpointLayout.projector
        linear1 = TrainLinear(W: params[p + "linear_1.weight"], b: params.contains(p + "linear_1.bias") ? params[p + "linear_1.bias"] : nil, lora: nil)
        linear2 = params.contains(p + "linear_2.weight")
            ? TrainLinear(W: params[p + "linear_2.weight"], b: params.contains(p + "linear_2.bias") ? params[p + "linear_2.bias"] : nil, lora: nil)
            : nil
    }

    /// Selected CLIP features of one image (frozen: computed once per image by the caller).
    public func visionFeatures(pixels: [Float]) -> Tensor { inference.visionFeatures(pixels: pixels) }

    /// Loss sum and target count of `batch`; accumulates gradients of trainable parameters scaled
    /// by `gradScale` (1 / target tokens of the whole optimizer step).
    public func lossAndGradients(_ batch: [TrainingExample], gradScale: Float) -> (sum: Double, count: Int) {
        let C = config.text.hiddenSize, V = config.text.vocabSize
        let segments = Segments(lengths: batch.map(\.ids.count))
        let N = segments.total

        // Projector on every image of the batch at once: feats (M, Cv) → h1 (M, C) → gelu → (M, C).
        let images = batch.compactMap(\.visionFeatures)
        let feats = images.flatMap(\.data)
        let M = images.reduce(0) { $0 + $1.rows }
        var h1 = [Float](repeating: 0, count: M * C)
        feats.withUnsafeBufferPointer { f in h1.withUnsafeMutableBufferPointer { h in
            if M > 0 { linear1.forward(f.baseAddress!, T: M, y: h.baseAddress!, z: nil) }
        } }
        var projected = h1
        var act = h1
        if let linear2 {
            var t = Tensor(shape: [M, C], data: h1)
            Ops.gelu(&t)
            act = t.data
            act.withUnsafeBufferPointer { a in projected.withUnsafeMutableBufferPointer { y in
                if M > 0 { linear2.forward(a.baseAddress!, T: M, y: y.baseAddress!, z: nil) }
            } }
        }

        // Input embeddings, image rows spliced in order; ids of image rows set to −1 (no embedding gradient).
        var embedIDs: [Int] = []
        var imageRows: [Int] = []
        for ex in batch {
            for id in ex.ids {
                if ex.visionFeatures != nil && id == config.imageTokenIndex {
                    imageRows.append(embedIDs.count)
                    embedIDs.append(-1)
                } else {
                    embedIDs.append(id)
                }
            }
        }
        precondition(imageRows.count == M, "image tokens \(imageRows.count) vs image features \(M)")
        var x = llama.embedTokens(embedIDs)
        for (i, row) in imageRows.enumerated() {
            for c in 0..<C { x[row * C + c] = projected[i * C + c] }
        }

        let hidden = llama.forward(x, segments: segments)

        // Rows whose next token is a target; logits only for those.
        var rows: [Int] = [], targets: [Int] = []
        for (ex, start) in zip(batch, segments.starts) {
            for t in 0..<(ex.ids.count - 1) where ex.labels[t + 1] >= 0 {
                rows.append(start + t)
                targets.append(ex.labels[t + 1])
            }
        }
        let R = rows.count
        var dHidden = [Float](repeating: 0, count: N * C)
        guard R > 0 else { llama.acts = []; return (0, 0) }
        var selected = [Float](repeating: 0, count: R * C)
        for (i, r) in rows.enumerated() { for c in 0..<C { selected[i * C + c] = hidden[r * C + c] } }
        let head = llama.lmHead
        var logits = [Float](repeating: 0, count: R * V)
        var dLogits = logits
        var dSelected = selected
        var result: (sum: Double, count: Int) = (0, 0)
        selected.withUnsafeBufferPointer { s in logits.withUnsafeMutableBufferPointer { l in
            BLAS.gemm(transB: true, M: R, N: V, K: C, A: s.baseAddress!, lda: C, B: head.value, ldb: C, C: l.baseAddress!, ldc: V)
        } }
        logits.withUnsafeBufferPointer { l in dLogits.withUnsafeMutableBufferPointer { d in
            result = CrossEntropy.forwardBackward(logits: l.baseAddress!, targets: targets, V: V, gradScale: gradScale,
                                                  dLogits: d.baseAddress!)
        } }
        dLogits.withUnsafeBufferPointer { d in selected.withUnsafeBufferPointer { s in dSelected.withUnsafeMutableBufferPointer { ds in
            Backward.linear(dy: d.baseAddress!, x: s.baseAddress!, W: head.value, T: R, I: C, O: V, dx: ds.baseAddress!,
                            dW: head.trainable ? head.grad : nil, db: nil)
        } } }
        for (i, r) in rows.enumerated() { for c in 0..<C { dHidden[r * C + c] = dSelected[i * C + c] } }

        let dx = llama.backward(dHidden, segments: segments)
        llama.embedBackward(embedIDs, dx: dx)

        // Projector backward from the image rows' gradients.
        guard M > 0, linear1.W.trainable || linear2?.W.trainable == true else { return result }
        var dProjected = [Float](repeating: 0, count: M * C)
        for (i, row) in imageRows.enumerated() { for c in 0..<C { dProjected[i * C + c] = dx[row * C + c] } }
        var dH1 = dProjected
        if let linear2 {
            var dAct = [Float](repeating: 0, count: M * C)
            dProjected.withUnsafeBufferPointer { dy in act.withUnsafeBufferPointer { a in dAct.withUnsafeMutableBufferPointer { da in
                linear2.backward(dy: dy.baseAddress!, x: a.baseAddress!, z: nil, T: M, dx: da.baseAddress!, accumulate: false)
            } } }
            dAct.withUnsafeMutableBufferPointer { da in h1.withUnsafeBufferPointer { h in
                Backward.gelu(dy: da.baseAddress!, x: h.baseAddress!, count: M * C)
            } }
            dH1 = dAct
        }
        dH1.withUnsafeBufferPointer { dy in feats.withUnsafeBufferPointer { f in
            linear1.backward(dy: dy.baseAddress!, x: f.baseAddress!, z: nil, T: M, dx: nil, accumulate: false)
        } }
        return result
    }
}
