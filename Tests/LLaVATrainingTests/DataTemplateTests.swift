// The templates and the masking rule token by token: which tokens are targets in single- and multi-turn
// conversations (expected strings read off the Python fast tokenizer's offsets, see make_data_fixtures.py),
// the whole-sample mask when a span boundary falls inside a token, truncation, and the counts.
import Foundation
import LLaVATokenizer
import LLaVATraining
import XCTest

final class DataTemplateTests: XCTestCase {
    let systemTokens = "<s> ▁A ▁chat ▁between ▁a ▁curious ▁user ▁and ▁an ▁artificial ▁intelligence ▁assistant . "
        + "▁The ▁assistant ▁gives ▁helpful , ▁detailed , ▁and ▁polite ▁answers ▁to ▁the ▁user ' s ▁questions ."

    let singleTurn = ConversationSample(id: .string("a"), conversations: [
        ConversationTurn(from: .human, value: "Hi"), ConversationTurn(from: .gpt, value: "Yes."),
    ])
    let multiTurn = ConversationSample(id: .string("b"), imagePath: URL(fileURLWithPath: "/img/x.jpg"), conversations: [
        ConversationTurn(from: .human, value: "What?\n<image>"), ConversationTurn(from: .gpt, value: "A cat."),
        ConversationTurn(from: .human, value: "Color?"), ConversationTurn(from: .gpt, value: "Black</"),
    ])

    func describe(_ sample: ConversationSample, _ template: ConversationTemplate, _ tokenizer: Tokenizer,
                  imageTokenCount: Int = 2, maxLength: Int = 4096) throws -> String {
        let s = try tokenize(sample, template: template, tokenizer: tokenizer, imageTokenCount: imageTokenCount, maxLength: maxLength)
        XCTAssertEqual(s.ids.count, s.labels.count)
        for (id, label) in zip(s.ids, s.labels) { XCTAssertTrue(label == id || label == ignoreLabel) }   // not shifted
        return dataDescribe(s.ids, s.labels, tokenizer)
    }

    func testRenderedTextAndSpans() throws {
        let v1 = try ConversationTemplate.llavaV1.render(multiTurn, imageTokenCount: 2)
        let prompt = ConversationTemplate.vicunaSystem + " USER: <image><image>\nWhat? ASSISTANT: A cat.</s>USER: Color? "
        XCTAssertEqual(v1.text, prompt + "ASSISTANT: Black</</s>")
        let texts = v1.targetSpans.map { String(decoding: Array(v1.text.utf8)[$0], as: UTF8.self) }
        XCTAssertEqual(texts, [" A cat.</s>", " Black</</s>"])

        let plain = try ConversationTemplate.plain.render(multiTurn, imageTokenCount: 3)
        XCTAssertEqual(plain.text, "<image><image><image>A cat.\n")
        XCTAssertEqual(plain.targetSpans, [21..<28])
    }

    func testImageMovesToTheFrontOfTheFirstTurn() throws {
        func firstTurn(_ value: String) throws -> String {
            let sample = ConversationSample(imagePath: URL(fileURLWithPath: "/x.jpg"), conversations: [
                ConversationTurn(from: .human, value: value), ConversationTurn(from: .gpt, value: "ok"),
            ])
            let text = try ConversationTemplate.llavaV1.render(sample, imageTokenCount: 1).text
            return String(text.dropFirst(ConversationTemplate.vicunaSystem.count + " USER: ".count).dropLast(" ASSISTANT: ok</s>".count))
        }
        XCTAssertEqual(try firstTurn("What is it?\n<image>"), "<image>\nWhat is it?")
        XCTAssertEqual(try firstTurn("<image>\nWhat is it?"), "<image>\nWhat is it?")
        XCTAssertEqual(try firstTurn(" <image> "), "<image>")                 // ("<image>\n" + "").strip()
        XCTAssertEqual(try firstTurn("a <image> b\u{3000}"), "<image>\na  b")  // Python strip: U+3000 is space
        XCTAssertEqual(try firstTurn("<image>\u{301}x"), "<image>\n\u{301}x")  // byte-level, as Python's replace
        // Text-only samples and later turns are used verbatim (no strip).
        let text = ConversationSample(conversations: [
            ConversationTurn(from: .human, value: " q "), ConversationTurn(from: .gpt, value: " a "),
        ])
        XCTAssertTrue(try ConversationTemplate.llavaV1.render(text, imageTokenCount: 1).text
            .hasSuffix("questions. USER:  q  ASSISTANT:  a </s>"))
    }

