// Writes a complete ShapesWorld dataset: images and the files of LLaVA's two training stages,
// a text corpus, an evaluation set with three held-out splits, the symbolic truth of every
// scene and a summary. Same arguments -> byte-identical files.
//
// Scene indices: training 0..<scenes; then `evalScenes` each for "test" (training
// distribution, train phrasings), "unseen_combinations" (first object has a held-out
// colour-shape pair; questions prefer it as their subject) and "unseen_phrasings" (training
// distribution, held-out templates).
import Foundation

/// Counts of what `ShapesWorldDataset.write` produced.
public struct Summary: Hashable, Sendable {
    public var seed: UInt64
    public var imageSize: Int
    public var trainScenes: Int
    /// Scenes per evaluation split ("test", "unseen_combinations", "unseen_phrasings").
    public var evalScenes: [String: Int]
    public var pretrainPairs: Int
    /// Instruction samples per response type (raw values of `ResponseType`).
    public var responseTypes: [String: Int]
    /// QA records in the instruction data per kind (raw values of `QAKind`).
    public var questionKinds: [String: Int]
    /// Evaluation questions per split and per kind.
    public var evalQuestions: [String: Int]
    public var evalKinds: [String: Int]
    public var lmCorpusLines: Int
    public var heldOutCombinations: [String]
}

/// Writer of the on-disk dataset.
public enum ShapesWorldDataset {
    public static let evalSplits = ["test", "unseen_combinations", "unseen_phrasings"]

