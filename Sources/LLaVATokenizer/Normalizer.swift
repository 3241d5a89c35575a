// Normalizers of the Llama family, on UTF-8 bytes: Prepend, Replace (string pattern) and Sequence.
// Ports tokenizers 0.23 `normalizers::{Prepend, Replace, Sequence}`.
import Foundation

indirect enum Normalizer {
    /// Prepends `bytes` to a non-empty string (tokenizers skips empty strings).
    case prepend([UInt8])
    /// Replaces every non-overlapping occurrence of `pattern`, left to right (tokenizers escapes the string
    /// into a regex, which finds leftmost non-overlapping matches: the same thing).
    case replace(pattern: [UInt8], content: [UInt8])
    case sequence([Normalizer])

    static let supported = ["Prepend", "Replace", "Sequence"]

    func apply(_ s: [UInt8]) -> [UInt8] {
        switch self {
        case .prepend(let p):
            return s.isEmpty ? s : p + s
        case .replace(let pattern, let content):
            return replaceAll(s, pattern, content)
        case .sequence(let steps):
            var out = s
            for step in steps { out = step.apply(out) }
            return out
        }
    }
}

/// Replaces non-overlapping occurrences of `pattern` in `s` by `content`.
func replaceAll(_ s: [UInt8], _ pattern: [UInt8], _ content: [UInt8]) -> [UInt8] {
    guard let first = pattern.first, s.count >= pattern.count else { return s }
    var out: [UInt8] = []
    out.reserveCapacity(s.count + s.count / 2)
    let n = s.count, m = pattern.count
    var i = 0
    while i < n {
        if s[i] == first, i + m <= n, m == 1 || s[(i + 1)..<(i + m)].elementsEqual(pattern[1...]) {
            out.append(contentsOf: content)
            i += m
        } else {
            out.append(s[i])
            i += 1
        }
    }
    return out
}
