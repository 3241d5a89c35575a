// Small English helpers shared by captions, questions and answers: articles, number words,
// plural counts, list joining, fixed-point numbers. Deterministic and locale-free.
import Foundation

enum English {
    static let numberWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]

    /// "two" for 2; digits past ten.
    static func number(_ n: Int) -> String { n >= 0 && n < numberWords.count ? numberWords[n] : String(n) }

    /// "a large red circle", "an orange star".
    static func withArticle(_ phrase: String) -> String {
        guard let f = phrase.first else { return phrase }
        return ("aeiou".contains(f) ? "an " : "a ") + phrase
    }

    /// "A large ..." from "a large ...".
    static func capitalized(_ s: String) -> String {
        guard let f = s.first else { return s }
        return f.uppercased() + s.dropFirst()
    }

    /// "x", "x and y", "x, y and z".
    static func join(_ items: [String]) -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " and " + items.last!
        }
    }

    /// "no circles", "one circle", "three circles".
    static func count(_ n: Int, _ singular: String, _ plural: String) -> String {
        n == 0 ? "no \(plural)" : "\(number(n)) \(n == 1 ? singular : plural)"
    }

    /// "0.12": x rounded to two decimals, with no locale or printf involved.
    static func fixed2(_ x: Double) -> String { fixed(x, 2) }

    /// x rounded to `digits` decimals, e.g. fixed(0.5, 4) = "0.5000"; negative values keep their sign.
    static func fixed(_ x: Double, _ digits: Int) -> String {
        var scale = 1
        for _ in 0..<digits { scale *= 10 }
        let v = Int((abs(x) * Double(scale)).rounded())
        let frac = String(v % scale)
        return (x < 0 && v != 0 ? "-" : "") + "\(v / scale)." + String(repeating: "0", count: digits - frac.count) + frac
    }

    /// "(0.25, 0.40)".
    static func point(_ p: SIMD2<Double>) -> String { "(\(fixed2(p.x)), \(fixed2(p.y)))" }

    /// Fills `{name}` slots of a template.
    static func fill(_ template: String, _ slots: [String: String]) -> String {
        var s = template
        for (k, v) in slots.sorted(by: { $0.key < $1.key }) { s = s.replacingOccurrences(of: "{\(k)}", with: v) }
        return s
    }
}