    /// A corpus line: the scene as text (its object list, the facts LLaVA's text-only GPT-4 was given
    /// as captions and boxes) followed by a dialogue about it. Pretraining on these teaches the small
    /// Llama to answer from its context — the in-context reading a real LLM brings to LLaVA — and that
    /// carries over to image tokens in stage 2 (measured: docs/tutorial.md §2.2).
    static func groundedDialogue(_ turns: [Turn], scene: String) -> String {
        "Scene: \(scene). " + turns.map { t in
            (t.from == "human" ? "Human: " : "Assistant: ") + t.value.replacingOccurrences(of: "<image>", with: "")
                .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: " ")
        }.joined(separator: " ")
    }

    /// Writes `images/`, `pretrain.json`, `instruct.json`, `lm_corpus.txt`, `eval.jsonl`,
    /// `scenes.json` and `summary.json` into `dir` (created if needed; files are overwritten).
    ///
    /// - Parameters:
    ///   - scenes: training scenes (each gives one stage-1 pair and `samplesPerScene` instruction samples).
    ///   - evalScenes: scenes per evaluation split.
    ///   - shortAnswerPerScene: LLaVA-1.5-style short-answer samples per training scene, written to
    ///     `instruct.json` after the LLaVA-Instruct ones (and, like them, to the LM corpus).
    ///   - corpusConversationsPerScene: extra conversations per training scene written only to the
    ///     LM corpus (text needs no image, so the language model can read more than stage 2 sees).
    ///   - heldOutFraction: share of the 48 colour-shape pairs kept out of training.
    ///   - sizeFocusShare: `InstructionGenerator.sizeFocusShare` of the training conversations.
    /// - Throws: `ShapesWorldError.invalidSetting` for bad arguments, `.writeFailed` on I/O errors.
    @discardableResult
    public static func write(to dir: URL, scenes: Int, seed: UInt64, evalScenes: Int = 100, size: Int = 64,
                             samplesPerScene: Int = 2, shortAnswerPerScene: Int = 0, corpusConversationsPerScene: Int = 2,
                             heldOutFraction: Double = 0.15, sizeFocusShare: Double = 0) throws -> Summary {
        guard scenes >= 1 && scenes <= 900_000 else {
            throw ShapesWorldError.invalidSetting(name: "scenes", value: "\(scenes)", expected: "1...900000")
        }
        guard evalScenes >= 0 && scenes + 3 * evalScenes <= 999_999 else {
            throw ShapesWorldError.invalidSetting(name: "evalScenes", value: "\(evalScenes)", expected: ">= 0 with scenes + 3 * evalScenes <= 999999")
        }
        guard (1...8).contains(samplesPerScene) else {
            throw ShapesWorldError.invalidSetting(name: "samplesPerScene", value: "\(samplesPerScene)", expected: "1...8")
        }
        guard (0...8).contains(shortAnswerPerScene) else {
            throw ShapesWorldError.invalidSetting(name: "shortAnswerPerScene", value: "\(shortAnswerPerScene)", expected: "0...8")
        }
        guard (0...8).contains(corpusConversationsPerScene) else {
            throw ShapesWorldError.invalidSetting(name: "corpusConversationsPerScene", value: "\(corpusConversationsPerScene)", expected: "0...8")
        }
        guard heldOutFraction > 0 && heldOutFraction <= 0.5 else {
            throw ShapesWorldError.invalidSetting(name: "heldOutFraction", value: "\(heldOutFraction)", expected: "a fraction in (0, 0.5]")
        }
        guard sizeFocusShare >= 0 && sizeFocusShare <= 1 else {
            throw ShapesWorldError.invalidSetting(name: "sizeFocusShare", value: "\(sizeFocusShare)", expected: "a fraction in [0, 1]")
        }
        let held = SceneGenerator.heldOutCombinations(seed: seed, fraction: heldOutFraction)
        let trainGen = try SceneGenerator(seed: seed, size: size, composition: .training, heldOutCombinations: held)
        let unseenGen = try SceneGenerator(seed: seed, size: size, composition: .unseenCombinations, heldOutCombinations: held)
        let instr = InstructionGenerator(seed: seed, phrasing: .train, unmentionable: held, sizeFocusShare: sizeFocusShare)
        let unseenInstr = InstructionGenerator(seed: seed, phrasing: .train)
        let heldOutInstr = InstructionGenerator(seed: seed, phrasing: .heldOut, unmentionable: held)

        let images = dir.appendingPathComponent("images")
        do {
            try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        } catch {
            throw ShapesWorldError.writeFailed(path: images.path, reason: error.localizedDescription)
        }

        var summary = Summary(seed: seed, imageSize: size, trainScenes: scenes, evalScenes: [:], pretrainPairs: 0,
                              responseTypes: [:], questionKinds: [:], evalQuestions: [:], evalKinds: [:],
                              lmCorpusLines: 0, heldOutCombinations: held.sorted().map(\.description))
        var pretrain: [String] = [], instruct: [String] = [], corpus: [String] = [], evalLines: [String] = [], sceneRecords: [String] = []

        func emit(_ scene: Scene, split: String) throws -> SceneCaptions {
            try writeFile(images.appendingPathComponent(scene.imageFile),
                          PNGWriter.encode(width: scene.width, height: scene.height, rgb: scene.pixels))
            var rng = SplitMix64(seed: seed, stream: 0x43415053, UInt64(scene.index))  // "CAPS"
            let captions = CaptionWriter.captions(for: scene, rng: &rng)
            sceneRecords.append(sceneJSON(scene, split: split, captions: captions).render())
            return captions
        }

        for i in 0..<scenes {
            let scene = trainGen.scene(index: i)
            let captions = try emit(scene, split: "train")
            pretrain.append(sampleJSON(id: scene.id, image: scene.imageFile, instr.captionPair(for: scene, captions: captions).conversations))
            corpus += captions.all
            for s in instr.samples(for: scene, perScene: samplesPerScene) + instr.shortAnswerSamples(for: scene, count: shortAnswerPerScene) {
                instruct.append(sampleJSON(id: s.id, image: s.image, s.conversations))
                corpus.append(groundedDialogue(s.conversations, scene: captions.list))
                summary.responseTypes[s.type.rawValue, default: 0] += 1
                for qa in s.qas { summary.questionKinds[qa.kind.rawValue, default: 0] += 1 }
            }
            for j in 0..<corpusConversationsPerScene {
                var rng = SplitMix64(seed: seed, stream: 0x4C4D4356, UInt64(i * 8 + j))  // "LMCV"
                corpus.append(groundedDialogue(instr.sample(.conversation, for: scene, rng: &rng).conversations, scene: captions.list))
            }
        }

        for (k, split) in evalSplits.enumerated() {
            for e in 0..<evalScenes {
                let index = scenes + k * evalScenes + e
                let scene = split == "unseen_combinations" ? unseenGen.scene(index: index) : trainGen.scene(index: index)
                _ = try emit(scene, split: split)
                let qas: [QA]
                switch split {
                case "unseen_combinations": qas = unseenInstr.evalQuestions(for: scene, focus: 0)
                case "unseen_phrasings": qas = heldOutInstr.evalQuestions(for: scene)
                default: qas = instr.evalQuestions(for: scene)
                }
                for (q, qa) in qas.enumerated() {
                    evalLines.append(JSONText.object([
                        ("id", .string("\(scene.id)-q\(q)")), ("scene_id", .string(scene.id)), ("image", .string(scene.imageFile)),
                        ("split", .string(split)), ("kind", .string(qa.kind.rawValue)), ("form", .string(qa.form.rawValue)),
                        ("question", .string(qa.question)), ("answer", .string(qa.answer)), ("expected", .string(qa.expected)),
                    ]).render())
                    summary.evalQuestions[split, default: 0] += 1
                    summary.evalKinds[qa.kind.rawValue, default: 0] += 1
                }
                summary.evalScenes[split, default: 0] += 1
            }
        }
        summary.pretrainPairs = pretrain.count
        summary.lmCorpusLines = corpus.count

        try writeText(dir.appendingPathComponent("pretrain.json"), recordArray(pretrain))
        try writeText(dir.appendingPathComponent("instruct.json"), recordArray(instruct))
        try writeText(dir.appendingPathComponent("scenes.json"), recordArray(sceneRecords))
        try writeText(dir.appendingPathComponent("lm_corpus.txt"), corpus.joined(separator: "\n") + "\n")
        try writeText(dir.appendingPathComponent("eval.jsonl"), evalLines.isEmpty ? "" : evalLines.joined(separator: "\n") + "\n")
        try writeText(dir.appendingPathComponent("summary.json"), summaryJSON(summary).render(indent: 2) + "\n")
        return summary
    }

    /// `{"id", "image", "conversations": [{"from", "value"}, ...]}` on one line.
    static func sampleJSON(id: String, image: String, _ turns: [Turn]) -> String {
        JSONText.object([
            ("id", .string(id)), ("image", .string(image)),
            ("conversations", .array(turns.map { .object([("from", .string($0.from)), ("value", .string($0.value))]) })),
        ]).render()
    }

    static func sceneJSON(_ s: Scene, split: String, captions: SceneCaptions) -> JSONText {
        .object([
            ("id", .string(s.id)), ("image", .string(s.imageFile)), ("split", .string(split)),
            ("width", .int(s.width)), ("height", .int(s.height)), ("background", .string(s.background.description)),
            ("objects", .array(s.objects.map { o in .object([
                ("shape", .string(o.shape.rawValue)), ("color", .string(o.color.rawValue)), ("size", .string(o.size.rawValue)),
                ("region", .string(o.region.rawValue)),
                ("center", .array([.fixed(o.center.x, 4), .fixed(o.center.y, 4)])),
                ("box", .array(o.box.map { .fixed($0, 4) })),
            ]) })),
            ("captions", .object([
                ("short", .string(captions.short)), ("counted", .string(captions.counted)),
                ("with_background", .string(captions.withBackground)), ("detailed", .string(captions.detailed)),
                ("list", .string(captions.list)),
            ])),
            ("boxes", .array(CaptionWriter.boxes(for: s).map { .string($0) })),
        ])
    }

    static func summaryJSON(_ s: Summary) -> JSONText {
        func counts(_ d: [String: Int]) -> JSONText { .object(d.keys.sorted().map { ($0, .int(d[$0]!)) }) }
        return .object([
            ("seed", .string(String(s.seed))), ("image_size", .int(s.imageSize)), ("train_scenes", .int(s.trainScenes)),
            ("eval_scenes", counts(s.evalScenes)), ("pretrain_pairs", .int(s.pretrainPairs)),
            ("response_types", counts(s.responseTypes)), ("question_kinds", counts(s.questionKinds)),
            ("eval_questions", counts(s.evalQuestions)), ("eval_kinds", counts(s.evalKinds)),
            ("lm_corpus_lines", .int(s.lmCorpusLines)),
            ("held_out_combinations", .array(s.heldOutCombinations.map { .string($0) })),
        ])
    }

    /// A JSON array with one record per line.
    static func recordArray(_ records: [String]) -> String {
        records.isEmpty ? "[]\n" : "[\n" + records.joined(separator: ",\n") + "\n]\n"
    }

    static func writeText(_ url: URL, _ text: String) throws { try writeFile(url, Array(text.utf8)) }

    static func writeFile(_ url: URL, _ bytes: [UInt8]) throws {
        do {
            try Data(bytes).write(to: url)
        } catch {
            throw ShapesWorldError.writeFailed(path: url.path, reason: error.localizedDescription)
        }
    }
}
