// Trainable parameters in one float32 allocation with named views (as llm.c does): values,
// gradients and the optimizer's moments are parallel flat buffers, so the optimizer, gradient
// clipping and checkpointing are loops over one array.
import LLaVATensor

/// One parameter's views into a ParameterSet.
public struct Param {
    public let name: String
    public let shape: [Int]
    public let value: UnsafeMutablePointer<Float>
    public let grad: UnsafeMutablePointer<Float>
    public let trainable: Bool
    public var count: Int { shape.reduce(1, *) }
}

public final class ParameterSet {
    public struct Entry {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public let count: Int
        public let trainable: Bool
        /// AdamW decays matrices only: no decay on norm weights and biases (1-D tensors).
        public var decay: Bool { shape.count >= 2 }
    }

    public private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]
    public let count: Int
    public let values: UnsafeMutablePointer<Float>
    public let grads: UnsafeMutablePointer<Float>

    /// Builds the set from (name, shape, initial values, trainable) in order.
    public init(_ specs: [(name: String, shape: [Int], values: [Float], trainable: Bool)]) {
        var offset = 0
        for s in specs {
            precondition(s.values.count == s.shape.reduce(1, *), "\(s.name): \(s.values.count) values for \(s.shape)")
            precondition(index[s.name] == nil, "duplicate parameter \(s.name)")
            index[s.name] = entries.count
            entries.append(Entry(name: s.name, shape: s.shape, offset: offset, count: s.values.count, trainable: s.trainable))
            offset += s.values.count
        }
        count = offset
        values = .allocate(capacity: max(offset, 1))
        grads = .allocate(capacity: max(offset, 1))
        grads.initialize(repeating: 0, count: max(offset, 1))
        for (s, e) in zip(specs, entries) {
            s.values.withUnsafeBufferPointer { (values + e.offset).initialize(from: $0.baseAddress!, count: e.count) }
        }
    }

    deinit {
        values.deallocate()
        grads.deallocate()
    }

    public subscript(_ name: String) -> Param {
        guard let i = index[name] else { preconditionFailure("no parameter \(name)") }
        let e = entries[i]
        return Param(name: e.name, shape: e.shape, value: values + e.offset, grad: grads + e.offset, trainable: e.trainable)
    }

    public func contains(_ name: String) -> Bool { index[name] != nil }

    public func floats(_ name: String) -> [Float] {
        let p = self[name]
        return Array(UnsafeBufferPointer(start: p.value, count: p.count))
    }

    public func gradient(_ name: String) -> [Float] {
        let p = self[name]
        return Array(UnsafeBufferPointer(start: p.grad, count: p.count))
    }

    public func zeroGrads() { grads.initialize(repeating: 0, count: count) }

    public var trainableCount: Int { entries.filter(\.trainable).reduce(0) { $0 + $1.count } }

    /// √(Σ g²) over trainable parameters.
    public func gradNorm() -> Double {
        var s = 0.0
        for e in entries where e.trainable {
            let g = grads + e.offset
            for i in 0..<e.count { s += Double(g[i]) * Double(g[i]) }
        }
        return s.squareRoot()
    }

    public func scaleGrads(_ k: Float) {
        for e in entries where e.trainable {
            let g = grads + e.offset
            for i in 0..<e.count { g[i] *= k }
        }
    }
}
