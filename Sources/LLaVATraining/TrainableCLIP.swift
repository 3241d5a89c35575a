// CLIP (Radford et al. 2021) for pretraining a vision encoder from scratch: a ViT image tower and
// a causal text transformer, each followed by a linear projection into a shared space, trained
// with the symmetric contrastive loss over the batch's similarity matrix
//   logits = s · T Iᵀ (T, I L2-normalised),  L = ½ (CE(logits, diag) + CE(logitsᵀ, diag)),
// with the learned temperature s = exp(logit_scale), initialised to 1/0.07 and clipped at 100
// (CLIP §2.5). Parameter names follow transformers' CLIPModel (vision_model.*, text_model.*,
// visual_projection, text_projection, logit_scale). The text tower pools the hidden state of
// each caption's last token (the EOS the caller appends).
import CLIPVision
import Foundation
import LLaVA
import LLaVATensor

public struct CLIPTextConfig: Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var maxPositionEmbeddings: Int
    public var layerNormEps: Float = 1e-5

    public init(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
                maxPositionEmbeddings: Int) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.maxPositionEmbeddings = maxPositionEmbeddings
    }
}

public final class TrainableCLIP {
    public let vision: CLIPVisionConfig
    public let text: CLIPTextConfig
    public let projectionDim: Int
    public let params: ParameterSet
    let visionTower: TrainableCLIPVision
    let textEncoder: TrainableEncoder
    public static let maxLogitScale: Float = 100

    /// A freshly initialised CLIP, as transformers' CLIPModel initialises one (see RandomInit).
    public init(vision: CLIPVisionConfig, text: CLIPTextConfig, projectionDim: Int, seed: UInt64) {
        self.vision = vision
        self.text = text
        self.projectionDim = projectionDim
        var specs = RandomInit.clipVision(vision, prefix: "vision_model.", seed: seed)
        specs += RandomInit.clipText(text, prefix: "text_model.", seed: seed &+ 1)
        var rng = SeededGenerator(seed: seed &+ 2)
        specs.append(("visual_projection.weight", [projectionDim, vision.hiddenSize],
                      RandomInit.normal(projectionDim * vision.hiddenSize, std: Float(pow(Double(vision.hiddenSize), -0.5)), &rng), true))
        specs.append(("text_projection.weight", [projectionDim, text.hiddenSize],
                      RandomInit.normal(projectionDim * text.hiddenSize, std: Float(pow(Double(text.hiddenSize), -0.5)), &rng), true))
        specs.append(("logit_scale", [], [logf(1 / 0.07)], true))
        params = ParameterSet(specs.map { ($0.name, $0.shape, $0.values, true) })
        visionTower = TrainableCLIPVision(config: vision, params: params, prefix: "vision_model.", layers: vision.numHiddenLayers)
        textEncoder = TrainableEncoder(params: params, prefix: "text_model.encoder.", count: text.numHiddenLayers,
                                       hidden: text.hiddenSize, heads: text.numAttentionHeads,
                                       intermediate: text.intermediateSize, eps: text.layerNormEps, quickGELU: true, causal: true)
    }

    /// exp(logit_scale), clipped at 100.
    public var temperature: Float { min(expf(params["logit_scale"].value[0]), Self.maxLogitScale) }

