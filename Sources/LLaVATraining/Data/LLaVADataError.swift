// Errors raised while loading a LLaVA JSON dataset and turning its samples into training sequences.
// Every message says where (file, sample index and id, turn), what is wrong, and when useful what to do.
// Sample indices and turn numbers are 0-based positions in the JSON lists (as `data[3]` in Python).
import Foundation

/// The `id` of a sample. LLaVA data uses strings ("000000033471"); some derived sets use integers.
public enum SampleID: Hashable, Sendable, CustomStringConvertible {
    case string(String)
    case integer(Int)

    public var description: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .integer(let n): return String(n)
        }
    }
}

/// Where a sample comes from, as error messages print it: `data.json: sample 3 (id "abc")`.
public struct SampleLocation: Hashable, Sendable, CustomStringConvertible {
    /// The data file's name (last path component).
    public var file: String
    /// 0-based position in the file's top-level list.
    public var index: Int
    public var id: SampleID?

    public init(file: String, index: Int, id: SampleID?) {
        self.file = file
        self.index = index
        self.id = id
    }

    public var description: String { "\(file): sample \(index)" + (id.map { " (id \($0))" } ?? "") }
}

/// What is wrong with one sample.
public enum SampleProblem: Hashable, Sendable, CustomStringConvertible {
    /// A top-level list element that is not a JSON object (`found` is e.g. "a string").
    case notAnObject(found: String)
    /// A required field is absent; `field` is a JSON path such as `conversations` or `conversations[2].value`.
    case missingField(String)
    /// A field holds the wrong kind of JSON value.
    case wrongType(field: String, expected: String, found: String)
    case emptyImagePath
    case emptyConversations
    /// `from` is neither "human" nor "gpt".
    case unknownRole(turn: Int, role: String)
    /// Turns must alternate human, gpt, … (after one leading gpt turn, which is skipped as the original does).
    case wrongTurnOrder(turn: Int, expected: ConversationRole, found: ConversationRole)
    case noAnswer
    /// The conversation ends with a human turn that has no answer.
    case unansweredTurn(turn: Int)
    /// llava_v1 cannot hold an empty message: conv_vicuna_v1 writes `ROLE:` without separator for it.
    case emptyTurn(turn: Int)
    case imageTokenOutsideFirstTurn(turn: Int)
    case imageTokenWithoutImage(turn: Int)
    case imageWithoutImageToken
    /// The tokenized text does not hold exactly the expected number of `<image>` ids.
    case imageTokenMismatch(expected: Int, found: Int)
    case plainNeedsImage

    public var description: String {
        switch self {
        case .notAnObject(let found):
            return "is \(found), not an object. Hint: each sample is {\"id\", \"image\", \"conversations\"}"
        case .missingField(let field):
            return "\"\(field)\" missing"
        case .wrongType(let field, let expected, let found):
            return "\"\(field)\" must be \(expected), not \(found)"
        case .emptyImagePath:
            return "\"image\" is an empty string. Hint: remove the key for a text-only sample"
        case .emptyConversations:
            return "\"conversations\" is empty"
        case .unknownRole(let turn, let role):
            return "turn \(turn): unknown \"from\" \"\(role)\" (expected \"human\" or \"gpt\")"
        case .wrongTurnOrder(let turn, let expected, let found):
            return "turn \(turn) is from \"\(found.rawValue)\" but \"\(expected.rawValue)\" was expected "
                + "(turns alternate human, gpt, human, ...; only one leading gpt turn is skipped)"
        case .noAnswer:
            return "no \"gpt\" answer turn"
        case .unansweredTurn(let turn):
            return "turn \(turn) is a \"human\" turn with no answer after it"
        case .emptyTurn(let turn):
            return "turn \(turn) has an empty \"value\" (the llava_v1 template cannot hold an empty message)"
        case .imageTokenOutsideFirstTurn(let turn):
            return "turn \(turn) contains <image>; only the first human turn may hold it"
        case .imageTokenWithoutImage(let turn):
            return "turn \(turn) contains <image> but the sample has no \"image\""
        case .imageWithoutImageToken:
            return "has an \"image\" but no <image> in its first human turn"
        case .imageTokenMismatch(let expected, let found):
            return "its text encodes to \(found) <image> tokens, expected \(expected)"
        case .plainNeedsImage:
            return "has no \"image\"; the plain template (stage 1) trains on image captions only"
        }
    }
}

/// Why a dataset could not be loaded or a sample could not be tokenized.
public enum LLaVADataError: Error, CustomStringConvertible, Equatable {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case malformedJSON(path: String)
    /// The top level of the file is not a list (`found` is e.g. "an object").
    case notAList(path: String, found: String)
    case invalidSample(SampleLocation, SampleProblem)
    case missingImage(SampleLocation, path: String)
    /// The tokenizer does not encode `<image>` as one id.
    case noImageToken
    /// Truncating to `maxLength` would cut the image tokens, which end at position `imageEnd` (exclusive).
    case imageTokensTruncated(SampleLocation, maxLength: Int, imageEnd: Int)
    /// `imageTokenCount` or `maxLength` below 1.
    case invalidParameter(name: String, value: Int)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "dataset file not found: \(path)"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .malformedJSON(let path):
            return "\(path) is not valid JSON. Hint: the file may be truncated; "
                + "python3 -m json.tool shows the line and column of the error."
        case .notAList(let path, let found):
            return "\(path): the top level is \(found), not a list of samples. "
                + "Hint: LLaVA data is a JSON list of {\"id\", \"image\", \"conversations\"} objects."
        case .invalidSample(let location, let problem):
            return "\(location): \(problem)"
        case .missingImage(let location, let path):
            return "\(location): image not found: \(path). "
                + "Hint: check the image folder, or load with missingImages: .skip to leave such samples out."
        case .noImageToken:
            return "the tokenizer does not encode \"<image>\" as a single token. "
                + "Hint: use the tokenizer of a llava-hf checkpoint, which adds <image> as a special token."
        case .imageTokensTruncated(let location, let maxLength, let imageEnd):
            return "\(location): maxLength \(maxLength) cuts into the image tokens, which end at position "
                + "\(imageEnd). Hint: use a maxLength of at least \(imageEnd)."
        case .invalidParameter(let name, let value):
            return "\(name) must be at least 1, got \(value)"
        }
    }
}
