// The demo's report: results.json (machine-readable), results.md (a Markdown summary with the
// tables a reader of the tutorial needs) and loss-curve SVGs.
import Foundation
import ShapesWorld

public struct DemoResults {
    public var settings: DemoSettings
    public var summary: Summary
    public var clip: CLIPResult
    public var stages: [StageLog]
    public var splits: [String: Accuracy]
    /// Test-split accuracy by the number of objects in the scene (1–5): how answers degrade with distractors.
    public var byObjectCount: [Int: Accuracy]
    public var blank: Accuracy
    public var shuffled: Accuracy
    /// The test split asked with LLaVA-1.5's short-answer prompt, on its images and on a blank one.
    public var shortAnswer: Accuracy
    public var shortAnswerBlank: Accuracy
    public var baseline: Accuracy
    public var examples: [Example]
    public var descriptionPrecision: Double
    public var descriptionRecall: Double
    public var descriptionExample: String
    public var seconds: Double
    public var modelDirectory: String
    public var parameters: [String: Int]

    public var eval: Accuracy { splits["test"] ?? Accuracy() }

    public var json: [String: Any] {
        func r(_ x: Double) -> Double { (x * 10000).rounded() / 10000 }
        return [
            "eval": eval.json,
            "splits": [
                "unseen_combinations": (splits["unseen_combinations"] ?? Accuracy()).json,
                "unseen_phrasings": (splits["unseen_phrasings"] ?? Accuracy()).json,
            ],
            "by_object_count": Dictionary(uniqueKeysWithValues: byObjectCount.map { (String($0.key), $0.value.json) }),
            "controls": ["blank_image": blank.json, "shuffled_image": shuffled.json, "question_only_baseline": baseline.json],
            "short_answer_prompt": ["test": shortAnswer.json, "blank_image": shortAnswerBlank.json],
            "descriptions": ["precision": r(descriptionPrecision), "recall": r(descriptionRecall), "example": descriptionExample],
            "clip": ["zero_shot_accuracy": r(clip.zeroShotAccuracy), "zero_shot_colour_accuracy": r(clip.zeroShotColourAccuracy),
                     "zero_shot_shape_accuracy": r(clip.zeroShotShapeAccuracy), "zero_shot_images": clip.zeroShotImages,
                     "caption_prompt_accuracy": r(clip.captionPromptAccuracy),
                     "caption_prompt_shape_accuracy": r(clip.captionPromptShapeAccuracy),
                     "classes": Combination.all.count, "final_temperature": Double(clip.finalTemperature)] as [String: Any],
            "ablations": settings.ablations,
            "stages": stages.map { ["name": $0.name, "seconds": r($0.seconds), "steps": $0.losses.count,
                                    "first_loss": $0.losses.first.map(r) as Any, "last_loss": $0.losses.last.map(r) as Any] as [String: Any] },
            "data": ["train_scenes": summary.trainScenes, "pretrain_pairs": summary.pretrainPairs,
                     "response_types": summary.responseTypes, "eval_questions": summary.evalQuestions,
                     "held_out_combinations": summary.heldOutCombinations] as [String: Any],
            "parameters": parameters,
            "examples": examples.map { ["kind": $0.kind, "question": $0.question, "answer": $0.answer, "expected": $0.expected,
                                        "correct": $0.correct] as [String: Any] },
            "seconds": r(seconds),
            "model": modelDirectory,
        ]
    }
}

extension CLIPResult {
    /// Reads back the "clip" section of a results.json (`DemoResults.json`); the losses are not stored.
    init(reportJSON c: [String: Any]) {
        func num(_ k: String) -> Double { (c[k] as? Double) ?? .nan }
        self.init(losses: [], zeroShotAccuracy: num("zero_shot_accuracy"), zeroShotColourAccuracy: num("zero_shot_colour_accuracy"),
                  zeroShotShapeAccuracy: num("zero_shot_shape_accuracy"), captionPromptAccuracy: num("caption_prompt_accuracy"),
                  captionPromptShapeAccuracy: num("caption_prompt_shape_accuracy"),
                  zeroShotImages: (c["zero_shot_images"] as? Int) ?? 0, finalTemperature: Float(num("final_temperature")))
    }
}

public enum DemoReport {
    public static func write(_ r: DemoResults, to dir: URL) throws {
        let data = try JSONSerialization.data(withJSONObject: r.json, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: dir.appendingPathComponent("results.json"), options: .atomic)
        try markdown(r).write(to: dir.appendingPathComponent("results.md"), atomically: true, encoding: .utf8)
        for stage in r.stages where stage.losses.count > 1 {
            let name = stage.name.lowercased().split { !$0.isLetter && !$0.isNumber }.joined(separator: "-")
            try svg(title: "\(stage.name): loss per step", series: [(stage.name, stage.losses)])
                .write(to: dir.appendingPathComponent("loss-\(name).svg"), atomically: true, encoding: .utf8)
        }
    }

    static let kinds = ["colour", "shape", "count", "position", "existence", "reasoning"]

    /// The header of an accuracy table whose first column is `first`.
    static func header(_ first: String) -> String {
        "| \(first) | " + kinds.joined(separator: " | ") + " | overall |\n|---|" + String(repeating: "---|", count: kinds.count + 1) + "\n"
    }

    static func row(_ name: String, _ a: Accuracy) -> String {
        "| \(name) | " + kinds.map { k in a.total[k].map { _ in percent(a.byKind[k]!) } ?? "–" }.joined(separator: " | ")
            + " | **\(percent(a.overall))** |"
    }

