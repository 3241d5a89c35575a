// LLaVA's two symbolic representations of an image (LLaVA §3), made from the scene graph:
// captions in several styles, and bounding boxes as "red circle: [x1, y1, x2, y2]" lines
// (normalized, two decimals), as in the context LLaVA gave text-only GPT-4.

/// The captions of one scene.
public struct SceneCaptions: Hashable, Sendable {
    /// "A large red circle and a small blue square."
    public var short: String
    /// "Two shapes: a large red circle and a small blue square."
    public var counted: String
    /// "A large red circle and a small blue square on a teal background."
    public var withBackground: String
    /// Several sentences: count, background, then every object with its size and region.
    public var detailed: String
    /// "large red circle (top left); small blue square (center)"
    public var list: String

    /// The brief styles, used as stage-1 caption targets.
    public var brief: [String] { [short, counted, withBackground] }
    public var all: [String] { [short, counted, withBackground, detailed, list] }
}

/// Writes captions, detailed descriptions and bounding-box text for a scene.
public enum CaptionWriter {
    /// Captions of a scene; wording variations are drawn from `rng`.
    public static func captions(for scene: Scene, rng: inout SplitMix64) -> SceneCaptions {
        let objs = scene.objects
        let names = objs.map { English.withArticle($0.fullName) }
        let listed = English.join(names)
        let n = objs.count
        return SceneCaptions(
            short: English.capitalized(listed) + ".",
            counted: English.capitalized(English.count(n, "shape", "shapes")) + ": " + listed + ".",
            withBackground: English.capitalized(listed) + " on " + English.withArticle(scene.background.description) + ".",
            detailed: detailedDescription(of: scene, rng: &rng),
            list: readingOrder(objs).map { "\($0.fullName) (\($0.region.rawValue))" }.joined(separator: "; "))
    }

    /// Bounding-box lines, one per object, in generation order: "red circle: [0.12, 0.20, 0.35, 0.44]".
    public static func boxes(for scene: Scene) -> [String] {
        scene.objects.map { o in "\(o.name): [" + o.box.map(English.fixed2).joined(separator: ", ") + "]" }
    }

    /// Objects sorted top row first, then left to right (by region row, then x).
    static func readingOrder(_ objs: [SceneObject]) -> [SceneObject] {
        objs.sorted { a, b in
            let ra = Region.allCases.firstIndex(of: a.region)! / 3, rb = Region.allCases.firstIndex(of: b.region)! / 3
            return ra != rb ? ra < rb : a.center.x < b.center.x
        }
    }

    static let intros = [
        "The image shows {n} on {a_bg}.",
        "There are {n} in this picture, set against {a_bg}.",
        "This picture contains {n} on {a_bg}.",
        "We can see {n} arranged on {a_bg}.",
    ]
    static let objectSentences = [
        "{A_obj} is {where}.",
        "{Where}, there is {a_obj}.",
        "{A_obj} can be seen {where}.",
        "{Where} sits {a_obj}.",
    ]

    /// A full description: every object's colour, shape, size and region, then shape counts.
    public static func detailedDescription(of scene: Scene, rng: inout SplitMix64) -> String {
        let objs = readingOrder(scene.objects)
        var sentences = [English.fill(rng.pick(intros), [
            "n": English.count(objs.count, "object", "objects"),
            "a_bg": English.withArticle(scene.background.description),
        ])]
        for o in objs {
            let a = English.withArticle(o.fullName)
            sentences.append(English.fill(rng.pick(objectSentences), [
                "A_obj": English.capitalized(a), "a_obj": a,
                "where": o.region.phrase, "Where": English.capitalized(o.region.phrase),
            ]))
        }
        if objs.count >= 2 {
            let counts = ShapeKind.allCases.compactMap { s -> String? in
                let k = objs.filter { $0.shape == s }.count
                return k == 0 ? nil : English.count(k, s.rawValue, s.plural)
            }
            sentences.append("In total, there " + (counts[0].hasPrefix("one ") ? "is " : "are ") + English.join(counts) + ".")
        }
        return sentences.joined(separator: " ")
    }
}
