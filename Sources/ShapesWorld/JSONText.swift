// A tiny JSON writer with a fixed key order and fixed number formatting, so the same data
// always gives the same bytes (JSONSerialization/JSONEncoder make no such promise across
// platforms and Foundation versions).

/// A JSON value written with keys in the order given.
enum JSONText {
    case string(String)
    case int(Int)
    /// A number written with this many decimals.
    case fixed(Double, Int)
    case bool(Bool)
    case array([JSONText])
    case object([(String, JSONText)])

    /// Compact text; with `indent` > 0, arrays and objects are pretty-printed.
    func render(indent: Int = 0) -> String {
        var out = ""
        write(&out, indent: indent, level: 0)
        return out
    }

    private func write(_ out: inout String, indent: Int, level: Int) {
        let nl = indent > 0 ? "\n" : ""
        let pad = { (l: Int) in String(repeating: " ", count: indent * l) }
        switch self {
        case .string(let s): JSONText.escape(s, into: &out)
        case .int(let v): out += String(v)
        case .fixed(let v, let d): out += English.fixed(v, d)
        case .bool(let b): out += b ? "true" : "false"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[" + nl
            for (i, it) in items.enumerated() {
                out += pad(level + 1)
                it.write(&out, indent: indent, level: level + 1)
                out += (i + 1 < items.count ? "," : "") + nl
            }
            out += pad(level) + "]"
        case .object(let fields):
            if fields.isEmpty { out += "{}"; return }
            out += "{" + nl
            for (i, f) in fields.enumerated() {
                out += pad(level + 1)
                JSONText.escape(f.0, into: &out)
                out += indent > 0 ? ": " : ":"
                f.1.write(&out, indent: indent, level: level + 1)
                out += (i + 1 < fields.count ? "," : "") + nl
            }
            out += pad(level) + "}"
        }
    }

    static func escape(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
