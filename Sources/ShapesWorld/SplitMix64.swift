// SplitMix64 (Steele, Lea & Flood 2014; the seeding generator of xoshiro, prng.di.unimi.it):
// the only source of randomness in ShapesWorld. Every helper below is written out with
// integer arithmetic so that a seed gives the same data on every platform and Swift
// version (the standard library's `random(in:using:)` algorithms are not guaranteed stable).

/// A small, fast, seedable 64-bit generator with platform-independent helpers.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for one independent stream, keyed by `seed` and any number of labels
    /// (scene index, stream tag, ...). Streams with different keys do not overlap in practice.
    public init(seed: UInt64, stream parts: UInt64...) {
        var first = SplitMix64(seed: seed)
        var h = first.next()
        for p in parts {
            var t = SplitMix64(seed: h ^ (p &* 0x9E37_79B9_7F4A_7C15))
            h = t.next()
        }
        state = h
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform integer in 0..<n (n > 0), by the high word of a 64x64 multiply (bias < 2^-50).
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0, "int(below:) needs n > 0")
        return Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Uniform integer in a closed range.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + int(below: range.upperBound - range.lowerBound + 1)
    }

    /// Uniform Double in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform Double in [lo, hi).
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * uniform() }

    /// True with probability p.
    public mutating func chance(_ p: Double) -> Bool { uniform() < p }

    /// One element of a non-empty array.
    public mutating func pick<T>(_ items: [T]) -> T { items[int(below: items.count)] }

    /// Fisher–Yates shuffle.
    public mutating func shuffle<T>(_ items: inout [T]) {
        var i = items.count - 1
        while i > 0 {
            let j = int(below: i + 1)
            items.swapAt(i, j)
            i -= 1
        }
    }
}
