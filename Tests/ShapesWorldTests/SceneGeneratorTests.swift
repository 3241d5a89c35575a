// Scene generation: determinism, placement rules, colours, held-out combinations, rendering.
import ShapesWorld
import XCTest

final class SceneGeneratorTests: XCTestCase {
    func testSameSeedGivesIdenticalScenesAndDifferentSeedDiffers() throws {
        let a = try SceneGenerator(seed: 7), b = try SceneGenerator(seed: 7), c = try SceneGenerator(seed: 8)
        var differing = 0
        for i in [0, 1, 2, 57, 999] {
            let sa = a.scene(index: i), sb = b.scene(index: i), sc = c.scene(index: i)
            XCTAssertEqual(sa.pixels, sb.pixels, "scene \(i) pixels")
            XCTAssertEqual(sa.objects, sb.objects, "scene \(i) objects")
            XCTAssertEqual(sa.background, sb.background, "scene \(i) background")
            if sa.pixels != sc.pixels { differing += 1 }
        }
        XCTAssertEqual(differing, 5, "a different seed must give different scenes")
        XCTAssertNotEqual(a.scene(index: 3).pixels, a.scene(index: 4).pixels)
    }

    func testLayoutMatchesRenderedScene() throws {
        let g = try SceneGenerator(seed: 3, size: 80)
        for i in 0..<20 {
            let l = g.layout(index: i), s = g.scene(index: i)
            XCTAssertEqual(l.objects, s.objects)
            XCTAssertTrue(l.pixels.isEmpty)
            XCTAssertEqual(s.pixels.count, 80 * 80 * 3)
            XCTAssertEqual(s.id, "scene-" + String(repeating: "0", count: 6 - String(i).count) + String(i))
        }
    }

    /// Objects stay inside the image, never overlap, sit away from the 3x3 grid lines, and
    /// their region is that of their box's midpoint.
    func testPlacementRules() throws {
        let g = try SceneGenerator(seed: 11)
        var counts = [Int](repeating: 0, count: 7)
        for i in 0..<500 {
            let objs = g.layout(index: i).objects
            counts[objs.count] += 1
            for (k, o) in objs.enumerated() {
                XCTAssertTrue(o.box.allSatisfy { $0 >= 0 && $0 <= 1 }, "scene \(i) object \(k) box \(o.box)")
                XCTAssertEqual(o.region.rawValue, SceneOracle.region(o))
                for line in [1.0 / 3, 2.0 / 3] {
                    XCTAssertGreaterThan(abs(o.center.x - line), 0.025)
                    XCTAssertGreaterThan(abs(o.center.y - line), 0.025)
                }
                for p in objs[(k + 1)...] {
                    let disjoint = o.box[2] <= p.box[0] || p.box[2] <= o.box[0] || o.box[3] <= p.box[1] || p.box[3] <= o.box[1]
                    XCTAssertTrue(disjoint, "scene \(i): \(o.name) and \(p.name) overlap")
                }
            }
        }
        XCTAssertEqual(counts[0], 0)
        for n in 1...5 { XCTAssertGreaterThan(counts[n], 50, "scenes with \(n) objects: \(counts)") }
    }

    /// Every large object's box is bigger than every small object's, so "largest" is well defined.
    func testSizeClassesAreClearlyDifferent() throws {
        let g = try SceneGenerator(seed: 5)
        var smallMax = 0.0, largeMin = 1.0
        for i in 0..<300 {
            for o in g.layout(index: i).objects {
                let area = (o.box[2] - o.box[0]) * (o.box[3] - o.box[1])
                if o.size == .small { smallMax = max(smallMax, area) } else { largeMin = min(largeMin, area) }
            }
        }
        XCTAssertGreaterThan(largeMin, 1.5 * smallMax, "large min area \(largeMin), small max area \(smallMax)")
    }

    /// No background tone, nor any even blend of two tones, comes within 85 (RGB distance) of an object colour.
    func testBackgroundsNeverMatchObjectColours() {
        for c in ObjectColor.allCases {
            for a in BackgroundTone.allCases {
                for b in BackgroundTone.allCases {
                    for t in stride(from: 0.0, through: 1.0, by: 0.25) {
                        let mix = RGB(UInt8((Double(a.rgb.r) * (1 - t) + Double(b.rgb.r) * t).rounded()),
                                      UInt8((Double(a.rgb.g) * (1 - t) + Double(b.rgb.g) * t).rounded()),
                                      UInt8((Double(a.rgb.b) * (1 - t) + Double(b.rgb.b) * t).rounded()))
                        XCTAssertGreaterThan(c.rgb.distance(to: mix), 85, "\(c) vs \(a)/\(b) at \(t)")
                    }
                }
            }
        }
    }

