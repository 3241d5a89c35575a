// The public API around encode/decode: lookups, special-token ids, and streaming decoding.
import Foundation
import LLaVATokenizer
import XCTest

final class TokenizerAPITests: XCTestCase {
    func mistral() throws -> Tokenizer { try Tokenizer(directory: tokenizerFixtures.appendingPathComponent("mistral")) }

    func testLookupsAndSpecialTokens() throws {
        let t = try mistral()
        XCTAssertEqual(t.vocabularySize, 32002)
        XCTAssertEqual(t.bosTokenID, 1)
        XCTAssertEqual(t.eosTokenID, 2)
        XCTAssertEqual(t.specialTokenIDs, [0, 1, 2, 32000, 32001])
        XCTAssertEqual(t.id(for: "<image>"), 32000)
        XCTAssertEqual(t.id(for: "<pad>"), 32001)
        XCTAssertEqual(t.id(for: "<0x0A>"), 13)
        XCTAssertEqual(t.id(for: "\u{2581}the"), 272)
        XCTAssertNil(t.id(for: "no such token"))
        XCTAssertEqual(t.token(for: 32000), "<image>")
        XCTAssertEqual(t.token(for: 272), "\u{2581}the")
        XCTAssertNil(t.token(for: 32002))
        XCTAssertNil(t.token(for: -1))
    }

    /// Streaming yields exactly the full decode, including characters split over byte-fallback pieces.
    func testStreamingDetokenizerReassemblesText() throws {
        let t = try mistral()
        for text in ["USER: <image>\nWhat is shown? ASSISTANT: A cat 🐱 on a 椅子, très bien.", "👨‍👩‍👧‍👦 and 我爱你"] {
            let ids = t.encode(text)
            var stream = StreamingDetokenizer(tokenizer: t)
            var pieces: [String] = []
            for id in ids { pieces.append(stream.append(id)) }
            pieces.append(stream.finish())
            XCTAssertEqual(pieces.joined(), t.decode(ids, skipSpecialTokens: true), text)
            XCTAssertFalse(pieces.contains { $0.contains("\u{FFFD}") }, "a partial character was emitted for \(text)")
        }
    }

    func testEmptyInputs() throws {
        let t = try mistral()
        XCTAssertEqual(t.encode(""), [1])
        XCTAssertEqual(t.encode("", addSpecialTokens: false), [])
        XCTAssertEqual(t.decode([]), "")
    }
}
