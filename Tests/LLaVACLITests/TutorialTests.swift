// docs/tutorial.md stays runnable: every `llava …` / `scripts/llava …` command in its fenced code
// blocks names a real subcommand and only flags that subcommand's --help lists, and every local
// Markdown link or image (and <img src>) resolves to a file relative to docs/. A self-test feeds the
// checker a made-up tutorial with a bad subcommand, a bad flag and a missing link, so the check can fail.
import Foundation
import LLaVATestSupport
import XCTest

final class TutorialTests: CLITestCase {
    static let tutorial = Fixtures.packageRoot.appendingPathComponent("docs/tutorial.md")

    /// A command found in a fenced code block: its line number, subcommand and `--flags`.
    struct ShownCommand {
        var line: Int
        var text: String
        var subcommand: String
        var flags: [String]
    }

    /// Commands in fenced code blocks and in inline code spans (`` `llava demo --skip-stage1` ``). In a
    /// fenced block a backslash at the end of a line continues it, and a line may be a pipeline
    /// (`… | llava tokenize …`, `for …; do llava …`): every segment that starts with `llava ` or
    /// `scripts/llava ` (after an optional `$ ` prompt, shell keywords or `VAR=value` assignments) counts.
    static func commands(in markdown: String) -> [ShownCommand] {
        var out: [ShownCommand] = []
        var inFence = false, fence = ""
        var pending = "", pendingLine = 0
        for (i, raw) in markdown.components(separatedBy: "\n").enumerated() {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                let marker = String(trimmed.prefix(3))
                if !inFence { inFence = true; fence = marker } else if marker == fence { inFence = false }
                pending = ""
                continue
            }
            guard inFence else {
                let regex = try! NSRegularExpression(pattern: #"`((?:scripts/)?llava [^`]*)`"#)
                let ns = raw as NSString
                for m in regex.matches(in: raw, range: NSRange(location: 0, length: ns.length)) {
                    out += parse(ns.substring(with: m.range(at: 1)), line: i + 1)
                }
                continue
            }
            if pending.isEmpty { pendingLine = i + 1 }
            if trimmed.hasSuffix("\\") {
                pending += String(trimmed.dropLast()) + " "
                continue
            }
            let line = pending + trimmed
            pending = ""
            out += parse(line, line: pendingLine)
        }
        return out
    }