    func testSingleTurnTokenByToken() throws {
        let mistral = try dataTokenizer("mistral")
        XCTAssertEqual(try describe(singleTurn, .llavaV1, mistral),
                       systemTokens + " ▁US ER : ▁Hi ▁ASS IST ANT : [▁Yes] [.] [</s>]")
    }

    func testMultiTurnTokenByToken() throws {
        let mistral = try dataTokenizer("mistral")
        XCTAssertEqual(try describe(multiTurn, .llavaV1, mistral),
                       systemTokens + " ▁US ER : ▁ <image> <image> <0x0A> What ? ▁ASS IST ANT : [▁A] [▁cat] [.] [</s>]"
                       + " USER : ▁Color ? ▁ASS IST ANT : [▁Black] [</] [</s>]")
        // The small tokenizer splits the answer's leading space off ("▁" alone) and falls back to bytes.
        let small = try dataTokenizer("small")
        XCTAssertTrue(try describe(multiTurn, .llavaV1, small).hasSuffix(
            "▁A S S I S T A N T : [▁A] [▁c] [at] [.] [</s>] U S E R : ▁ <0x43> o l o r ? "
                + "▁A S S I S T A N T : [▁] [<0x42>] [l] [ack] [<0x3C>] [<0x2F>] [</s>]"))
    }

    func testPlainTokenByToken() throws {
        XCTAssertEqual(try describe(multiTurn, .plain, try dataTokenizer("mistral")), "<s> <image> <image> [A] [▁cat] [.] [<0x0A>]")
        XCTAssertEqual(try describe(multiTurn, .plain, try dataTokenizer("small")), "<s> <image> <image> [A] [▁c] [at] [.] [<0x0A>]")
    }

