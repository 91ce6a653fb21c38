import Glibc

@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                             _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

/// libFuzzer's driver runs a harness with the program's arguments (the program's `main` is
/// the harness's, as SwiftPM builds it); the harness's status is the program's.
public func runFuzzer(_ harness: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Never {
    var argumentCount = CommandLine.argc
    var arguments = CommandLine.unsafeArgv
    exit(runFuzzerDriver(&argumentCount, &arguments, harness))
}
