// Every backward kernel against central finite differences of a naive Double forward on tiny
// shapes. f(x) = Σ dy ⊙ forward(x) for a random dy, so ∂f/∂x is what the backward returns.
// h = 1e-6 in Double gives ~1e-9 accuracy; the Float backward is checked to 1e-4 of the
// largest gradient entry.
import Foundation
import LLaVATensor
import LLaVATestSupport
import LlamaText
import XCTest

final class FiniteDifferenceTests: XCTestCase {
    struct LCG { var s: UInt64; mutating func next() -> Double { s = s &* 6364136223846793005 &+ 1442695040888963407; return Double(s >> 11) / Double(1 << 53) * 2 - 1 } }
    var lcg = LCG(s: 42)

    func random(_ n: Int) -> [Double] { (0..<n).map { _ in lcg.next() } }

    /// Numeric gradient of f at x.
    func numeric(_ x: [Double], _ f: ([Double]) -> Double) -> [Double] {
        let h = 1e-6
        return x.indices.map { i in
            var p = x, m = x
            p[i] += h
            m[i] -= h
            return (f(p) - f(m)) / (2 * h)
        }
    }

    func check(_ label: String, _ analytic: [Float], _ numeric: [Double], file: StaticString = #filePath, line: UInt = #line) {
        let scale = Float(numeric.map(abs).max()!)
        let c = compare(label, analytic, numeric.map(Float.init), rtol: 1e-4, atol: 1e-4 * scale)
        XCTAssertTrue(c.passed, c.description, file: file, line: line)
    }

    func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    func testLinear() {
        let T = 3, I = 4, O = 5
        let x = random(T * I), W = random(O * I), dy = random(T * O)
        func forward(_ x: [Double], _ W: [Double], _ b: [Double]) -> [Double] {
            (0..<T).flatMap { t in (0..<O).map { o in b[o] + (0..<I).reduce(0) { $0 + x[t * I + $1] * W[o * I + $1] } } }
        }
        let b = random(O)
        var dx = [Float](repeating: 0, count: T * I), dW = [Float](repeating: 0, count: O * I), db = [Float](repeating: 0, count: O)
        let xf = x.map(Float.init), Wf = W.map(Float.init), dyf = dy.map(Float.init)
        Backward.linear(dy: dyf, x: xf, W: Wf, T: T, I: I, O: O, dx: &dx, dW: &dW, db: &db)
        check("linear dx", dx, numeric(x) { dot(dy, forward($0, W, b)) })
        check("linear dW", dW, numeric(W) { dot(dy, forward(x, $0, b)) })
        check("linear db", db, numeric(b) { dot(dy, forward(x, W, $0)) })
    }

    func testRMSNorm() {
        let R = 3, C = 6, eps = 1e-5
        let x = random(R * C), w = random(C), dy = random(R * C)
        func forward(_ x: [Double], _ w: [Double]) -> [Double] {
            (0..<R).flatMap { r -> [Double] in
                let row = Array(x[r * C..<(r + 1) * C])
                let inv = 1 / (row.reduce(0) { $0 + $1 * $1 } / Double(C) + eps).squareRoot()
                return (0..<C).map { w[$0] * row[$0] * inv }
            }
        }
        var dx = [Float](repeating: 0, count: R * C), dw = [Float](repeating: 0, count: C)
        Backward.rmsNorm(dy: dy.map(Float.init), x: x.map(Float.init), w: w.map(Float.init), rows: R, C: C, eps: Float(eps),
                         dx: &dx, dw: &dw)
        check("rmsNorm dx", dx, numeric(x) { dot(dy, forward($0, w)) })
        check("rmsNorm dw", dw, numeric(w) { dot(dy, forward(x, $0)) })
    }

    func testLayerNorm() {
        let R = 3, C = 6, eps = 1e-5
        let x = random(R * C), w = random(C), b = random(C), dy = random(R * C)
        func forward(_ x: [Double], _ w: [Double], _ b: [Double]) -> [Double] {
            (0..<R).flatMap { r -> [Double] in
                let row = Array(x[r * C..<(r + 1) * C])
                let mean = row.reduce(0, +) / Double(C)
                let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(C)
                return (0..<C).map { (row[$0] - mean) / (variance + eps).squareRoot() * w[$0] + b[$0] }
            }
        }
        var dx = [Float](repeating: 0, count: R * C), dw = [Float](repeating: 0, count: C), db = dw
        Backward.layerNorm(dy: dy.map(Float.init), x: x.map(Float.init), w: w.map(Float.init), rows: R, C: C, eps: Float(eps),
                           dx: &dx, dw: &dw, db: &db)
        check("layerNorm dx", dx, numeric(x) { dot(dy, forward($0, w, b)) })
        check("layerNorm dw", dw, numeric(w) { dot(dy, forward(x, $0, b)) })
        check("layerNorm db", db, numeric(b) { dot(dy, forward(x, w, $0)) })
    }

