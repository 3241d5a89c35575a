// The preprocessing of transformers 5.23's PIL backend (`CLIPImageProcessorPil`,
// `LlavaImageProcessorPil`, i.e. `use_fast=False`), step for step:
//   (LLaVA, do_pad) pad_to_square with colour int(mean*255), image centred
//   resize        get_resize_output_image_size, then PIL Image.resize on uint8
//   center_crop   top = (h - ch) // 2, left = (w - cw) // 2, zeros where the crop leaves the image
//   rescale       uint8 -> float64 * rescale_factor -> float32
//   normalize     float32 (x - mean) / std, mean and std cast to float32
// and the output is CHW. Every step before rescale works on uint8, so the float value of
// an output element depends only on its channel and uint8 level: a 3x256 table gives
// exactly the float32 numpy computes.

public struct ImageProcessor {
    public let config: ImageProcessorConfig

    public init(config: ImageProcessorConfig) {
        self.config = config
    }

    /// Output size (height, width) for an input of the given size.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        var (h, w) = (height, width)
        if config.kind == .llava && config.doPad { h = max(h, w); w = h }
        if config.doResize { (h, w) = resizeTarget(height: h, width: w) }
        if config.doCenterCrop { (h, w) = (config.cropHeight, config.cropWidth) }
        return (h, w)
    }

    public func preprocess(_ image: RGBImage) throws -> PixelTensor {
        guard let filter = config.filter else {
            throw ImageError.unsupportedResample(path: "preprocessor_config.json", value: config.resample)
        }
        // Decoded images are always RGB, so do_convert_rgb has nothing left to do.
        var image = image
        if config.kind == .llava && config.doPad {
            image = padToSquare(image, color: backgroundColor)
        }
        if config.doResize {
            let (h, w) = resizeTarget(height: image.height, width: image.width)
            guard h >= 1 && w >= 1 && h.multipliedReportingOverflow(by: w).partialValue <= ImageDecoder.maxPixels,
                  h < 1 << 31 && w < 1 << 31 else {
                throw ImageError.cannotResize(width: image.width, height: image.height, toWidth: w, toHeight: h)
            }
            image = PillowResize.resize(image, width: w, height: h, filter: filter)
        }
        if config.doCenterCrop {
            image = centerCrop(image, height: config.cropHeight, width: config.cropWidth)
        }
        return toTensor(image)
    }

    /// LLaVA's padding colour: `tuple(int(x * 255) for x in image_mean)`, (122, 116, 104) for CLIP's mean.
    public var backgroundColor: (UInt8, UInt8, UInt8) {
        let c = config.imageMean.map { UInt8(clamping: Int($0 * 255)) }
        return (c[0], c[1], c[2])
    }

    // MARK: Steps

    /// (height, width) after `resize`, as transformers computes it.
    func resizeTarget(height: Int, width: Int) -> (Int, Int) {
        switch config.size {
        case let .exact(h, w):
            return (h, w)
        case let .shortestEdge(s):
            // get_resize_output_image_size(default_to_square=False): int(s * long / short), truncated.
            let (short, long) = width <= height ? (width, height) : (height, width)
            let newLong = Int(Double(s * long) / Double(short))
            return width <= height ? (newLong, s) : (s, newLong)
        case let .shortestEdgeCapped(s, maxSize):
            // get_size_with_aspect_ratio((height, width), s, maxSize).
            var size = s
            var rawSize: Double? = nil
            let minOriginal = Double(min(height, width)), maxOriginal = Double(max(height, width))
            if maxOriginal / minOriginal * Double(size) > Double(maxSize) {
                let raw = Double(maxSize) * minOriginal / maxOriginal
                rawSize = raw
                size = Int(raw.rounded(.toNearestOrEven))  // Python round()
            }
            if (height <= width && height == size) || (width <= height && width == size) {
                return (height, width)
            } else if width < height {
                let oh = rawSize.map { Int($0 * Double(height) / Double(width)) } ?? Int(Double(size * height) / Double(width))
                return (oh, size)
            } else {
                let ow = rawSize.map { Int($0 * Double(width) / Double(height)) } ?? Int(Double(size * width) / Double(height))
                return (size, ow)
            }
        }
    }

    /// LlavaImageProcessorPil.pad_to_square: a max(h, w) square of `color`, image at
    /// offset (max - h) // 2 (or (max - w) // 2 horizontally).
    public func padToSquare(_ image: RGBImage, color: (UInt8, UInt8, UInt8)) -> RGBImage {
        let (h, w) = (image.height, image.width)
        if h == w { return image }
        let side = max(h, w)
        var out = RGBImage(width: side, height: side, fill: color)
        let top = h < side ? (side - h) / 2 : 0
        let left = w < side ? (side - w) / 2 : 0
        out.pixels.withUnsafeMutableBufferPointer { dst in
            image.pixels.withUnsafeBufferPointer { src in
                for y in 0..<h {
                    let d = dst.baseAddress! + ((top + y) * side + left) * 3
                    d.update(from: src.baseAddress! + y * w * 3, count: w * 3)
                }
            }
        }
        return out
    }

    /// image_transforms.center_crop: rows top..<top+height with top = (h - height) // 2
    /// (floor division), likewise columns; pixels outside the image are 0.
    public func centerCrop(_ image: RGBImage, height ch: Int, width cw: Int) -> RGBImage {
        let (h, w) = (image.height, image.width)
        if ch == h && cw == w { return image }
        let top = floorDiv2(h - ch), left = floorDiv2(w - cw)
        var out = [UInt8](repeating: 0, count: ch * cw * 3)
        let x0 = max(0, -left), x1 = min(cw, w - left)
        if x1 > x0 {
            out.withUnsafeMutableBufferPointer { dst in
                image.pixels.withUnsafeBufferPointer { src in
                    for y in 0..<ch where top + y >= 0 && top + y < h {
                        let d = dst.baseAddress! + (y * cw + x0) * 3
                        d.update(from: src.baseAddress! + ((top + y) * w + left + x0) * 3, count: (x1 - x0) * 3)
                    }
                }
            }
        }
        return RGBImage(width: cw, height: ch, pixels: out)
    }

    /// HWC uint8 -> CHW float32 through rescale and normalize.
    func toTensor(_ image: RGBImage) -> PixelTensor {
        let table = levelTable()
        let n = image.width * image.height
        let values = [Float](unsafeUninitializedCapacity: 3 * n) { out, count in
            image.pixels.withUnsafeBufferPointer { src in
                table.withUnsafeBufferPointer { table in
                    for c in 0..<3 {
                        let t = table.baseAddress! + 256 * c
                        let o = out.baseAddress! + n * c
                        for i in 0..<n { o[i] = t[Int(src[3 * i + c])] }
                    }
                }
            }
            count = 3 * n
        }
        return PixelTensor(channels: 3, height: image.height, width: image.width, values: values)
    }

    /// (3, 256): the output float for each channel and uint8 level.
    public func levelTable() -> [Float] {
        var table = [Float](repeating: 0, count: 3 * 256)
        for c in 0..<3 {
            let mean = Float(config.imageMean[c]), std = Float(config.imageStd[c])
            for v in 0..<256 {
                // rescale: image.astype(float64) * scale, then .astype(float32);
                // without rescale, normalize casts the uint8 to float32.
                var x = config.doRescale ? Float(Double(v) * config.rescaleFactor) : Float(v)
                if config.doNormalize { x = (x - mean) / std }
                table[256 * c + v] = x
            }
        }
        return table
    }

    private func floorDiv2(_ x: Int) -> Int { x >= 0 ? x / 2 : -((-x + 1) / 2) }
}
