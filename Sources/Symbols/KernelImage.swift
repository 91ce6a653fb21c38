import Arch
import CCompress
import Glibc

/// A Linux kernel image as the debugger reads it without System.map or a debug package: the
/// ELF (an ELF vmlinux as it is, a bzImage's xz-compressed one decompressed), its own symbol
/// table (kallsyms, in `.rodata`), the ORC unwind tables and the version banner.
public final class KernelImage {
    /// The file named (`/boot/vmlinuz-…`).
    public let path: String
    public let elf: ElfImage
    /// `6.1.0-57-amd64`, from the `Linux version` banner.
    public let release: String
    /// Major and minor version, which choose the ORC entry layout.
    public let version: (major: Int, minor: Int)
    /// Link-time `.text` start and its first bytes (what the KASLR scan compares).
    public let textAddress: UInt64
    let textHead: [UInt8]
    /// Text and data symbols at link-time addresses, sorted; per-CPU offsets apart.
    public let symbols: [ElfSymbol]
    /// Per-CPU variables (`current_task`) by name: offsets from a CPU's per-CPU base.
    public let perCPUOffsets: [String: UInt64]
    public let orc: OrcTable?
    /// The kernel's types (`.BTF`), read on first use.
    public private(set) lazy var types: BTFTypes? = elf.sectionData(".BTF").flatMap { BTFTypes($0.bytes) }

    public init(path: String) throws(SymbolError) {
        self.path = path
        elf = try Self.openELF(path)
        guard let text = elf.sectionData(".text"), let rodata = elf.sectionData(".rodata") else {
            throw SymbolError("\(path): not a Linux kernel image (no .text or .rodata)")
        }
        textAddress = text.address
        textHead = Array(text.bytes.prefix(256))
        guard let banner = Self.banner(rodata.bytes) else { throw SymbolError("\(path): not a Linux kernel image (no `Linux version` banner)") }
        release = banner.release
        version = banner.version
        guard let table = Kallsyms(rodata: rodata.bytes) else {
            throw SymbolError("\(path): the kallsyms tables were not found in .rodata")
        }
        var perCPU: [String: UInt64] = [:]
        var kept: [(address: UInt64, name: String, type: UInt8)] = []
        for entry in table.entries {
            if entry.address < 0xffff_8000_0000_0000 { perCPU[entry.name] = entry.address } else { kept.append(entry) }
        }
        self.symbols = ElfSymbol.sortedTable(kept.map { entry in
            (entry.name, entry.address, 0, [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: "W"), UInt8(ascii: "w")].contains(entry.type),
             entry.type < UInt8(ascii: "a"))
        })
        perCPUOffsets = perCPU
        if let ips = elf.sectionData(".orc_unwind_ip"), let entries = elf.sectionData(".orc_unwind") {
            orc = OrcTable(ipSection: ips, entries: entries.bytes, layoutFrom64: version >= (6, 4))
        } else {
            orc = nil
        }
    }

    /// The ELF itself, or the one an xz stream in the file holds (a bzImage), decompressed
    /// into memory.
    private static func openELF(_ path: String) throws(SymbolError) -> ElfImage {
        if let image = try? ElfImage(path: path) { return image }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SymbolError("\(path): \(String(cString: strerror(errno)))") }
        var head = [UInt8](repeating: 0, count: 1 << 20)
        let count = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard count > 0 else { throw SymbolError("\(path): cannot be read") }
        head.removeSubrange(count...)
        guard let offset = firstIndex(of: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], in: head, from: 0) else {
            throw SymbolError("\(path): neither an ELF vmlinux nor a bzImage with an xz-compressed kernel")
        }
        var error = [CChar](repeating: 0, count: 256)
        let memory = cc_xz_decompressed_at(path, Int64(offset), &error, error.count)
        let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard memory >= 0 else { throw SymbolError("\(path): the kernel inside cannot be decompressed: \(reason)") }
        defer { close(memory) }
        return try ElfImage(path: "/proc/self/fd/\(memory)")
    }

    /// `Linux version 6.1.0-57-amd64 (…)`: the release and its first two numbers.
    private static func banner(_ bytes: [UInt8]) -> (release: String, version: (major: Int, minor: Int))? {
        let needle = Array("Linux version ".utf8)
        var index = 0
        while let start = firstIndex(of: needle, in: bytes, from: index) {
            index = start + 1
            let release = String(decoding: bytes[(start + needle.count)...].prefix { $0 != 0x20 && $0 != 0 }.prefix(64), as: UTF8.self)
            let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
            guard numbers.count == 2 else { continue }
            return (release, (numbers[0], numbers[1]))
        }
        return nil
    }

    /// The KASLR slide: where the image's first text bytes are in the target, among the
    /// 2 MiB-aligned places the kernel can be put (the unslid one first). The match is fuzzy
    /// (90 %): the decompressor's relocations rewrite absolute addresses inside the text.
    public func slide(reading read: (UInt64, Int) -> [UInt8]) -> UInt64? {
        let base: UInt64 = 0xffff_ffff_8000_0000
        let linkOffset = textAddress &- base
        let candidates = [linkOffset] + stride(from: UInt64(0), to: 1 << 30, by: 2 << 20).filter { $0 != linkOffset }
        for candidate in candidates {
            let bytes = read(base &+ candidate, textHead.count)
            guard bytes.count == textHead.count else { continue }
            let same = zip(bytes, textHead).filter { $0 == $1 }.count
            if same * 10 >= textHead.count * 9 { return candidate &- linkOffset }
        }
        return nil
    }
}

