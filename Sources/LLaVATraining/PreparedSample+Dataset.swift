// From a LLaVA-format JSON file to training samples: load, apply the template, tokenize with
// answer-only labels. Shared by `llava train` and `llava demo`, so both train on identical ids.
import Foundation
import LLaVA
import LLaVATokenizer

extension PreparedSample {
    public static func load(
        data: URL, imageFolder: URL?, template: ConversationTemplate, tokenizer: Tokenizer, config: LLaVAConfig,
        maxLength: Int? = nil, skipMissingImages: Bool = false
    ) throws -> (samples: [PreparedSample], stats: TokenizationStats, skipped: Int) {
        let (dataset, skipped) = try LLaVADataset.load(file: data, imageFolder: imageFolder,
                                                       missingImages: skipMissingImages ? .skip : .fail)
        let (tokenized, stats) = try dataset.tokenized(template: template, tokenizer: tokenizer,
                                                       imageTokenCount: config.imageTokenCount,
                                                       maxLength: maxLength ?? config.text.maxPositionEmbeddings)
        return (tokenized.map { PreparedSample(ids: $0.ids, labels: $0.labels, imagePath: $0.imagePath) }, stats, skipped)
    }
}
