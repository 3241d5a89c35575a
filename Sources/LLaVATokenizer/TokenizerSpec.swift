// Validates a decoded tokenizer.json and turns each pipeline stage into its Swift form. Anything outside
// the Llama/Mistral family is rejected here by name, so a tokenizer either loads exactly or not at all.
import Foundation

/// Every stage of a tokenizer, validated, before the matchers and the BPE tables are built.
struct TokenizerSpec {
    var path: String
    var addedTokens: [AddedTokenJSON]
    var normalizer: Normalizer?
    var preTokenizer: Metaspace?
    var postProcessor: PostProcessor
    var decoder: TokenDecoder?
    /// Token (UTF-8 bytes: Swift String equality is canonical equivalence, tokenizers compares bytes) → id.
    var vocab: [[UInt8]: Int32]
    var merges: [(left: Int32, right: Int32, rank: UInt32, newID: Int32)]
    var unkToken: String?
    var fuseUnk: Bool
    var byteFallback: Bool
    var ignoreMerges: Bool
    /// Names used for `bosTokenID` / `eosTokenID` (tokenizer_config.json can override them).
    var bosToken: String? = "<s>"
    var eosToken: String? = "</s>"

    static let supportedModels = ["BPE"]
    /// Ids above this are rejected: they would make the id → token table absurdly large.
    static let maxTokenID = 1 << 24

    static func load(_ url: URL) throws -> TokenizerSpec {
        try load(data: readFile(url), path: url.path)
    }

    static func load(data: Data, path: String) throws -> TokenizerSpec {
        let json: TokenizerJSON
        do {
            json = try JSONDecoder().decode(TokenizerJSON.self, from: data)
        } catch let error as DecodingError {
            throw TokenizerError.from(error, path: path)
        }
        return try TokenizerSpec(json, path: path)
    }

    init(_ json: TokenizerJSON, path: String) throws {
        self.path = path
        let model = json.model
        guard let type = model.type else { throw TokenizerError.missingField(path: path, field: "model.type") }
        guard type == "BPE", let rawVocab = model.vocab, let rawMerges = model.merges else {
            throw TokenizerError.unsupported(path: path, component: "model", type: type, supported: Self.supportedModels)
        }
        if let dropout = model.dropout, dropout != 0 {
            throw TokenizerError.invalidValue(path: path, field: "model.dropout",
                                              detail: "\(dropout) makes tokenization random; only null or 0 is supported")
        }
        for (field, value) in [("continuing_subword_prefix", model.continuingSubwordPrefix),
                               ("end_of_word_suffix", model.endOfWordSuffix)] {
            if let value, !value.isEmpty {
                throw TokenizerError.invalidValue(path: path, field: "model.\(field)",
                                                  detail: "'\(value)' is not supported (the Llama family uses none)")
            }
        }
        var vocab: [[UInt8]: Int32] = [:]
        vocab.reserveCapacity(rawVocab.count)
        var maxID = -1
        for (token, id) in rawVocab {
            guard id >= 0, id < Self.maxTokenID else {
                throw TokenizerError.invalidValue(path: path, field: "model.vocab", detail: "token '\(token)' has id \(id)")
            }
            vocab[Array(token.utf8)] = Int32(id)
            maxID = max(maxID, id)
        }
        // Foundation decodes JSON object keys into a Swift Dictionary, which merges canonically equivalent
        // strings ("é" and "e\u{301}"); a lost entry leaves a hole in the ids. Llama-family vocabularies are
        // contiguous, so a hole means entries were lost: refuse rather than tokenize differently.
        guard vocab.count == maxID + 1 else {
            throw TokenizerError.invalidValue(path: path, field: "model.vocab",
                                              detail: "\(vocab.count) entries but ids up to \(maxID) (ids must be contiguous; "
                                                  + "canonically equivalent Unicode tokens cannot be told apart after JSON decoding)")
        }
        self.vocab = vocab
        self.merges = try Self.mergeTable(rawMerges, vocab: vocab, path: path)
        if let unk = model.unkToken, vocab[token: unk] == nil {
            throw TokenizerError.invalidValue(path: path, field: "model.unk_token",
                                              detail: "'\(unk)' is not in the vocabulary")
        }
        unkToken = model.unkToken
        fuseUnk = model.fuseUnk ?? false
        byteFallback = model.byteFallback ?? false
        ignoreMerges = model.ignoreMerges ?? false
        addedTokens = json.addedTokens ?? []
        normalizer = try json.normalizer.map { try Self.normalizer($0, path: path) }
        preTokenizer = try json.preTokenizer.map { try Self.preTokenizer($0, path: path) }
        decoder = try json.decoder.map { try Self.decoder($0, path: path) }
        postProcessor = try json.postProcessor.map { try Self.postProcessor($0, path: path) } ?? .none
    }

