// Errors of the LLaVA layer (prompts, images vs. model, generation), with what to do about them.
public enum LLaVAError: Error, CustomStringConvertible, Equatable {
    case promptWithoutImage(prompt: String)
    case imageTokenCount(found: Int, images: Int)
    case imageTokenMismatch(expected: Int, tokenizerID: Int?)
    case promptTooLong(tokens: Int, limit: Int)
    case tokenOutOfVocabulary(id: Int, vocabularySize: Int)
    case pixelShape(expected: [Int], actual: [Int])
    case unknownTemplate(String, supported: [String])

    public var description: String {
        switch self {
        case .promptWithoutImage(let prompt):
            return "the prompt has no <image> token: \"\(prompt.prefix(80))\". Put <image> where the image goes "
                + "(with --prompt the chat template adds it for you)."
        case .imageTokenCount(let found, let images):
            return "the prompt has \(found) <image> tokens but \(images) image was given; use exactly one <image>"
        case .imageTokenMismatch(let expected, let tokenizerID):
            return "config.json's image_token_index is \(expected) but the tokenizer maps <image> to "
                + (tokenizerID.map(String.init) ?? "nothing") + "; tokenizer.json and config.json do not belong together"
        case .promptTooLong(let tokens, let limit):
            return "the prompt is \(tokens) tokens (image tokens included) but the model's context is \(limit) "
                + "(max_position_embeddings); shorten the prompt or lower --max-tokens"
        case .tokenOutOfVocabulary(let id, let size):
            return "token id \(id) is outside the model's vocabulary of \(size); tokenizer and model do not match"
        case .pixelShape(let expected, let actual):
            return "the image processor made pixels of shape \(actual) but the vision tower expects \(expected); "
                + "check preprocessor_config.json's crop_size against vision_config.image_size"
        case .unknownTemplate(let name, let supported):
            return "unknown chat template \"\(name)\"; supported: \(supported.joined(separator: ", "))"
        }
    }
}
