import XCTest
@testable import Expressions
import Symbols
@testable import Expressions

/// A fixed debugger state: a few registers, symbols, and 16 bytes of memory at 0x1000.
private struct FakeContext: ExpressionContext {
    static let memoryBase: UInt64 = 0x1000
    let memory: [UInt8] = [
        0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
        0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]
    let registers: [String: UInt64] = [
        "rax": 0x10, "eax": 0x10, "al": 0x10, "rbp": 0x1, "rdi": 0xffff_ffff,
        "rsp": 0x1000, "rip": 0x40_1000, "r8d": 7,
    ]
    let pseudoRegisters: [String: UInt64] = ["$ip": 0x40_1000, "$ra": 0x40_1234, "$t0": 0x42]
    let symbols: [String: UInt64] = [
        "main": 0x40_1000,
        "main.cold": 0x40_1800,
        "libc!puts": 0x7fff_f7e5_0e50,
        "ld_linux_x86_64!_dl_debug_state": 0x7fff_f7fd_1000,
        "ns::f": 0x40_2000,
        "Foo::~Foo": 0x40_3000,
        "puts@GLIBC_2.2.5": 0x7fff_f7e5_0e50,
        "add": 0x1,
        "rbp": 0x40_4000,
    ]

    func registerValue(_ name: String) -> UInt64? { registers[name] }
    func pseudoRegisterValue(_ name: String) -> UInt64? { pseudoRegisters[name] }
    func symbolAddress(_ name: String) -> UInt64? { symbols[name] }

    func readMemory(_ address: UInt64, size: Int) -> [UInt8]? {
        guard address >= Self.memoryBase, address - Self.memoryBase + UInt64(size) <= UInt64(memory.count) else {
            return nil
        }
        let offset = Int(address - Self.memoryBase)
        return Array(memory[offset..<offset + size])
    }
}

final class MasmEvaluatorTests: XCTestCase {
    private func value(_ text: String, radix: Int = 16) throws -> UInt64 {
        try MasmEvaluator(context: FakeContext(), radix: radix).evaluate(text[...])
    }

    private func prefix(_ text: String) throws -> (value: UInt64, rest: Substring) {
        try MasmEvaluator(context: FakeContext()).evaluatePrefix(text[...])
    }

    private func error(_ text: String, radix: Int = 16) -> ExpressionError? {
        do {
            _ = try MasmEvaluator(context: FakeContext(), radix: radix).evaluate(text[...])
            return nil
        } catch {
            return error
        }
    }

    func testDefaultRadixIsHex() throws {
        XCTAssertEqual(try value("10"), 16)
        XCTAssertEqual(try value("beef"), 0xbeef)
        XCTAssertEqual(try value("add"), 0xadd, "a valid number wins over a symbol of the same name")
        XCTAssertEqual(try value("FF"), 0xff)
    }

    func testRadixPrefixesAndSuffix() throws {
        XCTAssertEqual(try value("0x10"), 16)
        XCTAssertEqual(try value("0X1f"), 31)
        XCTAssertEqual(try value("0n10"), 10)
        XCTAssertEqual(try value("0y101"), 5)
        XCTAssertEqual(try value("0t17"), 15)
        XCTAssertEqual(try value("10h"), 16)
        XCTAssertEqual(try value("0ffH"), 0xff)
    }

    func testBacktickInNumbersIsIgnored() throws {
        XCTAssertEqual(try value("00007fff`f7e50e50"), 0x7fff_f7e5_0e50)
        XCTAssertEqual(try value("0x1`0000"), 0x1_0000)
    }

    func testRadixTen() throws {
        XCTAssertEqual(try value("10", radix: 10), 10)
        XCTAssertEqual(try value("0x10", radix: 10), 16)
        XCTAssertEqual(try value("10h", radix: 10), 16)
        XCTAssertEqual(try value("0n10 + 5", radix: 10), 15)
        XCTAssertEqual(try value("add", radix: 10), 0x1, "not a number in radix 10, so the symbol")
        XCTAssertEqual(error("1a", radix: 10)?.description, "Syntax error at '1a'")
    }

    func testRadixEight() throws {
        XCTAssertEqual(try value("17", radix: 8), 15)
        XCTAssertEqual(try value("0n17", radix: 8), 17)
        XCTAssertEqual(error("8", radix: 8)?.message, "Syntax error")
    }