    private static func mergeTable(_ merges: [[String]], vocab: [[UInt8]: Int32], path: String) throws
        -> [(left: Int32, right: Int32, rank: UInt32, newID: Int32)] {
        var out: [(left: Int32, right: Int32, rank: UInt32, newID: Int32)] = []
        out.reserveCapacity(merges.count)
        for (rank, pair) in merges.enumerated() {
            guard pair.count == 2 else {
                throw TokenizerError.invalidValue(path: path, field: "model.merges",
                                                  detail: "merge \(rank + 1) is not a pair of tokens: \(pair)")
            }
            for token in [pair[0], pair[1], pair[0] + pair[1]] where vocab[token: token] == nil {
                throw TokenizerError.invalidValue(path: path, field: "model.merges",
                                                  detail: "merge \(rank + 1) uses '\(token)', which is not in the vocabulary")
            }
            out.append((vocab[token: pair[0]]!, vocab[token: pair[1]]!, UInt32(rank), vocab[token: pair[0] + pair[1]]!))
        }
        return out
    }

    private static func pattern(_ p: PatternJSON?, component: String, field: String, path: String) throws -> String {
        if let s = p?.string { return s }
        if p?.regex != nil {
            throw TokenizerError.unsupported(path: path, component: "\(component) pattern", type: "Regex", supported: ["String"])
        }
        throw TokenizerError.missingField(path: path, field: field)
    }

    private static func normalizer(_ n: NormalizerJSON, path: String) throws -> Normalizer {
        switch n.type {
        case "Prepend":
            guard let p = n.prepend else { throw TokenizerError.missingField(path: path, field: "normalizer.prepend") }
            return .prepend(Array(p.utf8))
        case "Replace":
            let p = try pattern(n.pattern, component: "Replace normalizer", field: "normalizer.pattern", path: path)
            guard let content = n.content else { throw TokenizerError.missingField(path: path, field: "normalizer.content") }
            return .replace(pattern: Array(p.utf8), content: Array(content.utf8))
        case "Sequence":
            return .sequence(try (n.normalizers ?? []).map { try normalizer($0, path: path) })
        default:
            throw TokenizerError.unsupported(path: path, component: "normalizer", type: n.type, supported: Normalizer.supported)
        }
    }

    private static func singleScalar(_ s: String?, field: String, path: String) throws -> Unicode.Scalar {
        guard let s else { throw TokenizerError.missingField(path: path, field: field) }
        guard s.unicodeScalars.count == 1, let c = s.unicodeScalars.first else {
            throw TokenizerError.invalidValue(path: path, field: field, detail: "'\(s)' is not a single character")
        }
        return c
    }

    private static func prependScheme(_ scheme: String?, addPrefixSpace: Bool?, field: String, path: String) throws
        -> PrependScheme {
        // tokenizers: prepend_scheme defaults to "always"; the older add_prefix_space: false means "never".
        guard let parsed = PrependScheme(rawValue: scheme ?? "always") else {
            throw TokenizerError.invalidValue(path: path, field: field,
                                              detail: "'\(scheme ?? "")' is not one of first, always, never")
        }
        if addPrefixSpace == false {
            guard parsed == .never || scheme == nil else {
                throw TokenizerError.invalidValue(path: path, field: field,
                                                  detail: "add_prefix_space false contradicts prepend_scheme '\(parsed.rawValue)'")
            }
            return .never
        }
        return parsed
    }

