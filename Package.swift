// swift-tools-version:6.0
// swift-llava: LLaVA (CLIP vision tower + projector + Llama decoder) in Swift.
// Dependencies point one way:
//   LLaVATensor ← LLaVACheckpoint ← {CLIPVision, LlamaText} ← LLaVA ← LLaVATraining ← LLaVACLI
//   LLaVATokenizer and LLaVAImage stand alone.
import PackageDescription

#if os(Linux)
let blasDependency: [Target.Dependency] = ["COpenBLAS"]
let blasTargets: [Target] = [
    .systemLibrary(
        name: "COpenBLAS",
        path: "Sources/COpenBLAS",
        pkgConfig: "openblas",
        providers: [.apt(["libopenblas-dev"])]
    ),
]
#else
let blasDependency: [Target.Dependency] = []
let blasTargets: [Target] = []
#endif

// Kernel targets are compiled with optimisation even in debug builds: unoptimised
// Swift array loops run ~1000x slower, which makes debug test runs useless.
let fastSwift: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"])]

let package = Package(
    name: "swift-llava",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "llava", targets: ["LLaVACLI"]),
        .library(name: "LLaVA", targets: ["LLaVA"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: blasTargets + [
        .target(
            name: "CKernels",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]
        ),
        .target(
            name: "CImageCodecs",
            cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png")]
        ),
        .target(
            name: "LLaVATensor",
            dependencies: blasDependency + ["CKernels"],
            swiftSettings: fastSwift
        ),
        .target(name: "LLaVACheckpoint", dependencies: ["LLaVATensor"], swiftSettings: fastSwift),
        .target(name: "CLIPVision", dependencies: ["LLaVATensor", "LLaVACheckpoint"], swiftSettings: fastSwift),
        .target(name: "LlamaText", dependencies: ["LLaVATensor", "LLaVACheckpoint"], swiftSettings: fastSwift),
        .target(name: "LLaVATokenizer", swiftSettings: fastSwift),
        .target(name: "LLaVAImage", dependencies: ["CImageCodecs"], swiftSettings: fastSwift),
        .target(
            name: "LLaVA",
            dependencies: ["LLaVATensor", "LLaVACheckpoint", "CLIPVision", "LlamaText", "LLaVATokenizer", "LLaVAImage"],
            swiftSettings: fastSwift
        ),
        .target(name: "LLaVATraining", dependencies: ["LLaVA"], swiftSettings: fastSwift),
        .target(name: "ShapesWorld", swiftSettings: fastSwift),
        .target(name: "LLaVADemo", dependencies: ["LLaVATraining", "ShapesWorld"], swiftSettings: fastSwift),
        .executableTarget(
            name: "LLaVACLI",
            dependencies: ["LLaVATensor", "LLaVA", "LLaVATraining", "LLaVADemo", "ShapesWorld", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "LLaVATestSupport", dependencies: ["LLaVATensor", "LLaVACheckpoint"], path: "Tests/LLaVATestSupport"),
        .testTarget(name: "LLaVATensorTests", dependencies: ["LLaVATensor", "LlamaText", "LLaVATestSupport"]),
        .testTarget(name: "LLaVACheckpointTests", dependencies: ["LLaVACheckpoint", "LLaVATestSupport"]),
        .testTarget(name: "LLaVATokenizerTests", dependencies: ["LLaVATokenizer", "LLaVATestSupport"]),
        .testTarget(name: "LLaVAImageTests", dependencies: ["LLaVAImage", "LLaVATestSupport"]),
        .testTarget(name: "LLaVATests", dependencies: ["LLaVA", "LLaVATestSupport"]),
        .testTarget(name: "LLaVATrainingTests", dependencies: ["LLaVATraining", "LLaVATestSupport"]),
        .testTarget(name: "ShapesWorldTests", dependencies: ["ShapesWorld"]),
        .testTarget(name: "LLaVACLITests", dependencies: ["LLaVATraining", "LLaVATestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
