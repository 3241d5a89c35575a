// Hands out a checkpoint's tensors to the model being built and verifies the match both ways:
// every tensor the config needs is present with the right shape, and every tensor in the files
// is used. Missing keys are collected (not thrown one by one) so the error lists them all.
import LLaVATensor

public final class WeightStore {
    public let directory: String
    private var tensors: [String: Weight]
    private var used: Set<String> = []
    private var missing: [String] = []
    /// Backing for placeholders handed out for missing keys; never read, since `finish()` throws.
    private let placeholder = OwnedBuffer(floats: [0])

    /// `tensors` must already use the canonical names the models ask for.
    public init(tensors: [String: Weight], directory: String) {
        self.tensors = tensors
        self.directory = directory
    }

    public func contains(_ key: String) -> Bool { tensors[key] != nil }

    /// The tensor `key`, which must have `shape`.
    public func weight(_ key: String, _ shape: [Int]) throws -> Weight {
        guard let w = tensors[key] else {
            missing.append(key)
            return Weight(shape: shape, dtype: .f32, pointer: UnsafeRawPointer(placeholder.pointer), owner: placeholder)
        }
        guard w.shape == shape else { throw CheckpointError.shapeMismatch(key: key, expected: shape, actual: w.shape) }
        used.insert(key)
        return w
    }

    /// The tensor `key` converted to float32 (norm weights, biases, embeddings of small size).
    public func floats(_ key: String, _ shape: [Int]) throws -> [Float] {
        let w = try weight(key, shape)
        return tensors[key] == nil ? [Float](repeating: 0, count: shape.reduce(1, *)) : w.floats()
    }

    /// nn.Linear `prefix`.weight (out, in) and, if `bias`, `prefix`.bias (out).
    public func linear(_ prefix: String, out: Int, in inFeatures: Int, bias: Bool) throws -> Linear {
        let w = try weight(prefix + ".weight", [out, inFeatures])
        let b = bias ? try floats(prefix + ".bias", [out]) : nil
        return Linear(weight: w, bias: b)
    }

    /// Marks keys as deliberately unused (e.g. CLIP layers after the selected one, post_layernorm).
    public func ignore(where predicate: (String) -> Bool) {
        for key in tensors.keys where predicate(key) { used.insert(key) }
    }

    /// Throws if any requested key was missing or any tensor in the files was never used.
    public func finish() throws {
        if !missing.isEmpty { throw CheckpointError.missingKeys(directory: directory, keys: missing.sorted()) }
        let unused = tensors.keys.filter { !used.contains($0) }.sorted()
        if !unused.isEmpty { throw CheckpointError.unusedKeys(directory: directory, keys: unused) }
    }
}
