// A Hugging Face tokenizer.json tokenizer for the Llama / Mistral / Vicuna family, exact against
// tokenizers 0.23.3 (and, through `init(directory:)`, transformers 5.23.0 AutoTokenizer).
// Pipeline as tokenizers' `TokenizerImpl::encode`: added tokens with `normalized: false` are split off the
// raw text → each remaining piece is normalized → added tokens with `normalized: true` are split off →
// Metaspace pre-tokenizer → BPE with byte fallback → TemplateProcessing. Works on UTF-8 bytes throughout.
import Foundation

/// Encodes text to token ids and decodes ids to text, as Hugging Face `tokenizers` does.
///
/// Thread-safe: encoding is serialised by a lock (the BPE word cache is shared).
public final class Tokenizer: @unchecked Sendable {
    private let model: BPEModel
    private let normalizer: Normalizer?
    private let preTokenizer: Metaspace?
    private let decoder: TokenDecoder?
    private let postProcessor: PostProcessor
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    /// Added tokens by id, and the string decoding yields for them (the normalized content when normalized).
    private let addedByID: [Int32: (token: AddedToken, decoded: String)]
    /// Keyed by UTF-8 bytes, so lookups are byte-exact as in tokenizers.
    private let addedByContent: [[UInt8]: Int32]
    private let specialContents: Set<[UInt8]>
    private let lock = NSLock()

    /// Number of ids, including added tokens (tokenizers' `get_vocab_size(with_added_tokens: true)`).
    public let vocabularySize: Int
    /// Id of the beginning-of-sequence token (`bos_token` of tokenizer_config.json, else `<s>`), if any.
    public let bosTokenID: Int?
    /// Id of the end-of-sequence token (`eos_token` of tokenizer_config.json, else `</s>`), if any.
    public let eosTokenID: Int?
    /// Ids of the added tokens marked `special` (skipped by `decode(_:skipSpecialTokens: true)`).
    public let specialTokenIDs: Set<Int>

    /// Loads a tokenizer.json exactly as `tokenizers.Tokenizer.from_file` interprets it.
    public convenience init(url: URL) throws {
        try self.init(spec: TokenizerSpec.load(url))
    }

    /// Loads tokenizer.json bytes; `source` names the data in error messages.
    public convenience init(data: Data, source: String = "tokenizer.json") throws {
        try self.init(spec: TokenizerSpec.load(data: data, path: source))
    }

    /// Loads `directory/tokenizer.json` and applies `directory/tokenizer_config.json` (if present) as
    /// transformers 5 `AutoTokenizer.from_pretrained(directory)` does (see `TokenizerConfig.swift`).
    public convenience init(directory: URL) throws {
        var spec = try TokenizerSpec.load(directory.appendingPathComponent("tokenizer.json"))
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        if FileManager.default.fileExists(atPath: configURL.path) {
            try TokenizerConfigJSON.load(configURL).apply(to: &spec)
        }
        try self.init(spec: spec)
    }

    init(spec: TokenizerSpec) throws {
        let unkID = try spec.unkToken.map { unk -> Int32 in
            guard let id = spec.vocab[token: unk] else {
                throw TokenizerError.invalidValue(path: spec.path, field: "model.unk_token", detail: "'\(unk)' is not in the vocabulary")
            }
            return id
        }
        model = BPEModel(vocab: spec.vocab, merges: MergeTable(spec.merges), unkID: unkID, fuseUnk: spec.fuseUnk,
                         byteFallback: spec.byteFallback, ignoreMerges: spec.ignoreMerges)
        normalizer = spec.normalizer
        preTokenizer = spec.preTokenizer
        decoder = spec.decoder
        postProcessor = spec.postProcessor

        var byID: [Int32: (token: AddedToken, decoded: String)] = [:]
        var byContent: [[UInt8]: Int32] = [:]
        var special = Set<[UInt8]>()
        for (json, id) in spec.addedTokenIDs() {
            let pattern = json.normalized ? (spec.normalizer?.apply(Array(json.content.utf8)) ?? Array(json.content.utf8))
                : Array(json.content.utf8)
            let token = AddedToken(id: id, content: json.content, pattern: pattern, singleWord: json.singleWord,
                                   lstrip: json.lstrip, rstrip: json.rstrip, normalized: json.normalized, special: json.special)
            byContent[Array(json.content.utf8)] = id
            byID[id] = (token, String(decoding: pattern, as: UTF8.self))
            if json.special { special.insert(Array(json.content.utf8)) }
        }
        addedByID = byID
        addedByContent = byContent
        specialContents = special
        rawMatcher = AddedTokenMatcher(byID.values.map(\.token).filter { !$0.normalized }.sorted { $0.id < $1.id })
        normalizedMatcher = AddedTokenMatcher(byID.values.map(\.token).filter { $0.normalized }.sorted { $0.id < $1.id })
        vocabularySize = spec.vocab.count + byContent.keys.filter { spec.vocab[$0] == nil }.count
        specialTokenIDs = Set(byID.filter { $0.value.token.special }.map { Int($0.key) })
        let lookup = { (token: String) -> Int? in (byContent[token: token] ?? spec.vocab[token: token]).map(Int.init) }
        bosTokenID = spec.bosToken.flatMap(lookup)
        eosTokenID = spec.eosToken.flatMap(lookup)
    }

