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
            return size == 4 ? formatShortFloat(Float(bitPattern: UInt32(truncatingIfNeeded: raw))) : cFormat("%g", Double(bitPattern: raw))
        case .enumeration:
            return type.enumeratorName(signed).map { "\($0) (0n\(signed))" } ?? "0n\(signed)"
        case .pointer:
            return "0x" + zeroPaddedHex(raw, digits: 16)
        case .unsigned, .array, .record, .function, .void, .other:
            return "0x" + String(raw, radix: 16)
        }
    }

    /// A variable's value for `kp` and `dv`; records and arrays by their braces, as their
    /// members are for `dt`.
    func formatValue(_ value: VariableValue) -> String {
        guard let bytes = value.bytes, !bytes.isEmpty else { return "<value unavailable>" }
        switch value.type.kind {
        case .record, .array: return "{...}"
        default: return bytes.count <= 8 ? scalarText(value.type, raw: bytes.littleEndian(at: 0, size: bytes.count)) : "{...}"
        }
    }
}
