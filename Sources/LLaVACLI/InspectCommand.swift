// `llava inspect`: the data flow of a checkpoint from config.json alone (no weights needed).
import ArgumentParser
import Foundation
import LLaVA

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show the data flow, parameters and FLOPs of a checkpoint from its config.json.")

    @Option(help: "Checkpoint directory (only config.json is read).") var model: String
    @Option(name: .customLong("prompt-tokens"), help: "Text tokens in the prompt besides the image.") var promptTokens = 32

    func run() throws {
        try reportingErrors {
            guard promptTokens >= 0 else { throw ValidationError("--prompt-tokens must be ≥ 0") }
            let config = try LLaVAConfig(directory: URL(fileURLWithPath: model))
            let stages = LLaVAInspector.stages(config, promptTokens: promptTokens)
            print("LLaVA data flow for \(model)/config.json: one \(config.vision.imageSize)×\(config.vision.imageSize) image, "
                + "\(promptTokens) prompt tokens")
            let header = ["stage", "output shape", "parameters", "GFLOPs", "notes"]
            var rows = stages.map { s in
                [s.name, "[" + s.shape.map(String.init).joined(separator: ", ") + "]", grouped(s.parameters),
                 String(format: "%.2f", Double(s.flops) / 1e9), s.note]
            }
            let totalParams = stages.reduce(0) { $0 + $1.parameters }
            let totalFlops = stages.reduce(0) { $0 + $1.flops }
            rows.append(["total", "", grouped(totalParams), String(format: "%.2f", Double(totalFlops) / 1e9), "prefill of the whole prompt"])
            let widths = (0..<header.count).map { i in ([header] + rows).map { $0[i].count }.max()! }
            for row in [header] + rows {
                print(row.enumerated().map { i, cell in
                    i == header.count - 1 ? cell
                        : (i >= 2 ? String(repeating: " ", count: widths[i] - cell.count) + cell
                                  : cell + String(repeating: " ", count: widths[i] - cell.count))
                }.joined(separator: "  "))
            }
        }
    }

    private func grouped(_ n: Int) -> String {
        let s = String(n)
        return s.reversed().enumerated().reduce(into: "") { out, e in
            if e.offset > 0 && e.offset % 3 == 0 { out.append(",") }
            out.append(e.element)
        }.reversed().map(String.init).joined()
    }
}
