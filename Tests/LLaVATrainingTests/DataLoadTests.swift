// Loading LLaVA JSON data: ids of both kinds, image paths, text-only and multi-turn samples, missing images.
import Foundation
import LLaVATokenizer
import LLaVATraining
import XCTest

/// A fresh temporary directory, removed by the caller's `defer`.
func dataTemporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("llava-data-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

final class DataLoadTests: XCTestCase {
    func testLoadsTheSampleDataset() throws {
        let file = dataFixture("data/sample.json")
        let dataset = try LLaVADataset.load(file: file, imageFolder: nil, checkImages: false)
        XCTAssertEqual(dataset.samples.map(\.id), [
            .string("000000033471"), .integer(42), .string("text-haiku"), .string("unicode-1"), .string("punct"),
            .string("leading-gpt"), .string("spaces"),
        ])
        XCTAssertEqual(dataset.samples.map(\.index), Array(0..<7))
        XCTAssertEqual(dataset.samples.map(\.source), [String](repeating: "sample.json", count: 7))
        // Without an image folder, images resolve against the data file's directory.
        XCTAssertEqual(dataset.samples[0].imagePath?.path, dataFixture("data/coco/train2017/000000033471.jpg").path)
        XCTAssertEqual(dataset.samples[3].imagePath?.lastPathComponent, "猫.png")
        XCTAssertNil(dataset.samples[2].imagePath)
        XCTAssertNil(dataset.samples[6].imagePath)
        XCTAssertEqual(dataset.samples[0].conversations, [
            ConversationTurn(from: .human, value: "What are the colors of the bus in the image?\n<image>"),
            ConversationTurn(from: .gpt, value: "The bus in the image is white and red."),
            ConversationTurn(from: .human, value: "What feature can be seen on the back of the bus?"),
            ConversationTurn(from: .gpt, value: "The back of the bus features an advertisement."),
        ])
        // The leading gpt turn is kept in `conversations` and skipped by `validTurns`.
        XCTAssertEqual(dataset.samples[5].conversations.count, 3)
        XCTAssertEqual(try dataset.samples[5].validTurns().indices, 1..<3)

        let folder = URL(fileURLWithPath: "/data/images")
        let inFolder = try LLaVADataset.load(file: file, imageFolder: folder, checkImages: false)
        XCTAssertEqual(inFolder.samples[1].imagePath?.path, "/data/images/cc3m/GCC_train_002582585.jpg")
    }

    func testAbsoluteImagePathIsKept() throws {
        let dir = try dataTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("data.json")
        try Data(#"[{"image": "/abs/a.jpg", "conversations": [{"from": "human", "value": "<image>"}, {"from": "gpt", "value": "x"}]}]"#.utf8)
            .write(to: file)
        let dataset = try LLaVADataset.load(file: file, imageFolder: URL(fileURLWithPath: "/folder"), checkImages: false)
        XCTAssertEqual(dataset.samples[0].imagePath?.path, "/abs/a.jpg")   // os.path.join keeps an absolute path
        XCTAssertNil(dataset.samples[0].id)
    }

    func testMissingImages() throws {
        let dir = try dataTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = dir.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data([0]).write(to: images.appendingPathComponent("present.jpg"))
        let file = dir.appendingPathComponent("data.json")
        let turns = #"[{"from": "human", "value": "<image>\nWhat?"}, {"from": "gpt", "value": "A cat."}]"#
        let text = #"[{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello."}]"#
        try Data("""
            [{"id": "p", "image": "present.jpg", "conversations": \(turns)},
             {"id": "m", "image": "missing.jpg", "conversations": \(turns)},
             {"id": "d", "image": "sub", "conversations": \(turns)},
             {"id": "t", "conversations": \(text)}]
            """.utf8).write(to: file)

        let missing = images.appendingPathComponent("missing.jpg").path
        XCTAssertEqual(dataErrorMessage { try LLaVADataset.load(file: file, imageFolder: images, checkImages: true) },
                       "data.json: sample 1 (id \"m\"): image not found: \(missing). Hint: check the image folder, "
                           + "or load with missingImages: .skip to leave such samples out.")
        XCTAssertEqual(dataErrorMessage { try LLaVADataset.load(file: file, imageFolder: images, missingImages: .fail) },
                       "data.json: sample 1 (id \"m\"): image not found: \(missing). Hint: check the image folder, "
                           + "or load with missingImages: .skip to leave such samples out.")
        XCTAssertEqual(try LLaVADataset.load(file: file, imageFolder: images, checkImages: false).samples.count, 4)

        // A directory is not an image.
        let (dataset, skipped) = try LLaVADataset.load(file: file, imageFolder: images, missingImages: .skip)
        XCTAssertEqual(skipped, 2)
        XCTAssertEqual(dataset.samples.map(\.id), [.string("p"), .string("t")])
        XCTAssertEqual(dataset.samples.map(\.index), [0, 3])
    }

    func testTokenizedDatasetCounts() throws {
        let dataset = try LLaVADataset.load(file: dataFixture("data/sample.json"), imageFolder: nil, checkImages: false)
        let mistral = try dataTokenizer("mistral")
        let (samples, stats) = try dataset.tokenized(template: .llavaV1, tokenizer: mistral, imageTokenCount: 4, maxLength: 80)
        XCTAssertEqual(samples.map(\.ids.count), [80, 66, 80, 80, 80, 52, 50])
        XCTAssertEqual(samples.map(\.truncated), [true, false, false, true, true, false, false])
        XCTAssertEqual(stats, TokenizationStats(samples: 7, truncated: 3, masked: 0))
        XCTAssertEqual(samples.map(\.imagePath), dataset.samples.map(\.imagePath))
    }
}
