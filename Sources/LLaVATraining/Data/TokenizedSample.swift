// Turns a rendered conversation (ConversationTemplate.swift) into input ids and labels for the loss.
//
// The rule: a training sequence is tokenized exactly as inference tokenizes a prompt. The whole text,
// `<image>` already expanded to N copies (as LlavaProcessor does), goes through the tokenizer in one call,
// `encode(text, addSpecialTokens: true)` with BOS, so training and inference see the same ids.
// (The original repository tokenizes chunk by chunk around `<image>` (`tokenizer_image_token`), and the
// chunk after `<image>` starts a new text, so Metaspace prepends "▁" there: with the mistral fixture
// tokenizer, plain "<image>The bus" gives "▁The" chunked but "The" whole, and llava_v1 "<image>\nWhat" gives
// "▁" "\n" chunked but "\n" whole. That is deliberately not followed: inference never sees the chunked ids.)
//
// Targets, by prefix tokenization (the tokenizer has no offsets): for each supervised span [a, b) of the
// text (UTF-8 offsets; after the last `<image>` for plain, from right after "ASSISTANT:" to the end of
// "</s>" for llava_v1), tokenize text[..<a] and text[..<b] the same way (minus any special tokens the
// post-processor appends at the end). If both are prefixes of the full ids, the tokens between their two
// lengths are the span's targets: labels[t] = ids[t] there. If either is not a prefix (the tokenizer merged
// across the boundary, so no token split matches the span), the whole sample is masked (all labels −100,
// `masked` set), as the original masks a sample on a tokenization length mismatch.
// Tools/fixtures/make_data_fixtures.py derives the same labels independently from the Python fast
// tokenizer's offsets (a token is a target iff its character span lies inside a supervised span).
//
// Labels follow the Hugging Face convention: same length as ids, NOT shifted (label t is the token at t; the
// loss shifts), −100 where ignored (BOS, system text, questions, image tokens, "USER:" / "ASSISTANT:").
//
// Truncation: a sequence longer than maxLength keeps its first maxLength ids and labels, as the original
// truncates after splicing the image in; the sample is marked `truncated` (even if no target survives).
// A maxLength that would cut into the image tokens is an error: the model needs all N of them.
import Foundation
import LLaVATokenizer

/// The label of a position the loss ignores (PyTorch `ignore_index`, LLaVA `IGNORE_INDEX`).
public let ignoreLabel = -100

/// A sample ready for the model: ids and same-length, unshifted labels.
public struct TokenizedSample: Sendable, Hashable {
    public var ids: [Int]
    /// `ids[t]` where position t is learned, `ignoreLabel` elsewhere.
    public var labels: [Int]
    public var imagePath: URL?
    /// The sequence was longer than maxLength and was cut.
    public var truncated: Bool
    /// Whole sample masked by the prefix rule (a span boundary fell inside a token).
    public var masked: Bool

    public init(ids: [Int], labels: [Int], imagePath: URL?, truncated: Bool, masked: Bool) {
        self.ids = ids
        self.labels = labels
        self.imagePath = imagePath
        self.truncated = truncated
        self.masked = masked
    }
}

/// Counts over a tokenized dataset.
public struct TokenizationStats: Sendable, Hashable {
    public var samples = 0
    public var truncated = 0
    public var masked = 0

    public init(samples: Int = 0, truncated: Int = 0, masked: Int = 0) {
        self.samples = samples
        self.truncated = truncated
        self.masked = masked
    }
}

/// Ids and labels of one sample under `template` (see the rule at the top of this file).
/// `imageTokenCount` is N, the image tokens per image (576 for LLaVA-1.5); `maxLength` the model's context.
public func tokenize(_ sample: ConversationSample, template: ConversationTemplate, tokenizer: Tokenizer,
                     imageTokenCount: Int, maxLength: Int) throws -> TokenizedSample {
    guard maxLength >= 1 else { throw LLaVADataError.invalidParameter(name: "maxLength", value: maxLength) }
    guard let imageID = tokenizer.id(for: imagePlaceholder),
          tokenizer.encode(imagePlaceholder, addSpecialTokens: false) == [imageID]
    else { throw LLaVADataError.noImageToken }
    let rendered = try template.render(sample, imageTokenCount: imageTokenCount)

    var ids = tokenizer.encode(rendered.text, addSpecialTokens: true)
    let imagePositions = ids.indices.filter { ids[$0] == imageID }
    let expectedImages = sample.imagePath == nil ? 0 : imageTokenCount
    guard imagePositions.count == expectedImages else {
        throw LLaVADataError.invalidSample(sample.location,
                                           .imageTokenMismatch(expected: expectedImages, found: imagePositions.count))
    }

    let bytes = Array(rendered.text.utf8)
    let suffixCount = appendedSpecialTokenCount(tokenizer)
    let full = ids
    /// Length of the ids of `text[..<end]` if they are a prefix of the full ids.
    func prefixLength(_ end: Int) -> Int? {
        let prefix = tokenizer.encode(String(decoding: bytes[..<end], as: UTF8.self), addSpecialTokens: true)
            .dropLast(suffixCount)
        return full.starts(with: prefix) ? prefix.count : nil
    }
    var labels = [Int](repeating: ignoreLabel, count: ids.count)
    var masked = false
    for span in rendered.targetSpans {
        guard let a = prefixLength(span.lowerBound), let b = prefixLength(span.upperBound), a <= b else {
            masked = true
            break
        }
        for t in a..<b { labels[t] = ids[t] }
    }
    if masked { labels = [Int](repeating: ignoreLabel, count: ids.count) }

    let truncated = ids.count > maxLength
    if truncated {
        if let last = imagePositions.last, last >= maxLength {
            throw LLaVADataError.imageTokensTruncated(sample.location, maxLength: maxLength, imageEnd: last + 1)
        }
        ids.removeSubrange(maxLength...)
        labels.removeSubrange(maxLength...)
    }
    return TokenizedSample(ids: ids, labels: labels, imagePath: sample.imagePath, truncated: truncated, masked: masked)
}

/// How many special tokens the post-processor appends after the text (0 for Llama's BOS-only template, 1
/// with `add_eos_token`): the prefix tokenizations drop them before comparing.
func appendedSpecialTokenCount(_ tokenizer: Tokenizer) -> Int {
    let plain = tokenizer.encode("a", addSpecialTokens: false)
    let special = tokenizer.encode("a", addSpecialTokens: true)
    guard let start = (0...max(0, special.count - plain.count)).first(where: {
        special.count >= plain.count && special[$0..<($0 + plain.count)].elementsEqual(plain)
    }) else { return 0 }
    return special.count - start - plain.count
}

extension LLaVADataset {
    /// Tokenizes every sample (see `tokenize(_:template:tokenizer:imageTokenCount:maxLength:)`) and counts
    /// the truncated and masked ones.
    public func tokenized(template: ConversationTemplate, tokenizer: Tokenizer, imageTokenCount: Int,
                          maxLength: Int) throws -> (samples: [TokenizedSample], stats: TokenizationStats) {
        var out: [TokenizedSample] = []
        out.reserveCapacity(samples.count)
        var stats = TokenizationStats()
        for sample in samples {
            let s = try tokenize(sample, template: template, tokenizer: tokenizer,
                                 imageTokenCount: imageTokenCount, maxLength: maxLength)
            stats.samples += 1
            if s.truncated { stats.truncated += 1 }
            if s.masked { stats.masked += 1 }
            out.append(s)
        }
        return (out, stats)
    }
}