/// The kernel's compressed symbol table (scripts/kallsyms.c), found in `.rodata` by its
/// shape — the token table (256 strings, the digits as their own tokens), the markers before
/// it (every 256th name's offset: increasing from 0; 6.1's stable releases put the names'
/// sort order between them), the names before those, their count, the relative base and
/// the offsets — and decoded: base-relative offsets, non-negative ones absolute (per-CPU).
struct Kallsyms {
    let entries: [(address: UInt64, name: String, type: UInt8)]

    init?(rodata bytes: [UInt8]) {
        let digits = Array("0\u{0}1\u{0}2\u{0}3\u{0}4\u{0}5\u{0}6\u{0}7\u{0}8\u{0}9\u{0}".utf8)
        var from = 0, tried = 0
        // The digits occur in other tables too; a few candidates are enough.
        while tried < 16, let zero = firstIndex(of: digits, in: bytes, from: from) {
            tried += 1
            from = zero + 1
            if let decoded = Self.decode(bytes, digitsAt: zero) {
                entries = decoded
                return
            }
        }
        return nil
    }

    private static func decode(_ bytes: [UInt8], digitsAt zero: Int) -> [(address: UInt64, name: String, type: UInt8)]? {
        // Back 48 strings from the token of '0' to the table's start; 256 strings in all.
        var start = zero
        for _ in 0..<0x30 {
            guard start >= 2 else { return nil }
            start -= 1  // the terminator of the string before
            while start > 0 && bytes[start - 1] != 0 { start -= 1 }
        }
        var tokens: [[UInt8]] = []
        var cursor = start
        for _ in 0..<256 {
            guard let end = bytes[cursor...].firstIndex(of: 0), end > cursor else { return nil }
            tokens.append(Array(bytes[cursor..<end]))
            cursor = end + 1
        }
        guard let markers = Self.markers(bytes, before: start) else { return nil }
        // The count before the names: the one whose names end where the markers begin.
        let most = markers.values.count * 256, least = most - 255
        var found: (count: Int, names: Int, at: Int)?
        var probe = markers.start - 4
        while found == nil, probe >= 4, markers.start - probe < 64 << 20 {
            let value = Int(bytes.littleEndian(at: probe, size: 4))
            if value >= least, value <= most {
                for namesStart in [probe + 4, probe + 8] where found == nil {
                    if let end = Self.namesEnd(bytes, from: namesStart, count: value, markers: markers.values), end <= markers.start, markers.start - end < 8 {
                        found = (value, namesStart, probe)
                    }
                }
            }
            probe -= 4
        }
        guard let (count, namesStart, countAt) = found else { return nil }
        // The relative base (a kernel address) just before the count, the offsets before it.
        guard let basePosition = [countAt - 8, countAt - 4, countAt - 12, countAt - 16].first(where: { $0 >= 4 * count && bytes.littleEndian(at: $0) >= 0xffff_ffff_8000_0000 }) else { return nil }
        let relativeBase = bytes.littleEndian(at: basePosition)
        // The offsets end at the base, or 4 bytes before it (the base is 8-aligned).
        let offsetsStart = basePosition - 4 * count - (count % 2 == 1 && basePosition % 8 == 0 ? 4 : 0)
        var entries: [(address: UInt64, name: String, type: UInt8)] = []
        entries.reserveCapacity(count)
        var position = namesStart
        for index in 0..<count {
            var length = Int(bytes[position])
            position += 1
            if length & 0x80 != 0 {
                length = (length & 0x7f) | (Int(bytes[position]) << 7)
                position += 1
            }
            var name: [UInt8] = []
            for byte in bytes[position..<position + length] { name += tokens[Int(byte)] }
            position += length
            let raw = Int32(bitPattern: UInt32(truncatingIfNeeded: bytes.littleEndian(at: offsetsStart + 4 * index, size: 4)))
            let value = raw >= 0 ? UInt64(raw) : relativeBase &- 1 &- UInt64(bitPattern: Int64(raw))
            guard let type = name.first else { continue }
            entries.append((value, String(decoding: name.dropFirst(), as: UTF8.self), type))
        }
        return entries
    }

