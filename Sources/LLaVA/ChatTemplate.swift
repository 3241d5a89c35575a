// Built-in chat templates for `llava generate --prompt`. Each turns a user message into the raw
// prompt the model was trained on, with `<image>` where the image goes:
//   llava-1.5  — llava-hf's chat_template.json: "USER: <image>\n{prompt} ASSISTANT:" (no system prompt)
//   vicuna_v1  — original LLaVA conv_vicuna_v1: system sentence + " USER: <image>\n{prompt} ASSISTANT:"
//   mistral    — llava-v1.6-mistral: "[INST] <image>\n{prompt} [/INST]"
import Foundation

public enum ChatTemplate: String, CaseIterable, Sendable {
    case llava15 = "llava-1.5"
    case vicunaV1 = "vicuna_v1"
    case mistral

    /// conv_vicuna_v1.system in the original LLaVA (llava/conversation.py).
    public static let vicunaSystem = "A chat between a curious user and an artificial intelligence assistant. "
        + "The assistant gives helpful, detailed, and polite answers to the user's questions."

    public static func named(_ name: String) throws -> ChatTemplate {
        guard let t = ChatTemplate(rawValue: name) else {
            throw LLaVAError.unknownTemplate(name, supported: allCases.map(\.rawValue))
        }
        return t
    }

    /// The template a checkpoint implies: a chat template using [INST], or a Mistral text model,
    /// means mistral; one holding Vicuna's system sentence means vicuna_v1; otherwise llava-1.5.
    public static func detect(directory: URL, textModelType: String) -> ChatTemplate {
        for file in ["chat_template.jinja", "chat_template.json", "tokenizer_config.json"] {
            guard let text = try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8) else { continue }
            if text.contains("[INST]") { return .mistral }
            if text.contains("A chat between a curious user") { return .vicunaV1 }
        }
        return textModelType == "mistral" ? .mistral : .llava15
    }

    /// A Jinja chat template equivalent to `vicunaV1` for one user turn (written into checkpoints
    /// trained with the llava_v1 template, so `--prompt` and transformers' apply_chat_template agree).
    public static let vicunaV1Jinja = "{{ '" + vicunaSystem.replacingOccurrences(of: "'", with: "\\'") + "' }}"
        + "{% for message in messages %}{% if message['role'] == 'user' %}{{ ' USER: ' }}"
        + "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}"
        + "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] }}{% endfor %}"
        + "{% elif message['role'] == 'assistant' %}{{ ' ASSISTANT: ' + message['content'][0]['text'] + '</s>' }}{% endif %}{% endfor %}"
        + "{% if add_generation_prompt %}{{ ' ASSISTANT:' }}{% endif %}"

    /// The raw prompt for one user message about one image (the image goes first, as LLaVA does).
    public func render(_ message: String) -> String {
        switch self {
        case .llava15: return "USER: <image>\n\(message) ASSISTANT:"
        case .vicunaV1: return "\(Self.vicunaSystem) USER: <image>\n\(message) ASSISTANT:"
        case .mistral: return "[INST] <image>\n\(message) [/INST]"
        }
    }
}
