// Evaluation on held-out ShapesWorld scenes: exact-match accuracy per question kind (the model's
// free-text answer is reduced to its canonical value by ShapesWorld's parser), per split; the
// blank-image and shuffled-image controls; a question-only baseline; and attribute precision /
// recall of generated detailed descriptions against the scene graph.
import Foundation
import LLaVA
import LLaVAImage
import LLaVATensor
import ShapesWorld

public struct EvalRecord: Sendable {
    public var id, sceneID, image, split, kind, form, question, expected: String
}

public struct Accuracy: Sendable {
    public var correct: [String: Int] = [:]
    public var total: [String: Int] = [:]

    mutating func add(_ kind: String, _ ok: Bool) {
        total[kind, default: 0] += 1
        if ok { correct[kind, default: 0] += 1 }
    }

    public var byKind: [String: Double] {
        total.mapValues { _ in 0 }.merging(total.map { ($0.key, Double(correct[$0.key, default: 0]) / Double($0.value)) }) { $1 }
    }

    public var overall: Double {
        let t = total.values.reduce(0, +)
        return t == 0 ? 0 : Double(correct.values.reduce(0, +)) / Double(t)
    }

    public var json: [String: Any] {
        var d: [String: Any] = byKind.mapValues { ($0 * 10000).rounded() / 10000 }
        d["overall"] = (overall * 10000).rounded() / 10000
        d["questions"] = total.values.reduce(0, +)
        return d
    }
}

public struct Example: Sendable {
    public var split, kind, question, answer, expected: String
    public var correct: Bool
}

struct Evaluator {
    let pipeline: LLaVAPipeline
    let dataDir: URL
    var featureCache: [String: Tensor] = [:]

    init(model: URL, data: URL) throws {
        pipeline = try LLaVAPipeline(directory: model)
        dataDir = data
    }

    static func records(_ data: URL) throws -> [EvalRecord] {
        try String(contentsOf: data.appendingPathComponent("eval.jsonl"), encoding: .utf8).split(separator: "\n").map { line in
            let j = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            func s(_ k: String) -> String { j[k] as? String ?? "" }
            return EvalRecord(id: s("id"), sceneID: s("scene_id"), image: s("image"), split: s("split"), kind: s("kind"),
                              form: s("form"), question: s("question"), expected: s("expected"))
        }
    }

    mutating func features(_ image: String) throws -> Tensor {
        if let f = featureCache[image] { return f }
        let px = try pipeline.pixels(imageAt: dataDir.appendingPathComponent("images").appendingPathComponent(image))
        let f = pipeline.model.encodeImage(pixels: px.values)
        featureCache[image] = f
        return f
    }

    /// Greedy answer to `question` about an image given by its features.
    func answer(_ question: String, features: Tensor, maxTokens: Int) throws -> String {
        let ids = try pipeline.promptIDs(rawPrompt: ChatTemplate.vicunaV1.render(question))
        let out = try pipeline.generate(inputIDs: ids, imageFeatures: features, maxTokens: maxTokens, sampling: SamplingOptions())
        return pipeline.tokenizer.decode(out.outputIDs, skipSpecialTokens: true)
    }

    static func maxTokens(_ kind: String) -> Int { kind == "reasoning" ? 112 : 40 }
    /// A short answer is a word or phrase.
    static let shortAnswerMaxTokens = 8

    func isCorrect(_ r: EvalRecord, _ text: String) -> Bool {
        guard let form = AnswerForm(rawValue: r.form) else { return false }
        return QA.canonicalAnswer(from: text, form: form) == r.expected
    }

