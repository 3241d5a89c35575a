// Choosing the next token from logits, as transformers' generate does: greedy argmax when the
// temperature is 0, otherwise temperature → top-k → top-p filtering, then a draw from the
// softmax with a seeded generator (so a seed reproduces a run; the draws differ from torch's RNG).
import Foundation

public struct SamplingOptions: Sendable {
    public var temperature: Float = 0   // 0: greedy
    public var topK: Int = 0            // 0: off
    public var topP: Float = 1          // 1: off
    public var seed: UInt64 = 0

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }
}

/// SplitMix64: small, fast, and the same sequence on every platform.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

public struct Sampler: Sendable {
    public let options: SamplingOptions
    var rng: SeededGenerator

    public init(options: SamplingOptions) {
        self.options = options
        rng = SeededGenerator(seed: options.seed)
    }

    /// The next token id from one row of logits (V).
    public mutating func next(_ logits: [Float]) -> Int {
        if options.temperature <= 0 { return Self.argmax(logits) }
        // Candidates sorted by logit, highest first (ties: lower id first, as a stable sort would).
        var order = Array(logits.indices)
        order.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        var kept = order.count
        if options.topK > 0, options.topK < kept {
            // TopKLogitsWarper removes logits strictly below the k-th largest.
            let kth = logits[order[options.topK - 1]]
            kept = order.firstIndex { logits[$0] < kth } ?? kept
        }
        let scaled = order.prefix(kept).map { Double(logits[$0] / options.temperature) }
        let maxLogit = scaled[0]
        var probs = scaled.map { exp($0 - maxLogit) }
        let total = probs.reduce(0, +)
        probs = probs.map { $0 / total }
        if options.topP < 1 {
            // TopPLogitsWarper keeps the smallest prefix whose mass reaches top_p (at least one token).
            var mass = 0.0
            var n = 0
            while n < probs.count {
                mass += probs[n]
                n += 1
                if mass >= Double(options.topP) { break }
            }
            probs = Array(probs.prefix(n))
            let t = probs.reduce(0, +)
            probs = probs.map { $0 / t }
        }
        let u = Double(rng.next() >> 11) / Double(1 << 53)
        var acc = 0.0
        for (i, p) in probs.enumerated() {
            acc += p
            if u < acc { return order[i] }
        }
        return order[probs.count - 1]
    }

    /// Index of the largest value; the first one on ties (torch.argmax).
    public static func argmax(_ v: [Float]) -> Int {
        var best = 0
        for i in 1..<v.count where v[i] > v[best] { best = i }
        return best
    }
}