    func testPrecedence() throws {
        XCTAssertEqual(try value("1+2*3"), 7)
        XCTAssertEqual(try value("(1+2)*3"), 9)
        XCTAssertEqual(try value("[1+2]*3"), 9)
        XCTAssertEqual(try value("1 or 2 and 0"), 1)
        XCTAssertEqual(try value("1|2&0"), 1)
        XCTAssertEqual(try value("6 xor 3 or 8"), 0xd)
        XCTAssertEqual(try value("3 ^ 1 & 1"), 2)
        XCTAssertEqual(try value("1 + 1 << 2"), 8)
        XCTAssertEqual(try value("1 << 2 == 4"), 1)
        XCTAssertEqual(try value("2 == 2 and 3"), 1)
        XCTAssertEqual(try value("10 - 2 - 3"), 0xb, "left-associative")
        XCTAssertEqual(try value("100 / 4 / 2"), 0x20)
        XCTAssertEqual(try value("7 mod 4"), 3)
        XCTAssertEqual(try value("7 % 4 * 2"), 6)
        XCTAssertEqual(try value("1 AND 3 Or 4 XOR 4 MoD 3"), 5)
    }

    func testUnaryOperators() throws {
        XCTAssertEqual(try value("-1"), 0xffff_ffff_ffff_ffff)
        XCTAssertEqual(try value("~0"), 0xffff_ffff_ffff_ffff)
        XCTAssertEqual(try value("--1"), 1)
        XCTAssertEqual(try value("+5"), 5)
        XCTAssertEqual(try value("-(1+1)"), 0xffff_ffff_ffff_fffe)
        XCTAssertEqual(try value("!0"), 1)
        XCTAssertEqual(try value("!5"), 0)
        XCTAssertEqual(try value("not 0"), 1)
        XCTAssertEqual(try value("NOT 3"), 0)
        XCTAssertEqual(try value("-2*3"), 0xffff_ffff_ffff_fffa)
    }

    func testWrapAround() throws {
        XCTAssertEqual(try value("0xffffffffffffffff + 2"), 1)
        XCTAssertEqual(try value("0 - 1"), 0xffff_ffff_ffff_ffff)
        XCTAssertEqual(try value("0x8000000000000000 * 2"), 0)
    }

    func testComparisons() throws {
        XCTAssertEqual(try value("1 = 1"), 1)
        XCTAssertEqual(try value("1 == 2"), 0)
        XCTAssertEqual(try value("1 != 2"), 1)
        XCTAssertEqual(try value("2 > 1"), 1)
        XCTAssertEqual(try value("1 <= 1"), 1)
        XCTAssertEqual(try value("2 >= 3"), 0)
        XCTAssertEqual(try value("-1 < 1"), 1, "comparisons are signed")
        XCTAssertEqual(try value("0xffffffffffffffff > 0"), 0)
    }

    func testShifts() throws {
        XCTAssertEqual(try value("1 << 4"), 0x10)
        XCTAssertEqual(try value("0x80 >> 4"), 8)
        XCTAssertEqual(try value("-0n16 >> 1"), 0x7fff_ffff_ffff_fff8, ">> is logical")
        XCTAssertEqual(try value("-0n16 >>> 2"), 0xffff_ffff_ffff_fffc, ">>> is arithmetic")
        XCTAssertEqual(try value("1 << 0n64"), 0)
        XCTAssertEqual(try value("-1 >>> 0n100"), 0xffff_ffff_ffff_ffff)
    }

    func testMemoryOperators() throws {
        XCTAssertEqual(try value("by(1000)"), 0x88)
        XCTAssertEqual(try value("wo(1000)"), 0x7788)
        XCTAssertEqual(try value("dwo(1000)"), 0x5566_7788)
        XCTAssertEqual(try value("qwo(1000)"), 0x1122_3344_5566_7788)
        XCTAssertEqual(try value("poi(rsp)"), 0x1122_3344_5566_7788)
        XCTAssertEqual(try value("poi(rsp+8)"), 0x1000)
        XCTAssertEqual(try value("poi(poi(rsp+8))"), 0x1122_3344_5566_7788)
        XCTAssertEqual(try value("poi rsp"), 0x1122_3344_5566_7788)
        XCTAssertEqual(try value("poi(rsp+8)+1"), 0x1001, "poi binds tighter than +")
        XCTAssertEqual(try value("BY(@rsp+1)"), 0x77)
        XCTAssertEqual(try value("by [@rsp+2]"), 0x66)
    }

