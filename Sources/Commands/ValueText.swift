import Arch
import Symbols

/// How typed values read through DWARF are printed, one set of rules for `kp`, `dv`, `dt`
/// and `??`: `0n-5` for signed integers, hex for unsigned ones and pointers, `0n120 'x'` for
/// characters, `BLUE (0n6)` for enums, `1.5` for floating point.
extension Interpreter {
    /// A scalar of `type` held in the low `type.size` bytes of `raw`.
    func scalarText(_ type: TypeLayout, raw: UInt64) -> String {
        let size = max(1, min(type.size, 8))
        let shift = UInt64(64 - 8 * size)
        let signed = Int64(bitPattern: raw << shift) >> Int64(shift)
        switch type.kind {
        case .signed:
            return "0n\(signed)"
        case .character:
            let printable = raw & 0xff >= 0x20 && raw & 0xff < 0x7f ? " '\(Character(UnicodeScalar(UInt8(raw & 0xff))))'" : ""
            return "0n\(signed)\(printable)"
        case .boolean:
            return raw == 0 ? "false" : "true"
        case .float:
            return size == 4 ? floatText(Float(bitPattern: UInt32(truncatingIfNeeded: raw)).description) : floatText(Double(bitPattern: raw).description)
        case .enumeration:
            return type.enumeratorName(signed).map { "\($0) (0n\(signed))" } ?? "0n\(signed)"
        case .pointer:
            return "0x" + zeroPaddedHex(raw, digits: 16)
        case .unsigned, .array, .record, .function, .void, .other:
            return "0x" + String(raw, radix: 16)
        }
    }

    /// A scalar's text from its bytes (exactly `type.size` of them), or `????` when they are
    /// missing or the type is not one this debugger decodes (records and arrays have members).
    func valueText(_ type: TypeLayout, bytes: [UInt8]) -> String {
        guard type.size > 0, bytes.count == type.size else { return "????" }
        if type.kind == .float, type.size == 16 {
            // x87 long double: 80 bits in 16 bytes, shown through the nearest Double.
            return extendedToDouble(bytes).map { floatText($0.description) } ?? "????"
        }
        guard type.size <= 8, type.kind != .record, type.kind != .array else { return "????" }
        return scalarText(type, raw: bytes.littleEndian(at: 0, size: type.size))
    }

    /// A variable's value for `kp` and `dv`; records and arrays by their braces, as their
    /// members are for `dt`.
    func formatValue(_ value: VariableValue) -> String {
        guard let bytes = value.bytes, !bytes.isEmpty else { return "<value unavailable>" }
        return value.type.kind == .record || value.type.kind == .array ? "{...}" : valueText(value.type, bytes: bytes)
    }
}

/// The shortest decimal that reads back as the same number (`3.141592653589793`,
/// `0.33333334` for a float), without a bare `.0` (`2`, as WinDbg prints whole values).
func floatText(_ description: String) -> String {
    description.hasSuffix(".0") ? String(description.dropLast(2)) : description
}
