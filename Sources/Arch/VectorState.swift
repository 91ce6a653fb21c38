/// A thread's x87/SSE/AVX registers in the XSAVE layout every backend hands over (ptrace's
/// NT_X86_XSTATE, a core's note): the FXSAVE part first (MXCSR at byte 24, xmm0–15 at 160),
/// the XSAVE header at 512 (XSTATE_BV says which parts are in use), the upper halves of
/// ymm0–15 at 576. Only this type knows the offsets.
public struct VectorState: Sendable, Equatable {
    public private(set) var bytes: [UInt8]

    /// An area as a backend reads it (at least the 512-byte FXSAVE part for the xmm registers).
    public init(bytes: [UInt8]) { self.bytes = bytes }

    private static let xmmOffset = 160, headerOffset = 512, ymmHighOffset = 576

    /// The area has the 16 xmm registers (an FXSAVE area at least).
    public var hasSSE: Bool { bytes.count >= Self.headerOffset }
    /// The area has room for the ymm upper halves.
    public var hasAVXArea: Bool { bytes.count >= Self.ymmHighOffset + 256 }
    /// The upper halves hold values (XSTATE_BV's AVX bit); otherwise they read as zero.
    public var avxInUse: Bool { hasAVXArea && bytes.littleEndian(at: Self.headerOffset) & 0b100 != 0 }

    /// The SSE control and status register; nil where the area is too short to hold it.
    public var mxcsr: UInt32? {
        get { bytes.count >= 28 ? UInt32(truncatingIfNeeded: bytes.littleEndian(at: 24, size: 4)) : nil }
        set { if let newValue, bytes.count >= 28 { bytes.replaceSubrange(24..<28, with: [UInt8](littleEndian: UInt64(newValue), size: 4)) } }
    }

    /// The low 64 bits of xmm`index` (a double, or an integer passed in it).
    public func xmmLow(_ index: Int) -> UInt64? {
        let offset = Self.xmmOffset + 16 * index
        return (0..<16).contains(index) && bytes.count >= offset + 8 ? bytes.littleEndian(at: offset) : nil
    }

    /// Sets the low 64 bits of xmm`index` (an argument of `.call`), marking the SSE state in use.
    public mutating func setXMMLow(_ index: Int, _ value: UInt64) {
        let offset = Self.xmmOffset + 16 * index
        guard (0..<16).contains(index), bytes.count >= offset + 8 else { return }
        bytes.replaceSubrange(offset..<offset + 8, with: [UInt8](littleEndian: value, size: 8))
        markInUse(0b10)
    }

    /// The four 32-bit lanes of xmm`index`, lowest first; with `wide`, the ymm register's
    /// eight (the upper four zero when the AVX state is not in use).
    public func lanes(_ index: Int, wide: Bool) -> [UInt32]? {
        guard (0..<16).contains(index), hasSSE, !wide || hasAVXArea else { return nil }
        var lanes = (0..<4).map { UInt32(truncatingIfNeeded: bytes.littleEndian(at: Self.xmmOffset + 16 * index + 4 * $0, size: 4)) }
        if wide {
            lanes += (0..<4).map { avxInUse ? UInt32(truncatingIfNeeded: bytes.littleEndian(at: Self.ymmHighOffset + 16 * index + 4 * $0, size: 4)) : 0 }
        }
        return lanes
    }

    /// Sets the lanes `lanes` returns (four, or eight for a ymm register); false where the
    /// area has no such register.
    @discardableResult
    public mutating func setLanes(_ index: Int, _ values: [UInt32]) -> Bool {
        let wide = values.count == 8
        guard (0..<16).contains(index), hasSSE, values.count == 4 || wide, !wide || hasAVXArea else { return false }
        for lane in 0..<4 {
            let offset = Self.xmmOffset + 16 * index + 4 * lane
            bytes.replaceSubrange(offset..<offset + 4, with: [UInt8](littleEndian: UInt64(values[lane]), size: 4))
            if wide {
                let high = Self.ymmHighOffset + 16 * index + 4 * lane
                bytes.replaceSubrange(high..<high + 4, with: [UInt8](littleEndian: UInt64(values[4 + lane]), size: 4))
            }
        }
        markInUse(wide ? 0b110 : 0b10)
        return true
    }

    /// XSTATE_BV: the parts written are in use, so the kernel loads them.
    private mutating func markInUse(_ features: UInt64) {
        guard bytes.count >= Self.headerOffset + 8 else { return }
        let value = bytes.littleEndian(at: Self.headerOffset) | features
        bytes.replaceSubrange(Self.headerOffset..<Self.headerOffset + 8, with: [UInt8](littleEndian: value, size: 8))
    }
}
