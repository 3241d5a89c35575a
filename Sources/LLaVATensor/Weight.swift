// A read-only parameter tensor as stored in a checkpoint: float32, bfloat16 or float16 bits,
// usually pointing into a memory-mapped safetensors file (no copy). 16-bit weights stay 16-bit
// in memory; kernels convert on the fly (matvec) or tile by tile (GEMM).
import CKernels

public enum DType: String, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"

    public var byteSize: Int { self == .f32 ? 4 : 2 }
}

public struct Weight: @unchecked Sendable {
    public let shape: [Int]
    public let dtype: DType
    /// Start of the elements; valid while `owner` lives.
    public let pointer: UnsafeRawPointer
    /// Keeps the backing memory (a mapped file or an owned buffer) alive.
    public let owner: AnyObject

    public init(shape: [Int], dtype: DType, pointer: UnsafeRawPointer, owner: AnyObject) {
        self.shape = shape
        self.dtype = dtype
        self.pointer = pointer
        self.owner = owner
    }

    /// An owned float32 weight (used for freshly initialised or trained parameters).
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "Weight: \(values.count) values for shape \(shape)")
        let buffer = OwnedBuffer(floats: values)
        self.init(shape: shape, dtype: .f32, pointer: UnsafeRawPointer(buffer.pointer), owner: buffer)
    }

    public var count: Int { shape.reduce(1, *) }
    public var byteCount: Int { count * dtype.byteSize }

    /// Elements [start, start + n) converted to float32 into `dst`.
    public func convert(from start: Int, count n: Int, into dst: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .f32: dst.update(from: pointer.assumingMemoryBound(to: Float.self) + start, count: n)
        case .bf16: ck_bf16_to_f32(pointer.assumingMemoryBound(to: UInt16.self) + start, dst, n)
        case .f16: ck_f16_to_f32(pointer.assumingMemoryBound(to: UInt16.self) + start, dst, n)
        }
    }

    /// All elements as float32.
    public func floats() -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buf, n in
            convert(from: 0, count: count, into: buf.baseAddress!)
            n = count
        }
    }
}

/// 64-byte aligned heap memory owned by a Weight.
public final class OwnedBuffer {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(floats: [Float]) {
        count = floats.count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        floats.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }

    deinit { pointer.deallocate() }
}
