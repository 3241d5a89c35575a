// safetensors reading and writing, and every way a file can be corrupt: each gets an error that
// names the file and the problem (checked word for word), never a trap.
import Foundation
import LLaVACheckpoint
import LLaVATensor
import XCTest

final class SafeTensorsTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A file with the given header JSON and `dataBytes` zero bytes of data.
    func file(header: String, dataBytes: Int, name: String = "m.safetensors") throws -> String {
        var d = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(contentsOf: Array(header.utf8))
        d.append(contentsOf: [UInt8](repeating: 0, count: dataBytes))
        let url = dir.appendingPathComponent(name)
        try d.write(to: url)
        return url.path
    }

    func error(_ path: String) -> String {
        do { _ = try SafeTensorsFile(path: path); return "no error" } catch { return "\(error)" }
    }

    func testRoundTripAllDTypes() throws {
        var w = SafeTensorsWriter()
        let values: [Float] = [1, -2.5, 0.1, 3e-5, 65504, -0]
        w.add("a", shape: [2, 3], values: values)
        w.add("b", shape: [6], values: values, as: .bf16)
        w.add("c", shape: [3, 2], values: values, as: .f16)
        let url = dir.appendingPathComponent("x.safetensors")
        try w.write(to: url)
        let f = try SafeTensorsFile(path: url.path)
        XCTAssertEqual(f.tensors["a"]?.floats(), values)
        XCTAssertEqual(f.tensors["a"]?.shape, [2, 3])
        // bf16 keeps 8 mantissa bits, f16 10 (round to nearest even): expected values from torch 2.15
        // (`torch.tensor(values).to(torch.bfloat16).float()`, likewise float16).
        XCTAssertEqual(f.tensors["b"]?.floats(), [1, -2.5, 0.10009765625, 3.0040740966796875e-05, 65536, 0])
        XCTAssertEqual(f.tensors["c"]?.floats(), [1, -2.5, 0.0999755859375, 2.9981136e-05, 65504, 0])
        XCTAssertEqual(f.metadata["format"], "pt")
    }

    func testCorruptFiles() throws {
        let empty = dir.appendingPathComponent("empty.safetensors")
        try Data().write(to: empty)
        XCTAssertEqual(error(empty.path), "\(empty.path): not a valid safetensors file: the file is empty")

        let short = dir.appendingPathComponent("short.safetensors")
        try Data([1, 2, 3]).write(to: short)
        XCTAssertEqual(error(short.path), "\(short.path): not a valid safetensors file: file is 3 bytes, shorter than the 8-byte header length")

        var huge = Data()
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { huge.append(contentsOf: $0) }
        huge.append(contentsOf: [0x7B, 0x7D])
        let hugeURL = dir.appendingPathComponent("huge.safetensors")
        try huge.write(to: hugeURL)
        XCTAssertEqual(error(hugeURL.path), "\(hugeURL.path): not a valid safetensors file: header length 1099511627776 exceeds the file size 10")

        let notJSON = try file(header: "hello!!!", dataBytes: 0, name: "nj.safetensors")
        XCTAssertEqual(error(notJSON), "\(notJSON): not a valid safetensors file: the header is not a JSON object")

        let past = try file(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8, name: "past.safetensors")
        XCTAssertEqual(error(past), "\(past): tensor 'w' lies outside the file's data: bytes 0..<16 of a 8-byte data section (file truncated or corrupt?)")

        let dtype = try file(header: #"{"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#, dataBytes: 8, name: "dt.safetensors")
        XCTAssertEqual(error(dtype), "\(dtype): tensor 'w' has dtype F64; supported: F32, F16, BF16")

        let span = try file(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8, name: "span.safetensors")
        XCTAssertEqual(error(span), "\(span): not a valid safetensors file: entry 'w' spans 8 bytes but F32 [3] needs 12")

        let overflow = try file(header: #"{"w":{"dtype":"F32","shape":[1099511627775,1099511627775],"data_offsets":[0,8]}}"#, dataBytes: 8, name: "of.safetensors")
        XCTAssertEqual(error(overflow), "\(overflow): not a valid safetensors file: entry 'w' shape [1099511627775, 1099511627775] overflows")

        let negative = try file(header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, dataBytes: 8, name: "neg.safetensors")
        XCTAssertEqual(error(negative), "\(negative): not a valid safetensors file: entry 'w' has an invalid shape [-1]")

        let missingFields = try file(header: #"{"w":{"dtype":"F32"}}"#, dataBytes: 0, name: "mf.safetensors")
        XCTAssertEqual(error(missingFields), "\(missingFields): not a valid safetensors file: entry 'w' lacks dtype, shape or data_offsets")

        let absent = dir.appendingPathComponent("absent.safetensors").path
        XCTAssertEqual(error(absent), "\(absent): file not found. Is --model the checkpoint directory?")
    }

    func testWeightStoreReportsMissingUnusedAndMisshapen() throws {
        let a = Weight(shape: [2, 2], values: [1, 2, 3, 4])
        let store = WeightStore(tensors: ["a": a, "extra": a], directory: "ckpt")
        XCTAssertThrowsError(try store.weight("a", [4])) { e in
            XCTAssertEqual("\(e)", "tensor 'a' has shape [2, 2], the config implies [4]")
        }
        _ = try store.weight("a", [2, 2])
        _ = try store.weight("b", [3])
        XCTAssertThrowsError(try store.finish()) { e in
            XCTAssertEqual("\(e)", "ckpt: checkpoint lacks 1 tensor(s) the config needs: b")
        }
        let store2 = WeightStore(tensors: ["a": a, "extra": a], directory: "ckpt")
        _ = try store2.weight("a", [2, 2])
        XCTAssertThrowsError(try store2.finish()) { e in
            XCTAssertEqual("\(e)", "ckpt: checkpoint has 1 tensor(s) the config does not use: extra (does config.json match these weights?)")
        }
    }
}
