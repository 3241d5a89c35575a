// CLIP's vision tower for training (transformers CLIPVisionTransformer): patch embedding (a
// conv without bias, as im2col + matmul), class token, positions, pre_layrnorm, encoder layers,
// and, for CLIP pretraining, post_layernorm of the CLS token. Gradients for every parameter.
import CLIPVision
import Foundation
import LLaVATensor

public final class TrainableCLIPVision {
    public let config: CLIPVisionConfig
    let prefix: String
    let patch: Param          // embeddings.patch_embedding.weight (C, 3, P, P)
    let cls: Param            // embeddings.class_embedding (C)
    let positions: Param      // embeddings.position_embedding.weight (N+1, C)
    let preW, preB: Param     // pre_layrnorm.{weight,bias}
    let encoder: TrainableEncoder
    var cols: [Float] = []    // im2col of the batch (B·N, 3·P·P)
    var x0: [Float] = []      // embeddings before pre_layrnorm (B·(N+1), C)
    var batchSize = 0

    /// Parameters named `prefix`embeddings.*, `prefix`pre_layrnorm.*, `prefix`encoder.layers.{0 ..< layers}.*.
    public init(config: CLIPVisionConfig, params: ParameterSet, prefix: String, layers: Int) {
        self.config = config
        self.prefix = prefix
        patch = params[prefix + "embeddings.patch_embedding.weight"]
        cls = params[prefix + "embeddings.class_embedding"]
        positions = params[prefix + "embeddings.position_embedding.weight"]
        preW = params[prefix + "pre_layrnorm.weight"]
        preB = params[prefix + "pre_layrnorm.bias"]
        encoder = TrainableEncoder(params: params, prefix: prefix + "encoder.", count: layers, hidden: config.hiddenSize,
                                   heads: config.numAttentionHeads, intermediate: config.intermediateSize,
                                   eps: config.layerNormEps, quickGELU: config.hiddenAct == "quick_gelu", causal: false)
    }

    var segments: Segments { Segments(lengths: Array(repeating: config.numPositions, count: batchSize)) }

    /// pixels: B images (3, S, S) each → output of the last loaded layer (B·(N+1), C).
    public func forward(_ pixels: [[Float]]) -> [Float] {
        let c = config, C = c.hiddenSize, P = c.patchSize, S = c.imageSize, G = c.patchesPerSide
        let N = c.numPatches, K = c.numChannels * P * P, NP = c.numPositions
        batchSize = pixels.count
        cols = [Float](repeating: 0, count: pixels.count * N * K)
        for (b, px) in pixels.enumerated() {
            for gy in 0..<G { for gx in 0..<G {
                let base = (b * N + gy * G + gx) * K
                for ch in 0..<c.numChannels { for py in 0..<P { for px_ in 0..<P {
                    cols[base + ch * P * P + py * P + px_] = px[ch * S * S + (gy * P + py) * S + gx * P + px_]
                } } }
            } }
        }
        var patches = [Float](repeating: 0, count: pixels.count * N * C)
        cols.withUnsafeBufferPointer { x in patches.withUnsafeMutableBufferPointer { y in
            BLAS.gemm(transB: true, M: pixels.count * N, N: C, K: K, A: x.baseAddress!, lda: K, B: patch.value, ldb: K,
                      C: y.baseAddress!, ldc: C)
        } }
        x0 = [Float](repeating: 0, count: pixels.count * NP * C)
        for b in 0..<pixels.count {
            for i in 0..<C { x0[b * NP * C + i] = cls.value[i] + positions.value[i] }
            for n in 0..<N { for i in 0..<C {
                x0[(b * NP + 1 + n) * C + i] = patches[(b * N + n) * C + i] + positions.value[(1 + n) * C + i]
            } }
        }
        let xe = encoder.layerNorm(x0, preW, preB, pixels.count * NP)
        return encoder.forward(xe, segments: segments)
    }

    /// d(output) (B·(N+1), C) → gradients of every parameter.
    public func backward(_ dOut: [Float]) {
        let c = config, C = c.hiddenSize, N = c.numPatches, NP = c.numPositions
        let K = c.numChannels * c.patchSize * c.patchSize, B = batchSize
        let dxe = encoder.backward(dOut, segments: segments)
        let dx0 = encoder.layerNormBackward(dxe, x0, preW, preB, B * NP)
        var dPatches = [Float](repeating: 0, count: B * N * C)
        for b in 0..<B {
            for i in 0..<C {
                cls.grad[i] += dx0[b * NP * C + i]
                positions.grad[i] += dx0[b * NP * C + i]
            }
            for n in 0..<N { for i in 0..<C {
                let g = dx0[(b * NP + 1 + n) * C + i]
                positions.grad[(1 + n) * C + i] += g
                dPatches[(b * N + n) * C + i] = g
            } }
        }
        guard patch.trainable else { return }
        dPatches.withUnsafeBufferPointer { d in cols.withUnsafeBufferPointer { x in
            Backward.linear(dy: d.baseAddress!, x: x.baseAddress!, W: patch.value, T: B * N, I: K, O: C,
                            dx: nil, dW: patch.grad, db: nil)
        } }
    }
}
