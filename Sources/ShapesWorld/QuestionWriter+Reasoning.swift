// Complex-reasoning questions (LLaVA's third response type): multi-step questions over the
// scene graph, each answered by a short chain of facts read off the boxes and then a fixed
// conclusion sentence "... the answer is X." that `QA.canonicalAnswer` reads.
//
// Margins keep every answer clear-cut: relations need centres >= 0.12 apart on that axis,
// "how many are left of" needs every object >= 0.06 from the anchor, "closest" needs the
// runner-up >= 0.08 farther than the winner. Sizes are compared by class (small / large).

extension QuestionWriter {
    /// One complex-reasoning question: builders are tried in a random order and the first
    /// the scene supports is used ("how many are not <colour>" always applies).
    func reasoning(_ rng: inout SplitMix64) -> QA? {
        var builders: [(inout SplitMix64) -> QA?] = [
            closest, relation, extremeColor, countBySize, mostCommonColor, mostCommonShape, moreThan, countRelative,
        ]
        rng.shuffle(&builders)
        for b in builders { if let qa = b(&rng) { return qa } }
        return countNotColor(&rng)
    }

    private func conclude(_ facts: [String], _ answer: String, _ rng: inout SplitMix64) -> String {
        (facts + [English.fill(rng.pick(["So the answer is {x}.", "Therefore, the answer is {x}.", "The answer is {x}."]), ["x": answer])])
            .joined(separator: " ")
    }

    private func make(_ key: TemplateKey, _ slots: [String: String], _ facts: [String], _ shown: String,
                      _ form: AnswerForm, _ expected: String, _ query: QAQuery, _ rng: inout SplitMix64) -> QA {
        QA(question: English.fill(template(key, &rng), slots), answer: conclude(facts, shown, &rng),
           kind: .reasoning, form: form, expected: expected, query: query)
    }

    private func referable() -> [(Int, ObjectRef)] { objects.indices.compactMap { i in anyRef(i).map { (i, $0) } } }

    private func isAre(_ n: Int) -> String { n == 1 ? "is" : "are" }

    func closest(_ rng: inout SplitMix64) -> QA? {
        guard objects.count >= 3 else { return nil }
        var options: [(Int, ObjectRef, [Int])] = []
        for (i, r) in referable() {
            let others = objects.indices.filter { $0 != i }
                .sorted { simdDistance(objects[$0].center, objects[i].center) < simdDistance(objects[$1].center, objects[i].center) }
            let d0 = simdDistance(objects[others[0]].center, objects[i].center)
            let d1 = simdDistance(objects[others[1]].center, objects[i].center)
            guard d1 - d0 >= 0.08, count(ObjectRef(color: objects[others[0]].color, shape: objects[others[0]].shape)) == 1 else { continue }
            options.append((i, r, others))
        }
        guard !options.isEmpty else { return nil }
        let (i, r, others) = rng.pick(options)
        let a = objects[i]
        var facts = ["\(English.capitalized(r.definite)) is centred at \(English.point(a.center))."]
        for j in others {
            let o = objects[j]
            facts.append("\(English.capitalized(English.withArticle(o.fullName))) is at \(English.point(o.center)), "
                         + "\(English.fixed2(simdDistance(o.center, a.center))) away.")
        }
        let winner = objects[others[0]]
        facts.append("The nearest one is the \(winner.name).")
        return make(.closest, ["ref": r.definite], facts, "the \(winner.name)", .object, winner.name, .closest(to: r), &rng)
    }

