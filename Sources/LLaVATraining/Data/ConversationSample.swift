// One sample of a LLaVA dataset (an element of llava_v1_5_mix665k.json / LLaVA-Instruct-150K), and the
// structural rules it must follow, as the original trainer assumes them
// (haotian-liu/LLaVA @ c121f043, llava/train/train.py `preprocess_v1`, `preprocess_multimodal`):
//   - turns alternate human, gpt, human, gpt, …; one leading gpt turn is skipped
//     (`if roles[source[0]["from"]] != conv.roles[0]: source = source[1:]`), any other order is an error
//     (the original asserts);
//   - at least one gpt answer, and no trailing unanswered human turn (the original masks such a sample
//     whole through its length check; here it is an error so that the data gets fixed);
//   - an image sample has `<image>` in its first human turn and nowhere else; a text-only sample has none.
//     (The original moves `<image>` to the front of any turn holding it, and silently ignores an image whose
//     text has no `<image>`; with one image per sample either case would misalign image tokens and features.)
import Foundation

/// Who speaks a turn (the `from` field).
public enum ConversationRole: String, Sendable, Hashable {
    case human
    case gpt
}

/// One `{"from", "value"}` element of `conversations`.
public struct ConversationTurn: Sendable, Hashable {
    public var from: ConversationRole
    public var value: String

    public init(from: ConversationRole, value: String) {
        self.from = from
        self.value = value
    }
}

/// A sample as read from the data file: its image (resolved against the image folder) and its turns.
public struct ConversationSample: Sendable, Hashable {
    public var id: SampleID?
    /// The image file, or nil for a text-only sample.
    public var imagePath: URL?
    /// The turns exactly as in the file (a leading gpt turn is kept here and skipped by the templates).
    public var conversations: [ConversationTurn]
    /// The data file's name and the sample's 0-based position in it (for error messages).
    public var source: String
    public var index: Int

    public init(id: SampleID? = nil, imagePath: URL? = nil, conversations: [ConversationTurn],
                source: String = "data", index: Int = 0) {
        self.id = id
        self.imagePath = imagePath
        self.conversations = conversations
        self.source = source
        self.index = index
    }

    public var location: SampleLocation { SampleLocation(file: source, index: index, id: id) }

    /// The turns the templates use: `conversations` without a leading gpt turn, in their original
    /// positions (so `turns.indices` are the turn numbers errors print). Throws if the structure is invalid.
    public func validTurns() throws -> ArraySlice<ConversationTurn> {
        func fail(_ problem: SampleProblem) -> LLaVADataError { .invalidSample(location, problem) }
        guard !conversations.isEmpty else { throw fail(.emptyConversations) }
        var turns = conversations[...]
        if turns.first?.from == .gpt { turns = turns.dropFirst() }
        for (t, k) in zip(turns.indices, 0...) {
            let expected: ConversationRole = k % 2 == 0 ? .human : .gpt
            if turns[t].from != expected { throw fail(.wrongTurnOrder(turn: t, expected: expected, found: turns[t].from)) }
        }
        guard turns.count >= 2 else { throw fail(.noAnswer) }
        if turns.count % 2 == 1 { throw fail(.unansweredTurn(turn: turns.endIndex - 1)) }
        for t in turns.indices where containsImageToken(turns[t].value) {
            if imagePath == nil { throw fail(.imageTokenWithoutImage(turn: t)) }
            if t != turns.startIndex { throw fail(.imageTokenOutsideFirstTurn(turn: t)) }
        }
        if imagePath != nil, !containsImageToken(turns[turns.startIndex].value) { throw fail(.imageWithoutImageToken) }
        return turns
    }
}

/// The image placeholder of LLaVA data (`DEFAULT_IMAGE_TOKEN`).
let imagePlaceholder = "<image>"

/// Byte-level search, so that `<image>` followed by a combining mark still matches, as Python's `in` does
/// (Swift's Character-based `contains` would see `>\u{301}` as one character and miss it).
func containsImageToken(_ text: String) -> Bool {
    let bytes = Array(text.utf8), pattern = Array(imagePlaceholder.utf8)
    guard bytes.count >= pattern.count else { return false }
    return (0...(bytes.count - pattern.count)).contains { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
}

/// `text.replace("<image>", "")` on code points, as Python does (one left-to-right pass, no rescan).
func removingImageTokens(_ text: String) -> String {
    let bytes = Array(text.utf8), pattern = Array(imagePlaceholder.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    while i < bytes.count {
        if i + pattern.count <= bytes.count, bytes[i..<(i + pattern.count)].elementsEqual(pattern) {
            i += pattern.count
        } else {
            out.append(bytes[i])
            i += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// Python's `str.strip()`: trims the code points for which `str.isspace()` is true.
func pythonStrip(_ text: String) -> String {
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !isPythonSpace($0) }) else { return "" }
    let last = scalars.lastIndex(where: { !isPythonSpace($0) })!
    return String(String.UnicodeScalarView(scalars[first...last]))
}

/// `str.isspace()` for one code point: bidirectional class WS, B or S, or category Zs.
func isPythonSpace(_ c: Unicode.Scalar) -> Bool {
    switch c.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
        return true
    default:
        return false
    }
}
