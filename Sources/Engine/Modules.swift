import Arch
import Symbols

/// A module mapped into the target: where it is, its WinDbg name and its ELF image.
public final class Module {
    public let path: String
    public let name: String
    /// Load bias: runtime address minus link-time address.
    public let bias: UInt64
    public let start: UInt64
    public let end: UInt64
    /// The module's ELF file and its debug file; nil when the file could not be read.
    public let symbolFiles: ModuleSymbols?
    /// The executable the process runs (searched first for bare symbol names).
    public let isMainProgram: Bool
    /// Why the file is not the one the target ran (a dump's build id differs); nil when it is.
    public internal(set) var mismatch: String?
    /// Symbols by name, built on first lookup.
    private var byName: [String: UInt64]?

    init(path: String, name: String, bias: UInt64, image: ElfImage?, symbolSearch: SymbolSearch, isMainProgram: Bool, fallbackRange: Range<UInt64>) {
        self.isMainProgram = isMainProgram
        self.path = path
        self.name = name
        self.bias = bias
        symbolFiles = image.map { ModuleSymbols(image: $0, search: symbolSearch) }
        if let range = image?.linkRange, !range.isEmpty {
            start = range.lowerBound &+ bias
            end = range.upperBound &+ bias
        } else {
            start = fallbackRange.lowerBound
            end = fallbackRange.upperBound
        }
    }

    /// The running kernel (`nt`): its image's ELF with the symbols of its kallsyms, from
    /// `_text` to `_end` (the per-CPU segment, linked at 0, is not part of it).
    init(kernel: KernelImage, slide: UInt64, symbolSearch: SymbolSearch) {
        isMainProgram = true
        path = kernel.path
        name = "nt"
        bias = slide
        symbolFiles = ModuleSymbols(image: kernel.elf, search: symbolSearch, providedSymbols: kernel.symbols, providedTypes: kernel.types)
        let last = kernel.symbols.first { $0.name == "_end" }?.address ?? kernel.symbols.last?.address ?? kernel.textAddress
        start = kernel.textAddress &+ slide
        end = max(last, kernel.textAddress &+ 1) &+ slide
    }

    /// A loaded kernel module: its own kallsyms at their runtime addresses (bias 0), the
    /// kernel's image standing in for a file it has no other of.
    init(kernelModule name: String, range: Range<UInt64>, symbols: [ElfSymbol], kernel: KernelImage, symbolSearch: SymbolSearch) {
        isMainProgram = false
        path = name
        self.name = name
        bias = 0
        symbolFiles = ModuleSymbols(image: kernel.elf, search: symbolSearch, providedSymbols: symbols, providedTypes: kernel.types)
        start = range.lowerBound
        end = range.upperBound
    }

    public func contains(_ address: UInt64) -> Bool { address >= start && address < end }

    /// `(deferred)` until symbols were read, then `(dwarf)`, `(elf symbols)` or `(export symbols)`.
    public var symbolState: String { symbolFiles?.state ?? "(no symbols)" }

    public var symbols: [ElfSymbol] { symbolFiles?.symbols ?? [] }

    /// The source line of a runtime address.
    public func sourceLine(at address: UInt64) -> SourceLine? {
        guard var source = symbolFiles?.sourceLine(at: address &- bias) else { return nil }
        source.rowStart &+= bias
        return source
    }

    /// The line of a statement that begins exactly at a runtime address, if one does.
    public func statementStart(at address: UInt64) -> SourceLine? {
        guard var source = symbolFiles?.statementStart(at: address &- bias) else { return nil }
        source.rowStart &+= bias
        return source
    }

    /// Runtime addresses where `file:line` begins.
    public func addresses(file: String, line: Int) -> [UInt64] {
        (symbolFiles?.addresses(file: file, line: line) ?? []).map { $0 &+ bias }
    }

    /// Runtime address of a symbol by exact name: as shown (`geometry::scale`), whole
    /// (`geometry::scale(double)`) or as linked (`_ZN8geometry5scaleEd`).
    public func address(of symbol: String) -> UInt64? {
        if byName == nil {
            // The first symbol to carry a name keeps it. Assigned last to first, so each name
            // costs one insertion (this table is most of a first `bp` in a large library).
            var table: [String: UInt64] = [:]
            table.reserveCapacity(symbols.count * 2)
            // gcc's optimized clones (`compute.isra.0`, `f.constprop.0`, `g.part.0`) answer to
            // the function's name when nothing else has it, as gdb's `break compute` finds them.
            for entry in symbols.reversed() where entry.isFunction {
                if let base = Self.cloneBase(entry.name) { table[base] = entry.address }
            }
            for entry in symbols.reversed() {
                // Only a demangled name has a whole and a linkage form besides the one shown.
                if let fullName = entry.fullName {
                    table[fullName] = entry.address
                    table[entry.linkageName] = entry.address
                }
                table[entry.name] = entry.address
            }
            byName = table
        }
        return byName?[symbol].map { $0 &+ bias }
    }

