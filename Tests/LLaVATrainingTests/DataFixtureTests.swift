// Ids and labels of Tests/Fixtures/data/sample.json under both templates, against the references of
// Tools/fixtures/make_data_fixtures.py (Python fast tokenizer + offsets, an independent method from the Swift
// prefix tokenization), for the small (<image> = 400) and mistral (<image> = 32000) tokenizers, N = 4.
import Foundation
import LLaVATokenizer
import LLaVATraining
import XCTest

/// `Tests/Fixtures/<relative>`, found relative to this source file.
func dataFixture(_ relative: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(relative)
}

func dataTokenizer(_ name: String) throws -> Tokenizer {
    try Tokenizer(directory: dataFixture("tokenizers/\(name)"))
}

/// The sequence as token strings, targets in brackets: `<s> ▁US ER : ▁Hi ▁ASS IST ANT : [▁Yes] [.] [</s>]`.
func dataDescribe(_ ids: [Int], _ labels: [Int], _ tokenizer: Tokenizer) -> String {
    zip(ids, labels).map { id, label in
        let token = (tokenizer.token(for: id) ?? "#\(id)").replacingOccurrences(of: "\n", with: "\\n")
        return label == ignoreLabel ? token : "[\(token)]"
    }.joined(separator: " ")
}

/// The message of the error `body` throws ("no error" if none).
func dataErrorMessage<T>(_ body: () throws -> T) -> String {
    do {
        _ = try body()
        return "no error"
    } catch {
        return String(describing: error)
    }
}

final class DataFixtureTests: XCTestCase {
    struct Expected: Decodable {
        struct Row: Decodable {
            var index: Int
            var error: String?
            var text: String?
            var spans_utf8: [[Int]]?
            var ids: [Int]?
            var labels: [Int]?
            var masked: Bool?
        }
        var image_token_count: Int
        var image_token_id: Int
        var templates: [String: [Row]]
    }

    func check(tokenizer name: String) throws {
        let tokenizer = try dataTokenizer(name)
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: dataFixture("data/expected-\(name).json")))
        let dataset = try LLaVADataset.load(file: dataFixture("data/sample.json"), imageFolder: nil, checkImages: false)
        XCTAssertEqual(tokenizer.id(for: "<image>"), expected.image_token_id)
        XCTAssertEqual(Set(expected.templates.keys), Set(ConversationTemplate.allCases.map(\.rawValue)))
        for template in ConversationTemplate.allCases {
            let rows = try XCTUnwrap(expected.templates[template.rawValue])
            XCTAssertEqual(rows.map(\.index), Array(dataset.samples.indices))
            for row in rows {
                let sample = dataset.samples[row.index]
                let label = "\(name) \(template.rawValue) sample \(row.index)"
                if let error = row.error {
                    XCTAssertEqual(error, "plainNeedsImage", label)
                    XCTAssertEqual(dataErrorMessage {
                        try tokenize(sample, template: template, tokenizer: tokenizer,
                                     imageTokenCount: expected.image_token_count, maxLength: 4096)
                    }, String(describing: LLaVADataError.invalidSample(sample.location, .plainNeedsImage)), label)
                    continue
                }
                let rendered = try template.render(sample, imageTokenCount: expected.image_token_count)
                XCTAssertEqual(rendered.text, row.text, label)
                XCTAssertEqual(rendered.targetSpans.map { [$0.lowerBound, $0.upperBound] }, row.spans_utf8, label)
                let got = try tokenize(sample, template: template, tokenizer: tokenizer,
                                       imageTokenCount: expected.image_token_count, maxLength: 4096)
                let ids = try XCTUnwrap(row.ids), labels = try XCTUnwrap(row.labels)
                XCTAssertEqual(got.masked, row.masked, label)
                XCTAssertFalse(got.truncated, label)
                XCTAssertEqual(got.imagePath, sample.imagePath, label)
                XCTAssertEqual(got.ids, ids, "\(label) ids: first difference at "
                               + "\(zip(got.ids, ids).enumerated().first { $1.0 != $1.1 }?.offset ?? min(got.ids.count, ids.count))")
                if got.labels != labels {
                    XCTFail("\(label) labels:\n  swift:  \(dataDescribe(got.ids, got.labels, tokenizer))\n"
                            + "  python: \(dataDescribe(ids, labels, tokenizer))")
                }
            }
        }
    }

    func testSmallTokenizerMatchesPythonOffsets() throws { try check(tokenizer: "small") }

    func testMistralTokenizerMatchesPythonOffsets() throws { try check(tokenizer: "mistral") }
}
