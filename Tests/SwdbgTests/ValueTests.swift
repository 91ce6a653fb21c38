import Foundation
import XCTest

/// Values as people read them: strings of every character type, complex numbers, folded
/// constants and file statics, checked against gdb's print of the same program.
final class ValueTests: XCTestCase {
    /// gdb's `print` of each expression at `location`, value part only (`$1 = …`).
    private func gdbPrint(_ program: String, at location: String, _ expressions: [String]) throws -> [String] {
        let arguments = ["-batch", "-nx", "-ex", "break \(location)", "-ex", "run"] + expressions.flatMap { ["-ex", "print \($0)"] } + [program]
        let output = try Harness.run("/usr/bin/gdb", arguments, input: "").output
        let values = output.split(separator: "\n").filter { $0.hasPrefix("$") }.map { String($0.split(separator: "=", maxSplits: 1)[1].dropFirst()) }
        XCTAssertEqual(values.count, expressions.count, output)
        return values
    }

    /// The C literal in a gdb value (`0x555… "apple"` → `"apple"`, `L"wide"`).
    private func literal(_ text: String) -> String {
        guard let quote = text.firstIndex(of: "\"") else { return text }
        let start = text[..<quote].last.map { "LuU8".contains($0) } == true ? text[..<quote].lastIndex { !"LuU8".contains($0) }.map { text.index(after: $0) } ?? quote : quote
        return String(text[start...])
    }

    func testStringsOfEveryCharacterType() throws {
        let program = try Harness.fixture("values", flags: Harness.flags["values"] ?? [])
        let names = ["greeting", "fruit", "quoted", "wide", "sixteen", "thirtytwo"]
        let gdb = try gdbPrint(program, at: "words", names)
        let out = try Harness.session("values", ["bp values!words", "g", "dv"] + names.map { "?? " + $0 } + ["dt someone", "kp 1"])
        for (name, expected) in zip(names, gdb) {
            XCTAssertTrue(out.output(of: "?? " + name).hasSuffix("  " + literal(expected)), "\(name): gdb \(expected), swdbg \(out.output(of: "?? " + name))")
        }
        XCTAssertTrue(out.output(of: "?? wide").hasPrefix("wchar_t * 0x"), out.output(of: "?? wide"))
        XCTAssertTrue(out.output(of: "?? greeting").hasPrefix("char[22]  "), "the whole array, not 16 elements")
        XCTAssertTrue(out.output(of: "dv").contains("text = 0x") && out.output(of: "dv").contains(" \"apple\""), out.output(of: "dv"))
        let record = out.output(of: "dt someone")
        XCTAssertTrue(record.contains("+0x000 name             : ") && record.contains("  \"Ada Lovelace\""), record)
        XCTAssertTrue(record.contains("+0x008 initials         : [4]  \"AL\""), record)
        XCTAssertTrue(out.output(of: "kp 1").contains("values!words(const char * text = 0x") && out.output(of: "kp 1").contains("\"apple\", struct person * who"), out.output(of: "kp 1"))
    }

    /// C++'s character types, `char8_t` included (gcc writes it as an unsigned byte).
    func testCppCharacterTypes() throws {
        let program = try Harness.fixture("text", flags: ["-std=c++20"])
        let names = ["eight", "sixteen", "thirtytwo", "wide", "letters"]
        let gdb = try gdbPrint(program, at: "main", names)
        let out = try Harness.session("text", names.map { "?? " + $0 })
        for (name, expected) in zip(names, gdb) {
            XCTAssertTrue(out.output(of: "?? " + name).hasSuffix("  " + literal(expected)), "\(name): gdb \(expected), swdbg \(out.output(of: "?? " + name))")
        }
        XCTAssertTrue(out.output(of: "?? eight").hasPrefix("const char8_t * 0x"), out.output(of: "?? eight"))
    }

    func testComplexNumbersAndComplexParametersAtEntry() throws {
        let program = try Harness.fixture("values", flags: Harness.flags["values"] ?? [])
        let gdb = try gdbPrint(program, at: "words", ["cf", "cd", "cld"])
        XCTAssertEqual(gdb, ["1 + 2i", "3 + -4i", "5 + 6i"])
        let out = try Harness.session("values", ["bp values!cfun", "g", "?? cf", "?? cd", "?? cld", "dv", "kp 1"])
        XCTAssertEqual(out.output(of: "?? cf"), "complex float " + gdb[0])
        XCTAssertEqual(out.output(of: "?? cd"), "complex double " + gdb[1])
        XCTAssertEqual(out.output(of: "?? cld"), "complex long double " + gdb[2])
        // cfun(1 + 2i, 7, 8): z in xmm0 (both parts), a and b in rdi and rsi.
        XCTAssertTrue(out.output(of: "kp 1").contains("values!cfun(complex float z = 1 + 2i, int a = 0n7, int b = 0n8)"), out.output(of: "kp 1"))
    }

    /// -O2 folds the constants: DW_AT_const_value in one or two bytes, read unsigned (203
    /// used to print -53, 40000 as -25536).
    func testFoldedConstantsAreUnsignedWhereTheirFormIs() throws {
        let program = try Harness.fixture("values", flags: ["-O2"] + (Harness.flags["values"] ?? []))
        let info = try Harness.run("/usr/bin/readelf", ["--debug-dump=info", program], input: "").output
        XCTAssertTrue(info.contains("DW_AT_const_value : 203"), "the constants are folded at -O2")
        let out = try Harness.session(program: program, ["bp values!words", "g", "dv k203", "dv k40000", "?? k203", "?? k40000"])
        XCTAssertEqual(out.output(of: "dv k203").trimmingCharacters(in: .whitespaces), "k203 = 0n203")
        XCTAssertEqual(out.output(of: "dv k40000").trimmingCharacters(in: .whitespaces), "k40000 = 0x9c40")
        XCTAssertEqual(out.output(of: "?? k203"), "const int 0n203")
        XCTAssertEqual(out.output(of: "?? k40000"), "const unsigned int 0x9c40")
    }

    /// Two files with a `static int filelocal`: a name resolves in the current file first.
    func testFileStaticsResolveByCompilationUnit() throws {
        let out = try Harness.session("values", ["bp values!other_file", "bp values!words", "g", "?? filelocal", "dt filelocal", "g", "?? filelocal"])
        XCTAssertEqual(out.output(of: "?? filelocal"), "int 0n222", "in values_other.c")
        XCTAssertTrue(out.output(of: "dt filelocal").contains("0n222"), out.output(of: "dt filelocal"))
        XCTAssertEqual(out.output(of: "?? filelocal", occurrence: 1), "int 0n111", "in values.c")
    }
}
