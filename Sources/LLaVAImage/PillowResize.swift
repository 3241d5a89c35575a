// Pillow's `Image.resize` for 8-bit images, bit-exact: a port of `ImagingResample`
// (Pillow 13.0.0 release, src/libImaging/Resample.c) for box = the whole image and no
// reducing_gap, which is how transformers calls it.
//
// Why this matters: transformers' PIL path resizes with Pillow on uint8 data, so the
// result is quantised to uint8 twice (after each pass). A float resize, or even the
// right kernel with other rounding, differs by a level or more on many pixels.
//
// The algorithm: separable antialiased convolution. The kernel support is scaled by
// the downscale factor; per output pixel the double weights are normalised to sum 1,
// then turned into fixed point with PRECISION_BITS = 22 (`normalize_coeffs_8bpc`).
// Each pass rounds (+2^21) and clips to uint8 (`clip8`). The horizontal pass usually runs
// first, over only the rows the vertical pass reads; see `resize` for when it does not.

import Foundation

public enum PillowResize {
    /// Pillow's resampling filters with their `PIL.Image.Resampling` numbers (the values of
    /// `resample` in preprocessor_config.json). NEAREST (0) is not implemented.
    public enum Filter: Int, CaseIterable {
        case lanczos = 1, bilinear = 2, bicubic = 3, box = 4, hamming = 5

        /// Kernel half-width at scale 1.
        var support: Double {
            switch self {
            case .box: return 0.5
            case .bilinear, .hamming: return 1.0
            case .bicubic: return 2.0
            case .lanczos: return 3.0
            }
        }

        /// The kernels of Resample.c, operation for operation (no FMA, same constants).
        func weight(_ x: Double) -> Double {
            switch self {
            case .box:
                return x > -0.5 && x <= 0.5 ? 1.0 : 0.0
            case .bilinear:
                let x = abs(x)
                return x < 1.0 ? 1.0 - x : 0.0
            case .hamming:
                var x = abs(x)
                if x == 0.0 { return 1.0 }
                if x >= 1.0 { return 0.0 }
                x = x * Double.pi
                // `0.54f + 0.46f * cos(x)`: float constants promoted to double.
                return sin(x) / x * (Double(Float(0.54)) + Double(Float(0.46)) * cos(x))
            case .bicubic:
                let a = -0.5  // Pillow's bicubic uses a = -0.5 (Keys), not OpenCV's -0.75.
                let x = abs(x)
                if x < 1.0 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
                if x < 2.0 { return (((x - 5) * x + 8) * x - 4) * a }
                return 0.0
            case .lanczos:
                return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0
            }
        }

        private func sinc(_ x: Double) -> Double {
            if x == 0.0 { return 1.0 }
            let px = x * Double.pi
            return sin(px) / px
        }
    }

    static let precisionBits = 22

