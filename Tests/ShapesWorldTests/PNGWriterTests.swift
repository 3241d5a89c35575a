// PNG encoder: chunk structure, CRC-32 and Adler-32 against independent bitwise versions and
// published check values, and a round trip through a reader of stored deflate blocks.
import ShapesWorld
import XCTest

final class PNGWriterTests: XCTestCase {
    /// Bit-by-bit CRC-32 (reflected polynomial 0xEDB88320), no table.
    func bitwiseCRC(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c >> 1) ^ (c & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        return ~c
    }

    func be32(_ b: [UInt8], _ at: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v = (v << 8) | UInt32(b[at + k]) }
        return v
    }

    /// Splits a PNG into chunks, checking every CRC; returns (type, data) pairs.
    func chunks(_ png: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> [(String, [UInt8])] {
        XCTAssertEqual(Array(png[0..<8]), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "signature", file: file, line: line)
        var out: [(String, [UInt8])] = []
        var p = 8
        while p + 12 <= png.count {
            let n = Int(be32(png, p))
            let typeAndData = Array(png[(p + 4)..<(p + 8 + n)])
            XCTAssertEqual(be32(png, p + 8 + n), bitwiseCRC(typeAndData), "CRC of chunk at \(p)", file: file, line: line)
            out.append((String(decoding: typeAndData[0..<4], as: UTF8.self), Array(typeAndData[4...])))
            p += 12 + n
        }
        XCTAssertEqual(p, png.count, "no trailing bytes", file: file, line: line)
        return out
    }

    /// Inflates a zlib stream made only of stored blocks; checks header and Adler-32.
    func inflateStored(_ z: [UInt8]) -> [UInt8]? {
        let cmfFlg: UInt16 = (UInt16(z[0]) << 8) | UInt16(z[1])
        guard z.count >= 6, cmfFlg % 31 == 0, z[0] & 0x0F == 8 else { return nil }
        var out: [UInt8] = []
        var p = 2
        while true {
            let header = z[p]
            guard header & 0b110 == 0 else { return nil }  // BTYPE 00
            let len: Int = Int(z[p + 1]) | (Int(z[p + 2]) << 8)
            let nlen: Int = Int(z[p + 3]) | (Int(z[p + 4]) << 8)
            guard len == (~nlen & 0xFFFF) else { return nil }
            out += z[(p + 5)..<(p + 5 + len)]
            p += 5 + len
            if header & 1 == 1 { break }
        }
        var a: UInt32 = 1, b: UInt32 = 0
        for x in out { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        guard be32(z, p) == (b << 16 | a), p + 4 == z.count else { return nil }
        return out
    }

    func decode(_ png: [UInt8]) -> (Int, Int, [UInt8])? {
        let cs = chunks(png)
        guard cs.first?.0 == "IHDR", cs.last?.0 == "IEND", cs.last?.1.isEmpty == true else { return nil }
        let ihdr = cs[0].1
        XCTAssertEqual(Array(ihdr[8...]), [8, 2, 0, 0, 0], "8-bit RGB, deflate, filter 0, no interlace")
        let w = Int(be32(ihdr, 0)), h = Int(be32(ihdr, 4))
        guard let raw = inflateStored(cs.filter { $0.0 == "IDAT" }.flatMap { $0.1 }), raw.count == h * (1 + 3 * w) else { return nil }
        var rgb: [UInt8] = []
        let stride = 1 + 3 * w
        for y in 0..<h {
            let start = y * stride
            XCTAssertEqual(raw[start], 0, "filter type of row \(y)")
            rgb += raw[(start + 1)..<(start + stride)]
        }
        return (w, h, rgb)
    }

    func testPublishedCheckValues() {
        XCTAssertEqual(PNGWriter.crc32(Array("123456789".utf8)), 0xCBF4_3926)  // CRC-32 check value
        XCTAssertEqual(PNGWriter.crc32(Array("IEND".utf8)), 0xAE42_6082)  // the CRC every PNG ends with
        XCTAssertEqual(PNGWriter.adler32(Array("Wikipedia".utf8)), 0x11E6_0398)
        XCTAssertEqual(PNGWriter.adler32([]), 1)
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var a: UInt32 = 1, b: UInt32 = 0
        for x in big { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        XCTAssertEqual(PNGWriter.adler32(big), b << 16 | a, "long input crosses the 5552-byte modulo runs")
        XCTAssertEqual(PNGWriter.crc32(big), bitwiseCRC(big))
    }

    func testSceneImageRoundTrips() throws {
        let s = try SceneGenerator(seed: 9).scene(index: 0)
        let png = PNGWriter.encode(width: s.width, height: s.height, rgb: s.pixels)
        let d = try XCTUnwrap(decode(png))
        XCTAssertEqual(d.0, 64)
        XCTAssertEqual(d.1, 64)
        XCTAssertEqual(d.2, s.pixels)
    }

    /// 200 x 150 RGB = 90,150 raw bytes: two stored blocks.
    func testMultiBlockRoundTrip() throws {
        let w = 200, h = 150
        let rgb = (0..<(w * h * 3)).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 600) }
        let png = PNGWriter.encode(width: w, height: h, rgb: rgb)
        let d = try XCTUnwrap(decode(png))
        XCTAssertEqual(d.0, w)
        XCTAssertEqual(d.1, h)
        XCTAssertEqual(d.2, rgb)
        let idat = chunks(png).first { $0.0 == "IDAT" }!.1
        XCTAssertEqual(idat[2], 0, "first block is not final")
    }
}