    func testActivations() {
        let n = 12
        let x = random(n).map { $0 * 3 }, dy = random(n)
        var g = dy.map(Float.init)
        Backward.gelu(dy: &g, x: x.map(Float.init), count: n)
        check("gelu", g, numeric(x) { dot(dy, $0.map { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }) })
        var q = dy.map(Float.init)
        Backward.quickGELU(dy: &q, x: x.map(Float.init), count: n)
        check("quickGELU", q, numeric(x) { dot(dy, $0.map { $0 / (1 + exp(-1.702 * $0)) }) })
        let u = random(n)
        var dg = [Float](repeating: 0, count: n), du = dg
        Backward.siluMul(dm: dy.map(Float.init), g: x.map(Float.init), u: u.map(Float.init), count: n, dg: &dg, du: &du)
        func swiglu(_ g: [Double], _ u: [Double]) -> [Double] { zip(g, u).map { $0 / (1 + exp(-$0)) * $1 } }
        check("silu·mul dg", dg, numeric(x) { dot(dy, swiglu($0, u)) })
        check("silu·mul du", du, numeric(u) { dot(dy, swiglu(x, $0)) })
    }

    /// The SwiGLU kernels (AVX-512 on this machine) against Double, on lengths around the vector
    /// width and gates up to ±40 (σ must not overflow); and the same bits wherever an element sits.
    func testSiLUMulKernelMatchesDouble() {
        for n in [1, 15, 16, 17, 100] {
            let g = random(n).map { $0 * 40 }, u = random(n), dm = random(n)
            var m = [Float](repeating: 0, count: n), dg = m, du = m
            Backward.siluMulForward(g: g.map(Float.init), u: u.map(Float.init), count: n, m: &m)
            Backward.siluMul(dm: dm.map(Float.init), g: g.map(Float.init), u: u.map(Float.init), count: n, dg: &dg, du: &du)
            let s = g.map { 1 / (1 + exp(-$0)) }
            let refM: [Double] = (0..<n).map { i in g[i] * s[i] * u[i] }
            let refDU: [Double] = (0..<n).map { i in dm[i] * g[i] * s[i] }
            let refDG: [Double] = (0..<n).map { i in
                let slope: Double = 1 + g[i] * (1 - s[i])
                return dm[i] * u[i] * s[i] * slope
            }
            for (label, got, ref) in [("m", m, refM), ("du", du, refDU), ("dg", dg, refDG)] {
                let scale = Float(ref.map(abs).max()!)
                let c = compare("silu·mul \(label), n = \(n)", got, ref.map(Float.init), rtol: 1e-6, atol: 1e-6 * scale)
                XCTAssertTrue(c.passed, c.description)
            }
            if n > 3 {
                let gf = g.map(Float.init), uf = u.map(Float.init)
                var shifted = [Float](repeating: 0, count: n - 3)
                Backward.siluMulForward(g: Array(gf[3...]), u: Array(uf[3...]), count: n - 3, m: &shifted)
                XCTAssertEqual(shifted, Array(m[3...]), "silu·mul depends on where an element sits (n = \(n))")
            }
        }
    }