    /// Contrastive loss of B (image, caption) pairs; accumulates gradients. Captions are token ids
    /// ending in EOS. Returns the loss.
    @discardableResult
    public func lossAndGradients(images: [[Float]], captions: [[Int]]) -> Double {
        precondition(images.count == captions.count && !images.isEmpty, "CLIP batch: \(images.count) images, \(captions.count) captions")
        let B = images.count, D = projectionDim
        let (imageEmbeddings, imageNorms, imagePooled, imageCLS) = encodeImages(images)
        let (textEmbeddings, textNorms, textPooled, textLast, textSegments, textHidden) = encodeTexts(captions)
        let s = temperature
        // logits[t][i] = s · T_t · I_i
        var dot = [Float](repeating: 0, count: B * B)
        textEmbeddings.withUnsafeBufferPointer { t in imageEmbeddings.withUnsafeBufferPointer { i in dot.withUnsafeMutableBufferPointer { d in
            BLAS.gemm(transB: true, M: B, N: B, K: D, A: t.baseAddress!, lda: D, B: i.baseAddress!, ldb: D, C: d.baseAddress!, ldc: B)
        } } }
        let logits = dot.map { $0 * s }
        var dLogits = [Float](repeating: 0, count: B * B)
        var loss = 0.0
        // CE over rows (text → image) and over columns (image → text), each averaged over B, halved.
        for pass in 0..<2 {
            for r in 0..<B {
                var row = (0..<B).map { pass == 0 ? logits[r * B + $0] : logits[$0 * B + r] }
                let m = row.max()!
                var z = 0.0
                for j in 0..<B { z += Double(expf(row[j] - m)) }
                loss += 0.5 / Double(B) * (Double(m) + log(z) - Double(row[r]))
                for j in 0..<B { row[j] = Float(exp(Double(row[j] - m)) / z) }
                row[r] -= 1
                for j in 0..<B {
                    let g = row[j] * 0.5 / Float(B)
                    if pass == 0 { dLogits[r * B + j] += g } else { dLogits[j * B + r] += g }
                }
            }
        }
        let scale = params["logit_scale"]
        if expf(scale.value[0]) < Self.maxLogitScale {
            var ds: Float = 0
            for i in 0..<(B * B) { ds += dLogits[i] * dot[i] }
            scale.grad[0] += ds * s  // d exp(x)/dx = exp(x)
        }
        // dT = s · dLogits · I, dI = s · dLogitsᵀ · T
        var dText = [Float](repeating: 0, count: B * D), dImage = dText
        dLogits.withUnsafeBufferPointer { dl in imageEmbeddings.withUnsafeBufferPointer { i in textEmbeddings.withUnsafeBufferPointer { t in
            dText.withUnsafeMutableBufferPointer { dt in dImage.withUnsafeMutableBufferPointer { di in
                BLAS.gemm(M: B, N: D, K: B, alpha: s, A: dl.baseAddress!, lda: B, B: i.baseAddress!, ldb: D, C: dt.baseAddress!, ldc: D)
                BLAS.gemm(transA: true, M: B, N: D, K: B, alpha: s, A: dl.baseAddress!, lda: B, B: t.baseAddress!, ldb: D,
                          C: di.baseAddress!, ldc: D)
            } }
        } } }
        backwardImages(dImage, imageEmbeddings, imageNorms, imagePooled, imageCLS)
        backwardTexts(dText, textEmbeddings, textNorms, textPooled, textLast, textSegments, textHidden, captions)
        return loss
    }

    // MARK: towers

    /// Normalised image embeddings (B, D), their pre-normalisation norms, the post-LN pooled CLS rows (B, Cv)
    /// and the CLS rows before post_layernorm (B, Cv).
    public func encodeImages(_ images: [[Float]]) -> ([Float], [Float], [Float], [Float]) {
        let C = vision.hiddenSize, NP = vision.numPositions, B = images.count
        let out = visionTower.forward(images)
        var cls = [Float](repeating: 0, count: B * C)
        for b in 0..<B { for c in 0..<C { cls[b * C + c] = out[b * NP * C + c] } }
        let pooled = visionTower.encoder.layerNorm(cls, params["vision_model.post_layernorm.weight"],
                                                   params["vision_model.post_layernorm.bias"], B)
        let (emb, norms) = project(pooled, params["visual_projection.weight"], B, C)
        return (emb, norms, pooled, cls)
    }

    func encodeTexts(_ captions: [[Int]]) -> ([Float], [Float], [Float], [Float], Segments, [Float]) {
        let C = text.hiddenSize
        let segments = Segments(lengths: captions.map(\.count))
        let tok = params["text_model.embeddings.token_embedding.weight"]
        let pos = params["text_model.embeddings.position_embedding.weight"]
        var x = [Float](repeating: 0, count: segments.total * C)
        for (ids, start) in zip(captions, segments.starts) {
            for (t, id) in ids.enumerated() {
                for c in 0..<C { x[(start + t) * C + c] = tok.value[id * C + c] + pos.value[t * C + c] }
            }
        }
        let hidden = textEncoder.forward(x, segments: segments)
        var last = [Float](repeating: 0, count: captions.count * C)
        for (b, (start, n)) in zip(segments.starts, segments.lengths).enumerated() {
            for c in 0..<C { last[b * C + c] = hidden[(start + n - 1) * C + c] }
        }
        let pooled = textEncoder.layerNorm(last, params["text_model.final_layer_norm.weight"],
                                           params["text_model.final_layer_norm.bias"], captions.count)
        let (emb, norms) = project(pooled, params["text_projection.weight"], captions.count, C)
        return (emb, norms, pooled, last, segments, hidden)
    }

