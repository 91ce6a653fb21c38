import XCTest
@testable import Commands

/// Parsing command lines into programs with WinDbg's quoting rules.
final class CommandProgramTests: XCTestCase {
    /// The statements as text: commands as they are, control statements by shape.
    private func shape(_ line: String) throws -> [String] {
        try CommandProgram.parse(line, radix: 16, context: nil).statements.map(describe)
    }

    private func describe(_ statement: Statement) -> String {
        switch statement {
        case .command(let text): String(text)
        case .conditional(let branches, let otherwise):
            ".if[" + branches.map { "(" + $0.body.statements.map(describe).joined(separator: "|") + ")" }.joined()
                + (otherwise.map { " else(" + $0.statements.map(describe).joined(separator: "|") + ")" } ?? "") + "]"
        case .jump(_, let then, let otherwise):
            "j[" + then.statements.map(describe).joined(separator: "|") + " ; " + otherwise.statements.map(describe).joined(separator: "|") + "]"
        case .repeatWhile(let body, _): "z[" + body.map(describe).joined(separator: "|") + "]"
        case .loop(let loop):
            (loop.initial == nil ? (loop.testFirst ? ".while[" : ".do[") : ".for[" + loop.initial!.statements.map(describe).joined(separator: "|") + " ; "
                + loop.step!.statements.map(describe).joined(separator: "|") + " ; ") + loop.body.statements.map(describe).joined(separator: "|") + "]"
        case .foreach(let foreach): ".foreach[\(foreach.variable) \(foreach.initialSkip) \(foreach.skip): \(foreach.body)]"
        case .jumpOut(let flow): "\(flow)"
        case .block(let text): ".block[\(text)]"
        case .catchErrors(let body): ".catch[" + body.statements.map(describe).joined(separator: "|") + "]"
        }
    }

    func testLoopStatements() throws {
        XCTAssertEqual(try shape(".for (r $t0 = 0; @$t0 < 3; r $t0 = @$t0 + 1) { .echo a; .break }; k"),
                       [".for[r $t0 = 0 ; r $t0 = @$t0 + 1 ; .echo a|breakLoop]", "k"], "the semicolons in the parentheses are the loop's")
        XCTAssertEqual(try shape(".while (1) { .continue }; .do { g } (0)"), [".while[continueLoop]", ".do[g]"])
        XCTAssertEqual(try shape(".foreach /pS 2 /ps 1 (x { k; r }) { .echo x; .echo x }"), [".foreach[x 2 1:  .echo x; .echo x ]"])
        XCTAssertEqual(try shape(".block { .echo ${a} }; .catch { .leave }"), [".block[ .echo ${a} ]", ".catch[leave]"])
        XCTAssertThrowsError(try shape(".for (1; 2) {}"))
        XCTAssertThrowsError(try shape(".foreach /z (x { k }) {}"))
        XCTAssertThrowsError(try shape(".do { g }"))
    }

    func testSemicolonsSeparateCommands() throws {
        XCTAssertEqual(try shape("bp main; g ;k"), ["bp main", "g", "k"])
    }

    func testQuotesAndBracesProtectSemicolons() throws {
        XCTAssertEqual(try shape("bp f \"r rax; gc\"; g"), ["bp f \"r rax; gc\"", "g"])
        XCTAssertEqual(try shape(".if (1) { .echo a; .echo b } .else { gc }; k"), [".if[(.echo a|.echo b) else(gc)]", "k"])
        XCTAssertEqual(try shape(".if (1) {} .elsif (2) { r } .else {gc}"), [".if[()(r) else(gc)]"])
    }

    func testRestOfLineCommands() throws {
        XCTAssertEqual(try shape("lm; .sympath /a;srv*/c*http://h:1; "), ["lm", ".sympath /a;srv*/c*http://h:1;"])
        XCTAssertEqual(try shape("r; * a comment; k"), ["r"])
        XCTAssertEqual(try shape("as name a; b"), ["as name a; b"])
    }

    func testJumpKeepsBothBranches() throws {
        XCTAssertEqual(try shape("j (1) 'r rax' ; 'gc'; k"), ["j[r rax ; gc]", "k"])
        XCTAssertEqual(try shape("j (1) r ; g"), ["j[r ; g]"])
    }

    func testRepeatTakesTheCommandsBeforeIt() throws {
        XCTAssertEqual(try shape("r; p; z(1); k"), ["z[r|p]", "k"])
    }

    func testEmptyPiecesAreDropped() throws {
        XCTAssertEqual(try shape(" ; g;; "), ["g"])
    }

    func testMalformedPrograms() {
        XCTAssertThrowsError(try shape(".if (1) { r")) { XCTAssertTrue(String(describing: $0).contains("missing '}'")) }
        XCTAssertThrowsError(try shape(".if (1) r")) { XCTAssertTrue(String(describing: $0).contains("missing '{'")) }
        XCTAssertThrowsError(try shape(".if (1+) {}"))
        XCTAssertThrowsError(try shape(".if (1) {} .else {} .else {}"))
    }

    /// Nesting is linear to parse, and bounded.
    func testDeepNesting() throws {
        let nested = { (levels: Int) in String(repeating: ".if (1) { ", count: levels) + "r" + String(repeating: " }", count: levels) }
        XCTAssertEqual(try shape(nested(400)).count, 1)
        XCTAssertThrowsError(try shape(nested(20_000))) { XCTAssertTrue(String(describing: $0).contains("nesting too deep")) }
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

/// Every command in the table has its help, and the help names only real commands.
final class CommandHelpTests: XCTestCase {
    func testEveryCommandHasHelp() {
        let names = Set(Interpreter.allCommands.map { $0.names[0] })
        for name in names { XCTAssertNotNil(Interpreter.commandHelp[name], "no help for \(name)") }
        for name in Interpreter.commandHelp.keys { XCTAssertTrue(names.contains(name), "help for a command the table lacks: \(name)") }
        for (name, help) in Interpreter.commandHelp {
            XCTAssertFalse(help.syntax.isEmpty, name)
            XCTAssertFalse(help.description.isEmpty, name)
            XCTAssertFalse(help.examples.isEmpty, name)
        }
    }
}
