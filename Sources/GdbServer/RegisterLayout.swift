import Arch

/// The registers the server offers, in gdb's x86-64 Linux numbering (what gdbserver's
/// target description gives): general registers, segments, x87, SSE, `orig_rax`, the segment
/// bases and, where the CPU has AVX, the upper halves of the ymm registers.
struct RegisterLayout {
    /// One register: its name, width in bits, gdb type, feature and where its value lives.
    struct Entry {
        let name: String
        let bits: Int
        let type: String
        let feature: Feature
        let source: Source
    }

    enum Feature: String, CaseIterable {
        case core = "org.gnu.gdb.i386.core", sse = "org.gnu.gdb.i386.sse", linux = "org.gnu.gdb.i386.linux"
        case segments = "org.gnu.gdb.i386.segments", avx = "org.gnu.gdb.i386.avx"
    }

    /// Where a value is: a general register (its slot in `X86Registers`), or bytes of the
    /// XSAVE area (`stored` of them: the x87 control words are narrower there than in gdb's
    /// view).
    enum Source {
        case general(slot: Int)
        case xsave(offset: Int, stored: Int)
    }

    let entries: [Entry]

    init(avx: Bool) {
        var entries: [Entry] = []
        func general(_ name: String, _ bits: Int = 64, _ type: String = "int64", _ feature: Feature = .core, register: String? = nil) {
            let slot = X86Registers.slotNames.firstIndex(of: register ?? name)!
            entries.append(Entry(name: name, bits: bits, type: type, feature: feature, source: .general(slot: slot)))
        }
        for name in ["rax", "rbx", "rcx", "rdx", "rsi", "rdi"] { general(name) }
        general("rbp", 64, "data_ptr")
        general("rsp", 64, "data_ptr")
        for index in 8...15 { general("r\(index)") }
        general("rip", 64, "code_ptr")
        general("eflags", 32, "i386_eflags", register: "efl")
        for name in ["cs", "ss", "ds", "es", "fs", "gs"] { general(name, 32, "int32") }
        // FXSAVE: st0–st7 at 32, 16 bytes apart; the control words before them.
        for index in 0..<8 { entries.append(Entry(name: "st\(index)", bits: 80, type: "i387_ext", feature: .core, source: .xsave(offset: 32 + 16 * index, stored: 10))) }
        for (name, offset, stored) in [("fctrl", 0, 2), ("fstat", 2, 2), ("ftag", 4, 1), ("fiseg", 12, 2), ("fioff", 8, 4), ("foseg", 20, 2), ("fooff", 16, 4), ("fop", 6, 2)] {
            entries.append(Entry(name: name, bits: 32, type: "int", feature: .core, source: .xsave(offset: offset, stored: stored)))
        }
        for index in 0..<16 { entries.append(Entry(name: "xmm\(index)", bits: 128, type: "vec128", feature: .sse, source: .xsave(offset: 160 + 16 * index, stored: 16))) }
        entries.append(Entry(name: "mxcsr", bits: 32, type: "i386_mxcsr", feature: .sse, source: .xsave(offset: 24, stored: 4)))
        general("orig_rax", 64, "int", .linux)
        general("fs_base", 64, "int", .segments)
        general("gs_base", 64, "int", .segments)
        if avx {
            for index in 0..<16 { entries.append(Entry(name: "ymm\(index)h", bits: 128, type: "uint128", feature: .avx, source: .xsave(offset: 576 + 16 * index, stored: 16))) }
        }
        self.entries = entries
    }