    func testHighAndLow() throws {
        XCTAssertEqual(try value("hi(0x12345678)"), 0x1234)
        XCTAssertEqual(try value("low(0x12345678)"), 0x5678)
        XCTAssertEqual(try value("hi(0xaaaabbbb12345678)"), 0x1234)
        XCTAssertEqual(try value("LOW 0x12345678"), 0x5678)
    }

    func testRegisters() throws {
        XCTAssertEqual(try value("rax"), 0x10)
        XCTAssertEqual(try value("@rax"), 0x10)
        XCTAssertEqual(try value("@RAX"), 0x10)
        XCTAssertEqual(try value("eax+al"), 0x20)
        XCTAssertEqual(try value("@r8d"), 7)
        XCTAssertEqual(try value("rsp+8"), 0x1008)
        XCTAssertEqual(try value("@rdi == 0xffffffff"), 1)
        XCTAssertEqual(try value("@rdi==0n4294967295"), 1)
        XCTAssertEqual(try value("rax!=0x10"), 0)
        XCTAssertEqual(try value("rbp"), 0x40_4000, "a bare word is a symbol first")
        XCTAssertEqual(try value("@rbp"), 1, "@ always names a register")
    }

    func testPseudoRegisters() throws {
        XCTAssertEqual(try value("$ip"), 0x40_1000)
        XCTAssertEqual(try value("@$ip"), 0x40_1000)
        XCTAssertEqual(try value("$t0+1"), 0x43)
        XCTAssertEqual(try value("$T0"), 0x42)
        XCTAssertEqual(try value("$ra-$ip"), 0x234)
    }

    func testSymbols() throws {
        XCTAssertEqual(try value("main"), 0x40_1000)
        XCTAssertEqual(try value("main+0x10"), 0x40_1010)
        XCTAssertEqual(try value("libc!puts+0x10"), 0x7fff_f7e5_0e60)
        XCTAssertEqual(try value("main.cold"), 0x40_1800)
        XCTAssertEqual(try value("ld_linux_x86_64!_dl_debug_state"), 0x7fff_f7fd_1000)
        XCTAssertEqual(try value("ns::f"), 0x40_2000)
        XCTAssertEqual(try value("Foo::~Foo"), 0x40_3000)
        XCTAssertEqual(try value("puts@GLIBC_2.2.5"), 0x7fff_f7e5_0e50)
    }

    func testUnresolvedNames() {
        XCTAssertEqual(error("foo"), ExpressionError(message: "Couldn't resolve error", near: "foo"))
        XCTAssertEqual(error("foo")?.description, "Couldn't resolve error at 'foo'")
        XCTAssertEqual(error("1 + foo+1")?.description, "Couldn't resolve error at 'foo+1'")
        XCTAssertEqual(error("(foo)")?.near, "foo)")
        XCTAssertEqual(error("libc!nope")?.description, "Couldn't resolve error at 'libc!nope'")
        XCTAssertEqual(error("@rxx")?.description, "Bad register error at '@rxx'")
        XCTAssertEqual(error("$nope + 1")?.description, "Bad register error at '$nope + 1'")
    }

    func testArithmeticAndMemoryErrors() {
        XCTAssertEqual(error("1/0")?.description, "Divide by zero error at '0'")
        XCTAssertEqual(error("5 mod (1-1)")?.message, "Divide by zero error")
        XCTAssertEqual(error("poi(0)")?.description, "Memory access error at ')'")
        XCTAssertEqual(error("by 0x2000")?.message, "Memory access error")
        XCTAssertEqual(error("qwo(100c)")?.message, "Memory access error", "a read running past readable memory")
    }

