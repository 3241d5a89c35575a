// The TemplateProcessing post-processor for a single sequence (tokenizers 0.23 `processors::template`):
// special tokens before and after `$A`, added only when `add_special_tokens` is true.
import Foundation

struct PostProcessor {
    /// Ids placed before the sequence, e.g. [1] for `<s> $A`.
    var prefix: [Int32] = []
    /// Ids placed after the sequence, e.g. [2] for `$A </s>`.
    var suffix: [Int32] = []

    static let supported = ["TemplateProcessing"]
    static let none = PostProcessor()
}
