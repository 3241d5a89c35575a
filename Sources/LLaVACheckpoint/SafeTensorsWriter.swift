// Writing safetensors files: header JSON sorted by key (as the Python library writes it), padded
// with spaces to a multiple of 8 bytes, then the tensors back to back. Written to a temporary file
// in the same directory and renamed into place, so a crash never leaves a half-written file.
import CKernels
import Foundation
import LLaVATensor

public struct SafeTensorsWriter {
    public struct Entry {
        public var name: String
        public var shape: [Int]
        public var dtype: DType
        public var bytes: [UInt8]
    }

    public private(set) var entries: [Entry] = []
    public var metadata: [String: String] = ["format": "pt"]

    public init() {}

    /// Adds float32 values, stored as `dtype` (rounded to nearest even for 16-bit types).
    public mutating func add(_ name: String, shape: [Int], values: [Float], as dtype: DType = .f32) {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        let bytes: [UInt8]
        switch dtype {
        case .f32:
            bytes = values.withUnsafeBytes { Array($0) }
        case .bf16, .f16:
            var half = [UInt16](repeating: 0, count: values.count)
            values.withUnsafeBufferPointer { src in
                half.withUnsafeMutableBufferPointer { dst in
                    if dtype == .bf16 { ck_f32_to_bf16(src.baseAddress!, dst.baseAddress!, values.count) }
                    else { ck_f32_to_f16(src.baseAddress!, dst.baseAddress!, values.count) }
                }
            }
            bytes = half.withUnsafeBytes { Array($0) }
        }
        entries.append(Entry(name: name, shape: shape, dtype: dtype, bytes: bytes))
    }

    /// Adds a weight as stored (no conversion).
    public mutating func add(_ name: String, weight: Weight) {
        let bytes = Array(UnsafeRawBufferPointer(start: weight.pointer, count: weight.byteCount))
        entries.append(Entry(name: name, shape: weight.shape, dtype: weight.dtype, bytes: bytes))
    }

    /// The complete file contents.
    public func encoded() throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let sorted = entries.sorted { $0.name < $1.name }
        for e in sorted {
            header[e.name] = ["dtype": e.dtype.rawValue, "shape": e.shape, "data_offsets": [offset, offset + e.bytes.count]] as [String: Any]
            offset += e.bytes.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for e in sorted { out.append(contentsOf: e.bytes) }
        return out
    }

    /// Writes atomically: a temporary file next to `url`, then rename.
    public func write(to url: URL) throws {
        try encoded().write(to: url, options: .atomic)
    }
}