    /// The small tokenizer with a merge ":" + "▁" of highest priority, so "ASSISTANT: Yes" tokenizes as
    /// "… T :▁ …": the span boundary after the colon falls inside a token and the sample is masked whole.
    func testBoundaryInsideATokenMasksTheWholeSample() throws {
        var json = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: dataFixture("tokenizers/small/tokenizer.json"))) as? [String: Any])
        var model = try XCTUnwrap(json["model"] as? [String: Any])
        var vocab = try XCTUnwrap(model["vocab"] as? [String: Int])
        vocab[":▁"] = vocab.count
        model["vocab"] = vocab
        model["merges"] = [[":", "▁"]] + (try XCTUnwrap(model["merges"] as? [Any]))
        json["model"] = model
        let tokenizer = try Tokenizer(data: JSONSerialization.data(withJSONObject: json))

        let s = try tokenize(singleTurn, template: .llavaV1, tokenizer: tokenizer, imageTokenCount: 2, maxLength: 4096)
        XCTAssertTrue(s.masked)
        XCTAssertFalse(s.truncated)
        XCTAssertEqual(s.labels, [Int](repeating: ignoreLabel, count: s.ids.count))
        XCTAssertTrue(dataDescribe(s.ids, s.labels, tokenizer).hasSuffix("A N T :▁ <0x59> es . </s>"))
        // plain's boundary (after <image>) cannot fall inside a token.
        let p = try tokenize(multiTurn, template: .plain, tokenizer: tokenizer, imageTokenCount: 2, maxLength: 4096)
        XCTAssertFalse(p.masked)
        let stats = try LLaVADataset(samples: [singleTurn, multiTurn, singleTurn])
            .tokenized(template: .llavaV1, tokenizer: tokenizer, imageTokenCount: 2, maxLength: 4096).stats
        XCTAssertEqual(stats, TokenizationStats(samples: 3, truncated: 0, masked: 3))
    }

    /// A post-processor that appends EOS: the appended token is not part of any prefix and is not a target.
    func testTokenizerThatAppendsEOS() throws {
        var json = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: dataFixture("tokenizers/small/tokenizer.json"))) as? [String: Any])
        json["post_processor"] = [
            "type": "TemplateProcessing",
            "single": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]],
                       ["SpecialToken": ["id": "</s>", "type_id": 0]]],
            "pair": [["Sequence": ["id": "A", "type_id": 0]], ["Sequence": ["id": "B", "type_id": 1]]],
            "special_tokens": ["<s>": ["id": "<s>", "ids": [1], "tokens": ["<s>"]],
                               "</s>": ["id": "</s>", "ids": [2], "tokens": ["</s>"]]],
        ]
        let tokenizer = try Tokenizer(data: JSONSerialization.data(withJSONObject: json))
        XCTAssertTrue(try describe(multiTurn, .plain, tokenizer).hasSuffix("<s> <image> <image> [A] [▁c] [at] [.] [<0x0A>] </s>"))
        XCTAssertTrue(try describe(singleTurn, .llavaV1, tokenizer).hasSuffix(": [▁] [<0x59>] [es] [.] [</s>] </s>"))
    }

    func testTruncation() throws {
        let mistral = try dataTokenizer("mistral")
        let full = try tokenize(multiTurn, template: .llavaV1, tokenizer: mistral, imageTokenCount: 2, maxLength: 4096)
        XCTAssertEqual(full.ids.count, 58)
        XCTAssertFalse(full.truncated)
        let exact = try tokenize(multiTurn, template: .llavaV1, tokenizer: mistral, imageTokenCount: 2, maxLength: 58)
        XCTAssertEqual(exact, full)

        let cut = try tokenize(multiTurn, template: .llavaV1, tokenizer: mistral, imageTokenCount: 2, maxLength: 50)
        XCTAssertTrue(cut.truncated)
        XCTAssertFalse(cut.masked)
        XCTAssertEqual(cut.ids, Array(full.ids.prefix(50)))
        XCTAssertEqual(cut.labels, Array(full.labels.prefix(50)))
        XCTAssertTrue(dataDescribe(cut.ids, cut.labels, mistral).hasSuffix("[▁A] [▁cat] [.] [</s>] USER : ▁Color"))

        // All targets cut away: still counted as truncated.
        let noTargets = try tokenize(multiTurn, template: .llavaV1, tokenizer: mistral, imageTokenCount: 2, maxLength: 40)
        XCTAssertTrue(noTargets.truncated)
        XCTAssertEqual(noTargets.labels, [Int](repeating: ignoreLabel, count: 40))
        let stats = try LLaVADataset(samples: [multiTurn, singleTurn])
            .tokenized(template: .llavaV1, tokenizer: mistral, imageTokenCount: 2, maxLength: 40).stats
        XCTAssertEqual(stats, TokenizationStats(samples: 2, truncated: 2, masked: 0))

        // The image tokens are at positions 34 and 35: a cut there is an error, not a silent half image.
        XCTAssertEqual(dataErrorMessage {
            try tokenize(multiTurn, template: .llavaV1, tokenizer: mistral, imageTokenCount: 2, maxLength: 35)
        }, "data: sample 0 (id \"b\"): maxLength 35 cuts into the image tokens, which end at position 36. "
            + "Hint: use a maxLength of at least 36.")
        XCTAssertEqual(try tokenize(multiTurn, template: .llavaV1, tokenizer: mistral, imageTokenCount: 2, maxLength: 36).ids.count, 36)
    }
}
