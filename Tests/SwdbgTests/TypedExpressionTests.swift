import Foundation
import XCTest

/// `??` (C++ expressions over DWARF types), checked against gdb's `print`; `dl` and `!list`
/// over the fixture's lists.
final class TypedExpressionTests: XCTestCase {
    private let expressions = ["local.count", "nodes[1].next->value", "local.flags.level", "sizeof(struct record)", "&nodes[2] - &nodes[0]",
                               "local.color", "local.ratio * 4", "global_record.count + local.samples[3]", "(char)(local.tag - 23)", "*local.list"]

    func testValuesMatchGdbPrint() throws {
        let program = try Harness.fixture("types")
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "break types.c:49", "-ex", "run"] + expressions.flatMap { ["-ex", "print \($0)"] } + [program],
                                  input: "").output
        let printed = gdb.split(separator: "\n").filter { $0.hasPrefix("$") }.map { String($0.split(separator: "=", maxSplits: 1)[1].dropFirst()) }
        XCTAssertEqual(printed.count, expressions.count, gdb)
        let out = try Harness.session("types", ["g `types.c:49`"] + expressions.map { "?? " + $0 })
        let ours = expressions.map { out.output(of: "?? " + $0) }
        XCTAssertEqual(ours[0], "short int 0n\(printed[0])")
        XCTAssertEqual(ours[1], "int 0n\(printed[1])")
        XCTAssertEqual(ours[2], "int 0n\(printed[2])")
        XCTAssertEqual(ours[3], "unsigned long 0x\(String(Int(printed[3])!, radix: 16))")
        XCTAssertEqual(ours[4], "long 0n\(printed[4])")
        XCTAssertEqual(ours[5], "enum color \(printed[5]) (0n6)")
        XCTAssertEqual(ours[6], "double \(printed[6])")
        XCTAssertEqual(ours[7], "int 0n\(printed[7])")
        XCTAssertEqual(ours[8], "char 0n\(printed[8].split(separator: " ")[0]) 'a'", printed[8])
        // gdb: `{value = 10, next = 0x…}`; ours: the record and its members.
        XCTAssertTrue(printed[9].hasPrefix("{value = 10, next = 0x"), printed[9])
        XCTAssertTrue(ours[9].hasPrefix("struct node\n   +0x000 value            : 0n10\n   +0x008 next             : "), ours[9])
    }

    func testErrorsLeaveTheSessionGoing() throws {
        let out = try Harness.session("types", ["g `types.c:49`", "?? nosuch", "?? local.nosuch", "?? 1 +", "?? (struct nosuch *)0", "?? 1 / 0", "?? local.count"])
        XCTAssertEqual(out.output(of: "?? nosuch"), "Couldn't resolve error at 'nosuch'")
        XCTAssertEqual(out.output(of: "?? local.nosuch"), "'nosuch' is not a member of 'struct record'")
        XCTAssertTrue(out.output(of: "?? 1 +").hasPrefix("Syntax error"))
        XCTAssertEqual(out.output(of: "?? (struct nosuch *)0"), "Couldn't resolve type 'struct nosuch'")
        XCTAssertEqual(out.output(of: "?? 1 / 0"), "Divide by zero")
        XCTAssertEqual(out.output(of: "?? local.count"), "short int 0n7")
    }

    /// A circular list with its links first: `dl` follows the first pointer, `dlb` the second,
    /// each back to the start; `!list` follows a named field and runs its command per node.
    func testLinkedLists() throws {
        let out = try Harness.session("types", ["g `types.c:49`", "dl ring", "dlb ring 10 3", "? ring", "!list -t node.next -x \"?? ((struct node *)@$extret)->value\" nodes",
                                                "!list -t entry.next -m 2 -x \"? @$extret\" ring"])
        let ring = try XCTUnwrap(out.output(of: "? ring").components(separatedBy: " = ").last)
        let base = UInt64(ring.replacingOccurrences(of: "`", with: ""), radix: 16)!
        func address(_ index: UInt64) -> String {
            let value = base + 0x18 * index
            return String(format: "%08x`%08x", value >> 32, value & 0xffffffff)
        }
        XCTAssertEqual(out.output(of: "dl ring").split(separator: "\n").map { String($0.prefix(17)) }, [address(0), address(1), address(2)])
        XCTAssertEqual(out.output(of: "dlb ring 10 3").split(separator: "\n").map { String($0) },
                       ["\(address(0))  \(address(1)) \(address(2)) 00000000`00000001", "\(address(2))  \(address(0)) \(address(1)) 00000000`00000003",
                        "\(address(1))  \(address(2)) \(address(0)) 00000000`00000002"])
        XCTAssertEqual(out.output(of: "!list -t node.next -x \"?? ((struct node *)@$extret)->value\" nodes"), "int 0n10\nint 0n20\nint 0n30")
        XCTAssertEqual(out.output(of: "!list -t entry.next -m 2 -x \"? @$extret\" ring").split(separator: "\n").count, 2)
    }

    /// Wide, straddling and DWARF 2/3-style bitfields, multi-dimensional arrays, long double,
    /// C's literal types, and values that cannot be computed: checked against gdb's `print`.
    func testEdgesOfTheTypeSystemMatchGdb() throws {
        let cases = ["wide_bits.all", "wide_bits.negative", "straddling.low", "straddling.middle", "straddling.high", "matrix[1][2]", "precise * 2",
                     "bytes[0] + bytes[1]", "bytes[1] > 100", "third", "local.color == BLUE", "GREEN + 1",
                     "-1 == 0xffffffffu", "-8 / 2u",
                     "0xffffffffffffffff > 0", "010", "-1 < 0u", "0x7fffffffffffffff == 0x7ffffffffffffffe"]
        for flags in [[String](), ["-gdwarf-4"]] {
            let program = try Harness.fixture("types", flags: flags)
            let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "break types.c:49", "-ex", "run"] + cases.flatMap { ["-ex", "print \($0)"] } + [program],
                                      input: "").output
            let printed = gdb.split(separator: "\n").filter { $0.hasPrefix("$") }.map { String($0.split(separator: "=", maxSplits: 1)[1].dropFirst()) }
            XCTAssertEqual(printed.count, cases.count, gdb)
            let out = try Harness.session(program: program, ["g `types.c:49`"] + cases.map { "?? " + $0 })
            for (index, expression) in cases.enumerated() {
                let ours = out.output(of: "?? " + expression)
                let value = ours.split(separator: " ").last.map(String.init) ?? ""
                let expected = printed[index]
                switch value {
                case "true", "false":
                    // C comparisons are ints to gdb, bool to the C++ evaluator.
                    XCTAssertEqual(value == "true" ? "1" : "0", expected, "\(flags) \(expression)")
                default:
                    let number = value.hasPrefix("0n") ? Int64(value.dropFirst(2)).map(String.init)
                        : value.hasPrefix("0x") ? UInt64(value.dropFirst(2), radix: 16).map(String.init) : value
                    if expected.contains(".") {
                        XCTAssertEqual(Double(value), Double(expected), "\(flags) \(expression): \(ours) vs gdb \(expected) (the same double)")
                    } else {
                        XCTAssertEqual(number, expected, "\(flags) \(expression): \(ours) vs gdb \(expected)")
                    }
                }
            }
        }
    }

    func testValuesThatCannotBeComputedAreSaidSo() throws {
        let deep = String(repeating: "(", count: 2000) + "1"
        let out = try Harness.session("types", ["g `types.c:49`", "?? (int)(0.0/0.0)", "?? *(int**)0", "?? ((struct node *)0x10)->next", "?? " + deep,
                                                "?? " + String(repeating: "-", count: 3000) + "1", "dt types!record 0", "?? local.count"])
        XCTAssertEqual(out.output(of: "?? (int)(0.0/0.0)"), "-nan does not fit in 'int'")
        XCTAssertEqual(out.output(of: "?? *(int**)0"), "Memory access error at 00000000`00000000")
        XCTAssertEqual(out.output(of: "?? ((struct node *)0x10)->next"), "Memory access error at 00000000`00000018")
        XCTAssertEqual(out.output(of: "?? " + deep), "Expression too deeply nested")
        XCTAssertTrue(out.output(of: "dt types!record 0").contains("+0x028 flags            : flags"), "records at unreadable memory: members as ????")
        XCTAssertTrue(out.output(of: "dt types!record 0").contains("+0x002 count            : ????"))
        XCTAssertEqual(out.output(of: "?? local.count"), "short int 0n7", "the session goes on")
    }
}
