// The Metaspace pre-tokenizer (tokenizers 0.23 `pre_tokenizers::metaspace::Metaspace`), on UTF-8 bytes:
// spaces become the replacement character, which is prepended according to `prepend_scheme`, and with
// `split` the text is cut before every replacement character (SplitDelimiterBehavior::MergedWithNext).
import Foundation

/// When Metaspace prepends the replacement character.
public enum PrependScheme: String {
    /// Always, to every piece between added tokens.
    case always
    /// Only to the piece that starts at offset 0 of the original text.
    case first
    case never
}

struct Metaspace {
    var replacement: [UInt8]  // UTF-8 of the replacement character, "▁" (E2 96 81) in practice
    var prependScheme: PrependScheme
    var split: Bool

    static let supported = ["Metaspace"]

    /// Pre-tokenizes `piece`; `atOriginalStart` says whether it begins at offset 0 of the input text.
    /// Calls `word` on each resulting word (never empty).
    func pretokenize(_ piece: [UInt8], atOriginalStart: Bool, _ word: (ArraySlice<UInt8>) -> Void) {
        var s = replaceAll(piece, [0x20], replacement)
        let startsWithReplacement = s.starts(with: replacement)
        switch prependScheme {
        case .always where !s.isEmpty && !startsWithReplacement,
             .first where !s.isEmpty && !startsWithReplacement && atOriginalStart:
            s = replacement + s
        default:
            break
        }
        guard !s.isEmpty else { return }
        guard split, let r0 = replacement.first else { return word(s[...]) }
        // Cut before every replacement character; the part before the first one is a word of its own.
        var start = 0, i = 0
        let m = replacement.count
        while i < s.count {
            if s[i] == r0, i + m <= s.count, s[i..<(i + m)].elementsEqual(replacement) {
                if i > start { word(s[start..<i]) }
                start = i
                i += m
            } else {
                i += 1
            }
        }
        if start < s.count { word(s[start...]) }
    }
}
