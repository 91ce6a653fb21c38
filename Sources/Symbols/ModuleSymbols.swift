import Arch
import CDwarf
import Glibc

/// A source position: the file as the compiler recorded it, a 1-based line, and where the
/// line-table row (one statement's code) holding the address begins.
public struct SourceLine: Sendable, Equatable {
    public let file: String
    public let line: Int
    public var rowStart: UInt64

    /// The same file and line, whichever row.
    public func sameLine(as other: SourceLine) -> Bool { file == other.file && line == other.line }
}

/// What is known about one module's symbols: its ELF file and a separate debug file (by
/// build ID or `.gnu_debuglink`, in /usr/lib/debug or the symbol path; looked for when the
/// module loads, else on first use), which brings full symbols, DWARF line tables and
/// `.debug_frame`.
public final class ModuleSymbols {
    public let image: ElfImage
    let search: SymbolSearch
    private var located: ElfImage??
    private var cachedSymbols: [ElfSymbol]?
    private var cachedCFI: CallFrameInfo??
    private var checkedDwarf: OpaquePointer??
    private var warnedAboutLines = false
    /// The DWARF handles type references point into (see `layout(atOffset:)`).
    var referencedDwarfs: [OpaquePointer] = []
    var cachedNameIndex: NameIndex?
    /// C++ type names with their namespaces, by DIE reference.
    var qualifiedNames: [UInt64: String] = [:]
    /// The files every line table names, for telling a missing file from a missing line.
    private var sourceFileNames: Set<String>?
    /// Compilation units by address range, for DWARF without `.debug_aranges` (swiftc, clang).
    private var unitRanges: [(range: Range<UInt64>, offset: Dwarf_Off)]?

    /// Symbols that come from elsewhere than the file (a kernel's kallsyms), at link addresses.
    private let provided: [ElfSymbol]?
    /// Types from BTF rather than DWARF (a kernel's).
    let providedTypes: BTFTypes?

    public init(image: ElfImage, search: SymbolSearch, providedSymbols: [ElfSymbol]? = nil, providedTypes: BTFTypes? = nil) {
        self.image = image
        self.search = search
        provided = providedSymbols
        self.providedTypes = providedTypes
    }

    /// The separate debug file, if one is installed.
    public var debugImage: ElfImage? {
        if let located { return located }
        let found = locateDebugFile()
        located = .some(found)
        return found
    }

    /// Looks for the debug file when the module loads and has its DWARF opened ahead of need
    /// (`ElfImage.prefetchDwarf`). Only for a debug file found in a folder: no symbol server,
    /// no narration while the program runs. A file not found is not remembered: it may be
    /// installed, or the path changed, before the first command that needs it.
    public func prefetchDebugDwarf() {
        guard located == nil, !search.noisy, search.servers.isEmpty else { return }
        guard let debug = locateDebugFile() else { return }
        located = .some(debug)
        if debug.sectionSize(".debug_info") > 0 { debug.prefetchDwarf() }
    }

    /// Whether symbols were read yet (`lm` shows `(deferred)` until then).
    public var isLoaded: Bool { cachedSymbols != nil }

    /// `.symtab` of the file or of its debug file (plus the file's `name@plt` stubs), else `.dynsym`.
    public var symbols: [ElfSymbol] {
        if let cachedSymbols { return cachedSymbols }
        if let provided {
            cachedSymbols = provided
            return provided
        }
        if image.isTruncated { search.warning("*** WARNING: \(image.path) is truncated (its section headers lie past the end) - export symbols only") }
        var table = image.symbols
        if image.damagedSymbolTable { search.warning("*** WARNING: damaged symbol names in \(image.path) (.strtab) - export symbols only") }
        if !image.hasFullSymbolTable, let debug = debugImage, !debug.symbols.isEmpty, debug.hasFullSymbolTable {
            table = ElfImage.sortedByAddress(debug.symbols + image.symbols.filter { $0.name.hasSuffix("@plt") })
        }
        cachedSymbols = table
        return table
    }

    /// WinDbg's symbol state column: `(dwarf)`, `(elf symbols)` for a full symbol table,
    /// `(export symbols)` for `.dynsym` only.
    public var state: String {
        guard isLoaded else { return "(deferred)" }
        if provided != nil { return "(kallsyms)" }
        if dwarf != nil { return "(dwarf)" }
        return image.hasFullSymbolTable || debugImage?.hasFullSymbolTable == true ? "(elf symbols)" : "(export symbols)"
    }

