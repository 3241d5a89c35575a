// Everything `llava generate` needs around the model: the checkpoint's tokenizer and image
// processor, prompt construction (`<image>` expanded to one token per image feature before
// tokenizing, exactly as transformers' LlavaProcessor does), and generation with a KV cache.
import Foundation
import LLaVAImage
import LLaVATensor
import LLaVATokenizer
import LlamaText

public final class LLaVAPipeline {
    public let directory: URL
    public let model: LLaVAModel
    public let tokenizer: Tokenizer
    public let imageProcessor: ImageProcessor
    /// Token ids that end generation: generation_config.json's eos_token_id, else text_config's, else the tokenizer's.
    public let stopIDs: Set<Int>

    public init(directory: URL) throws {
        self.directory = directory
        model = try LLaVAModel(directory: directory)
        tokenizer = try Tokenizer(directory: directory)
        imageProcessor = ImageProcessor(config: try ImageProcessorConfig(directory: directory))
        let imageID = tokenizer.id(for: Self.imageToken)
        guard imageID == model.config.imageTokenIndex else {
            throw LLaVAError.imageTokenMismatch(expected: model.config.imageTokenIndex, tokenizerID: imageID)
        }
        stopIDs = Set(Self.generationEOS(directory) ?? (model.config.text.eosTokenIDs.isEmpty
            ? tokenizer.eosTokenID.map { [$0] } ?? [] : model.config.text.eosTokenIDs))
    }

    public static let imageToken = "<image>"

    static func generationEOS(_ directory: URL) -> [Int]? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("generation_config.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        if let one = json["eos_token_id"] as? Int { return [one] }
        return json["eos_token_id"] as? [Int]
    }

    /// Prompt ids: each `<image>` in `rawPrompt` becomes `<image>` × (image tokens), then the whole
    /// string is tokenized with the tokenizer's special tokens (BOS).
    public func promptIDs(rawPrompt: String) throws -> [Int] {
        let count = rawPrompt.components(separatedBy: Self.imageToken).count - 1
        guard count > 0 else { throw LLaVAError.promptWithoutImage(prompt: rawPrompt) }
        guard count == 1 else { throw LLaVAError.imageTokenCount(found: count, images: 1) }
        let expanded = rawPrompt.replacingOccurrences(
            of: Self.imageToken, with: String(repeating: Self.imageToken, count: model.config.imageTokenCount))
        return tokenizer.encode(expanded, addSpecialTokens: true)
    }

    /// The pixel tensor (3, H, W) the vision tower sees.
    public func pixels(imageAt url: URL) throws -> PixelTensor {
        let px = try imageProcessor.preprocess(try ImageDecoder.decode(fileAt: url))
        let S = model.config.vision.imageSize
        guard px.channels == model.config.vision.numChannels, px.height == S, px.width == S else {
            throw LLaVAError.pixelShape(expected: [model.config.vision.numChannels, S, S], actual: [px.channels, px.height, px.width])
        }
        return px
    }

    public struct Output {
        public var inputIDs: [Int]
        public var outputIDs: [Int]
        /// Logits (T, V) at every prompt position, when asked for.
        public var promptLogits: Tensor?
        public var timings: Timings
    }

    public struct Timings {
        public var imageEncode: Double = 0   // seconds
        public var prefill: Double = 0
        public var decode: Double = 0
        public var decodeTokens = 0
    }

    /// Generates up to `maxTokens` tokens after the prompt, calling `onToken` with each new id as it
    /// is produced. Stops at a stop id (included in the output, as transformers does) or the limit;
    /// `ignoreStopIDs` runs to the limit (for benchmarks).
    public func generate(
        inputIDs: [Int], pixels: [Float], maxTokens: Int, sampling: SamplingOptions, promptLogits: Bool = false,
        ignoreStopIDs: Bool = false, onToken: (Int) -> Void = { _ in }
    ) throws -> Output {
        let limit = model.config.text.maxPositionEmbeddings
        // Checked before the image encode too, so a too-long prompt fails at once.
        guard inputIDs.count < limit else { throw LLaVAError.promptTooLong(tokens: inputIDs.count, limit: limit) }
        let start = Date()
        let features = model.encodeImage(pixels: pixels)
        let encode = Date().timeIntervalSince(start)
        var output = try generate(inputIDs: inputIDs, imageFeatures: features, maxTokens: maxTokens, sampling: sampling,
                                  promptLogits: promptLogits, ignoreStopIDs: ignoreStopIDs, onToken: onToken)
        output.timings.imageEncode = encode
        return output
    }

    /// Generation from already projected image features (N, C_text) — e.g. one image, many questions.
    public func generate(
        inputIDs: [Int], imageFeatures features: Tensor, maxTokens: Int, sampling: SamplingOptions,
        promptLogits: Bool = false, ignoreStopIDs: Bool = false, onToken: (Int) -> Void = { _ in }
    ) throws -> Output {
        let limit = model.config.text.maxPositionEmbeddings
        guard inputIDs.count < limit else { throw LLaVAError.promptTooLong(tokens: inputIDs.count, limit: limit) }
        var timings = Timings()
        var clock = Date()
        func lap() -> Double { let now = Date(); defer { clock = now }; return now.timeIntervalSince(clock) }
        let embeddings = try model.inputEmbeddings(ids: inputIDs, imageFeatures: features)
        let capacity = min(limit, inputIDs.count + max(maxTokens, 0))
        var cache = KVCache(config: model.config.text, capacity: capacity)
        let hidden = model.language.forward(embeddings, cache: &cache)
        let allLogits = promptLogits ? model.language.logits(hidden) : nil
        var last = allLogits.map { Array($0.data[($0.rows - 1) * $0.cols ..< $0.count]) }
            ?? model.language.logits(hidden.rows(hidden.rows - 1 ..< hidden.rows)).data
        timings.prefill = lap()

        var sampler = Sampler(options: sampling)
        var output: [Int] = []
        while output.count < maxTokens {
            let next = sampler.next(last)
            output.append(next)
            onToken(next)
            if (!ignoreStopIDs && stopIDs.contains(next)) || cache.length >= capacity { break }
            let h = model.language.forward(try model.inputEmbeddings(ids: [next], imageFeatures: nil), cache: &cache)
            last = model.language.logits(h).data
        }
        timings.decode = lap()
        timings.decodeTokens = max(output.count - 1, 0)
        return Output(inputIDs: inputIDs, outputIDs: output, promptLogits: allLogits, timings: timings)
    }
}