    /// The markers: the longest run of u32s before the token table that starts at 0 and
    /// grows by what 256 names take (256 to 16 K bytes).
    private static func markers(_ bytes: [UInt8], before tokenTable: Int) -> (start: Int, values: [UInt64])? {
        var best: (start: Int, count: Int)?
        var position = tokenTable / 4 * 4 - 4
        while position >= 0, tokenTable - position < 8 << 20 {
            if bytes.littleEndian(at: position, size: 4) == 0 {
                var count = 1, previous: UInt64 = 0, next = position + 4
                while next + 4 <= tokenTable {
                    let value = bytes.littleEndian(at: next, size: 4)
                    guard value > previous, value - previous >= 256, value - previous <= 256 * 64 else { break }
                    previous = value
                    count += 1
                    next += 4
                }
                if count >= 16, count > best?.count ?? 0 { best = (position, count) }
            }
            position -= 4
        }
        guard let best else { return nil }
        return (best.start, (0..<best.count).map { bytes.littleEndian(at: best.start + 4 * $0, size: 4) })
    }

    /// Where `count` length-prefixed names from `start` end, if they fit and the markers
    /// (every 256th name's offset) agree.
    private static func namesEnd(_ bytes: [UInt8], from start: Int, count: Int, markers: [UInt64]) -> Int? {
        var position = start
        for index in 0..<count {
            guard position < bytes.count else { return nil }
            if index % 256 == 0, markers[index / 256] != UInt64(position - start) { return nil }
            var length = Int(bytes[position])
            position += 1
            if length & 0x80 != 0 {
                guard position < bytes.count else { return nil }
                length = (length & 0x7f) | (Int(bytes[position]) << 7)
                position += 1
            }
            guard length > 0 else { return nil }
            position += length
        }
        return position
    }
}

/// Where `needle` first occurs in `bytes` at or after `from` (the xz magic, the banner, the
/// kallsyms token digits).
private func firstIndex(of needle: [UInt8], in bytes: [UInt8], from: Int) -> Int? {
    var index = from
    while index < bytes.count, let start = bytes[index...].firstIndex(of: needle[0]) {
        if start + needle.count <= bytes.count, bytes[start..<start + needle.count].elementsEqual(needle) { return start }
        index = start + 1
    }
    return nil
}