    /// Resizes an RGB image to `width` x `height` as `PIL.Image.resize((width, height), filter)`.
    public static func resize(_ image: RGBImage, width: Int, height: Int, filter: Filter) -> RGBImage {
        precondition(width > 0 && height > 0, "PillowResize: output size must be positive")
        let pixels = resize(image.pixels, channels: 3, width: image.width, height: image.height,
                            toWidth: width, toHeight: height, filter: filter)
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Resizes interleaved 8-bit pixels with `channels` samples per pixel (HWC), each channel
    /// independently. For RGBA/LA, Pillow premultiplies alpha before resizing; this does not.
    public static func resize(_ pixels: [UInt8], channels: Int, width inW: Int, height inH: Int,
                              toWidth outW: Int, toHeight outH: Int, filter: Filter) -> [UInt8] {
        precondition(pixels.count == inW * inH * channels && inW > 0 && inH > 0)
        // Image.resize returns a copy when the size does not change.
        if inW == outW && inH == outH { return pixels }

        let vertical = Coefficients(inSize: inH, outSize: outH, filter: filter)
        let horizontal = Coefficients(inSize: inW, outSize: outW, filter: filter)
        // Pillow 13.0 runs the vertical pass first when the height shrinks by more than twice
        // as many pixels as the width (ImagingResampleInner). The order changes the result:
        // each pass rounds to uint8.
        let horizontalFirst = !(inH - outH > 0 && inH - outH > (inW - outW) * 2)
        if horizontalFirst {
            var current = pixels, rowOffset = 0, width = inW
            if outW != inW {
                // Only the rows the vertical pass reads.
                let yFirst = vertical.bounds[0]
                let yLast = vertical.bounds[2 * outH - 2] + vertical.bounds[2 * outH - 1]
                current = horizontalPass(pixels, channels: channels, inW: inW, rows: yFirst..<yLast, outW: outW,
                                         coefficients: horizontal)
                rowOffset = yFirst
                width = outW
            }
            if outH != inH {
                current = verticalPass(current, channels: channels, width: width, rowOffset: rowOffset, outH: outH,
                                       coefficients: vertical)
            }
            return current
        } else {
            var current = verticalPass(pixels, channels: channels, width: inW, rowOffset: 0, outH: outH,
                                       coefficients: vertical)
            if outW != inW {
                current = horizontalPass(current, channels: channels, inW: inW, rows: 0..<outH, outW: outW,
                                         coefficients: horizontal)
            }
            return current
        }
    }

    // MARK: Coefficients (precompute_coeffs + normalize_coeffs_8bpc)

    struct Coefficients {
        /// Taps per output pixel (the row stride of `weights`).
        let ksize: Int
        /// Per output pixel: first input index, number of taps.
        let bounds: [Int]
        /// (outSize, ksize) fixed-point weights, 2^22 = 1.0.
        let weights: [Int32]

        init(inSize: Int, outSize: Int, filter: Filter) {
            // box = (0, inSize): in0 = 0, in1 = inSize as float, as Resample.c receives them.
            let in0 = 0.0
            let scale = Double(Float(inSize) - Float(0)) / Double(outSize)
            let filterScale = max(scale, 1.0)
            let support = filter.support * filterScale
            let ksize = Int(support.rounded(.up)) * 2 + 1
            let invFilterScale = 1.0 / filterScale

            var bounds = [Int](repeating: 0, count: 2 * outSize)
            var weights = [Int32](repeating: 0, count: outSize * ksize)
            var k = [Double](repeating: 0, count: ksize)
            for xx in 0..<outSize {
                let center = in0 + (Double(xx) + 0.5) * scale
                var ww = 0.0
                let xmin = max(Int(center - support + 0.5), 0)  // C cast: truncation toward zero
                let xmax = min(Int(center + support + 0.5), inSize) - xmin
                for x in 0..<ksize { k[x] = 0 }
                if xmax > 0 {
                    for x in 0..<xmax {
                        let w = filter.weight((Double(x + xmin) - center + 0.5) * invFilterScale)
                        k[x] = w
                        ww += w
                    }
                    if ww != 0.0 {
                        for x in 0..<xmax { k[x] /= ww }
                    }
                }
                for x in 0..<ksize {
                    let v = k[x] * Double(1 << PillowResize.precisionBits)
                    weights[xx * ksize + x] = Int32(k[x] < 0 ? -0.5 + v : 0.5 + v)
                }
                bounds[2 * xx] = xmin
                bounds[2 * xx + 1] = max(xmax, 0)
            }
            self.ksize = ksize
            self.bounds = bounds
            self.weights = weights
        }
    }

    /// `clip8`: the sum carries 22 fraction bits; Pillow's lookup table clamps to 0...255.
    @inline(__always) static func clip8(_ v: Int32) -> UInt8 {
        let s = v >> Int32(precisionBits)
        return s <= 0 ? 0 : (s >= 255 ? 255 : UInt8(truncatingIfNeeded: s))
    }

    // MARK: Passes

    /// `_ImagingResampleHorizontal_8bpc` over input rows `rows`.
    static func horizontalPass(_ input: [UInt8], channels: Int, inW: Int, rows: Range<Int>, outW: Int,
                               coefficients co: Coefficients) -> [UInt8] {
        let outH = rows.count
        let half = Int32(1 << (precisionBits - 1))
        let ksize = co.ksize
        return [UInt8](unsafeUninitializedCapacity: outW * outH * channels) { out, count in
            input.withUnsafeBufferPointer { inp in
                co.weights.withUnsafeBufferPointer { kk in
                    co.bounds.withUnsafeBufferPointer { bounds in
                        for yy in 0..<outH {
                            let lineIn = inp.baseAddress! + (rows.lowerBound + yy) * inW * channels
                            let lineOut = out.baseAddress! + yy * outW * channels
                            if channels == 3 {
                                for xx in 0..<outW {
                                    let xmin = bounds[2 * xx], xmax = bounds[2 * xx + 1]
                                    let k = kk.baseAddress! + xx * ksize
                                    var p = lineIn + xmin * 3
                                    var s0 = half, s1 = half, s2 = half
                                    for x in 0..<xmax {
                                        let w = k[x]
                                        s0 &+= Int32(p[0]) &* w
                                        s1 &+= Int32(p[1]) &* w
                                        s2 &+= Int32(p[2]) &* w
                                        p += 3
                                    }
                                    lineOut[3 * xx] = clip8(s0)
                                    lineOut[3 * xx + 1] = clip8(s1)
                                    lineOut[3 * xx + 2] = clip8(s2)
                                }
                            } else {
                                for xx in 0..<outW {
                                    let xmin = bounds[2 * xx], xmax = bounds[2 * xx + 1]
                                    let k = kk.baseAddress! + xx * ksize
                                    for c in 0..<channels {
                                        var s = half
                                        for x in 0..<xmax { s &+= Int32(lineIn[(xmin + x) * channels + c]) &* k[x] }
                                        lineOut[xx * channels + c] = clip8(s)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            count = outW * outH * channels
        }
    }

    /// `_ImagingResampleVertical_8bpc`; `rowOffset` is the first input row held by `input`
    /// (the bounds are in original-image rows). Accumulates whole rows: integer sums are
    /// exact, so the order of additions does not change the result.
    static func verticalPass(_ input: [UInt8], channels: Int, width: Int, rowOffset: Int, outH: Int,
                             coefficients co: Coefficients) -> [UInt8] {
        let rowLength = width * channels
        let half = Int32(1 << (precisionBits - 1))
        let ksize = co.ksize
        var acc = [Int32](repeating: 0, count: rowLength)
        return [UInt8](unsafeUninitializedCapacity: rowLength * outH) { out, count in
            input.withUnsafeBufferPointer { inp in
                acc.withUnsafeMutableBufferPointer { acc in
                    co.weights.withUnsafeBufferPointer { kk in
                        for yy in 0..<outH {
                            let ymin = co.bounds[2 * yy] - rowOffset, ymax = co.bounds[2 * yy + 1]
                            for i in 0..<rowLength { acc[i] = half }
                            for y in 0..<ymax {
                                let w = kk[yy * ksize + y]
                                let line = inp.baseAddress! + (ymin + y) * rowLength
                                for i in 0..<rowLength { acc[i] &+= Int32(line[i]) &* w }
                            }
                            let lineOut = out.baseAddress! + yy * rowLength
                            for i in 0..<rowLength { lineOut[i] = clip8(acc[i]) }
                        }
                    }
                }
            }
            count = rowLength * outH
        }
    }
}
