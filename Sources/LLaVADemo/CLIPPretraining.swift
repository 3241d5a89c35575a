// Stage 0a of the demo: a vision encoder pretrained the CLIP way on ShapesWorld's image–caption
// pairs, then zero-shot classification as in CLIP §3.1.2: each single-object test image is
// assigned the prompt "a photo of a {colour} {shape}" with the highest cosine similarity.
import CLIPVision
import Foundation
import LLaVA
import LLaVAImage
import LLaVATokenizer
import LLaVATraining
import ShapesWorld

public struct CLIPResult: Sendable {
    public var losses: [Double]
    public var zeroShotAccuracy: Double
    public var zeroShotColourAccuracy: Double
    public var zeroShotShapeAccuracy: Double
    /// The same with the prompt "a {colour} {shape}".
    public var captionPromptAccuracy: Double
    public var captionPromptShapeAccuracy: Double
    public var zeroShotImages: Int
    public var finalTemperature: Float
}

enum CLIPPretraining {
    static func visionConfig(_ s: DemoSettings) -> CLIPVisionConfig {
        CLIPVisionConfig(hiddenSize: s.clipHidden, intermediateSize: 4 * s.clipHidden, numHiddenLayers: s.clipLayers,
                         numAttentionHeads: s.clipHeads, imageSize: s.imageSize, patchSize: s.patchSize,
                         projectionDim: s.clipHidden)
    }

    /// Caption ids for the text tower: the caption's tokens (no BOS) then EOS.
    static func captionIDs(_ text: String, _ tokenizer: Tokenizer, maxLength: Int) -> [Int] {
        Array(tokenizer.encode(text, addSpecialTokens: false).prefix(maxLength - 1)) + [tokenizer.eosTokenID ?? 2]
    }

    static func train(pairs: [(pixels: [Float], caption: String)], tokenizer: Tokenizer, settings s: DemoSettings,
                      processor: ImageProcessor, progress: (Int, Double) -> Void) throws -> (TrainableCLIP, CLIPResult) {
        let maxText = 48
        let text = CLIPTextConfig(vocabSize: tokenizer.vocabularySize, hiddenSize: s.clipHidden, intermediateSize: 4 * s.clipHidden,
                                  numHiddenLayers: s.clipTextLayers, numAttentionHeads: s.clipHeads, maxPositionEmbeddings: maxText)
        let clip = TrainableCLIP(vision: visionConfig(s), text: text, projectionDim: s.clipHidden, seed: s.seed &+ 100)
        let optimizer = Optimizer(kind: .adamw, parameterCount: clip.params.count, weightDecay: 0.1)
        let schedule = CosineSchedule(peak: s.clipLR, warmupRatio: 0.05, totalSteps: s.clipSteps)
        let captions = pairs.map { captionIDs($0.caption, tokenizer, maxLength: maxText) }
        var rng = SeededGenerator(seed: s.seed &+ 101)
        var order: [Int] = []
        var losses: [Double] = []
        for step in 0..<s.clipSteps {
            if order.count < s.clipBatch { order += Array(pairs.indices).shuffled(using: &rng) }
            let batch = Array(order.prefix(s.clipBatch))
            order.removeFirst(batch.count)
            clip.params.zeroGrads()
            let loss = clip.lossAndGradients(images: batch.map { pairs[$0].pixels }, captions: batch.map { captions[$0] })
            let norm = clip.params.gradNorm()
            if norm > 1 { clip.params.scaleGrads(Float(1 / (norm + 1e-6))) }
            optimizer.update(clip.params, lr: schedule.lr(at: step))
            // CLIP §2.5: the temperature is clipped so logits never scale by more than 100.
            let scale = clip.params["logit_scale"]
            scale.value[0] = min(scale.value[0], logf(TrainableCLIP.maxLogitScale))
            losses.append(loss)
            progress(step + 1, loss)
        }
        // Zero-shot on fresh single-object scenes (colours × shapes, seen and held-out pairs alike),
        // with CLIP's prompt ("a photo of a …", whose "photo" ShapesWorld's captions never use) and
        // with the captions' own wording ("a red triangle").
        let generator = try SceneGenerator(seed: s.seed &+ 777, size: s.imageSize, composition: .unrestricted, objectCount: 1...1)
        let classes = Combination.all
        let count = 192
        let D = clip.projectionDim
        var images: [[Float]] = []
        var truth: [Combination] = []
        for i in 0..<count {
            let scene = generator.scene(index: i)
            let px = try processor.preprocess(RGBImage(width: scene.width, height: scene.height, pixels: scene.pixels)).values
            images.append(clip.encodeImagesForInference([px]))
            truth.append(Combination(scene.objects[0].color, scene.objects[0].shape))
        }
        func zeroShot(_ template: (Combination) -> String) -> (all: Double, colour: Double, shape: Double) {
            let text = clip.encodeTextsForInference(classes.map { captionIDs(template($0), tokenizer, maxLength: maxText) })
            var correct = 0, colour = 0, shape = 0
            for (image, t) in zip(images, truth) {
                var best = 0, bestScore = -Float.infinity
                for c in classes.indices {
                    var dot: Float = 0
                    for d in 0..<D { dot += image[d] * text[c * D + d] }
                    if dot > bestScore { bestScore = dot; best = c }
                }
                if classes[best] == t { correct += 1 }
                if classes[best].color == t.color { colour += 1 }
                if classes[best].shape == t.shape { shape += 1 }
            }
            return (Double(correct) / Double(count), Double(colour) / Double(count), Double(shape) / Double(count))
        }
        let paper = zeroShot { "a photo of a \($0.color.rawValue) \($0.shape.rawValue)" }
        let plain = zeroShot { "a \($0.color.rawValue) \($0.shape.rawValue)" }
        let result = CLIPResult(losses: losses, zeroShotAccuracy: paper.all, zeroShotColourAccuracy: paper.colour,
                                zeroShotShapeAccuracy: paper.shape, captionPromptAccuracy: plain.all,
                                captionPromptShapeAccuracy: plain.shape, zeroShotImages: count,
                                finalTemperature: clip.temperature)
        return (clip, result)
    }
}
