import Arch
import Engine
import Glibc

/// `d da db dc dd dD df dp dq du dw dW dds dps dqs`: memory in WinDbg's layouts, `????` where
/// the memory cannot be read.
extension Interpreter {
    static let memoryCommands: [CommandSpec] = [
        CommandSpec(names: ["d"], summary: "display memory in the last format") { i, inv throws(CommandError) in
            switch i.lastDisplay?.name ?? "db" {
            case "da": try i.displayString(inv, wide: false)
            case "du": try i.displayString(inv, wide: true)
            case let format: try i.display(inv, format: format)
            }
        },
        CommandSpec(names: ["da"], summary: "display ASCII string") { i, inv throws(CommandError) in try i.displayString(inv, wide: false) },
        CommandSpec(names: ["du"], summary: "display Unicode (UTF-16) string") { i, inv throws(CommandError) in try i.displayString(inv, wide: true) },
        CommandSpec(names: ["db", "dc", "dd", "dD", "df", "dp", "dq", "dw", "dW", "dds", "dps", "dqs"],
                    summary: "display memory: bytes, dwords+chars, dwords, doubles, floats, pointers, qwords, words, words+chars, symbols") { i, inv throws(CommandError) in
            try i.display(inv, format: inv.name)
        },
    ]

    /// Element size, default count, elements per line.
    private static let layouts: [String: (size: Int, count: Int, perLine: Int)] = [
        "db": (1, 128, 16), "dc": (4, 32, 4), "dd": (4, 32, 4), "dD": (8, 15, 3), "df": (4, 16, 4),
        "dp": (8, 16, 2), "dq": (8, 16, 2), "dw": (2, 64, 8), "dW": (2, 64, 8),
        "dds": (4, 32, 1), "dps": (8, 16, 1), "dqs": (8, 16, 1),
    ]

    /// `addr`, `addr L count`, `addr end`; with no address, continues after the last display.
    func parseRange(_ scanner: inout ArgumentScanner, unit: Int, defaultCount: Int, continuing: UInt64?) throws(CommandError) -> (UInt64, Int) {
        let start: UInt64
        if scanner.isAtEnd || scanner.atLength {
            guard let continuing else {
                start = try currentRegisters().rip
                return (start, try parseCount(&scanner, unit: unit, start: start, defaultCount: defaultCount))
            }
            start = continuing
        } else {
            start = try expression(&scanner)
        }
        return (start, try parseCount(&scanner, unit: unit, start: start, defaultCount: defaultCount))
    }

    /// `L count`, `L? count` (no size check) or an end address. Ranges above 0x100000
    /// elements need `L?`, as in WinDbg; even then at most 0x1000000 are taken.
    private func parseCount(_ scanner: inout ArgumentScanner, unit: Int, start: UInt64, defaultCount: Int) throws(CommandError) -> Int {
        guard !scanner.isAtEnd else { return defaultCount }
        let rangeError = CommandError("       ^ Range error in '\(commandText)'")
        if scanner.atLength {
            scanner.rest = scanner.rest.dropFirst()
            let unchecked = scanner.accept("?")
            let count = try expression(&scanner)
            if count > (unchecked ? Interpreter.largestRange : Interpreter.largestCheckedRange) { throw rangeError }
            return Int(count)
        }
        let end = try expression(&scanner)
        guard end >= start, (end - start) / UInt64(unit) < Interpreter.largestCheckedRange else { throw rangeError }
        return Int((end - start) / UInt64(unit) + 1)
    }

    static let largestCheckedRange: UInt64 = 0x100000
    static let largestRange: UInt64 = 0x1000000

    fileprivate func display(_ invocation: Invocation, format: String) throws(CommandError) {
        _ = try requireProcess()
        guard let layout = Interpreter.layouts[format] else { throw CommandError("Unknown display format '\(format)'") }
        var scanner = invocation.scanner
        // `dd /c 8 addr`: eight columns per line.
        var perLine = layout.perLine
        if scanner.accept("/c") {
            let columns = try expression(&scanner)
            guard (1...256).contains(columns) else { throw CommandError("       ^ Range error in '\(commandText)': /c takes 1 to 256 columns") }
            // The symbol displays show one value a line, its symbol after it.
            guard layout.perLine > 1 else { throw CommandError("\(format) shows one value a line: /c does not apply") }
            perLine = Int(columns)
        }
        let continuing = lastDisplay?.next
        let (start, count) = try parseRange(&scanner, unit: layout.size, defaultCount: layout.count, continuing: continuing)
        var index = 0
        // Line by line: a long range never sits in memory whole, and a hole in the middle
        // does not hide what follows it.
        while index < count {
            let lineStart = start &+ UInt64(index * layout.size)
            let elements = min(perLine, count - index)
            let bytes = session.readMemory(lineStart, count: elements * layout.size)
            output.line(formatLine(format, layout.size, lineStart, elements, perLine, bytes))
            index += elements
        }
        lastDisplay = (format, start &+ UInt64(count * layout.size))
    }

