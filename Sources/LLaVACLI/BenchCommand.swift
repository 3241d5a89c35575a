// `llava bench`: speed and memory of one image + prompt on a checkpoint — image encode time,
// prefill tokens/s, decode tokens/s, peak resident memory. Benchmarks/run.sh puts these next to
// transformers' figures on the same checkpoint and prompt.
import ArgumentParser
import Foundation
import LLaVA
import LLaVATensor
#if canImport(Glibc)
import Glibc
#endif

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure encode, prefill and decode speed.")

    @Option(help: "Checkpoint directory.") var model: String
    @Option(help: "Image file (JPEG or PNG).") var image: String
    @Option(name: .customLong("prompt-tokens"), help: "Prompt length besides the image tokens.") var promptTokens = 16
    @Option(name: .customLong("max-tokens"), help: "Tokens to decode (EOS ignored).") var maxTokens = 32
    @Option(help: "Timed runs; the best is reported.") var runs = 2
    @Option(help: "Threads (GEMM blocks, matvec rows, attention heads).") var threads = 2
    @Flag(help: "Print one JSON line instead of a table.") var json = false

    func run() throws {
        try reportingErrors {
            Parallel.threads = threads
            let start = Date()
            let pipeline = try LLaVAPipeline(directory: URL(fileURLWithPath: model))
            let loadSeconds = Date().timeIntervalSince(start)
            let ids = try benchPrompt(pipeline)
            let pixels = try pipeline.pixels(imageAt: URL(fileURLWithPath: image)).values
            var encode = Double.infinity, prefill = Double.infinity, decodeRate = 0.0
            for run in 0...max(runs, 1) {
                let t = try pipeline.generate(inputIDs: ids, pixels: pixels, maxTokens: maxTokens,
                                              sampling: SamplingOptions(), ignoreStopIDs: true).timings
                if run == 0 { continue }  // warm-up
                encode = min(encode, t.imageEncode)
                prefill = min(prefill, t.prefill)
                if t.decodeTokens > 0 { decodeRate = max(decodeRate, Double(t.decodeTokens) / t.decode) }
            }
            let rss = peakRSSGiB()
            if json {
                // prefill_s counts from the pixels to the first logits (image encode + LLM prefill), as
                // Tools/bench/bench_transformers.py measures it; prefill_text_s is the LLM part alone.
                print("{\"encode_s\": \(encode), \"prefill_s\": \(encode + prefill), \"prefill_text_s\": \(prefill), "
                    + "\"prefill_tokens\": \(ids.count), \"prefill_tok_s\": \(Double(ids.count) / (encode + prefill)), "
                    + "\"decode_tok_s\": \(decodeRate), \"peak_rss_gib\": \(rss), \"load_s\": \(loadSeconds), \"threads\": \(threads), "
                    + "\"blas_kernel\": \(jsonString(BLAS.kernelName)), \"matvec_isa\": \(jsonString(KernelInfo.isa))}")
            } else {
                print("checkpoint     \(model) (loaded in \(String(format: "%.2f", loadSeconds)) s)")
                print("kernels        \(BLAS.kernelName), matvec \(KernelInfo.isa), \(threads) threads")
                print("image encode   \(String(format: "%.3f", encode)) s")
                print("prefill        \(ids.count) tokens in \(String(format: "%.3f", prefill)) s = "
                    + "\(String(format: "%.1f", Double(ids.count) / prefill)) tokens/s (LLM only; "
                    + "\(String(format: "%.3f", encode + prefill)) s with the image encode)")
                print("decode         \(String(format: "%.2f", decodeRate)) tokens/s")
                print("peak RSS       \(String(format: "%.2f", rss)) GiB")
            }
        }
    }

    /// `USER: <image>\n` and filler text, cut to exactly image tokens + promptTokens ids (never
    /// inside the image-token run).
    func benchPrompt(_ pipeline: LLaVAPipeline) throws -> [Int] {
        let filler = String(repeating: " Describe the picture in detail.", count: promptTokens / 4 + 4)
        let ids = try pipeline.promptIDs(rawPrompt: "USER: <image>\n" + filler)
        let image = pipeline.model.config.imageTokenIndex
        let minimum = (ids.lastIndex(of: image) ?? 0) + 1 - pipeline.model.config.imageTokenCount
        guard promptTokens >= minimum else {
            throw ValidationError("--prompt-tokens must be at least \(minimum) (the tokens around <image> in the bench prompt)")
        }
        return Array(ids.prefix(pipeline.model.config.imageTokenCount + promptTokens))
    }
}

/// Peak resident set size of this process (getrusage; Linux reports KiB).
func peakRSSGiB() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / (1024 * 1024)
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / (1024 * 1024 * 1024)
    #endif
}
