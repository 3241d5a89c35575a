// LoRA (Hu et al. 2021) on the language model's linear layers: W x + (alpha / r) B A x with
// A (r, in) initialised as peft does (kaiming-uniform, bound 1/√in) and B (out, r) zero, so
// training starts from the base model. Merged into W (W += (alpha / r) B A) when saved.
import LLaVA

public struct LoRAConfig: Sendable, Equatable {
    public var rank: Int
    public var alpha: Float
    /// Projection names inside a decoder layer, e.g. ["q_proj", "v_proj"].
    public var targets: [String]

    public static let allTargets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

    public init(rank: Int, alpha: Float, targets: [String]) {
        self.rank = rank
        self.alpha = alpha
        self.targets = targets
    }

    public var scale: Float { alpha / Float(rank) }

    /// "language_model.layers.3.self_attn.q_proj" → whether that projection gets an adapter.
    func adapts(_ module: String) -> Bool { targets.contains { module.hasSuffix("." + $0) } }

    /// Module path of every adapted projection, with its (out, in) shape.
    func modules(layers: Int, shapes: [String: [Int]]) -> [(String, [Int])] {
        (0..<layers).flatMap { i -> [(String, [Int])] in
            ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
             "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"].compactMap { name in
                let module = CheckpointLayout.text + "layers.\(i)." + name
                guard adapts(module), let shape = shapes[module + ".weight"] else { return nil }
                return (module, shape)
            }
        }
    }
}
