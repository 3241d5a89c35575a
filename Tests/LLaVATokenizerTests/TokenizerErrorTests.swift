// Loader errors, checked word for word: each names the file, the unsupported or broken thing, and a hint.
import Foundation
import LLaVATokenizer
import XCTest

final class TokenizerErrorTests: XCTestCase {
    /// The small fixture tokenizer with top-level keys replaced, loaded under the name "test.json".
    func load(patching patch: [String: JSONValue]) throws -> Tokenizer {
        let url = tokenizerFixtures.appendingPathComponent("small/tokenizer.json")
        guard case .object(var json) = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url)) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        for (key, value) in patch { json[key] = value }
        return try Tokenizer(data: JSONEncoder().encode(JSONValue.object(json)), source: "test.json")
    }

    func message(_ body: () throws -> Tokenizer) -> String {
        do {
            _ = try body()
            return "no error"
        } catch {
            return String(describing: error)
        }
    }

    func expect(_ expected: String, _ body: () throws -> Tokenizer, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(message(body), expected, file: file, line: line)
    }

    let modelHint = "Hint: LLaVATokenizer implements the Llama/Mistral/Vicuna SentencePiece-style BPE family only."

    func testMissingFile() {
        expect("tokenizer file not found: /nonexistent/tokenizer.json. Hint: pass a Hugging Face model directory that "
               + "contains tokenizer.json (a SentencePiece tokenizer.model alone is not enough; convert it with transformers).") {
            try Tokenizer(url: URL(fileURLWithPath: "/nonexistent/tokenizer.json"))
        }
        expect("tokenizer file not found: /nonexistent/dir/tokenizer.json. Hint: pass a Hugging Face model directory that "
               + "contains tokenizer.json (a SentencePiece tokenizer.model alone is not enough; convert it with transformers).") {
            try Tokenizer(directory: URL(fileURLWithPath: "/nonexistent/dir"))
        }
    }

    func testMalformedJSON() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("llava-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("tokenizer.json")
        try Data("{\"model\": {\"type\": \"BPE\", ".utf8).write(to: url)
        expect("\(url.path) is not valid JSON. Hint: the download may be truncated; fetch tokenizer.json again.") {
            try Tokenizer(url: url)
        }
        expect("test.json is not valid JSON. Hint: the download may be truncated; fetch tokenizer.json again.") {
            try Tokenizer(data: Data(), source: "test.json")
        }
    }

    func testMissingFields() {
        let hint = "Hint: the file is not a tokenizers-format tokenizer.json (re-save it with tokenizers' Tokenizer.save "
            + "or transformers' save_pretrained)."
        expect("test.json: missing field 'model'. " + hint) { try Tokenizer(data: Data("{}".utf8), source: "test.json") }
        expect("test.json: missing field 'model.vocab'. " + hint) {
            try Tokenizer(data: Data(#"{"model": {"type": "BPE", "merges": []}}"#.utf8), source: "test.json")
        }
        expect("test.json: missing field 'added_tokens[0].content'. " + hint) {
            try self.load(patching: ["added_tokens": .array([.object(["id": .number(0)])])])
        }
    }

    func testWrongTypes() {
        let hint = "Hint: re-save the file with the tokenizers library and check that it loads there."
        expect("test.json: invalid 'model.vocab': expected an object. " + hint) {
            try Tokenizer(data: Data(#"{"model": {"type": "BPE", "vocab": [1, 2], "merges": []}}"#.utf8), source: "test.json")
        }
        expect("test.json: invalid 'model.merges': merge 1 uses 'ab', which is not in the vocabulary. " + hint) {
            try Tokenizer(data: Data(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}}"#.utf8),
                          source: "test.json")
        }
        expect("test.json: invalid 'model.merges': merge 1 is not a pair of tokens: [\"a\", \"b\", \"c\"]. " + hint) {
            try Tokenizer(data: Data(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b c"]}}"#.utf8),
                          source: "test.json")
        }
        expect("test.json: invalid 'model.unk_token': '<oov>' is not in the vocabulary. " + hint) {
            try Tokenizer(data: Data(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "unk_token": "<oov>"}}"#.utf8),
                          source: "test.json")
        }
        expect("test.json: invalid 'model.vocab': 2 entries but ids up to 2 (ids must be contiguous; canonically equivalent "
               + "Unicode tokens cannot be told apart after JSON decoding). " + hint) {
            try Tokenizer(data: Data(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 2}, "merges": []}}"#.utf8), source: "test.json")
        }
        expect("test.json: invalid 'pre_tokenizer.prepend_scheme': 'sometimes' is not one of first, always, never. " + hint) {
            try self.load(patching: ["pre_tokenizer": .object(["type": .string("Metaspace"), "replacement": .string("\u{2581}"),
                                                               "prepend_scheme": .string("sometimes")])])
        }
        expect("test.json: invalid 'model.dropout': 0.1 makes tokenization random; only null or 0 is supported. " + hint) {
            try Tokenizer(data: Data(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "dropout": 0.1}}"#.utf8),
                          source: "test.json")
        }
    }

    func testUnsupportedStages() {
        expect("test.json: unsupported model 'WordPiece' (supported: BPE). " + modelHint) {
            try Tokenizer(data: Data(#"{"model": {"type": "WordPiece", "vocab": {"a": 0}, "unk_token": "[UNK]"}}"#.utf8),
                          source: "test.json")
        }
        expect("test.json: unsupported model 'Unigram' (supported: BPE). " + modelHint) {
            try Tokenizer(data: Data(#"{"model": {"type": "Unigram", "vocab": [["<unk>", 0.0]], "unk_id": 0}}"#.utf8),
                          source: "test.json")
        }
        expect("test.json: unsupported pre-tokenizer 'ByteLevel' (supported: Metaspace). " + modelHint) {
            try self.load(patching: ["pre_tokenizer": .object(["type": .string("ByteLevel"), "add_prefix_space": .bool(false)])])
        }
        expect("test.json: unsupported normalizer 'NFKC' (supported: Prepend, Replace, Sequence). " + modelHint) {
            try self.load(patching: ["normalizer": .object(["type": .string("Sequence"), "normalizers": .array([
                .object(["type": .string("NFKC")]),
            ])])])
        }
        expect("test.json: unsupported Replace normalizer pattern 'Regex' (supported: String). " + modelHint) {
            try self.load(patching: ["normalizer": .object(["type": .string("Replace"), "content": .string("x"),
                                                            "pattern": .object(["Regex": .string("\\s+")])])])
        }
        expect("test.json: unsupported decoder 'ByteLevel' (supported: Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence). "
               + modelHint) {
            try self.load(patching: ["decoder": .object(["type": .string("ByteLevel")])])
        }
        expect("test.json: unsupported post-processor 'RobertaProcessing' (supported: TemplateProcessing). " + modelHint) {
            try self.load(patching: ["post_processor": .object(["type": .string("RobertaProcessing")])])
        }
    }
}
