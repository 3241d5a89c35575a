// The closed vocabulary of ShapesWorld: shapes, object colours, sizes, the 3x3 grid of
// named regions and background tones. Every word a question or answer can be checked on
// comes from here, so `QA.canonicalAnswer` and the generators agree by construction.

/// The shape of an object. Raw values are the canonical answer words.
public enum ShapeKind: String, CaseIterable, Codable, Sendable, Comparable {
    case circle, square, triangle, diamond, cross, star

    public var plural: String { self == .cross ? "crosses" : rawValue + "s" }

    public static func < (a: ShapeKind, b: ShapeKind) -> Bool { a.index < b.index }
    var index: Int { ShapeKind.allCases.firstIndex(of: self)! }
}

/// An 8-bit RGB colour.
public struct RGB: Hashable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    /// Euclidean distance in RGB space.
    public func distance(to o: RGB) -> Double {
        let dr = Double(r) - Double(o.r), dg = Double(g) - Double(o.g), db = Double(b) - Double(o.b)
        return (dr * dr + dg * dg + db * db).squareRoot()
    }
}

/// The colour of an object. Raw values are the canonical answer words.
public enum ObjectColor: String, CaseIterable, Codable, Sendable, Comparable {
    case red, green, blue, yellow, purple, orange, white, black

    /// Saturated, mutually distant values; every one is >= 85 away from every background tone.
    public var rgb: RGB {
        switch self {
        case .red: return RGB(220, 40, 40)
        case .green: return RGB(40, 185, 60)
        case .blue: return RGB(40, 80, 225)
        case .yellow: return RGB(240, 220, 40)
        case .purple: return RGB(150, 60, 195)
        case .orange: return RGB(250, 140, 30)
        case .white: return RGB(245, 245, 245)
        case .black: return RGB(20, 20, 20)
        }
    }

    public static func < (a: ObjectColor, b: ObjectColor) -> Bool { a.index < b.index }
    var index: Int { ObjectColor.allCases.firstIndex(of: self)! }
}

/// Two clearly different size classes (large is ~1.9x small in linear size).
public enum ObjectSize: String, CaseIterable, Codable, Sendable {
    case small, large

    /// Half the side of the object's square cell, as a fraction of the image side, before
    /// the ±6 % jitter the generator adds.
    var baseHalfExtent: Double { self == .small ? 0.085 : 0.16 }
    /// The share of its grid cell's side an object fills when objects are placed in cells
    /// (`SceneGenerator.cellsPerSide`), before the ±6 % jitter: large is 1.7x small.
    public var cellFill: Double { self == .small ? 0.54 : 0.92 }
}

/// A (colour, shape) pair, e.g. "red circle": the unit of the unseen-combinations split.
public struct Combination: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var color: ObjectColor
    public var shape: ShapeKind
    public init(_ color: ObjectColor, _ shape: ShapeKind) { self.color = color; self.shape = shape }

    public var description: String { "\(color.rawValue) \(shape.rawValue)" }

    public static func < (a: Combination, b: Combination) -> Bool {
        (a.color.index, a.shape.index) < (b.color.index, b.shape.index)
    }

    /// All 48 pairs in a fixed order (colour-major).
    public static let all: [Combination] = ObjectColor.allCases.flatMap { c in ShapeKind.allCases.map { Combination(c, $0) } }
}

/// One cell of the 3x3 grid, found from an object's centre. Raw values are canonical answers.
public enum Region: String, CaseIterable, Codable, Sendable {
    case topLeft = "top left", top = "top", topRight = "top right"
    case left = "left", center = "center", right = "right"
    case bottomLeft = "bottom left", bottom = "bottom", bottomRight = "bottom right"

    /// The region holding the normalized point (x, y); y grows downwards. The thirds are
    /// split at 1/3 and 2/3 (a point exactly on a line goes to the later cell).
    public static func of(x: Double, y: Double) -> Region {
        let col = x < 1.0 / 3 ? 0 : (x < 2.0 / 3 ? 1 : 2)
        let row = y < 1.0 / 3 ? 0 : (y < 2.0 / 3 ? 1 : 2)
        return Region.allCases[row * 3 + col]
    }

    /// Prepositional phrase: "in the top left corner", "at the top", "on the left side", "in the center".
    public var phrase: String {
        switch self {
        case .topLeft, .topRight, .bottomLeft, .bottomRight: return "in the \(rawValue) corner"
        case .top, .bottom: return "at the \(rawValue)"
        case .left, .right: return "on the \(rawValue) side"
        case .center: return "in the center"
        }
    }
}

/// Muted background tones, chosen far from every object colour so that no object blends in.
public enum BackgroundTone: String, CaseIterable, Codable, Sendable {
    case grey, slate, brown, olive, teal, maroon, sand

    public var rgb: RGB {
        switch self {
        case .grey: return RGB(125, 125, 125)
        case .slate: return RGB(85, 100, 122)
        case .brown: return RGB(120, 85, 60)
        case .olive: return RGB(110, 115, 62)
        case .teal: return RGB(50, 112, 118)
        case .maroon: return RGB(118, 48, 68)
        case .sand: return RGB(165, 150, 118)
        }
    }
}
