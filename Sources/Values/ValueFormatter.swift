import Arch
import Symbols

/// How typed values read through DWARF are printed, one set of rules for `kp`, `dv`, `dt`,
/// `??` and `dx`: `0n-5` for signed integers, hex for unsigned ones and pointers, `0n120 'x'`
/// for characters, `BLUE (0n6)` for enums, `1.5` for floating point, text for characters.
/// It sits below the commands so that another front end (a DAP server) can share it.
public struct ValueFormatter {
    /// Reads target memory as the program sees it; fewer bytes where it is unreadable.
    let read: (UInt64, Int) -> [UInt8]
    /// How numbers are spelled.
    public let style: Style

    /// WinDbg's numbers (`0n-5`, hex for unsigned), or the source language's (`-5`, `42`, hex
    /// only for pointers) as editors show them through DAP.
    public enum Style: Sendable { case windbg, source }

    public init(read: @escaping (UInt64, Int) -> [UInt8], style: Style = .windbg) {
        self.read = read
        self.style = style
    }

    /// A decimal number: `0n…` in WinDbg's style.
    private func decimal(_ value: Int64) -> String { style == .windbg ? "0n\(value)" : String(value) }

    /// A scalar of `type` held in the low `type.size` bytes of `raw`.
    public func scalarText(_ type: TypeLayout, raw: UInt64) -> String {
        let size = max(1, min(type.size, 8))
        let shift = UInt64(64 - 8 * size)
        let signed = Int64(bitPattern: raw << shift) >> Int64(shift)
        switch type.kind {
        case .signed:
            return decimal(signed)
        case .character:
            let printable = raw & 0xff >= 0x20 && raw & 0xff < 0x7f ? " '\(Character(UnicodeScalar(UInt8(raw & 0xff))))'" : ""
            return "\(decimal(signed))\(printable)"
        case .boolean:
            return raw == 0 ? "false" : "true"
        case .float:
            return size == 4 ? floatText(Float(bitPattern: UInt32(truncatingIfNeeded: raw)).description) : floatText(Double(bitPattern: raw).description)
        case .enumeration:
            return type.enumeratorName(signed).map { "\($0) (\(decimal(signed)))" } ?? decimal(signed)
        case .pointer:
            return "0x" + zeroPaddedHex(raw, digits: 16)
        case .unsigned where style == .source:
            return String(raw & (size == 8 ? UInt64.max : (1 << UInt64(8 * size)) - 1))
        case .unsigned, .complex, .array, .record, .function, .void, .other:
            return "0x" + String(raw, radix: 16)
        }
    }

    /// A scalar's text from its bytes (exactly `type.size` of them), or `????` when they are
    /// missing or the type is not one this debugger decodes (records and arrays have members).
    public func valueText(_ type: TypeLayout, bytes: [UInt8]) -> String {
        guard type.size > 0, bytes.count == type.size else { return "????" }
        if type.kind == .float, type.size == 16 {
            // x87 long double: 80 bits in 16 bytes, shown through the nearest Double.
            return extendedToDouble(bytes).map { floatText($0.description) } ?? "????"
        }
        if type.kind == .complex {
            // Real part, then imaginary part, each float, double or x87 long double, as gdb
            // prints them (`1 + 2i`, `3 + -4i`).
            let half = type.size / 2
            let part = TypeLayout.builtin(half == 4 ? "float" : half == 8 ? "double" : "long double")!
            return "\(valueText(part, bytes: Array(bytes[..<half]))) + \(valueText(part, bytes: Array(bytes[half...])))i"
        }
        guard type.size <= 8, type.kind != .record, type.kind != .array else { return "????" }
        return scalarText(type, raw: bytes.littleEndian(at: 0, size: type.size))
    }

