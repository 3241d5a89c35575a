// Draws a scene: background (solid or linear gradient), each object with S x S supersampled
// coverage (anti-aliasing), then light uniform per-channel noise. Pure Swift, no image library.
//
// Shapes are defined in a local frame (u, v) in [-1, 1]^2 centred on the object, v downwards,
// scaled by the object's half extent. Each shape's extent in that frame (`extent(of:)`) gives
// its tight bounding box.
import Foundation

enum Rasterizer {
    /// Star outline: 5 outer points (radius 1) and 5 inner points (radius 0.45), top point up,
    /// shifted and scaled so its bounding box is centred, with half width 1.
    static let starPolygon: [SIMD2<Double>] = {
        var pts: [SIMD2<Double>] = []
        for k in 0..<10 {
            let a = (-90.0 + 36.0 * Double(k)) * Double.pi / 180
            let r = k % 2 == 0 ? 1.0 : 0.45
            pts.append(SIMD2(r * cos(a), r * sin(a)))
        }
        let minY = pts.map(\.y).min()!, maxY = pts.map(\.y).max()!, maxX = pts.map(\.x).max()!
        return pts.map { SIMD2($0.x / maxX, ($0.y - (minY + maxY) / 2) / maxX) }
    }()

    /// Half width and half height of a shape in its local frame.
    static func extent(of shape: ShapeKind) -> SIMD2<Double> {
        switch shape {
        case .square: return SIMD2(0.85, 0.85)
        case .star:
            let ys = starPolygon.map(\.y)
            return SIMD2(1, (ys.max()! - ys.min()!) / 2)
        default: return SIMD2(1, 1)
        }
    }

    /// Whether the local point (u, v) is inside the shape.
    @inline(__always)
    static func contains(_ shape: ShapeKind, _ u: Double, _ v: Double) -> Bool {
        switch shape {
        case .circle: return u * u + v * v <= 1
        case .square: return abs(u) <= 0.85 && abs(v) <= 0.85
        case .diamond: return abs(u) + abs(v) <= 1
        case .triangle: return v <= 1 && abs(u) <= (v + 1) / 2  // apex (0, -1), base v = 1
        case .cross: return (abs(u) <= 1 && abs(v) <= 0.34) || (abs(u) <= 0.34 && abs(v) <= 1)
        case .star: return polygonContains(starPolygon, u, v)
        }
    }

    /// Even-odd rule point-in-polygon.
    static func polygonContains(_ poly: [SIMD2<Double>], _ x: Double, _ y: Double) -> Bool {
        var inside = false
        var j = poly.count - 1
        for i in 0..<poly.count {
            let a = poly[i], b = poly[j]
            if (a.y > y) != (b.y > y), x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x { inside.toggle() }
            j = i
        }
        return inside
    }

    /// Renders to RGB8 HWC. `noise` is the maximum absolute per-channel offset.
    static func render(background: Background, objects: [SceneObject], width W: Int, height H: Int,
                       supersampling S: Int, noise: Int, rng: inout SplitMix64) -> [UInt8] {
        var img = [Float](repeating: 0, count: W * H * 3)  // (H, W, 3) in 0...255
        fillBackground(&img, background, W, H)
        for o in objects { draw(&img, o, W, H, S) }
        var out = [UInt8](repeating: 0, count: W * H * 3)
        let span = UInt64(2 * noise + 1)
        for i in 0..<out.count {
            let n = noise > 0 ? Float(Int(rng.next() % span) - noise) : 0  // modulo bias < 2^-58
            out[i] = UInt8(max(0, min(255, (img[i] + n).rounded())))
        }
        return out
    }

    static func fillBackground(_ img: inout [Float], _ bg: Background, _ W: Int, _ H: Int) {
        let (c0, c1, dx, dy): (RGB, RGB, Double, Double)
        switch bg {
        case .solid(let t): (c0, c1, dx, dy) = (t.rgb, t.rgb, 1, 0)
        case .gradient(let a, let b, let direction):
            let d = Background.directionVectors[((direction % 8) + 8) % 8]
            (c0, c1, dx, dy) = (a.rgb, b.rgb, d.x, d.y)
        }
        let norm = abs(dx) + abs(dy)  // max |projection| of a centred unit-square point is norm / 2
        for y in 0..<H {
            for x in 0..<W {
                let px = (Double(x) + 0.5) / Double(W) - 0.5, py = (Double(y) + 0.5) / Double(H) - 0.5
                let t = Float(0.5 + (px * dx + py * dy) / norm)
                let p = (y * W + x) * 3
                img[p] = Float(c0.r) + t * (Float(c1.r) - Float(c0.r))
                img[p + 1] = Float(c0.g) + t * (Float(c1.g) - Float(c0.g))
                img[p + 2] = Float(c0.b) + t * (Float(c1.b) - Float(c0.b))
            }
        }
    }

    /// Blends the object's colour over the pixels of its cell by coverage = inside samples / S².
    static func draw(_ img: inout [Float], _ o: SceneObject, _ W: Int, _ H: Int, _ S: Int) {
        let cx = o.center.x * Double(W), cy = o.center.y * Double(H)
        let hx = o.halfExtent * Double(W), hy = o.halfExtent * Double(H)
        let x0 = max(0, Int((cx - hx).rounded(.down)) - 1), x1 = min(W - 1, Int((cx + hx).rounded(.up)) + 1)
        let y0 = max(0, Int((cy - hy).rounded(.down)) - 1), y1 = min(H - 1, Int((cy + hy).rounded(.up)) + 1)
        guard x0 <= x1, y0 <= y1 else { return }
        let c = o.color.rgb
        let inv = 1 / Double(S)
        for y in y0...y1 {
            for x in x0...x1 {
                var hits = 0
                for sy in 0..<S {
                    let v = (Double(y) + (Double(sy) + 0.5) * inv - cy) / hy
                    for sx in 0..<S {
                        let u = (Double(x) + (Double(sx) + 0.5) * inv - cx) / hx
                        if contains(o.shape, u, v) { hits += 1 }
                    }
                }
                if hits == 0 { continue }
                let a = Float(hits) / Float(S * S)
                let p = (y * W + x) * 3
                img[p] += a * (Float(c.r) - img[p])
                img[p + 1] += a * (Float(c.g) - img[p + 1])
                img[p + 2] += a * (Float(c.b) - img[p + 2])
            }
        }
    }
}
