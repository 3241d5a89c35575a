// Turns a scene graph into LLaVA-Instruct style samples of the three response types
// (LLaVA §3: conversation 58K, detailed description 23K, complex reasoning 77K), LLaVA-1.5's
// short-answer VQA samples, and stage-1 caption pairs. The `<image>` token goes before or after the
// first question at random, as in LLaVA-Instruct-158K (arXiv 2304.08485 Eq. 2: [X_q, X_v] or [X_v, X_q]).
//
// Response types are assigned by a Weyl sequence over the global sample number k
// (u_k = u_0 + k * 2^64 / golden ratio, mod 2^64), so the proportions over any run of samples
// are within O(log n / n) of 58 : 23 : 77 while sample k still depends only on (seed, k).

/// LLaVA's three response types, and LLaVA-1.5's short-answer VQA.
public enum ResponseType: String, CaseIterable, Codable, Sendable {
    case conversation, detail
    case complexReasoning = "complex_reasoning"
    /// LLaVA-1.5's academic VQA data (VQAv2, GQA, …; 515K of its 665K mix): one image's questions
    /// merged into one conversation, each followed by the response-format prompt, answered with a
    /// single word or phrase (arXiv 2310.03744 §3.2, App. A.2).
    case shortAnswer = "short_answer"

    /// The response types of LLaVA-Instruct-158K.
    public static let llavaInstruct: [ResponseType] = [.conversation, .detail, .complexReasoning]

    /// Sample counts of LLaVA-Instruct-158K (thousands): 58, 23, 77; 0 for short answers (not part of it).
    public var llavaCount: Int {
        switch self {
        case .conversation: return 58
        case .detail: return 23
        case .complexReasoning: return 77
        case .shortAnswer: return 0
        }
    }

    var idSuffix: String {
        switch self {
        case .conversation: return "conv"
        case .detail: return "detail"
        case .complexReasoning: return "complex"
        case .shortAnswer: return "vqa"
        }
    }
}

/// One turn of a LLaVA conversation: `from` is "human" or "gpt".
public struct Turn: Hashable, Sendable {
    public var from: String
    public var value: String
}

/// One LLaVA-format sample: an image and a conversation, with the QA records it contains
/// (conversation turns and the reasoning question; a detailed description has none).
public struct InstructionSample: Sendable {
    public var id: String
    public var image: String
    public var type: ResponseType
    public var conversations: [Turn]
    public var qas: [QA]
}

/// A stage-1 sample in LLaVA's pretraining format (the role of CC3M-595K / LCS-558K).
public struct CaptionPair: Sendable {
    public var id: String
    public var image: String
    public var conversations: [Turn]
}

/// Writes instruction samples and caption pairs for scenes.
public struct InstructionGenerator: Sendable {
    public let seed: UInt64
    public let phrasing: PhrasingSet
    /// Combinations never named in generated text (pass the held-out set for training data).
    public let unmentionable: Set<Combination>
    /// Chance that a colour or shape turn of a conversation asks about an object only a size tells
    /// apart ("the small star" when there are two stars), when the scene has one: the turns the
    /// demo's models got wrong, asked more often in training (as GQA balanced its question
    /// distribution). 0 asks about the objects in turn; evaluation questions never use it.
    public let sizeFocusShare: Double

    /// Question–answer turns per conversation (and short-answer) sample.
    public static let conversationTurns = 6...12
    /// LLaVA-1.5's response-format prompt, appended to every short-answer question (§3.2).
    public static let shortAnswerPrompt = "Answer the question using a single word or phrase."

    /// A question as LLaVA-1.5's short-answer data asks it, and as its short-answer benchmarks are
    /// asked (VQAv2, GQA, POPE; Table 8): followed by the response-format prompt.
    public static func shortAnswerQuestion(_ question: String) -> String { question + "\n" + shortAnswerPrompt }

    public init(seed: UInt64, phrasing: PhrasingSet = .train, unmentionable: Set<Combination> = [], sizeFocusShare: Double = 0) {
        self.seed = seed
        self.phrasing = phrasing
        self.unmentionable = unmentionable
        self.sizeFocusShare = sizeFocusShare
    }

    /// The response type of global sample number `k`.
    public func responseType(ofSample k: Int) -> ResponseType {
        let u0 = SplitMix64(seed: seed, stream: 0x54595045).state  // "TYPE"
        let u = u0 &+ UInt64(bitPattern: Int64(k)) &* 0x9E37_79B9_7F4A_7C15
        let x = Double(u >> 11) * 0x1p-53
        let total = Double(ResponseType.llavaInstruct.reduce(0) { $0 + $1.llavaCount })
        if x < Double(ResponseType.conversation.llavaCount) / total { return .conversation }
        if x < Double(ResponseType.conversation.llavaCount + ResponseType.detail.llavaCount) / total { return .detail }
        return .complexReasoning
    }

    /// `perScene` samples for a scene; sample j is global sample `scene.index * perScene + j`.
    public func samples(for scene: Scene, perScene: Int = 2) -> [InstructionSample] {
        var out: [InstructionSample] = []
        var used: [String: Int] = [:]
        for j in 0..<perScene {
            let k = scene.index * perScene + j
            let type = responseType(ofSample: k)
            var rng = SplitMix64(seed: seed, stream: 0x494E5354, UInt64(bitPattern: Int64(k)))  // "INST"
            var s = sample(type, for: scene, rng: &rng)
            let base = "\(scene.id)-\(type.idSuffix)"
            used[base, default: 0] += 1
            s.id = used[base]! == 1 ? base : "\(base)\(used[base]!)"
            out.append(s)
        }
        return out
    }

