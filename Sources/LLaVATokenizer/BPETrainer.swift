// Training a small SentencePiece-style BPE tokenizer (the Llama family's: "▁" marks a word start,
// byte fallback for anything unseen) and writing it as tokenizer.json + tokenizer_config.json in
// the form transformers 5.23 saves a LlamaTokenizer — so the loader here, and AutoTokenizer, read
// it like any Llama checkpoint's. Used by ShapesWorld, whose language model starts from scratch.
//
// Algorithm (the classic one of Sennrich et al.): words are split on spaces and prefixed with
// "▁"; starting from characters, repeatedly merge the most frequent adjacent pair (ties: the
// lexicographically smallest pair, for determinism) until `vocabularySize` is reached or no pair
// occurs twice.
//
// `userSymbols` are strings that are always one token, whatever their spaces (sentencepiece's
// `user_defined_symbols`): written as non-special added tokens, so every tokenizer matches them
// before BPE, and cut out of the corpus before training, so no merge is spent on them.
import Foundation

public enum BPETrainer {
    /// tokenizer.json and tokenizer_config.json contents. Ids: <unk> 0, <s> 1, </s> 2, the 256 byte
    /// tokens <0x00>…<0xFF>, the characters and merges learned, then `addedTokens` (e.g. <image>, <pad>),
    /// then `userSymbols`.
    public static func train(corpus: [String], vocabularySize: Int, addedTokens: [String] = ["<image>", "<pad>"],
                             userSymbols: [String] = [], splitPunctuation: Bool = false, modelMaxLength: Int = 2048) throws -> (tokenizer: Data, config: Data) {
        var wordCounts: [String: Int] = [:]
        for var line in corpus {
            for symbol in userSymbols where !symbol.isEmpty { line = line.replacingOccurrences(of: symbol, with: " ") }
            for word in line.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
                for piece in splitPunctuation ? pieces(word) : ["▁" + word] { wordCounts[piece, default: 0] += 1 }
            }
        }
        var vocab: [String] = ["<unk>", "<s>", "</s>"] + (0..<256).map { String(format: "<0x%02X>", $0) }
        var known = Set(vocab)
        // Characters first (as strings of one Character), most frequent first.
        var charCounts: [String: Int] = [:]
        for (w, n) in wordCounts { for ch in w { charCounts[String(ch), default: 0] += n } }
        for (ch, _) in charCounts.sorted(by: { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) })
        where !known.contains(ch) {
            vocab.append(ch)
            known.insert(ch)
        }
        var words = wordCounts.keys.sorted().map { (symbols: $0.map(String.init), count: wordCounts[$0]!) }
        var merges: [(String, String)] = []
        while vocab.count < vocabularySize {
            var pairs: [String: (pair: (String, String), count: Int)] = [:]
            for w in words where w.symbols.count > 1 {
                for i in 0..<(w.symbols.count - 1) {
                    let key = w.symbols[i] + "\u{0}" + w.symbols[i + 1]
                    pairs[key, default: ((w.symbols[i], w.symbols[i + 1]), 0)].count += w.count
                }
            }
            guard let best = pairs.max(by: { a, b in
                a.value.count < b.value.count || (a.value.count == b.value.count && a.key > b.key)
            }), best.value.count >= 2 else { break }
            let (l, r) = best.value.pair
            let merged = l + r
            merges.append((l, r))
            if !known.contains(merged) {
                vocab.append(merged)
                known.insert(merged)
            }
            for i in words.indices where words[i].symbols.count > 1 {
                var out: [String] = []
                var j = 0
                let s = words[i].symbols
                while j < s.count {
                    if j + 1 < s.count, s[j] == l, s[j + 1] == r { out.append(merged); j += 2 } else { out.append(s[j]); j += 1 }
                }
                words[i].symbols = out
            }
        }
        let base = vocab.count
        var added: [[String: Any]] = ["<unk>", "<s>", "</s>"].enumerated().map { addedJSON($1, id: $0) }
        added += addedTokens.enumerated().map { addedJSON($1, id: base + $0) }
        added += userSymbols.enumerated().map { addedJSON($1, id: base + addedTokens.count + $0, special: false) }
        let vocabJSON = Dictionary(uniqueKeysWithValues: vocab.enumerated().map { ($1, $0) })
        let json: [String: Any] = [
            "version": "1.0",
            "truncation": NSNull(),
            "padding": NSNull(),
            "added_tokens": added,
            "normalizer": NSNull(),
            "pre_tokenizer": ["type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false],
            "post_processor": [
                "type": "TemplateProcessing",
                "single": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                "pair": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]],
                         ["SpecialToken": ["id": "<s>", "type_id": 1]], ["Sequence": ["id": "B", "type_id": 1]]],
                "special_tokens": ["<s>": ["id": "<s>", "ids": [1], "tokens": ["<s>"]]],
            ] as [String: Any],
            "decoder": ["type": "Sequence", "decoders": [
                ["type": "Replace", "pattern": ["String": "▁"], "content": " "] as [String: Any],
                ["type": "ByteFallback"], ["type": "Fuse"],
                ["type": "Strip", "content": " ", "start": 1, "stop": 0] as [String: Any],
            ]] as [String: Any],
            "model": [
                "type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
                "end_of_word_suffix": NSNull(), "fuse_unk": true, "byte_fallback": true, "ignore_merges": false,
                "vocab": vocabJSON, "merges": merges.map { [$0.0, $0.1] },
            ] as [String: Any],
        ]
        let config: [String: Any] = [
            "add_prefix_space": true, "backend": "tokenizers", "bos_token": "<s>", "clean_up_tokenization_spaces": false,
            "eos_token": "</s>", "model_max_length": modelMaxLength, "pad_token": addedTokens.contains("<pad>") ? "<pad>" : "<unk>",
            "padding_side": "right", "tokenizer_class": "LlamaTokenizer", "unk_token": "<unk>",
        ]
        return (try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]),
                try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys, .prettyPrinted]))
    }

    /// "star?" → ["▁star", "?"]; "0.63" → ["▁0", ".", "63"]: runs of letters, of digits, of anything
    /// else (sentencepiece's split_by_unicode_script and split_by_number), "▁" on the first.
    static func pieces(_ word: Substring) -> [String] {
        func kind(_ c: Character) -> Int { c.isLetter ? 0 : c.isNumber ? 1 : 2 }
        var runs: [String] = [], last = -1
        for c in word {
            if kind(c) != last { runs.append("") }
            runs[runs.count - 1].append(c)
            last = kind(c)
        }
        if !runs.isEmpty { runs[0] = "▁" + runs[0] }
        return runs
    }

    static func addedJSON(_ content: String, id: Int, special: Bool = true) -> [String: Any] {
        ["id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": special]
    }
}
