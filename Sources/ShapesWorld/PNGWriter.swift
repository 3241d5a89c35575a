// A minimal PNG encoder (PNG spec, W3C 2003, §§5, 11.2; zlib RFC 1950; deflate RFC 1951 §3.2.4):
// 8-bit RGB, no interlace, filter type 0 on every scanline, and the zlib stream made of
// stored (uncompressed) deflate blocks. Images are small (64x64 = 12 KB), so compression
// is not worth the code; any PNG reader (libpng, Pillow) decodes the output.

/// Encodes 8-bit RGB pixels as a PNG file.
public enum PNGWriter {
    /// PNG bytes of an image; `rgb` is row-major HWC with `width * height * 3` bytes.
    public static func encode(width: Int, height: Int, rgb: [UInt8]) -> [UInt8] {
        precondition(width > 0 && height > 0 && rgb.count == width * height * 3, "PNGWriter: rgb must hold width*height*3 bytes")
        var raw = [UInt8]()
        raw.reserveCapacity(height * (1 + width * 3))
        for y in 0..<height {
            raw.append(0)  // filter type None
            raw.append(contentsOf: rgb[(y * width * 3)..<((y + 1) * width * 3)])
        }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr = [UInt8]()
        appendBE32(&ihdr, UInt32(width))
        appendBE32(&ihdr, UInt32(height))
        ihdr += [8, 2, 0, 0, 0]  // bit depth 8, colour type 2 (RGB), deflate, filter 0, no interlace
        appendChunk(&out, "IHDR", ihdr)
        appendChunk(&out, "IDAT", zlibStored(raw))
        appendChunk(&out, "IEND", [])
        return out
    }

    /// zlib stream: header 0x78 0x01 (deflate, 32 K window, no dictionary, FCHECK so that
    /// 0x7801 % 31 == 0), stored blocks of at most 65,535 bytes, then Adler-32 big-endian.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        out.reserveCapacity(data.count + data.count / 65535 * 5 + 11)
        var start = 0
        repeat {
            let n = min(65535, data.count - start)
            let final: UInt8 = start + n == data.count ? 1 : 0
            out.append(final)  // BFINAL, BTYPE = 00 (stored); the rest of the byte is padding
            out += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out.append(contentsOf: data[start..<(start + n)])
            start += n
        } while start < data.count
        appendBE32(&out, adler32(data))
        return out
    }

    /// Adler-32 (RFC 1950 §9).
    public static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var i = 0
        while i < data.count {
            let end = min(data.count, i + 5552)  // largest run with no UInt32 overflow before the modulo
            while i < end { a &+= UInt32(data[i]); b &+= a; i += 1 }
            a %= 65521
            b %= 65521
        }
        return (b << 16) | a
    }

    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 as used by PNG chunks (PNG spec Annex D).
    public static func crc32<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static func appendChunk(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
        appendBE32(&out, UInt32(data.count))
        let typeBytes = Array(type.utf8)
        out += typeBytes
        out += data
        appendBE32(&out, crc32(typeBytes + data))
    }

    static func appendBE32(_ out: inout [UInt8], _ v: UInt32) {
        out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }
}
