import Foundation
import XCTest

/// C++ and Swift programs: demangled names in every listing, breakpoints by demangled,
/// whole and linkage names, parameters at a function's entry read where the ABI put them.
final class LanguageTests: XCTestCase {
    /// Oracle: `nm -C` gives each overload's address; `x` shows the same ones, demangled.
    func testCxxOverloadsListedDemangledAtNmAddresses() throws {
        let program = try Harness.fixture("shapes")
        let nm = try Harness.run("/usr/bin/nm", ["-C", program], input: "").output
        func offset(_ signature: String) -> UInt64? {
            nm.split(separator: "\n").first { $0.hasSuffix(" " + signature) }.flatMap { UInt64($0.split(separator: " ")[0], radix: 16) }
        }
        let intOffset = try XCTUnwrap(offset("geometry::scale(int)"))
        let doubleOffset = try XCTUnwrap(offset("geometry::scale(double)"))
        let out = try Harness.session("shapes", ["x shapes!geometry::scale", "? @!\"geometry::scale(double)\" - shapes", "? _ZN8geometry5scaleEi - shapes"])
        let listing = out.output(of: "x shapes!geometry::scale").split(separator: "\n")
        XCTAssertEqual(listing.count, 2, listing.joined(separator: "\n"))
        XCTAssertTrue(listing.contains { $0.hasSuffix("shapes!geometry::scale (int)") })
        XCTAssertTrue(listing.contains { $0.hasSuffix("shapes!geometry::scale (double)") })
        XCTAssertTrue(out.output(of: "? @!\"geometry::scale(double)\" - shapes").hasPrefix("Evaluate expression: \(doubleOffset) "))
        XCTAssertTrue(out.output(of: "? _ZN8geometry5scaleEi - shapes").hasPrefix("Evaluate expression: \(intOffset) "))
    }

    /// Breakpoints on a method, a template instance (quoted) and an overload; the stack names
    /// them as gdb's `bt` does, with the caller's line.
    func testCxxBreakpointsAndStacks() throws {
        let program = try Harness.fixture("shapes")
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "break geometry::Rectangle::area", "-ex", "run", "-ex", "bt", program], input: "").output
        let callerLine = try XCTUnwrap(gdb.split(separator: "\n").first { $0.hasPrefix("#1") }?.split(separator: ":").last.map { String($0) })
        XCTAssertTrue(gdb.contains("geometry::Rectangle::area"), gdb)

        let out = try Harness.session("shapes", ["bp geometry::Rectangle::area", "bp @!\"shapes!geometry::largest<int>\"", "bp @!\"geometry::scale(double)\"",
                                                 "g", "k", "dt this", "dt shapes!geometry::Rectangle", "?? ((geometry::Rectangle *)this)->height_",
                                                 "g", "kp", "g", "kp"])
        XCTAssertTrue(out.output(of: "dt shapes!geometry::Rectangle").contains("+0x010 height_          : Double"), "types inside namespaces")
        XCTAssertEqual(out.output(of: "?? ((geometry::Rectangle *)this)->height_"), "double 4")
        let stack = out.output(of: "k").split(separator: "\n")
        XCTAssertTrue(stack[1].hasSuffix("shapes!geometry::Rectangle::area [\(Harness.source("shapes")) @ 14]"), String(stack[1]))
        XCTAssertTrue(stack[2].contains("shapes!main+0x") && stack[2].hasSuffix("shapes.cpp @ \(callerLine)]"), "\(stack[2]) vs gdb \(callerLine)")
        let this = out.output(of: "dt this")
        for fact in ["Type const geometry::Rectangle * const", "+0x000 __BaseClass      : geometry::Shape", "+0x008 width_           : 3", "+0x010 height_          : 4"] {
            XCTAssertTrue(this.contains(fact), "\(fact) in \(this)")
        }
        XCTAssertTrue(out.output(of: "kp", occurrence: 0).contains("shapes!geometry::largest<int>(int a = 0n7, int b = 0n9)"), out.output(of: "kp"))
        XCTAssertTrue(out.output(of: "kp", occurrence: 1).contains("shapes!geometry::scale(double value = 1)"), out.output(of: "kp", occurrence: 1))
    }

    /// swiftc -g: Swift names demangled, a breakpoint by the Swift name, source lines from
    /// DWARF that has no `.debug_aranges`.
    func testSwiftProgram() throws {
        let out = try Harness.session("geometry", ["x geometry!*Rectangle.area*", "bp geometry.Rectangle.area", "g", "k", "dt self"])
        XCTAssertTrue(out.output(of: "x geometry!*Rectangle.area*").hasSuffix("geometry!geometry.Rectangle.area () -> Swift.Double"),
                      out.output(of: "x geometry!*Rectangle.area*"))
        let stack = out.output(of: "k").split(separator: "\n")
        XCTAssertTrue(stack[1].hasSuffix("geometry!geometry.Rectangle.area [\(Harness.source("geometry")) @ 6]"), String(stack[1]))
        XCTAssertTrue(stack[2].contains("geometry!main+0x") && stack[2].hasSuffix("geometry.swift @ 16]"), String(stack[2]))
    }

    /// At a breakpoint on a function's entry, -O0 code has not stored its parameters yet:
    /// the values shown are the argument registers', not the stale frame slots'.
    func testParametersAtEntryComeFromTheArgumentRegisters() throws {
        let out = try Harness.session("types", ["bp types!inspect", "g", "kp 1", "r rdi", "p", "p", "p", "kp 1"])
        let rdi = try XCTUnwrap(out.output(of: "r rdi").split(separator: "=").last.map(String.init))
        XCTAssertTrue(out.output(of: "kp 1").contains("types!inspect(struct record * record = 0x\(rdi))"), out.output(of: "kp 1"))
        XCTAssertTrue(out.output(of: "kp 1", occurrence: 1).contains("types!inspect(struct record * record = 0x\(rdi))"), "after the prologue, from the frame slot")
    }

    /// A lambda's operator() (nested in its enclosing function's debug entry): its parameters,
    /// locals and captures, as gdb's `info locals`/`info args`; at its entry the captures are
    /// not readable yet (the closure pointer is not stored) and say so.
    func testLambdaFrames() throws {
        let program = try Harness.fixture("lambda")
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "break lambda.cpp:7", "-ex", "run", "-ex", "info locals", "-ex", "info args", program],
                                  input: "").output
        for fact in ["scaled = 12", "factor = 3", "v = 4"] { XCTAssertTrue(gdb.contains(fact), gdb) }
        let out = try Harness.session("lambda", ["bp `lambda.cpp:7`", "g", "dv", "bc *", "bp @!\"lambda!run(int)::{lambda(int)#1}::operator()\"", "g", "dv"])
        let values = out.output(of: "dv").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for fact in ["scaled = 0n12", "factor = 0n3", "v = 0n4"] { XCTAssertTrue(values.contains(fact), "\(fact) in \(values)") }
        let atEntry = out.output(of: "dv", occurrence: 1).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertTrue(atEntry.contains("factor = <value unavailable>"), "\(atEntry)")
        XCTAssertTrue(atEntry.contains("v = 0n5"), "\(atEntry)")
    }
}
