// Seeded generator of ShapesWorld scenes. Scene `i` is a pure function of the generator's
// settings and `i` (its own SplitMix64 stream), so any subset can be regenerated alone.
//
// Placement: by default each object is centred in its own cell of a 4 × 4 grid, the patch grid
// of the demo's ViT (64 px, 16 px patches), so one image token sees one whole object: with
// objects at arbitrary sub-patch offsets a ViT trained from scratch for minutes on 2 cores learns
// no shape at all, and with objects spread over several patches the small LLM learns neither to
// tell shapes apart nor to count (measured, see docs/tutorial.md §2.2). `cellsPerSide: 0` places
// objects freely instead: at uniformly random centres, rejected if the object's cell comes within
// `gap` of another's (no overlap, so every object is fully visible). Either way a centre within
// `boundaryMargin` of a line of the 3x3 grid of named regions is rejected (so every object's region
// is unambiguous). After 80 rejected tries the object is dropped, so a crowded scene may hold
// fewer objects than drawn (never zero).

/// What (colour, shape) pairs a generator may use.
public enum SceneComposition: String, Codable, Sendable {
    /// Never uses a held-out combination.
    case training
    /// The first object always has a held-out combination; the others may have any.
    case unseenCombinations = "unseen_combinations"
    /// Any combination.
    case unrestricted
}

/// Errors of invalid generator or dataset settings.
public enum ShapesWorldError: Error, CustomStringConvertible, Equatable {
    case invalidSetting(name: String, value: String, expected: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidSetting(name, value, expected):
            return "ShapesWorld: \(name) = \(value) is not allowed; expected \(expected)."
        case let .writeFailed(path, reason):
            return "ShapesWorld: cannot write \(path): \(reason). Check that the directory is writable and the disk is not full."
        }
    }
}

/// A deterministic, seeded scene generator.
public struct SceneGenerator: Sendable {
    public let seed: UInt64
    /// Image side in pixels (images are square).
    public let size: Int
    public let composition: SceneComposition
    /// The combinations kept out of `.training` scenes.
    public let heldOutCombinations: Set<Combination>
    public let objectCount: ClosedRange<Int>
    /// Maximum absolute per-channel noise added to every pixel.
    public let noise: Int
    /// Anti-aliasing samples per pixel side (4 -> 16 samples).
    public let supersampling: Int
    /// When > 0, every object is centred in its own cell of a `cellsPerSide` × `cellsPerSide` grid
    /// (the demo's ViT patch grid: 64 px / 16 px patches) and sized to that cell. 0 places objects anywhere.
    public let cellsPerSide: Int

    static let gap = 0.01
    static let boundaryMargin = 0.03
    static let edgeMargin = 0.02

    /// - Parameters:
    ///   - heldOutCombinations: defaults to `SceneGenerator.heldOutCombinations(seed:)`.
    /// - Throws: `ShapesWorldError.invalidSetting` for a size outside 16...1024, an object
    ///   count outside 1...6, noise outside 0...64, supersampling outside 1...8, or a
    ///   cellsPerSide that is neither 0 nor in 3...16.
    public init(seed: UInt64, size: Int = 64, composition: SceneComposition = .training,
                heldOutCombinations: Set<Combination>? = nil, objectCount: ClosedRange<Int> = 1...5,
                noise: Int = 6, supersampling: Int = 4, cellsPerSide: Int = 4) throws {
        guard (16...1024).contains(size) else {
            throw ShapesWorldError.invalidSetting(name: "size", value: "\(size)", expected: "16...1024 pixels")
        }
        guard objectCount.lowerBound >= 1, objectCount.upperBound <= 6 else {
            throw ShapesWorldError.invalidSetting(name: "objectCount", value: "\(objectCount)", expected: "a range within 1...6")
        }
        guard (0...64).contains(noise) else {
            throw ShapesWorldError.invalidSetting(name: "noise", value: "\(noise)", expected: "0...64")
        }
        guard cellsPerSide == 0 || (3...16).contains(cellsPerSide) else {
            throw ShapesWorldError.invalidSetting(name: "cellsPerSide", value: "\(cellsPerSide)", expected: "0 (free placement) or 3...16")
        }
        guard (1...8).contains(supersampling) else {
            throw ShapesWorldError.invalidSetting(name: "supersampling", value: "\(supersampling)", expected: "1...8")
        }
        let held = heldOutCombinations ?? SceneGenerator.heldOutCombinations(seed: seed)
        if composition == .unseenCombinations && held.isEmpty {
            throw ShapesWorldError.invalidSetting(name: "heldOutCombinations", value: "[]",
                                                  expected: "at least one combination for unseen_combinations scenes")
        }
        self.seed = seed
        self.size = size
        self.composition = composition
        self.heldOutCombinations = held
        self.objectCount = objectCount
        self.noise = noise
        self.supersampling = supersampling
        self.cellsPerSide = cellsPerSide
    }

