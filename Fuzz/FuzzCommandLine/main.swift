import FuzzDriver
import Glibc
@testable import Commands

/// The command-line parser: splitting, quotes, blocks, `.if`/`j`/`z` and the conditions in
/// them, on any text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCommandLine(_ data: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    _ = try? CommandProgram.parse(text, radix: 16, context: nil)
    var scanner = ArgumentScanner(Substring(text))
    _ = scanner.atLength
    _ = scanner.quoted()
    _ = scanner.word()
    _ = Interpreter.isSourceLineSpec(Substring(text))
    return 0
}

runFuzzer { data, count in fuzzCommandLine(data, count) }
