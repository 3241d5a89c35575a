// tokenizer_config.json, and what transformers 5.23 does with it. For `tokenizer_class: LlamaTokenizer`
// (llava-hf, Vicuna, Mistral checkpoints) transformers 5 does NOT use the pipeline in tokenizer.json: it keeps
// the vocabulary, merges, added tokens and post-processor, and rebuilds the rest in
// `LlamaTokenizer.__init__` (transformers/models/llama/tokenization_llama.py): no normalizer, a Metaspace
// pre-tokenizer (prepend "first", or "always" with legacy: true, or "never" with add_prefix_space: false,
// split off), the Replace/ByteFallback/Fuse(/Strip) decoder, BPE with byte fallback and no unk token.
// So an old file with the Prepend/Replace normalizer is tokenized as Metaspace("first") by transformers 5.
import Foundation

struct TokenizerConfigJSON: Decodable {
    var tokenizerClass: String?
    var addBosToken: Bool?
    var addEosToken: Bool?
    var legacy: Bool?
    var addPrefixSpace: Bool?
    var bosToken: TokenName?
    var eosToken: TokenName?

    enum CodingKeys: String, CodingKey {
        case tokenizerClass = "tokenizer_class"
        case addBosToken = "add_bos_token"
        case addEosToken = "add_eos_token"
        case legacy
        case addPrefixSpace = "add_prefix_space"
        case bosToken = "bos_token"
        case eosToken = "eos_token"
    }

    /// A token given as `"<s>"` or as `{"content": "<s>", ...}` (an AddedToken dump); null → nil.
    struct TokenName: Decodable {
        var content: String?
        private struct Object: Decodable { var content: String? }

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { content = nil } else if let s = try? c.decode(String.self) { content = s } else {
                content = try c.decode(Object.self).content
            }
        }
    }

    /// Tokenizer classes whose transformers 5 `__init__` rebuilds the pipeline as described above.
    static let llamaClasses: Set<String> = ["LlamaTokenizer", "LlamaTokenizerFast"]

    static func load(_ url: URL) throws -> TokenizerConfigJSON {
        do {
            return try JSONDecoder().decode(TokenizerConfigJSON.self, from: readFile(url))
        } catch let error as DecodingError {
            throw TokenizerError.from(error, path: url.path)
        }
    }

    /// Applies what transformers 5 does with this configuration to `spec`.
    func apply(to spec: inout TokenizerSpec) {
        if let bos = bosToken { spec.bosToken = bos.content }
        if let eos = eosToken { spec.eosToken = eos.content }
        guard let cls = tokenizerClass, Self.llamaClasses.contains(cls) else { return }
        let addPrefixSpace = addPrefixSpace ?? true
        let scheme: PrependScheme = addPrefixSpace ? ((legacy ?? false) ? .always : .first) : .never
        spec.normalizer = nil
        spec.preTokenizer = Metaspace(replacement: Array("\u{2581}".utf8), prependScheme: scheme, split: false)
        var steps: [TokenDecoder] = [.replace(pattern: "\u{2581}", content: " "), .byteFallback, .fuse]
        if addPrefixSpace { steps.append(.strip(content: " ", start: 1, stop: 0)) }
        spec.decoder = .sequence(steps)
        spec.unkToken = nil
        spec.fuseUnk = true
        spec.byteFallback = true
        spec.ignoreMerges = false
        // TokenizersBackend.update_post_processor runs when add_bos_token / add_eos_token are given
        // (each defaulting to false), replacing the template from tokenizer.json.
        if addBosToken != nil || addEosToken != nil {
            var post = PostProcessor()
            if addBosToken == true, let bos = spec.bosToken, let id = spec.id(of: bos) { post.prefix = [id] }
            if addEosToken == true, let eos = spec.eosToken, let id = spec.id(of: eos) { post.suffix = [id] }
            spec.postProcessor = post
        }
    }
}

extension TokenizerSpec {
    /// Id of an added token or vocabulary entry, before the tokenizer is built.
    func id(of token: String) -> Int32? {
        addedTokenIDs().first(where: { Array($0.token.content.utf8) == Array(token.utf8) })?.id ?? vocab[token: token]
    }
}
