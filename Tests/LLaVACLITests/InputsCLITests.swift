// `llava tokenize` and `llava preprocess`: the contract scripts outside this repository rely on.
import Foundation
import LLaVACheckpoint
import LLaVATestSupport
import XCTest

final class InputsCLITests: CLITestCase {
    func testTokenizeMatchesAutoTokenizerLineByLine() throws {
        // Golden ids from Tools/fixtures/make_tokenizer_fixtures.py (AutoTokenizer of this directory).
        let golden = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.url("tokenizers/mistral-transformers.golden.json"))) as! [String: Any]
        let cases = (golden["cases"] as! [[String: Any]]).prefix(20)
        let input = cases.map { c -> String in
            let data = try! JSONSerialization.data(withJSONObject: [c["text"] as! String])
            return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        }.joined(separator: "\n") + "\n"
        let r = try llava(["tokenize", "--model", Fixtures.url("tokenizers/mistral").path], stdin: input)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.count, cases.count)
        for (line, c) in zip(lines, cases) {
            let ids = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Int]
            XCTAssertEqual(ids, c["ids"] as? [Int], "\(c["text"] ?? "")")
        }
    }

    func testTokenizeRejectsNonJSONLines() throws {
        let r = try llava(["tokenize", "--model", Fixtures.url("tokenizers/mistral").path], stdin: "\"ok\"\nnot json\n")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: stdin line 2: expected one JSON string per line, e.g. \"Hello world\"\n")
    }

    func testPreprocessWritesTheModelsPixels() throws {
        let out = scratch.appendingPathComponent("px.npy")
        let r = try llava(["preprocess", "--model", Fixtures.url("models/llava15_f32").path,
                           "--image", Fixtures.url("models/llava15_f32/reference/image.png").path, "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let px = try NPYArray.read(out)
        let expected = try Fixtures.npy("models/llava15_f32/reference/pixel_values.npy")
        XCTAssertEqual(px.shape, Array(expected.shape.dropFirst()))
        XCTAssertEqual(px.floats, expected.floats)
    }
}