    /// The pixel at each object's centre shows the object's colour (up to the ±6 noise).
    func testObjectCentresShowObjectColour() throws {
        let g = try SceneGenerator(seed: 21, size: 64)
        for i in 0..<100 {
            let s = g.scene(index: i)
            for o in s.objects {
                let x = Int(o.center.x * 64), y = Int(o.center.y * 64)
                let p = (y * 64 + x) * 3
                let got = [s.pixels[p], s.pixels[p + 1], s.pixels[p + 2]].map(Int.init)
                let want = [o.color.rgb.r, o.color.rgb.g, o.color.rgb.b].map(Int.init)
                for ch in 0..<3 { XCTAssertLessThanOrEqual(abs(got[ch] - want[ch]), 6, "scene \(i) \(o.name) channel \(ch)") }
            }
        }
    }

    func testHeldOutCombinationsAreFixedBySeedAndSpread() {
        let h = SceneGenerator.heldOutCombinations(seed: 1)
        XCTAssertEqual(h.count, 7, "round(0.15 * 48)")
        XCTAssertEqual(h, SceneGenerator.heldOutCombinations(seed: 1))
        XCTAssertNotEqual(h, SceneGenerator.heldOutCombinations(seed: 2))
        for c in ObjectColor.allCases { XCTAssertLessThanOrEqual(h.filter { $0.color == c }.count, 2) }
        for s in ShapeKind.allCases { XCTAssertLessThanOrEqual(h.filter { $0.shape == s }.count, 2) }
    }

    func testTrainingScenesAvoidAndUnseenScenesContainHeldOutCombinations() throws {
        let held = SceneGenerator.heldOutCombinations(seed: 4)
        let train = try SceneGenerator(seed: 4, composition: .training)
        let unseen = try SceneGenerator(seed: 4, composition: .unseenCombinations)
        var seen = Set<Combination>()
        for i in 0..<400 {
            for o in train.layout(index: i).objects {
                XCTAssertFalse(held.contains(o.combination), "training scene \(i) has \(o.name)")
                seen.insert(o.combination)
            }
            XCTAssertTrue(unseen.layout(index: i).objects.contains { held.contains($0.combination) }, "unseen scene \(i)")
        }
        XCTAssertEqual(seen.count, 48 - held.count, "every other combination occurs in training")
    }

    /// CLIP's hard negatives: the same scene with exactly one object's shape changed, to a shape the
    /// generator allows for that colour; background, colours, sizes and places are kept.
    func testShapeTwinChangesExactlyOneShape() throws {
        let g = try SceneGenerator(seed: 3)
        try forTwins(of: g, rngSeed: 9, made: g.shapeTwin(of:rng:), differing: "shape", by: { $0.shape != $1.shape }) { i, scene, twin in
            XCTAssertEqual(twin.objects.count, scene.objects.count)
            for (a, b) in zip(scene.objects, twin.objects) {
                XCTAssertEqual([a.color, a.size, a.center, a.halfExtent] as [AnyHashable], [b.color, b.size, b.center, b.halfExtent] as [AnyHashable])
                XCTAssertFalse(g.heldOutCombinations.contains(b.combination), "scene \(i): \(b.name) is held out")
            }
            XCTAssertEqual(twin.pixels.count, scene.pixels.count)
        }
    }

    /// The size hard negatives: exactly one object the other size, its extent scaled by the sizes'
    /// cell fills (jitter kept), still inside its cell; everything else as it was. None for free placement.
    func testSizeTwinChangesExactlyOneSize() throws {
        let g = try SceneGenerator(seed: 5)
        try forTwins(of: g, rngSeed: 11, made: g.sizeTwin(of:rng:), differing: "size", by: { $0.size != $1.size }) { i, scene, twin in
            for (a, b) in zip(scene.objects, twin.objects) {
                XCTAssertEqual([a.shape, a.color, a.center] as [AnyHashable], [b.shape, b.color, b.center] as [AnyHashable])
                XCTAssertEqual(b.halfExtent / b.size.cellFill, a.halfExtent / a.size.cellFill, accuracy: 1e-12)
                XCTAssertLessThanOrEqual(b.halfExtent, 0.5 / Double(g.cellsPerSide), "scene \(i): inside its cell")
            }
        }
        let free = try SceneGenerator(seed: 5, cellsPerSide: 0)
        var rng = SplitMix64(seed: 11)
        XCTAssertNil(free.sizeTwin(of: free.scene(index: 0), rng: &rng))
    }