    /// One sample of the given type.
    public func sample(_ type: ResponseType, for scene: Scene, rng: inout SplitMix64) -> InstructionSample {
        let writer = QuestionWriter(scene: scene, phrasing: phrasing, unmentionable: unmentionable)
        var pairs: [(String, String)] = []
        var qas: [QA] = []
        switch type {
        case .conversation:
            qas = conversation(writer, scene: scene, rng: &rng)
            pairs = qas.map { ($0.question, $0.answer) }
        case .shortAnswer:
            qas = conversation(writer, scene: scene, rng: &rng)
            pairs = qas.map { (Self.shortAnswerQuestion($0.question), $0.expected) }
        case .detail:
            let prompt = rng.pick(Phrasings.templates(.detail, phrasing))
            pairs = [(prompt, CaptionWriter.detailedDescription(of: scene, rng: &rng))]
        case .complexReasoning:
            let qa = writer.reasoning(&rng)!
            qas = [qa]
            pairs = [(qa.question, qa.answer)]
        }
        return InstructionSample(id: "\(scene.id)-\(type.idSuffix)", image: scene.imageFile, type: type,
                                 conversations: Self.turns(pairs, rng: &rng), qas: qas)
    }

    /// The questions of one conversation. Several questions about one image, no question twice.
    /// Kinds are drawn with replacement; the subjects of colour, shape and position questions go
    /// round the objects in a shuffled order, so one conversation covers the scene the way GPT-4's
    /// conversations went over an image's objects. Each turn is another look at the image for ~12
    /// text tokens (the image tokens are shared). With 2–4 turns of distinct kinds the small LLM
    /// stayed near 65% on colour even when fed perfect per-patch features; 6–12 turns round the
    /// objects, against 3–8 with random subjects, raised colour in every measured run (README, ShapesWorld).
    /// With `sizeFocusShare` a colour or shape turn may instead ask about an object whose reference
    /// needs its size.
    func conversation(_ writer: QuestionWriter, scene: Scene, rng: inout SplitMix64) -> [QA] {
        let turns = rng.int(in: Self.conversationTurns)
        let kinds: [QAKind] = [.colour, .shape, .count, .position, .existence]
        var order = Array(scene.objects.indices)
        rng.shuffle(&order)
        var asked = Set<String>()
        var qas: [QA] = []
        // The scene's size-only subjects, once per conversation (only when the share is set).
        let sized: [QAKind: [Int]] = sizeFocusShare > 0
            ? [.colour: writer.sizedSubjects(of: .colour), .shape: writer.sizedSubjects(of: .shape)] : [:]
        for t in 0..<(3 * turns) where qas.count < turns {
            let kind = rng.pick(kinds)
            // Existence and count choose their own subjects (with a focus, existence would never
            // ask a shape-only "yes" question).
            var focus = kind == .existence || kind == .count ? nil : order[t % order.count]
            // Draws from `rng` only when the share is set, so the default data stay as they were.
            if let subjects = sized[kind], !subjects.isEmpty, rng.chance(sizeFocusShare) { focus = rng.pick(subjects) }
            if let qa = writer.question(kind, focus: focus, rng: &rng), asked.insert(qa.question).inserted { qas.append(qa) }
        }
        return qas
    }

    /// `count` short-answer samples for a scene (LLaVA-1.5's VQA data); sample j draws from its own
    /// stream, so adding them leaves the LLaVA-Instruct samples unchanged.
    public func shortAnswerSamples(for scene: Scene, count: Int) -> [InstructionSample] {
        (0..<count).map { j in
            var rng = SplitMix64(seed: seed, stream: 0x5651_4153, UInt64(bitPattern: Int64(scene.index * 8 + j)))  // "VQAS"
            var s = sample(.shortAnswer, for: scene, rng: &rng)
            if j > 0 { s.id += "\(j + 1)" }
            return s
        }
    }

    /// A stage-1 pair: a brief-description prompt and one of the scene's brief captions.
    public func captionPair(for scene: Scene, captions: SceneCaptions) -> CaptionPair {
        var rng = SplitMix64(seed: seed, stream: 0x43415054, UInt64(bitPattern: Int64(scene.index)))  // "CAPT"
        let prompt = rng.pick(Phrasings.briefPrompts)
        let caption = rng.pick(captions.brief)
        return CaptionPair(id: scene.id, image: scene.imageFile, conversations: Self.turns([(prompt, caption)], rng: &rng))
    }

    /// Evaluation questions for a scene: one per kind the scene supports, in `QAKind` order.
    /// `focus` (an object index) is preferred as the subject of colour, shape, position and
    /// existence questions — used to ask about the unseen combination in that split.
    public func evalQuestions(for scene: Scene, focus: Int? = nil) -> [QA] {
        var rng = SplitMix64(seed: seed, stream: 0x4556414C, UInt64(bitPattern: Int64(scene.index)))  // "EVAL"
        let writer = QuestionWriter(scene: scene, phrasing: phrasing, unmentionable: unmentionable)
        return QAKind.allCases.compactMap { writer.question($0, focus: focus, rng: &rng) }
    }

    /// Human/gpt turns; `<image>` joins the first question on a random side.
    static func turns(_ pairs: [(String, String)], rng: inout SplitMix64) -> [Turn] {
        var out: [Turn] = []
        for (i, p) in pairs.enumerated() {
            var q = p.0
            if i == 0 { q = rng.chance(0.5) ? "<image>\n" + q : q + "\n<image>" }
            out.append(Turn(from: "human", value: q))
            out.append(Turn(from: "gpt", value: p.1))
        }
        return out
    }
}
