// The multimodal projector: transformers' LlavaMultiModalProjector (linear_1 → GELU → linear_2,
// LLaVA-1.5's "mlp2x_gelu") or LLaVA-1's single linear map H_v = W · Z_v.
import LLaVACheckpoint
import LLaVATensor

public struct LLaVAProjector: Sendable {
    public let type: LLaVAConfig.ProjectorType
    let linear1: Linear     // multi_modal_projector.linear_1: (C_text, C_vision·layers)
    let linear2: Linear?    // multi_modal_projector.linear_2: (C_text, C_text), absent for "linear"

    public init(config: LLaVAConfig, store: WeightStore, prefix: String) throws {
        type = config.projectorType
        let out = config.text.hiddenSize
        linear1 = try store.linear(prefix + "linear_1", out: out, in: config.projectorInputSize, bias: config.projectorBias)
        linear2 = type == .linear ? nil : try store.linear(prefix + "linear_2", out: out, in: out, bias: config.projectorBias)
    }

    /// features (N, C_vision·layers) → (N, C_text).
    public func callAsFunction(_ features: Tensor) -> Tensor {
        var h = linear1(features)
        guard let linear2 else { return h }
        Ops.gelu(&h)  // exact erf GELU, as nn.GELU() in the original and ACT2FN["gelu"] in transformers
        return linear2(h)
    }
}
