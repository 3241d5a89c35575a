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
}
