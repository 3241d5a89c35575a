// y = x Wᵀ + b, the workhorse of every model here (nn.Linear). W is (out, in) as in PyTorch.
// float32 weights go straight to BLAS; 16-bit weights use a fused convert-and-dot matvec for a
// single row (decode) and are widened tile by tile into a scratch buffer for GEMM (prefill).
import CKernels
import Dispatch
import Foundation

public struct Linear: @unchecked Sendable {
    public let weight: Weight  // (out, in)
    public let bias: [Float]?  // (out)

    public init(weight: Weight, bias: [Float]?) {
        precondition(weight.shape.count == 2, "Linear weight must be 2-D, got \(weight.shape)")
        if let bias { precondition(bias.count == weight.shape[0], "Linear bias \(bias.count) vs out \(weight.shape[0])") }
        self.weight = weight
        self.bias = bias
    }

    public var outFeatures: Int { weight.shape[0] }
    public var inFeatures: Int { weight.shape[1] }

    /// x (T, in) → y (T, out).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.shape.last == inFeatures, "Linear: input \(x.shape) vs in_features \(inFeatures)")
        let T = x.count / inFeatures
        var y = Tensor(zeros: Array(x.shape.dropLast()) + [outFeatures])
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                forward(xp.baseAddress!, rows: T, into: yp.baseAddress!)
            }
        }
        return y
    }

    /// x (T, in) → y (T, out), raw pointers.
    public func forward(_ x: UnsafePointer<Float>, rows T: Int, into y: UnsafeMutablePointer<Float>) {
        let O = outFeatures, I = inFeatures
        switch weight.dtype {
        case .f32:
            let w = weight.pointer.assumingMemoryBound(to: Float.self)
            if T == 1 {
                BLAS.gemv(M: O, N: I, A: w, lda: I, x: x, y: y)
            } else {
                BLAS.gemm(transB: true, M: T, N: O, K: I, A: x, lda: I, B: w, ldb: I, C: y, ldc: O)
            }
        case .bf16, .f16:
            if T == 1 {
                matvec16(x, y)
            } else {
                gemm16(x, rows: T, y)
            }
        }
        if let bias {
            bias.withUnsafeBufferPointer { b in
                for t in 0..<T {
                    let row = y + t * O
                    for o in 0..<O { row[o] += b[o] }
                }
            }
        }
    }

    private func matvec16(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        let O = outFeatures, I = inFeatures
        let w = weight.pointer.assumingMemoryBound(to: UInt16.self)
        let isBF16 = weight.dtype == .bf16
        let parts = O * I >= 1 << 18 ? Parallel.threads : 1
        Parallel.forEach(parts) { p in
            let r0 = O * p / parts, r1 = O * (p + 1) / parts
            if isBF16 { ck_matvec_bf16(w, x, y, I, r0, r1) } else { ck_matvec_f16(w, x, y, I, r0, r1) }
        }
    }

    /// Widens 256 output rows at a time to float32 and multiplies them with BLAS.
    private func gemm16(_ x: UnsafePointer<Float>, rows T: Int, _ y: UnsafeMutablePointer<Float>) {
        let O = outFeatures, I = inFeatures
        let tile = 256
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: tile * I)
        defer { scratch.deallocate() }
        var o0 = 0
        while o0 < O {
            let n = min(tile, O - o0)
            weight.convert(from: o0 * I, count: n * I, into: scratch)
            BLAS.gemm(transB: true, M: T, N: n, K: I, A: x, lda: I, B: scratch, ldb: I, C: y + o0, ldc: O)
            o0 += n
        }
    }
}

/// Splitting work over the machine's cores. Two parts go to CKernels' persistent helper thread
/// (sub-microsecond hand-over); other counts use Dispatch.
public enum Parallel {
    public static var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    public static func forEach(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 { body(0); return }
        if parts == 2 {
            withoutActuallyEscaping(body) { escapable in
                var box = escapable
                withUnsafeMutablePointer(to: &box) { ptr in
                    ck_run2({ ctx, part in
                        ctx!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(part)
                    }, UnsafeMutableRawPointer(ptr))
                }
            }
            return
        }
        DispatchQueue.concurrentPerform(iterations: parts, execute: body)
    }
}