    /// `qXfer:features:read:target.xml`: one document with every feature inline.
    var targetDescription: String {
        var xml = #"<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0"><architecture>i386:x86-64</architecture><osabi>GNU/Linux</osabi>"#
        for feature in Feature.allCases {
            let members = entries.enumerated().filter { $0.element.feature == feature }
            guard !members.isEmpty else { continue }
            xml += #"<feature name="\#(feature.rawValue)">"#
            if feature == .sse {
                xml += #"<vector id="v4f" type="ieee_single" count="4"/><vector id="v2d" type="ieee_double" count="2"/><vector id="v16i8" type="int8" count="16"/>"#
                xml += #"<vector id="v8i16" type="int16" count="8"/><vector id="v4i32" type="int32" count="4"/><vector id="v2i64" type="int64" count="2"/>"#
                xml += #"<union id="vec128"><field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/><field name="v16_int8" type="v16i8"/>"#
                xml += #"<field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/><field name="v2_int64" type="v2i64"/><field name="uint128" type="uint128"/></union>"#
                xml += #"<flags id="i386_mxcsr" size="4"><field name="IE" start="0" end="0"/><field name="DE" start="1" end="1"/><field name="ZE" start="2" end="2"/><field name="OE" start="3" end="3"/><field name="UE" start="4" end="4"/><field name="PE" start="5" end="5"/><field name="DAZ" start="6" end="6"/><field name="IM" start="7" end="7"/><field name="DM" start="8" end="8"/><field name="ZM" start="9" end="9"/><field name="OM" start="10" end="10"/><field name="UM" start="11" end="11"/><field name="PM" start="12" end="12"/><field name="FZ" start="15" end="15"/></flags>"#
            }
            if feature == .core {
                xml += #"<flags id="i386_eflags" size="4"><field name="CF" start="0" end="0"/><field name="" start="1" end="1"/><field name="PF" start="2" end="2"/><field name="AF" start="4" end="4"/><field name="ZF" start="6" end="6"/><field name="SF" start="7" end="7"/><field name="TF" start="8" end="8"/><field name="IF" start="9" end="9"/><field name="DF" start="10" end="10"/><field name="OF" start="11" end="11"/></flags>"#
            }
            for (number, entry) in members {
                var group = entry.feature == .sse || entry.feature == .avx ? #" group="vector""# : ""
                if case .xsave = entry.source, entry.feature == .core { group = #" group="float""# }
                let generic = entry.name == "rip" ? #" generic="pc""# : entry.name == "rsp" ? #" generic="sp""# : entry.name == "rbp" ? #" generic="fp""# : ""
                xml += #"<reg name="\#(entry.name)" bitsize="\#(entry.bits)" type="\#(entry.type)" regnum="\#(number)"\#(group)\#(generic)/>"#
            }
            xml += "</feature>"
        }
        return xml + "</target>"
    }

    /// One register's bytes (little-endian, its width) from the thread's state.
    func value(_ index: Int, general: X86Registers, vector: VectorState?) -> [UInt8] {
        let entry = entries[index]
        let count = entry.bits / 8
        switch entry.source {
        case .general(let slot):
            let value = general.slots[slot]
            return (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
        case .xsave(let offset, let stored):
            guard let bytes = vector?.bytes, offset + stored <= bytes.count, bytes.count >= 160 else { return [UInt8](repeating: 0, count: count) }
            if entry.name == "ftag" {
                let full = RegisterLayout.fullTagWord(bytes)
                return [UInt8(full & 0xff), UInt8(full >> 8), 0, 0]
            }
            return Array(bytes[offset..<offset + stored]) + [UInt8](repeating: 0, count: count - stored)
        }
    }

    /// x87's full tag word (two bits per register: valid, zero, special, empty) from FXSAVE's
    /// abridged one (a bit per register: not empty) and the registers' contents, as gdb wants
    /// it and as gdbserver computes it.
    static func fullTagWord(_ area: [UInt8]) -> Int {
        let top = (Int(area[2]) | Int(area[3]) << 8) >> 11 & 7
        var full = 0
        for physical in 0..<8 {
            var tag = 3
            if area[4] & (1 << UInt8(physical)) != 0 {
                // st(i) in FXSAVE is physical register (top + i) mod 8.
                let base = 32 + 16 * ((physical - top + 8) % 8)
                let exponent = (Int(area[base + 8]) | Int(area[base + 9]) << 8) & 0x7fff
                let integerBit = area[base + 7] & 0x80 != 0
                let fractionZero = area[base..<base + 8].allSatisfy { $0 == 0 }
                tag = exponent == 0x7fff ? 2 : exponent == 0 ? (fractionZero ? 1 : 2) : (integerBit ? 0 : 2)
            }
            full |= tag << (2 * physical)
        }
        return full
    }

    /// Puts one register's new bytes into the thread's state; false for a register that
    /// cannot be set this way (its width does not match).
    func set(_ index: Int, _ bytes: [UInt8], general: inout X86Registers, vector: inout VectorState?) -> Bool {
        let entry = entries[index]
        guard bytes.count == entry.bits / 8 else { return false }
        switch entry.source {
        case .general(let slot):
            // A 32-bit view (eflags, the segments) sets the whole slot, as ptrace holds them.
            general.slots[slot] = bytes.littleEndian(at: 0, size: min(8, bytes.count))
            return true
        case .xsave(let offset, let stored):
            guard var area = vector?.bytes, offset + stored <= area.count else { return false }
            if entry.name == "ftag" {
                // FXSAVE keeps one bit per register: not empty (any tag but 3).
                let full = Int(bytes[0]) | Int(bytes[1]) << 8
                area[offset] = (0..<8).reduce(UInt8(0)) { $0 | ((full >> (2 * $1)) & 3 != 3 ? 1 << UInt8($1) : 0) }
                vector = VectorState(bytes: area)
                return true
            }
            area.replaceSubrange(offset..<offset + stored, with: bytes.prefix(stored))
            vector = VectorState(bytes: area)
            return true
        }
    }
}