    /// Normalised text embeddings (B, D) of captions (for zero-shot classification).
    public func encodeTextsForInference(_ captions: [[Int]]) -> [Float] {
        let r = encodeTexts(captions).0
        textEncoder.acts = []
        return r
    }

    public func encodeImagesForInference(_ images: [[Float]]) -> [Float] {
        let r = encodeImages(images).0
        visionTower.encoder.acts = []
        return r
    }

    /// y = W x / |W x| per row; returns y (N, D) and |W x| (N).
    func project(_ x: [Float], _ W: Param, _ N: Int, _ C: Int) -> ([Float], [Float]) {
        let D = projectionDim
        var y = [Float](repeating: 0, count: N * D)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            BLAS.gemm(transB: true, M: N, N: D, K: C, A: xp.baseAddress!, lda: C, B: W.value, ldb: C, C: yp.baseAddress!, ldc: D)
        } }
        var norms = [Float](repeating: 0, count: N)
        for n in 0..<N {
            var ss: Float = 0
            for d in 0..<D { ss += y[n * D + d] * y[n * D + d] }
            norms[n] = ss.squareRoot()
            for d in 0..<D { y[n * D + d] /= norms[n] }
        }
        return (y, norms)
    }

    /// Backward of project: dz = (dy − y (y·dy)) / |z| for z = W x; dW += dzᵀ x; returns dx.
    func projectBackward(_ dy: [Float], _ y: [Float], _ norms: [Float], _ x: [Float], _ W: Param, _ N: Int, _ C: Int) -> [Float] {
        let D = projectionDim
        var dz = dy
        for n in 0..<N {
            var dotp: Float = 0
            for d in 0..<D { dotp += y[n * D + d] * dy[n * D + d] }
            for d in 0..<D { dz[n * D + d] = (dy[n * D + d] - y[n * D + d] * dotp) / norms[n] }
        }
        var dx = [Float](repeating: 0, count: N * C)
        dz.withUnsafeBufferPointer { d in x.withUnsafeBufferPointer { xp in dx.withUnsafeMutableBufferPointer { dxp in
            Backward.linear(dy: d.baseAddress!, x: xp.baseAddress!, W: W.value, T: N, I: C, O: D, dx: dxp.baseAddress!,
                            dW: W.grad, db: nil)
        } } }
        return dx
    }

    func backwardImages(_ dEmb: [Float], _ emb: [Float], _ norms: [Float], _ pooled: [Float], _ cls: [Float]) {
        let C = vision.hiddenSize, NP = vision.numPositions, B = norms.count
        let dPooled = projectBackward(dEmb, emb, norms, pooled, params["visual_projection.weight"], B, C)
        let dCLS = visionTower.encoder.layerNormBackward(dPooled, cls, params["vision_model.post_layernorm.weight"],
                                                         params["vision_model.post_layernorm.bias"], B)
        var dOut = [Float](repeating: 0, count: B * NP * C)
        for b in 0..<B { for c in 0..<C { dOut[b * NP * C + c] = dCLS[b * C + c] } }
        visionTower.backward(dOut)
    }

    func backwardTexts(_ dEmb: [Float], _ emb: [Float], _ norms: [Float], _ pooled: [Float], _ last: [Float],
                       _ segments: Segments, _ hidden: [Float], _ captions: [[Int]]) {
        let C = text.hiddenSize, B = captions.count
        let dPooled = projectBackward(dEmb, emb, norms, pooled, params["text_projection.weight"], B, C)
        let dLast = textEncoder.layerNormBackward(dPooled, last, params["text_model.final_layer_norm.weight"],
                                                  params["text_model.final_layer_norm.bias"], B)
        var dHidden = [Float](repeating: 0, count: segments.total * C)
        for (b, (start, n)) in zip(segments.starts, segments.lengths).enumerated() {
            for c in 0..<C { dHidden[(start + n - 1) * C + c] = dLast[b * C + c] }
        }
        let dx = textEncoder.backward(dHidden, segments: segments)
        let tok = params["text_model.embeddings.token_embedding.weight"]
        let pos = params["text_model.embeddings.position_embedding.weight"]
        for (ids, start) in zip(captions, segments.starts) {
            for (t, id) in ids.enumerated() {
                for c in 0..<C {
                    let g = dx[(start + t) * C + c]
                    tok.grad[id * C + c] += g
                    pos.grad[t * C + c] += g
                }
            }
        }
    }
}