    public var callFrameInfo: CallFrameInfo? {
        if let cachedCFI { return cachedCFI }
        let cfi = CallFrameInfo(image: image, debugImage: debugImage)
        cachedCFI = .some(cfi)
        return cfi
    }

    /// The DWARF that describes the module: its debug file's, else its own; nil (with a
    /// warning, once) when its unit headers or top-level entries cannot be read.
    public var dwarf: OpaquePointer? {
        if let checkedDwarf { return checkedDwarf }
        let file = debugImage ?? image
        var handle = file.dwarf ?? (file === image ? nil : image.dwarf)
        if let candidate = handle, let problem = Self.corruption(in: candidate) {
            search.warning("*** WARNING: corrupt DWARF in \(file.path): \(problem) - using ELF symbols only")
            handle = nil
        } else if handle == nil, file.sectionSize(".debug_info") > 0 {
            // libdw refused the sections outright: as damaged as an unreadable header.
            search.warning("*** WARNING: corrupt DWARF in \(file.path): \(file.dwarfError ?? "unreadable") - using ELF symbols only")
        }
        checkedDwarf = .some(handle)
        return handle
    }

    /// Walks every unit header and reads each unit's first entry (cheap: no children, no
    /// line tables), so a damaged file is refused before a command trusts what it would
    /// read: a version libdw does not know, a unit entry that is not a unit, no unit at all.
    private static func corruption(in dwarf: OpaquePointer) -> String? {
        var offset: Dwarf_Off = 0
        var next: Dwarf_Off = 0
        var headerSize = 0
        var version: Dwarf_Half = 0
        var units = 0
        let unitTags = [DW_TAG_compile_unit, DW_TAG_partial_unit, DW_TAG_type_unit, DW_TAG_skeleton_unit].map { Int32($0) }
        while true {
            let status = dwarf_next_unit(dwarf, offset, &next, &headerSize, &version, nil, nil, nil, nil, nil)
            if status == 1 { return units == 0 ? "no compilation unit" : nil }
            guard status == 0 else { return String(cString: dwarf_errmsg(-1)) }
            guard (2...5).contains(version) else { return "unit at offset 0x\(String(offset, radix: 16)) has version \(version)" }
            var unit = Dwarf_Die()
            guard dwarf_offdie(dwarf, offset + Dwarf_Off(headerSize), &unit) != nil, unitTags.contains(dwarf_tag(&unit)) else {
                return "unit at offset 0x\(String(offset, radix: 16)) does not begin with a unit entry"
            }
            units += 1
            offset = next
        }
    }

    /// The source line of a link-time address, from the line table of the unit covering it.
    public func sourceLine(at address: UInt64) -> SourceLine? {
        guard let dwarf else { return nil }
        var unit = Dwarf_Die()
        guard unitDIE(containing: address, dwarf: dwarf, into: &unit) else { return nil }
        guard let line = dwarf_getsrc_die(&unit, address), let file = dwarf_linesrc(line, nil, nil) else {
            warnIfLineTableIsCorrupt(&unit)
            return nil
        }
        var number: Int32 = 0
        var rowStart: Dwarf_Addr = 0
        guard dwarf_lineno(line, &number) == 0, number > 0, dwarf_lineaddr(line, &rowStart) == 0 else { return nil }
        return SourceLine(file: absolutePath(String(cString: file), unit: &unit), line: Int(number), rowStart: rowStart)
    }

    /// The unit whose entries describe a skeleton unit's code: its split unit (`.dwo`,
    /// found by libdw beside the program or in the compilation directory), else itself.
    func entriesUnit(_ unit: Dwarf_Die) -> Dwarf_Die {
        var unitType: UInt8 = 0
        var split = Dwarf_Die()
        guard let cu = unit.cu, dwarf_cu_info(cu, nil, &unitType, nil, &split, nil, nil, nil) == 0,
              unitType == UInt8(DW_UT_skeleton), split.cu != nil else { return unit }
        return split
    }

