// The two training templates of the original LLaVA (haotian-liu/LLaVA @ c121f043, llava/conversation.py
// `conv_llava_plain`, `conv_vicuna_v1`; llava/train/train.py `preprocess_plain`, `preprocess_v1`,
// `preprocess_multimodal`), rendered to one string plus the character spans that are supervised.
//
//   plain (stage 1):    <image> + caption + "\n"
//       caption = the first gpt turn's value; the human text is dropped. Supervised: everything after the
//       last <image> (the caption and "\n").
//   llava_v1 (stage 2): system + " " + "USER: " + q1 + " " + "ASSISTANT: " + a1 + "</s>"
//                                   + "USER: " + q2 + " " + "ASSISTANT: " + a2 + "</s>" + …
//       (SeparatorStyle.TWO, sep " ", sep2 "</s>"). Supervised, per answer: from right after "ASSISTANT:"
//       (so the space before the answer, which becomes the answer's first "▁" token, is included) to the end
//       of that answer's "</s>".
//
// In an image sample, the first human turn's `<image>` goes to the front as preprocess_multimodal does:
// `v.replace("<image>", "").strip()`, then `("<image>\n" + v).strip()` (so a turn holding only `<image>`
// becomes "<image>" with no newline). Other turns are used verbatim. `<image>` is then expanded to
// `<image>` × imageTokenCount, as LlavaProcessor expands the prompt before tokenizing.
import Foundation

/// A training template: how a conversation becomes text, and which parts of it are learned.
public enum ConversationTemplate: String, CaseIterable, Sendable {
    /// Stage 1 (feature alignment): image, caption, newline.
    case plain
    /// Stage 2 (instruction tuning): Vicuna v1 system sentence and USER/ASSISTANT turns.
    case llavaV1 = "llava_v1"

    /// conv_vicuna_v1.system (the same sentence as `ChatTemplate.vicunaSystem` of the LLaVA target).
    public static let vicunaSystem = "A chat between a curious user and an artificial intelligence assistant. "
        + "The assistant gives helpful, detailed, and polite answers to the user's questions."

    /// The training text of `sample` and its supervised spans. Throws if the sample's structure is invalid
    /// or it does not fit the template (a text-only sample for `plain`, an empty message for `llavaV1`).
    public func render(_ sample: ConversationSample, imageTokenCount: Int) throws -> RenderedConversation {
        guard imageTokenCount >= 1 else {
            throw LLaVADataError.invalidParameter(name: "imageTokenCount", value: imageTokenCount)
        }
        let turns = try sample.validTurns()
        let images = String(repeating: imagePlaceholder, count: imageTokenCount)
        var out = RenderedConversation(text: "", targetSpans: [])
        switch self {
        case .plain:
            guard sample.imagePath != nil else { throw LLaVADataError.invalidSample(sample.location, .plainNeedsImage) }
            let caption = turns.first { $0.from == .gpt }!.value   // validTurns guarantees an answer
            out.append(images)
            let start = out.byteCount
            out.append(caption + "\n")
            out.targetSpans.append(start..<out.byteCount)
        case .llavaV1:
            out.append(Self.vicunaSystem + " ")
            for t in turns.indices {
                var value = turns[t].value
                if value.isEmpty { throw LLaVADataError.invalidSample(sample.location, .emptyTurn(turn: t)) }
                if t == turns.startIndex, sample.imagePath != nil {
                    let rest = pythonStrip(removingImageTokens(value))
                    value = rest.isEmpty ? images : images + "\n" + rest
                }
                switch turns[t].from {
                case .human:
                    out.append("USER: " + value + " ")
                case .gpt:
                    out.append("ASSISTANT:")
                    let start = out.byteCount
                    out.append(" " + value + "</s>")
                    out.targetSpans.append(start..<out.byteCount)
                }
            }
        }
        return out
    }
}

/// A conversation as training text.
public struct RenderedConversation: Sendable, Hashable {
    /// The text to tokenize, `<image>` already expanded to `imageTokenCount` copies.
    public var text: String
    /// The supervised spans, as UTF-8 byte offsets into `text`, in order and disjoint.
    public var targetSpans: [Range<Int>]

    public init(text: String, targetSpans: [Range<Int>]) {
        self.text = text
        self.targetSpans = targetSpans
    }

    var byteCount: Int { text.utf8.count }

    mutating func append(_ piece: String) { text += piece }
}
