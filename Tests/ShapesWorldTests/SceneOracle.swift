// An independent re-implementation of every question's answer, from the scene graph's boxes
// alone: centres are recomputed as box midpoints, regions by thirds, sizes by size class.
// It shares no code with the generators (only the public data types).
import ShapesWorld
import XCTest

enum SceneOracle {
    static func center(_ o: SceneObject) -> (x: Double, y: Double) { ((o.box[0] + o.box[2]) / 2, (o.box[1] + o.box[3]) / 2) }

    static func region(_ o: SceneObject) -> String {
        let (x, y) = center(o)
        let col = x < 1.0 / 3 ? 0 : (x < 2.0 / 3 ? 1 : 2)
        let row = y < 1.0 / 3 ? 0 : (y < 2.0 / 3 ? 1 : 2)
        return [["top left", "top", "top right"], ["left", "center", "right"], ["bottom left", "bottom", "bottom right"]][row][col]
    }

    static func matching(_ r: ObjectRef, _ objs: [SceneObject]) -> [SceneObject] {
        objs.filter { o in
            (r.color.map { $0 == o.color } ?? true) && (r.shape.map { $0 == o.shape } ?? true) && (r.size.map { $0 == o.size } ?? true)
        }
    }

    /// Signed separation "a rel b" along the relation's axis (positive when it holds).
    static func separation(_ a: SceneObject, _ rel: Relation, _ b: SceneObject) -> Double {
        let ca = center(a), cb = center(b)
        switch rel {
        case .leftOf: return cb.x - ca.x
        case .rightOf: return ca.x - cb.x
        case .above: return cb.y - ca.y
        case .below: return ca.y - cb.y
        }
    }

    static func distance(_ a: SceneObject, _ b: SceneObject) -> Double {
        let ca = center(a), cb = center(b)
        return ((ca.x - cb.x) * (ca.x - cb.x) + (ca.y - cb.y) * (ca.y - cb.y)).squareRoot()
    }

    /// The unique object a definite description picks out; fails the test if it is ambiguous.
    static func the(_ r: ObjectRef, _ objs: [SceneObject], _ label: String) -> SceneObject? {
        let m = matching(r, objs)
        XCTAssertEqual(m.count, 1, "\(label): '\(r.definite)' must pick out exactly one object")
        return m.count == 1 ? m[0] : nil
    }

    static func modeOf<K: Hashable>(_ keys: [K]) -> K? {
        var counts: [K: Int] = [:]
        for k in keys { counts[k, default: 0] += 1 }
        guard let best = counts.values.max(), best >= 2, counts.values.filter({ $0 == best }).count == 1 else { return nil }
        return counts.first { $0.value == best }!.key
    }

    /// The canonical answer of a query, or nil (with a test failure) if the query is ill-posed.
    static func answer(_ q: QAQuery, _ objs: [SceneObject], _ label: String) -> String? {
        switch q {
        case .colorOf(let r):
            XCTAssertNil(r.color, "\(label): a colour question must not name the colour")
            return the(r, objs, label)?.color.rawValue
        case .shapeOf(let r):
            XCTAssertNil(r.shape, "\(label): a shape question must not name the shape")
            return the(r, objs, label)?.shape.rawValue
        case .position(let r):
            return the(r, objs, label).map(region)
        case .count(let r):
            return String(matching(r, objs).count)
        case .exists(let r):
            return matching(r, objs).isEmpty ? "no" : "yes"
        case .closest(let r):
            guard let a = the(r, objs, label) else { return nil }
            let others = objs.filter { $0 != a }.sorted { distance($0, a) < distance($1, a) }
            XCTAssertGreaterThanOrEqual(others.count, 2, label)
            XCTAssertGreaterThan(distance(others[1], a) - distance(others[0], a), 0.05, "\(label): nearest must be clear")
            return "\(others[0].color.rawValue) \(others[0].shape.rawValue)"
        case .relation(let ra, let rel, let rb):
            guard let a = the(ra, objs, label), let b = the(rb, objs, label) else { return nil }
            let d = separation(a, rel, b)
            XCTAssertGreaterThan(abs(d), 0.1, "\(label): relation must be clear")
            return d > 0 ? "yes" : "no"
        case .extremeColor(let largest):
            let byArea = objs.sorted { ($0.box[2] - $0.box[0]) * ($0.box[3] - $0.box[1]) < ($1.box[2] - $1.box[0]) * ($1.box[3] - $1.box[1]) }
            let target = largest ? byArea.last! : byArea.first!
            let cls = objs.filter { $0.size == target.size }
            XCTAssertEqual(cls.count, 1, "\(label): the \(largest ? "largest" : "smallest") object must be the only one of its size")
            return target.color.rawValue
        case .countBySize(let r, let larger):
            guard let a = the(r, objs, label) else { return nil }
            XCTAssertEqual(a.size, larger ? .small : .large, "\(label): compared by size class")
            return String(objs.filter { $0.size == (larger ? .large : .small) }.count)
        case .mostCommonColor:
            return modeOf(objs.map(\.color)).map(\.rawValue)
        case .mostCommonShape:
            return modeOf(objs.map(\.shape)).map(\.rawValue)
        case .moreThan(let x, let y):
            return matching(x, objs).count > matching(y, objs).count ? "yes" : "no"
        case .countRelative(let rel, let r):
            guard let a = the(r, objs, label) else { return nil }
            for o in objs where o != a { XCTAssertGreaterThan(abs(separation(o, rel, a)), 0.05, "\(label): every side must be clear") }
            return String(objs.filter { $0 != a && separation($0, rel, a) > 0 }.count)
        case .countNotColor(let c):
            return String(objs.filter { $0.color != c }.count)
        }
    }

    /// Turns a template into a whole-string regular expression where each slot matches any text.
    static func regex(for template: String) -> NSRegularExpression {
        var pattern = "^"
        var literal = ""
        var inSlot = false
        for ch in template {
            if ch == "{" { pattern += NSRegularExpression.escapedPattern(for: literal); literal = ""; inSlot = true }
            else if ch == "}" { pattern += ".+"; inSlot = false }
            else if !inSlot { literal.append(ch) }
        }
        pattern += NSRegularExpression.escapedPattern(for: literal) + "$"
        return try! NSRegularExpression(pattern: pattern)
    }

    static func matches(_ re: NSRegularExpression, _ s: String) -> Bool {
        re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    static func allTemplates(_ set: PhrasingSet) -> [String] { TemplateKey.allCases.flatMap { Phrasings.templates($0, set) } }
}
