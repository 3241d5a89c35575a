import Foundation
import LLaVACheckpoint
import XCTest

final class NPYTests: XCTestCase {
    func testRoundTripAndErrors() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("npy-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: url) }
        try NPYArray(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3]).write(to: url)
        let back = try NPYArray.read(url)
        XCTAssertEqual(back.shape, [2, 3])
        XCTAssertEqual(back.floats, [1, 2, 3, 4, 5, 6])
        let bytes = try Data(contentsOf: url)
        XCTAssertEqual((10 + Int(bytes[8])) % 64, 0, "header padded to 64 bytes as numpy does")

        try Data(bytes.prefix(bytes.count - 4)).write(to: url)
        XCTAssertThrowsError(try NPYArray.read(url)) { e in
            XCTAssertEqual("\(e)", "\(url.path): .npy data truncated: header promises 24 bytes, file has 20")
        }
        try Data("not numpy".utf8).write(to: url)
        XCTAssertThrowsError(try NPYArray.read(url)) { e in
            XCTAssertEqual("\(e)", "\(url.path): not a NumPy .npy file (bad magic or header)")
        }
    }
}