    func relation(_ rng: inout SplitMix64) -> QA? {
        let refs = referable()
        var options: [(Int, ObjectRef, Int, ObjectRef, Relation)] = []
        for (i, ri) in refs {
            for (j, rj) in refs where j != i {
                for rel in Relation.allCases where abs(rel.separation(objects[i], objects[j])) >= 0.12 {
                    options.append((i, ri, j, rj, rel))
                }
            }
        }
        guard !options.isEmpty else { return nil }
        let (i, ri, j, rj, rel) = rng.pick(options)
        let holds = rel.separation(objects[i], objects[j]) > 0
        let horizontal = rel == .leftOf || rel == .rightOf
        let axis = horizontal ? "x" : "y"
        let vi = horizontal ? objects[i].center.x : objects[i].center.y
        let vj = horizontal ? objects[j].center.x : objects[j].center.y
        var facts = ["\(English.capitalized(ri.definite)) is at \(axis) = \(English.fixed2(vi)) and \(rj.definite) is at \(axis) = \(English.fixed2(vj))."]
        if !horizontal { facts.append("Smaller y values are higher in the image.") }
        facts.append("This means \(ri.definite) is \(holds ? "" : "not ")\(rel.rawValue) \(rj.definite).")
        return make(.relation, ["a": ri.definite, "b": rj.definite, "rel": rel.rawValue], facts, holds ? "yes" : "no",
                    .yesNo, holds ? "yes" : "no", .relation(ri, rel, rj), &rng)
    }

    func extremeColor(_ rng: inout SplitMix64) -> QA? {
        guard objects.count >= 2 else { return nil }
        let options = [true, false].filter { largest in objects.filter { $0.size == (largest ? .large : .small) }.count == 1 }
        guard !options.isEmpty else { return nil }
        let largest = rng.pick(options)
        let target = objects.first { $0.size == (largest ? .large : .small) }!
        let other = largest ? "small" : "large"
        let facts = ["The \(target.fullName) is the only \(target.size.rawValue) object; the other \(objects.count - 1 == 1 ? "one is" : "ones are") \(other)."]
        return make(.extremeColor, ["which": largest ? "largest" : "smallest"], facts, target.color.rawValue,
                    .color, target.color.rawValue, .extremeColor(largest: largest), &rng)
    }

    func countBySize(_ rng: inout SplitMix64) -> QA? {
        guard objects.count >= 2, let (i, r) = rng.pickOptional(referable()) else { return nil }
        let larger = objects[i].size == .small
        let otherSize: ObjectSize = larger ? .large : .small
        let matches = objects.filter { $0.size == otherSize }
        var facts = ["\(English.capitalized(r.definite)) is \(objects[i].size.rawValue)."]
        facts.append(matches.isEmpty ? "There are no \(otherSize.rawValue) objects."
                     : "The \(otherSize.rawValue) \(matches.count == 1 ? "object is" : "objects are") "
                       + English.join(matches.map { English.withArticle($0.name) }) + ".")
        return make(.countBySize, ["ref": r.definite, "cmp": larger ? "larger" : "smaller"], facts, String(matches.count),
                    .number, String(matches.count), .countBySize(than: r, larger: larger), &rng)
    }

    func mostCommonColor(_ rng: inout SplitMix64) -> QA? {
        let counts = ObjectColor.allCases.map { c in (c, objects.filter { $0.color == c }.count) }.filter { $0.1 > 0 }
        guard let best = counts.max(by: { $0.1 < $1.1 }), best.1 >= 2, counts.filter({ $0.1 == best.1 }).count == 1 else { return nil }
        let facts = ["Counting by color, there " + isAre(counts[0].1) + " "
                     + English.join(counts.map { English.count($0.1, "\($0.0.rawValue) object", "\($0.0.rawValue) objects") }) + "."]
        return make(.mostCommonColor, [:], facts, best.0.rawValue, .color, best.0.rawValue, .mostCommonColor, &rng)
    }

    func mostCommonShape(_ rng: inout SplitMix64) -> QA? {
        let counts = ShapeKind.allCases.map { s in (s, objects.filter { $0.shape == s }.count) }.filter { $0.1 > 0 }
        guard let best = counts.max(by: { $0.1 < $1.1 }), best.1 >= 2, counts.filter({ $0.1 == best.1 }).count == 1 else { return nil }
        let facts = ["Counting by shape, there " + isAre(counts[0].1) + " "
                     + English.join(counts.map { English.count($0.1, $0.0.rawValue, $0.0.plural) }) + "."]
        return make(.mostCommonShape, [:], facts, best.0.rawValue, .shape, best.0.rawValue, .mostCommonShape, &rng)
    }

