// `llava inspect` works from config.json alone and prints the tutorial's worked example.
import Foundation
import LLaVATestSupport
import XCTest

final class InspectCLITests: CLITestCase {
    func testLlava15DataFlowFromConfigAlone() throws {
        let dir = scratch.appendingPathComponent("llava-1.5-7b")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.url("models/configs/llava-1.5-7b-hf.json"),
                                         to: dir.appendingPathComponent("config.json"))
        let r = try llava(["inspect", "--model", dir.path, "--prompt-tokens", "16"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        func row(_ stage: String) -> String { lines.first { $0.hasPrefix(stage) } ?? "missing \(stage)" }
        XCTAssertTrue(row("patch embedding").contains("[576, 1024]"), row("patch embedding"))
        XCTAssertTrue(row("CLIP encoder layers").contains("[577, 1024]"))
        XCTAssertTrue(row("CLIP encoder layers").contains("23 of 24 layers run"))
        XCTAssertTrue(row("select feature layer").contains("[576, 1024]"))
        XCTAssertTrue(row("projector").contains("[576, 4096]"))
        XCTAssertTrue(row("projector").contains("20,979,712"))
        XCTAssertTrue(row("token embeddings + image splice").contains("[592, 4096]"))
        XCTAssertTrue(row("final norm + lm_head").contains("[592, 32064]"))
    }
}