    /// Token ids of `text`; with `addSpecialTokens` the post-processor's tokens (e.g. BOS `<s>`) are added,
    /// as transformers' `tokenizer(text).input_ids` does by default.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        lock.lock()
        defer { lock.unlock() }
        var out: [Int32] = []
        out.reserveCapacity(text.utf8.count / 3 + 4)
        if addSpecialTokens { out += postProcessor.prefix }
        let bytes = Array(text.utf8)
        for raw in rawMatcher.split(bytes) {
            if let id = raw.tokenID { out.append(id); continue }
            let piece = raw.range == bytes.indices ? bytes : Array(bytes[raw.range])
            let normalized = normalizer?.apply(piece) ?? piece
            for sub in normalizedMatcher.split(normalized) {
                if let id = sub.tokenID { out.append(id); continue }
                let word = sub.range == normalized.indices ? normalized : Array(normalized[sub.range])
                if let preTokenizer {
                    // Metaspace "first" asks whether the piece starts at offset 0 of the original text.
                    let atStart = raw.range.lowerBound == 0 && sub.range.lowerBound == 0
                    preTokenizer.pretokenize(word, atOriginalStart: atStart) { model.tokenize($0, into: &out) }
                } else {
                    model.tokenize(word[...], into: &out)
                }
            }
        }
        if addSpecialTokens { out += postProcessor.suffix }
        return out.map(Int.init)
    }

    /// Text of `ids`, as `tokenizers.Tokenizer.decode` (and transformers 5, which skips
    /// `clean_up_tokenization_spaces` for BPE models). Unknown ids are ignored.
    ///
    /// Streaming: see `StreamingDetokenizer`, which decodes the growing id list and emits only the new suffix.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let t = token(for: id) else { continue }
            if skipSpecialTokens, specialContents.contains(Array(t.utf8)) { continue }
            tokens.append(t)
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decode(tokens)
    }

    /// Id of a token string (added tokens first, then the model vocabulary).
    public func id(for token: String) -> Int? {
        (addedByContent[token: token] ?? model.vocab[token: token]).map(Int.init)
    }

    /// Token string of an id (for a `normalized` added token, its normalized form, as tokenizers returns).
    public func token(for id: Int) -> String? {
        guard let id32 = Int32(exactly: id) else { return nil }
        if let added = addedByID[id32] { return added.decoded }
        guard id >= 0, id < model.tokens.count else { return nil }
        return model.tokens[id]
    }
}

extension TokenizerSpec {
    /// Ids of the added tokens as tokenizers assigns them when loading (`AddedVocabulary::add_tokens`): a
    /// token already in the vocabulary keeps its id, a new one takes the next id after the vocabulary. The
    /// `id` written in the file is not used (tokenizers only warns when it differs).
    func addedTokenIDs() -> [(token: AddedTokenJSON, id: Int32)] {
        var out: [(token: AddedTokenJSON, id: Int32)] = []
        var assigned: [[UInt8]: Int32] = [:]
        var next = Int32(vocab.count)
        for token in addedTokens where !token.content.isEmpty {
            let id: Int32
            if let existing = assigned[token: token.content] ?? vocab[token: token.content] {
                id = existing
            } else {
                id = next
                next += 1
            }
            assigned[Array(token.content.utf8)] = id
            out.append((token, id))
        }
        return out
    }
}
