/// Number formats below every layer: bitfield masks and x87 extended precision.

/// The low `bits` bits set (a bitfield's mask).
public func bitMask(_ bits: Int) -> UInt64 { bits >= 64 ? ~0 : (1 << UInt64(bits)) - 1 }

/// An x87 extended-precision number (64-bit significand with explicit integer bit, 15-bit
/// exponent, sign) as the nearest Double; nil for fewer than 10 bytes.
public func extendedToDouble(_ bytes: [UInt8]) -> Double? {
    guard bytes.count >= 10 else { return nil }
    let significand = bytes.littleEndian(at: 0, size: 8)
    let signAndExponent = bytes.littleEndian(at: 8, size: 2)
    let sign: FloatingPointSign = signAndExponent & 0x8000 != 0 ? .minus : .plus
    let exponent = Int(signAndExponent & 0x7fff)
    if exponent == 0x7fff { return significand << 1 == 0 ? (sign == .minus ? -.infinity : .infinity) : .nan }
    if exponent == 0 && significand == 0 { return sign == .minus ? -0.0 : 0.0 }
    return Double(sign: sign, exponent: exponent - 16383 - 63, significand: Double(significand))
}

/// A Double as the 16 bytes of an x87 extended-precision `long double`.
public func doubleToExtended(_ value: Double) -> [UInt8] {
    let sign: UInt64 = value.sign == .minus ? 0x8000 : 0
    let (exponent, significand): (UInt64, UInt64)
    if value.isNaN {
        (exponent, significand) = (0x7fff, 0xc000_0000_0000_0000)
    } else if value.isInfinite {
        (exponent, significand) = (0x7fff, 0x8000_0000_0000_0000)
    } else if value == 0 {
        (exponent, significand) = (0, 0)
    } else {
        (exponent, significand) = (UInt64(Int(value.exponent) + 16383), UInt64(value.significand * 9_223_372_036_854_775_808.0))
    }
    return [UInt8](littleEndian: significand, size: 8) + [UInt8](littleEndian: sign | exponent, size: 2) + [UInt8](repeating: 0, count: 6)
}
