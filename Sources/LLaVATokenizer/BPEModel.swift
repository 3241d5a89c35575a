// The BPE model with byte fallback (tokenizers 0.23 `models::bpe::BPE::merge_word` and
// `Word::merge_all`): a word starts as one symbol per character (or its <0xXX> byte pieces, or <unk>),
// then the lowest-ranked mergeable pair is merged first, ties broken by leftmost position, through a
// priority queue; stale queue entries are skipped when popped.
import Foundation

final class BPEModel {
    let vocab: [[UInt8]: Int32]
    /// Token string by id (`nil` where the vocabulary has a hole).
    let tokens: [String?]
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    let merges: MergeTable
    let unkID: Int32?
    let fuseUnk: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    /// Id of the <0xXX> piece for each byte, or -1.
    private let byteIDs: [Int32]
    /// Id of single-character tokens: ASCII in a flat table, the rest in a dictionary.
    private let asciiIDs: [Int32]
    private let scalarIDs: [UInt32: Int32]

    /// Word → ids cache, as tokenizers keeps one (capacity 10,000 words shorter than 256 bytes).
    private var cache: [ArraySlice<UInt8>: [Int32]] = [:]
    private static let cacheCapacity = 10_000
    private static let cacheMaxWordBytes = 256

    // Scratch buffers for merge_word, reused across words.
    private var symC: [Int32] = [], symPrev: [Int32] = [], symNext: [Int32] = [], symLen: [Int32] = []
    private var heap = MergeHeap()

    init(vocab: [[UInt8]: Int32], merges: MergeTable, unkID: Int32?, fuseUnk: Bool, byteFallback: Bool,
         ignoreMerges: Bool) {
        self.vocab = vocab
        self.merges = merges
        self.unkID = unkID
        self.fuseUnk = fuseUnk
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        var tokens = [String?](repeating: nil, count: (vocab.values.max().map { Int($0) + 1 }) ?? 0)
        var ascii = [Int32](repeating: -1, count: 128)
        var scalars: [UInt32: Int32] = [:]
        for (bytes, id) in vocab {
            let token = String(decoding: bytes, as: UTF8.self)
            tokens[Int(id)] = token
            let us = token.unicodeScalars
            if us.count == 1, let c = us.first {
                if c.value < 128 { ascii[Int(c.value)] = id } else { scalars[c.value] = id }
            }
        }
        var bytes = [Int32](repeating: -1, count: 256)
        for b in 0..<256 { bytes[b] = vocab[token: byteToken(UInt8(b))] ?? -1 }
        self.tokens = tokens
        self.asciiIDs = ascii
        self.scalarIDs = scalars
        self.byteIDs = bytes
    }

    /// Appends the ids of `word` (UTF-8 of one pre-tokenized word) to `out`.
    func tokenize(_ word: ArraySlice<UInt8>, into out: inout [Int32]) {
        if word.isEmpty { return }
        if ignoreMerges, let id = vocab[Array(word)] {
            out.append(id)
            return
        }
        let cacheable = word.count < Self.cacheMaxWordBytes
        if cacheable, let hit = cache[word] {
            out.append(contentsOf: hit)
            return
        }
        let start = out.count
        mergeWord(word, into: &out)
        if cacheable, cache.count < Self.cacheCapacity {
            // Copy the key so the cache does not keep the caller's whole buffer alive.
            cache[ArraySlice(Array(word))] = Array(out[start...])
        }
    }

    private func addSymbol(_ id: Int32, _ len: Int32) {
        let n = Int32(symC.count)
        if n > 0 { symNext[Int(n) - 1] = n }
        symC.append(id)
        symPrev.append(n - 1)
        symNext.append(-1)
        symLen.append(len)
    }

    private func mergeWord(_ word: ArraySlice<UInt8>, into out: inout [Int32]) {
        symC.removeAll(keepingCapacity: true)
        symPrev.removeAll(keepingCapacity: true)
        symNext.removeAll(keepingCapacity: true)
        symLen.removeAll(keepingCapacity: true)
        var unk: (id: Int32, len: Int32)? = nil

        word.withUnsafeBufferPointer { w in
            var i = 0
            while i < w.count {
                let (c, n) = decodeScalar(w, at: i)
                let id = c.value < 128 ? asciiIDs[Int(c.value)] : (scalarIDs[c.value] ?? -1)
                if id >= 0 {
                    if let u = unk { addSymbol(u.id, u.len); unk = nil }
                    addSymbol(id, Int32(n))
                } else if byteFallback, (i..<(i + n)).allSatisfy({ byteIDs[Int(w[$0])] >= 0 }) {
                    // Only when every byte has a piece; otherwise tokenizers falls through to <unk>.
                    for j in i..<(i + n) { addSymbol(byteIDs[Int(w[j])], 1) }
                } else if let unkID {
                    if let u = unk {
                        if fuseUnk {
                            unk = (u.id, u.len + Int32(n))
                        } else {
                            addSymbol(u.id, u.len)
                            unk = (unkID, Int32(n))
                        }
                    } else {
                        unk = (unkID, Int32(n))
                    }
                }
                // Without an unk token an unknown character is dropped, as in tokenizers.
                i += n
            }
        }
        if let u = unk { addSymbol(u.id, u.len) }
        mergeAll()
        for k in 0..<symC.count where symLen[k] != 0 { out.append(symC[k]) }
    }

