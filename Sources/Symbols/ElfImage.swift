import CDwarf
import Dispatch
import Glibc

/// One symbol from `.symtab`/`.dynsym`, at its link-time (file) address.
public struct ElfSymbol: Sendable {
    public let address: UInt64
    public let size: UInt64
    /// The name to show: demangled and without parameters for C++ and Swift.
    public let name: String
    /// The name in the symbol table when it differs (mangled); nil for C names, so the
    /// tables of big C libraries carry one string per symbol.
    private let mangledName: String?
    /// The whole demangled name (`geometry::scale(int)`), for C++ and Swift symbols.
    public let fullName: String?
    public let isFunction: Bool
    /// An indirect function (`STT_GNU_IFUNC`: `strlen`, `memcpy`): the symbol is its resolver.
    public let isIndirect: Bool
    let isGlobal: Bool
    /// Among symbols at one address, which name to show first (computed once: sorting big
    /// tables compares often).
    let preference: Int

    /// The name in the symbol table (mangled for C++ and Swift).
    public var linkageName: String { mangledName ?? name }

    init(address: UInt64, size: UInt64, linkageName: String, isFunction: Bool, isIndirect: Bool = false, isGlobal: Bool, suffix: String = "") {
        self.address = address
        self.isIndirect = isIndirect
        self.size = size
        let demangled = Demangler.demangle(linkageName)
        name = (demangled?.short ?? linkageName) + suffix
        mangledName = demangled == nil ? nil : linkageName + suffix
        fullName = demangled.map { $0.full + suffix }
        self.isFunction = isFunction
        self.isGlobal = isGlobal
        // Global over local, functions over untyped labels, fewer leading underscores
        // (`send` before `__send` and `__libc_send`), shorter names.
        let underscores = linkageName.utf8.prefix { $0 == UInt8(ascii: "_") }.count
        preference = (isGlobal ? 100 : 0) + (isFunction ? 50 : 0) - underscores * 10 - min(linkageName.utf8.count, 9)
    }
}

/// A loadable segment's link-time range (for a module's extent in memory) and where its
/// bytes are in the file.
public struct LoadSegment: Sendable {
    public let address: UInt64
    public let memorySize: UInt64
    public let fileOffset: UInt64
    public let fileSize: UInt64
}

/// Errors while reading an ELF file; the session reports them and goes on.
public struct SymbolError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

private let libelfReady: Bool = { elf_version(UInt32(EV_CURRENT)) != UInt32(EV_NONE) }()

/// An ELF file opened with libelf: program headers, symbols (read on first use) and CFI.
/// Owns the file descriptor and the `Elf` handle for its lifetime.
public final class ElfImage {
    public let path: String
    public let entry: UInt64
    public let segments: [LoadSegment]
    /// Link-time address of the dynamic section, if any (where ld.so puts DT_DEBUG).
    public let dynamicAddress: UInt64?
    let elf: OpaquePointer
    private let fd: Int32
    private var cachedSymbols: [ElfSymbol]?
    private var cachedDwarf: OpaquePointer??
    /// `true` when the file had a `.symtab` (full symbols) rather than only `.dynsym` exports.
    public private(set) var hasFullSymbolTable = false
    /// The section headers lie past the end of the file (a cut-off copy): only what the
    /// program headers reach (exports through the dynamic section) can be read.
    public let isTruncated: Bool

