// swift-tools-version:6.0
import PackageDescription

// Layers, arrows pointing down only:
//   swdbg (CLI) → DAP → Commands → Engine → Expressions → Symbols / Arch / Targets → C shims
//   (DAP: the Debug Adapter Protocol front end, beside the command line; its REPL is the
//   command language. GdbServer: the gdb-remote server, a front end on the engine alone)
//   (the engine evaluates breakpoint conditions itself; beside Engine, under Commands:
//   Values, the value formatting and visualizers any front end shows)
let package = Package(
    name: "swdbg",
    products: [
        .executable(name: "swdbg", targets: ["swdbg"]),
        // The layers as a library, for the fuzzing harnesses in Fuzz/.
        .library(name: "SwdbgKit", targets: ["Commands", "Engine", "Expressions", "Symbols", "Values", "Arch", "Targets"]),
    ],
    targets: [
        .target(name: "CSystem", linkerSettings: [.linkedLibrary("bpf")]),
        .target(name: "CLineEdit", linkerSettings: [.linkedLibrary("edit")]),
        .target(name: "CDemangle", linkerSettings: [.linkedLibrary("stdc++")]),
        .target(name: "CDebuginfod", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CTestPty"),
        .target(name: "CCompress", linkerSettings: [.linkedLibrary("zstd"), .linkedLibrary("lzma"), .linkedLibrary("z")]),
        // The extension ABI (swdbg_extension.h) extension libraries are built against.
        .target(name: "CExtension"),
        // The embedded CPython of Python scripts (Debian's libpython3.11-dev).
        .target(name: "CPython", cSettings: [.unsafeFlags(["-I/usr/include/python3.11"])], linkerSettings: [.linkedLibrary("python3.11")]),
        .systemLibrary(name: "CDwarf", path: "Sources/CDwarf"),
        .systemLibrary(name: "CZydis", path: "Sources/CZydis"),
        .systemLibrary(name: "CDeflate", path: "Sources/CDeflate"),
        .target(name: "Arch", dependencies: ["CZydis"]),
        .target(name: "Symbols", dependencies: ["CDwarf", "CDeflate", "CDemangle", "CDebuginfod", "CCompress", "Arch"]),
        .target(name: "Targets", dependencies: ["CSystem", "CCompress", "Arch"]),
        .target(name: "Expressions", dependencies: ["Symbols", "Arch"]),
        .target(name: "Engine", dependencies: ["Expressions", "Symbols", "Arch", "Targets"]),
        .target(name: "Values", dependencies: ["Symbols", "Arch"]),
        .target(name: "Commands", dependencies: ["Engine", "Expressions", "Values", "CExtension", "CPython"], linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "DAP", dependencies: ["Commands", "Engine", "Expressions", "Values", "Symbols", "Arch", "Targets"]),
        .target(name: "GdbServer", dependencies: ["Engine", "Expressions", "Symbols", "Arch", "Targets"]),
        .executableTarget(name: "swdbg", dependencies: [
            "Commands", "DAP", "GdbServer", "CLineEdit", "CSystem",
        ]),
        .testTarget(name: "ExpressionsTests", dependencies: ["Expressions", "Symbols"]),
        .testTarget(name: "CommandsTests", dependencies: ["Commands", "Arch"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Expressions"]),
        .testTarget(name: "TargetsTests", dependencies: ["Targets"]),
        .testTarget(name: "SwdbgTests", dependencies: ["swdbg", "CTestPty"]),
    ],
    swiftLanguageModes: [.v6]
)