    /// The default held-out combinations: round(fraction * 48) pairs chosen by `seed`, at most
    /// two per colour and two per shape, so every colour and every shape stays common in training.
    public static func heldOutCombinations(seed: UInt64, fraction: Double = 0.15) -> Set<Combination> {
        let target = Int((fraction * Double(Combination.all.count)).rounded())
        var rng = SplitMix64(seed: seed, stream: 0x48454C44)  // "HELD"
        var order = Combination.all
        rng.shuffle(&order)
        var chosen = Set<Combination>()
        var perColor: [ObjectColor: Int] = [:], perShape: [ShapeKind: Int] = [:]
        for c in order where chosen.count < target {
            if perColor[c.color, default: 0] >= 2 || perShape[c.shape, default: 0] >= 2 { continue }
            chosen.insert(c)
            perColor[c.color, default: 0] += 1
            perShape[c.shape, default: 0] += 1
        }
        return chosen
    }

    /// The scene graph of scene `index` without rendering pixels (`pixels` is empty).
    public func layout(index: Int) -> Scene {
        var rng = streamRNG(index)
        return makeLayout(index: index, rng: &rng)
    }

    /// Scene `index`, rendered.
    public func scene(index: Int) -> Scene {
        var rng = streamRNG(index)
        let layout = makeLayout(index: index, rng: &rng)
        return rendered(layout, rng: &rng)
    }

    /// `scene` with its pixels drawn from its objects, noise from `rng`.
    private func rendered(_ scene: Scene, rng: inout SplitMix64) -> Scene {
        var s = scene
        s.pixels = Rasterizer.render(background: s.background, objects: s.objects, width: size, height: size,
                                     supersampling: supersampling, noise: noise, rng: &rng)
        return s
    }

    /// `scene` with one object (drawn from `rng`) given another shape that `composition` allows for
    /// its colour, re-rendered with fresh noise: the same picture except for one shape. A hard
    /// negative for contrastive training; nil when no other shape is allowed.
    public func shapeTwin(of scene: Scene, rng: inout SplitMix64) -> Scene? {
        var twin = scene
        let i = rng.int(below: scene.objects.count)
        let o = scene.objects[i]
        let shapes = ShapeKind.allCases.filter {
            $0 != o.shape && (composition != .training || !heldOutCombinations.contains(Combination(o.color, $0)))
        }
        guard !shapes.isEmpty else { return nil }
        twin.objects[i] = SceneObject(shape: rng.pick(shapes), color: o.color, size: o.size, center: o.center, halfExtent: o.halfExtent)
        return rendered(twin, rng: &rng)
    }

    /// `scene` with one object (drawn from `rng`) the other size, in the same place, re-rendered
    /// with fresh noise: a hard negative only the size word of the caption tells apart. Nil when
    /// objects are placed freely (`cellsPerSide == 0`), where a grown object could overlap another.
    public func sizeTwin(of scene: Scene, rng: inout SplitMix64) -> Scene? {
        guard cellsPerSide > 0, !scene.objects.isEmpty else { return nil }
        var twin = scene
        let i = rng.int(below: scene.objects.count)
        let o = scene.objects[i]
        let other: ObjectSize = o.size == .small ? .large : .small
        // The same ±6 % jitter as the original, on the other size's fill.
        let h = o.halfExtent * other.cellFill / o.size.cellFill
        twin.objects[i] = SceneObject(shape: o.shape, color: o.color, size: other, center: o.center, halfExtent: h)
        return rendered(twin, rng: &rng)
    }

