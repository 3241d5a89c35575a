// Stage 0a of the demo: a vision encoder pretrained the CLIP way on ShapesWorld's image–caption
// pairs, then zero-shot classification as in CLIP §3.1.2: each single-object test image is
// assigned the prompt "a photo of a {size} {colour} {shape}" with the highest cosine similarity.
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

    /// CLIP's own image–caption stream: fresh scenes, never LLaVA's training or evaluation scenes
    /// (CLIP's 400M web pairs are likewise separate from LLaVA's data). Step `t` draws batch `t`:
    /// a share of single-object scenes captioned "a {size} {colour} {shape}" or, as much web alt-text
    /// reads (CLIP §3.1.4), "a photo of a {size} {colour} {shape}"; the rest 1–5-object scenes with
    /// one of the brief caption styles. Held-out combinations never appear. With `clipHardNegatives`
    /// every other pair is a hard negative of the one before (SceneGenerator.shapeTwin): colour alone
    /// tells most pairs of a batch apart, so without them the patch tokens learn little shape (a
    /// linear probe on hidden_states[-2] reads the shape of 82.0% of objects; with them 89.7%).
    struct PairStream {
        let single, multi: SceneGenerator
        let batch: Int
        let singleShare: Double
        let twins: [DemoSettings.HardNegative]
        let seed: UInt64
        let processor: ImageProcessor

        init(settings s: DemoSettings, processor: ImageProcessor) throws {
            let held = SceneGenerator.heldOutCombinations(seed: s.seed)
            single = try SceneGenerator(seed: s.seed &+ 500, size: s.imageSize, composition: .training,
                                        heldOutCombinations: held, objectCount: 1...1)
            multi = try SceneGenerator(seed: s.seed &+ 501, size: s.imageSize, composition: .training,
                                       heldOutCombinations: held)
            batch = s.clipBatch
            singleShare = s.clipSingleObjectShare
            twins = s.clipHardNegatives
            seed = s.seed
            self.processor = processor
        }

        func batch(_ step: Int) throws -> [(pixels: [Float], caption: String)] {
            var rng = SplitMix64(seed: seed, stream: 0x434C4950, UInt64(step))  // "CLIP"
            var out: [(pixels: [Float], caption: String)] = []
            var original: (scene: Scene, single: Bool, style: Int)?
            for k in 0..<batch {
                let scene: Scene, isSingle: Bool, fixedStyle: Int?
                // With hard negatives, each fresh pair is followed by one twin per kind: its scene with
                // one shape (or size) changed, captioned in the same style, so only that word tells
                // the pairs apart.
                let slot = k % (1 + twins.count)
                if slot > 0, let o = original, let twin = twins[slot - 1].twin(of: o.scene, in: o.single ? single : multi, rng: &rng) {
                    (scene, isSingle, fixedStyle) = (twin, o.single, o.style)
                } else {
                    let index = step * batch + k
                    isSingle = rng.chance(singleShare)
                    scene = isSingle ? single.scene(index: index) : multi.scene(index: index)
                    fixedStyle = nil
                }
                let (caption, style) = Self.caption(scene, single: isSingle, style: fixedStyle, rng: &rng)
                if fixedStyle == nil { original = (scene, isSingle, style) }
                let px = try processor.preprocess(RGBImage(width: scene.width, height: scene.height, pixels: scene.pixels)).values
                out.append((px, caption))
            }
            return out
        }

        /// The caption of `scene` in `style` (nil: drawn from `rng`) and the style used: for a
        /// single-object scene 0 "a photo of a {size} {colour} {shape}", 1 "a {size} {colour} {shape}";
        /// otherwise an index into its brief captions.
        static func caption(_ scene: Scene, single: Bool, style: Int?, rng: inout SplitMix64) -> (String, Int) {
            if single {
                let o = scene.objects[0]
                let photo = style.map { $0 == 0 } ?? rng.chance(0.5)
                return ((photo ? "a photo of a " : "a ") + "\(o.size.rawValue) \(o.color.rawValue) \(o.shape.rawValue)", photo ? 0 : 1)
            }
            let brief = CaptionWriter.captions(for: scene, rng: &rng).brief
            let i = style ?? rng.int(below: brief.count)
            return (brief[i], i)
        }
    }

    static func train(tokenizer: Tokenizer, settings s: DemoSettings, processor: ImageProcessor,
                      progress: (Int, Double) -> Void) throws -> (TrainableCLIP, CLIPResult) {
        let maxText = 48
        let text = CLIPTextConfig(vocabSize: tokenizer.vocabularySize, hiddenSize: s.clipHidden, intermediateSize: 4 * s.clipHidden,
                                  numHiddenLayers: s.clipTextLayers, numAttentionHeads: s.clipHeads, maxPositionEmbeddings: maxText)
        let clip = TrainableCLIP(vision: visionConfig(s), text: text, projectionDim: s.clipHidden, seed: s.seed &+ 100)
        let optimizer = Optimizer(kind: .adamw, parameterCount: clip.params.count, weightDecay: 0.1)
        let schedule = CosineSchedule(peak: s.clipLR, warmupRatio: 0.05, totalSteps: s.clipSteps)
        let stream = try PairStream(settings: s, processor: processor)
        var losses: [Double] = []
        for step in 0..<s.clipSteps {
            let batch = try stream.batch(step)
            clip.params.zeroGrads()
            let loss = clip.lossAndGradients(images: batch.map(\.pixels),
                                             captions: batch.map { captionIDs($0.caption, tokenizer, maxLength: maxText) })
            let norm = clip.params.gradNorm()
            if norm > 1 { clip.params.scaleGrads(Float(1 / (norm + 1e-6))) }
            optimizer.update(clip.params, lr: schedule.lr(at: step))
            // CLIP §2.5: the temperature is clipped so logits never scale by more than 100.
            let scale = clip.params["logit_scale"]
            scale.value[0] = min(scale.value[0], logf(TrainableCLIP.maxLogitScale))
            losses.append(loss)
            progress(step + 1, loss)
        }
        // Zero-shot on fresh single-object scenes (seen and held-out colour–shape pairs alike): each
        // image gets the class whose prompt is most similar, over 2 sizes × 8 colours × 6 shapes.
        // Prompts: CLIP's "a photo of a {size} {colour} {shape}" and the captions' own wording
        // "a {size} {colour} {shape}".
        // Accuracy counts colour and shape (the size word only keeps the prompt in-distribution).
        let generator = try SceneGenerator(seed: s.seed &+ 777, size: s.imageSize, composition: .unrestricted, objectCount: 1...1)
        let classes = ObjectSize.allCases.flatMap { size in Combination.all.map { (size, $0) } }
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
        func zeroShot(_ prefix: String) -> (all: Double, colour: Double, shape: Double) {
            let prompts = classes.map { "\(prefix)\($0.0.rawValue) \($0.1.color.rawValue) \($0.1.shape.rawValue)" }
            let text = clip.encodeTextsForInference(prompts.map { captionIDs($0, tokenizer, maxLength: maxText) })
            var correct = 0, colour = 0, shape = 0
            for (image, t) in zip(images, truth) {
                var best = 0, bestScore = -Float.infinity
                for c in classes.indices {
                    var dot: Float = 0
                    for d in 0..<D { dot += image[d] * text[c * D + d] }
                    if dot > bestScore { bestScore = dot; best = c }
                }
                let guess = classes[best].1
                if guess == t { correct += 1 }
                if guess.color == t.color { colour += 1 }
                if guess.shape == t.shape { shape += 1 }
            }
            return (Double(correct) / Double(count), Double(colour) / Double(count), Double(shape) / Double(count))
        }
        let paper = zeroShot("a photo of a ")
        let plain = zeroShot("a ")
        let result = CLIPResult(losses: losses, zeroShotAccuracy: paper.all, zeroShotColourAccuracy: paper.colour,
                                zeroShotShapeAccuracy: paper.shape, captionPromptAccuracy: plain.all,
                                captionPromptShapeAccuracy: plain.shape, zeroShotImages: count,
                                finalTemperature: clip.temperature)
        return (clip, result)
    }
}
