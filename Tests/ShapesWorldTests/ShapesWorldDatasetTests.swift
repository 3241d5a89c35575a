// The written dataset: byte-identical for a seed, LLaVA's JSON formats, the held-out splits
// (combinations and phrasings never reach training files), response-type proportions.
import ShapesWorld
import XCTest

final class ShapesWorldDatasetTests: XCTestCase {
    static let files = ["pretrain.json", "instruct.json", "lm_corpus.txt", "eval.jsonl", "scenes.json", "summary.json"]

    /// One dataset shared by the read-only tests (300 training scenes, 20 per eval split).
    static let shared: (URL, Summary) = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shapesworld-test-\(getpid())")
        let summary = try! ShapesWorldDataset.write(to: dir, scenes: 300, seed: 42, evalScenes: 20)
        return (dir, summary)
    }()

    override class func tearDown() {
        try? FileManager.default.removeItem(at: shared.0)
        super.tearDown()
    }

    func read(_ name: String) throws -> Data { try Data(contentsOf: Self.shared.0.appendingPathComponent(name)) }
    func json(_ name: String) throws -> [[String: Any]] { try XCTUnwrap(JSONSerialization.jsonObject(with: read(name)) as? [[String: Any]]) }
    func evalRecords() throws -> [[String: String]] {
        try String(decoding: read("eval.jsonl"), as: UTF8.self).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String])
        }
    }
    func turns(_ sample: [String: Any]) -> [[String: String]] { sample["conversations"] as? [[String: String]] ?? [] }

    func testSameSeedGivesByteIdenticalFilesAndDifferentSeedDiffers() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("shapesworld-det-\(getpid())")
        defer { try? FileManager.default.removeItem(at: base) }
        let a = base.appendingPathComponent("a"), b = base.appendingPathComponent("b"), c = base.appendingPathComponent("c")
        try ShapesWorldDataset.write(to: a, scenes: 60, seed: 5, evalScenes: 5)
        try ShapesWorldDataset.write(to: b, scenes: 60, seed: 5, evalScenes: 5)
        try ShapesWorldDataset.write(to: c, scenes: 60, seed: 6, evalScenes: 5)
        for f in Self.files + ["images/scene-000000.png", "images/scene-000059.png", "images/scene-000074.png"] {
            let da = try Data(contentsOf: a.appendingPathComponent(f)), db = try Data(contentsOf: b.appendingPathComponent(f))
            XCTAssertEqual(da, db, "\(f) differs between two runs with the same seed")
            XCTAssertNotEqual(da, try Data(contentsOf: c.appendingPathComponent(f)), "\(f) equal for seeds 5 and 6")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: a.appendingPathComponent("images").path).count, 75)
    }

    /// LLaVA format: alternating human/gpt turns; `<image>` exactly once, on its own line
    /// before or after the first question; both placements occur.
    func testLLaVAJSONFormat() throws {
        for name in ["pretrain.json", "instruct.json"] {
            var before = 0, after = 0
            for s in try json(name) {
                let t = turns(s)
                let id = s["id"] as? String ?? "?"
                XCTAssertNotNil(s["image"] as? String, id)
                XCTAssertTrue(!t.isEmpty && t.count % 2 == 0, id)
                for (k, turn) in t.enumerated() {
                    XCTAssertEqual(turn["from"], k % 2 == 0 ? "human" : "gpt", id)
                    XCTAssertEqual(turn["value"]!.components(separatedBy: "<image>").count - 1, k == 0 ? 1 : 0, id)
                }
                if t[0]["value"]!.hasPrefix("<image>\n") { before += 1 } else if t[0]["value"]!.hasSuffix("\n<image>") { after += 1 }
            }
            XCTAssertEqual(before + after, try json(name).count, name)
            XCTAssertGreaterThan(min(before, after), try json(name).count / 3, "\(name): before \(before), after \(after)")
        }
        XCTAssertEqual(try json("pretrain.json").count, 300)
        let briefPrompts = Set(Phrasings.briefPrompts)
        for s in try json("pretrain.json") {
            let q = turns(s)[0]["value"]!.replacingOccurrences(of: "<image>", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertTrue(briefPrompts.contains(q), q)
        }
    }

    func testResponseTypeProportionsFollowLLaVA() throws {
        var counts: [String: Int] = [:]
        for s in try json("instruct.json") {
            let id = s["id"] as! String
            let type = id.contains("-conv") ? "conversation" : (id.contains("-detail") ? "detail" : "complex_reasoning")
            counts[type, default: 0] += 1
            if type == "conversation" { XCTAssertTrue((2...InstructionGenerator.conversationTurns.upperBound).contains(turns(s).count / 2), id) }
            else { XCTAssertEqual(turns(s).count, 2, id) }
        }
        XCTAssertEqual(counts, Self.shared.1.responseTypes)
        let total = Double(counts.values.reduce(0, +))
        XCTAssertEqual(total, 600)
        for (type, llava) in [("conversation", 58.0), ("detail", 23.0), ("complex_reasoning", 77.0)] {
            XCTAssertEqual(Double(counts[type] ?? 0) / total, llava / 158, accuracy: 0.02, "\(type): \(counts)")
        }
    }

    func testHeldOutCombinationsNeverReachTrainingFiles() throws {
        let held = Self.shared.1.heldOutCombinations
        XCTAssertEqual(held.count, 7)
        var unseenScenes = 0
        for s in try json("scenes.json") {
            let names = (s["objects"] as! [[String: Any]]).map { "\($0["color"]!) \($0["shape"]!)" }
            switch s["split"] as! String {
            case "train", "test", "unseen_phrasings":
                for n in names { XCTAssertFalse(held.contains(n), "\(s["id"]!) holds \(n)") }
            case "unseen_combinations":
                unseenScenes += 1
                XCTAssertTrue(names.contains { held.contains($0) }, "\(s["id"]!) has no held-out combination")
            default: XCTFail("unknown split")
            }
        }
        XCTAssertEqual(unseenScenes, 20)
        for f in ["pretrain.json", "instruct.json", "lm_corpus.txt"] {
            let text = String(decoding: try read(f), as: UTF8.self).lowercased()
            for h in held {
                let re = try NSRegularExpression(pattern: "\\b\(h)(s|es)?\\b")
                XCTAssertNil(re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), "\(f) mentions \(h)")
            }
        }
    }

    func testHeldOutPhrasingsNeverReachTrainingFiles() throws {
        let heldOut = SceneOracle.allTemplates(.heldOut).map(SceneOracle.regex)
        let train = SceneOracle.allTemplates(.train).map(SceneOracle.regex)
        var questions = 0
        for s in try json("instruct.json") {
            for (k, t) in turns(s).enumerated() where k % 2 == 0 {
                let q = t["value"]!.replacingOccurrences(of: "<image>", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
                questions += 1
                for re in heldOut { XCTAssertFalse(SceneOracle.matches(re, q), "training question '\(q)' uses \(re.pattern)") }
                XCTAssertTrue(train.contains { SceneOracle.matches($0, q) }, "'\(q)' matches no train template")
            }
        }
        XCTAssertGreaterThan(questions, 1000)
        let corpus = String(decoding: try read("lm_corpus.txt"), as: UTF8.self)
        for t in SceneOracle.allTemplates(.heldOut) {
            let longest = t.components(separatedBy: CharacterSet(charactersIn: "{}")).enumerated()
                .filter { $0.offset % 2 == 0 }.map(\.element).max { $0.count < $1.count }!
            if longest.count >= 12 { XCTAssertFalse(corpus.contains(longest), "corpus contains '\(longest)'") }
        }
        for r in try evalRecords() {
            let q = r["question"]!
            let usesHeldOut = heldOut.contains { SceneOracle.matches($0, q) }
            XCTAssertEqual(usesHeldOut, r["split"] == "unseen_phrasings", "\(r["id"]!): '\(q)'")
        }
    }

    func testEvalFileRecords() throws {
        let records = try evalRecords()
        XCTAssertEqual(records.count, Self.shared.1.evalQuestions.values.reduce(0, +))
        var splits: [String: Int] = [:]
        for r in records {
            splits[r["split"]!, default: 0] += 1
            let form = try XCTUnwrap(AnswerForm(rawValue: r["form"]!))
            XCTAssertNotNil(QAKind(rawValue: r["kind"]!))
            XCTAssertEqual(QA.canonicalAnswer(from: r["answer"]!, form: form), r["expected"], r["id"]!)
            XCTAssertTrue(FileManager.default.fileExists(atPath: Self.shared.0.appendingPathComponent("images/" + r["image"]!).path))
        }
        XCTAssertEqual(splits, Self.shared.1.evalQuestions)
        XCTAssertEqual(Set(splits.keys), Set(ShapesWorldDataset.evalSplits))
        for (split, n) in splits { XCTAssertGreaterThanOrEqual(n, 20 * 5, split) }
    }

    func testSummaryFileMatchesReturnedSummary() throws {
        let s = try XCTUnwrap(JSONSerialization.jsonObject(with: read("summary.json")) as? [String: Any])
        XCTAssertEqual(s["train_scenes"] as? Int, 300)
        XCTAssertEqual(s["response_types"] as? [String: Int], Self.shared.1.responseTypes)
        XCTAssertEqual(s["question_kinds"] as? [String: Int], Self.shared.1.questionKinds)
        XCTAssertEqual(s["held_out_combinations"] as? [String], Self.shared.1.heldOutCombinations)
        let lines = String(decoding: try read("lm_corpus.txt"), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, s["lm_corpus_lines"] as? Int)
        XCTAssertFalse(lines.contains { $0.contains("<image>") })
    }

    /// Dialogue lines of the LM corpus start with their scene as text: per training scene, the two
    /// instruction samples and two corpus-only conversations, each led by that scene's object list.
    func testCorpusDialoguesAreGroundedInTheirScene() throws {
        let lines = String(decoding: try read("lm_corpus.txt"), as: UTF8.self).split(separator: "\n").map(String.init)
        let grounded = lines.filter { $0.hasPrefix("Scene: ") }
        XCTAssertEqual(grounded.count, 300 * (2 + 2))
        XCTAssertFalse(lines.contains { !$0.hasPrefix("Scene: ") && $0.contains("Human: ") }, "an ungrounded dialogue")
        let lists = try json("scenes.json").filter { $0["split"] as? String == "train" }
            .map { try XCTUnwrap(($0["captions"] as? [String: String])?["list"]) }
        XCTAssertEqual(lists.count, 300)
        var next = 0
        for line in grounded {
            let list = String(line.dropFirst("Scene: ".count).prefix { $0 != "." })
            // Lines come scene by scene, four per scene.
            XCTAssertEqual(list, lists[next / 4], "line \(next)")
            XCTAssertTrue(line.contains(". Human: "), line)
            next += 1
        }
    }

    /// Short-answer samples come after each scene's LLaVA-Instruct samples, which they leave
    /// unchanged; they are counted as their own response type and reach the LM corpus as one line each.
    func testShortAnswerSamplesAreAddedAlongside() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("shapesworld-vqa-\(getpid())")
        defer { try? FileManager.default.removeItem(at: base) }
        let plain = base.appendingPathComponent("plain"), vqa = base.appendingPathComponent("vqa")
        let p = try ShapesWorldDataset.write(to: plain, scenes: 40, seed: 3, evalScenes: 2)
        let v = try ShapesWorldDataset.write(to: vqa, scenes: 40, seed: 3, evalScenes: 2, shortAnswerPerScene: 1)
        func samples(_ dir: URL) throws -> [[String: Any]] {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("instruct.json"))) as? [[String: Any]])
        }
        let withVQA = try samples(vqa)
        XCTAssertEqual(withVQA.count, 40 * 3)
        let kept = withVQA.filter { !($0["id"] as! String).hasSuffix("-vqa") }
        XCTAssertEqual(kept.map { $0["id"] as! String }, try samples(plain).map { $0["id"] as! String })
        XCTAssertEqual(kept.map { turns($0) }, try samples(plain).map { turns($0) })
        XCTAssertEqual(withVQA.map { $0["id"] as! String }.filter { $0.hasSuffix("-vqa") }.count, 40)
        XCTAssertEqual(v.responseTypes["short_answer"], 40)
        XCTAssertEqual(v.responseTypes.filter { $0.key != "short_answer" }, p.responseTypes)
        // The LM corpus gains one grounded line per short-answer sample, newlines flattened.
        let corpus = try String(contentsOf: vqa.appendingPathComponent("lm_corpus.txt"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(corpus.count, p.lmCorpusLines + 40)
        XCTAssertEqual(v.lmCorpusLines, corpus.count)
        let plainCorpus = try String(contentsOf: plain.appendingPathComponent("lm_corpus.txt"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(corpus.filter { !$0.contains(InstructionGenerator.shortAnswerPrompt) }, plainCorpus)
        XCTAssertEqual(corpus.filter { $0.hasPrefix("Scene: ") && $0.contains(". Human: ") && $0.contains(InstructionGenerator.shortAnswerPrompt) }.count, 40)
        XCTAssertEqual(try Data(contentsOf: vqa.appendingPathComponent("eval.jsonl")), try Data(contentsOf: plain.appendingPathComponent("eval.jsonl")))
    }

    func testInvalidArgumentsThrow() {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shapesworld-never")
        XCTAssertThrowsError(try ShapesWorldDataset.write(to: dir, scenes: 0, seed: 1)) { e in
            XCTAssertEqual("\(e)", "ShapesWorld: scenes = 0 is not allowed; expected 1...900000.")
        }
        XCTAssertThrowsError(try ShapesWorldDataset.write(to: dir, scenes: 10, seed: 1, samplesPerScene: 0)) { e in
            XCTAssertEqual("\(e)", "ShapesWorld: samplesPerScene = 0 is not allowed; expected 1...8.")
        }
        XCTAssertThrowsError(try ShapesWorldDataset.write(to: dir, scenes: 10, seed: 1, shortAnswerPerScene: 9)) { e in
            XCTAssertEqual("\(e)", "ShapesWorld: shortAnswerPerScene = 9 is not allowed; expected 0...8.")
        }
        XCTAssertThrowsError(try ShapesWorldDataset.write(to: dir, scenes: 10, seed: 1, sizeFocusShare: 1.5)) { e in
            XCTAssertEqual("\(e)", "ShapesWorld: sizeFocusShare = 1.5 is not allowed; expected a fraction in [0, 1].")
        }
        XCTAssertThrowsError(try ShapesWorldDataset.write(to: dir, scenes: 10, seed: 1, sizeFocusShare: .nan))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path))
    }
}
