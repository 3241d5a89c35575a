// Maps Foundation's DecodingError onto TokenizerError, naming the JSON path of the offending field.
import Foundation

extension TokenizerError {
    static func from(_ error: DecodingError, path: String) -> TokenizerError {
        switch error {
        case .keyNotFound(let key, let context):
            return .missingField(path: path, field: jsonPath(context.codingPath + [key]))
        case .typeMismatch(let type, let context):
            return .invalidValue(path: path, field: jsonPath(context.codingPath), detail: "expected \(typeName(type))")
        case .valueNotFound(let type, let context):
            return .invalidValue(path: path, field: jsonPath(context.codingPath), detail: "expected \(typeName(type)), found null")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return .malformedJSON(path: path) }
            return .invalidValue(path: path, field: jsonPath(context.codingPath), detail: context.debugDescription)
        @unknown default:
            return .malformedJSON(path: path)
        }
    }
}

/// `model.merges[3]` style path; the top level is spelled `(top level)`.
private func jsonPath(_ keys: [CodingKey]) -> String {
    var out = ""
    for key in keys {
        if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
    }
    return out.isEmpty ? "(top level)" : out
}

private func typeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Bool.Type: return "a boolean"
    case is Int.Type, is Double.Type: return "a number"
    default:
        let name = String(describing: type)
        if name.hasPrefix("Array") { return "a list" }
        if name.hasPrefix("Dictionary") || name.hasSuffix("JSON") { return "an object" }
        return name
    }
}
