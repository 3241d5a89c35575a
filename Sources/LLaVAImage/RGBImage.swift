// The two image values of this target: decoded 8-bit RGB pixels, and the float tensor
// the vision tower consumes.

/// An 8-bit RGB image, rows top to bottom, pixels interleaved (HWC, like `np.asarray(pil_image)`).
public struct RGBImage: Equatable {
    public let width: Int
    public let height: Int
    /// (height, width, 3)
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3,
                     "RGBImage: \(pixels.count) bytes for \(width)x\(height)x3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image filled with one colour.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8)) {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            pixels[3 * i] = fill.0
            pixels[3 * i + 1] = fill.1
            pixels[3 * i + 2] = fill.2
        }
        self.init(width: width, height: height, pixels: pixels)
    }
}

/// Preprocessed pixels, channel-first like transformers' `pixel_values[0]`.
public struct PixelTensor: Equatable {
    public let channels: Int
    public let height: Int
    public let width: Int
    /// (channels, height, width)
    public var values: [Float]

    public init(channels: Int, height: Int, width: Int, values: [Float]) {
        precondition(values.count == channels * height * width, "PixelTensor: wrong value count")
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
    }
}
