// Errors of `llava demo` itself (the stages report their own: data, checkpoint, training errors).
public enum DemoError: Error, CustomStringConvertible, Equatable {
    case pretrainedMismatch(String, String)

    public var description: String {
        switch self {
        case let .pretrainedMismatch(path, reason):
            return "llava demo: cannot reuse the pretrained CLIP and Llama in \(path): \(reason). "
                + "Pass the output directory of a finished `llava demo` run with the same --seed and --quick setting."
        }
    }
}