    /// The `llava` commands in one shell line.
    static func parse(_ line: String, line number: Int) -> [ShownCommand] {
        var out: [ShownCommand] = []
        for segment in line.components(separatedBy: CharacterSet(charactersIn: "|;&")) {
            var words = segment.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            // Drop a `$ ` prompt, shell keywords (`for …; do llava …`) and `VAR=value` assignments.
            while let w = words.first, ["$", "do", "then", "else", "time", "exec", "!", "{", "("].contains(w)
                    || w.range(of: #"^[A-Za-z_][A-Za-z0-9_]*="#, options: .regularExpression) != nil {
                words.removeFirst()
            }
            guard let program = words.first, program == "llava" || program == "scripts/llava" else { continue }
            // `llava --help` alone: subcommand "" (checked against the top-level help).
            let sub = words.count > 1 && !words[1].hasPrefix("-") ? words[1] : ""
            let flags = words.dropFirst(sub.isEmpty ? 1 : 2).compactMap { w -> String? in
                guard let r = w.range(of: #"^--[A-Za-z0-9][A-Za-z0-9-]*"#, options: .regularExpression) else { return nil }
                return String(w[r])
            }
            out.append(ShownCommand(line: number, text: segment.trimmingCharacters(in: .whitespaces),
                                    subcommand: sub, flags: flags))
        }
        return out
    }

    /// Local link and image targets outside code blocks (`](path)`, `](path "title")`, `<img src="path">`),
    /// without any `#fragment`; http(s), mailto and pure anchors are left out.
    static func localLinks(in markdown: String) -> [(line: Int, target: String)] {
        var out: [(Int, String)] = []
        var inFence = false
        let patterns = [#"\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)"#, #"<img[^>]*\ssrc\s*=\s*"([^"]+)""#]
        for (i, line) in markdown.components(separatedBy: "\n").enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") { inFence.toggle(); continue }
            if inFence { continue }
            for pattern in patterns {
                let regex = try! NSRegularExpression(pattern: pattern)
                let ns = line as NSString
                for m in regex.matches(in: line, range: NSRange(location: 0, length: ns.length)) {
                    let target = ns.substring(with: m.range(at: 1))
                    let lower = target.lowercased()
                    if lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("mailto:")
                        || target.hasPrefix("#") { continue }
                    let path = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                    out.append((i + 1, String(path).removingPercentEncoding ?? String(path)))
                }
            }
        }
        return out
    }

    /// Every problem with `markdown` (a tutorial living in `directory`), one string each.
    func problems(in markdown: String, directory: URL) throws -> (problems: [String], commands: Int, links: Int) {
        var problems: [String] = []
        let root = try llava(["--help"])
        XCTAssertEqual(root.status, 0, root.stderr)
        let subcommands = Set(root.stdout.components(separatedBy: "SUBCOMMANDS:").last!
            .split(separator: "\n").compactMap { l -> String? in
                guard l.hasPrefix("  "), !l.hasPrefix("   "), let name = l.split(separator: " ").first,
                      name.range(of: #"^[a-z][a-z0-9-]*$"#, options: .regularExpression) != nil else { return nil }
                return String(name)
            })
        XCTAssertTrue(subcommands.contains("inspect"), "could not read the subcommands from: \(root.stdout)")

        // `llava NAME --help` exits 0 with the top-level help for any NAME, so a subcommand must also be
        // listed under SUBCOMMANDS and its help must show its own usage line.
        var helps: [String: String] = ["": root.stdout], notSubcommands: Set<String> = []
        let commands = Self.commands(in: markdown)
        for c in commands {
            if helps[c.subcommand] == nil, !notSubcommands.contains(c.subcommand) {
                let r = subcommands.contains(c.subcommand) ? try llava([c.subcommand, "--help"]) : nil
                if let r, r.status == 0, r.stdout.contains("USAGE: llava \(c.subcommand)") {
                    helps[c.subcommand] = r.stdout
                } else {
                    notSubcommands.insert(c.subcommand)
                }
            }
            guard let help = helps[c.subcommand] else {
                problems.append("line \(c.line): `\(c.text)`: `llava \(c.subcommand)` is not a subcommand")
                continue
            }
            for flag in c.flags where flag != "--help" {
                let pattern = NSRegularExpression.escapedPattern(for: flag) + #"(?![A-Za-z0-9-])"#
                if help.range(of: pattern, options: .regularExpression) == nil {
                    problems.append("line \(c.line): `\(c.text)`: `llava \(c.subcommand) --help` has no \(flag)")
                }
            }
        }
        let links = Self.localLinks(in: markdown)
        for (line, target) in links {
            let url = target.hasPrefix("/") ? URL(fileURLWithPath: target) : directory.appendingPathComponent(target)
            if !FileManager.default.fileExists(atPath: url.standardizedFileURL.path) {
                problems.append("line \(line): link \(target) does not resolve (looked for \(url.standardizedFileURL.path))")
            }
        }
        return (problems, commands.count, links.count)
    }

    func testTutorialCommandsAndLinksResolve() throws {
        let markdown = try String(contentsOf: Self.tutorial, encoding: .utf8)
        let r = try problems(in: markdown, directory: Self.tutorial.deletingLastPathComponent())
        XCTAssertGreaterThan(r.commands, 5, "found almost no llava commands in docs/tutorial.md: is the parser broken?")
        XCTAssertGreaterThan(r.links, 3, "found almost no local links in docs/tutorial.md: is the parser broken?")
        XCTAssertEqual(r.problems, [], "\n" + r.problems.joined(separator: "\n"))
    }

    func testTheReadmeLinksTheTutorial() throws {
        let readme = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        XCTAssertTrue(readme.contains("](docs/tutorial.md)"), "README.md should link docs/tutorial.md")
    }

    /// The checker finds what it should: a made-up subcommand, a made-up flag, a flag that is only a
    /// prefix of a real one, a missing file; and it accepts real ones, continuations and pipelines.
    func testTheCheckerCanFail() throws {
        let docs = Fixtures.packageRoot.appendingPathComponent("docs")
        let markdown = """
            Text with a [good link](../README.md), [an anchor](#part-1), [a site](https://example.com)
            and a [missing one](no-such-file.md#x) and ![a missing image](figures/none.svg); `llava demo --skip-stage1`.

            ```sh
            llava inspect --model DIR --prompt-tokens 16
            echo '"hi"' | llava tokenize --model DIR
            scripts/llava train --stage 2 --model M --data D \\
                --output O --max-steps 1 --made-up-flag 3
            llava frobnicate --model DIR
            llava generate --model M --image I --prompt-token 3
            $ for n in 0 16; do llava inspect --model DIR --prompt-tokens $n | grep total; done
            ```
            Inline: `llava demo --skip-stage2` and `llava --help`.
            """
        let r = try problems(in: markdown, directory: docs)
        XCTAssertEqual(r.commands, 9)
        XCTAssertEqual(r.links, 3)
        XCTAssertEqual(r.problems.count, 6, r.problems.joined(separator: "\n"))
        XCTAssertTrue(r.problems.contains { $0.hasPrefix("line 13:") && $0.contains("has no --skip-stage2") }, "\(r.problems)")
        XCTAssertTrue(r.problems.contains { $0.hasPrefix("line 7:") && $0.contains("has no --made-up-flag") }, "\(r.problems)")
        XCTAssertTrue(r.problems.contains { $0.contains("`llava frobnicate` is not a subcommand") }, "\(r.problems)")
        XCTAssertTrue(r.problems.contains { $0.contains("has no --prompt-token") }, "\(r.problems)")
        XCTAssertTrue(r.problems.contains { $0.contains("link no-such-file.md does not resolve") }, "\(r.problems)")
        XCTAssertTrue(r.problems.contains { $0.contains("link figures/none.svg does not resolve") }, "\(r.problems)")
    }
}
