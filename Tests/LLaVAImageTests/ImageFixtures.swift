// Test helpers: where the image fixtures live, a .npy reader for the uint8/float32
// references, and an exact comparison that reports the max difference and first pairs.
import Foundation
import XCTest

enum ImageFixtures {
    /// `Tests/Fixtures/images`, found relative to this file (tests run from any directory).
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("images")

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// Input file names (inputs/), from meta.json written by make_image_fixtures.py.
    static func inputNames() throws -> [String] {
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: url("meta.json"))) as! [String: Any]
        return (meta["inputs"] as! [String: String]).keys.sorted()
    }

    struct Case { let config: String; let input: String; let file: String; let dtype: String; let shape: [Int] }

    static func cases() throws -> [Case] {
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: url("meta.json"))) as! [String: Any]
        return (meta["cases"] as! [[String: Any]]).map {
            Case(config: $0["config"] as! String, input: $0["input"] as! String, file: $0["file"] as! String,
                 dtype: $0["dtype"] as! String, shape: $0["shape"] as! [Int])
        }
    }
}

/// A C-order .npy array of uint8 ("|u1") or little-endian float32 ("<f4").
struct NPY {
    let shape: [Int]
    let bytes: [UInt8]?
    let floats: [Float]?

    init(_ url: URL) throws {
        let data = [UInt8](try Data(contentsOf: url))
        guard data.count > 10, data[0] == 0x93, String(bytes: data[1..<6], encoding: .ascii) == "NUMPY" else {
            throw NSError(domain: "NPY", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(url.path): not .npy"])
        }
        let major = data[6]
        let headerLength = major == 1 ? Int(data[8]) | Int(data[9]) << 8
            : Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24
        let start = major == 1 ? 10 : 12
        let header = String(bytes: data[start..<(start + headerLength)], encoding: .ascii)!
        let body = Array(data[(start + headerLength)...])
        precondition(header.contains("'fortran_order': False"), "\(url.path): Fortran order")
        let shapeText = header.components(separatedBy: "'shape': (")[1].components(separatedBy: ")")[0]
        shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let count = shape.reduce(1, *)
        if header.contains("'|u1'") {
            precondition(body.count == count)
            bytes = body
            floats = nil
        } else if header.contains("'<f4'") {
            precondition(body.count == 4 * count)
            floats = (0..<count).map { i in
                Float(bitPattern: UInt32(body[4 * i]) | UInt32(body[4 * i + 1]) << 8
                    | UInt32(body[4 * i + 2]) << 16 | UInt32(body[4 * i + 3]) << 24)
            }
            bytes = nil
        } else {
            preconditionFailure("\(url.path): unsupported dtype in \(header)")
        }
    }
}

/// Max |a - e| over all elements; fails the test (with label, max difference and the first
/// differing pairs) when it exceeds `tolerance`.
@discardableResult
func assertClose(_ label: String, _ actual: [Float], _ expected: [Float], tolerance: Float,
                 file: StaticString = #filePath, line: UInt = #line) -> Float {
    guard actual.count == expected.count else {
        XCTFail("\(label): \(actual.count) values, expected \(expected.count)", file: file, line: line)
        return .infinity
    }
    var maxDiff: Float = 0
    var pairs: [String] = []
    for i in 0..<actual.count {
        let d = abs(actual[i] - expected[i])
        if !(d <= maxDiff) { maxDiff = d }
        if !(d <= tolerance) && pairs.count < 5 { pairs.append("[\(i)] \(actual[i]) vs \(expected[i])") }
    }
    if !pairs.isEmpty {
        XCTFail("\(label): max |diff| \(maxDiff) > \(tolerance); first: \(pairs.joined(separator: ", "))",
                file: file, line: line)
    }
    return maxDiff
}

func assertEqualBytes(_ label: String, _ actual: [UInt8], _ expected: [UInt8],
                      file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(label): \(actual.count) bytes, expected \(expected.count)", file: file, line: line)
        return
    }
    var maxDiff = 0, differing = 0
    var pairs: [String] = []
    for i in 0..<actual.count where actual[i] != expected[i] {
        differing += 1
        maxDiff = max(maxDiff, abs(Int(actual[i]) - Int(expected[i])))
        if pairs.count < 5 { pairs.append("[\(i)] \(actual[i]) vs \(expected[i])") }
    }
    if differing > 0 {
        XCTFail("\(label): \(differing) bytes differ, max |diff| \(maxDiff); first: \(pairs.joined(separator: ", "))",
                file: file, line: line)
    }
}
