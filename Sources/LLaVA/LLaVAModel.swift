// LlavaForConditionalGeneration (transformers modeling_llava.py, v5.23): the CLIP vision tower's
// selected hidden state → projector → those vectors replace the `<image>` positions of the token
// embeddings (masked_scatter, in order) → Llama/Mistral decoder → logits.
import CLIPVision
import Foundation
import LLaVACheckpoint
import LLaVATensor
import LlamaText

public final class LLaVAModel: @unchecked Sendable {
    public let config: LLaVAConfig
    public let vision: CLIPVisionModel
    public let projector: LLaVAProjector
    public let language: LlamaModel

    /// Loads DIR/config.json and the weights, verifying keys and shapes both ways.
    public convenience init(directory: URL) throws {
        let config = try LLaVAConfig(directory: directory)
        let tensors = try CheckpointLayout.canonicalize(CheckpointFiles.loadTensors(directory: directory))
        try self.init(config: config, tensors: tensors, directory: directory.path)
    }

    public init(config: LLaVAConfig, tensors: [String: Weight], directory: String) throws {
        self.config = config
        let store = WeightStore(tensors: tensors, directory: directory)
        vision = try CLIPVisionModel(config: config.vision, store: store, prefix: CheckpointLayout.vision,
                                     layersToRun: config.visionLayersToRun)
        projector = try LLaVAProjector(config: config, store: store, prefix: CheckpointLayout.projector)
        let tied = config.tieWordEmbeddings && !store.contains(CheckpointLayout.lmHead)
        language = try LlamaModel(config: config.text, store: store, prefix: CheckpointLayout.text,
                                  lmHeadKey: tied ? nil : CheckpointLayout.lmHead)
        try store.finish()
    }

    /// The selected vision features (N, C_vision·layers): hidden states at vision_feature_layer,
    /// CLS dropped for strategy "default", several layers concatenated on the last dim. pixels (3, H, W).
    public func visionFeatures(pixels: [Float]) -> Tensor {
        let states = vision.hiddenStates(pixels: pixels)
        let selected = config.visionFeatureLayers.map { states[config.hiddenStateIndex($0)!] }
        let skip = config.selectStrategy == .default ? 1 : 0
        let N = config.vision.numPositions - skip, C = config.vision.hiddenSize
        var out = Tensor(zeros: [N, C * selected.count])
        for n in 0..<N {
            for (j, s) in selected.enumerated() {
                for c in 0..<C { out.data[n * C * selected.count + j * C + c] = s.data[(n + skip) * C + c] }
            }
        }
        return out
    }

    /// Projected image features (N, C_text): the "visual tokens". pixels (3, H, W).
    public func encodeImage(pixels: [Float]) -> Tensor { projector(visionFeatures(pixels: pixels)) }

    /// Input embeddings (T, C_text) of `ids` with the image-token positions replaced, in order, by
    /// the rows of `imageFeatures` (N, C_text). The number of image tokens must equal N.
    public func inputEmbeddings(ids: [Int], imageFeatures: Tensor?) throws -> Tensor {
        let V = config.text.vocabSize
        if let bad = ids.first(where: { $0 < 0 || $0 >= V }) { throw LLaVAError.tokenOutOfVocabulary(id: bad, vocabularySize: V) }
        let imageID = config.imageTokenIndex
        let positions = ids.indices.filter { ids[$0] == imageID }
        let rows = imageFeatures?.rows ?? 0
        guard positions.count == rows else {
            throw LLaVAError.imageTokenCount(found: positions.count, images: rows == 0 ? 0 : 1)
        }
        var x = language.embed(ids)
        if let imageFeatures {
            let C = config.text.hiddenSize
            for (i, t) in positions.enumerated() {
                for c in 0..<C { x.data[t * C + c] = imageFeatures.data[i * C + c] }
            }
        }
        return x
    }
}