    /// A variable's value for `kp` and `dv`: character pointers and arrays with their text,
    /// other records and arrays by their braces (their members are for `dt`).
    public func variableText(_ value: VariableValue) -> String {
        guard let bytes = value.bytes, !bytes.isEmpty else { return "<value unavailable>" }
        return valueWithText(value.type, bytes: bytes) ?? (value.type.kind == .record || value.type.kind == .array ? "{...}" : valueText(value.type, bytes: bytes))
    }

    /// A pointer to characters as its address and text (`0x… "apple"`), an array of characters
    /// as its text; nil for any other type.
    public func valueWithText(_ type: TypeLayout, bytes: [UInt8]) -> String? {
        if type.kind == .pointer, let element = type.elementType, let unit = element.text, bytes.count == 8 {
            let address = bytes.littleEndian(at: 0)
            return scalarText(type, raw: address) + (address == 0 ? "" : " " + pointedText(address, unit: unit, name: element.cName))
        }
        if type.kind == .array, let element = type.elementType, let unit = element.text, element.size == unit.size {
            return quotedText(bytes, unit: unit, name: element.cName).text
        }
        return nil
    }

    /// The characters at `address`, up to a NUL; `...` after them where `limit` characters
    /// or unreadable memory came first.
    public func pointedText(_ address: UInt64, unit: TypeLayout.TextUnit, name: String, limit: Int = ValueFormatter.longestShownText) -> String {
        var units: [UInt8] = []
        var scanned = 0
        var terminated = false
        reading: while units.count < (limit + 1) * unit.size {
            let bytes = read(address &+ UInt64(units.count), 256)
            if bytes.isEmpty { break }
            units += bytes
            while scanned + unit.size <= units.count {
                if units[scanned..<scanned + unit.size].allSatisfy({ $0 == 0 }) { terminated = true; break reading }
                scanned += unit.size
            }
            if bytes.count < 256 { break }
        }
        guard !units.isEmpty else { return "<memory unreadable>" }
        let (text, cut) = quotedText(units, unit: unit, name: name, limit: limit)
        return cut || !terminated ? text + "..." : text
    }

    /// Characters as a C literal (`"apple"`, `L"wide"`, `u"…"`, `U"…"`; `char8_t` unprefixed, as gdb) up to the
    /// first NUL or the end of the bytes; `cut` when `limit` characters came first.
    public func quotedText(_ bytes: [UInt8], unit: TypeLayout.TextUnit, name: String, limit: Int = ValueFormatter.longestShownText) -> (text: String, cut: Bool) {
        var codes: [UInt32] = []
        var index = 0
        var cut = false
        while index + unit.size <= bytes.count {
            let code = UInt32(truncatingIfNeeded: bytes.littleEndian(at: index, size: unit.size))
            if code == 0 { break }
            if codes.count == limit { cut = true; break }
            codes.append(code)
            index += unit.size
        }
        let prefix = name.contains("wchar_t") ? "L" : unit == .utf16 ? "u" : unit == .utf32 ? "U" : ""
        let text: String
        switch unit {
        case .utf8: text = String(decoding: codes.map { UInt8($0) }, as: UTF8.self)
        case .utf16: text = String(decoding: codes.map { UInt16($0) }, as: UTF16.self)
        case .utf32: text = String(String.UnicodeScalarView(codes.compactMap(Unicode.Scalar.init)))
        }
        return (prefix + "\"" + escaped(text) + "\"", cut)
    }

    /// C escapes for quotes, backslashes and control characters.
    private func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f { result += "\\x" + zeroPaddedHex(UInt64(scalar.value), digits: 2) } else { result.unicodeScalars.append(scalar) }
            }
        }
        return result
    }

    /// Most characters shown of a string (gdb's `print elements` is 200).
    public static let longestShownText = 256
}

/// The shortest decimal that reads back as the same number (`3.141592653589793`,
/// `0.33333334` for a float), without a bare `.0` (`2`, as WinDbg prints whole values).
public func floatText(_ description: String) -> String {
    description.hasSuffix(".0") ? String(description.dropLast(2)) : description
}
