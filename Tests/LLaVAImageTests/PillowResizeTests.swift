// PillowResize against Pillow 13.0.0's Image.resize: every filter over a grid of output
// sizes (up- and downscaling, both of Pillow's pass orders, one-pass resizes, 1x1).
// Tolerance: none (integer arithmetic after the double-precision weights).
import Foundation
import LLaVAImage
import XCTest

final class PillowResizeTests: XCTestCase {
    func testGridMatchesPillow() throws {
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: ImageFixtures.url("meta.json")))
            as! [String: Any]
        let grid = meta["resize_grid"] as! [String: Any]
        let sizes = grid["sizes"] as! [[Int]]
        let filters = grid["filters"] as! [Int]
        let source = try ImageDecoder.decode(fileAt: ImageFixtures.url("inputs/\(grid["input"] as! String)"))
        let expected = try NPY(ImageFixtures.url("resize_grid.npy")).bytes!
        var offset = 0
        for f in filters {
            let filter = try XCTUnwrap(PillowResize.Filter(rawValue: f))
            for size in sizes {
                let out = PillowResize.resize(source, width: size[0], height: size[1], filter: filter)
                let n = size[0] * size[1] * 3
                assertEqualBytes("\(filter) \(size[0])x\(size[1])", out.pixels, Array(expected[offset..<(offset + n)]))
                offset += n
            }
        }
        XCTAssertEqual(offset, expected.count)
    }

    func testPillowResizeSameSizeIsCopy() {
        let image = RGBImage(width: 5, height: 4, pixels: (0..<60).map { UInt8($0 * 4) })
        for filter in PillowResize.Filter.allCases {
            XCTAssertEqual(PillowResize.resize(image, width: 5, height: 4, filter: filter), image)
        }
    }

    func testPillowResizeKeepsConstantImages() {
        // Weights are normalised to sum to 1 per output pixel, so a flat image stays flat.
        let image = RGBImage(width: 37, height: 23, fill: (200, 3, 128))
        for filter in PillowResize.Filter.allCases {
            for (w, h) in [(11, 7), (80, 50), (37, 60), (5, 23)] {
                let out = PillowResize.resize(image, width: w, height: h, filter: filter)
                XCTAssertEqual(out, RGBImage(width: w, height: h, fill: (200, 3, 128)), "\(filter) \(w)x\(h)")
            }
        }
    }
}
