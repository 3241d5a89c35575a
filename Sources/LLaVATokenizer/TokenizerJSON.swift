// A Decodable mirror of Hugging Face tokenizer.json (tokenizers 0.23 serialization). Tagged unions
// ("type": "Metaspace", ...) are flattened into one struct per stage with every field optional, so
// decoding never fails on a stage kind we do not support: the loader reports it by name instead.
import Foundation

struct TokenizerJSON: Decodable {
    var addedTokens: [AddedTokenJSON]?
    var normalizer: NormalizerJSON?
    var preTokenizer: PreTokenizerJSON?
    var postProcessor: PostProcessorJSON?
    var decoder: DecoderJSON?
    var model: ModelJSON

    enum CodingKeys: String, CodingKey {
        case addedTokens = "added_tokens"
        case normalizer
        case preTokenizer = "pre_tokenizer"
        case postProcessor = "post_processor"
        case decoder
        case model
    }
}

struct AddedTokenJSON: Decodable {
    var id: Int
    var content: String
    var _singleWord: Bool?
    var _lstrip: Bool?
    var _rstrip: Bool?
    var _normalized: Bool?
    var _special: Bool?

    var singleWord: Bool { _singleWord ?? false }
    var lstrip: Bool { _lstrip ?? false }
    var rstrip: Bool { _rstrip ?? false }
    var special: Bool { _special ?? false }
    /// tokenizers' `AddedToken::default()` has `normalized: true`.
    var normalized: Bool { _normalized ?? true }

    enum CodingKeys: String, CodingKey {
        case id, content
        case _singleWord = "single_word"
        case _lstrip = "lstrip"
        case _rstrip = "rstrip"
        case _normalized = "normalized"
        case _special = "special"
    }
}

/// `{"String": " "}` or `{"Regex": "..."}` (only the string form is supported).
struct PatternJSON: Decodable {
    var string: String?
    var regex: String?

    enum CodingKeys: String, CodingKey {
        case string = "String"
        case regex = "Regex"
    }
}

struct NormalizerJSON: Decodable {
    var type: String
    var normalizers: [NormalizerJSON]?
    var prepend: String?
    var pattern: PatternJSON?
    var content: String?
}

struct PreTokenizerJSON: Decodable {
    var type: String
    var replacement: String?
    var prependScheme: String?
    var split: Bool?
    var addPrefixSpace: Bool?

    enum CodingKeys: String, CodingKey {
        case type, replacement, split
        case prependScheme = "prepend_scheme"
        case addPrefixSpace = "add_prefix_space"
    }
}

struct DecoderJSON: Decodable {
    var type: String
    var decoders: [DecoderJSON]?
    var pattern: PatternJSON?
    var content: String?
    var start: Int?
    var stop: Int?
    var replacement: String?
    var prependScheme: String?
    var addPrefixSpace: Bool?

    enum CodingKeys: String, CodingKey {
        case type, decoders, pattern, content, start, stop, replacement
        case prependScheme = "prepend_scheme"
        case addPrefixSpace = "add_prefix_space"
    }
}

struct PostProcessorJSON: Decodable {
    var type: String
    var single: [TemplatePieceJSON]?
    var specialTokens: [String: TemplateSpecialTokenJSON]?

    enum CodingKeys: String, CodingKey {
        case type, single
        case specialTokens = "special_tokens"
    }
}

/// One entry of a TemplateProcessing template: `{"SpecialToken": {"id": "<s>", "type_id": 0}}` or
/// `{"Sequence": {"id": "A", "type_id": 0}}`.
struct TemplatePieceJSON: Decodable {
    struct Body: Decodable { var id: String }
    var specialToken: Body?
    var sequence: Body?

    enum CodingKeys: String, CodingKey {
        case specialToken = "SpecialToken"
        case sequence = "Sequence"
    }
}

struct TemplateSpecialTokenJSON: Decodable {
    var id: String
    var ids: [Int]
}

/// The `model` section. Its vocabulary is only decoded for BPE, so a Unigram (`[[piece, score]]`) or
/// WordPiece file reaches the loader and is reported as unsupported rather than as a type mismatch.
struct ModelJSON: Decodable {
    var type: String?
    var vocab: [String: Int]?
    var merges: [[String]]?
    /// Whether `merges` was written as `"a b"` strings (older files) rather than `["a", "b"]` pairs.
    var mergesWereStrings = false
    var unkToken: String?
    var fuseUnk: Bool?
    var byteFallback: Bool?
    var ignoreMerges: Bool?
    var dropout: Double?
    var continuingSubwordPrefix: String?
    var endOfWordSuffix: String?

    enum CodingKeys: String, CodingKey {
        case type, vocab, merges, dropout
        case unkToken = "unk_token"
        case fuseUnk = "fuse_unk"
        case byteFallback = "byte_fallback"
        case ignoreMerges = "ignore_merges"
        case continuingSubwordPrefix = "continuing_subword_prefix"
        case endOfWordSuffix = "end_of_word_suffix"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type)
        // Files written before `type` was serialised are BPE when they carry merges (tokenizers does the same
        // untagged fallback).
        if type == nil, c.contains(.merges) { type = "BPE" }
        guard type == "BPE" else { return }
        vocab = try c.decode([String: Int].self, forKey: .vocab)
        if let pairs = try? c.decode([[String]].self, forKey: .merges) {
            merges = pairs
        } else {
            let lines = try c.decode([String].self, forKey: .merges)
            mergesWereStrings = true
            merges = lines.filter { !$0.hasPrefix("#version") }.map { $0.split(separator: " ", omittingEmptySubsequences: false).map(String.init) }
        }
        unkToken = try c.decodeIfPresent(String.self, forKey: .unkToken)
        fuseUnk = try c.decodeIfPresent(Bool.self, forKey: .fuseUnk)
        byteFallback = try c.decodeIfPresent(Bool.self, forKey: .byteFallback)
        ignoreMerges = try c.decodeIfPresent(Bool.self, forKey: .ignoreMerges)
        dropout = try c.decodeIfPresent(Double.self, forKey: .dropout)
        continuingSubwordPrefix = try c.decodeIfPresent(String.self, forKey: .continuingSubwordPrefix)
        endOfWordSuffix = try c.decodeIfPresent(String.self, forKey: .endOfWordSuffix)
    }
}
