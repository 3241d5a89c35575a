// Preprocessing parity with transformers 5.23's PIL path (CLIPImageProcessorPil,
// LlavaImageProcessorPil) on the fixture photographs, for the real configs (CLIP 224,
// LLaVA-1.5 336, LLaVA-1.5 336 with pad-to-square) and small configs covering the other
// fields. Tolerance: 0. The issue allows one uint8 level (1/255/std ~ 0.015); every step
// here is integer or the same float32 operation numpy does, so the output is bit-identical
// on Linux. Lanczos/Hamming weights use libm sin/cos: another libm could move a weight by an ulp.
import Foundation
import LLaVAImage
import XCTest

final class ImageProcessorTests: XCTestCase {
    func config(_ name: String) throws -> ImageProcessorConfig {
        try ImageProcessorConfig(directory: ImageFixtures.url("configs/\(name)"))
    }

    func testEveryCaseMatchesTransformers() throws {
        let cases = try ImageFixtures.cases()
        XCTAssertGreaterThanOrEqual(cases.count, 13)
        var worst: Float = 0
        for c in cases {
            let processor = ImageProcessor(config: try config(c.config))
            let image = try ImageDecoder.decode(fileAt: ImageFixtures.url("inputs/\(c.input)"))
            let out = try processor.preprocess(image)
            XCTAssertEqual([out.channels, out.height, out.width], c.shape, "\(c.config)/\(c.input)")
            let size = processor.outputSize(height: image.height, width: image.width)
            XCTAssertEqual([size.height, size.width], Array(c.shape[1...]), "\(c.config)/\(c.input) outputSize")

            let reference = try NPY(ImageFixtures.url(c.file))
            let expected: [Float]
            if let floats = reference.floats {
                expected = floats
            } else {
                // uint8 after pad/resize/crop; levels[c, v] is transformers' float for level v.
                let levels = try NPY(ImageFixtures.url("levels/\(c.config).npy")).floats!
                let u8 = reference.bytes!
                let plane = u8.count / 3
                expected = u8.indices.map { levels[256 * ($0 / plane) + Int(u8[$0])] }
            }
            worst = max(worst, assertClose("\(c.config)/\(c.input)", out.values, expected, tolerance: 0))
        }
        print("preprocess vs transformers: max |diff| \(worst) over \(cases.count) cases")
    }

    func testLevelTablesMatchRescaleAndNormalize() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: ImageFixtures.url("configs").path)
        XCTAssertGreaterThanOrEqual(names.count, 9)
        for name in names.sorted() {
            let table = ImageProcessor(config: try config(name)).levelTable()
            let expected = try NPY(ImageFixtures.url("levels/\(name).npy")).floats!
            assertClose("levels \(name)", table, expected, tolerance: 0)
        }
    }

    func testConfigsResolveAsTransformersDoes() throws {
        let clip = try config("clip224")  // legacy CLIPFeatureExtractor with integer sizes
        XCTAssertEqual(clip.kind, .clip)
        XCTAssertEqual(clip.size, .shortestEdge(224))
        XCTAssertEqual([clip.cropHeight, clip.cropWidth], [224, 224])
        XCTAssertEqual(clip.resample, 3)
        XCTAssertEqual(clip.rescaleFactor, 1.0 / 255.0)
        XCTAssertFalse(clip.doPad)

        let pad = try config("llava336_pad")
        XCTAssertEqual(pad.kind, .llava)
        XCTAssertTrue(pad.doPad)
        XCTAssertEqual(pad.size, .shortestEdge(336))
        let bg = ImageProcessor(config: pad).backgroundColor
        XCTAssertEqual([bg.0, bg.1, bg.2], [122, 116, 104])  // expand2square's colour

        let capped = try config("small_hamming_capped_norescale")
        XCTAssertEqual(capped.size, .shortestEdgeCapped(shortest: 32, longest: 40))
        XCTAssertEqual([capped.cropHeight, capped.cropWidth], [30, 26])
        XCTAssertFalse(capped.doRescale)

        let list = try config("small_box_list_nonorm")
        XCTAssertEqual(list.size, .exact(height: 24, width: 36))
        XCTAssertFalse(list.doCenterCrop)  // null is None in transformers: falsy, no crop

        let scalar = try config("small_lanczos_croppad")
        XCTAssertEqual(scalar.imageMean, [0.5, 0.5, 0.5])
    }

    func testShortestEdgeTruncates() throws {
        let processor = ImageProcessor(config: try config("llava336"))
        // 1920x1080: int(336 * 1920 / 1080) = int(597.33) = 597, then the 336 crop.
        XCTAssertEqual(processor.outputSize(height: 1080, width: 1920).width, 336)
        var noCrop = try config("llava336")
        noCrop.doCenterCrop = false
        let size = ImageProcessor(config: noCrop).outputSize(height: 1080, width: 1920)
        XCTAssertEqual([size.height, size.width], [336, 597])
        let tall = ImageProcessor(config: noCrop).outputSize(height: 1000, width: 3)
        XCTAssertEqual([tall.height, tall.width], [112000, 336])
    }
}
