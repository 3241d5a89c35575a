// `llava preprocess`: the float32 [3, H, W] pixel tensor the model sees, as .npy.
import ArgumentParser
import Foundation
import LLaVACheckpoint
import LLaVAImage

struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess", abstract: "Preprocess an image as the checkpoint's image processor does.")

    @Option(help: "Checkpoint directory (reads preprocessor_config.json).") var model: String
    @Option(help: "Image file (JPEG or PNG).") var image: String
    @Option(help: "Output .npy file.") var out: String

    func run() throws {
        try reportingErrors {
            let processor = ImageProcessor(config: try ImageProcessorConfig(directory: URL(fileURLWithPath: model)))
            let px = try processor.preprocess(try ImageDecoder.decode(fileAt: URL(fileURLWithPath: image)))
            try NPYArray(float32: px.values, shape: [px.channels, px.height, px.width]).write(to: URL(fileURLWithPath: out))
        }
    }
}
