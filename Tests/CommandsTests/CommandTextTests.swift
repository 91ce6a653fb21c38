import XCTest
@testable import Commands

/// Splitting command lines with WinDbg's quoting rules.
final class CommandTextTests: XCTestCase {
    func testSemicolonsSeparateCommands() {
        XCTAssertEqual(CommandText.split("bp main; g ;k").map(String.init), ["bp main", "g", "k"])
    }

    func testQuotesAndBracesProtectSemicolons() {
        XCTAssertEqual(CommandText.split("bp f \"r rax; gc\"; g").map(String.init), ["bp f \"r rax; gc\"", "g"])
        XCTAssertEqual(CommandText.split(".if (1) { .echo a; .echo b } .else { gc }; k").map(String.init),
                       [".if (1) { .echo a; .echo b } .else { gc }", "k"])
    }

    func testSymbolPathKeepsItsSemicolons() {
        XCTAssertEqual(CommandText.split("lm; .sympath /a;srv*/c*http://h:1; ").map(String.init), ["lm", ".sympath /a;srv*/c*http://h:1;"])
    }

    func testJumpKeepsBothBranches() {
        XCTAssertEqual(CommandText.split("j (1) 'r rax' ; 'gc'; k").map(String.init), ["j (1) 'r rax' ; 'gc'", "k"])
    }

    func testEmptyPiecesAreDropped() {
        XCTAssertEqual(CommandText.split(" ; g;; ").map(String.init), ["g"])
    }

    func testArgumentScannerLengthAndQuotes() {
        var scanner = ArgumentScanner("L8 rest")
        XCTAssertTrue(scanner.atLength)
        scanner = ArgumentScanner("loop!work L8")
        XCTAssertFalse(scanner.atLength)
        scanner = ArgumentScanner("\"a \\\"b\\\" c\" tail")
        XCTAssertEqual(scanner.quoted(), "a \"b\" c")
        XCTAssertEqual(scanner.rest, "tail")
    }
}