    /// Accuracy per split (and the controls on the test split), test accuracy by the number of
    /// objects in the scene (`objectCounts`: scene id → count), with a few examples.
    /// Also the test split asked with the short-answer prompt, on its image and on a blank one.
    mutating func run(_ records: [EvalRecord], objectCounts: [String: Int], progress: (Int, Int) -> Void) throws
        -> (splits: [String: Accuracy], byObjectCount: [Int: Accuracy], blank: Accuracy, shuffled: Accuracy,
            shortAnswer: Accuracy, shortAnswerBlank: Accuracy, examples: [Example]) {
        var splits: [String: Accuracy] = [:]
        var byObjectCount: [Int: Accuracy] = [:]
        var blank = Accuracy(), shuffled = Accuracy(), shortAnswer = Accuracy(), shortAnswerBlank = Accuracy()
        var examples: [Example] = []
        let test = records.filter { $0.split == "test" }
        let testImages = Array(Set(test.map(\.image))).sorted()
        let blankFeatures = pipeline.model.encodeImage(pixels: [Float](repeating: 0, count: 3 * pipeline.model.config.vision.imageSize
                                                                        * pipeline.model.config.vision.imageSize))
        let total = records.count + 4 * test.count
        var done = 0
        for r in records {
            let text = try answer(r.question, features: try features(r.image), maxTokens: Self.maxTokens(r.kind))
            let ok = isCorrect(r, text)
            splits[r.split, default: Accuracy()].add(r.kind, ok)
            if r.split == "test" {
                if let n = objectCounts[r.sceneID] { byObjectCount[n, default: Accuracy()].add(r.kind, ok) }
                if examples.filter({ $0.kind == r.kind }).count < 2 {
                    examples.append(Example(split: r.split, kind: r.kind, question: r.question, answer: text, expected: r.expected, correct: ok))
                }
            }
            done += 1
            progress(done, total)
        }
        for r in test {
            let b = try answer(r.question, features: blankFeatures, maxTokens: Self.maxTokens(r.kind))
            blank.add(r.kind, isCorrect(r, b))
            // "Shuffled": the image of the next test scene, so the question is about another picture.
            let other = testImages[(testImages.firstIndex(of: r.image)! + 1) % testImages.count]
            let s = try answer(r.question, features: try features(other), maxTokens: Self.maxTokens(r.kind))
            shuffled.add(r.kind, isCorrect(r, s))
            let q = InstructionGenerator.shortAnswerQuestion(r.question)
            shortAnswer.add(r.kind, isCorrect(r, try answer(q, features: try features(r.image), maxTokens: Self.shortAnswerMaxTokens)))
            shortAnswerBlank.add(r.kind, isCorrect(r, try answer(q, features: blankFeatures, maxTokens: Self.shortAnswerMaxTokens)))
            done += 4
            progress(done, total)
        }
        return (splits, byObjectCount, blank, shuffled, shortAnswer, shortAnswerBlank, examples)
    }

    /// Question-only baseline: always the most frequent canonical answer of the question's kind and
    /// form among questions about training scenes (what language priors alone can reach).
    static func questionOnlyBaseline(_ records: [EvalRecord], settings s: DemoSettings) throws -> Accuracy {
        let held = SceneGenerator.heldOutCombinations(seed: s.seed)
        let generator = try SceneGenerator(seed: s.seed, size: s.imageSize, composition: .training, heldOutCombinations: held)
        let writer = InstructionGenerator(seed: s.seed, phrasing: .train, unmentionable: held)
        var counts: [String: [String: Int]] = [:]
        for i in 0..<min(s.scenes, 1000) {
            for qa in writer.evalQuestions(for: generator.layout(index: i)) {
                counts[qa.kind.rawValue + "/" + qa.form.rawValue, default: [:]][qa.expected, default: 0] += 1
            }
        }
        let majority = counts.mapValues { $0.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!.key }
        var acc = Accuracy()
        for r in records where r.split == "test" { acc.add(r.kind, majority[r.kind + "/" + r.form] == r.expected) }
        return acc
    }

    /// Attribute precision and recall of "Describe the image in detail." answers on test scenes:
    /// the (colour, shape) pairs the text names vs. those in the scene.
    mutating func descriptions(sceneIDs: [String], scenes: [String: [(String, String)]], progress: (Int, Int) -> Void) throws
        -> (precision: Double, recall: Double, example: String) {
        var tp = 0, predicted = 0, truth = 0
        var example = ""
        for (i, id) in sceneIDs.enumerated() {
            let text = try answer("Describe the image in detail.", features: try features(id + ".png"), maxTokens: 160)
            if example.isEmpty { example = text }
            let said = Self.mentions(text)
            let real = Set(scenes[id, default: []].map { "\($0.0) \($0.1)" })
            tp += said.intersection(real).count
            predicted += said.count
            truth += real.count
            progress(i + 1, sceneIDs.count)
        }
        return (predicted == 0 ? 0 : Double(tp) / Double(predicted), truth == 0 ? 0 : Double(tp) / Double(truth), example)
    }

    /// "colour [size] shape(s)" mentions in a text.
    static func mentions(_ text: String) -> Set<String> {
        let words = text.lowercased().split { !$0.isLetter }.map(String.init)
        let colours = Set(ObjectColor.allCases.map(\.rawValue)), shapes = ShapeKind.allCases.map(\.rawValue)
        var out = Set<String>()
        for (i, w) in words.enumerated() where colours.contains(w) {
            for j in (i + 1)..<min(words.count, i + 3) {
                if let shape = shapes.first(where: { words[j] == $0 || words[j] == $0 + "s" || words[j] == $0 + "es" }) {
                    out.insert("\(w) \(shape)")
                    break
                }
            }
        }
        return out
    }
}
