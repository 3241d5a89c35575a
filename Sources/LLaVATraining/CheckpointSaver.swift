// Writing a trained LLaVA as a Hugging Face checkpoint directory that transformers'
// LlavaForConditionalGeneration.from_pretrained loads: config.json and the processor/tokenizer
// files copied byte for byte from the source checkpoint (re-serialising would turn 1.0 into 1,
// which transformers 5's strict config validation rejects), model.safetensors in the hub-era key layout
// (vision_tower.vision_model.*, multi_modal_projector.*, language_model.model.*,
// language_model.lm_head.weight), LoRA adapters merged into their weights.
//
// Atomicity: every file is written to a temporary name and renamed into place, and a training
// checkpoint (weights + optimizer + trainer state) is first assembled in a hidden directory that
// is renamed to checkpoint-<step> in one step. A kill at any moment leaves either the previous
// complete checkpoint or the new one.
import Foundation
import LLaVA
import LLaVACheckpoint
import LLaVATensor

public enum CheckpointSaver {
    /// Hub-era file name of a canonical parameter name.
    static func fileKey(_ name: String) -> String {
        if name == CheckpointLayout.lmHead { return "language_model.lm_head.weight" }
        if name.hasPrefix(CheckpointLayout.text) { return "language_model.model." + name.dropFirst(CheckpointLayout.text.count) }
        return name
    }

    /// The model's tensors: frozen vision weights as stored, trained parameters in float32.
    public static func modelFile(_ model: TrainableLLaVA, tensors: [String: Weight]) throws -> Data {
        var writer = SafeTensorsWriter()
        for (name, w) in tensors.sorted(by: { $0.key < $1.key }) where name.hasPrefix(CheckpointLayout.vision) {
            writer.add(name, weight: w)
        }
        let p = model.params
        for e in p.entries where !e.name.hasSuffix(".lora_A") && !e.name.hasSuffix(".lora_B") {
            var values = p.floats(e.name)
            let module = String(e.name.dropLast(".weight".count))
            if let lora = model.lora, e.name.hasSuffix(".weight"), p.contains(module + ".lora_A") {
                // W += s · B A, B (O, r), A (r, I)
                let A = p[module + ".lora_A"], B = p[module + ".lora_B"]
                let O = e.shape[0], I = e.shape[1]
                values.withUnsafeMutableBufferPointer { w in
                    BLAS.gemm(M: O, N: I, K: lora.rank, alpha: lora.scale, A: B.value, lda: lora.rank, B: A.value, ldb: I,
                              beta: 1, C: w.baseAddress!, ldc: I)
                }
            }
            writer.add(fileKey(e.name), shape: e.shape, values: values)
        }
        return try writer.encoded()
    }

    /// Files copied from the source checkpoint: everything except weights and training state.
    static func auxiliaryFiles(in source: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: source, includingPropertiesForKeys: nil).filter { url in
            let name = url.lastPathComponent
            return !name.hasPrefix("model") && !name.hasPrefix(".") && !name.hasPrefix("checkpoint-")
                && name != "optimizer.safetensors" && name != "trainer_state.json" && name != "metrics.jsonl"
                && !url.hasDirectoryPath
        }
    }

    /// Writes a complete HF checkpoint into `directory` (created), each file atomically.
    public static func writeModel(_ model: TrainableLLaVA, tensors: [String: Weight], source: URL, to directory: URL,
                                  extra: [String: Data] = [:]) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        try modelFile(model, tensors: tensors).write(to: directory.appendingPathComponent("model.safetensors"), options: .atomic)
        for file in try auxiliaryFiles(in: source) where file.standardizedFileURL.deletingLastPathComponent() != directory.standardizedFileURL {
            try Data(contentsOf: file).write(to: directory.appendingPathComponent(file.lastPathComponent), options: .atomic)
        }
        for (name, data) in extra { try data.write(to: directory.appendingPathComponent(name), options: .atomic) }
    }
}
