// Shared helpers for the test targets: where the committed fixtures live, and a
// comparison that prints the label, the max difference and the first differing pairs.
import Foundation
import LLaVACheckpoint

public enum Fixtures {
    /// `Tests/Fixtures`, found relative to this source file (tests run from any directory).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    public static func npy(_ relative: String) throws -> NPYArray { try NPYArray.read(url(relative)) }

    /// The package root (for running the built `llava` binary in CLI tests).
    public static let packageRoot: URL = root.deletingLastPathComponent().deletingLastPathComponent()
}

public struct Comparison: CustomStringConvertible {
    public let label: String
    public let maxAbs: Float
    public let maxRel: Float
    public let worst: [(index: Int, actual: Float, expected: Float)]
    public let passed: Bool

    public var description: String {
        let pairs = worst.map { "[\($0.index)] \($0.actual) vs \($0.expected)" }.joined(separator: ", ")
        return "\(label): max |diff| \(maxAbs), max rel \(maxRel)\(passed ? "" : "; first failures: \(pairs)")"
    }
}

/// Elementwise check |a - e| <= atol + rtol * |e|. Returns a description of the outcome.
public func compare(_ label: String, _ actual: [Float], _ expected: [Float], rtol: Float, atol: Float) -> Comparison {
    guard actual.count == expected.count else {
        return Comparison(label: "\(label): count \(actual.count) vs expected \(expected.count)", maxAbs: .infinity,
                          maxRel: .infinity, worst: [], passed: false)
    }
    var maxAbs: Float = 0, maxRel: Float = 0
    var failures: [(Int, Float, Float)] = []
    for i in 0..<actual.count {
        let d = abs(actual[i] - expected[i])
        let ok = d <= atol + rtol * abs(expected[i])
        if !(d <= maxAbs) { maxAbs = d }
        let rel = d / max(abs(expected[i]), 1e-30)
        if !(rel <= maxRel) { maxRel = rel }
        if !ok, failures.count < 5 { failures.append((i, actual[i], expected[i])) }
    }
    return Comparison(label: label, maxAbs: maxAbs, maxRel: maxRel, worst: failures, passed: failures.isEmpty)
}
