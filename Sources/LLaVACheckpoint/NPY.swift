// NumPy .npy files (format 1.0/2.0): the interchange format of the CLI (`--dump-logits`,
// `llava preprocess --out`) and of the test fixtures. Only little-endian, C-order arrays of
// float32, int64 and uint8 are read or written; anything else is refused with a clear error.
import Foundation

public enum NPYError: Error, CustomStringConvertible {
    case notNPY(path: String)
    case unsupported(path: String, detail: String)
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)

    public var description: String {
        switch self {
        case .notNPY(let path): return "\(path): not a NumPy .npy file (bad magic or header)"
        case .unsupported(let path, let detail): return "\(path): unsupported .npy array: \(detail)"
        case .truncated(let path, let expected, let actual):
            return "\(path): .npy data truncated: header promises \(expected) bytes, file has \(actual)"
        }
    }
}

/// A dense array read from or written to a `.npy` file.
public struct NPYArray {
    public enum DType: String { case float32 = "<f4", int64 = "<i8", uint8 = "|u1" }
    public var dtype: DType
    public var shape: [Int]
    /// Raw little-endian bytes, C order.
    public var bytes: [UInt8]

    public init(float32 values: [Float], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "NPYArray: \(values.count) values for shape \(shape)")
        self.dtype = .float32
        self.shape = shape
        self.bytes = values.withUnsafeBytes { Array($0) }
    }

    public init(int64 values: [Int], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "NPYArray: \(values.count) values for shape \(shape)")
        self.dtype = .int64
        self.shape = shape
        self.bytes = values.map { Int64($0) }.withUnsafeBytes { Array($0) }
    }

    public var count: Int { shape.reduce(1, *) }

    public var floats: [Float] {
        switch dtype {
        case .float32:
            return bytes.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
        case .int64: return ints.map(Float.init)
        case .uint8: return bytes.map(Float.init)
        }
    }

    public var ints: [Int] {
        switch dtype {
        case .int64:
            return bytes.withUnsafeBytes { raw in (0..<count).map { Int(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) } }
        case .float32: return floats.map { Int($0) }
        case .uint8: return bytes.map(Int.init)
        }
    }

    public static func read(_ url: URL) throws -> NPYArray {
        let data = try Data(contentsOf: url)
        return try parse([UInt8](data), path: url.path)
    }

    static func parse(_ file: [UInt8], path: String) throws -> NPYArray {
        guard file.count >= 10, file[0] == 0x93, Array(file[1...5]) == Array("NUMPY".utf8) else { throw NPYError.notNPY(path: path) }
        let major = file[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(file[8]) | Int(file[9]) << 8
            headerStart = 10
        } else if major == 2 || major == 3, file.count >= 12 {
            headerLength = Int(file[8]) | Int(file[9]) << 8 | Int(file[10]) << 16 | Int(file[11]) << 24
            headerStart = 12
        } else {
            throw NPYError.notNPY(path: path)
        }
        guard headerStart + headerLength <= file.count,
              let header = String(bytes: file[headerStart..<headerStart + headerLength], encoding: .utf8)
        else { throw NPYError.notNPY(path: path) }
        guard let descr = field(header, "descr"), let dtype = DType(rawValue: descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))) else {
            throw NPYError.unsupported(path: path, detail: "dtype in header \(header); supported: <f4, <i8, |u1")
        }
        guard let order = field(header, "fortran_order"), order.hasPrefix("False") else {
            throw NPYError.unsupported(path: path, detail: "Fortran order")
        }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw NPYError.notNPY(path: path)
        }
        let shape = try header[open.upperBound..<close].split(separator: ",").map { part -> Int in
            let s = part.trimmingCharacters(in: .whitespaces)
            guard let v = Int(s), v >= 0, v < 1 << 40 else { throw NPYError.notNPY(path: path) }
            return v
        }
        let itemSize = dtype == .float32 ? 4 : (dtype == .int64 ? 8 : 1)
        var total = itemSize
        for d in shape {
            let (p, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow else { throw NPYError.notNPY(path: path) }
            total = p
        }
        let dataStart = headerStart + headerLength
        guard file.count - dataStart >= total else {
            throw NPYError.truncated(path: path, expectedBytes: total, actualBytes: file.count - dataStart)
        }
        return NPYArray(dtype: dtype, shape: shape, bytes: Array(file[dataStart..<dataStart + total]))
    }

    init(dtype: DType, shape: [Int], bytes: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    private static func field(_ header: String, _ key: String) -> String? {
        guard let r = header.range(of: "'\(key)': ") else { return nil }
        return String(header[r.upperBound...])
            .split(separator: ",", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The file's bytes: magic, version 1.0, a header padded to 64 bytes, then the data.
    public func encoded() -> [UInt8] {
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var header = "{'descr': '\(dtype.rawValue)', 'fortran_order': False, 'shape': (\(dims)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let n = header.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(header.utf8) + bytes
    }

    /// Writes atomically (temporary file, then rename).
    public func write(to url: URL) throws {
        try Data(encoded()).write(to: url, options: .atomic)
    }
}
