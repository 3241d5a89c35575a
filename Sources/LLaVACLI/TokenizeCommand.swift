// `llava tokenize`: one JSON string per stdin line in, one JSON array of ids per line out —
// exactly AutoTokenizer.from_pretrained(DIR)(text).input_ids.
import ArgumentParser
import Foundation
import LLaVATokenizer

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Tokenize JSON strings read line by line from stdin.")

    @Option(help: "Checkpoint or tokenizer directory (reads tokenizer.json).") var model: String

    func run() throws {
        try reportingErrors {
            let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: model))
            var lineNumber = 0
            while let line = readLine(strippingNewline: true) {
                lineNumber += 1
                if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                guard let value = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]),
                      let text = value as? String
                else { throw TokenizeInputError(line: lineNumber) }
                print(jsonArray(tokenizer.encode(text, addSpecialTokens: true)))
            }
        }
    }
}

struct TokenizeInputError: Error, CustomStringConvertible {
    let line: Int
    var description: String { "stdin line \(line): expected one JSON string per line, e.g. \"Hello world\"" }
}
