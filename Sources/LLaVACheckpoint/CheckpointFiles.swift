// Locating and opening a checkpoint's weight files: `model.safetensors`, or the shards listed by
// `model.safetensors.index.json` (its "weight_map" names the file of every tensor).
import Foundation
import LLaVATensor

public enum CheckpointFiles {
    /// All tensors of the checkpoint in `directory`, keyed by their names in the files.
    public static func loadTensors(directory: URL) throws -> [String: Weight] {
        let fm = FileManager.default
        let single = directory.appendingPathComponent("model.safetensors")
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        if fm.fileExists(atPath: index.path) {
            return try loadSharded(index: index, directory: directory)
        }
        if fm.fileExists(atPath: single.path) {
            return try SafeTensorsFile(path: single.path).tensors
        }
        throw CheckpointError.fileNotFound(
            path: single.path, hint: "A checkpoint needs model.safetensors or model.safetensors.index.json with its shards.")
    }

    static func loadSharded(index: URL, directory: URL) throws -> [String: Weight] {
        let data: Data
        do { data = try Data(contentsOf: index) } catch {
            throw CheckpointError.unreadable(path: index.path, reason: error.localizedDescription)
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let weightMap = json["weight_map"] as? [String: String]
        else { throw CheckpointError.invalidConfig(path: index.path, detail: "no \"weight_map\" object of tensor name → file name") }
        var tensors: [String: Weight] = [:]
        for shard in Set(weightMap.values).sorted() {
            guard !shard.contains("/"), !shard.hasPrefix(".") else {
                throw CheckpointError.invalidConfig(path: index.path, detail: "shard name \"\(shard)\" must be a plain file name")
            }
            let file = try SafeTensorsFile(path: directory.appendingPathComponent(shard).path)
            for (key, weight) in file.tensors {
                guard tensors[key] == nil else {
                    throw CheckpointError.duplicateKey(key: key, paths: [shard])
                }
                if let listed = weightMap[key], listed != shard {
                    throw CheckpointError.invalidConfig(
                        path: index.path, detail: "tensor '\(key)' is listed in \(listed) but found in \(shard)")
                }
                tensors[key] = weight
            }
        }
        let absent = weightMap.keys.filter { tensors[$0] == nil }.sorted()
        if !absent.isEmpty {
            throw CheckpointError.missingKeys(directory: index.path, keys: absent)
        }
        return tensors
    }

    /// Reads and parses a JSON file, with errors that name the file.
    public static func readJSON(_ url: URL) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CheckpointError.fileNotFound(path: url.path, hint: "Is --model a Hugging Face checkpoint directory?")
        }
        do { return try Data(contentsOf: url) } catch {
            throw CheckpointError.unreadable(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Decodes a Decodable from a JSON file, turning DecodingError into a readable message.
    public static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let data = try readJSON(url)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw CheckpointError.invalidConfig(path: url.path, detail: describe(error))
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError.invalidConfig(path: url.path, detail: "\(error)")
        }
    }

    /// A DecodingError as "field a.b should be Int"; `prefix` names the enclosing object, if any.
    public static func describe(_ error: DecodingError, prefix: String = "") -> String {
        func path(_ p: [CodingKey]) -> String {
            prefix + p.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let c):
            return c.codingPath.isEmpty ? "not valid JSON (\(c.underlyingError.map { "\($0)" } ?? c.debugDescription))"
                : "\(path(c.codingPath)): \(c.debugDescription)"
        case .keyNotFound(let key, let c): return "missing required field \(path(c.codingPath + [key]))"
        case .typeMismatch(let t, let c): return "field \(path(c.codingPath)) should be \(t)"
        case .valueNotFound(let t, let c): return "field \(path(c.codingPath)) is null, expected \(t)"
        @unknown default: return "\(error)"
        }
    }
}
