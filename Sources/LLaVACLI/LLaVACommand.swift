// `llava`: the command-line interface. Subcommands are a contract that scripts outside this
// repository call: keep names, flags and output formats stable.
import ArgumentParser
import Foundation

@main
struct LLaVACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llava",
        abstract: "LLaVA (CLIP + projector + Llama) inference and training on the CPU.",
        subcommands: [GenerateCommand.self, InspectCommand.self, TokenizeCommand.self, PreprocessCommand.self, BenchCommand.self, TrainCommand.self, DemoCommand.self, DataCommand.self]
    )
}

/// Runs a command body, turning any error into "error: …" on stderr and exit status 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

/// Writes text to stdout immediately (for streaming tokens).
func emit(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// A JSON string literal (quotes and escapes included).
func jsonString(_ s: String) -> String {
    let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
    let array = String(decoding: data, as: UTF8.self)
    return String(array.dropFirst().dropLast())
}

func jsonArray(_ ids: [Int]) -> String { "[" + ids.map(String.init).joined(separator: ", ") + "]" }
