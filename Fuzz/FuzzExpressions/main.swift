import FuzzDriver
import Glibc
import Expressions
import Symbols

/// A fixed debugger state for the evaluators: registers, symbols, a variable and 64 bytes
/// of memory at 0x1000 (writable, for assignments).
final class FuzzContext: ExpressionContext {
    var memory = [UInt8](repeating: 0x41, count: 64)
    func registerValue(_ name: String) -> UInt64? { ["rax": 0x10, "rsp": 0x1000, "rip": 0x401000, "eax": 0x10, "al": 0x10][name] }
    func pseudoRegisterValue(_ name: String) -> UInt64? { name == "$t0" ? 0x1008 : nil }
    func symbolAddress(_ name: String) -> UInt64? { ["main": 0x401000, "libc!puts": 0x1010, "buffer": 0x1000][name] }
    func readMemory(_ address: UInt64, size: Int) -> [UInt8]? {
        guard address >= 0x1000, size >= 0, address - 0x1000 <= 64, address - 0x1000 + UInt64(size) <= 64 else { return nil }
        return Array(memory[Int(address - 0x1000)..<Int(address - 0x1000) + size])
    }
    func writeMemory(_ address: UInt64, _ bytes: [UInt8]) -> Bool {
        guard address >= 0x1000, address - 0x1000 <= 64, address - 0x1000 + UInt64(bytes.count) <= 64 else { return false }
        memory.replaceSubrange(Int(address - 0x1000)..<Int(address - 0x1000) + bytes.count, with: bytes)
        return true
    }
    func variable(named name: String) -> TypedValue? {
        switch name {
        case "counter": TypedValue(type: .int, address: 0x1000, bytes: [], files: nil)
        case "ratio": TypedValue(type: .double, address: 0x1008, bytes: [], files: nil)
        case "text": TypedValue(type: .pointer(to: .char), address: 0x1010, bytes: [], files: nil)
        case "held": TypedValue(type: .long, address: nil, bytes: [1, 0, 0, 0, 0, 0, 0, 0], files: nil, register: "rax")
        default: nil
        }
    }
}

/// The MASM and C++ parsers and evaluators on any text, in every radix, and their lowering
/// to machine conditions (what the kernel's probes evaluate).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExpressions(_ data: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let text = Substring(String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self))
    let context = FuzzContext()
    for radix in [16, 10, 8] {
        if let (expression, _) = try? MasmExpression.parsePrefix(text, radix: radix, context: context) {
            _ = try? expression.evaluate(context)
            _ = try? expression.lowered(context)
        }
    }
    if let expression = try? CppExpression.parse(text, context: context) {
        _ = try? expression.evaluate(context)
        _ = try? expression.integerValue(context)
        _ = try? expression.lowered(context)
    }
    return 0
}

runFuzzer { data, count in fuzzExpressions(data, count) }
