// Decoders of the Llama family (tokenizers 0.23 `decoders::{Replace, ByteFallback, Fuse, Strip, Metaspace,
// Sequence}`): each maps a list of token strings to a new list; the final list is concatenated.
import Foundation

indirect enum TokenDecoder {
    case replace(pattern: String, content: String)
    /// Runs of <0xXX> pieces become their UTF-8 text; a run that is not valid UTF-8 becomes one U+FFFD per byte.
    case byteFallback
    case fuse
    /// Removes up to `start` leading and `stop` trailing `content` characters of each token.
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    /// The replacement character becomes a space, except at the very start of the first token (unless `never`).
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme)
    case sequence([TokenDecoder])

    static let supported = ["Replace", "ByteFallback", "Fuse", "Strip", "Metaspace", "Sequence"]

    func decode(_ tokens: [String]) -> String { chain(tokens).joined() }

    func chain(_ tokens: [String]) -> [String] {
        switch self {
        case .replace(let pattern, let content):
            return pattern.isEmpty ? tokens : tokens.map { replaceAll($0, pattern, content) }
        case .byteFallback:
            return decodeByteFallback(tokens)
        case .fuse:
            return [tokens.joined()]
        case .strip(let content, let start, let stop):
            return tokens.map { stripScalars($0, content, start, stop) }
        case .metaspace(let replacement, let scheme):
            return tokens.enumerated().map { i, token in
                var out = String.UnicodeScalarView()
                for c in token.unicodeScalars {
                    if c == replacement {
                        if !(i == 0 && scheme != .never) { out.append(" ") }
                    } else {
                        out.append(c)
                    }
                }
                return String(out)
            }
        case .sequence(let steps):
            var out = tokens
            for step in steps { out = step.chain(out) }
            return out
        }
    }
}

private func replaceAll(_ s: String, _ pattern: String, _ content: String) -> String {
    guard s.utf8.count >= pattern.utf8.count else { return s }
    return String(decoding: replaceAll(Array(s.utf8), Array(pattern.utf8), Array(content.utf8)), as: UTF8.self)
}

/// The byte of a `<0xXX>` piece: six bytes, hex digits parsed as Rust's `u8::from_str_radix` does
/// (which also accepts a leading `+`).
private func pieceByte(_ token: String) -> UInt8? {
    let u = Array(token.utf8)
    guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
    func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
    if u[3] == 0x2B { return hex(u[4]) }
    guard let hi = hex(u[3]), let lo = hex(u[4]) else { return nil }
    return hi << 4 | lo
}

private func decodeByteFallback(_ tokens: [String]) -> [String] {
    var out: [String] = []
    out.reserveCapacity(tokens.count)
    var pending: [UInt8] = []
    func flush() {
        guard !pending.isEmpty else { return }
        if let s = String(validating: pending, as: UTF8.self) {
            out.append(s)
        } else {
            out.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
        }
        pending.removeAll(keepingCapacity: true)
    }
    for token in tokens {
        if let b = pieceByte(token) {
            pending.append(b)
        } else {
            flush()
            out.append(token)
        }
    }
    flush()
    return out
}

/// Works on Unicode scalars, as Rust's `chars()` does (a Character could swallow a following combining mark).
private func stripScalars(_ token: String, _ target: Unicode.Scalar, _ start: Int, _ stop: Int) -> String {
    let chars = Array(token.unicodeScalars)
    var startCut = 0
    for i in 0..<min(start, chars.count) {
        if chars[i] == target { startCut = i + 1 } else { break }
    }
    var stopCut = chars.count
    for i in 0..<min(stop, chars.count) {
        let index = chars.count - i - 1
        if chars[index] == target { stopCut = index } else { break }
    }
    guard startCut < stopCut else { return "" }
    var out = String.UnicodeScalarView()
    out.append(contentsOf: chars[startCut..<stopCut])
    return String(out)
}
