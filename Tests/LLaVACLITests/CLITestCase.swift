// Runs the built `llava` binary (swift build -c release puts it in .build/release) and captures
// its output, so the CLI contract is tested exactly as scripts outside the repository see it.
import Foundation
import LLaVATestSupport
import XCTest

struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var lastLine: String { stdout.split(separator: "\n").last.map(String.init) ?? "" }
}

class CLITestCase: XCTestCase {
    static var binary: URL {
        for config in ["release", "debug"] {
            let url = Fixtures.packageRoot.appendingPathComponent(".build/\(config)/llava")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return Fixtures.packageRoot.appendingPathComponent(".build/release/llava")
    }

    var scratch: URL!

    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.binary.path),
                          "build the llava product first (scripts/test.sh does)")
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("llava-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    func llava(_ arguments: [String], stdin: String? = nil) throws -> CLIResult {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                         stderr: String(decoding: e, as: UTF8.self))
    }

    /// A copy of a fixture checkpoint in the scratch directory, to damage in a test.
    func copyOfFixture(_ name: String) throws -> URL {
        let dst = scratch.appendingPathComponent(name)
        try FileManager.default.copyItem(at: Fixtures.url("models/\(name)"), to: dst)
        return dst
    }

    func json(_ line: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
    }
}
