// swift-tools-version:6.0
import PackageDescription

// libFuzzer harnesses over swdbg's parsers and file readers; script/fuzz builds them with
// -sanitize=fuzzer,address and runs them.
let package = Package(
    name: "swdbg-fuzz",
    dependencies: [.package(name: "swdbg", path: "..")],
    targets: [
        .target(name: "FuzzDriver", path: "FuzzDriver"),
        .executableTarget(name: "FuzzCommandLine", dependencies: ["FuzzDriver", .product(name: "SwdbgKit", package: "swdbg")], path: "FuzzCommandLine"),
        .executableTarget(name: "FuzzExpressions", dependencies: ["FuzzDriver", .product(name: "SwdbgKit", package: "swdbg")], path: "FuzzExpressions"),
        .executableTarget(name: "FuzzSymbols", dependencies: ["FuzzDriver", .product(name: "SwdbgKit", package: "swdbg")], path: "FuzzSymbols"),
        .executableTarget(name: "FuzzCore", dependencies: ["FuzzDriver", .product(name: "SwdbgKit", package: "swdbg")], path: "FuzzCore"),
        .executableTarget(name: "FuzzCoreSession", dependencies: ["FuzzDriver", .product(name: "SwdbgKit", package: "swdbg")], path: "FuzzCoreSession"),
    ],
    swiftLanguageModes: [.v6]
)
