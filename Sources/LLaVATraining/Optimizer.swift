// AdamW with decoupled weight decay, exactly as torch.optim.AdamW (foreach=False) computes it in
// float32, plain SGD, and transformers' cosine-with-warmup learning-rate schedule.
import Foundation

public enum OptimizerKind: String, Sendable { case adamw, sgd }

public final class Optimizer {
    public let kind: OptimizerKind
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var eps: Float = 1e-8
    public var weightDecay: Float
    public private(set) var step = 0
    /// First and second moments, parallel to ParameterSet.values (AdamW only).
    public private(set) var m: [Float]
    public private(set) var v: [Float]

    public init(kind: OptimizerKind, parameterCount: Int, weightDecay: Float) {
        self.kind = kind
        self.weightDecay = weightDecay
        m = kind == .adamw ? [Float](repeating: 0, count: parameterCount) : []
        v = m
    }

    /// Restores state saved by `state` (for --resume).
    public func restore(step: Int, m: [Float], v: [Float]) {
        self.step = step
        self.m = m
        self.v = v
    }

    /// One update of every trainable parameter with learning rate `lr`.
    ///   AdamW: p ← p − lr·wd·p (matrices only); m ← m + (1−β1)(g − m); v ← β2 v + (1−β2) g²;
    ///          p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
    ///   SGD:   p ← p − lr·g
    public func update(_ params: ParameterSet, lr: Float) {
        step += 1
        // Scalars in double, as torch computes them in Python before the float32 tensor ops.
        let bc1 = 1 - pow(Double(beta1), Double(step))
        let bc2Sqrt = Float((1 - pow(Double(beta2), Double(step))).squareRoot())
        let stepSize = Float(Double(lr) / bc1)
        for e in params.entries where e.trainable {
            let p = params.values + e.offset, g = params.grads + e.offset
            switch kind {
            case .sgd:
                for i in 0..<e.count { p[i] -= lr * g[i] }
            case .adamw:
                let decay = e.decay ? 1 - lr * weightDecay : 1
                m.withUnsafeMutableBufferPointer { mb in
                    v.withUnsafeMutableBufferPointer { vb in
                        let mp = mb.baseAddress! + e.offset, vp = vb.baseAddress! + e.offset
                        for i in 0..<e.count {
                            p[i] *= decay
                            mp[i] += (1 - beta1) * (g[i] - mp[i])  // exp_avg.lerp_(grad, 1 − β1)
                            vp[i] = vp[i] * beta2 + (1 - beta2) * g[i] * g[i]
                            let denom = vp[i].squareRoot() / bc2Sqrt + eps
                            p[i] -= stepSize * mp[i] / denom
                        }
                    }
                }
            }
        }
    }
}

/// transformers.get_cosine_schedule_with_warmup: lr · s/w during warmup (s counted from 0 at the
/// first optimizer step), then lr · ½(1 + cos(π · progress)).
public struct CosineSchedule: Sendable {
    public let peak: Float
    public let warmupSteps: Int
    public let totalSteps: Int

    public init(peak: Float, warmupRatio: Double, totalSteps: Int) {
        self.peak = peak
        self.totalSteps = totalSteps
        warmupSteps = Int((warmupRatio * Double(totalSteps)).rounded(.up))
    }

    /// Learning rate of optimizer step `s` (0-based).
    public func lr(at s: Int) -> Float {
        if s < warmupSteps { return peak * Float(s) / Float(max(1, warmupSteps)) }
        let progress = Double(s - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        return peak * Float(max(0, 0.5 * (1 + cos(Double.pi * progress))))
    }
}
