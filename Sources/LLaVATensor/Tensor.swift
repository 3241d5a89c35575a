// A dense float32 activation tensor: a shape and a flat row-major buffer. Models pass these
// between layers; kernels work on the buffer through unsafe pointers.
public struct Tensor: Sendable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(data.count == shape.reduce(1, *), "Tensor: \(data.count) values for shape \(shape)")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    public var count: Int { data.count }
    /// Size of the last dimension.
    public var cols: Int { shape.last ?? 1 }
    /// Product of all but the last dimension.
    public var rows: Int { cols == 0 ? 0 : count / cols }

    /// Rows [start, end) of a tensor viewed as (rows, cols).
    public func rows(_ range: Range<Int>) -> Tensor {
        Tensor(shape: [range.count, cols], data: Array(data[range.lowerBound * cols..<range.upperBound * cols]))
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "Tensor +: \(a.shape) vs \(b.shape)")
        var out = a
        out.add(b)
        return out
    }

    public mutating func add(_ b: Tensor) {
        precondition(count == b.count, "Tensor add: \(shape) vs \(b.shape)")
        data.withUnsafeMutableBufferPointer { o in
            b.data.withUnsafeBufferPointer { p in
                for i in 0..<o.count { o[i] += p[i] }
            }
        }
    }
}