    /// One display line of `elements` of at most `columns`; elements past the readable
    /// prefix show as question marks.
    private func formatLine(_ format: String, _ size: Int, _ address: UInt64, _ elements: Int, _ columns: Int, _ bytes: [UInt8]) -> String {
        func element(_ n: Int) -> UInt64? {
            let at = n * size
            return at + size <= bytes.count ? bytes.littleEndian(at: at, size: size) : nil
        }
        var text = formatAddress(address) + "  "
        switch format {
        case "db":
            var cells: [String] = []
            for n in 0..<elements {
                cells.append(element(n).map { zeroPaddedHex($0, digits: 2) } ?? "??")
            }
            for n in 0..<cells.count {
                text += cells[n]
                if n < cells.count - 1 { text += n == 7 ? "-" : " " }
            }
            text = text.padding(to: formatAddress(0).count + 2 + columns * 3 - 1) + "  " + characters(bytes, elements, size: 1)
        case "dds", "dps", "dqs":
            if let value = element(0) {
                text += size == 8 ? formatAddress(value) : zeroPaddedHex(value, digits: 8)
                if let name = session.symbolize(value) { text += " " + name }
            } else {
                text += size == 8 ? "????????`????????" : "????????"
            }
        case "dD", "df":
            let cells = (0..<elements).map { n -> String in
                guard let value = element(n) else { return "????????" }
                if size == 8 { return formatDouble(Double(bitPattern: value)) }
                return formatFloat(Float(bitPattern: UInt32(value)))
            }
            text += cells.joined(separator: " ")
        default:
            let cells = (0..<elements).map { n -> String in
                guard let value = element(n) else { return size == 8 ? "????????`????????" : String(repeating: "?", count: size * 2) }
                return size == 8 ? formatAddress(value) : zeroPaddedHex(value, digits: size * 2)
            }
            text += cells.joined(separator: " ")
            if format == "dc" || format == "dW" {
                let width = (size * 2 + 1) * columns - 1
                text = text.padding(to: formatAddress(0).count + 2 + width) + "  " + characters(bytes, elements, size: size)
            }
        }
        return text
    }

    /// The printable-character column of `db`/`dc`/`dW`.
    private func characters(_ bytes: [UInt8], _ elements: Int, size: Int) -> String {
        var text = ""
        for at in 0..<(elements * size) {
            guard at < bytes.count else { text += "?"; continue }
            let b = bytes[at]
            text.append(b >= 0x20 && b < 0x7f ? Character(UnicodeScalar(b)) : ".")
        }
        return text
    }

    fileprivate func displayString(_ invocation: Invocation, wide: Bool) throws(CommandError) {
        _ = try requireProcess()
        var scanner = invocation.scanner
        let (start, limit) = try parseRange(&scanner, unit: wide ? 2 : 1, defaultCount: 0x100, continuing: lastDisplay?.next)
        let unit = wide ? 2 : 1
        let bytes = session.readMemory(start, count: limit * unit)
        if bytes.isEmpty {
            output.line("\(formatAddress(start))  \(wide ? "????" : "????????")")
            return
        }
        var scalars: [Character] = []
        var index = 0
        while index + unit <= bytes.count {
            let code = wide ? UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 : UInt32(bytes[index])
            if code == 0 { break }
            let scalar = UnicodeScalar(code).map(Character.init) ?? "."
            scalars.append(wide || (code >= 0x20 && code < 0x7f) ? scalar : ".")
            index += unit
        }
        var offset = 0
        repeat {
            let chunk = scalars[offset..<min(offset + 48, scalars.count)]
            output.line("\(formatAddress(start &+ UInt64(offset * unit)))  \"\(String(chunk))\"")
            offset += 48
        } while offset < scalars.count
        lastDisplay = (wide ? "du" : "da", start &+ UInt64(index + unit))
    }
}

/// WinDbg prints doubles as `1.0000000000000000e+000`.
func formatDouble(_ value: Double) -> String { scientific(value, digits: 16) }

func formatFloat(_ value: Float) -> String { scientific(Double(value), digits: 6) }

/// printf's `%.Ne`, with WinDbg's three-digit exponent.
private func scientific(_ value: Double, digits: Int) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
    let text = cFormat("%.\(digits)e", value)
    guard let e = text.lastIndex(of: "e") else { return text }
    let sign = text[text.index(after: e)]
    let exponent = text[text.index(e, offsetBy: 2)...]
    return String(text[..<e]) + "e" + String(sign) + String(exponent).leftPadded(to: 3, with: "0")
}

/// snprintf for one double.
func cFormat(_ format: String, _ value: Double) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([value]) { arguments in vsnprintf(&buffer, 64, format, arguments) }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