    private func streamRNG(_ index: Int) -> SplitMix64 {
        let tag: UInt64 = composition == .training ? 1 : (composition == .unseenCombinations ? 2 : 3)
        return SplitMix64(seed: seed, stream: 0x5343454E, tag, UInt64(bitPattern: Int64(index)))
    }

    private func makeLayout(index: Int, rng: inout SplitMix64) -> Scene {
        let tones = BackgroundTone.allCases
        let background: Background
        if rng.chance(0.5) {
            background = .solid(rng.pick(tones))
        } else {
            let a = rng.pick(tones)
            var b = rng.pick(tones)
            while b == a { b = rng.pick(tones) }
            background = .gradient(from: a, to: b, direction: rng.int(below: 8))
        }
        let allowed = composition == .training
            ? Combination.all.filter { !heldOutCombinations.contains($0) } : Combination.all
        let n = rng.int(in: objectCount)
        var objects: [SceneObject] = []
        for k in 0..<n {
            let combo: Combination
            if k == 0 && composition == .unseenCombinations {
                combo = rng.pick(heldOutCombinations.sorted())
            } else {
                combo = pickCombination(allowed: allowed, previous: objects, rng: &rng)
            }
            let size: ObjectSize = rng.chance(0.5) ? .small : .large
            let h = (cellsPerSide > 0 ? size.cellFill / (2 * Double(cellsPerSide)) : size.baseHalfExtent) * rng.uniform(0.94, 1.06)
            if let o = place(combo, size, h, among: objects, rng: &rng) {
                objects.append(o)
            } else if objects.isEmpty {
                // Never seen in practice (80 boundary rejections in a row); keeps scenes non-empty.
                let c = cellsPerSide > 0 ? 0.5 / Double(cellsPerSide) : 0.5
                objects.append(SceneObject(shape: combo.shape, color: combo.color, size: size, center: SIMD2(c, c), halfExtent: h))
            }
        }
        return Scene(index: index, width: size, height: size, background: background, objects: objects, pixels: [])
    }

    /// Uniform over `allowed`, except that with probability 0.25 each the colour or the shape of
    /// an earlier object is reused, so counting and "most common" questions have real answers.
    private func pickCombination(allowed: [Combination], previous: [SceneObject], rng: inout SplitMix64) -> Combination {
        if !previous.isEmpty {
            let r = rng.uniform()
            let p = rng.pick(previous)
            var candidates: [Combination] = []
            if r < 0.25 { candidates = allowed.filter { $0.color == p.color } }
            else if r < 0.5 { candidates = allowed.filter { $0.shape == p.shape } }
            if !candidates.isEmpty { return rng.pick(candidates) }
        }
        return rng.pick(allowed)
    }

    private func place(_ combo: Combination, _ size: ObjectSize, _ h: Double, among objects: [SceneObject],
                       rng: inout SplitMix64) -> SceneObject? {
        let lo = h + SceneGenerator.edgeMargin, hi = 1 - h - SceneGenerator.edgeMargin
        tries: for _ in 0..<80 {
            let c: SIMD2<Double>
            if cellsPerSide > 0 {
                let n = cellsPerSide, g = 1 / Double(n)
                c = SIMD2((Double(rng.int(below: n)) + 0.5) * g, (Double(rng.int(below: n)) + 0.5) * g)
            } else {
                c = SIMD2(rng.uniform(lo, hi), rng.uniform(lo, hi))
            }
            for line in [1.0 / 3, 2.0 / 3] where abs(c.x - line) < SceneGenerator.boundaryMargin || abs(c.y - line) < SceneGenerator.boundaryMargin {
                continue tries
            }
            let o = SceneObject(shape: combo.shape, color: combo.color, size: size, center: c, halfExtent: h)
            for p in objects where cellsPerSide > 0 ? p.center == c : SceneGenerator.cellsTooClose(o.cell, p.cell) { continue tries }
            return o
        }
        return nil
    }

    static func cellsTooClose(_ a: [Double], _ b: [Double]) -> Bool {
        a[0] < b[2] + gap && b[0] < a[2] + gap && a[1] < b[3] + gap && b[1] < a[3] + gap
    }
}
