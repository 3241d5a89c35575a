// Decoding parity: every fixture input decodes to exactly the uint8 RGB array transformers
// gets from Pillow (`convert_to_rgb(Image.open(path), return_numpy=True)`). Tolerance: none.
import Foundation
import LLaVAImage
import XCTest

final class ImageDecoderTests: XCTestCase {
    func testEveryInputDecodesExactlyAsPillow() throws {
        let names = try ImageFixtures.inputNames()
        XCTAssertGreaterThanOrEqual(names.count, 20)
        for name in names {
            let image = try ImageDecoder.decode(fileAt: ImageFixtures.url("inputs/\(name)"))
            let stem = (name as NSString).deletingPathExtension
            let expected = try NPY(ImageFixtures.url("decoded/\(stem).npy"))
            XCTAssertEqual([image.height, image.width, 3], expected.shape, name)
            assertEqualBytes(name, image.pixels, expected.bytes!)
        }
    }

    func testFormatComesFromMagicBytesNotExtension() throws {
        let bytes = [UInt8](try Data(contentsOf: ImageFixtures.url("inputs/png_rgb8.png")))
        let image = try ImageDecoder.decode(data: bytes, name: "misnamed.jpg")
        let expected = try NPY(ImageFixtures.url("decoded/png_rgb8.npy"))
        assertEqualBytes("png named .jpg", image.pixels, expected.bytes!)
    }
}
