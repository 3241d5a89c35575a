// `llava generate`: one image and a prompt in, generated text out (streamed), optionally the
// ids as JSON on the last line and the prompt logits as .npy.
import ArgumentParser
import Foundation
import LLaVA
import LLaVACheckpoint
import LLaVATokenizer

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Answer a prompt about an image.")

    @Option(help: "Checkpoint directory (Hugging Face LLaVA format).") var model: String
    @Option(help: "Image file (JPEG or PNG).") var image: String
    @Option(help: "User message; the chat template wraps it and adds <image>.") var prompt: String?
    @Option(name: .customLong("raw-prompt"), help: "Prompt given to the tokenizer verbatim; must contain <image>.") var rawPrompt: String?
    @Option(help: "Chat template for --prompt: llava-1.5, vicuna_v1 or mistral (default: from the checkpoint).") var template: String?
    @Option(name: .customLong("max-tokens"), help: "Most tokens to generate.") var maxTokens = 256
    @Option(help: "Sampling temperature; 0 is greedy.") var temperature: Float = 0
    @Option(name: .customLong("top-p"), help: "Nucleus sampling mass (1 = off).") var topP: Float = 1
    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0 = off).") var topK = 0
    @Option(help: "Random seed for sampling.") var seed: UInt64 = 0
    @Flag(help: "Print {\"input_ids\", \"output_ids\", \"text\"} as JSON on the last line.") var json = false
    @Option(name: .customLong("dump-logits"), help: "Write the prompt logits [prompt_length, vocab_size] as float32 .npy.") var dumpLogits: String?

    func validate() throws {
        guard (prompt == nil) != (rawPrompt == nil) else { throw ValidationError("give exactly one of --prompt and --raw-prompt") }
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be ≥ 0") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be ≥ 0") }
        guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard topK >= 0 else { throw ValidationError("--top-k must be ≥ 0") }
    }

    func run() throws {
        try reportingErrors {
            let directory = URL(fileURLWithPath: model)
            let pipeline = try LLaVAPipeline(directory: directory)
            let text: String
            if let rawPrompt {
                text = rawPrompt
            } else {
                let t = try template.map(ChatTemplate.named)
                    ?? ChatTemplate.detect(directory: directory, textModelType: pipeline.model.config.text.modelType)
                text = t.render(prompt!)
            }
            let ids = try pipeline.promptIDs(rawPrompt: text)
            let pixels = try pipeline.pixels(imageAt: URL(fileURLWithPath: image))
            var stream = StreamingDetokenizer(tokenizer: pipeline.tokenizer, skipSpecialTokens: true)
            let output = try pipeline.generate(
                inputIDs: ids, pixels: pixels.values, maxTokens: maxTokens,
                sampling: SamplingOptions(temperature: temperature, topK: topK, topP: topP, seed: seed),
                promptLogits: dumpLogits != nil
            ) { id in emit(stream.append(id)) }
            emit(stream.finish())
            let finalText = pipeline.tokenizer.decode(output.outputIDs, skipSpecialTokens: true)
            emit("\n")
            if let dumpLogits, let logits = output.promptLogits {
                try NPYArray(float32: logits.data, shape: logits.shape).write(to: URL(fileURLWithPath: dumpLogits))
            }
            if json {
                emit("{\"input_ids\": \(jsonArray(output.inputIDs)), \"output_ids\": \(jsonArray(output.outputIDs)), "
                    + "\"text\": \(jsonString(finalText))}\n")
            }
        }
    }
}
