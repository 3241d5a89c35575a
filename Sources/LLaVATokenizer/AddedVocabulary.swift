// Added / special tokens matched before the model (tokenizers 0.23 `tokenizer::added_vocabulary`):
// leftmost-longest matching, then the `single_word`, `lstrip` and `rstrip` rules. Tokens with
// `normalized: false` are matched on the raw text, the others on the normalized text.
import Foundation

/// One added token, as tokenizer.json's `added_tokens` lists it.
struct AddedToken {
    var id: Int32
    var content: String
    /// What is matched: the content, or for `normalized` tokens the content passed through the normalizer.
    var pattern: [UInt8]
    var singleWord: Bool
    var lstrip: Bool
    var rstrip: Bool
    var normalized: Bool
    var special: Bool
}

/// A piece of text after added-token matching: either a byte range to tokenize, or one added token.
struct Split {
    var range: Range<Int>
    var tokenID: Int32?
}

/// Finds added tokens in a byte string. Patterns are bucketed by first byte and tried longest first, which
/// at the leftmost matching position gives the same match as the Aho-Corasick LeftmostLongest automaton.
struct AddedTokenMatcher {
    private var tokens: [AddedToken] = []
    private var byFirstByte: [[Int]] = Array(repeating: [], count: 256)

    var isEmpty: Bool { tokens.isEmpty }

    init(_ tokens: [AddedToken]) {
        // Identical patterns: the automaton keeps one; keep the last, like a map insert.
        var seen: [[UInt8]: Int] = [:]
        for t in tokens where !t.pattern.isEmpty {
            if let i = seen[t.pattern] { self.tokens[i] = t } else { seen[t.pattern] = self.tokens.count; self.tokens.append(t) }
        }
        for (i, t) in self.tokens.enumerated() { byFirstByte[Int(t.pattern[0])].append(i) }
        for b in 0..<256 { byFirstByte[b].sort { self.tokens[$0].pattern.count > self.tokens[$1].pattern.count } }
    }

    /// Longest pattern matching at `i`, if any.
    private func match(_ s: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        for k in byFirstByte[Int(s[i])] {
            let p = tokens[k].pattern
            if i + p.count <= s.count, p.withUnsafeBufferPointer({ memcmp($0.baseAddress!, s.baseAddress! + i, p.count) == 0 }) {
                return k
            }
        }
        return nil
    }

    /// Splits `s` into added tokens and the text between them (`find_matches` in tokenizers).
    func split(_ s: [UInt8]) -> [Split] {
        if s.isEmpty || tokens.isEmpty { return [Split(range: 0..<s.count, tokenID: nil)] }
        return s.withUnsafeBufferPointer { buf -> [Split] in
            var splits: [Split] = []
            var startOffset = 0
            var i = 0
            while i < buf.count {
                guard let k = match(buf, at: i) else { i += 1; continue }
                let token = tokens[k]
                var start = i
                var stop = i + token.pattern.count
                i = stop  // the automaton resumes after the match, whatever happens to it below
                if token.singleWord {
                    let startSpace = start == 0 || !isWordScalar(lastScalar(buf, before: start))
                    let stopSpace = stop == buf.count || !isWordScalar(firstScalar(buf, at: stop))
                    if !startSpace || !stopSpace { continue }
                }
                if token.lstrip { start = max(whitespaceRunStart(buf, before: start), startOffset) }
                if token.rstrip { stop = whitespaceRunEnd(buf, from: stop) }
                if startOffset < start { splits.append(Split(range: startOffset..<start, tokenID: nil)) }
                splits.append(Split(range: start..<stop, tokenID: token.id))
                startOffset = stop
            }
            if startOffset != buf.count { splits.append(Split(range: startOffset..<buf.count, tokenID: nil)) }
            return splits
        }
    }
}

// MARK: - Unicode classes of the Rust `regex` crate (\w and \s), on UTF-8 bytes.

/// The scalar starting at byte `i` (which must be a scalar boundary).
func firstScalar(_ s: UnsafeBufferPointer<UInt8>, at i: Int) -> Unicode.Scalar {
    decodeScalar(s, at: i).scalar
}

/// The scalar ending just before byte `end`.
func lastScalar(_ s: UnsafeBufferPointer<UInt8>, before end: Int) -> Unicode.Scalar {
    var i = end - 1
    while i > 0, s[i] & 0xC0 == 0x80 { i -= 1 }
    return decodeScalar(s, at: i).scalar
}

/// Decodes the UTF-8 scalar at `i`; the input is valid UTF-8 (it comes from a Swift String).
@inline(__always)
func decodeScalar(_ s: UnsafeBufferPointer<UInt8>, at i: Int) -> (scalar: Unicode.Scalar, length: Int) {
    let b0 = UInt32(s[i])
    if b0 < 0x80 { return (Unicode.Scalar(b0)!, 1) }
    if b0 < 0xE0 { return (Unicode.Scalar(((b0 & 0x1F) << 6) | (UInt32(s[i + 1]) & 0x3F)) ?? "\u{FFFD}", 2) }
    if b0 < 0xF0 {
        let v = ((b0 & 0x0F) << 12) | ((UInt32(s[i + 1]) & 0x3F) << 6) | (UInt32(s[i + 2]) & 0x3F)
        return (Unicode.Scalar(v) ?? "\u{FFFD}", 3)
    }
    let v = ((b0 & 0x07) << 18) | ((UInt32(s[i + 1]) & 0x3F) << 12) | ((UInt32(s[i + 2]) & 0x3F) << 6)
        | (UInt32(s[i + 3]) & 0x3F)
    return (Unicode.Scalar(v) ?? "\u{FFFD}", 4)
}

/// `\w` in Unicode mode: Alphabetic, marks, decimal digits, connector punctuation, Join_Control.
func isWordScalar(_ c: Unicode.Scalar) -> Bool {
    let p = c.properties
    if p.isAlphabetic || p.isJoinControl { return true }
    switch p.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
    default: return false
    }
}

/// Start of the run of `\s` (White_Space) scalars that ends at `end` (`\s*$` on `s[..end]`).
func whitespaceRunStart(_ s: UnsafeBufferPointer<UInt8>, before end: Int) -> Int {
    var i = end
    while i > 0 {
        var j = i - 1
        while j > 0, s[j] & 0xC0 == 0x80 { j -= 1 }
        if !decodeScalar(s, at: j).scalar.properties.isWhitespace { break }
        i = j
    }
    return i
}

/// End of the run of `\s` scalars that starts at `start` (`^\s*` on `s[start..]`).
func whitespaceRunEnd(_ s: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    var i = start
    while i < s.count {
        let (c, n) = decodeScalar(s, at: i)
        if !c.properties.isWhitespace { break }
        i += n
    }
    return i
}
