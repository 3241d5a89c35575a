// Question–answer records with a canonical short answer for exact-match evaluation, the
// structured query each question asks (so tests can recompute the answer from the scene
// graph on their own), and the parser mapping a free-text answer to its canonical value.
import Foundation

/// What a question asks about. Conversation turns use the first five; complex-reasoning
/// questions are `.reasoning`.
public enum QAKind: String, CaseIterable, Codable, Sendable {
    case colour, shape, count, position, existence, reasoning
}

/// The kind of value a canonical answer is.
public enum AnswerForm: String, CaseIterable, Codable, Sendable {
    /// An `ObjectColor` raw value: "red".
    case color
    /// A `ShapeKind` raw value: "triangle".
    case shape
    /// Decimal digits: "2".
    case number
    /// A `Region` raw value: "top left", "center".
    case region
    /// "yes" or "no".
    case yesNo = "yes_no"
    /// "<colour> <shape>": "red circle".
    case object
}

/// A description that picks out objects: any subset of colour, shape and size.
/// `the small red triangle`, `the blue object`, `circles`.
public struct ObjectRef: Hashable, Sendable {
    public var color: ObjectColor?
    public var shape: ShapeKind?
    public var size: ObjectSize?

    public init(color: ObjectColor? = nil, shape: ShapeKind? = nil, size: ObjectSize? = nil) {
        self.color = color; self.shape = shape; self.size = size
    }

    public func matches(_ o: SceneObject) -> Bool {
        (color == nil || color == o.color) && (shape == nil || shape == o.shape) && (size == nil || size == o.size)
    }

    /// "small red triangle", "blue object".
    public var noun: String {
        [size?.rawValue, color?.rawValue, shape?.rawValue ?? "object"].compactMap { $0 }.joined(separator: " ")
    }
    /// "the small red triangle".
    public var definite: String { "the " + noun }
    /// "small red triangles", "blue objects".
    public var pluralNoun: String {
        [size?.rawValue, color?.rawValue, shape?.plural ?? "objects"].compactMap { $0 }.joined(separator: " ")
    }
}

/// A spatial relation between object centres.
public enum Relation: String, CaseIterable, Codable, Sendable {
    case leftOf = "to the left of", rightOf = "to the right of", above = "above", below = "below"

    /// Signed separation of `a` from `b` along the relation (positive when it holds).
    public func separation(_ a: SceneObject, _ b: SceneObject) -> Double {
        switch self {
        case .leftOf: return b.center.x - a.center.x
        case .rightOf: return a.center.x - b.center.x
        case .above: return b.center.y - a.center.y
        case .below: return a.center.y - b.center.y
        }
    }
}

/// The structured content of a question, enough to recompute its answer from a scene graph.
public enum QAQuery: Hashable, Sendable {
    case colorOf(ObjectRef)
    case shapeOf(ObjectRef)
    case position(ObjectRef)
    /// Number of objects matching the ref (an empty ref counts all objects).
    case count(ObjectRef)
    case exists(ObjectRef)
    /// The object whose centre is nearest the ref's centre; answer "<colour> <shape>".
    case closest(to: ObjectRef)
    /// Does `relation` hold from the first object to the second?
    case relation(ObjectRef, Relation, ObjectRef)
    /// Colour of the only large (largest: true) or only small object.
    case extremeColor(largest: Bool)
    /// Number of objects of the other size class than the ref (larger: the ref is small).
    case countBySize(than: ObjectRef, larger: Bool)
    case mostCommonColor
    case mostCommonShape
    /// Are there strictly more objects matching the first ref than the second?
    case moreThan(ObjectRef, ObjectRef)
    /// Number of other objects in `relation` to the ref.
    case countRelative(Relation, ObjectRef)
    /// Number of objects whose colour is not the given one.
    case countNotColor(ObjectColor)
}

/// One question with its free-text answer and canonical short answer.
public struct QA: Hashable, Sendable {
    public var question: String
    public var answer: String
    public var kind: QAKind
    public var form: AnswerForm
    /// Canonical short answer (see `AnswerForm`); `canonicalAnswer(from: answer)` returns it.
    public var expected: String
    public var query: QAQuery

    public init(question: String, answer: String, kind: QAKind, form: AnswerForm, expected: String, query: QAQuery) {
        self.question = question; self.answer = answer; self.kind = kind; self.form = form
        self.expected = expected; self.query = query
    }

