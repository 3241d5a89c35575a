import Foundation
import LLaVATokenizer
import XCTest

final class BPETrainerTests: XCTestCase {
    func testTrainedTokenizerLoadsAndRoundTrips() throws {
        let corpus = ["A red circle and a small blue square.", "There are two circles.", "The red circle is in the top left.",
                      "Is there a green star? No, there is no green star."]
        let (json, config) = try BPETrainer.train(corpus: corpus, vocabularySize: 330)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try json.write(to: dir.appendingPathComponent("tokenizer.json"))
        try config.write(to: dir.appendingPathComponent("tokenizer_config.json"))
        let tok = try Tokenizer(directory: dir)
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
        XCTAssertEqual(try BPETrainer.train(corpus: corpus, vocabularySize: 330).tokenizer, json)
    }

    func testUserSymbolsAreOneTokenAndCostNoMerges() throws {
        let symbol = "Answer the question using a single word or phrase."
        let corpus = Array(repeating: "What colour is the circle? " + symbol + " red", count: 50) + ["a blue square"]
        let plain = try BPETrainer.train(corpus: corpus, vocabularySize: 400)
        let (json, config) = try BPETrainer.train(corpus: corpus, vocabularySize: 400, userSymbols: [symbol])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try json.write(to: dir.appendingPathComponent("tokenizer.json"))
        try config.write(to: dir.appendingPathComponent("tokenizer_config.json"))
        let tok = try Tokenizer(directory: dir)
        let id = try XCTUnwrap(tok.id(for: symbol))
        XCTAssertEqual(id, tok.vocabularySize - 1)
        let text = "What colour is the circle?\n" + symbol + " red"
        let ids = tok.encode(text, addSpecialTokens: false)
        XCTAssertEqual(ids.filter { $0 == id }.count, 1)
        // Not special: decoding keeps it, skipSpecialTokens or not.
        XCTAssertEqual(tok.decode(ids, skipSpecialTokens: true), text)
        // Cut out of the corpus before training: no merge learned for the symbol's own words ("phrase").
        let merges = { (data: Data) -> [[String]] in
            let j = try JSONSerialization.jsonObject(with: data) as! [String: Any]
            return (j["model"] as! [String: Any])["merges"] as! [[String]]
        }
        XCTAssertTrue(try merges(plain.tokenizer).contains { $0.joined().hasSuffix("phrase.") })
        XCTAssertFalse(try merges(json).contains { $0.joined().contains("phr") })
        let plainTok = try Tokenizer(directory: { () throws -> URL in
            let d = dir.appendingPathComponent("plain")
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            try plain.tokenizer.write(to: d.appendingPathComponent("tokenizer.json"))
            try plain.config.write(to: d.appendingPathComponent("tokenizer_config.json"))
            return d
        }())
        XCTAssertGreaterThan(plainTok.encode(text, addSpecialTokens: false).count, ids.count + 5)
    }

    func testSplitPunctuationCutsLettersFromDigitsAndPunctuation() throws {
        let corpus = Array(repeating: "Is the star at y = 0.63? Yes, the star (top); star", count: 20)
        let (json, config) = try BPETrainer.train(corpus: corpus, vocabularySize: 400, splitPunctuation: true)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try json.write(to: dir.appendingPathComponent("tokenizer.json"))
        try config.write(to: dir.appendingPathComponent("tokenizer_config.json"))
        let tok = try Tokenizer(directory: dir)
        // "star?" is the token of "star" and the token of "?"; no merge joins a letter to punctuation.
        let star = tok.encode("star", addSpecialTokens: false)
        XCTAssertEqual(star.count, 1)
        XCTAssertEqual(tok.encode("star?", addSpecialTokens: false), star + [try XCTUnwrap(tok.id(for: "?"))])
        let j = try JSONSerialization.jsonObject(with: json) as! [String: Any]
        let merges = (j["model"] as! [String: Any])["merges"] as! [[String]]
        for m in merges {
            let joined = m.joined().replacingOccurrences(of: "▁", with: "")
            XCTAssertTrue(joined.allSatisfy(\.isLetter) || joined.allSatisfy(\.isNumber) || joined.allSatisfy { !$0.isLetter && !$0.isNumber },
                          "merge \(m) crosses a letter/digit/punctuation boundary")
        }
        let text = corpus[0]
        XCTAssertEqual(tok.decode(tok.encode(text), skipSpecialTokens: true), text)
    }
}
