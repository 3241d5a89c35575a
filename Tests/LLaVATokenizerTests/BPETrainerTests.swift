import Foundation
import LLaVATokenizer
import XCTest

final class BPETrainerTests: XCTestCase {
    /// The trained files written to a temporary directory and loaded as any checkpoint's tokenizer.
    func load(_ trained: (tokenizer: Data, config: Data)) throws -> Tokenizer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try trained.tokenizer.write(to: dir.appendingPathComponent("tokenizer.json"))
        try trained.config.write(to: dir.appendingPathComponent("tokenizer_config.json"))
        return try Tokenizer(directory: dir)
    }

    /// The learned merges of a trained tokenizer.json.
    func merges(_ tokenizer: Data) throws -> [[String]] {
        let j = try XCTUnwrap(JSONSerialization.jsonObject(with: tokenizer) as? [String: Any])
        return try XCTUnwrap((j["model"] as? [String: Any])?["merges"] as? [[String]])
    }

    func testTrainedTokenizerLoadsAndRoundTrips() throws {
        let corpus = ["A red circle and a small blue square.", "There are two circles.", "The red circle is in the top left.",
                      "Is there a green star? No, there is no green star."]
        let trained = try BPETrainer.train(corpus: corpus, vocabularySize: 330)
        let tok = try load(trained)
        XCTAssertEqual(tok.bosTokenID, 1)
        XCTAssertEqual(tok.eosTokenID, 2)
        XCTAssertEqual(tok.id(for: "<image>"), tok.vocabularySize - 2)
        for text in corpus + ["<image>\nWhat colour is the circle?", "unseen wörds 😀"] {
            let ids = tok.encode(text)
            XCTAssertEqual(ids.first, 1)
            XCTAssertEqual(tok.decode(ids, skipSpecialTokens: true), text.replacingOccurrences(of: "<image>", with: ""))
        }
        // Frequent words become single tokens.
        XCTAssertEqual(tok.encode("circle", addSpecialTokens: false).count, 1)
        // Same corpus, same bytes.
        XCTAssertEqual(try BPETrainer.train(corpus: corpus, vocabularySize: 330).tokenizer, trained.tokenizer)
    }

    func testUserSymbolsAreOneTokenAndCostNoMerges() throws {
        let symbol = "Answer the question using a single word or phrase."
        let corpus = Array(repeating: "What colour is the circle? " + symbol + " red", count: 50) + ["a blue square"]
        let plain = try BPETrainer.train(corpus: corpus, vocabularySize: 400)
        let trained = try BPETrainer.train(corpus: corpus, vocabularySize: 400, userSymbols: [symbol])
        let tok = try load(trained)
        let id = try XCTUnwrap(tok.id(for: symbol))
        XCTAssertEqual(id, tok.vocabularySize - 1)
        let text = "What colour is the circle?\n" + symbol + " red"
        let ids = tok.encode(text, addSpecialTokens: false)
        XCTAssertEqual(ids.filter { $0 == id }.count, 1)
        // Not special: decoding keeps it, skipSpecialTokens or not.
        XCTAssertEqual(tok.decode(ids, skipSpecialTokens: true), text)
        // Cut out of the corpus before training: no merge learned for the symbol's own words ("phrase").
        XCTAssertTrue(try merges(plain.tokenizer).contains { $0.joined().hasSuffix("phrase.") })
        XCTAssertFalse(try merges(trained.tokenizer).contains { $0.joined().contains("phr") })
        XCTAssertGreaterThan(try load(plain).encode(text, addSpecialTokens: false).count, ids.count + 5)
    }

    func testSplitPunctuationCutsLettersFromDigitsAndPunctuation() throws {
        let corpus = Array(repeating: "Is the star at y = 0.63? Yes, the star (top); star", count: 20)
        let trained = try BPETrainer.train(corpus: corpus, vocabularySize: 400, splitPunctuation: true)
        let tok = try load(trained)
        // "star?" is the token of "star" and the token of "?"; no merge joins a letter to punctuation.
        let star = tok.encode("star", addSpecialTokens: false)
        XCTAssertEqual(star.count, 1)
        XCTAssertEqual(tok.encode("star?", addSpecialTokens: false), star + [try XCTUnwrap(tok.id(for: "?"))])
        for m in try merges(trained.tokenizer) {
            let joined = m.joined().replacingOccurrences(of: "▁", with: "")
            XCTAssertTrue(joined.allSatisfy(\.isLetter) || joined.allSatisfy(\.isNumber) || joined.allSatisfy { !$0.isLetter && !$0.isNumber },
                          "merge \(m) crosses a letter/digit/punctuation boundary")
        }
        let text = corpus[0]
        XCTAssertEqual(tok.decode(tok.encode(text), skipSpecialTokens: true), text)
    }
}
