// Reads the golden files written by Tools/fixtures/make_tokenizer_fixtures.py and builds the tokenizer
// each one describes (a tokenizer.json, optionally patched, or a model directory).
import Foundation
import LLaVATokenizer
import XCTest

/// `Tests/Fixtures/tokenizers`, found relative to this source file.
let tokenizerFixtures: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").appendingPathComponent("tokenizers")

struct TokenizerGolden: Decodable {
    struct Case: Decodable {
        var text: String
        var ids: [Int]
        var idsNoSpecial: [Int]
        var decoded: String
        var decodedSkipSpecial: String

        enum CodingKeys: String, CodingKey {
            case text, ids, decoded
            case idsNoSpecial = "ids_no_special"
            case decodedSkipSpecial = "decoded_skip_special"
        }
    }

    struct DecodeCase: Decodable {
        var ids: [Int]
        var decoded: String
        var decodedSkipSpecial: String

        enum CodingKeys: String, CodingKey {
            case ids, decoded
            case decodedSkipSpecial = "decoded_skip_special"
        }
    }

    var tokenizer: String
    var loader: String
    var reference: String
    var mergesFormat: String?
    var vocabularySize: Int
    var cases: [Case]
    var decodeCases: [DecodeCase]

    enum CodingKeys: String, CodingKey {
        case tokenizer, loader, reference, cases
        case mergesFormat = "merges_format"
        case vocabularySize = "vocabulary_size"
        case decodeCases = "decode_cases"
    }

    static func load(_ name: String) throws -> (golden: TokenizerGolden, raw: [String: JSONValue]) {
        let data = try Data(contentsOf: tokenizerFixtures.appendingPathComponent("\(name).golden.json"))
        return (try JSONDecoder().decode(TokenizerGolden.self, from: data), try JSONDecoder().decode([String: JSONValue].self, from: data))
    }

    /// The tokenizer under test: `directory` → `Tokenizer(directory:)`; `file` → the tokenizer.json with
    /// the golden's `patch` (top-level keys replaced) and merges rewritten to `merges_format`.
    func makeTokenizer(raw: [String: JSONValue]) throws -> Tokenizer {
        let url = tokenizerFixtures.appendingPathComponent(tokenizer)
        if loader == "directory" { return try Tokenizer(directory: url) }
        guard case .object(let patch)? = raw["patch"] else {
            if mergesFormat == nil { return try Tokenizer(url: url) }
            return try patched(url, [:])
        }
        return try patched(url, patch)
    }

    private func patched(_ url: URL, _ patch: [String: JSONValue]) throws -> Tokenizer {
        // JSONDecoder/JSONEncoder, not JSONSerialization: on Linux the latter loses a U+FEFF vocabulary key.
        guard case .object(var json) = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url)) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        for (key, value) in patch { json[key] = value }
        if let format = mergesFormat, case .object(var model)? = json["model"], case .array(let merges)? = model["merges"] {
            model["merges"] = .array(merges.map { m -> JSONValue in
                switch (format, m) {
                case ("list", .string(let s)): return .array(s.components(separatedBy: " ").map(JSONValue.string))
                case ("string", .array(let pair)):
                    return .string(pair.compactMap { if case .string(let s) = $0 { return s } else { return nil } }.joined(separator: " "))
                default: return m
                }
            })
            json["model"] = .object(model)
        }
        return try Tokenizer(data: JSONEncoder().encode(JSONValue.object(json)), source: "\(tokenizer) (patched)")
    }
}

/// Any JSON value, for patching a tokenizer.json in tests.
enum JSONValue: Codable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) { self = .string(s) } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): if n == n.rounded(), abs(n) < 1e15 { try c.encode(Int(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

/// Compares every case of a golden file; a failure prints the text, expected and actual ids.
func checkGolden(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let (golden, raw) = try TokenizerGolden.load(name)
    let tokenizer = try golden.makeTokenizer(raw: raw)
    XCTAssertEqual(tokenizer.vocabularySize, golden.vocabularySize, "\(name): vocabulary size", file: file, line: line)
    var failures = 0
    for c in golden.cases {
        let label = "\(name) [\(golden.reference)] text \(String(reflecting: c.text))"
        let ids = tokenizer.encode(c.text)
        if ids != c.ids { failures += 1 }
        XCTAssertEqual(ids, c.ids, "\(label): ids (expected then actual)", file: file, line: line)
        XCTAssertEqual(tokenizer.encode(c.text, addSpecialTokens: false), c.idsNoSpecial,
                       "\(label): ids without special tokens", file: file, line: line)
        XCTAssertEqual(tokenizer.decode(c.ids), c.decoded, "\(label): decode \(c.ids)", file: file, line: line)
        XCTAssertEqual(tokenizer.decode(c.ids, skipSpecialTokens: true), c.decodedSkipSpecial,
                       "\(label): decode skipping special tokens \(c.ids)", file: file, line: line)
    }
    for c in golden.decodeCases {
        XCTAssertEqual(tokenizer.decode(c.ids), c.decoded, "\(name): decode \(c.ids)", file: file, line: line)
        XCTAssertEqual(tokenizer.decode(c.ids, skipSpecialTokens: true), c.decodedSkipSpecial,
                       "\(name): decode skipping special tokens \(c.ids)", file: file, line: line)
    }
    print("\(name): \(golden.cases.count) texts, \(golden.decodeCases.count) id sequences, \(failures) id mismatches")
}