    private static func preTokenizer(_ p: PreTokenizerJSON, path: String) throws -> Metaspace {
        guard p.type == "Metaspace" else {
            throw TokenizerError.unsupported(path: path, component: "pre-tokenizer", type: p.type, supported: Metaspace.supported)
        }
        let r = try singleScalar(p.replacement, field: "pre_tokenizer.replacement", path: path)
        let scheme = try prependScheme(p.prependScheme, addPrefixSpace: p.addPrefixSpace,
                                       field: "pre_tokenizer.prepend_scheme", path: path)
        return Metaspace(replacement: Array(String(Character(r)).utf8), prependScheme: scheme, split: p.split ?? true)
    }

    private static func decoder(_ d: DecoderJSON, path: String) throws -> TokenDecoder {
        switch d.type {
        case "Replace":
            let p = try pattern(d.pattern, component: "Replace decoder", field: "decoder.pattern", path: path)
            guard let content = d.content else { throw TokenizerError.missingField(path: path, field: "decoder.content") }
            return .replace(pattern: p, content: content)
        case "ByteFallback":
            return .byteFallback
        case "Fuse":
            return .fuse
        case "Strip":
            let c = try singleScalar(d.content, field: "decoder.content", path: path)
            guard let start = d.start, let stop = d.stop, start >= 0, stop >= 0 else {
                throw TokenizerError.invalidValue(path: path, field: "decoder.start", detail: "Strip needs start and stop counts >= 0")
            }
            return .strip(content: c, start: start, stop: stop)
        case "Metaspace":
            let r = try singleScalar(d.replacement, field: "decoder.replacement", path: path)
            let scheme = try prependScheme(d.prependScheme, addPrefixSpace: d.addPrefixSpace,
                                           field: "decoder.prepend_scheme", path: path)
            return .metaspace(replacement: r, prependScheme: scheme)
        case "Sequence":
            return .sequence(try (d.decoders ?? []).map { try decoder($0, path: path) })
        default:
            throw TokenizerError.unsupported(path: path, component: "decoder", type: d.type, supported: TokenDecoder.supported)
        }
    }

    private static func postProcessor(_ p: PostProcessorJSON, path: String) throws -> PostProcessor {
        guard p.type == "TemplateProcessing" else {
            throw TokenizerError.unsupported(path: path, component: "post-processor", type: p.type, supported: PostProcessor.supported)
        }
        guard let single = p.single else { throw TokenizerError.missingField(path: path, field: "post_processor.single") }
        var out = PostProcessor()
        var seenSequence = false
        for piece in single {
            if let s = piece.sequence {
                guard s.id == "A", !seenSequence else {
                    throw TokenizerError.invalidValue(path: path, field: "post_processor.single",
                                                      detail: "a single-sequence template must contain $A exactly once")
                }
                seenSequence = true
            } else if let t = piece.specialToken {
                guard let ids = p.specialTokens?[t.id]?.ids else {
                    throw TokenizerError.invalidValue(path: path, field: "post_processor.special_tokens",
                                                      detail: "'\(t.id)' is used by the template but not defined")
                }
                let ids32 = ids.map { Int32(clamping: $0) }
                if seenSequence { out.suffix += ids32 } else { out.prefix += ids32 }
            }
        }
        return out
    }
}

func readFile(_ url: URL) throws -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
        throw TokenizerError.fileNotFound(path: url.path)
    }
    do {
        return try Data(contentsOf: url)
    } catch {
        throw TokenizerError.unreadable(path: url.path, reason: error.localizedDescription)
    }
}

extension Dictionary where Key == [UInt8] {
    /// Lookup by the token's UTF-8 bytes.
    subscript(token token: String) -> Value? { self[Array(token.utf8)] }
}
