// Everything that can be wrong with a checkpoint directory, said with what, where and what to do.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case fileNotFound(path: String, hint: String)
    case unreadable(path: String, reason: String)
    case badHeader(path: String, detail: String)
    case unknownDType(path: String, key: String, dtype: String)
    case tensorOutOfBounds(path: String, key: String, detail: String)
    case duplicateKey(key: String, paths: [String])
    case missingKeys(directory: String, keys: [String])
    case unusedKeys(directory: String, keys: [String])
    case shapeMismatch(key: String, expected: [Int], actual: [Int])
    case invalidConfig(path: String, detail: String)
    case unsupportedModelType(path: String, field: String, value: String, supported: [String])

    public var description: String {
        switch self {
        case .fileNotFound(let path, let hint):
            return "\(path): file not found. \(hint)"
        case .unreadable(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .badHeader(let path, let detail):
            return "\(path): not a valid safetensors file: \(detail)"
        case .unknownDType(let path, let key, let dtype):
            return "\(path): tensor '\(key)' has dtype \(dtype); supported: F32, F16, BF16"
        case .tensorOutOfBounds(let path, let key, let detail):
            return "\(path): tensor '\(key)' lies outside the file's data: \(detail) (file truncated or corrupt?)"
        case .duplicateKey(let key, let paths):
            return "tensor '\(key)' appears in more than one file: \(paths.joined(separator: ", "))"
        case .missingKeys(let directory, let keys):
            return "\(directory): checkpoint lacks \(keys.count) tensor(s) the config needs: \(Self.list(keys))"
        case .unusedKeys(let directory, let keys):
            return "\(directory): checkpoint has \(keys.count) tensor(s) the config does not use: \(Self.list(keys)) "
                + "(does config.json match these weights?)"
        case .shapeMismatch(let key, let expected, let actual):
            return "tensor '\(key)' has shape \(actual), the config implies \(expected)"
        case .invalidConfig(let path, let detail):
            return "\(path): \(detail)"
        case .unsupportedModelType(let path, let field, let value, let supported):
            return "\(path): \(field) \"\(value)\" is not supported; supported: \(supported.joined(separator: ", "))"
        }
    }

    private static func list(_ keys: [String]) -> String {
        keys.count <= 6 ? keys.joined(separator: ", ") : keys.prefix(6).joined(separator: ", ") + ", …"
    }
}