    func moreThan(_ rng: inout SplitMix64) -> QA? {
        guard objects.count >= 2 else { return nil }
        var x: ObjectRef, y: ObjectRef
        if rng.chance(0.5) {
            let a = rng.pick(objects).shape
            var b = rng.pick(ShapeKind.allCases)
            while b == a { b = rng.pick(ShapeKind.allCases) }
            (x, y) = (ObjectRef(shape: a), ObjectRef(shape: b))
        } else {
            let a = rng.pick(objects).color
            var b = rng.pick(ObjectColor.allCases)
            while b == a { b = rng.pick(ObjectColor.allCases) }
            (x, y) = (ObjectRef(color: a), ObjectRef(color: b))
        }
        if rng.chance(0.5) { swap(&x, &y) }
        let cx = count(x), cy = count(y)
        let facts = ["There \(isAre(cx)) \(English.count(cx, x.noun, x.pluralNoun)) and \(English.count(cy, y.noun, y.pluralNoun))."]
        return make(.moreThan, ["xs": x.pluralNoun, "ys": y.pluralNoun], facts, cx > cy ? "yes" : "no",
                    .yesNo, cx > cy ? "yes" : "no", .moreThan(x, y), &rng)
    }

    func countRelative(_ rng: inout SplitMix64) -> QA? {
        guard objects.count >= 2 else { return nil }
        var options: [(Int, ObjectRef, Relation)] = []
        for (i, r) in referable() {
            for rel in Relation.allCases where objects.indices.allSatisfy({ $0 == i || abs(rel.separation(objects[$0], objects[i])) >= 0.06 }) {
                options.append((i, r, rel))
            }
        }
        guard let (i, r, rel) = rng.pickOptional(options) else { return nil }
        let matches = objects.indices.filter { $0 != i && rel.separation(objects[$0], objects[i]) > 0 }.map { objects[$0] }
        let horizontal = rel == .leftOf || rel == .rightOf
        let axis = horizontal ? "x" : "y"
        var facts = ["\(English.capitalized(r.definite)) is at \(axis) = \(English.fixed2(horizontal ? objects[i].center.x : objects[i].center.y))."]
        facts.append(matches.isEmpty ? "No other object is \(rel.rawValue) it."
                     : English.capitalized(English.join(matches.map { English.withArticle($0.name) + " at \(axis) = "
                         + English.fixed2(horizontal ? $0.center.x : $0.center.y) })) + " \(isAre(matches.count)) \(rel.rawValue) it.")
        return make(.countRelative, ["ref": r.definite, "rel": rel.rawValue], facts, String(matches.count),
                    .number, String(matches.count), .countRelative(rel, r), &rng)
    }

    func countNotColor(_ rng: inout SplitMix64) -> QA? {
        let c = rng.chance(0.8) ? rng.pick(objects).color : rng.pick(ObjectColor.allCases)
        let k = objects.filter { $0.color == c }.count
        let n = objects.count
        let facts = ["There \(isAre(n)) \(English.count(n, "object", "objects")) in total, and \(English.number(k)) of them \(isAre(k)) \(c.rawValue)."]
        return make(.countNotColor, ["color": c.rawValue], facts, String(n - k), .number, String(n - k), .countNotColor(c), &rng)
    }
}

@inline(__always) func simdDistance(_ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double {
    let d = a - b
    return (d.x * d.x + d.y * d.y).squareRoot()
}

extension SplitMix64 {
    /// One element, or nil for an empty array.
    mutating func pickOptional<T>(_ items: [T]) -> T? { items.isEmpty ? nil : pick(items) }
}
