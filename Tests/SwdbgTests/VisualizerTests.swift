import Foundation
import XCTest

/// `dx` and `.visualizers`: libstdc++ containers checked against gdb's own printers on the
/// same program, Swift collections against facts known by construction.
final class VisualizerTests: XCTestCase {
    /// gdb's printed value of each variable in main's frame (`$1 = …` → `…`).
    private func gdbPrinters(_ program: String, _ names: [String]) throws -> [String: String] {
        let arguments = ["-batch", "-nx", "-ex", "break stop_here", "-ex", "run", "-ex", "up"] + names.flatMap { ["-ex", "print \($0)"] } + [program]
        let output = try Harness.run("/usr/bin/gdb", arguments, input: "").output
        let values = output.split(separator: "\n").filter { $0.hasPrefix("$") }.map { String($0.split(separator: "=", maxSplits: 1)[1].dropFirst()) }
        XCTAssertEqual(values.count, names.count, output)
        return Dictionary(uniqueKeysWithValues: zip(names, values))
    }

    /// The values in a dx listing's children, numbers without `0n`, in order; keyed children
    /// (`[0n1]`, `["alice"]`) as gdb writes them (`[1] = "one"`).
    private func children(_ listing: String) -> [String] {
        listing.split(separator: "\n").dropFirst().compactMap { line in
            let name = line.trimmingCharacters(in: .whitespaces).components(separatedBy: " ").first ?? ""
            guard name != "[capacity]", name != "[size]" else { return nil }
            let value = plain(line.components(separatedBy: " : ").dropFirst().joined(separator: " : ").components(separatedBy: " [Type: ").first ?? "")
            let positional = name.dropFirst().first?.isNumber == true && !name.hasPrefix("[0n")
            return positional ? value : name.replacingOccurrences(of: "[0n", with: "[") + " = " + value
        }
    }

    private func plain(_ value: String) -> String {
        value.hasPrefix("0n") ? String(value.dropFirst(2)) : value
    }

    func testLibstdcxxContainersMatchGdbsPrinters() throws {
        let program = try Harness.fixture("containers", flags: ["-std=c++17"])
        let names = ["short_str", "long_str", "empty_str", "ints", "bits", "names", "numbers", "primes", "ages", "squares", "shared", "weak",
                     "shared_new", "opt_set", "opt_empty", "opt_str", "var_str", "var_int", "dq", "empty_list", "empty_map", "empty_umap"]
        let gdb = try gdbPrinters(program, names)
        let out = try Harness.session("containers", ["bp containers!stop_here", "g", ".frame 1"] + names.map { "dx " + $0 })
        for name in ["short_str", "long_str", "empty_str"] {
            XCTAssertTrue(out.output(of: "dx " + name).hasPrefix("\(name)".padding(toLength: 16, withPad: " ", startingAt: 0) + " : " + gdb[name]!), out.output(of: "dx " + name))
        }
        // `{1, 2, 3}`, `{[0] = "ant", …}`, `{[1] = "one", …}`, `{["carol"] = 35, …}`: gdb's elements, in its order.
        for name in ["ints", "bits", "names", "numbers", "primes", "ages", "squares", "dq"] {
            let listed = gdb[name]!.components(separatedBy: " = {").dropFirst().joined(separator: " = {").dropLast()
            var expected = listed.components(separatedBy: ", ")
            if name == "names" || name == "primes" { expected = expected.map { $0.components(separatedBy: " = ").dropFirst().joined(separator: " = ") } }
            XCTAssertEqual(children(out.output(of: "dx " + name)), expected, "\(name): gdb printed \(gdb[name]!)")
            XCTAssertTrue(out.output(of: "dx " + name).contains(" : { size=\(expected.count) } [Type: std::"), out.output(of: "dx " + name))
        }
        for name in ["shared", "weak", "shared_new"] {
            let counts = gdb[name]!.components(separatedBy: "(").dropFirst().first?.components(separatedBy: ")").first ?? "?"
            XCTAssertTrue(out.output(of: "dx " + name).contains("[\(counts)]"), "\(name): gdb \(gdb[name]!), swdbg \(out.output(of: "dx " + name))")
        }
        XCTAssertEqual(gdb["opt_set"], "std::optional<int> = {[contained value] = 17}")
        XCTAssertTrue(out.output(of: "dx opt_set").contains(" : 0n17 [Type: std::optional<int>]"))
        XCTAssertTrue(gdb["opt_empty"]!.hasSuffix("[no contained value]"))
        XCTAssertTrue(out.output(of: "dx opt_empty").contains(" : [no contained value] "))
        XCTAssertTrue(out.output(of: "dx opt_str").contains(" : \"pear\" "))
        XCTAssertTrue(gdb["var_str"]!.contains("[index 1] = {\"plum\"}"))
        XCTAssertTrue(out.output(of: "dx var_str").contains(" : [index 1] \"plum\" "))
        XCTAssertTrue(out.output(of: "dx var_int").contains(" : [index 0] 0n99 "))
        for name in ["empty_list", "empty_map", "empty_umap"] {
            XCTAssertTrue(out.output(of: "dx " + name).contains(" : { size=0 } "), out.output(of: "dx " + name))
        }
    }

