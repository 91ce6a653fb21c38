import Arch
import Engine
import Glibc

/// `.printf "format", args…`: C's printf over MASM values, with WinDbg's conversions for the
/// target (`%p` an address as WinDbg prints one, `%N` a pointer's 16 digits, `%y`/`%ly` the
/// symbol (and line) of an address, `%ma`/`%mu` an ASCII/UTF-16 string in target memory).
extension Interpreter {
    static let printfCommands: [CommandSpec] = [
        CommandSpec(names: [".printf"], summary: "formatted output: .printf \"format\", args") { i, inv throws(CommandError) in try i.printf(inv) },
    ]

    private func printf(_ invocation: Invocation) throws(CommandError) {
        var scanner = invocation.scanner
        while scanner.rest.hasPrefix("/") { _ = scanner.word() }  // /D and WinDbg's colour options: plain text here
        guard scanner.rest.first == "\"", let format = scanner.quoted(keepingEscapes: true) else { throw CommandError("Usage: .printf \"format\" [, argument ...]") }
        var arguments: [UInt64] = []
        while scanner.accept(",") { arguments.append(try expression(&scanner)) }
        guard scanner.isAtEnd else { throw CommandError("       ^ Syntax error in '.printf\(invocation.arguments)'") }
        output.write(try formatted(Interpreter.unescaped(format), arguments))
    }

    /// `\n`, `\t`, `\\` and `\"` as C reads them.
    static func unescaped(_ text: String) -> String {
        var result = ""
        var escaping = false
        for character in text {
            if escaping {
                switch character {
                case "n": result.append("\n")
                case "t": result.append("\t")
                default: result.append(character)
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// The format with each conversion replaced by its argument.
    func formatted(_ format: String, _ arguments: [UInt64]) throws(CommandError) -> String {
        var result = ""
        var remaining = arguments[...]
        var characters = format[...]
        while let percent = characters.firstIndex(of: "%") {
            result += characters[..<percent]
            characters = characters[characters.index(after: percent)...]
            if characters.first == "%" { result += "%"; characters = characters.dropFirst(); continue }
            let flags = characters.prefix { "-+ 0#".contains($0) }
            characters = characters.dropFirst(flags.count)
            let width = characters.prefix { $0.isNumber || $0 == "." }
            characters = characters.dropFirst(width.count)
            var wide = false, long = false
            if characters.hasPrefix("I64") || characters.hasPrefix("ll") {
                wide = true
                characters = characters.dropFirst(characters.hasPrefix("I64") ? 3 : 2)
            } else if characters.first == "l", characters.dropFirst().first != "y" {
                long = true
                characters = characters.dropFirst()
            } else if characters.first == "h" {
                characters = characters.dropFirst()
            }
            let conversion = ["ly", "ma", "mu", "msa", "msu"].first { characters.hasPrefix($0) } ?? characters.first.map(String.init) ?? ""
            guard !conversion.isEmpty else { throw CommandError(".printf: the format ends inside a conversion") }
            characters = characters.dropFirst(conversion.count)
            guard let value = remaining.popFirst() else { throw CommandError(".printf: too few arguments for \"\(format)\"") }
            let spec = "%" + flags + width
            switch conversion {
            case "d", "i": result += cFormat(spec + "lld", wide ? Int64(bitPattern: value) : Int64(Int32(truncatingIfNeeded: value)))
            case "u", "x", "X", "o": result += cFormat(spec + "ll" + conversion, wide ? value : value & 0xffff_ffff)
            case "c": result += cFormat(spec + "c", Int32(truncatingIfNeeded: value & 0xff))
            case "f", "e", "E", "g", "G":
                let real = long || wide ? Double(bitPattern: value) : Double(Float(bitPattern: UInt32(truncatingIfNeeded: value)))
                result += cFormat(spec + conversion, real)
            case "p": result += formatAddress(value)
            case "N": result += zeroPaddedHex(value, digits: 16)
            case "y", "ly":
                let name = session.symbolize(value) ?? formatAddress(value)
                result += conversion == "ly" ? name + sourceText(value) : name
            case "s", "ma": result += padded(session.readString(value), spec)
            case "mu": result += padded(wideString(at: value), spec)
            default: throw CommandError(".printf: unsupported conversion '%\(conversion)'")
            }
        }
        return result + characters
    }

    /// One C conversion of one value, through the C library (flags, width and precision as C has them).
    private func cFormat(_ spec: String, _ value: any CVarArg) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        let count = withVaList([value]) { vsnprintf(&buffer, buffer.count, spec, $0) }
        return String(decoding: buffer.prefix(max(0, min(Int(count), buffer.count - 1))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A string padded as `%-10s`/`%10s` would (precision cuts it).
    private func padded(_ text: String, _ spec: String) -> String {
        let body = spec.dropFirst()
        let left = body.contains("-")
        let parts = body.filter { $0.isNumber || $0 == "." }.split(separator: ".", omittingEmptySubsequences: false)
        var text = text
        if parts.count > 1, let precision = Int(parts[1]) { text = String(text.prefix(precision)) }
        guard let width = parts.first.flatMap({ Int($0) }), width > text.count else { return text }
        let padding = String(repeating: " ", count: width - text.count)
        return left ? text + padding : padding + text
    }

    /// A NUL-terminated UTF-16 string in target memory (at most 2 KiB).
    func wideString(at address: UInt64) -> String {
        let bytes = session.readMemory(address, count: 2048)
        let units = stride(from: 0, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        return String(decoding: units.prefix { $0 != 0 }, as: UTF16.self)
    }
}
