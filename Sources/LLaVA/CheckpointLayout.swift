// The two key layouts of LLaVA checkpoints, mapped to one canonical set of names:
//   hub-era (transformers < 4.52, as uploaded to llava-hf):
//     vision_tower.vision_model.*, multi_modal_projector.*, language_model.model.*, language_model.lm_head.weight
//   transformers ≥ 4.52 / 5.x:
//     model.vision_tower.vision_model.*, model.multi_modal_projector.*, model.language_model.*, lm_head.weight
// Canonical names: vision_tower.vision_model.*, multi_modal_projector.*, language_model.*, lm_head.weight
// (the same renames transformers' _checkpoint_conversion_mapping applies). transformers 5.23's
// save_pretrained also writes the vision tower without its `vision_model.` level
// (`vision_tower.embeddings.*`, `model.vision_tower.encoder.*`); that level is put back.
// *position_ids buffers that old checkpoints carry are dropped.
import LLaVACheckpoint
import LLaVATensor

public enum CheckpointLayout {
    public static let vision = "vision_tower.vision_model."
    public static let projector = "multi_modal_projector."
    public static let text = "language_model."
    public static let lmHead = "lm_head.weight"

    static let renames: [(from: String, to: String)] = [
        ("model.vision_tower.", "vision_tower."),
        ("model.multi_modal_projector.", "multi_modal_projector."),
        ("model.language_model.", "language_model."),
        ("language_model.model.", "language_model."),
        ("language_model.lm_head.", "lm_head."),
    ]

    public static func canonical(_ key: String) -> String {
        var key = key
        for (from, to) in renames where key.hasPrefix(from) {
            key = to + key.dropFirst(from.count)
            break
        }
        if key.hasPrefix("vision_tower."), !key.hasPrefix(vision) {
            key = vision + key.dropFirst("vision_tower.".count)
        }
        return key
    }

    /// Renames every key; two file keys mapping to one name is an error.
    public static func canonicalize(_ tensors: [String: Weight]) throws -> [String: Weight] {
        var out: [String: Weight] = [:]
        var origin: [String: String] = [:]
        for (key, w) in tensors where !key.hasSuffix("position_ids") {
            let name = canonical(key)
            if let first = origin[name] { throw CheckpointError.duplicateKey(key: name, paths: [first, key]) }
            origin[name] = key
            out[name] = w
        }
        return out
    }
}
