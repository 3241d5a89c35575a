// Incremental decoding for generation. Approach: decode the whole id list each time and emit the part
// beyond what was already emitted. Decoding a prefix is not always a prefix of the final text (a byte-fallback
// run cut mid-character decodes to U+FFFD, and the Strip decoder only acts at the start), so text ending
// in U+FFFD is held back until the next token completes it, and emitted text is never taken back.
// Cost is O(n) per token (O(n²) per reply), negligible next to a decoder forward pass for replies of a few
// thousand tokens.
import Foundation

/// Turns a stream of generated ids into text chunks to print.
public struct StreamingDetokenizer {
    public let tokenizer: Tokenizer
    public let skipSpecialTokens: Bool
    public private(set) var ids: [Int] = []
    /// Text emitted so far (always a prefix of `tokenizer.decode(ids)` once the stream is complete).
    public private(set) var emitted = ""

    public init(tokenizer: Tokenizer, skipSpecialTokens: Bool = true) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds one id and returns the newly available text ("" while a multi-byte character is incomplete).
    public mutating func append(_ id: Int) -> String {
        ids.append(id)
        let text = tokenizer.decode(ids, skipSpecialTokens: skipSpecialTokens)
        if text.hasSuffix("\u{FFFD}") { return "" }
        return take(text)
    }

    /// Returns whatever is still held back (call when generation ends).
    public mutating func finish() -> String {
        take(tokenizer.decode(ids, skipSpecialTokens: skipSpecialTokens))
    }

    private mutating func take(_ text: String) -> String {
        guard text.unicodeScalars.starts(with: emitted.unicodeScalars) else { return "" }
        let new = String(text.unicodeScalars.dropFirst(emitted.unicodeScalars.count))
        emitted = text
        return new
    }
}
