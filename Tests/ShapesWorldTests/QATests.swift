// Every generated question is checked against the scene graph by SceneOracle (an independent
// re-implementation), its answer text parses back to its canonical answer, and the
// canonical-answer parser is checked on hand-written answers.
import ShapesWorld
import XCTest

final class QATests: XCTestCase {
    /// All QA records of many scenes: instruction samples (train phrasings, held-out set
    /// unmentionable), evaluation questions with held-out phrasings, and unseen-combination
    /// scenes with the held-out object as focus.
    func generatedQAs() throws -> [(QA, Scene, String)] {
        let held = SceneGenerator.heldOutCombinations(seed: 13)
        let train = try SceneGenerator(seed: 13, heldOutCombinations: held)
        let unseen = try SceneGenerator(seed: 13, composition: .unseenCombinations, heldOutCombinations: held)
        let instr = InstructionGenerator(seed: 13, unmentionable: held)
        let heldOut = InstructionGenerator(seed: 13, phrasing: .heldOut, unmentionable: held)
        let open = InstructionGenerator(seed: 13)
        var out: [(QA, Scene, String)] = []
        for i in 0..<400 {
            let s = train.layout(index: i)
            for sample in instr.samples(for: s, perScene: 3) + instr.shortAnswerSamples(for: s, count: 1) {
                out += sample.qas.map { ($0, s, sample.id) }
            }
            out += heldOut.evalQuestions(for: s).map { ($0, s, "\(s.id) held-out eval") }
            let u = unseen.layout(index: i)
            out += open.evalQuestions(for: u, focus: 0).map { ($0, u, "\(u.id) unseen eval") }
        }
        return out
    }

    func testEveryAnswerIsTrueOfTheSceneGraph() throws {
        let qas = try generatedQAs()
        XCTAssertGreaterThan(qas.count, 5000)
        var kinds: [QAKind: Int] = [:]
        for (qa, scene, label) in qas {
            kinds[qa.kind, default: 0] += 1
            let l = "\(label) '\(qa.question)'"
            XCTAssertEqual(SceneOracle.answer(qa.query, scene.objects, l), qa.expected, "\(l) -> '\(qa.answer)'")
        }
        for k in QAKind.allCases { XCTAssertGreaterThan(kinds[k, default: 0], 300, "\(k): \(kinds)") }
    }

    /// The question text names what its query asks about.
    func testQuestionsNameTheirSubject() throws {
        for (qa, _, label) in try generatedQAs() {
            switch qa.query {
            case .colorOf(let r), .shapeOf(let r), .position(let r), .closest(let r), .countBySize(let r, _), .countRelative(_, let r):
                XCTAssertTrue(qa.question.contains(r.definite), "\(label): '\(qa.question)' should name '\(r.definite)'")
            case .count(let r):
                XCTAssertTrue(qa.question.contains(r.pluralNoun), "\(label): '\(qa.question)'")
            case .exists(let r):
                XCTAssertTrue(qa.question.contains(r.noun), "\(label): '\(qa.question)'")
            case .relation(let a, let rel, let b):
                XCTAssertTrue(qa.question.contains(a.definite) && qa.question.contains(b.definite) && qa.question.contains(rel.rawValue), label)
            case .countNotColor(let c):
                XCTAssertTrue(qa.question.contains(c.rawValue), label)
            case .moreThan(let x, let y):
                XCTAssertTrue(qa.question.contains(x.pluralNoun) && qa.question.contains(y.pluralNoun), label)
            case .extremeColor(let largest):
                XCTAssertTrue(qa.question.contains(largest ? "largest" : "smallest"), label)
            case .mostCommonColor, .mostCommonShape:
                break
            }
        }
    }

