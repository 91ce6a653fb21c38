import Arch
import Engine

/// `e eb ew ed eq ea eza f s c m`: changing, filling, searching, comparing and moving memory.
extension Interpreter {
    static let editCommands: [CommandSpec] = [
        CommandSpec(names: ["e"], summary: "enter values in the last format") { i, inv throws(CommandError) in try i.enterValues(inv, format: i.lastEdit) },
        CommandSpec(names: ["eb", "ew", "ed", "eq"], summary: "enter bytes, words, dwords, qwords: eb addr v1 v2 ...") { i, inv throws(CommandError) in
            try i.enterValues(inv, format: inv.name)
        },
        CommandSpec(names: ["ea", "eza"], summary: "enter an ASCII string (eza: with its terminating NUL)") { i, inv throws(CommandError) in
            var scanner = inv.scanner
            let address = try i.expression(&scanner)
            guard let text = scanner.quoted() else { throw CommandError("       ^ Syntax error in '\(inv.name)\(inv.arguments)'") }
            try i.write(address, Array(text.utf8) + (inv.name == "eza" ? [0] : []))
        },
        CommandSpec(names: ["f"], summary: "fill memory: f addr L count pattern...") { i, inv throws(CommandError) in try i.fillMemory(inv) },
        CommandSpec(names: ["s"], summary: "search memory: s [-b|-w|-d|-q|-a|-u] range pattern") { i, inv throws(CommandError) in try i.searchMemory(inv) },
        CommandSpec(names: ["c"], summary: "compare memory: c range address") { i, inv throws(CommandError) in try i.compareMemory(inv) },
        CommandSpec(names: ["m"], summary: "move memory: m range address") { i, inv throws(CommandError) in try i.moveMemory(inv) },
    ]

    private static let editSizes = ["eb": 1, "ew": 2, "ed": 4, "eq": 8]

    func write(_ address: UInt64, _ bytes: [UInt8]) throws(CommandError) {
        _ = try requireProcess()
        do { try session.writeMemory(address, bytes) } catch {
            if case .readOnly = error { throw CommandError(error.description) }
            throw CommandError("Memory access error at '\(formatAddress(address))'")
        }
    }

    private func enterValues(_ invocation: Invocation, format: String) throws(CommandError) {
        guard let size = Interpreter.editSizes[format] else { throw CommandError("Unknown edit format '\(format)'") }
        lastEdit = format
        var scanner = invocation.scanner
        let address = try expression(&scanner)
        var bytes: [UInt8] = []
        while !scanner.isAtEnd { bytes += [UInt8](littleEndian: try expression(&scanner), size: size) }
        guard !bytes.isEmpty else { throw CommandError("       ^ Values missing in '\(invocation.name)\(invocation.arguments)'") }
        try write(address, bytes)
    }

    private func fillMemory(_ invocation: Invocation) throws(CommandError) {
        var scanner = invocation.scanner
        let (start, count) = try parseRange(&scanner, unit: 1, defaultCount: 1, continuing: nil)
        var pattern: [UInt8] = []
        while !scanner.isAtEnd { pattern.append(UInt8(truncatingIfNeeded: try expression(&scanner))) }
        guard !pattern.isEmpty else { throw CommandError("       ^ Pattern missing in 'f\(invocation.arguments)'") }
        try write(start, (0..<count).map { pattern[$0 % pattern.count] })
    }

    private func searchMemory(_ invocation: Invocation) throws(CommandError) {
        _ = try requireProcess()
        var scanner = invocation.scanner
        var kind = "b"
        if scanner.rest.first == "-", let flag = scanner.word() { kind = String(flag.dropFirst()).lowercased() }
        let unit = ["b": 1, "w": 2, "d": 4, "q": 8, "a": 1, "u": 2][kind] ?? 0
        guard unit > 0 else { throw CommandError("Unknown search type '-\(kind)'") }
        let (start, count) = try parseRange(&scanner, unit: 1, defaultCount: 0, continuing: nil)
        var pattern: [UInt8] = []
        if kind == "a" || kind == "u" {
            guard let text = scanner.quoted() else { throw CommandError("       ^ Syntax error: search string must be quoted") }
            pattern = kind == "a" ? Array(text.utf8) : text.utf16.flatMap { [UInt8](littleEndian: UInt64($0), size: 2) }
        } else {
            while !scanner.isAtEnd { pattern += [UInt8](littleEndian: try expression(&scanner), size: unit) }
        }
        guard !pattern.isEmpty, count > 0 else { throw CommandError("       ^ Syntax error in 's\(invocation.arguments)'") }
        let step = unit == 1 || kind == "a" ? 1 : unit
        // Page by page: unreadable pages are skipped, readable neighbours searched as one run.
        let end = start &+ UInt64(count)
        var run: [UInt8] = []
        var runStart = start
        var cursor = start
        while cursor < end {
            let pageEnd = min((cursor | 0xfff) &+ 1, end)
            let bytes = session.readMemory(cursor, count: Int(pageEnd - cursor))
            if bytes.count == Int(pageEnd - cursor) {
                if run.isEmpty { runStart = cursor }
                run += bytes
            } else {
                reportMatches(of: pattern, in: run, at: runStart, step: step)
                run = []
            }
            if pageEnd <= cursor { break }
            cursor = pageEnd
        }
        reportMatches(of: pattern, in: run, at: runStart, step: step)
    }

    /// `s` output: a `db`-style line at each match.
    private func reportMatches(of pattern: [UInt8], in memory: [UInt8], at start: UInt64, step: Int) {
        var offset = 0
        while offset + pattern.count <= memory.count {
            if memory[offset] == pattern[0] && Array(memory[offset..<offset + pattern.count]) == pattern {
                let address = start &+ UInt64(offset)
                let line = session.readMemory(address, count: 16)
                let hexBytes = line.enumerated().map { n, b in zeroPaddedHex(UInt64(b), digits: 2) + (n == 7 ? "-" : " ") }.joined()
                let text = line.map { $0 >= 0x20 && $0 < 0x7f ? Character(UnicodeScalar($0)) : "." }
                output.line("\(formatAddress(address))  \(String(hexBytes.trimmed()).padding(to: 47))  \(String(text))")
            }
            offset += step
        }
    }

    private func compareMemory(_ invocation: Invocation) throws(CommandError) {
        _ = try requireProcess()
        var scanner = invocation.scanner
        let (start, count) = try parseRange(&scanner, unit: 1, defaultCount: 0, continuing: nil)
        let other = try expression(&scanner)
        let a = session.readMemory(start, count: count), b = session.readMemory(other, count: count)
        for index in 0..<min(a.count, b.count) where a[index] != b[index] {
            output.line("\(formatAddress(start &+ UInt64(index))) \(zeroPaddedHex(UInt64(a[index]), digits: 2)) - \(formatAddress(other &+ UInt64(index))) \(zeroPaddedHex(UInt64(b[index]), digits: 2))")
        }
        if a.count != count || b.count != count { output.line("Memory access error in 'c': only \(min(a.count, b.count)) bytes were readable") }
    }

    private func moveMemory(_ invocation: Invocation) throws(CommandError) {
        _ = try requireProcess()
        var scanner = invocation.scanner
        let (start, count) = try parseRange(&scanner, unit: 1, defaultCount: 0, continuing: nil)
        let destination = try expression(&scanner)
        let bytes = session.readMemory(start, count: count)
        guard bytes.count == count else { throw CommandError("Memory access error at '\(formatAddress(start &+ UInt64(bytes.count)))'") }
        try write(destination, bytes)
    }
}
