// The scene graph: the symbolic truth behind every image (LLaVA §3 gives GPT-4 the same two
// views of a COCO image: captions and bounding boxes). All coordinates are normalized to
// [0, 1] with the origin at the top left and y growing downwards.

/// One object of a scene.
public struct SceneObject: Hashable, Sendable {
    public var shape: ShapeKind
    public var color: ObjectColor
    public var size: ObjectSize
    /// Centre (x, y), normalized. Always the midpoint of `box`.
    public var center: SIMD2<Double>
    /// Half the side of the object's square cell, normalized. The shape is drawn inside
    /// the cell; objects' cells never intersect.
    public var halfExtent: Double
    /// Tight bounding box [x1, y1, x2, y2], normalized.
    public var box: [Double]

    public init(shape: ShapeKind, color: ObjectColor, size: ObjectSize, center: SIMD2<Double>, halfExtent: Double) {
        self.shape = shape
        self.color = color
        self.size = size
        self.center = center
        self.halfExtent = halfExtent
        let e = Rasterizer.extent(of: shape)
        box = [center.x - halfExtent * e.x, center.y - halfExtent * e.y,
               center.x + halfExtent * e.x, center.y + halfExtent * e.y]
    }

    /// "red circle": the name used in bounding-box text and answers.
    public var name: String { "\(color.rawValue) \(shape.rawValue)" }
    /// "large red circle".
    public var fullName: String { "\(size.rawValue) \(name)" }
    public var combination: Combination { Combination(color, shape) }
    /// The 3x3 grid cell of the centre.
    public var region: Region { Region.of(x: center.x, y: center.y) }
    /// The cell [x1, y1, x2, y2] the shape is drawn in (used for placement).
    var cell: [Double] {
        [center.x - halfExtent, center.y - halfExtent, center.x + halfExtent, center.y + halfExtent]
    }
}

/// A solid tone or a linear gradient between two tones.
public enum Background: Hashable, Sendable {
    case solid(BackgroundTone)
    /// Colour goes from `from` to `to` along `direction`, in 45° steps: 0 = left to right,
    /// 2 = top to bottom, 4 = right to left, 6 = bottom to top.
    case gradient(from: BackgroundTone, to: BackgroundTone, direction: Int)

    /// Exact direction vectors (no trigonometry, so pixels are identical on every platform).
    static let directionVectors: [SIMD2<Double>] = [
        SIMD2(1, 0), SIMD2(1, 1), SIMD2(0, 1), SIMD2(-1, 1), SIMD2(-1, 0), SIMD2(-1, -1), SIMD2(0, -1), SIMD2(1, -1),
    ]

    /// "teal background" / "gradient background from teal to maroon".
    public var description: String {
        switch self {
        case .solid(let t): return "\(t.rawValue) background"
        case .gradient(let a, let b, _): return "gradient background from \(a.rawValue) to \(b.rawValue)"
        }
    }
}

/// One generated image and its scene graph.
public struct Scene: Sendable {
    /// Index in its generator; scene `index` depends only on the generator's settings and the index.
    public var index: Int
    public var width: Int
    public var height: Int
    public var background: Background
    public var objects: [SceneObject]
    /// RGB bytes, row-major HWC, `width * height * 3`.
    public var pixels: [UInt8]

    /// "scene-000123".
    public var id: String { Scene.id(index) }
    /// "scene-000123.png".
    public var imageFile: String { id + ".png" }

    public static func id(_ index: Int) -> String {
        let digits = String(index)
        return "scene-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}
