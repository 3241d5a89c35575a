// Errors raised while loading a Hugging Face tokenizer.json / tokenizer_config.json.
// Every message names the file, what is wrong, and what to do about it.
import Foundation

/// Why a tokenizer could not be loaded.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be read.
    case unreadable(path: String, reason: String)
    /// The file is not JSON at all.
    case malformedJSON(path: String)
    /// A required field is absent (`field` is the dotted JSON path).
    case missingField(path: String, field: String)
    /// A field holds a value of the wrong kind or an inconsistent value.
    case invalidValue(path: String, field: String, detail: String)
    /// A pipeline stage of a kind this implementation does not handle (e.g. a WordPiece model).
    case unsupported(path: String, component: String, type: String, supported: [String])

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "tokenizer file not found: \(path). Hint: pass a Hugging Face model directory that contains "
                + "tokenizer.json (a SentencePiece tokenizer.model alone is not enough; convert it with transformers)."
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason). Hint: check the file permissions."
        case .malformedJSON(let path):
            return "\(path) is not valid JSON. Hint: the download may be truncated; fetch tokenizer.json again."
        case .missingField(let path, let field):
            return "\(path): missing field '\(field)'. Hint: the file is not a tokenizers-format tokenizer.json "
                + "(re-save it with tokenizers' Tokenizer.save or transformers' save_pretrained)."
        case .invalidValue(let path, let field, let detail):
            return "\(path): invalid '\(field)': \(detail). Hint: re-save the file with the tokenizers library "
                + "and check that it loads there."
        case .unsupported(let path, let component, let type, let supported):
            return "\(path): unsupported \(component) '\(type)' (supported: \(supported.joined(separator: ", "))). "
                + "Hint: LLaVATokenizer implements the Llama/Mistral/Vicuna SentencePiece-style BPE family only."
        }
    }
}
