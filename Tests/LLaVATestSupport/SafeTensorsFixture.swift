// Reads the fixtures' safetensors files in full, including the I64 tensors (token ids, labels)
// that the model loader has no reason to accept.
import Foundation
import LLaVACheckpoint

public struct SafeTensorsFixture {
    public let floats: [String: [Float]]
    public let ints: [String: [Int]]
    public let shapes: [String: [Int]]

    public init(_ url: URL) throws {
        let data = [UInt8](try Data(contentsOf: url))
        var n = 0
        for i in 0..<8 { n |= Int(data[i]) << (8 * i) }
        let header = try JSONSerialization.jsonObject(with: Data(data[8..<8 + n])) as! [String: Any]
        var floats: [String: [Float]] = [:], ints: [String: [Int]] = [:], shapes: [String: [Int]] = [:]
        for (key, value) in header where key != "__metadata__" {
            let entry = value as! [String: Any]
            let offsets = entry["data_offsets"] as! [Int]
            let bytes = Array(data[(8 + n + offsets[0])..<(8 + n + offsets[1])])
            shapes[key] = entry["shape"] as? [Int]
            switch entry["dtype"] as! String {
            case "F32": floats[key] = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            case "I64": ints[key] = bytes.withUnsafeBytes { $0.bindMemory(to: Int64.self).map { Int($0) } }
            default: continue
            }
        }
        self.floats = floats
        self.ints = ints
        self.shapes = shapes
    }
}
