// preprocessor_config.json for CLIPImageProcessor (also the legacy CLIPFeatureExtractor
// files of openai/clip-vit-*) and LlavaImageProcessor, as transformers 5.23 reads them
// (CLIPImageProcessorPil / LlavaImageProcessorPil class defaults, then
// BaseImageProcessor._standardize_kwargs and image_processing_utils.get_size_dict).
//
// A missing key takes the class default. A JSON null is kept as None by transformers'
// from_pretrained: a null do_* flag is false (None is falsy), and a null value that an
// enabled step needs (size, resample, crop_size, rescale_factor, image_mean, image_std)
// makes transformers raise, so it is an error here too.
// Keys this port does not use (processor_class, feature_extractor_type, ...) are ignored.
import Foundation

public struct ImageProcessorConfig: Decodable {
    /// Which transformers class the file configures.
    public enum Kind: Equatable { case clip, llava }

    /// The resize target (`size`), after `get_size_dict`.
    public enum ResizeTarget: Equatable {
        /// `{"shortest_edge": s}`: shorter side to s, longer side `int(s * long / short)`.
        case shortestEdge(Int)
        /// `{"shortest_edge": s, "longest_edge": l}`: `get_size_with_aspect_ratio`.
        case shortestEdgeCapped(shortest: Int, longest: Int)
        /// `{"height": h, "width": w}`: exactly this size.
        case exact(height: Int, width: Int)
    }

    public var kind: Kind = .clip
    public var doConvertRGB = true
    public var doResize = true
    public var size: ResizeTarget = .shortestEdge(224)
    /// Pillow filter number (3 = BICUBIC, the CLIP default).
    public var resample = 3
    public var doCenterCrop = true
    public var cropHeight = 224
    public var cropWidth = 224
    public var doRescale = true
    public var rescaleFactor = 1.0 / 255.0
    public var doNormalize = true
    /// Per channel (OPENAI_CLIP_MEAN / OPENAI_CLIP_STD by default), as parsed from JSON (float64).
    public var imageMean = [0.48145466, 0.4578275, 0.40821073]
    public var imageStd = [0.26862954, 0.26130258, 0.27577711]
    /// LlavaImageProcessor: pad to a square with the mean colour before resizing
    /// (LLaVA-1.5 `expand2square`). Defaults to false, as in transformers.
    public var doPad = false

    /// The class defaults (CLIPImageProcessor with size 224).
    public init(kind: Kind = .clip) {
        self.kind = kind
    }

    /// Reads `directory/preprocessor_config.json`, or, when there is none, the `image_processor`
    /// object nested in `directory/processor_config.json` (where transformers 5's
    /// LlavaProcessor.save_pretrained puts it).
    public init(directory: URL) throws {
        let url = directory.appendingPathComponent("preprocessor_config.json")
        if let data = FileManager.default.contents(atPath: url.path) {
            try self.init(json: Self.parse(data, path: url.path), path: url.path)
            return
        }
        let processor = directory.appendingPathComponent("processor_config.json")
        guard let data = FileManager.default.contents(atPath: processor.path),
              case let .object(fields) = try Self.parse(data, path: processor.path),
              let nested = fields["image_processor"]
        else { throw ImageError.configNotFound(path: url.path) }
        try self.init(json: nested, path: processor.path + " (image_processor)")
    }