    /// `Word::merge_all` without dropout.
    private func mergeAll() {
        heap.removeAll()
        let n = symC.count
        if n < 2 { return }
        for pos in 0..<(n - 1) {
            if let m = merges[symC[pos], symC[pos + 1]] { heap.push(rank: m.rank, pos: Int32(pos)) }
        }
        while let top = heap.pop() {
            let pos = Int(top.pos)
            if symLen[pos] == 0 { continue }
            let nextPos = Int(symNext[pos])
            if nextPos < 0 { continue }
            // A stale entry: the pair at `pos` changed since it was queued. Equal rank ⇔ same pair here.
            guard let m = merges[symC[pos], symC[nextPos]], m.rank == top.rank else { continue }
            symC[pos] = m.newID
            symLen[pos] += symLen[nextPos]
            let after = symNext[nextPos]
            symNext[pos] = after
            symLen[nextPos] = 0
            if after >= 0 { symPrev[Int(after)] = Int32(pos) }
            let prev = symPrev[pos]
            if prev >= 0, let pm = merges[symC[Int(prev)], symC[pos]] { heap.push(rank: pm.rank, pos: prev) }
            if after >= 0, let nm = merges[symC[pos], symC[Int(after)]] { heap.push(rank: nm.rank, pos: Int32(pos)) }
        }
    }
}

/// The <0xXX> piece name of a byte, as tokenizers formats it (`format!("<{b:#04X}>")`).
func byteToken(_ b: UInt8) -> String {
    let hex = Array("0123456789ABCDEF")
    return "<0x\(hex[Int(b >> 4)])\(hex[Int(b & 15)])>"
}

/// A min-heap of (rank, position) packed into one UInt64, so ordering is a single integer compare:
/// lowest rank first, then lowest position, as `Merge`'s `Ord` in tokenizers.
struct MergeHeap {
    private var items: [UInt64] = []

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    mutating func push(rank: UInt32, pos: Int32) {
        var i = items.count
        let key = UInt64(rank) << 32 | UInt64(UInt32(pos))
        items.append(key)
        while i > 0 {
            let parent = (i - 1) >> 1
            if items[parent] <= key { break }
            items[i] = items[parent]
            i = parent
        }
        items[i] = key
    }

    mutating func pop() -> (rank: UInt32, pos: Int32)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        let n = items.count
        if n > 0 {
            var i = 0
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                let r = l + 1
                let c = (r < n && items[r] < items[l]) ? r : l
                if items[c] >= last { break }
                items[i] = items[c]
                i = c
            }
            items[i] = last
        }
        return (UInt32(top >> 32), Int32(truncatingIfNeeded: UInt32(top & 0xFFFF_FFFF)))
    }
}

/// Open-addressing hash table (pair of ids) → (rank, merged id). Faster than Dictionary for the
/// millions of lookups a 1 MB text needs, since the key is already a well-mixed pair of small integers.
struct MergeTable {
    private var keys: [UInt64]
    private var values: [UInt64]
    private let mask: Int
    private let shift: UInt64
    private static let empty = UInt64.max

    init(_ entries: [(left: Int32, right: Int32, rank: UInt32, newID: Int32)]) {
        var capacity = 16, bits: UInt64 = 4
        while capacity < entries.count * 2 { capacity <<= 1; bits += 1 }
        shift = 64 - bits
        keys = [UInt64](repeating: Self.empty, count: capacity)
        values = [UInt64](repeating: 0, count: capacity)
        mask = capacity - 1
        for e in entries {
            // A later duplicate overwrites an earlier one, as building tokenizers' merge HashMap does.
            let key = UInt64(UInt32(e.left)) << 32 | UInt64(UInt32(e.right))
            var slot = hash(key)
            while keys[slot] != Self.empty && keys[slot] != key { slot = (slot + 1) & mask }
            keys[slot] = key
            values[slot] = UInt64(e.rank) << 32 | UInt64(UInt32(e.newID))
        }
    }

    /// Fibonacci hashing: the top bits of key × 2^64/φ.
    @inline(__always)
    private func hash(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    @inline(__always)
    subscript(left: Int32, right: Int32) -> (rank: UInt32, newID: Int32)? {
        let key = UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))
        var slot = hash(key)
        while true {
            let k = keys[slot]
            if k == key {
                let v = values[slot]
                return (UInt32(v >> 32), Int32(truncatingIfNeeded: UInt32(v & 0xFFFF_FFFF)))
            }
            if k == Self.empty { return nil }
            slot = (slot + 1) & mask
        }
    }
}
