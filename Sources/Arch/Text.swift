/// Small text and byte helpers every layer uses; one copy here, below them all.

/// Zero-padded lower-case hex, the way WinDbg prints register and memory values.
public func zeroPaddedHex(_ value: UInt64, digits: Int) -> String {
    let text = String(value, radix: 16)
    return text.count >= digits ? text : String(repeating: "0", count: digits - text.count) + text
}

/// Bytes as lower-case hex, two digits each (build ids, protocol payloads: a register file or
/// a memory read of a gdb-remote exchange, so made without a string per byte).
public func hexDigits(_ bytes: some Sequence<UInt8>) -> String {
    String(decoding: hexBytes(bytes), as: UTF8.self)
}

/// `hexDigits` as the ASCII bytes of a packet.
public func hexBytes(_ bytes: some Sequence<UInt8>) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.underestimatedCount * 2)
    for byte in bytes {
        out.append(hexAlphabet[Int(byte >> 4)])
        out.append(hexAlphabet[Int(byte & 0xf)])
    }
    return out
}

private let hexAlphabet = Array("0123456789abcdef".utf8)

extension String {
    /// Left-justified in a field of `width` characters (never truncated).
    public func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    /// Right-justified in a field of `width` characters (never truncated).
    public func leftPadded(to width: Int, with pad: Character = " ") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

extension StringProtocol {
    /// Without leading and trailing blanks, tabs and line ends.
    public func trimmed() -> Substring {
        func blank(_ c: Character) -> Bool { c == " " || c == "\t" || c == "\r" || c == "\n" }
        var text = self[...]
        while let first = text.first, blank(first) { text = text.dropFirst() }
        while let last = text.last, blank(last) { text = text.dropLast() }
        return Substring(text)
    }

    /// The first occurrence of `needle`, by characters.
    public func firstRange(of needle: String) -> Range<Index>? {
        guard !needle.isEmpty else { return nil }
        var start = startIndex
        while start < endIndex {
            if self[start...].hasPrefix(needle) { return start..<index(start, offsetBy: needle.count) }
            start = index(after: start)
        }
        return nil
    }
}

extension Array where Element == UInt8 {
    /// The little-endian unsigned value of `size` bytes at `offset` (x86 byte order).
    public func littleEndian(at offset: Int, size: Int = 8) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<size { value |= UInt64(self[offset + index]) << (8 * UInt64(index)) }
        return value
    }

    /// `size` bytes of `value`, least significant first.
    public init(littleEndian value: UInt64, size: Int) {
        self = (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }
}