    func testDepthAndVisualizersInDvAndTypedExpressions() throws {
        let out = try Harness.session("containers", ["bp containers!stop_here", "g", ".frame 1", "dx -r2 points", "dv names", ".visualizers on", "dv names",
                                                     "dv numbers", "?? ages", "dx -r99 ints", ".visualizers off", "dv names"])
        let points = out.output(of: "dx -r2 points")
        XCTAssertTrue(points.contains("        x                : 0n1 [Type: int]") && points.contains("        y                : 0n4 [Type: int]"), points)
        XCTAssertTrue(out.output(of: "dv names").hasSuffix("names = {...}"), "raw by default")
        XCTAssertTrue(out.output(of: "dv names", occurrence: 1).hasSuffix("names = { size=3 } = {\"ant\", \"bee\", \"cat\"}"), out.output(of: "dv names", occurrence: 1))
        XCTAssertTrue(out.output(of: "dv numbers").hasSuffix("numbers = { size=3 } = {[0n1] = \"one\", [0n2] = \"two\", [0n3] = \"three\"}"))
        XCTAssertTrue(out.output(of: "?? ages").hasSuffix("{ size=3 } = {[\"carol\"] = 0n35, [\"bob\"] = 0n25, [\"alice\"] = 0n30}"), out.output(of: "?? ages"))
        XCTAssertTrue(out.output(of: "dx -r99 ints").contains("-r takes a depth"))
        XCTAssertTrue(out.output(of: "dv names", occurrence: 2).hasSuffix("names = {...}"))
    }

    /// Swift's String (small, literal, native, non-ASCII), Array and Dictionary, locals and
    /// globals; dictionaries in bucket order under deterministic hashing.
    func testSwiftCollections() throws {
        let program = try Harness.fixture("collections")
        let names = ["small", "smallMax", "nonASCII", "longLiteral", "native", "nativeNonASCII", "ints", "strings", "empty", "grown", "dict", "emptyDict",
                     "intDict", "globalInts", "globalSmall", "globalDict"]
        let out = try Harness.session(program: program, ["bp collections!collections.stopHere", "g", ".frame 1"] + names.map { "dx " + $0 },
                                      environment: ["SWIFT_DETERMINISTIC_HASHING": "1"])
        let strings = ["small": "apple", "smallMax": "fifteen chars!!", "nonASCII": "café", "longLiteral": "this literal is longer than fifteen bytes",
                       "native": "native-native-native-native-", "nativeNonASCII": "über·über·über·über·", "globalSmall": "hello"]
        for (name, text) in strings {
            XCTAssertTrue(out.output(of: "dx " + name).contains(" : \"\(text)\" [Type: Swift.String]"), out.output(of: "dx " + name))
        }
        XCTAssertEqual(children(out.output(of: "dx ints")), ["1", "2", "3"])
        XCTAssertEqual(children(out.output(of: "dx strings")), ["\"ant\"", "\"bee\"", "\"a string longer than 15\""])
        XCTAssertEqual(children(out.output(of: "dx grown")), ["0", "1", "4", "9", "16"])
        XCTAssertEqual(children(out.output(of: "dx globalInts")), ["10", "20", "30"])
        XCTAssertTrue(out.output(of: "dx empty").contains(" : { size=0 } [Type: [Int]]"))
        XCTAssertEqual(Set(children(out.output(of: "dx dict"))), ["[\"alice\"] = 30", "[\"bob\"] = 25", "[\"carol\"] = 35"])
        XCTAssertEqual(Set(children(out.output(of: "dx intDict"))), ["[1] = 100", "[2] = 200"])
        XCTAssertEqual(Set(children(out.output(of: "dx globalDict"))), ["[\"one\"] = 1", "[\"two\"] = 2", "[\"three\"] = 3"])
        XCTAssertTrue(out.output(of: "dx emptyDict").contains(" : { size=0 } [Type: [String : Int]]"))
    }

    func testBadDxInput() throws {
        let out = try Harness.session("containers", ["bp containers!stop_here", "g", ".frame 1", "dx", "dx nosuch", "dx -r", "dx ints[", "? 1"])
        XCTAssertTrue(out.output(of: "dx").hasPrefix("Usage: dx"))
        XCTAssertEqual(out.output(of: "dx nosuch"), "Couldn't resolve error at 'nosuch'")
        XCTAssertTrue(out.output(of: "dx -r").hasPrefix("Usage: dx"))
        XCTAssertFalse(out.output(of: "dx ints[").isEmpty)
        XCTAssertTrue(out.output(of: "? 1").hasPrefix("Evaluate expression: 1"))
    }
}
