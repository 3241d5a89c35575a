// Timing of decode + preprocess (LLaVA-1.5 336 config) on a 1080p JPEG, to compare with
// transformers' Pillow path. Runs only when LLAVA_IMAGE_BENCH names the JPEG, written by
// `python Tools/fixtures/make_image_fixtures.py --bench /tmp/bench_1080p.jpg` (which also
// prints the Pillow timing). Best of 15 runs.
import Foundation
import LLaVAImage
import XCTest

final class ImageBenchmarkTests: XCTestCase {
    func testDecodeAndPreprocess1080p() throws {
        guard let path = ProcessInfo.processInfo.environment["LLAVA_IMAGE_BENCH"] else {
            throw XCTSkip("set LLAVA_IMAGE_BENCH to a 1080p JPEG to run the benchmark")
        }
        let url = URL(fileURLWithPath: path)
        let processor = ImageProcessor(config: try ImageProcessorConfig(
            directory: ImageFixtures.url("configs/llava336")))
        func best(_ body: () throws -> Void) rethrows -> Double {
            var times: [Double] = []
            for _ in 0..<15 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try body()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            return times.min()!
        }
        var checksum: Float = 0
        let total = try best { checksum += try processor.preprocess(ImageDecoder.decode(fileAt: url)).values[0] }
        let decode = try best { checksum += Float(try ImageDecoder.decode(fileAt: url).pixels[0]) }
        let image = try ImageDecoder.decode(fileAt: url)
        let resize = best {
            checksum += Float(PillowResize.resize(image, width: 597, height: 336, filter: .bicubic).pixels[0])
        }
        print(String(format: "1080p JPEG -> 336x336: decode+preprocess %.2f ms (decode %.2f ms, resize %.2f ms) [%g]",
                     total, decode, resize, checksum))
    }
}
