// The contrastive CLIP loss's gradients against finite differences of the loss itself (Float,
// central differences, h = 1e-2 on parameters of magnitude ~0.02–1), on a tiny CLIP: every
// parameter tensor is probed at a few entries. The vision tower's per-layer gradients are also
// checked against PyTorch in CLIPGradientTests; this covers the towers' heads, projections,
// normalisation, temperature and the symmetric cross-entropy.
import CLIPVision
import Foundation
import LLaVA
import LLaVATestSupport
import LLaVATraining
import XCTest

final class CLIPContrastiveTests: XCTestCase {
    func testGradientsMatchFiniteDifferences() throws {
        let vision = CLIPVisionConfig(hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2, numAttentionHeads: 2,
                                      imageSize: 8, patchSize: 4, projectionDim: 8)
        let text = CLIPTextConfig(vocabSize: 20, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 1,
                                  numAttentionHeads: 2, maxPositionEmbeddings: 8)
        let clip = TrainableCLIP(vision: vision, text: text, projectionDim: 8, seed: 3)
        // Matrices at std 0.2 (about 10x the 0.02 init) so the loss is not flat, whatever the init.
        for e in clip.params.entries where e.shape.count == 2 {
            let p = clip.params[e.name]
            let v = UnsafeBufferPointer(start: p.value, count: p.count)
            let rms = (v.map { Double($0 * $0) }.reduce(0, +) / Double(p.count)).squareRoot()
            for i in 0..<p.count { p.value[i] *= Float(0.2 / rms) }
        }
        var rng = SeededGenerator(seed: 9)
        let images = (0..<3).map { _ in (0..<(3 * 8 * 8)).map { _ in Float.random(in: -1...1, using: &rng) } }
        let captions = [[1, 5, 7, 2], [1, 9, 2], [1, 5, 11, 13, 2]]
        clip.params.zeroGrads()
        let loss = clip.lossAndGradients(images: images, captions: captions)
        XCTAssertTrue(loss.isFinite && loss > 0)
        func lossOnly() -> Double {
            let saved = Array(UnsafeBufferPointer(start: clip.params.grads, count: clip.params.count))
            let l = clip.lossAndGradients(images: images, captions: captions)
            clip.params.grads.update(from: saved, count: saved.count)
            return l
        }
        var checked = 0
        var worst = 0.0
        for e in clip.params.entries {
            let p = clip.params[e.name]
            for i in Set([0, p.count / 2, p.count - 1]) {
                let old = p.value[i], h: Float = 1e-2
                p.value[i] = old + h
                let up = lossOnly()
                p.value[i] = old - h
                let down = lossOnly()
                p.value[i] = old
                let numeric = (up - down) / Double(2 * h)
                let analytic = Double(p.grad[i])
                XCTAssertEqual(analytic, numeric, accuracy: 2e-3 + 2e-2 * abs(numeric), "\(e.name)[\(i)]")
                worst = max(worst, abs(analytic - numeric) / (1e-3 + abs(numeric)))
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 50)
        print("CLIP contrastive: \(checked) gradient entries, worst |analytic − numeric| / (1e-3 + |numeric|) = \(worst)")

        // Entry-wise differences in Float are noise-limited (~3%, growing as h shrinks); the
        // directional derivative along the gradient, (f(θ + εg) − f(θ − εg)) / 2ε = |g|², sums
        // every entry and is a much sharper check.
        let g = Array(UnsafeBufferPointer(start: clip.params.grads, count: clip.params.count))
        let theta = Array(UnsafeBufferPointer(start: clip.params.values, count: clip.params.count))
        let g2 = g.reduce(0.0) { $0 + Double($1) * Double($1) }
        let eps = Float(3e-3 / g2.squareRoot())
        for i in 0..<g.count { clip.params.values[i] = theta[i] + eps * g[i] }
        let up = lossOnly()
        for i in 0..<g.count { clip.params.values[i] = theta[i] - eps * g[i] }
        let down = lossOnly()
        clip.params.values.update(from: theta, count: theta.count)
        let directional = (up - down) / (2 * Double(eps))
        print("CLIP contrastive: directional derivative \(directional) vs |g|² \(g2)")
        XCTAssertEqual(directional, g2, accuracy: 1e-3 * g2)
    }
}