    func testSyntaxErrors() {
        XCTAssertEqual(error("1+")?.description, "Numeric expression missing from '<EOL>'")
        XCTAssertEqual(error("")?.description, "Numeric expression missing from '<EOL>'")
        XCTAssertEqual(error("(1+)")?.description, "Numeric expression missing from ')'")
        XCTAssertEqual(error("(1+2")?.description, "Syntax error at '<EOL>'")
        XCTAssertEqual(error("(1]")?.description, "Syntax error at ']'")
        XCTAssertEqual(error("1 2")?.description, "Syntax error at '2'")
        XCTAssertEqual(error("1)")?.description, "Syntax error at ')'")
        XCTAssertEqual(error("*2")?.description, "Syntax error at '*2'")
        XCTAssertEqual(error("12z")?.description, "Syntax error at '12z'")
        XCTAssertEqual(error("0x")?.message, "Syntax error")
        XCTAssertEqual(error("0x1ffffffffffffffff")?.message, "Syntax error")
    }

    func testEvaluatePrefixStopsWhereTheExpressionEnds() throws {
        XCTAssertEqual(try prefix("rsp L4").value, 0x1000)
        XCTAssertEqual(try prefix("rsp L4").rest, "L4")
        XCTAssertEqual(try prefix("rsp+8 L4").value, 0x1008)
        XCTAssertEqual(try prefix("rsp+8 L4").rest, "L4")
        XCTAssertEqual(try prefix("main 5").rest, "5")
        XCTAssertEqual(try prefix("main+0x10 5").value, 0x40_1010)
        XCTAssertEqual(try prefix("main+0x10 5").rest, "5")
        XCTAssertEqual(try prefix("1 + 2 L3").value, 3)
        XCTAssertEqual(try prefix("1 + 2 L3").rest, "L3")
        XCTAssertEqual(try prefix("poi(rsp+8) ; g").value, 0x1000)
        XCTAssertEqual(try prefix("poi(rsp+8) ; g").rest, "; g")
        XCTAssertEqual(try prefix("(@rax == 0x10) 'r rax'").value, 1)
        XCTAssertEqual(try prefix("(@rax == 0x10) 'r rax'").rest, "'r rax'")
        XCTAssertEqual(try prefix("main \".echo hi\"").rest, "\".echo hi\"")
        XCTAssertEqual(try prefix("rax;g").rest, ";g")
        XCTAssertEqual(try prefix("  7   ").value, 7)
        XCTAssertEqual(try prefix("  7   ").rest, "")
    }

    func testEvaluatePrefixStillReportsErrors() {
        XCTAssertThrowsError(try prefix("foo L4")) { error in
            XCTAssertEqual((error as? ExpressionError)?.description, "Couldn't resolve error at 'foo L4'")
        }
        XCTAssertThrowsError(try prefix("; g")) { error in
            XCTAssertEqual((error as? ExpressionError)?.description, "Numeric expression missing from '; g'")
        }
    }
}

/// Trees bounded in depth, and the other evaluator inside `@@c++(…)` / `@@masm(…)`.
final class ExpressionTreeTests: XCTestCase {
    private func value(_ text: String) throws -> UInt64 {
        try MasmEvaluator(context: FakeContext()).evaluate(text[...])
    }

    func testDeepNestingIsAnErrorNotACrash() {
        for text in [String(repeating: "(", count: 50_000) + "1" + String(repeating: ")", count: 50_000),
                     Array(repeating: "1", count: 100_000).joined(separator: "+"),
                     String(repeating: "-", count: 50_000) + "1",
                     String(repeating: "poi ", count: 50_000) + "1",
                     String(repeating: "@@c++(", count: 2_000) + "1" + String(repeating: ")", count: 2_000)] {
            XCTAssertThrowsError(try value(text)) { error in
                XCTAssertEqual((error as? ExpressionError)?.description, "Expression too deeply nested")
            }
        }
        XCTAssertEqual(try value(String(repeating: "(", count: 200) + "1" + String(repeating: ")", count: 200)), 1)
    }

    func testParsedOnceEvaluatedManyTimes() throws {
        final class Counter: ExpressionContext {
            var rdi: UInt64 = 0
            func registerValue(_ name: String) -> UInt64? { name == "rdi" ? rdi : nil }
            func pseudoRegisterValue(_ name: String) -> UInt64? { nil }
            func symbolAddress(_ name: String) -> UInt64? { nil }
            func readMemory(_ address: UInt64, size: Int) -> [UInt8]? { nil }
        }
        let context = Counter()
        let condition = try MasmExpression.parse("@rdi == 5")
        var trueCount = 0
        for value in 0..<10 as Range<UInt64> {
            context.rdi = value
            if try condition.evaluate(context) != 0 { trueCount += 1 }
        }
        XCTAssertEqual(trueCount, 1)
    }