    /// Attention with GQA (4 query heads over 2 KV heads), causal and full.
    func testAttention() {
        let T = 5, NH = 4, NKV = 2, HS = 3
        let q = random(T * NH * HS), k = random(T * NKV * HS), v = random(T * NKV * HS), dy = random(T * NH * HS)
        for causal in [true, false] {
            func forward(_ q: [Double], _ k: [Double], _ v: [Double]) -> [Double] {
                var out = [Double](repeating: 0, count: T * NH * HS)
                for h in 0..<NH {
                    let kh = h / (NH / NKV)
                    for t in 0..<T {
                        let visible = causal ? t + 1 : T
                        var s = (0..<visible).map { j in
                            (0..<HS).reduce(0.0) { $0 + q[(t * NH + h) * HS + $1] * k[(j * NKV + kh) * HS + $1] } / Double(HS).squareRoot()
                        }
                        let m = s.max()!
                        s = s.map { exp($0 - m) }
                        let z = s.reduce(0, +)
                        for j in 0..<visible { for d in 0..<HS { out[(t * NH + h) * HS + d] += s[j] / z * v[(j * NKV + kh) * HS + d] } }
                    }
                }
                return out
            }
            // Row blocks of 2 queries (causal: each block against the keys it sees) and one block of all 5.
            for block in [2, 64] {
                let qf = q.map(Float.init), kf = k.map(Float.init), vf = v.map(Float.init)
                var probs = [Float](repeating: .nan, count: NH * T * T), out = [Float](repeating: 0, count: T * NH * HS)
                Attention.forwardSaving(q: qf, k: kf, v: vf, T: T, NH: NH, NKV: NKV, HS: HS, causal: causal, probs: &probs,
                                        out: &out, block: block)
                XCTAssertFalse(probs.contains { $0.isNaN }, "every probability is written (block \(block))")
                let c = compare("attention forward", out, forward(q, k, v).map(Float.init), rtol: 1e-5, atol: 1e-6)
                XCTAssertTrue(c.passed, c.description)
                var dq = [Float](repeating: .nan, count: q.count), dk = [Float](repeating: .nan, count: k.count), dv = dk
                Attention.backward(dOut: dy.map(Float.init), q: qf, k: kf, v: vf, probs: probs, T: T, NH: NH, NKV: NKV, HS: HS,
                                   dq: &dq, dk: &dk, dv: &dv, causal: causal, block: block)
                let name = "attention causal=\(causal) block=\(block)"
                check(name + " dq", dq, numeric(q) { dot(dy, forward($0, k, v)) })
                check(name + " dk", dk, numeric(k) { dot(dy, forward(q, $0, v)) })
                check(name + " dv", dv, numeric(v) { dot(dy, forward(q, k, $0)) })
                // One K/V head at a time writes only its columns: together the same result.
                var dq2 = [Float](repeating: .nan, count: q.count), dk2 = [Float](repeating: .nan, count: k.count), dv2 = dk2
                for g in 0..<NKV {
                    Attention.backward(dOut: dy.map(Float.init), q: qf, k: kf, v: vf, probs: probs, T: T, NH: NH, NKV: NKV,
                                       HS: HS, dq: &dq2, dk: &dk2, dv: &dv2, causal: causal, kvHeads: g..<(g + 1), block: block)
                }
                XCTAssertEqual(dq2, dq, name)
                XCTAssertEqual(dk2, dk, name)
                XCTAssertEqual(dv2, dv, name)
            }
        }
    }

    func testCrossEntropy() {
        let N = 3, V = 7
        let logits = random(N * V).map { $0 * 4 }
        let targets = [2, -100, 6]
        func loss(_ l: [Double]) -> Double {
            var s = 0.0
            for (n, t) in targets.enumerated() where t >= 0 {
                let row = Array(l[n * V..<(n + 1) * V])
                let m = row.max()!
                s += m + log(row.reduce(0) { $0 + exp($1 - m) }) - row[t]
            }
            return s / 2
        }
        var d = [Float](repeating: 0, count: N * V)
        let r = CrossEntropy.forwardBackward(logits: logits.map(Float.init), targets: targets, V: V, gradScale: 0.5, dLogits: &d)
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(r.sum / 2, loss(logits), accuracy: 1e-5)
        check("cross-entropy dlogits", d, numeric(logits, loss))
    }

    func testRoPEInverseIsTheTranspose() {
        var config = LlamaConfig()
        config.headDim = 8
        config.ropeTheta = 10000
        let rope = RoPE(config: config)
        let T = 3, H = 2, D = 8
        let x = random(T * H * D), dy = random(T * H * D)
        // f(x) = dy · R x  ⇒  ∂f/∂x = Rᵀ dy, which applyInverse computes.
        func forward(_ x: [Double]) -> [Double] {
            var f = x.map(Float.init)
            rope.apply(&f, rows: T, heads: H, start: 4)
            return f.map(Double.init)
        }
        var g = dy.map(Float.init)
        rope.applyInverse(&g, rows: T, heads: H, start: 4)
        let h = 1e-2  // the forward is linear, so a large step is exact up to float rounding
        let num = x.indices.map { i -> Double in
            var p = x, m = x
            p[i] += h
            m[i] -= h
            return (dot(dy, forward(p)) - dot(dy, forward(m))) / (2 * h)
        }
        let c = compare("rope inverse", g, num.map(Float.init), rtol: 1e-3, atol: 1e-4)
        XCTAssertTrue(c.passed, c.description)
    }
}
