// swift-tools-version:6.0
// Proctor: a prompt-engineering test harness. No third-party packages: toolchain only.
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "Proctor",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "proctor", targets: ["proctor"]),
        .library(name: "ProctorJSON", targets: ["ProctorJSON"]),
        .library(name: "ProctorRegex", targets: ["ProctorRegex"]),
        .library(name: "ProctorYAML", targets: ["ProctorYAML"]),
        .library(name: "ProctorSchema", targets: ["ProctorSchema"]),
        .library(name: "ProctorRepair", targets: ["ProctorRepair"]),
        .library(name: "ProctorModel", targets: ["ProctorModel"]),
        .library(name: "ProctorBackends", targets: ["ProctorBackends"]),
        .library(name: "ProctorHarness", targets: ["ProctorHarness"]),
        .library(name: "ProctorReports", targets: ["ProctorReports"]),
        .library(name: "ProctorServe", targets: ["ProctorServe"]),
        .library(name: "ProctorConstrain", targets: ["ProctorConstrain"]),
    ],
    targets: [
        .target(name: "CProctorSystem"),
        .target(name: "ProctorJSON", dependencies: ["CProctorSystem"], swiftSettings: strict),
        .target(name: "ProctorRegex", swiftSettings: strict),
        .target(name: "ProctorYAML", dependencies: ["ProctorJSON"], swiftSettings: strict),
        .target(name: "ProctorSchema", dependencies: ["ProctorJSON", "ProctorRegex", "CProctorSystem"], swiftSettings: strict),
        .target(name: "ProctorRepair", dependencies: ["ProctorJSON"], swiftSettings: strict),
        .target(name: "CProctorKernels"),
        .target(name: "ProctorModel", dependencies: ["CProctorKernels", "ProctorJSON"], swiftSettings: strict),
        .target(name: "ProctorConstrain", dependencies: ["ProctorJSON", "ProctorRegex", "ProctorSchema", "ProctorModel"], swiftSettings: strict),
        .target(name: "ProctorBackends", dependencies: ["ProctorJSON", "ProctorRepair", "ProctorModel", "ProctorConstrain"], swiftSettings: strict),
        .target(name: "ProctorHarness",
                dependencies: ["ProctorJSON", "ProctorYAML", "ProctorRegex", "ProctorSchema", "ProctorRepair", "ProctorBackends"], swiftSettings: strict),
        .target(name: "ProctorReports", dependencies: ["ProctorJSON", "ProctorBackends", "ProctorHarness"], swiftSettings: strict),
        .target(name: "ProctorServe", dependencies: ["ProctorJSON", "ProctorModel", "ProctorBackends", "ProctorConstrain"], swiftSettings: strict),
        .target(name: "ProctorCLI",
                dependencies: ["ProctorJSON", "ProctorRegex", "ProctorSchema", "ProctorRepair", "ProctorModel", "ProctorBackends", "ProctorHarness", "ProctorReports",
                               "ProctorServe", "ProctorConstrain"],
                swiftSettings: strict),
        .executableTarget(name: "proctor", dependencies: ["ProctorCLI"], swiftSettings: strict),
        // Fuzz targets (Tests/Fuzz/fuzz.sh builds them with libFuzzer; a plain build is a standalone fuzzer).
        .executableTarget(name: "proctor-fuzz",
                          dependencies: ["ProctorJSON", "ProctorYAML", "ProctorRepair", "ProctorSchema", "ProctorBackends", "ProctorHarness", "ProctorReports", "ProctorModel",
                                         "ProctorConstrain"],
                          path: "Tests/Fuzz/Sources"),

        .target(name: "ProctorTestSupport", dependencies: ["ProctorJSON"], path: "Tests/ProctorTestSupport"),
        .testTarget(name: "ProctorJSONTests", dependencies: ["ProctorJSON", "ProctorTestSupport"]),
        .testTarget(name: "ProctorRegexTests", dependencies: ["ProctorRegex"]),
        .testTarget(name: "ProctorYAMLTests", dependencies: ["ProctorYAML", "ProctorJSON", "ProctorTestSupport"]),
        .testTarget(name: "ProctorSchemaTests", dependencies: ["ProctorJSON", "ProctorSchema", "ProctorTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ProctorRepairTests", dependencies: ["ProctorJSON", "ProctorRepair", "ProctorTestSupport"]),
        .testTarget(name: "ProctorModelTests", dependencies: ["ProctorModel", "CProctorKernels", "ProctorJSON", "ProctorTestSupport"]),
        .testTarget(name: "ProctorConstrainTests", dependencies: ["ProctorConstrain", "ProctorModel", "ProctorSchema", "ProctorRegex", "ProctorJSON", "ProctorTestSupport"],
                    exclude: ["Schemas"]),
        .testTarget(name: "ProctorBackendsTests", dependencies: ["ProctorJSON", "ProctorBackends", "ProctorTestSupport"]),
        .testTarget(name: "ProctorHarnessTests",
                    dependencies: ["ProctorJSON", "ProctorRegex", "ProctorSchema", "ProctorRepair", "ProctorHarness", "ProctorBackends", "ProctorReports",
                                   "ProctorTestSupport"]),
        .testTarget(name: "ProctorServeTests", dependencies: ["ProctorServe", "ProctorModel", "ProctorBackends", "ProctorJSON", "ProctorSchema", "ProctorTestSupport"]),
        .testTarget(name: "ProctorCLITests", dependencies: ["ProctorCLI", "ProctorJSON", "ProctorHarness", "ProctorModel", "ProctorServe", "ProctorSchema", "ProctorTestSupport"],
                    exclude: ["Golden"]),
    ],
    swiftLanguageModes: [.v6]
)
