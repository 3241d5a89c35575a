// Bad images and bad configs: each gives a typed error whose message names the file,
// checked word for word; oversized headers are refused before any pixel buffer exists.
import Foundation
import LLaVAImage
import XCTest

final class ImageErrorTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("llava-image-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: ImageFixtures.url("inputs/\(name)")))
    }

    func assertDecodeFails(_ url: URL, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ImageDecoder.decode(fileAt: url), file: file, line: line) { error in
            XCTAssertEqual("\(error)", message, file: file, line: line)
        }
    }

    func testEmptyFile() throws {
        let url = try write("empty.jpg", [])
        assertDecodeFails(url, "Cannot decode image \(url.path): the file is empty (0 bytes). "
            + "Check that it was downloaded or copied completely.")
    }

    func testNotAnImage() throws {
        let url = try write("notes.png", Array("hello, this is text\n".utf8))
        assertDecodeFails(url, "Cannot decode image \(url.path): it is neither a JPEG nor a PNG file. "
            + "Only JPEG and PNG are supported: convert it first.")
        let gif = try write("anim.jpg", Array("GIF89a\u{1}\u{0}\u{1}\u{0}".utf8))
        assertDecodeFails(gif, "Cannot decode image \(gif.path): it is a GIF file. "
            + "Only JPEG and PNG are supported: convert it first.")
    }

    func testMissingFileAndDirectory() throws {
        let missing = dir.appendingPathComponent("nope.jpg")
        assertDecodeFails(missing, "Cannot read image file \(missing.path): no such file. "
            + "Check the path and its permissions.")
        assertDecodeFails(dir, "Cannot read image file \(dir.path): it is a directory. "
            + "Check the path and its permissions.")
    }

    func testTruncatedJPEG() throws {
        let bytes = try fixture("jpeg_420.jpg")
        for (name, count) in [("half.jpg", bytes.count / 2), ("header.jpg", 300), ("noeoi.jpg", bytes.count - 2)] {
            let url = try write(name, Array(bytes[..<count]))
            assertDecodeFails(url, "Cannot decode image \(url.path): the JPEG data ends before the image is "
                + "complete (truncated file). Download or export it again.")
        }
    }

    func testTruncatedPNG() throws {
        let bytes = try fixture("png_rgb8.png")
        for (name, count) in [("half.png", bytes.count / 2), ("header.png", 40)] {
            let url = try write(name, Array(bytes[..<count]))
            assertDecodeFails(url, "Cannot decode image \(url.path): the PNG data ends before the image is "
                + "complete (truncated file). Download or export it again.")
        }
    }

    /// Pillow stops after the image data, so a PNG without its IEND chunk still decodes.
    func testPNGWithoutIENDDecodes() throws {
        let bytes = try fixture("png_rgb8.png")
        let url = try write("noiend.png", Array(bytes[..<(bytes.count - 12)]))
        let expected = try NPY(ImageFixtures.url("decoded/png_rgb8.npy"))
        XCTAssertEqual(try ImageDecoder.decode(fileAt: url).pixels, expected.bytes!)
    }

    func testCorruptPNG() throws {
        var bytes = try fixture("png_rgb8.png")
        bytes[29] ^= 0xFF  // a byte of the IHDR CRC
        let url = try write("crc.png", bytes)
        assertDecodeFails(url, "Cannot decode image \(url.path): the PNG data is corrupt (IHDR: CRC error). "
            + "Export it again.")
    }

    func testTwelveBitJPEGIsUnsupported() throws {
        var bytes = try fixture("jpeg_420.jpg")
        let sof = try XCTUnwrap(sofOffset(bytes))
        bytes[sof + 4] = 12  // sample precision 12: libjpeg-turbo's 8-bit decoder refuses it
        let url = try write("precision.jpg", bytes)
        assertDecodeFails(url, "Cannot decode image \(url.path): Unsupported JPEG data precision 12 is not "
            + "supported. Convert it to an 8-bit RGB JPEG or PNG first.")
    }

    func testCorruptJPEG() throws {
        var bytes = try fixture("jpeg_420.jpg")
        let sof = try XCTUnwrap(sofOffset(bytes))
        bytes[sof + 5] = 0  // height 0 (a later DNL marker would give it; libjpeg does not support that)
        bytes[sof + 6] = 0
        let url = try write("zero-height.jpg", bytes)
        assertDecodeFails(url, "Cannot decode image \(url.path): the JPEG data is corrupt "
            + "(Empty JPEG image (DNL not supported)). Export it again.")
    }

    /// 65000x65000 (JPEG sizes are 16-bit): refused from the header, nothing allocated.
    func testHugeJPEGHeader() throws {
        var bytes = try fixture("jpeg_420.jpg")
        let sof = try XCTUnwrap(sofOffset(bytes))
        bytes.replaceSubrange((sof + 5)..<(sof + 9), with: [0xFD, 0xE8, 0xFD, 0xE8])  // height, width
        let url = try write("huge.jpg", bytes)
        assertDecodeFails(url, "Cannot decode image \(url.path): its header declares 65000x65000 pixels, "
            + "more than the limit of 268435456. Downscale it first.")
    }

    /// A PNG whose IHDR (with a valid CRC) claims 100000x100000 RGB pixels.
    func testHugePNGHeader() throws {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        bytes += chunk("IHDR", be32(100_000) + be32(100_000) + [8, 2, 0, 0, 0])
        bytes += chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
        bytes += chunk("IEND", [])
        let url = try write("huge.png", bytes)
        assertDecodeFails(url, "Cannot decode image \(url.path): its header declares 100000x100000 pixels, "
            + "more than the limit of 268435456. Downscale it first.")
    }

    func testCMYKIsConvertedNotRefused() throws {
        let image = try ImageDecoder.decode(fileAt: ImageFixtures.url("inputs/jpeg_cmyk.jpg"))
        XCTAssertEqual([image.width, image.height], [120, 104])
    }

    /// shortest_edge 336 on a 6000x2 strip asks for 1008000x336: refused, not allocated.
    func testExtremeAspectRatioResize() throws {
        let processor = ImageProcessor(config: try ImageProcessorConfig(
            directory: ImageFixtures.url("configs/llava336")))
        XCTAssertThrowsError(try processor.preprocess(RGBImage(width: 6000, height: 2, fill: (1, 2, 3)))) { error in
            XCTAssertEqual("\(error)", "Cannot preprocess a 6000x2 image: the processor config resizes it to "
                + "1008000x336 pixels. Crop the image to a less extreme aspect ratio first.")
        }
    }

    // MARK: Configs

    func writeConfig(_ json: String) throws -> URL {
        let sub = dir.appendingPathComponent("cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try Data(json.utf8).write(to: sub.appendingPathComponent("preprocessor_config.json"))
        return sub
    }

    func assertConfigFails(_ directory: URL, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ImageProcessorConfig(directory: directory), file: file, line: line) { error in
            XCTAssertEqual("\(error)", message, file: file, line: line)
        }
    }

    func testConfigErrors() throws {
        let missing = dir.appendingPathComponent("no-model")
        assertConfigFails(missing, "Cannot load image processor config "
            + "\(missing.path)/preprocessor_config.json: the file does not exist. "
            + "Pass the model directory that contains preprocessor_config.json.")

        var d = try writeConfig("{\"image_processor_type\": \"CLIPImageProcessor\", \"resample\": 0}")
        assertConfigFails(d, "Cannot load image processor config \(d.path)/preprocessor_config.json: "
            + "resample 0 is not supported. "
            + "Supported Pillow filters: 1 (LANCZOS), 2 (BILINEAR), 3 (BICUBIC), 4 (BOX), 5 (HAMMING).")

        d = try writeConfig("{\"image_processor_type\": \"SiglipImageProcessor\"}")
        assertConfigFails(d, "Cannot load image processor config \(d.path)/preprocessor_config.json: "
            + "\"SiglipImageProcessor\" is not supported. "
            + "Supported: CLIPImageProcessor, CLIPFeatureExtractor, LlavaImageProcessor.")

        d = try writeConfig("{\"size\": 224}")
        assertConfigFails(d, "Cannot load image processor config \(d.path)/preprocessor_config.json: "
            + "no image_processor_type is not supported. "
            + "Supported: CLIPImageProcessor, CLIPFeatureExtractor, LlavaImageProcessor.")

        d = try writeConfig("{\"image_processor_type\": \"CLIPImageProcessor\", \"size\": {\"longest_edge\": 9}}")
        assertConfigFails(d, "Cannot load image processor config \(d.path)/preprocessor_config.json: "
            + "\"size\" must be {\"shortest_edge\"}, {\"shortest_edge\", \"longest_edge\"} or "
            + "{\"height\", \"width\"} (got [\"longest_edge\"]).")

        d = try writeConfig("{\"image_processor_type\": \"CLIPImageProcessor\", \"do_resize\": \"yes\"}")
        assertConfigFails(d, "Cannot load image processor config \(d.path)/preprocessor_config.json: "
            + "\"do_resize\" must be true or false.")

        d = try writeConfig("{\"image_processor_type\": \"CLIPImageProcessor\", \"resample\": null}")
        assertConfigFails(d, "Cannot load image processor config \(d.path)/preprocessor_config.json: "
            + "\"resample\" must be set (it is null but its step is enabled).")

        d = try writeConfig("{\"image_processor_type\": ")
        assertConfigFails(d, "Cannot load image processor config \(d.path)/preprocessor_config.json: "
            + "not valid JSON.")
    }

    // MARK: Crafting helpers

    /// Offset of the SOF0/SOF2 marker.
    func sofOffset(_ b: [UInt8]) -> Int? {
        var i = 2
        while i + 4 < b.count, b[i] == 0xFF {
            if b[i + 1] == 0xC0 || b[i + 1] == 0xC2 { return i }
            i += 2 + (Int(b[i + 2]) << 8 | Int(b[i + 3]))
        }
        return nil
    }

    func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(UInt32(data.count)) + body + be32(crc32(body))
    }

    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
