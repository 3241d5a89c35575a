// Golden parity with tokenizers 0.23.3 (`file` goldens) and transformers 5.23.0 AutoTokenizer
// (`directory` goldens) on the corpus of Tools/fixtures/make_tokenizer_fixtures.py: several scripts,
// emoji sequences, combining marks, whitespace runs, code, long repeats, and special tokens inline.
// Exact comparison: ids and decoded strings have no tolerance.
import LLaVATokenizer
import XCTest

final class TokenizerGoldenTests: XCTestCase {
    // The Mistral 7B SentencePiece model (32,000 pieces + <image>, <pad>).
    func testMistralLegacyNormalizerMatchesTokenizers() throws { try checkGolden("mistral-legacy") }
    func testMistralMetaspaceListMergesMatchesTokenizers() throws { try checkGolden("mistral-metaspace") }
    func testMistralDirectoryMatchesTransformers() throws { try checkGolden("mistral-transformers") }

    // The small tokenizer of the model fixtures (Tools/fixtures/small_tokenizer.py), through every supported
    // pipeline shape.
    func testSmallMetaspaceFirst() throws { try checkGolden("small-metaspace-first") }
    func testSmallMetaspaceFirstSplitWithMetaspaceDecoder() throws { try checkGolden("small-metaspace-first-split") }
    func testSmallMetaspaceAlways() throws { try checkGolden("small-metaspace-always-nosplit") }
    func testSmallMetaspaceAlwaysSplit() throws { try checkGolden("small-metaspace-always-split") }
    func testSmallMetaspaceNever() throws { try checkGolden("small-metaspace-never-nosplit") }
    func testSmallMetaspaceNeverSplit() throws { try checkGolden("small-metaspace-never-split") }
    func testSmallLegacyNormalizerStringMerges() throws { try checkGolden("small-legacy") }
    func testSmallAddedTokenFlagsMetaspace() throws { try checkGolden("small-flags-metaspace") }
    func testSmallAddedTokenFlagsLegacy() throws { try checkGolden("small-flags-legacy") }
    func testSmallNoTemplateIgnoreMerges() throws { try checkGolden("small-no-template") }
    func testSmallUnknownFused() throws { try checkGolden("small-unk-fused") }
    func testSmallUnknownUnfused() throws { try checkGolden("small-unk-unfused") }
    func testSmallUnknownDropped() throws { try checkGolden("small-unk-none") }
    func testSmallDirectoryMatchesTransformers() throws { try checkGolden("small-transformers") }
}