    /// Scenes 0..<200 of `g` and their twins (`made`, one rng seeded `rngSeed` throughout): each twin
    /// exists, keeps the background, differs from its scene in exactly one object by `differs` and
    /// in its pixels; then `check(i, scene, twin)`.
    private func forTwins(of g: SceneGenerator, rngSeed: UInt64, made: (Scene, inout SplitMix64) -> Scene?, differing what: String,
                          by differs: (SceneObject, SceneObject) -> Bool,
                          _ check: (Int, Scene, Scene) throws -> Void) throws {
        var rng = SplitMix64(seed: rngSeed)
        for i in 0..<200 {
            let scene = g.scene(index: i)
            let twin = try XCTUnwrap(made(scene, &rng), "scene \(i)")
            XCTAssertEqual(twin.background, scene.background)
            XCTAssertEqual(zip(scene.objects, twin.objects).filter(differs).count, 1, "scene \(i): one \(what) changed")
            XCTAssertNotEqual(twin.pixels, scene.pixels)
            try check(i, scene, twin)
        }
    }

    /// By default every object is centred in its own cell of the 4 × 4 grid (the demo ViT's 16-px
    /// patches) and fits inside it; with cellsPerSide 0 placement is free.
    func testEachObjectFillsItsOwnPatchCell() throws {
        let g = try SceneGenerator(seed: 12)
        var used = Set<Int>()
        for i in 0..<200 {
            var cells = Set<Int>()
            for o in g.layout(index: i).objects {
                let col = Int(o.center.x * 4), row = Int(o.center.y * 4)
                XCTAssertEqual(o.center.x, (Double(col) + 0.5) / 4, accuracy: 1e-12, "scene \(i)")
                XCTAssertEqual(o.center.y, (Double(row) + 0.5) / 4, accuracy: 1e-12, "scene \(i)")
                XCTAssertTrue(o.box[0] >= Double(col) / 4 && o.box[2] <= Double(col + 1) / 4, "scene \(i): \(o.box)")
                XCTAssertTrue(o.box[1] >= Double(row) / 4 && o.box[3] <= Double(row + 1) / 4, "scene \(i): \(o.box)")
                XCTAssertTrue(cells.insert(row * 4 + col).inserted, "scene \(i): two objects in cell \(row * 4 + col)")
            }
            used.formUnion(cells)
        }
        XCTAssertEqual(used, Set(0..<16), "every cell is used")
        let free = try SceneGenerator(seed: 12, cellsPerSide: 0)
        let freeObjects = (0..<200).flatMap { free.layout(index: $0).objects }
        let offCentre = freeObjects.filter { o -> Bool in
            let x: Double = o.center.x * 4
            return abs(x - x.rounded(.down) - 0.5) > 1e-9
        }
        XCTAssertGreaterThan(offCentre.count, 400)
    }

    func testInvalidSettingsAreRejectedWithMessages() {
        XCTAssertThrowsError(try SceneGenerator(seed: 1, cellsPerSide: 2)) { e in
            XCTAssertEqual("\(e)", "ShapesWorld: cellsPerSide = 2 is not allowed; expected 0 (free placement) or 3...16.")
        }
        XCTAssertThrowsError(try SceneGenerator(seed: 1, size: 8)) { e in
            XCTAssertEqual("\(e)", "ShapesWorld: size = 8 is not allowed; expected 16...1024 pixels.")
        }
        XCTAssertThrowsError(try SceneGenerator(seed: 1, objectCount: 0...3)) { e in
            XCTAssertEqual("\(e)", "ShapesWorld: objectCount = 0...3 is not allowed; expected a range within 1...6.")
        }
        XCTAssertThrowsError(try SceneGenerator(seed: 1, composition: .unseenCombinations, heldOutCombinations: [])) { e in
            XCTAssertEqual("\(e)", "ShapesWorld: heldOutCombinations = [] is not allowed; expected at least one combination for unseen_combinations scenes.")
        }
    }
}
