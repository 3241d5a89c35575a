// Loads a dataset in LLaVA's JSON format (haotian-liu/LLaVA @ c121f043, docs/Finetune_Custom_Data.md;
// llava_v1_5_mix665k.json, blip_laion_cc_sbu_558k.json, LLaVA-Instruct-150K):
//   [{"id": "000000033471", "image": "coco/train2017/000000033471.jpg",
//     "conversations": [{"from": "human", "value": "<image>\nWhat is ..."}, {"from": "gpt", "value": "..."}, ...]},
//    {"id": 7, "conversations": [...]}]                                  ← text-only: no "image" key
// `id` is a string or an integer and optional (the original trainer never reads it); other keys are ignored.
// The image path is `imageFolder/image` (os.path.join: an absolute `image` stays as is); without an image
// folder it is resolved against the data file's directory.
// Every sample is checked when loading (fields, types, turn structure; see ConversationSample.swift), so a
// bad sample fails here with its file, index and id rather than in the middle of training.
import Foundation

/// What `load` does with a sample whose image file does not exist.
public enum MissingImagePolicy: Sendable {
    /// Throw `LLaVADataError.missingImage`.
    case fail
    /// Leave the sample out and count it.
    case skip
}

/// A LLaVA JSON dataset: its samples, validated, with image paths resolved.
public struct LLaVADataset: Sendable {
    public let samples: [ConversationSample]

    public init(samples: [ConversationSample]) {
        self.samples = samples
    }

    /// Loads `file`. With `checkImages` every image must exist (else `missingImage`); without, images are
    /// not looked at.
    public static func load(file: URL, imageFolder: URL?, checkImages: Bool) throws -> LLaVADataset {
        try load(file: file, imageFolder: imageFolder, policy: checkImages ? .fail : nil).dataset
    }

    /// Loads `file`, checking that every image exists; `.skip` leaves out samples whose image is missing
    /// and returns how many were left out.
    public static func load(file: URL, imageFolder: URL?, missingImages: MissingImagePolicy)
        throws -> (dataset: LLaVADataset, skippedCount: Int)
    {
        try load(file: file, imageFolder: imageFolder, policy: missingImages)
    }

    private static func load(file: URL, imageFolder: URL?, policy: MissingImagePolicy?)
        throws -> (dataset: LLaVADataset, skippedCount: Int)
    {
        let path = file.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LLaVADataError.fileNotFound(path: path)
        }
        if isDirectory.boolValue { throw LLaVADataError.unreadable(path: path, reason: "it is a directory") }
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw LLaVADataError.unreadable(path: path, reason: error.localizedDescription)
        }
        let raw: [RawSample]
        do {
            raw = try JSONDecoder().decode([RawSample].self, from: data)
        } catch DecodingError.typeMismatch, DecodingError.valueNotFound {
            // RawSample never throws, so a type mismatch is the top level itself (valueNotFound: null).
            let found = (try? JSONDecoder().decode(DatasetJSON.self, from: data))?.kind ?? "not a list"
            throw LLaVADataError.notAList(path: path, found: found)
        } catch {
            throw LLaVADataError.malformedJSON(path: path)
        }

        let name = file.lastPathComponent
        let folder = imageFolder ?? file.deletingLastPathComponent()
        var samples: [ConversationSample] = []
        samples.reserveCapacity(raw.count)
        var skipped = 0
        for (index, element) in raw.enumerated() {
            let sample = try element.sample(source: name, index: index, imageFolder: folder)
            _ = try sample.validTurns()
            if let policy, let image = sample.imagePath, !isFile(image) {
                guard policy == .skip else { throw LLaVADataError.missingImage(sample.location, path: image.path) }
                skipped += 1
                continue
            }
            samples.append(sample)
        }
        return (LLaVADataset(samples: samples), skipped)
    }

    private static func isFile(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}

/// One top-level element, decoded without ever throwing: only the three keys the loader reads are kept,
/// each as any JSON value, so that a wrong type becomes a `SampleProblem` that names the sample.
struct RawSample: Decodable {
    enum Key: String, CodingKey { case id, image, conversations }

    /// Set when the element is not an object ("a string", "a list", …).
    var nonObjectKind: String?
    /// nil when the key is absent (`.null` when present with the value null).
    var id: DatasetJSON?
    var image: DatasetJSON?
    var conversations: DatasetJSON?

    init(from decoder: Decoder) throws {
        guard let c = try? decoder.container(keyedBy: Key.self) else {
            nonObjectKind = (try? DatasetJSON(from: decoder))?.kind ?? "not an object"
            return
        }
        func field(_ key: Key) -> DatasetJSON? {
            c.contains(key) ? ((try? c.decode(DatasetJSON.self, forKey: key)) ?? .null) : nil
        }
        id = field(.id)
        image = field(.image)
        conversations = field(.conversations)
    }

    func sample(source: String, index: Int, imageFolder: URL) throws -> ConversationSample {
        var location = SampleLocation(file: source, index: index, id: nil)
        func fail(_ problem: SampleProblem) -> LLaVADataError { .invalidSample(location, problem) }
        if let nonObjectKind { throw fail(.notAnObject(found: nonObjectKind)) }

        switch id {
        case nil: break
        case .string(let s)?: location.id = .string(s)
        case .integer(let n)?: location.id = .integer(n)
        case let other?: throw fail(.wrongType(field: "id", expected: "a string or an integer", found: other.kind))
        }

        var imagePath: URL?
        switch image {
        case nil: break
        case .string(let s)?:
            guard !s.isEmpty else { throw fail(.emptyImagePath) }
            imagePath = s.hasPrefix("/") ? URL(fileURLWithPath: s) : imageFolder.appendingPathComponent(s)
        case let other?: throw fail(.wrongType(field: "image", expected: "a string", found: other.kind))
        }

        guard let conversations else { throw fail(.missingField("conversations")) }
        guard case .list(let list) = conversations else {
            throw fail(.wrongType(field: "conversations", expected: "a list", found: conversations.kind))
        }
        var turns: [ConversationTurn] = []
        turns.reserveCapacity(list.count)
        for (t, element) in list.enumerated() {
            let path = "conversations[\(t)]"
            guard case .object(let fields) = element else {
                throw fail(.wrongType(field: path, expected: "an object", found: element.kind))
            }
            guard let from = fields["from"] else { throw fail(.missingField(path + ".from")) }
            guard case .string(let fromText) = from else {
                throw fail(.wrongType(field: path + ".from", expected: "a string", found: from.kind))
            }
            guard let role = ConversationRole(rawValue: fromText) else { throw fail(.unknownRole(turn: t, role: fromText)) }
            guard let value = fields["value"] else { throw fail(.missingField(path + ".value")) }
            guard case .string(let text) = value else {
                throw fail(.wrongType(field: path + ".value", expected: "a string", found: value.kind))
            }
            turns.append(ConversationTurn(from: role, value: text))
        }
        return ConversationSample(id: location.id, imagePath: imagePath, conversations: turns, source: source, index: index)
    }
}

/// Any JSON value.
indirect enum DatasetJSON: Decodable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case list([DatasetJSON])
    case object([String: DatasetJSON])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        // Most values in LLaVA data are strings and objects: try those first (each failed try costs an error).
        if c.decodeNil() { self = .null }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let o = try? c.decode([String: DatasetJSON].self) { self = .object(o) }
        else if let a = try? c.decode([DatasetJSON].self) { self = .list(a) }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Int.self) { self = .integer(n) }
        else { self = .number(try c.decode(Double.self)) }
    }

    /// How error messages name the kind of a value.
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .list: return "a list"
        case .object: return "an object"
        }
    }
}
