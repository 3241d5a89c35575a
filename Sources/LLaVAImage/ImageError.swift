// Errors of image decoding and preprocessing: what went wrong, where (file path), and
// what to do. Messages are checked word for word by the tests.

/// An image file or image-processor config that cannot be used.
public enum ImageError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read at all (missing, a directory, no permission).
    case unreadable(path: String, reason: String)
    /// The file has zero bytes.
    case emptyFile(path: String)
    /// The bytes are neither JPEG nor PNG; `detected` names a known other format, if any.
    case unknownFormat(path: String, detected: String?)
    /// The data ends before the image is complete.
    case truncated(path: String, format: String)
    /// The codec rejected the data; `detail` is its message.
    case corrupt(path: String, format: String, detail: String)
    /// The header declares more pixels than `ImageDecoder.maxPixels` (checked before allocating).
    case tooLarge(path: String, width: Int, height: Int, maxPixels: Int)
    /// A valid file using a feature this decoder does not handle.
    case unsupported(path: String, format: String, feature: String)
    /// `preprocessor_config.json` is missing.
    case configNotFound(path: String)
    /// `preprocessor_config.json` is not valid JSON or has a field of the wrong kind.
    case invalidConfig(path: String, detail: String)
    /// `image_processor_type` names a processor other than CLIP's or LLaVA's.
    case unsupportedProcessor(path: String, type: String?)
    /// The config's `size` maps this image to an empty or oversized (> `ImageDecoder.maxPixels`) resize
    /// target, as extreme aspect ratios can.
    case cannotResize(width: Int, height: Int, toWidth: Int, toHeight: Int)
    /// `resample` is a Pillow filter this port does not implement (NEAREST) or not a filter at all.
    case unsupportedResample(path: String, value: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "Cannot read image file \(path): \(reason). Check the path and its permissions."
        case let .emptyFile(path):
            return "Cannot decode image \(path): the file is empty (0 bytes). "
                + "Check that it was downloaded or copied completely."
        case let .unknownFormat(path, detected):
            let what = detected.map { "a \($0) file" } ?? "neither a JPEG nor a PNG file"
            return "Cannot decode image \(path): it is \(what). Only JPEG and PNG are supported: convert it first."
        case let .truncated(path, format):
            return "Cannot decode image \(path): the \(format) data ends before the image is complete "
                + "(truncated file). Download or export it again."
        case let .corrupt(path, format, detail):
            return "Cannot decode image \(path): the \(format) data is corrupt (\(detail)). Export it again."
        case let .tooLarge(path, width, height, maxPixels):
            return "Cannot decode image \(path): its header declares \(width)x\(height) pixels, "
                + "more than the limit of \(maxPixels). Downscale it first."
        case let .unsupported(path, format, feature):
            return "Cannot decode image \(path): \(feature) is not supported. "
                + "Convert it to an 8-bit RGB \(format) or PNG first."
        case let .configNotFound(path):
            return "Cannot load image processor config \(path): the file does not exist. "
                + "Pass the model directory that contains preprocessor_config.json."
        case let .invalidConfig(path, detail):
            return "Cannot load image processor config \(path): \(detail)."
        case let .unsupportedProcessor(path, type):
            let named = type.map { "\"\($0)\"" } ?? "no image_processor_type"
            return "Cannot load image processor config \(path): \(named) is not supported. "
                + "Supported: CLIPImageProcessor, CLIPFeatureExtractor, LlavaImageProcessor."
        case let .cannotResize(width, height, toWidth, toHeight):
            return "Cannot preprocess a \(width)x\(height) image: the processor config resizes it to "
                + "\(toWidth)x\(toHeight) pixels. Crop the image to a less extreme aspect ratio first."
        case let .unsupportedResample(path, value):
            return "Cannot load image processor config \(path): resample \(value) is not supported. "
                + "Supported Pillow filters: 1 (LANCZOS), 2 (BILINEAR), 3 (BICUBIC), 4 (BOX), 5 (HAMMING)."
        }
    }
}