    /// `compute.isra.0` → `compute`; nil for a name that is no clone.
    static func cloneBase(_ name: String) -> String? {
        guard name.utf8.contains(UInt8(ascii: ".")) else { return nil }
        var parts = name.split(separator: ".", omittingEmptySubsequences: false)
        let original = parts.count
        while parts.count > 1 {
            if parts.last == "cold" {
                parts.removeLast()
            } else if parts.count > 2, let last = parts.last, last.allSatisfy(\.isNumber), ["isra", "constprop", "part"].contains(parts[parts.count - 2]) {
                parts.removeLast(2)
            } else {
                break
            }
        }
        return parts.count < original ? parts.joined(separator: ".") : nil
    }

    /// The symbol covering a runtime address, with the offset into it.
    public func symbol(at address: UInt64) -> (symbol: ElfSymbol, offset: UInt64)? {
        let linkAddress = address &- bias
        let table = symbols
        var low = 0, high = table.count
        while low < high {
            let mid = (low + high) / 2
            if table[mid].address <= linkAddress { low = mid + 1 } else { high = mid }
        }
        // Walk back over later aliases at the same address to the preferred (first) one.
        var index = low - 1
        guard index >= 0 else { return nil }
        while index > 0 && table[index - 1].address == table[index].address { index -= 1 }
        let candidate = table[index]
        let offset = linkAddress - candidate.address
        if candidate.size > 0 && offset >= candidate.size {
            // Past the end of the nearest symbol: only an unsized neighbour can claim it.
            return nil
        }
        return (candidate, offset)
    }
}

/// The modules of one process, sorted by address.
public final class ModuleList {
    public private(set) var modules: [Module] = []

    public init() {}

    func add(_ module: Module) {
        modules.append(module)
        modules.sort { $0.start < $1.start }
    }

    func remove(_ module: Module) { modules.removeAll { $0 === module } }

    func removeAll() { modules.removeAll() }

    public func module(containing address: UInt64) -> Module? {
        modules.first { $0.contains(address) }
    }

    public func module(named name: String) -> Module? {
        modules.first { $0.name.lowercased() == name.lowercased() }
    }

    /// `module!symbol+0xoff`, `module+0xoff` when no symbol covers it, or nil outside every module.
    public func describe(_ address: UInt64, callSite: Bool = false) -> String? {
        let lookup = callSite && address > 0 ? address - 1 : address
        guard let module = module(containing: lookup) else { return nil }
        if let (symbol, offset) = module.symbol(at: lookup) {
            let distance = offset + (address - lookup)
            return distance == 0 ? "\(module.name)!\(symbol.name)" : "\(module.name)!\(symbol.name)+0x\(String(distance, radix: 16))"
        }
        return "\(module.name)+0x\(String(address - module.start, radix: 16))"
    }

    /// Resolves `module!symbol` or a bare `symbol` (searched in load order, main program first).
    public func resolve(_ name: String) -> UInt64? {
        if let bang = name.firstIndex(of: "!") {
            let moduleName = String(name[..<bang])
            let symbol = String(name[name.index(after: bang)...])
            if moduleName.isEmpty {
                // `!name`: a symbol, never a number or register, in any module.
                return searchOrder.lazy.compactMap { $0.address(of: symbol) }.first
            }
            guard let module = module(named: moduleName) else { return nil }
            if symbol.isEmpty { return module.start }
            return module.address(of: symbol)
        }
        for module in searchOrder { if let address = module.address(of: name) { return address } }
        return module(named: name)?.start
    }

    /// Main program first, then the others in address order.
    public var searchOrder: [Module] {
        let main = modules.filter { $0.isMainProgram }
        return main + modules.filter { !$0.isMainProgram }
    }
}

/// Shell-style wildcard match (`*`, `?`), case-insensitive as WinDbg's `x` and `bm` are.
public func wildcardMatch(_ pattern: String, _ text: String) -> Bool {
    WildcardPattern(pattern).matches(text)
}

/// A wildcard pattern prepared once for matching many names (`x libc!*`, `bm`), so a long
/// pattern costs its length once, not once per symbol.
public struct WildcardPattern {
    private let pattern: [UInt8]

    public init(_ text: String) { pattern = text.utf8.map(Self.lower) }

    private static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte }

    public func matches(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { matches($0) } ?? matches(Array(text.utf8))
    }

    private func matches<C: RandomAccessCollection>(_ t: C) -> Bool where C.Element == UInt8, C.Index == Int {
        let p = pattern
        let star = UInt8(ascii: "*"), any = UInt8(ascii: "?")
        var pi = 0, ti = t.startIndex, starAt = -1, mark = t.startIndex
        while ti < t.endIndex {
            let c = Self.lower(t[ti])
            if pi < p.count && (p[pi] == any || p[pi] == c) { pi += 1; ti += 1 }
            else if pi < p.count && p[pi] == star { starAt = pi; mark = ti; pi += 1 }
            else if starAt >= 0 { pi = starAt + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count && p[pi] == star { pi += 1 }
        return pi == p.count
    }
}