    /// LLaVA-1.5's short-answer samples: every question carries the response-format prompt and is
    /// answered with its canonical value alone, which the parser reads back.
    func testShortAnswerSamplesFollowLLaVA15() throws {
        let held = SceneGenerator.heldOutCombinations(seed: 13)
        let train = try SceneGenerator(seed: 13, heldOutCombinations: held)
        let instr = InstructionGenerator(seed: 13, unmentionable: held)
        var kinds: [QAKind: Int] = [:]
        for i in 0..<200 {
            let scene = train.layout(index: i)
            let samples = instr.shortAnswerSamples(for: scene, count: 2)
            XCTAssertEqual(samples.map(\.id), ["\(scene.id)-vqa", "\(scene.id)-vqa2"])
            XCTAssertNotEqual(samples[0].conversations, samples[1].conversations, scene.id)
            for s in samples {
                XCTAssertEqual(s.type, .shortAnswer)
                XCTAssertEqual(s.conversations.count, 2 * s.qas.count, s.id)
                XCTAssertTrue((2...InstructionGenerator.conversationTurns.upperBound).contains(s.qas.count), "\(s.id): \(s.qas.count) turns")
                for (k, qa) in s.qas.enumerated() {
                    kinds[qa.kind, default: 0] += 1
                    let q = s.conversations[2 * k].value.replacingOccurrences(of: "<image>", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
                    XCTAssertEqual(q, qa.question + "\n" + InstructionGenerator.shortAnswerPrompt, s.id)
                    XCTAssertEqual(s.conversations[2 * k + 1].value, qa.expected, s.id)
                    XCTAssertEqual(QA.canonicalAnswer(from: qa.expected, kind: qa.kind), qa.expected, "\(s.id): '\(qa.expected)'")
                }
            }
        }
        XCTAssertEqual(Set(kinds.keys), [.colour, .shape, .count, .position, .existence], "\(kinds)")
    }

    /// `sizeFocusShare` turns colour and shape questions towards the objects only a size tells
    /// apart: more of them name a size, every answer is still true of the scene graph, scenes with
    /// no such object get the same samples, and evaluation questions do not change.
    func testSizeFocusAsksAboutObjectsOnlyASizeTellsApart() throws {
        let held = SceneGenerator.heldOutCombinations(seed: 13)
        let train = try SceneGenerator(seed: 13, heldOutCombinations: held)
        let plain = InstructionGenerator(seed: 13, unmentionable: held)
        let focused = InstructionGenerator(seed: 13, unmentionable: held, sizeFocusShare: 1)
        func sized(_ samples: [InstructionSample]) -> Int {
            samples.flatMap(\.qas).filter { qa in
                switch qa.query {
                case .colorOf(let r), .shapeOf(let r): return r.size != nil
                default: return false
                }
            }.count
        }
        // Two objects share a shape (or a colour) and differ in size.
        func hasSizedSubject(_ s: Scene) -> Bool {
            s.objects.contains { o in
                s.objects.contains { $0 != o && $0.shape == o.shape && $0.size != o.size }
                    || s.objects.contains { $0 != o && $0.color == o.color && $0.size != o.size }
            }
        }
        var sizedPlain = 0, sizedFocused = 0, unchanged = 0
        for i in 0..<300 {
            let scene = train.layout(index: i)
            let a = plain.shortAnswerSamples(for: scene, count: 2), b = focused.shortAnswerSamples(for: scene, count: 2)
            sizedPlain += sized(a)
            sizedFocused += sized(b)
            for qa in b.flatMap(\.qas) {
                XCTAssertEqual(SceneOracle.answer(qa.query, scene.objects, scene.id), qa.expected, "\(scene.id) '\(qa.question)'")
            }
            if !hasSizedSubject(scene) {
                XCTAssertEqual(a.map(\.conversations), b.map(\.conversations), scene.id)
                unchanged += 1
            }
            XCTAssertEqual(focused.evalQuestions(for: scene).map(\.question), plain.evalQuestions(for: scene).map(\.question), scene.id)
        }
        XCTAssertGreaterThan(unchanged, 50)
        XCTAssertGreaterThan(sizedPlain, 50)
        XCTAssertGreaterThan(Double(sizedFocused), 1.5 * Double(sizedPlain), "\(sizedFocused) vs \(sizedPlain)")
    }

    func testCanonicalAnswerParsesEveryGeneratedAnswer() throws {
        for (qa, _, label) in try generatedQAs() {
            XCTAssertEqual(qa.canonicalAnswer(from: qa.answer), qa.expected, "\(label): '\(qa.answer)'")
            if qa.kind != .reasoning {
                XCTAssertEqual(QA.canonicalAnswer(from: qa.answer, kind: qa.kind), qa.expected, "\(label): '\(qa.answer)'")
                XCTAssertEqual(QA.form(of: qa.kind), qa.form)
            }
        }
    }

    /// About half of existence questions are "no", and each "no" names something absent.
    func testExistenceNoAnswersNameAbsentThings() throws {
        var yes = 0, no = 0
        for (qa, scene, label) in try generatedQAs() where qa.kind == .existence {
            guard case .exists(let r) = qa.query else { return XCTFail("\(label): existence query") }
            let present = scene.objects.contains { o in (r.color ?? o.color) == o.color && (r.shape ?? o.shape) == o.shape }
            if qa.expected == "no" {
                no += 1
                XCTAssertFalse(present, "\(label): '\(qa.question)' answered no but present")
                XCTAssertTrue(qa.answer.hasPrefix("No,"), label)
            } else {
                yes += 1
                XCTAssertTrue(present, label)
                XCTAssertTrue(qa.answer.hasPrefix("Yes,"), label)
            }
        }
        let share = Double(no) / Double(yes + no)
        XCTAssertEqual(share, 0.5, accuracy: 0.07, "share of no answers (\(no) of \(yes + no))")
    }

    func testCanonicalAnswerGoldenExamples() {
        let cases: [(String, AnswerForm, String?)] = [
            ("The triangle is red.", .color, "red"),
            ("It is a deep ORANGE colour", .color, "orange"),
            ("The blue object is a circle.", .shape, "circle"),
            ("Those are crosses.", .shape, "cross"),
            ("There are two circles.", .number, "2"),
            ("I count 3 red objects.", .number, "3"),
            ("There are no stars in the image.", .number, "0"),
            ("There is one star.", .number, "1"),
            ("It is in the top left corner of the image.", .region, "top left"),
            ("The red square is at the bottom.", .region, "bottom"),
            ("On the right side.", .region, "right"),
            ("Upper right.", .region, "top right"),
            ("It is in the center.", .region, "center"),
            ("In the middle of the picture.", .region, "center"),
            ("Yes, there is a green star.", .yesNo, "yes"),
            ("No, there is no green star.", .yesNo, "no"),
            ("There isn't one.", .yesNo, "no"),
            ("The red circle is at (0.20, 0.30). The nearest one is the blue square. So the answer is the blue square.", .object, "blue square"),
            ("The square is at x = 0.28 and the red cross is at x = 0.56. The answer is yes.", .yesNo, "yes"),
            ("There are 4 objects in total, and one of them is red. Therefore, the answer is 3.", .number, "3"),
            ("I am not sure.", .color, nil),
            ("Somewhere.", .region, nil),
        ]
        for (text, form, want) in cases {
            XCTAssertEqual(QA.canonicalAnswer(from: text, form: form), want, "'\(text)' as \(form)")
        }
        XCTAssertEqual(QA.canonicalAnswer(from: "So the answer is no.", kind: .reasoning), "no")
        XCTAssertEqual(QA.canonicalAnswer(from: "So the answer is the green star.", kind: .reasoning), "green star")
        XCTAssertEqual(QA.canonicalAnswer(from: "The answer is 2.", kind: .reasoning), "2")
    }
}
