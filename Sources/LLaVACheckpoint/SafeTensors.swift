// Reading safetensors files (https://github.com/huggingface/safetensors format): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then the data.
// The file is memory-mapped; tensors point into the mapping. Every size and offset read from the
// file is validated before use, so a corrupt file is an error, never a trap.
import Foundation
import LLaVATensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file, unmapped when the last reference goes.
public final class MappedFile {
    public let path: String
    public let base: UnsafeRawPointer
    public let size: Int

    public init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            if errno == ENOENT { throw CheckpointError.fileNotFound(path: path, hint: "Is --model the checkpoint directory?") }
            throw CheckpointError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw CheckpointError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        let size = Int(st.st_size)
        guard size > 0 else { throw CheckpointError.badHeader(path: path, detail: "the file is empty") }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw CheckpointError.unreadable(path: path, reason: "mmap failed: " + String(cString: strerror(errno)))
        }
        self.path = path
        self.base = UnsafeRawPointer(p)
        self.size = size
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }
}

public struct SafeTensorsFile {
    public let file: MappedFile
    public let tensors: [String: Weight]
    /// The `__metadata__` entry, if any (e.g. {"format": "pt"}).
    public let metadata: [String: String]

    /// Largest header accepted: the format's own limit is 100 MB.
    static let maxHeaderBytes = 100_000_000

    public init(path: String) throws {
        let file = try MappedFile(path: path)
        self.file = file
        guard file.size >= 8 else { throw CheckpointError.badHeader(path: path, detail: "file is \(file.size) bytes, shorter than the 8-byte header length") }
        let headerLength = file.base.loadUnaligned(as: UInt64.self).littleEndian
        guard headerLength <= UInt64(Self.maxHeaderBytes), Int(headerLength) <= file.size - 8 else {
            throw CheckpointError.badHeader(path: path, detail: "header length \(headerLength) exceeds the file size \(file.size)")
        }
        let dataStart = 8 + Int(headerLength)
        let headerData = Data(bytes: file.base + 8, count: Int(headerLength))
        guard let json = try? JSONSerialization.jsonObject(with: headerData), let header = json as? [String: Any] else {
            throw CheckpointError.badHeader(path: path, detail: "the header is not a JSON object")
        }
        var tensors: [String: Weight] = [:]
        var metadata: [String: String] = [:]
        let dataSize = file.size - dataStart
        for (key, value) in header {
            if key == "__metadata__" {
                (value as? [String: Any])?.forEach { metadata[$0.key] = "\($0.value)" }
                continue
            }
            guard let entry = value as? [String: Any], let dtypeName = entry["dtype"] as? String,
                  let shapeAny = entry["shape"] as? [Any], let offsetsAny = entry["data_offsets"] as? [Any],
                  offsetsAny.count == 2
            else { throw CheckpointError.badHeader(path: path, detail: "entry '\(key)' lacks dtype, shape or data_offsets") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw CheckpointError.unknownDType(path: path, key: key, dtype: dtypeName)
            }
            let shape = try shapeAny.map { any -> Int in
                guard let n = (any as? NSNumber)?.int64Value, n >= 0, n < 1 << 40 else {
                    throw CheckpointError.badHeader(path: path, detail: "entry '\(key)' has an invalid shape \(shapeAny)")
                }
                return Int(n)
            }
            let offsets = try offsetsAny.map { any -> Int in
                guard let n = (any as? NSNumber)?.int64Value, n >= 0 else {
                    throw CheckpointError.badHeader(path: path, detail: "entry '\(key)' has invalid data_offsets \(offsetsAny)")
                }
                return Int(clamping: n)
            }
            var bytes = dtype.byteSize
            for d in shape {
                let (p, overflow) = bytes.multipliedReportingOverflow(by: d)
                guard !overflow else { throw CheckpointError.badHeader(path: path, detail: "entry '\(key)' shape \(shape) overflows") }
                bytes = p
            }
            guard offsets[0] <= offsets[1], offsets[1] <= dataSize else {
                throw CheckpointError.tensorOutOfBounds(
                    path: path, key: key, detail: "bytes \(offsets[0])..<\(offsets[1]) of a \(dataSize)-byte data section")
            }
            guard offsets[1] - offsets[0] == bytes else {
                throw CheckpointError.badHeader(
                    path: path, detail: "entry '\(key)' spans \(offsets[1] - offsets[0]) bytes but \(dtypeName) \(shape) needs \(bytes)")
            }
            let start = dataStart + offsets[0]
            guard start % dtype.byteSize == 0 else {
                throw CheckpointError.badHeader(path: path, detail: "entry '\(key)' is misaligned for \(dtypeName)")
            }
            tensors[key] = Weight(shape: shape, dtype: dtype, pointer: file.base + start, owner: file)
        }
        self.tensors = tensors
        self.metadata = metadata
    }
}