    static func parse(_ data: Data, path: String) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ImageError.invalidConfig(path: path, detail: "not valid JSON")
        }
    }

    public init(from decoder: Decoder) throws {
        let json = try JSONValue(from: decoder)
        try self.init(json: json, path: "preprocessor_config.json")
    }

    init(json: JSONValue, path: String) throws {
        guard case let .object(fields) = json else {
            throw ImageError.invalidConfig(path: path, detail: "the top level is not a JSON object")
        }
        func invalid(_ key: String, _ expected: String) -> ImageError {
            .invalidConfig(path: path, detail: "\"\(key)\" must be \(expected)")
        }
        func value(_ key: String) -> JSONValue? {
            if let v = fields[key], v != .null { return v }
            return nil
        }
        func bool(_ key: String) throws -> Bool? {
            if fields[key] == .null { return false }
            guard let v = value(key) else { return nil }
            guard case let .bool(b) = v else { throw invalid(key, "true or false") }
            return b
        }
        func number(_ key: String) throws -> Double? {
            guard let v = value(key) else { return nil }
            guard case let .number(x) = v else { throw invalid(key, "a number") }
            return x
        }
        func perChannel(_ key: String) throws -> [Double]? {
            guard let v = value(key) else { return nil }
            switch v {
            case let .number(x): return [x, x, x]
            case let .array(items) where items.count == 3:
                return try items.map { item -> Double in
                    guard case let .number(x) = item else { throw invalid(key, "3 numbers") }
                    return x
                }
            default: throw invalid(key, "a number or a list of 3 numbers")
            }
        }

        let type = value("image_processor_type")?.string ?? value("feature_extractor_type")?.string
        switch type {
        case "CLIPImageProcessor", "CLIPImageProcessorFast", "CLIPImageProcessorPil", "CLIPFeatureExtractor":
            kind = .clip
        case "LlavaImageProcessor", "LlavaImageProcessorFast", "LlavaImageProcessorPil":
            kind = .llava
        default:
            throw ImageError.unsupportedProcessor(path: path, type: type)
        }

        doConvertRGB = try bool("do_convert_rgb") ?? doConvertRGB
        doResize = try bool("do_resize") ?? doResize
        doCenterCrop = try bool("do_center_crop") ?? doCenterCrop
        doRescale = try bool("do_rescale") ?? doRescale
        doNormalize = try bool("do_normalize") ?? doNormalize
        rescaleFactor = try number("rescale_factor") ?? rescaleFactor
        imageMean = try perChannel("image_mean") ?? imageMean
        imageStd = try perChannel("image_std") ?? imageStd
        doPad = try bool("do_pad") ?? doPad
        let defaultToSquare = try bool("default_to_square") ?? false  // CLIP and LLaVA class default

        if let r = try number("resample") {
            guard let filter = Int(exactly: r), PillowResize.Filter(rawValue: filter) != nil else {
                throw ImageError.unsupportedResample(path: path, value: Int(r))
            }
            resample = filter
        }

        func positive(_ key: String, _ v: JSONValue) throws -> Int {
            guard case let .number(x) = v, let n = Int(exactly: x), n > 0 else {
                throw invalid(key, "positive integers")
            }
            return n
        }
        if let v = value("size") {
            switch v {
            case .number:
                let n = try positive("size", v)
                size = defaultToSquare ? .exact(height: n, width: n) : .shortestEdge(n)
            case let .array(items) where items.count == 2:
                size = .exact(height: try positive("size", items[0]), width: try positive("size", items[1]))
            case let .object(dict):
                let keys = Set(dict.keys)
                if keys == ["shortest_edge"] {
                    size = .shortestEdge(try positive("size", dict["shortest_edge"]!))
                } else if keys == ["shortest_edge", "longest_edge"] {
                    size = .shortestEdgeCapped(shortest: try positive("size", dict["shortest_edge"]!),
                                               longest: try positive("size", dict["longest_edge"]!))
                } else if keys == ["height", "width"] {
                    size = .exact(height: try positive("size", dict["height"]!),
                                  width: try positive("size", dict["width"]!))
                } else {
                    throw invalid("size", "{\"shortest_edge\"}, {\"shortest_edge\", \"longest_edge\"} "
                                  + "or {\"height\", \"width\"} (got \(keys.sorted()))")
                }
            default:
                throw invalid("size", "an integer, [height, width] or a dictionary")
            }
        }
        if let v = value("crop_size") {
            // get_size_dict(crop_size) uses default_to_square=True.
            switch v {
            case .number:
                cropHeight = try positive("crop_size", v)
                cropWidth = cropHeight
            case let .array(items) where items.count == 2:
                cropHeight = try positive("crop_size", items[0])
                cropWidth = try positive("crop_size", items[1])
            case let .object(dict) where Set(dict.keys) == ["height", "width"]:
                cropHeight = try positive("crop_size", dict["height"]!)
                cropWidth = try positive("crop_size", dict["width"]!)
            default:
                throw invalid("crop_size", "an integer, [height, width] or {\"height\", \"width\"}")
            }
        }
        if kind == .clip && doPad && value("pad_size") != nil {
            // CLIP's PIL backend pads each image to pad_size after normalising; no CLIP
            // checkpoint uses it, so it is refused rather than half supported.
            throw ImageError.invalidConfig(
                path: path, detail: "\"do_pad\" with \"pad_size\" is not supported for CLIPImageProcessor")
        }
        let needed: [(key: String, step: Bool)] = [
            ("size", doResize), ("resample", doResize), ("crop_size", doCenterCrop), ("rescale_factor", doRescale),
            ("image_mean", doNormalize || (kind == .llava && doPad)), ("image_std", doNormalize),
        ]
        for (key, step) in needed where step && fields[key] == .null {
            throw invalid(key, "set (it is null but its step is enabled)")
        }
        if imageStd.contains(0) && doNormalize {
            throw invalid("image_std", "non-zero")
        }
    }

    /// The Pillow filter `resample` names.
    public var filter: PillowResize.Filter? { PillowResize.Filter(rawValue: resample) }
}

/// A parsed JSON value (preprocessor configs mix integers, lists and dictionaries in one key).
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let x = try? container.decode(Double.self) {
            self = .number(x)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var string: String? {
        if case let .string(s) = self { return s }
        return nil
    }
}
