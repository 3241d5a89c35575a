// Bad data, checked word for word: each message names the file, the sample (index and id) and the turn.
// Then arbitrary bytes and arbitrary JSON: loading and tokenizing either succeed or throw LLaVADataError.
import Foundation
import LLaVATokenizer
import LLaVATraining
import XCTest

final class DataErrorTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try dataTemporaryDirectory() }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// Writes `json` to data.json and returns the message of loading it (images not checked).
    func loadMessage(_ json: String) -> String {
        let file = dir.appendingPathComponent("data.json")
        return dataErrorMessage {
            try Data(json.utf8).write(to: file)
            return try LLaVADataset.load(file: file, imageFolder: nil, checkImages: false)
        }
    }

    /// One sample with these conversations (and image / id JSON if given), at index 0.
    func sampleMessage(_ conversations: String, image: String? = nil, id: String? = "\"s\"") -> String {
        let fields = [id.map { "\"id\": \($0)" }, image.map { "\"image\": \($0)" }, "\"conversations\": \(conversations)"]
        return loadMessage("[{" + fields.compactMap { $0 }.joined(separator: ", ") + "}]")
    }

    let qa = #"[{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello."}]"#

    func testFileErrors() {
        XCTAssertEqual(dataErrorMessage { try LLaVADataset.load(file: URL(fileURLWithPath: "/nonexistent/data.json"),
                                                                imageFolder: nil, checkImages: false) },
                       "dataset file not found: /nonexistent/data.json")
        XCTAssertEqual(dataErrorMessage { try LLaVADataset.load(file: self.dir, imageFolder: nil, checkImages: false) },
                       "cannot read \(dir.path): it is a directory")
        let path = dir.appendingPathComponent("data.json").path
        let notJSON = "\(path) is not valid JSON. Hint: the file may be truncated; "
            + "python3 -m json.tool shows the line and column of the error."
        XCTAssertEqual(loadMessage(#"[{"id": "a", "conversations": ["#), notJSON)
        XCTAssertEqual(loadMessage(""), notJSON)
        XCTAssertEqual(loadMessage("[NaN]"), notJSON)
        let hint = "Hint: LLaVA data is a JSON list of {\"id\", \"image\", \"conversations\"} objects."
        XCTAssertEqual(loadMessage(#"{"conversations": []}"#), "\(path): the top level is an object, not a list of samples. " + hint)
        XCTAssertEqual(loadMessage("\"data\""), "\(path): the top level is a string, not a list of samples. " + hint)
        XCTAssertEqual(loadMessage("null"), "\(path): the top level is null, not a list of samples. " + hint)
        XCTAssertEqual(loadMessage("[]"), "no error")
    }

    func testSampleFieldErrors() {
        XCTAssertEqual(loadMessage("[1]"), "data.json: sample 0: is a number, not an object. "
                           + "Hint: each sample is {\"id\", \"image\", \"conversations\"}")
        XCTAssertEqual(loadMessage("[[]]"), "data.json: sample 0: is a list, not an object. "
                           + "Hint: each sample is {\"id\", \"image\", \"conversations\"}")
        let ok = "{\"conversations\": \(qa)}"
        XCTAssertEqual(loadMessage("[\(ok), \(ok), \(ok), {\"id\": \"abc\"}]"), #"data.json: sample 3 (id "abc"): "conversations" missing"#)
        XCTAssertEqual(loadMessage(#"[{"id": 7}]"#), #"data.json: sample 0 (id 7): "conversations" missing"#)
        XCTAssertEqual(loadMessage(#"[{"id": true}]"#), #"data.json: sample 0: "id" must be a string or an integer, not a boolean"#)
        XCTAssertEqual(loadMessage(#"[{"id": 1.5}]"#), #"data.json: sample 0: "id" must be a string or an integer, not a number"#)
        XCTAssertEqual(loadMessage(#"[{"id": null}]"#), #"data.json: sample 0: "id" must be a string or an integer, not null"#)
        XCTAssertEqual(sampleMessage(qa, image: #"["a.jpg"]"#), #"data.json: sample 0 (id "s"): "image" must be a string, not a list"#)
        XCTAssertEqual(sampleMessage(qa, image: "null"), #"data.json: sample 0 (id "s"): "image" must be a string, not null"#)
        XCTAssertEqual(sampleMessage(qa, image: #""""#),
                       #"data.json: sample 0 (id "s"): "image" is an empty string. Hint: remove the key for a text-only sample"#)
        XCTAssertEqual(sampleMessage("{}"), #"data.json: sample 0 (id "s"): "conversations" must be a list, not an object"#)
        XCTAssertEqual(sampleMessage("null"), #"data.json: sample 0 (id "s"): "conversations" must be a list, not null"#)
        XCTAssertEqual(sampleMessage("[]"), #"data.json: sample 0 (id "s"): "conversations" is empty"#)
        XCTAssertEqual(sampleMessage(#"[{"from": "human", "value": "Hi"}, "Hello."]"#),
                       #"data.json: sample 0 (id "s"): "conversations[1]" must be an object, not a string"#)
        XCTAssertEqual(sampleMessage(#"[{"value": "Hi"}]"#), #"data.json: sample 0 (id "s"): "conversations[0].from" missing"#)
        XCTAssertEqual(sampleMessage(#"[{"from": null, "value": "Hi"}]"#),
                       #"data.json: sample 0 (id "s"): "conversations[0].from" must be a string, not null"#)
        XCTAssertEqual(sampleMessage(#"[{"from": "user", "value": "Hi"}]"#),
                       #"data.json: sample 0 (id "s"): turn 0: unknown "from" "user" (expected "human" or "gpt")"#)
        XCTAssertEqual(sampleMessage(#"[{"from": "human", "value": "Hi"}, {"from": "gpt"}]"#),
                       #"data.json: sample 0 (id "s"): "conversations[1].value" missing"#)
        XCTAssertEqual(sampleMessage(#"[{"from": "human", "value": 3}]"#),
                       #"data.json: sample 0 (id "s"): "conversations[0].value" must be a string, not a number"#)
    }

    func testTurnStructureErrors() {
        let h = #"{"from": "human", "value": "Hi"}"#, g = #"{"from": "gpt", "value": "Hello."}"#
        let order = "(turns alternate human, gpt, human, ...; only one leading gpt turn is skipped)"
        XCTAssertEqual(sampleMessage("[\(h), \(h)]"),
                       #"data.json: sample 0 (id "s"): turn 1 is from "human" but "gpt" was expected "# + order)
        XCTAssertEqual(sampleMessage("[\(g), \(g), \(h)]"),
                       #"data.json: sample 0 (id "s"): turn 1 is from "gpt" but "human" was expected "# + order)
        XCTAssertEqual(sampleMessage("[\(h), \(g), \(g)]"),
                       #"data.json: sample 0 (id "s"): turn 2 is from "gpt" but "human" was expected "# + order)
        XCTAssertEqual(sampleMessage("[\(h)]"), #"data.json: sample 0 (id "s"): no "gpt" answer turn"#)
        XCTAssertEqual(sampleMessage("[\(g)]"), #"data.json: sample 0 (id "s"): no "gpt" answer turn"#)
        XCTAssertEqual(sampleMessage("[\(g), \(h)]"), #"data.json: sample 0 (id "s"): no "gpt" answer turn"#)
        XCTAssertEqual(sampleMessage("[\(h), \(g), \(h)]"),
                       #"data.json: sample 0 (id "s"): turn 2 is a "human" turn with no answer after it"#)
        XCTAssertEqual(sampleMessage("[\(g), \(h), \(g)]"), "no error")   // the leading gpt turn is skipped

        let img = #"{"from": "human", "value": "<image>\nWhat?"}"#
        XCTAssertEqual(sampleMessage("[\(img), \(g)]"),
                       #"data.json: sample 0 (id "s"): turn 0 contains <image> but the sample has no "image""#)
        XCTAssertEqual(sampleMessage("[\(h), \(g)]", image: #""a.jpg""#),
                       #"data.json: sample 0 (id "s"): has an "image" but no <image> in its first human turn"#)
        XCTAssertEqual(sampleMessage("[\(img), \(g), \(img), \(g)]", image: #""a.jpg""#),
                       #"data.json: sample 0 (id "s"): turn 2 contains <image>; only the first human turn may hold it"#)
        XCTAssertEqual(sampleMessage(#"[\#(img), {"from": "gpt", "value": "<image>"}]"#, image: #""a.jpg""#),
                       #"data.json: sample 0 (id "s"): turn 1 contains <image>; only the first human turn may hold it"#)
    }

    func testTokenizeErrors() throws {
        let mistral = try dataTokenizer("mistral")
        let image = URL(fileURLWithPath: "/x.jpg")
        func message(_ sample: ConversationSample, _ template: ConversationTemplate = .llavaV1,
                     tokenizer: Tokenizer? = nil, imageTokenCount: Int = 2, maxLength: Int = 4096) -> String {
            dataErrorMessage {
                try tokenize(sample, template: template, tokenizer: tokenizer ?? mistral,
                             imageTokenCount: imageTokenCount, maxLength: maxLength)
            }
        }
        let textOnly = ConversationSample(id: .string("e"), conversations: [
            ConversationTurn(from: .human, value: "Hi"), ConversationTurn(from: .gpt, value: ""),
        ], source: "data.json", index: 5)
        XCTAssertEqual(message(textOnly), #"data.json: sample 5 (id "e"): turn 1 has an empty "value" "#
            + "(the llava_v1 template cannot hold an empty message)")
        XCTAssertEqual(message(textOnly, .plain),
                       #"data.json: sample 5 (id "e"): has no "image"; the plain template (stage 1) trains on image captions only"#)
        // Python's replace does not rescan: "<im<image>age>" leaves a new "<image>" behind, a second image.
        let rebuilt = ConversationSample(imagePath: image, conversations: [
            ConversationTurn(from: .human, value: "<im<image>age>"), ConversationTurn(from: .gpt, value: "x"),
        ])
        XCTAssertEqual(message(rebuilt), "data: sample 0: its text encodes to 3 <image> tokens, expected 2")
        XCTAssertEqual(message(textOnly, imageTokenCount: 0), "imageTokenCount must be at least 1, got 0")
        XCTAssertEqual(message(textOnly, maxLength: 0), "maxLength must be at least 1, got 0")

        var json = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: dataFixture("tokenizers/small/tokenizer.json"))) as? [String: Any])
        json["added_tokens"] = (json["added_tokens"] as? [[String: Any]])?.filter { $0["content"] as? String != "<image>" }
        let noImage = try Tokenizer(data: JSONSerialization.data(withJSONObject: json))
        XCTAssertEqual(message(textOnly, tokenizer: noImage), "the tokenizer does not encode \"<image>\" as a single token. "
            + "Hint: use the tokenizer of a llava-hf checkpoint, which adds <image> as a special token.")
    }

    /// Deterministic mutations of sample.json and random JSON trees: never a trap.
    func testArbitraryInputNeverTraps() throws {
        var rng = DataSplitMix64(seed: 0x11a7a)
        let original = try Array(Data(contentsOf: dataFixture("data/sample.json")))
        let small = try dataTokenizer("small")
        let file = dir.appendingPathComponent("data.json")
        var outcomes: [String: Int] = [:]
        for round in 0..<300 {
            var bytes = original
            if round % 2 == 0 {
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let i = Int(rng.next() % UInt64(bytes.count))
                    switch rng.next() % 3 {
                    case 0: bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: bytes.remove(at: i)
                    default: bytes.insert(Array("{}[]\",:0-e\\".utf8)[Int(rng.next() % 11)], at: i)
                    }
                }
            } else {
                bytes = Array(randomJSON(&rng, depth: 0).utf8)
            }
            try Data(bytes).write(to: file)
            do {
                let dataset = try LLaVADataset.load(file: file, imageFolder: nil, checkImages: round % 3 == 0)
                for sample in dataset.samples {
                    for template in ConversationTemplate.allCases {
                        do {
                            _ = try tokenize(sample, template: template, tokenizer: small, imageTokenCount: 3, maxLength: 64)
                        } catch is LLaVADataError {}
                    }
                }
                outcomes["loaded", default: 0] += 1
            } catch let error as LLaVADataError {
                outcomes[String(String(describing: error).prefix(20)), default: 0] += 1
            }
        }
        XCTAssertGreaterThan(outcomes["loaded", default: 0], 0)
        // Nesting deeper than the JSON parser allows is an error too.
        XCTAssertEqual(loadMessage(String(repeating: "[", count: 100_000)),
                       "\(file.path) is not valid JSON. Hint: the file may be truncated; "
                           + "python3 -m json.tool shows the line and column of the error.")
    }

    func randomJSON(_ rng: inout DataSplitMix64, depth: Int) -> String {
        let leaves = ["null", "true", "0", "-1.5e3", "7", "\"\"", "\"human\"", "\"gpt\"", "\"<image>\"", "\"a.jpg\"",
                      "\"<im<image>age>\"", "\"</s>\"", "\"\\u00e9\\n\""]
        let keys = ["id", "image", "conversations", "from", "value", "x"]
        switch depth > 4 ? 0 : rng.next() % 4 {
        case 0: return leaves[Int(rng.next() % UInt64(leaves.count))]
        case 1, 2:
            let n = Int(rng.next() % 4)
            return "[" + (0..<n).map { _ in randomJSON(&rng, depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            let n = Int(rng.next() % 4)
            return "{" + (0..<n).map { _ in
                "\"\(keys[Int(rng.next() % UInt64(keys.count))])\": " + randomJSON(&rng, depth: depth + 1)
            }.joined(separator: ",") + "}"
        }
    }
}

struct DataSplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