    func testCppInsideMasmAndMasmInsideCpp() throws {
        XCTAssertEqual(try value("@@c++(1+2)"), 3)
        XCTAssertEqual(try value("@@c++(-1)"), 0xffff_ffff_ffff_ffff, "a signed C++ value is sign-extended")
        XCTAssertEqual(try value("@@(2*3)+1"), 7)
        XCTAssertEqual(try value("@@masm(10)"), 0x10)
        XCTAssertEqual(try value("@@c++(@@masm(10) + 1)"), 0x11, "MASM numbers are hex inside C++ too")
        XCTAssertEqual(try value("@@c++(sizeof(long))"), 8)
        XCTAssertEqual(try value("@@c++(10 / 3)"), 3, "C++ numbers are decimal")
        XCTAssertThrowsError(try value("@@c++(nosuch)")) { error in
            XCTAssertEqual((error as? ExpressionError)?.description, "Couldn't resolve error at 'nosuch'")
        }
        XCTAssertThrowsError(try value("@@c++(1"))
        let cpp = try CppExpression.parse("@@masm(poi(@rsp+8)) + 1", context: FakeContext()).evaluate(FakeContext())
        XCTAssertEqual(cpp.type.cName, "unsigned long")
        XCTAssertEqual(cpp.bytes.littleEndian(at: 0), 0x1001)
    }

    func testAssignmentWritesThroughTheContext() throws {
        final class Memory: ExpressionContext {
            var bytes: [UInt8] = [1, 0, 0, 0]
            var rbx: UInt64 = 9
            func registerValue(_ name: String) -> UInt64? { name == "rbx" ? rbx : nil }
            func pseudoRegisterValue(_ name: String) -> UInt64? { nil }
            func symbolAddress(_ name: String) -> UInt64? { nil }
            func readMemory(_ address: UInt64, size: Int) -> [UInt8]? { address == 0x100 && size <= 4 ? Array(bytes.prefix(size)) : nil }
            func writeMemory(_ address: UInt64, _ data: [UInt8]) -> Bool {
                guard address == 0x100, data.count <= 4 else { return false }
                bytes.replaceSubrange(0..<data.count, with: data)
                return true
            }
            func setRegister(_ name: String, _ value: UInt64) -> Bool { guard name == "rbx" else { return false }; rbx = value; return true }
            func variable(named name: String) -> TypedValue? {
                switch name {
                case "counter": TypedValue(type: .int, address: 0x100, bytes: [], files: nil)
                case "held": TypedValue(type: .long, address: nil, bytes: [UInt8](littleEndian: rbx, size: 8), files: nil, register: "rbx")
                case "computed": TypedValue(type: .int, address: nil, bytes: [7, 0, 0, 0], files: nil)
                default: nil
                }
            }
        }
        let context = Memory()
        let result = try CppExpression.parse("counter = 40 + 2", context: context).evaluate(context)
        XCTAssertEqual(result.bytes, [42, 0, 0, 0])
        XCTAssertEqual(context.bytes, [42, 0, 0, 0])
        XCTAssertEqual(try CppExpression.parse("counter = 2.9", context: context).evaluate(context).bytes, [2, 0, 0, 0], "converted to the target's type")
        _ = try CppExpression.parse("held = -1", context: context).evaluate(context)
        XCTAssertEqual(context.rbx, 0xffff_ffff_ffff_ffff)
        XCTAssertThrowsError(try CppExpression.parse("computed = 1", context: context).evaluate(context))
        XCTAssertThrowsError(try CppExpression.parse("1 = 2", context: context).evaluate(context))
        XCTAssertEqual(try CppExpression.parse("counter == 2 || 1 / 0", context: context).evaluate(context).bytes, [1],
                       "|| and && evaluate their right side only when needed")
        XCTAssertEqual(try CppExpression.parse("counter == 3 && 1 / 0", context: context).evaluate(context).bytes, [0])
    }
}
