// Writes the single-step questions of conversations and of the evaluation file (colour, shape,
// count, position, existence) from the scene graph only, never from pixels: the way LLaVA had
// text-only GPT-4 write LLaVA-Instruct-158K from captions and boxes.
//
// Ambiguity rule: a question names an object by the shortest description that matches
// exactly one object (shape; colour + shape; size + colour + shape). A colour question may
// not use the colour and a shape question may not use the shape, so those fall back to
// size + shape / size + colour; objects no description picks out are never asked about.

/// Writes questions about one scene.
public struct QuestionWriter: Sendable {
    public let scene: Scene
    public let phrasing: PhrasingSet
    /// Combinations that must never be named (the held-out set, when writing training data).
    public let unmentionable: Set<Combination>

    public init(scene: Scene, phrasing: PhrasingSet = .train, unmentionable: Set<Combination> = []) {
        self.scene = scene
        self.phrasing = phrasing
        self.unmentionable = unmentionable
    }

    var objects: [SceneObject] { scene.objects }

    func count(_ r: ObjectRef) -> Int { objects.reduce(0) { $0 + (r.matches($1) ? 1 : 0) } }

    /// A candidate description: which of the object's fields it names.
    typealias Style = (color: Bool, shape: Bool, size: Bool)
    static let byShape: Style = (false, true, false), bySizeShape: Style = (false, true, true)
    static let byColor: Style = (true, false, false), bySizeColor: Style = (true, false, true)
    static let byColorShape: Style = (true, true, false), byAll: Style = (true, true, true)

    /// The first of the candidate descriptions of object `i` that matches only it.
    func uniqueRef(_ i: Int, _ styles: [Style]) -> ObjectRef? {
        let o = objects[i]
        for st in styles {
            let r = ObjectRef(color: st.color ? o.color : nil, shape: st.shape ? o.shape : nil, size: st.size ? o.size : nil)
            if count(r) == 1 { return r }
        }
        return nil
    }

    /// Any description: shape, colour + shape, size + colour + shape.
    func anyRef(_ i: Int) -> ObjectRef? { uniqueRef(i, [Self.byShape, Self.byColorShape, Self.byAll]) }

    func template(_ key: TemplateKey, _ rng: inout SplitMix64) -> String { rng.pick(Phrasings.templates(key, phrasing)) }

    /// How a colour question names its object (never by colour), and a shape question (never by shape).
    static func subjectStyles(_ kind: QAKind) -> [Style] {
        kind == .colour ? [byShape, bySizeShape] : [byColor, bySizeColor]
    }

    /// The objects a colour (or shape) question can name only with their size: "the small star"
    /// when there are two stars.
    func sizedSubjects(of kind: QAKind) -> [Int] {
        objects.indices.filter { uniqueRef($0, Self.subjectStyles(kind))?.size != nil }
    }

    /// Picks `focus` if it is a candidate, else a random candidate.
    func choose(_ candidates: [Int], focus: Int?, _ rng: inout SplitMix64) -> Int? {
        if let f = focus, candidates.contains(f) { return f }
        return candidates.isEmpty ? nil : rng.pick(candidates)
    }

    /// One question of a conversation kind (not `.reasoning`), or nil if the scene allows none.
    public func question(_ kind: QAKind, focus: Int? = nil, rng: inout SplitMix64) -> QA? {
        switch kind {
        case .colour: return colour(focus, &rng)
        case .shape: return shape(focus, &rng)
        case .count: return countQuestion(&rng)
        case .position: return position(focus, &rng)
        case .existence: return existence(focus, &rng)
        case .reasoning: return reasoning(&rng)
        }
    }

    func colour(_ focus: Int?, _ rng: inout SplitMix64) -> QA? {
        let refs = objects.indices.map { uniqueRef($0, Self.subjectStyles(.colour)) }
        guard let i = choose(objects.indices.filter { refs[$0] != nil }, focus: focus, &rng), let r = refs[i] else { return nil }
        let c = objects[i].color.rawValue
        let answer = English.fill(rng.pick(["{Ref} is {c}.", "It is {c}.", "The color of {ref} is {c}."]),
                                  ["Ref": English.capitalized(r.definite), "ref": r.definite, "c": c])
        return QA(question: English.fill(template(.colour, &rng), ["ref": r.definite]), answer: answer,
                  kind: .colour, form: .color, expected: c, query: .colorOf(r))
    }