/// One ORC entry: how to find the caller's stack pointer (and frame pointer) at an address,
/// and what kind of frame it is.
public struct OrcEntry: Sendable, Equatable {
    public enum Register: UInt8, Sendable { case undefined = 0, previousSP, dx, di, bp, sp, r10, r13, bpIndirect, spIndirect }
    public enum Kind: Sendable { case call, regs, regsPartial, undefined, endOfStack }
    public let spOffset: Int16
    public let bpOffset: Int16
    public let spRegister: Register
    public let bpRegister: Register
    public let kind: Kind
    /// 6.1's end-of-stack flag (with an undefined sp register).
    public let end: Bool
}

/// The kernel's ORC tables: the instruction addresses (each stored relative to its own
/// place, sorted at build time) and their 6-byte entries, whose bit layout changed in 6.4.
public struct OrcTable: Sendable {
    let addresses: [UInt64]
    let entries: [UInt8]
    let layoutFrom64: Bool

    public init(ipSection: (address: UInt64, bytes: [UInt8]), entries: [UInt8], layoutFrom64: Bool) {
        let count = min(ipSection.bytes.count / 4, entries.count / 6)
        addresses = (0..<count).map { index in
            let relative = Int32(bitPattern: UInt32(truncatingIfNeeded: ipSection.bytes.littleEndian(at: 4 * index, size: 4)))
            return ipSection.address &+ UInt64(4 * index) &+ UInt64(bitPattern: Int64(relative))
        }
        self.entries = entries
        self.layoutFrom64 = layoutFrom64
    }

    public var count: Int { addresses.count }

    /// The entry covering a link-time address: the last one at or below it.
    public func entry(at address: UInt64) -> OrcEntry? {
        var low = 0, high = addresses.count
        while low < high {
            let middle = (low + high) / 2
            if addresses[middle] <= address { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let base = 6 * (low - 1)
        let sp = Int16(bitPattern: UInt16(truncatingIfNeeded: entries.littleEndian(at: base, size: 2)))
        let bp = Int16(bitPattern: UInt16(truncatingIfNeeded: entries.littleEndian(at: base + 2, size: 2)))
        let registers = entries[base + 4], flags = entries[base + 5]
        let kind: OrcEntry.Kind
        if layoutFrom64 {
            kind = [.undefined, .endOfStack, .call, .regs, .regsPartial][Int(min(flags & 7, 4))]
        } else {
            kind = [.call, .regs, .regsPartial, .undefined][Int(flags & 3)]
        }
        return OrcEntry(spOffset: sp, bpOffset: bp, spRegister: OrcEntry.Register(rawValue: registers & 0xf) ?? .undefined,
                        bpRegister: OrcEntry.Register(rawValue: registers >> 4) ?? .undefined, kind: kind, end: !layoutFrom64 && flags & 4 != 0)
    }
}

extension ElfSymbol {
    /// Symbols that come without sizes (or with some): sorted by address, each without a size
    /// running to the next higher address (one pass from the end).
    public static func sortedTable(_ entries: [(name: String, address: UInt64, size: UInt64, function: Bool, global: Bool)]) -> [ElfSymbol] {
        let sorted = entries.sorted { $0.address < $1.address }
        var result: [ElfSymbol] = []
        result.reserveCapacity(sorted.count)
        var higher = sorted.last?.address ?? 0
        var ends = [UInt64](repeating: 0, count: sorted.count)
        for index in sorted.indices.reversed() {
            ends[index] = sorted[index].address < higher ? higher : sorted[index].address
            if index > 0, sorted[index - 1].address < sorted[index].address { higher = sorted[index].address }
        }
        for (index, entry) in sorted.enumerated() {
            let size = entry.size > 0 ? entry.size : ends[index] - entry.address
            result.append(ElfSymbol(address: entry.address, size: size, linkageName: entry.name, isFunction: entry.function, isGlobal: entry.global))
        }
        return result
    }
}