    /// The canonical value of a model's answer to this question, or nil if none is found.
    public func canonicalAnswer(from text: String) -> String? { QA.canonicalAnswer(from: text, form: form) }

    /// The form of answer a conversation kind expects (`.reasoning` has no fixed form: nil).
    public static func form(of kind: QAKind) -> AnswerForm? {
        switch kind {
        case .colour: return .color
        case .shape: return .shape
        case .count: return .number
        case .position: return .region
        case .existence: return .yesNo
        case .reasoning: return nil
        }
    }

    /// Canonical value for a question kind. For `.reasoning`, whose answers vary in form, the
    /// forms are tried in the order yes/no, object, colour, shape, number; prefer
    /// `canonicalAnswer(from:form:)` with the record's `form` when it is known.
    public static func canonicalAnswer(from text: String, kind: QAKind) -> String? {
        if let f = form(of: kind) { return canonicalAnswer(from: text, form: f) }
        let seg = conclusion(of: text)
        for f in [AnswerForm.yesNo, .object, .color, .shape, .number] {
            if let v = parse(words(seg), f) { return v }
        }
        return nil
    }

    /// Maps a free-text answer to a canonical value.
    ///
    /// The text is lowercased and split into words (letters and digits). If it contains
    /// "answer is", only the words after the last occurrence are read (reasoning answers end
    /// with "So the answer is X."). Then:
    /// - color / shape: the first colour / shape word ("circles" counts as "circle").
    /// - number: the first digit string or number word zero...ten; else "0" if "no" or "none" occurs.
    /// - region: top/upper, bottom/lower, left, right combined ("top left", "top", "left");
    ///   "center"/"centre"/"middle" alone gives "center".
    /// - yesNo: a leading "yes"/"no"; else "no" if "no", "not" or "isn't" occurs; else "yes" if it occurs.
    /// - object: the first colour word followed later by a shape word, as "red circle".
    public static func canonicalAnswer(from text: String, form: AnswerForm) -> String? {
        parse(words(conclusion(of: text)), form)
    }

    static func conclusion(of text: String) -> String {
        let lower = text.lowercased()
        guard let r = lower.range(of: "answer is", options: .backwards) else { return lower }
        return String(lower[r.upperBound...])
    }

    static func words(_ text: String) -> [String] {
        var out: [String] = []
        var cur = ""
        for ch in text.lowercased() {
            if ch.isLetter || ch.isNumber || ch == "'" { cur.append(ch) } else if !cur.isEmpty { out.append(cur); cur = "" }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    static let shapeWords: [String: ShapeKind] = {
        var d: [String: ShapeKind] = [:]
        for s in ShapeKind.allCases { d[s.rawValue] = s; d[s.plural] = s }
        return d
    }()

    static func parse(_ w: [String], _ form: AnswerForm) -> String? {
        switch form {
        case .color:
            return w.first { ObjectColor(rawValue: $0) != nil }
        case .shape:
            return w.lazy.compactMap { shapeWords[$0]?.rawValue }.first
        case .number:
            for t in w {
                if let n = Int(t) { return String(n) }
                if let n = English.numberWords.firstIndex(of: t) { return String(n) }
            }
            return w.contains("no") || w.contains("none") ? "0" : nil
        case .region:
            let v = w.contains { $0 == "top" || $0 == "upper" } ? "top" : (w.contains { $0 == "bottom" || $0 == "lower" } ? "bottom" : nil)
            let h = w.contains("left") ? "left" : (w.contains("right") ? "right" : nil)
            if let v, let h { return "\(v) \(h)" }
            if let r = v ?? h { return r }
            return w.contains { $0 == "center" || $0 == "centre" || $0 == "middle" } ? "center" : nil
        case .yesNo:
            if let f = w.first, f == "yes" || f == "no" { return f }
            if w.contains(where: { $0 == "no" || $0 == "not" || $0 == "isn't" }) { return "no" }
            return w.contains("yes") ? "yes" : nil
        case .object:
            guard let ci = w.firstIndex(where: { ObjectColor(rawValue: $0) != nil }),
                  let s = w[(ci + 1)...].lazy.compactMap({ shapeWords[$0] }).first else { return nil }
            return "\(w[ci]) \(s.rawValue)"
        }
    }
}