    func shape(_ focus: Int?, _ rng: inout SplitMix64) -> QA? {
        let refs = objects.indices.map { uniqueRef($0, Self.subjectStyles(.shape)) }
        guard let i = choose(objects.indices.filter { refs[$0] != nil }, focus: focus, &rng), let r = refs[i] else { return nil }
        let s = objects[i].shape.rawValue
        let answer = English.fill(rng.pick(["{Ref} is a {s}.", "It is a {s}.", "{Ref} has the shape of a {s}."]),
                                  ["Ref": English.capitalized(r.definite), "s": s])
        return QA(question: English.fill(template(.shape, &rng), ["ref": r.definite]), answer: answer,
                  kind: .shape, form: .shape, expected: s, query: .shapeOf(r))
    }

    func countQuestion(_ rng: inout SplitMix64) -> QA? {
        let r: ObjectRef
        let u = rng.uniform()
        if u < 0.4 {
            r = ObjectRef(shape: rng.chance(0.75) ? rng.pick(objects).shape : rng.pick(ShapeKind.allCases))
        } else if u < 0.7 {
            r = ObjectRef(color: rng.chance(0.75) ? rng.pick(objects).color : rng.pick(ObjectColor.allCases))
        } else if u < 0.85 {
            let c = rng.chance(0.75) ? rng.pick(objects).combination : rng.pick(Combination.all)
            r = unmentionable.contains(c) ? ObjectRef(shape: c.shape) : ObjectRef(color: c.color, shape: c.shape)
        } else {
            r = ObjectRef()
        }
        let n = count(r)
        let ans: String
        switch n {
        case 0: ans = rng.pick(["There are no {things}.", "There are no {things} in the image."])
        case 1: ans = rng.pick(["There is one {thing}.", "I can see one {thing}."])
        default: ans = rng.pick(["There are {n} {things}.", "I count {n} {things}."])
        }
        return QA(question: English.fill(template(.count, &rng), ["things": r.pluralNoun]),
                  answer: English.fill(ans, ["things": r.pluralNoun, "thing": r.noun, "n": English.number(n)]),
                  kind: .count, form: .number, expected: String(n), query: .count(r))
    }

    func position(_ focus: Int?, _ rng: inout SplitMix64) -> QA? {
        let refs = objects.indices.map { anyRef($0) }
        guard let i = choose(objects.indices.filter { refs[$0] != nil }, focus: focus, &rng), let r = refs[i] else { return nil }
        let reg = objects[i].region
        let answer = English.fill(rng.pick(["{Ref} is {where}.", "It is {where} of the image.", "You can find {ref} {where}."]),
                                  ["Ref": English.capitalized(r.definite), "ref": r.definite, "where": reg.phrase])
        return QA(question: English.fill(template(.position, &rng), ["ref": r.definite]), answer: answer,
                  kind: .position, form: .region, expected: reg.rawValue, query: .position(r))
    }

    /// About half the answers are "no"; a "no" names a combination (or, 1 time in 4, a shape)
    /// absent from the scene and not unmentionable.
    func existence(_ focus: Int?, _ rng: inout SplitMix64) -> QA? {
        var r: ObjectRef
        let absentShapes = ShapeKind.allCases.filter { s in !objects.contains { $0.shape == s } }
        if rng.chance(0.5) {
            let o = objects[choose(Array(objects.indices), focus: focus, &rng)!]
            r = focus == nil && rng.chance(0.25) ? ObjectRef(shape: o.shape) : ObjectRef(color: o.color, shape: o.shape)
        } else if !absentShapes.isEmpty && rng.chance(0.25) {
            r = ObjectRef(shape: rng.pick(absentShapes))
        } else {
            let absent = Combination.all.filter { c in !unmentionable.contains(c) && !objects.contains { $0.combination == c } }
            // Half of the "no" questions name a present colour or a present shape, so neither word alone gives it away.
            let near = absent.filter { c in objects.contains { $0.color == c.color || $0.shape == c.shape } }
            let pool = !near.isEmpty && rng.chance(0.5) ? near : absent
            guard !pool.isEmpty else { return nil }
            let c = rng.pick(pool)
            r = ObjectRef(color: c.color, shape: c.shape)
        }
        let present = count(r) > 0
        let a = English.withArticle(r.noun)
        let ans = present
            ? rng.pick(["Yes, there is {a_obj} in the image.", "Yes, I can see {a_obj}."])
            : rng.pick(["No, there is no {obj} in the image.", "No, I cannot see any {obj}."])
        return QA(question: English.fill(template(.existence, &rng), ["a_obj": a, "obj": r.noun]),
                  answer: English.fill(ans, ["a_obj": a, "obj": r.noun]),
                  kind: .existence, form: .yesNo, expected: present ? "yes" : "no", query: .exists(r))
    }
}