    public static func markdown(_ r: DemoResults) -> String {
        var md = "# ShapesWorld LLaVA — results\n\n"
        md += "Trained from scratch by `llava demo` in \(String(format: "%.0f", r.seconds)) s"
        md += r.settings.ablations.isEmpty ? "." : " with: \(r.settings.ablations.joined(separator: ", "))."
        md += r.settings.pretrained.map { " CLIP and the pretrained Llama were reused from `\($0.path)`.\n\n" } ?? "\n\n"
        md += "Model: CLIP ViT \(r.parameters["vision"] ?? 0) parameters, projector \(r.parameters["projector"] ?? 0), "
            + "Llama \(r.parameters["language"] ?? 0); \(r.parameters["image_tokens"] ?? 0) image tokens per image.\n\n"
        md += "## Exact-match accuracy on held-out scenes\n\n"
        md += header("split")
        md += row("test", r.eval) + "\n"
        md += row("unseen colour–shape combinations", r.splits["unseen_combinations"] ?? Accuracy()) + "\n"
        md += row("unseen question phrasings", r.splits["unseen_phrasings"] ?? Accuracy()) + "\n"
        md += row("control: blank image", r.blank) + "\n"
        md += row("control: image of another scene", r.shuffled) + "\n"
        md += row("baseline: question only (majority answer)", r.baseline) + "\n"
        md += row("test, short-answer prompt (LLaVA-1.5)", r.shortAnswer) + "\n"
        md += row("control: blank image, short-answer prompt", r.shortAnswerBlank) + "\n\n"
        md += "The short-answer rows append LLaVA-1.5's \"\(InstructionGenerator.shortAnswerPrompt)\" to each question, "
            + "as LLaVA-1.5 asks VQAv2, GQA and POPE.\n\n"
        md += "Test split by the number of objects in the scene (the others are distractors for a question about one):\n\n"
        md += header("objects")
        for (n, a) in r.byObjectCount.sorted(by: { $0.key < $1.key }) {
            md += row("\(n) (\(a.total.values.reduce(0, +)) questions)", a) + "\n"
        }
        md += "\n"
        md += "Detailed descriptions (test scenes): attribute precision \(percent(r.descriptionPrecision)), "
            + "recall \(percent(r.descriptionRecall)).\n\n"
        md += "CLIP zero-shot classification (\"a photo of a {size} {colour} {shape}\", \(Combination.all.count) colour–shape "
            + "classes × 2 sizes, "
            + "\(r.clip.zeroShotImages) single-object images): \(percent(r.clip.zeroShotAccuracy)) "
            + "(colour \(percent(r.clip.zeroShotColourAccuracy)), shape \(percent(r.clip.zeroShotShapeAccuracy))); "
            + "with the prompt \"a {size} {colour} {shape}\": \(percent(r.clip.captionPromptAccuracy)) "
            + "(shape \(percent(r.clip.captionPromptShapeAccuracy))).\n\n"
        md += "## Stages\n\n| stage | steps | first loss | last loss | seconds |\n|---|---|---|---|---|\n"
        for s in r.stages {
            md += "| \(s.name) | \(s.losses.count) | \(s.losses.first.map { String(format: "%.3f", $0) } ?? "") | "
                + "\(s.losses.last.map { String(format: "%.3f", $0) } ?? "") | \(String(format: "%.1f", s.seconds)) |\n"
        }
        md += "\n## Examples (test split)\n\n"
        for e in r.examples {
            md += "- **\(e.kind)** — Q: \(e.question)  \n  A: \(e.answer) \(e.correct ? "✓" : "✗ (expected \(e.expected))")\n"
        }
        md += "\nDescription example: \(r.descriptionExample)\n"
        return md
    }

    /// A line chart as SVG: steps on x, loss on y, one polyline per series.
    public static func svg(title: String, series: [(String, [Double])], width: Double = 560, height: Double = 300) -> String {
        let left = 56.0, right = 16.0, top = 32.0, bottom = 40.0
        let all = series.flatMap(\.1).filter(\.isFinite)
        let maxY = (all.max() ?? 1) * 1.05, minY = min(0, all.min() ?? 0)
        let maxX = Double(max(series.map(\.1.count).max() ?? 1, 2) - 1)
        func x(_ i: Int) -> Double { left + Double(i) / maxX * (width - left - right) }
        func y(_ v: Double) -> Double { top + (1 - (v - minY) / (maxY - minY)) * (height - top - bottom) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(width / 2)\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">\(escape(title))</text>\n"
        s += "<line x1=\"\(left)\" y1=\"\(y(minY))\" x2=\"\(width - right)\" y2=\"\(y(minY))\" stroke=\"#333\"/>\n"
        s += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(y(minY))\" stroke=\"#333\"/>\n"
        for k in 0...4 {
            let v = minY + (maxY - minY) * Double(k) / 4
            s += "<text x=\"\(left - 6)\" y=\"\(y(v) + 4)\" text-anchor=\"end\">\(String(format: "%.2f", v))</text>\n"
            let i = Int(maxX * Double(k) / 4)
            s += "<text x=\"\(x(i))\" y=\"\(height - bottom + 16)\" text-anchor=\"middle\">\(i + 1)</text>\n"
        }
        s += "<text x=\"\(width / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\">optimizer step</text>\n"
        let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
        for (n, (name, values)) in series.enumerated() {
            let points = values.enumerated().filter { $0.element.isFinite }
                .map { String(format: "%.1f,%.1f", x($0.offset), y($0.element)) }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(colours[n % colours.count])\" stroke-width=\"1.5\" points=\"\(points)\"/>\n"
            if series.count > 1 {
                s += "<text x=\"\(width - right - 4)\" y=\"\(top + 14 * Double(n + 1))\" text-anchor=\"end\" fill=\"\(colours[n % colours.count])\">\(escape(name))</text>\n"
            }
        }
        return s + "</svg>\n"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
