// Decodes JPEG and PNG files to 8-bit RGB exactly as transformers' PIL path sees them:
// `Image.open(path)` (Pillow 13.0) followed by transformers 5.23
// `image_transforms.convert_to_rgb`, which composites any transparency onto white with
// `PIL.Image.alpha_composite` and then converts to RGB.
//
// The format is found from the magic bytes, not the file name. Pixel decoding is done by
// libjpeg-turbo / libpng in CImageCodecs with Pillow's settings; the conversions of
// Pillow's modes to RGB (alpha over white, CMYK) are below, ported from Pillow's C code.
// EXIF orientation is not applied: `Image.open` does not apply it either.
import CImageCodecs
import Foundation

public enum ImageDecoder {
    /// Largest width*height accepted, checked from the header before any pixel buffer is
    /// allocated (2^28: 16384x16384).
    public static let maxPixels = 1 << 28

    /// Reads and decodes a JPEG or PNG file.
    public static func decode(fileAt url: URL) throws -> RGBImage {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            let reason: String
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
                reason = "no such file"
            } else if isDirectory.boolValue {
                reason = "it is a directory"
            } else {
                reason = "the file cannot be opened for reading"
            }
            throw ImageError.unreadable(path: url.path, reason: reason)
        }
        return try decode(data: [UInt8](data), name: url.path)
    }

    /// Decodes JPEG or PNG bytes; `name` (usually the file path) appears in error messages.
    public static func decode(data: [UInt8], name: String) throws -> RGBImage {
        guard !data.isEmpty else { throw ImageError.emptyFile(path: name) }
        let format = try detectFormat(data, name: name)
        return try data.withUnsafeBufferPointer { bytes -> RGBImage in
            var result = cic_result()
            let decoder: OpaquePointer? = format == "JPEG"
                ? cic_jpeg_open(bytes.baseAddress, bytes.count, Int64(maxPixels), &result)
                : cic_png_open(bytes.baseAddress, bytes.count, Int64(maxPixels), &result)
            guard let decoder else { throw error(result, format: format, name: name) }
            defer { cic_close(decoder) }

            let width = Int(result.width), height = Int(result.height)
            let channels = Int(result.channels), layout = Int(result.layout)
            if layout == Int(CIC_LAYOUT_RGB.rawValue) {
                // Decode straight into the image's storage.
                var status = Int32(CIC_OK.rawValue)
                let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
                    status = cic_read(decoder, buffer.baseAddress, &result)
                    count = width * height * 3
                }
                guard status == Int32(CIC_OK.rawValue) else { throw error(result, format: format, name: name) }
                return RGBImage(width: width, height: height, pixels: pixels)
            }
            var raw = [UInt8](repeating: 0, count: width * height * channels)
            let status = raw.withUnsafeMutableBufferPointer { cic_read(decoder, $0.baseAddress, &result) }
            guard status == Int32(CIC_OK.rawValue) else { throw error(result, format: format, name: name) }
            return RGBImage(width: width, height: height,
                            pixels: convertToRGB(raw, layout: layout, pixelCount: width * height))
        }
    }

    // MARK: Format detection

    static func detectFormat(_ data: [UInt8], name: String) throws -> String {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            data.count >= offset + magic.count && Array(data[offset..<(offset + magic.count)]) == magic
        }
        if starts([0xFF, 0xD8, 0xFF]) { return "JPEG" }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "PNG" }
        // Name common formats that Pillow would read but this decoder does not.
        let others: [(magic: [UInt8], offset: Int, name: String)] = [
            (Array("GIF8".utf8), 0, "GIF"), (Array("WEBP".utf8), 8, "WebP"), (Array("BM".utf8), 0, "BMP"),
            ([0x49, 0x49, 0x2A, 0x00], 0, "TIFF"), ([0x4D, 0x4D, 0x00, 0x2A], 0, "TIFF"),
            (Array("ftypheic".utf8), 4, "HEIC"), (Array("ftypavif".utf8), 4, "AVIF"),
        ]
        let detected = others.first { starts($0.magic, at: $0.offset) }?.name
        throw ImageError.unknownFormat(path: name, detected: detected)
    }

    static func error(_ result: cic_result, format: String, name: String) -> ImageError {
        var message = result.message
        let detail = withUnsafeBytes(of: &message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        switch UInt32(result.status) {
        case CIC_TRUNCATED.rawValue:
            return .truncated(path: name, format: format)
        case CIC_TOO_LARGE.rawValue:
            return .tooLarge(path: name, width: Int(result.width), height: Int(result.height), maxPixels: maxPixels)
        case CIC_UNSUPPORTED.rawValue:
            return .unsupported(path: name, format: format, feature: detail)
        case CIC_NO_MEMORY.rawValue:
            return .corrupt(path: name, format: format, detail: "out of memory")
        default:
            return .corrupt(path: name, format: format, detail: detail)
        }
    }

    // MARK: Conversion of Pillow's modes to RGB

    /// Converts decoded samples to RGB as `convert_to_rgb` does: gray is replicated
    /// (Pillow L->RGB), alpha is composited onto opaque white, CMYK goes through
    /// Pillow's `cmyk2rgb` after undoing the Adobe inversion ("CMYK;I" raw mode).
    static func convertToRGB(_ raw: [UInt8], layout: Int, pixelCount n: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: n * 3) { out, count in
            raw.withUnsafeBufferPointer { src in
                switch UInt32(layout) {
                case CIC_LAYOUT_GRAY.rawValue:
                    for i in 0..<n {
                        let v = src[i]
                        out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
                    }
                case CIC_LAYOUT_GRAY_ALPHA.rawValue:
                    for i in 0..<n {
                        let v = overWhite(src[2 * i], alpha: src[2 * i + 1])
                        out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
                    }
                case CIC_LAYOUT_RGBA.rawValue:
                    for i in 0..<n {
                        let a = src[4 * i + 3]
                        out[3 * i] = overWhite(src[4 * i], alpha: a)
                        out[3 * i + 1] = overWhite(src[4 * i + 1], alpha: a)
                        out[3 * i + 2] = overWhite(src[4 * i + 2], alpha: a)
                    }
                case CIC_LAYOUT_CMYK.rawValue:
                    for i in 0..<n {
                        // "CMYK;I": Adobe files store inverted samples; Pillow inverts them back.
                        let nk = Int(src[4 * i + 3])  // 255 - k, with k = 255 - raw
                        for c in 0..<3 {
                            let v = 255 - Int(src[4 * i + c])
                            out[3 * i + c] = UInt8(clamping: nk - mulDiv255(v, nk))
                        }
                    }
                default:  // RGB
                    for i in 0..<(3 * n) { out[i] = src[i] }
                }
            }
            count = n * 3
        }
    }

    /// Pillow's `SHIFTFORDIV255`: a rounded division by 255 for 0 <= a < 2^24.
    @inline(__always) static func shiftForDiv255(_ a: UInt32) -> UInt32 { ((a >> 8) + a) >> 8 }

    /// Pillow's `MULDIV255(a, b)` = round(a*b/255).
    @inline(__always) static func mulDiv255(_ a: Int, _ b: Int) -> Int {
        Int(shiftForDiv255(UInt32(a * b + 128)))
    }

    /// One channel of `ImagingAlphaComposite(white, src)` (AlphaComposite.c). With an opaque
    /// white destination `outa255 = 255*255`, so `coef1 = a*128` exactly.
    @inline(__always) static func overWhite(_ c: UInt8, alpha a: UInt8) -> UInt8 {
        if a == 0 { return 255 }
        let precisionBits: UInt32 = 7
        let a32 = UInt32(a)
        let blend = 255 * (255 - a32)  // dst.a * (255 - src.a)
        let outa255 = a32 * 255 + blend
        let coef1 = a32 * 255 * 255 * (1 << precisionBits) / outa255
        let coef2 = 255 * (1 << precisionBits) - coef1
        let tmp = UInt32(c) * coef1 + 255 * coef2
        return UInt8(truncatingIfNeeded: shiftForDiv255(tmp + (0x80 << precisionBits)) >> precisionBits)
    }
}
