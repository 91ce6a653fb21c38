import Arch
import Engine
import Glibc

/// `? .formats n`: evaluating expressions and the default radix.
extension Interpreter {
    static let expressionCommands: [CommandSpec] = [
        CommandSpec(names: ["?"], summary: "evaluate a MASM expression") { i, inv throws(CommandError) in
            let value = try i.evaluate(inv.arguments.trimmed())
            i.output.line("Evaluate expression: \(Int64(bitPattern: value)) = \(formatAddress(value))")
        },
        CommandSpec(names: [".formats"], summary: "show a value in every format") { i, inv throws(CommandError) in
            try i.showFormats(try i.evaluate(inv.arguments.trimmed()))
        },
        CommandSpec(names: ["n"], summary: "set or show the default radix (8, 10, 16)") { i, inv throws(CommandError) in
            let text = inv.arguments.trimmed()
            if !text.isEmpty {
                guard let radix = Int(text), [8, 10, 16].contains(radix) else { throw CommandError("Invalid radix '\(text)': use 8, 10 or 16") }
                i.radix = radix
            }
            i.output.line("base is \(i.radix)")
        },
    ]

    private func showFormats(_ value: UInt64) throws(CommandError) {
        output.line("Evaluate expression:")
        output.line("  Hex:     \(formatAddress(value))")
        output.line("  Decimal: \(Int64(bitPattern: value))")
        output.line("  Octal:   \(String(value, radix: 8).leftPadded(to: 22, with: "0"))")
        let binary = zeroPaddedBinary(value)
        output.line("  Binary:  \(stride(from: 0, to: 64, by: 8).map { String(binary.dropFirst($0).prefix(8)) }.joined(separator: " "))")
        let chars = (0..<8).reversed().map { shift -> Character in
            let byte = UInt8(truncatingIfNeeded: value >> (8 * UInt64(shift)))
            return byte >= 0x20 && byte < 0x7f ? Character(UnicodeScalar(byte)) : "."
        }
        output.line("  Chars:   \(String(chars))")
        output.line("  Time:    \(timeText(value))")
        let low = Float(bitPattern: UInt32(truncatingIfNeeded: value)), high = Float(bitPattern: UInt32(truncatingIfNeeded: value >> 32))
        output.line("  Float:   low \(formatShortFloat(low)) high \(formatShortFloat(high))")
        output.line("  Double:  \(cFormat("%g", Double(bitPattern: value)))")
    }

    private func zeroPaddedBinary(_ value: UInt64) -> String {
        let text = String(value, radix: 2)
        return String(repeating: "0", count: 64 - text.count) + text
    }

    private func timeText(_ value: UInt64) -> String {
        guard value < 1 << 40 else { return "***** Invalid" }
        var seconds = time_t(value)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "***** Invalid" }
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, 64, "%a %b %e %H:%M:%S %Y", &parts)
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