    public init(path: String) throws(SymbolError) {
        guard libelfReady else { throw SymbolError("libelf is not usable") }
        // Never blocks on a FIFO or device where a file was expected (a dump's paths are the
        // dump's word), and reads only regular files.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw SymbolError("\(path): \(String(cString: strerror(errno)))") }
        var kind = stat()
        guard fstat(fd, &kind) == 0, kind.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw SymbolError("\(path): not a regular file")
        }
        guard let elf = elf_begin(fd, ELF_C_READ_MMAP, nil) else {
            close(fd)
            throw SymbolError("\(path): \(String(cString: elf_errmsg(-1)))")
        }
        var header = GElf_Ehdr()
        guard elf_kind(elf) == ELF_K_ELF, gelf_getehdr(elf, &header) != nil, header.e_machine == UInt16(EM_X86_64) else {
            elf_end(elf)
            close(fd)
            throw SymbolError("\(path): not an x86-64 ELF file")
        }
        var count = 0
        elf_getphdrnum(elf, &count)
        var segments: [LoadSegment] = []
        var dynamic: UInt64?
        for index in 0..<count {
            var phdr = GElf_Phdr()
            guard gelf_getphdr(elf, Int32(index), &phdr) != nil else { continue }
            if phdr.p_type == UInt32(PT_LOAD) {
                segments.append(LoadSegment(address: phdr.p_vaddr, memorySize: phdr.p_memsz, fileOffset: phdr.p_offset, fileSize: phdr.p_filesz))
            } else if phdr.p_type == UInt32(PT_DYNAMIC) {
                dynamic = phdr.p_vaddr
            }
        }
        var status = stat()
        let fileSize = fstat(fd, &status) == 0 ? UInt64(status.st_size) : UInt64.max
        isTruncated = header.e_shoff &+ UInt64(header.e_shnum) &* UInt64(header.e_shentsize) > fileSize
        self.path = path
        self.fd = fd
        self.elf = elf
        self.entry = header.e_entry
        self.segments = segments
        self.dynamicAddress = dynamic
    }

    /// An image that exists only in a target's memory (the vDSO): its bytes in a file of
    /// their own, removed once open, so everything that reads a file reads it.
    public convenience init(memory bytes: [UInt8], name: String) throws(SymbolError) {
        var template = Array("\(temporaryFolder())/swdbg-\(name)-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SymbolError("\(name): no room for its image: \(String(cString: strerror(errno)))") }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer {
            unlink(path)
            close(fd)
        }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw SymbolError("\(name): cannot write its image: \(String(cString: strerror(errno)))") }
        try self.init(path: path)
    }

    deinit {
        if let handle = cachedDwarf, let handle { dwarf_end(handle) }
        if let dwarfElf { elf_end(dwarfElf) }
        elf_end(elf)
        close(fd)
    }

    /// The file's DWARF through libdw, opened on first use (or waited for, when
    /// `prefetchDwarf` is opening it); nil when it has none (or it is corrupt).
    public var dwarf: OpaquePointer? {
        if let dwarfOpening {
            dwarfOpening.wait()
            self.dwarfOpening = nil
        }
        if let cachedDwarf { return cachedDwarf }
        openDwarf(dwarfPlan)
        return cachedDwarf ?? nil
    }

    /// Opens the DWARF on another thread while the program runs: a distribution's debug
    /// file has compressed sections, every one of which is inflated when it is opened
    /// (libc6-dbg's: 14 ms here, most of a first `k`). Everything else about the file
    /// (symbols, CFI) stays usable meanwhile: libdw works through an `Elf` handle of its own.
    public func prefetchDwarf() {
        guard cachedDwarf == nil, dwarfOpening == nil else { return }
        let finished = DispatchSemaphore(value: 0)
        dwarfOpening = finished
        let image = UncheckedImage(self), plan = dwarfPlan
        Self.prefetchQueue.async {
            image.value.openDwarf(plan)
            finished.signal()
        }
    }

    private static let prefetchQueue = DispatchQueue(label: "swdbg.dwarf-prefetch")
    /// Signalled when a prefetch has opened the DWARF; until then only the prefetch touches
    /// `dwarfElf`, `inflatedDwarf`, `cachedDwarf` and `dwarfError`.
    private var dwarfOpening: DispatchSemaphore?
    /// The `Elf` handle libdw reads, apart from the one symbols and CFI are read through:
    /// the inflated image in memory, or a second handle on the file.
    private var inflatedDwarf: InflatedDwarf?
    private var dwarfElf: OpaquePointer?

    /// How the DWARF is to be opened, read from the section headers on the thread that
    /// owns `elf`.
    private struct DwarfPlan: Sendable {
        /// The debug sections to inflate into memory, when they are compressed in a way
        /// `InflatedDwarf` knows.
        let sections: [DebugSection]?
        let compressed: Bool
        let fileType: UInt16
    }

    private var dwarfPlan: DwarfPlan {
        var header = GElf_Ehdr()
        let fileType = gelf_getehdr(elf, &header) != nil ? header.e_type : UInt16(ET_DYN)
        let compressed = section(named: ".debug_info").map { $0.0.sh_flags & UInt64(SHF_COMPRESSED) != 0 } ?? false
        return DwarfPlan(sections: compressed ? InflatedDwarf.sections(of: elf) : nil, compressed: compressed, fileType: fileType)
    }

    /// Compressed sections are inflated into memory (by `InflatedDwarf`, else by libelf, which
    /// frees the compressed bytes as it goes); an uncompressed file is mapped, so only the
    /// pages used are resident. Touches no state but the DWARF's (it may run on the prefetch
    /// queue).
    private func openDwarf(_ plan: DwarfPlan) {
        if let sections = plan.sections, let inflated = InflatedDwarf(fd: fd, fileType: plan.fileType, sections: sections),
           let handle = dwarf_begin_elf(inflated.elf, DWARF_C_READ, nil) {
            inflatedDwarf = inflated
            cachedDwarf = .some(handle)
            return
        }
        guard let separate = elf_begin(fd, plan.compressed ? ELF_C_READ : ELF_C_READ_MMAP, nil) else {
            dwarfError = String(cString: elf_errmsg(-1))
            cachedDwarf = .some(nil)
            return
        }
        let handle = dwarf_begin_elf(separate, DWARF_C_READ, nil)
        if handle == nil {
            dwarfError = String(cString: dwarf_errmsg(-1))
            elf_end(separate)
        } else {
            dwarfElf = separate
        }
        cachedDwarf = .some(handle)
    }

    /// Why libdw refused the DWARF (once `dwarf` is nil), kept here because libdw's error
    /// is per thread and the file may have been opened on the prefetch queue.
    public private(set) var dwarfError: String?

    /// The size of `.debug_info` as libdw reads it (inflated, for a compressed section).
    public var dwarfInfoSize: UInt64 {
        guard dwarf != nil, let handle = inflatedDwarf?.elf ?? dwarfElf else { return 0 }
        return Self.section(named: ".debug_info", in: handle)?.0.sh_size ?? 0
    }

    /// The GNU build ID (`.note.gnu.build-id`), which names a separate debug file.
    public var buildID: [UInt8]? {
        guard let (_, data) = section(named: ".note.gnu.build-id") else { return nil }
        var header = GElf_Nhdr()
        var nameOffset = 0, descriptorOffset = 0
        var offset = 0
        while true {
            let next = gelf_getnote(data, offset, &header, &nameOffset, &descriptorOffset)
            guard next > 0 else { return nil }
            if header.n_type == UInt32(NT_GNU_BUILD_ID), let base = data.pointee.d_buf {
                let bytes = base.advanced(by: descriptorOffset).assumingMemoryBound(to: UInt8.self)
                return Array(UnsafeBufferPointer(start: bytes, count: Int(header.n_descsz)))
            }
            offset = next
        }
    }

    /// The file name in `.gnu_debuglink`, the other way to name a separate debug file.
    public var debugLink: String? {
        guard let (_, data) = section(named: ".gnu_debuglink"), let base = data.pointee.d_buf, data.pointee.d_size > 0 else { return nil }
        let bytes = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: Int(data.pointee.d_size))
        let name = bytes.prefix { $0 != 0 }
        return name.isEmpty ? nil : String(decoding: name, as: UTF8.self)
    }

    /// A section's link-time address and bytes (nil for a section without file data).
    public func sectionData(_ name: String) -> (address: UInt64, bytes: [UInt8])? {
        guard let (header, data) = section(named: name), let base = data.pointee.d_buf, data.pointee.d_size > 0 else { return nil }
        return (header.sh_addr, Array(UnsafeRawBufferPointer(start: base, count: Int(data.pointee.d_size))))
    }

    /// The size of a section in the file, 0 if there is none.
    public func sectionSize(_ name: String) -> UInt64 { section(named: name)?.0.sh_size ?? 0 }

    private func section(named wanted: String) -> (GElf_Shdr, UnsafeMutablePointer<Elf_Data>)? { Self.section(named: wanted, in: elf) }

    private static func section(named wanted: String, in elf: OpaquePointer) -> (GElf_Shdr, UnsafeMutablePointer<Elf_Data>)? {
        var shstrndx = 0
        guard elf_getshdrstrndx(elf, &shstrndx) == 0 else { return nil }
        var section: OpaquePointer? = nil
        while let scn = elf_nextscn(elf, section) {
            section = scn
            var shdr = GElf_Shdr()
            guard gelf_getshdr(scn, &shdr) != nil, let name = elf_strptr(elf, shstrndx, Int(shdr.sh_name)),
                  String(cString: name) == wanted, let data = elf_getdata(scn, nil) else { continue }
            return (shdr, data)
        }
        return nil
    }

    /// Lowest and highest link-time addresses covered by PT_LOAD segments, page aligned.
    public var linkRange: Range<UInt64> {
        guard let low = segments.map(\.address).min(),
              let high = segments.map({ $0.address &+ $0.memorySize }).max() else { return 0..<0 }
        let end = (high &+ 0xfff) & ~0xfff
        let start = low & ~0xfff
        return start < end ? start..<end : start..<start
    }

    /// All named symbols sorted by address; read on first use.
    public var symbols: [ElfSymbol] {
        if let cachedSymbols { return cachedSymbols }
        let loaded = readSymbols()
        cachedSymbols = loaded
        return loaded
    }


    private func readSymbols() -> [ElfSymbol] {
        var full: [ElfSymbol] = []
        var exports: [ElfSymbol] = []
        var pltStubs: [ElfSymbol] = []
        var section: OpaquePointer? = nil
        var sectionsByName: [String: GElf_Shdr] = [:]
        var shstrndx = 0
        elf_getshdrstrndx(elf, &shstrndx)
        while let scn = elf_nextscn(elf, section) {
            section = scn
            var shdr = GElf_Shdr()
            guard gelf_getshdr(scn, &shdr) != nil else { continue }
            if let name = elf_strptr(elf, shstrndx, Int(shdr.sh_name)) {
                sectionsByName[String(cString: name)] = shdr
            }
            if shdr.sh_type == UInt32(SHT_SYMTAB) {
                full += symbols(in: scn, header: shdr)
            } else if shdr.sh_type == UInt32(SHT_DYNSYM) {
                exports += symbols(in: scn, header: shdr)
            }
        }
        pltStubs = synthesizePLTSymbols(sections: sectionsByName)
        // A string table of garbage (a damaged `.strtab`) makes names no one wrote: the
        // exports are trusted instead.
        if !full.isEmpty, Self.looksDamaged(full) {
            damagedSymbolTable = true
            full = []
        }
        // Section headers that cannot be read (cut off, damaged): the exports are still
        // reachable through the dynamic segment, as the loader reads them.
        if full.isEmpty, exports.isEmpty { exports = dynamicSegmentSymbols() }
        hasFullSymbolTable = !full.isEmpty
        let chosen = (full.isEmpty ? exports : full) + pltStubs
        return ElfImage.sortedByAddress(chosen)
    }

    /// `.symtab` was there but its names were garbage.
    public private(set) var damagedSymbolTable = false

    /// More than a tenth of the names (of the first thousand) hold bytes no compiler or
    /// assembler writes.
    private static func looksDamaged(_ symbols: [ElfSymbol]) -> Bool {
        let sample = symbols.prefix(1000)
        let bad = sample.filter { symbol in symbol.linkageName.utf8.contains { $0 < 0x21 || $0 > 0x7e } }.count
        return bad * 10 > sample.count
    }

    /// The dynamic symbols through `PT_DYNAMIC` (`DT_SYMTAB`, `DT_STRTAB`, and the symbol
    /// count from `DT_HASH` or `DT_GNU_HASH`), read from the file without section headers.
    private func dynamicSegmentSymbols() -> [ElfSymbol] {
        guard let dynamicAddress, let entries = fileBytes(atAddress: dynamicAddress, count: 16 * 1024, allowingShorter: true) else { return [] }
        var tags: [UInt64: UInt64] = [:]
        var offset = 0
        while offset + 16 <= entries.count {
            let tag = entries.littleEndian(at: offset), value = entries.littleEndian(at: offset + 8)
            if tag == 0 { break }
            if tags[tag] == nil { tags[tag] = value }
            offset += 16
        }
        // DT_SYMTAB 6, DT_STRTAB 5, DT_STRSZ 10, DT_SYMENT 11, DT_HASH 4, DT_GNU_HASH 0x6ffffef5.
        guard let symbolTable = tags[6], let stringTable = tags[5], let stringSize = tags[10], stringSize < 1 << 26,
              let strings = fileBytes(atAddress: stringTable, count: Int(stringSize), allowingShorter: true) else { return [] }
        let entrySize = Int(min(tags[11] ?? 24, 256))
        guard entrySize >= 24, let count = dynamicSymbolCount(tags), count > 0, count < 1 << 20,
              let table = fileBytes(atAddress: symbolTable, count: count * entrySize, allowingShorter: true) else { return [] }
        var result: [ElfSymbol] = []
        // The segment may end before the count says (a damaged file): only whole entries.
        for index in 1..<max(1, min(count, table.count / entrySize)) {
            let base = index * entrySize
            let nameOffset = Int(table.littleEndian(at: base, size: 4)), info = table[base + 4]
            let section = table.littleEndian(at: base + 6, size: 2), value = table.littleEndian(at: base + 8), size = table.littleEndian(at: base + 16)
            let type = Int32(info & 0xf), binding = Int32(info >> 4)
            guard value != 0, section != 0, type == STT_FUNC || type == STT_OBJECT || type == STT_GNU_IFUNC, nameOffset < strings.count else { continue }
            let name = String(decoding: strings[nameOffset...].prefix { $0 != 0 }, as: UTF8.self)
            guard !name.isEmpty else { continue }
            result.append(ElfSymbol(address: value, size: size, linkageName: name, isFunction: type != STT_OBJECT, isIndirect: type == STT_GNU_IFUNC,
                                    isGlobal: binding == STB_GLOBAL || binding == STB_WEAK))
        }
        return result
    }

    /// How many entries the dynamic symbol table has: `DT_HASH`'s chain count, or past the
    /// last chain of `DT_GNU_HASH` (the highest symbol any bucket reaches, then its chain).
    private func dynamicSymbolCount(_ tags: [UInt64: UInt64]) -> Int? {
        if let hash = tags[4], let header = fileBytes(atAddress: hash, count: 8) { return Int(header.littleEndian(at: 4, size: 4)) }
        guard let gnu = tags[0x6fff_fef5], let header = fileBytes(atAddress: gnu, count: 16) else { return nil }
        let buckets = Int(header.littleEndian(at: 0, size: 4)), symbolBase = Int(header.littleEndian(at: 4, size: 4))
        let bloomWords = Int(header.littleEndian(at: 8, size: 4))
        guard buckets > 0, buckets < 1 << 20, bloomWords < 1 << 20 else { return nil }
        let bucketsAt = gnu &+ 16 &+ UInt64(bloomWords * 8)
        guard let bucketBytes = fileBytes(atAddress: bucketsAt, count: buckets * 4) else { return nil }
        let highest = (0..<buckets).map { Int(bucketBytes.littleEndian(at: $0 * 4, size: 4)) }.max() ?? 0
        guard highest >= symbolBase else { return symbolBase }
        let chains = bucketsAt &+ UInt64(buckets * 4)
        var index = highest
        while index < 1 << 20, let entry = fileBytes(atAddress: chains &+ UInt64((index - symbolBase) * 4), count: 4) {
            if entry.littleEndian(at: 0, size: 4) & 1 == 1 { return index + 1 }
            index += 1
        }
        return nil
    }

    /// Bytes of the file at a link-time address, through the PT_LOAD segment that maps it;
    /// nil unless all `count` are there (or, `allowingShorter`, as many as the segment has).
    private func fileBytes(atAddress address: UInt64, count: Int, allowingShorter: Bool = false) -> [UInt8]? {
        guard count > 0, let segment = segments.first(where: { address >= $0.address && address < $0.address &+ $0.fileSize }) else { return nil }
        let available = Int(min(UInt64(count), segment.address &+ segment.fileSize &- address))
        guard available == count || allowingShorter else { return nil }
        var bytes = [UInt8](repeating: 0, count: available)
        let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, available, off_t(Int64(bitPattern: segment.fileOffset &+ (address &- segment.address)))) }
        return read == available ? bytes : nil
    }

    /// By address; among symbols at one address the name to show comes first.
    /// Sorted through a permutation of plain keys: moving the symbols themselves (three
    /// strings each) while sorting cost more than reading them.
    static func sortedByAddress(_ symbols: [ElfSymbol]) -> [ElfSymbol] {
        let keys = symbols.map { (address: $0.address, preference: $0.preference) }
        let order = keys.indices.sorted { a, b in
            keys[a].address != keys[b].address ? keys[a].address < keys[b].address : keys[a].preference > keys[b].preference
        }
        return order.map { symbols[$0] }
    }

    private func symbols(in scn: OpaquePointer, header: GElf_Shdr) -> [ElfSymbol] {
        guard let data = elf_getdata(scn, nil), header.sh_entsize > 0 else { return [] }
        // A malformed header can claim any size; libelf bounds the reads, the index must fit in Int32.
        let count = Int(min(header.sh_size / header.sh_entsize, UInt64(Int32.max)))
        var result: [ElfSymbol] = []
        // Never more entries than the section's bytes hold, whatever its header claims.
        result.reserveCapacity(min(count, data.pointee.d_size / max(1, Int(min(header.sh_entsize, 1 << 16)))))
        for index in 0..<count {
            var sym = GElf_Sym()
            guard gelf_getsym(data, Int32(index), &sym) != nil else { continue }
            let type = Int32(sym.st_info & 0xf)
            guard sym.st_value != 0, sym.st_shndx != UInt16(SHN_UNDEF),
                  type == STT_FUNC || type == STT_OBJECT || type == STT_GNU_IFUNC || type == STT_NOTYPE,
                  let cName = elf_strptr(elf, Int(header.sh_link), Int(sym.st_name)), cName.pointee != 0 else { continue }
            // `.symtab` keeps symbol versions in the name (`__libc_start_main@@GLIBC_2.34`).
            let length = strchr(cName, Int32(UInt8(ascii: "@"))).map { $0 - cName } ?? strlen(cName)
            let name = String(decoding: UnsafeRawBufferPointer(start: cName, count: length), as: UTF8.self)
            if type == STT_NOTYPE && (name.hasPrefix("$") || name.hasPrefix(".L")) { continue }
            let binding = Int32(sym.st_info >> 4)
            result.append(ElfSymbol(address: sym.st_value, size: sym.st_size, linkageName: name,
                                    isFunction: type == STT_FUNC || type == STT_GNU_IFUNC, isIndirect: type == STT_GNU_IFUNC,
                                    isGlobal: binding == STB_GLOBAL || binding == STB_WEAK))
        }
        return result
    }

    /// Names the PLT stubs `name@plt` from `.rela.plt`, as objdump does, so calls through
    /// the PLT are shown with the function they reach.
    private func synthesizePLTSymbols(sections: [String: GElf_Shdr]) -> [ElfSymbol] {
        guard let rela = sections[".rela.plt"], rela.sh_entsize > 0 else { return [] }
        let stubBase: UInt64
        if let sec = sections[".plt.sec"] { stubBase = sec.sh_addr }
        else if let plt = sections[".plt"] { stubBase = plt.sh_addr &+ 16 }
        else { return [] }
        guard let relaScn = elf_getscn(elf, Int(sectionIndex(of: rela))),
              let relaData = elf_getdata(relaScn, nil),
              let symtabScn = elf_getscn(elf, Int(rela.sh_link)),
              let symData = elf_getdata(symtabScn, nil) else { return [] }
        var symtabHeader = GElf_Shdr()
        guard gelf_getshdr(symtabScn, &symtabHeader) != nil else { return [] }
        var stubs: [ElfSymbol] = []
        for index in 0..<Int(min(rela.sh_size / rela.sh_entsize, UInt64(Int32.max))) {
            var entry = GElf_Rela()
            guard gelf_getrela(relaData, Int32(index), &entry) != nil else { continue }
            var sym = GElf_Sym()
            guard let symbolIndex = Int32(exactly: entry.r_info >> 32), gelf_getsym(symData, symbolIndex, &sym) != nil,
                  let cName = elf_strptr(elf, Int(symtabHeader.sh_link), Int(sym.st_name)), cName.pointee != 0 else { continue }
            stubs.append(ElfSymbol(address: stubBase &+ UInt64(index) &* 16, size: 16, linkageName: String(cString: cName),
                                   isFunction: true, isGlobal: false, suffix: "@plt"))
        }
        return stubs
    }

    private func sectionIndex(of wanted: GElf_Shdr) -> Int {
        var section: OpaquePointer? = nil
        while let scn = elf_nextscn(elf, section) {
            section = scn
            var shdr = GElf_Shdr()
            if gelf_getshdr(scn, &shdr) != nil, shdr.sh_offset == wanted.sh_offset, shdr.sh_type == wanted.sh_type {
                return elf_ndxscn(scn)
            }
        }
        return 0
    }
}

/// An image handed to the prefetch queue, which alone touches its DWARF state until it signals.
private struct UncheckedImage: @unchecked Sendable {
    let value: ElfImage
    init(_ value: ElfImage) { self.value = value }
}

/// `$TMPDIR`, else /tmp.
private func temporaryFolder() -> String {
    if let value = getenv("TMPDIR").map({ String(cString: $0) }), value.hasPrefix("/") { return value }
    return "/tmp"
}