    /// The line of an `is_stmt` line-table row that begins exactly at link-time `address`:
    /// a place where a source-level step may stop (rows without it, and the middle of a
    /// row, are not).
    public func statementStart(at address: UInt64) -> SourceLine? {
        guard let dwarf else { return nil }
        var unit = Dwarf_Die()
        guard unitDIE(containing: address, dwarf: dwarf, into: &unit) else { return nil }
        var lines: OpaquePointer? = nil
        var count = 0
        guard dwarf_getsrclines(&unit, &lines, &count) == 0, let lines else { return nil }
        // Rows are sorted by address within a sequence: find the first at `address`.
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            var rowAddress: Dwarf_Addr = 0
            if let row = dwarf_onesrcline(lines, mid), dwarf_lineaddr(row, &rowAddress) == 0, rowAddress < address { low = mid + 1 } else { high = mid }
        }
        var found: SourceLine?
        var index = low
        while index < count, let row = dwarf_onesrcline(lines, index) {
            var rowAddress: Dwarf_Addr = 0
            var isStatement = false
            var number: Int32 = 0
            guard dwarf_lineaddr(row, &rowAddress) == 0, rowAddress == address else { break }
            if dwarf_linebeginstatement(row, &isStatement) == 0, isStatement, dwarf_lineno(row, &number) == 0, number > 0,
               let file = dwarf_linesrc(row, nil, nil) {
                found = SourceLine(file: absolutePath(String(cString: file), unit: &unit), line: Int(number), rowStart: address)
            }
            index += 1
        }
        return found
    }

    /// A unit whose line table libdw cannot read is reported once for the module; its
    /// addresses show without lines.
    private func warnIfLineTableIsCorrupt(_ unit: inout Dwarf_Die) {
        var lines: OpaquePointer? = nil
        var count = 0
        guard !warnedAboutLines, dwarf_hasattr(&unit, UInt32(DW_AT_stmt_list)) != 0, dwarf_getsrclines(&unit, &lines, &count) != 0 else { return }
        warnedAboutLines = true
        search.warning("*** WARNING: corrupt line table in \((debugImage ?? image).path): \(String(cString: dwarf_errmsg(-1))) - no source lines there")
    }

    /// The compilation unit covering a link-time address: through `.debug_aranges` when the
    /// compiler wrote it (gcc), else from the units' own `DW_AT_ranges`/`low_pc`, read once.
    func unitDIE(containing address: UInt64, dwarf: OpaquePointer, into unit: inout Dwarf_Die) -> Bool {
        if dwarf_addrdie(dwarf, address, &unit) != nil { return true }
        if unitRanges == nil { unitRanges = readUnitRanges(dwarf) }
        guard let entry = unitRanges?.first(where: { $0.range.contains(address) }) else { return false }
        return dwarf_offdie(dwarf, entry.offset, &unit) != nil
    }

    private func readUnitRanges(_ dwarf: OpaquePointer) -> [(range: Range<UInt64>, offset: Dwarf_Off)] {
        var result: [(range: Range<UInt64>, offset: Dwarf_Off)] = []
        var offset: Dwarf_Off = 0
        var next: Dwarf_Off = 0
        var headerSize = 0
        while dwarf_nextcu(dwarf, offset, &next, &headerSize, nil, nil, nil) == 0 {
            defer { offset = next }
            var unit = Dwarf_Die()
            let dieOffset = offset + Dwarf_Off(headerSize)
            guard dwarf_offdie(dwarf, dieOffset, &unit) != nil else { continue }
            var base: Dwarf_Addr = 0, start: Dwarf_Addr = 0, end: Dwarf_Addr = 0
            var position = dwarf_ranges(&unit, 0, &base, &start, &end)
            while position > 0 {
                if start < end { result.append((start..<end, dieOffset)) }
                position = dwarf_ranges(&unit, position, &base, &start, &end)
            }
        }
        return result
    }

    /// A line table's file name joined to the unit's compilation directory, `..` folded away,
    /// so sources show with full paths as in WinDbg.
    func absolutePath(_ file: String, unit: inout Dwarf_Die) -> String {
        guard !file.hasPrefix("/") else { return file }
        var attribute = Dwarf_Attribute()
        guard dwarf_attr(&unit, UInt32(DW_AT_comp_dir), &attribute) != nil, let directory = dwarf_formstring(&attribute) else { return file }
        let base = String(cString: directory)
        // libdw already joins names in the compilation directory's own entry (DWARF 5 dir 0).
        let joined = file.hasPrefix(base) ? file : base + "/" + file
        var parts: [Substring] = []
        for part in joined.split(separator: "/") {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            parts.append(part)
        }
        // A relative compilation directory (a reproducible build's) stays relative.
        return (base.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    /// Every file the compilation units' line tables name, read once.
    public var sourceFiles: Set<String> {
        if let sourceFileNames { return sourceFileNames }
        var names: Set<String> = []
        if let dwarf {
            var offset: Dwarf_Off = 0, next: Dwarf_Off = 0
            var headerSize = 0
            while dwarf_nextcu(dwarf, offset, &next, &headerSize, nil, nil, nil) == 0 {
                defer { offset = next }
                var unit = Dwarf_Die()
                var files: OpaquePointer? = nil
                var count = 0
                guard dwarf_offdie(dwarf, offset + Dwarf_Off(headerSize), &unit) != nil, dwarf_getsrcfiles(&unit, &files, &count) == 0 else { continue }
                for index in 0..<count {
                    guard let name = dwarf_filesrc(files, index, nil, nil) else { continue }
                    names.insert(String(cString: name))
                }
            }
        }
        sourceFileNames = names
        return names
    }

    /// Whether a compilation unit's line table names `file` (a bare name matches any
    /// directory).
    public func hasSourceFile(_ file: String) -> Bool {
        let base = file.split(separator: "/").last.map(String.init) ?? file
        return sourceFiles.contains { $0 == file || $0.hasSuffix("/" + file) || (!file.contains("/") && ($0.split(separator: "/").last.map(String.init) ?? $0) == base) }
            || !relativeSpellings(of: file).isEmpty
    }

    /// The line tables' relative names an absolute path ends with: a file compiled as
    /// `gcc Tests/x.c` is `Tests/x.c` there, and an editor names it `/work/Tests/x.c`.
    private func relativeSpellings(of file: String) -> [String] {
        guard file.hasPrefix("/") else { return [] }
        return sourceFiles.filter { !$0.hasPrefix("/") && file.hasSuffix("/" + $0) }
    }

    /// Link-time addresses where code for `file:line` begins (one per inlined or duplicated
    /// copy). A bare file name matches any directory, as libdw compares base names then; an
    /// absolute path matches the relative names it ends with.
    public func addresses(file: String, line: Int) -> [UInt64] {
        let found = addresses(spelled: file, line: line)
        guard found.isEmpty else { return found }
        return Array(Set(relativeSpellings(of: file).flatMap { addresses(spelled: $0, line: line) })).sorted()
    }

    private func addresses(spelled file: String, line: Int) -> [UInt64] {
        guard let dwarf, line > 0, line <= Int(Int32.max) else { return [] }
        var rows: UnsafeMutablePointer<OpaquePointer?>? = nil
        var count = 0
        guard dwarf_getsrc_file(dwarf, file, Int32(line), 0, &rows, &count) == 0, let rows else { return [] }
        defer { free(rows) }
        var result: [UInt64] = []
        for index in 0..<count {
            guard let row = rows[index] else { continue }
            var address: Dwarf_Addr = 0
            var number: Int32 = 0
            guard dwarf_lineaddr(row, &address) == 0, dwarf_lineno(row, &number) == 0, Int(number) == line else { continue }
            result.append(address)
        }
        return Array(Set(result)).sorted()
    }

    /// Folders first (/usr/lib/debug, then the symbol path's) by build ID, then symbol
    /// servers by build ID, then `.gnu_debuglink` beside the file and in the folders.
    private func locateDebugFile() -> ElfImage? {
        let directories = ["/usr/lib/debug"] + search.folders
        let name = image.path.split(separator: "/").last.map(String.init) ?? image.path
        if let id = image.buildID, id.count > 1 {
            let hex = hexDigits(id)
            for directory in directories {
                let path = "\(directory)/.build-id/\(hex.prefix(2))/\(hex.dropFirst(2)).debug"
                if let found = candidate(path, buildID: id) { return found }
            }
            // A module with DWARF of its own needs no server (a slow one would stall every stop).
            if image.sectionSize(".debug_info") == 0, let path = search.fetchDebugFile(buildID: id, module: name),
               let found = candidate(path, buildID: id) {
                return found
            }
        }
        if let link = image.debugLink {
            let folder = String(image.path[..<(image.path.lastIndex(of: "/") ?? image.path.startIndex)])
            for path in ["\(folder)/\(link)", "\(folder)/.debug/\(link)"] + directories.map({ "\($0)\(folder)/\(link)" })
            where path != image.path {
                if let found = candidate(path, buildID: nil) { return found }
            }
        }
        search.note("DBGHELP: \(name) - no debug file found")
        return nil
    }

    /// Opens a possible debug file; one with another build ID is not this module's.
    private func candidate(_ path: String, buildID: [UInt8]?) -> ElfImage? {
        guard access(path, R_OK) == 0 else {
            search.note("DBGHELP: \(path) - file not found")
            return nil
        }
        guard let image = try? ElfImage(path: path) else {
            search.note("DBGHELP: \(path) - not an ELF file")
            return nil
        }
        if let buildID, image.buildID != buildID {
            search.note("DBGHELP: \(path) - build ID mismatch")
            return nil
        }
        search.note("DBGHELP: \(path) - OK")
        return image
    }
}
