import Arch
import Symbols
import Targets

/// Follows the dynamic linker's module list: `_r_debug` (found through the executable's
/// DT_DEBUG entry) and its `r_brk` hook, which ld.so calls around every dlopen/dlclose.
extension Session {
    /// Reads the module list from scratch (launch, attach, exec) and plants the r_brk hook.
    func scanModules() {
        guard let process else { return }
        let auxv = process.target.auxiliaryVector()
        let exePath = process.target.executablePath
        if process.modules.modules.isEmpty, !exePath.isEmpty {
            let exeImage = (try? ElfImage(path: exePath)) ?? (try? ElfImage(path: process.target.executableImagePath))
            var exeBias: UInt64 = 0
            if let exeImage, let entry = auxv[AuxiliaryVectorKey.entry] { exeBias = entry &- exeImage.entry }
            addModule(path: exePath, bias: exeBias, image: exeImage, isMain: true)
        }
        // The main module's image and bias (a dump's may come from the symbol path).
        if let main = process.modules.modules.first(where: \.isMainProgram), let dynamic = main.symbolFiles?.image.dynamicAddress {
            (process.debugStateSlot, process.debugStateAddress) = findDebugState(dynamicAddress: dynamic &+ main.bias)
        }
        if let rDebug = process.debugStateAddress {
            let brk = readWord(rDebug &+ 16)
            if let brk, brk != 0, process.loaderBreak != brk {
                process.loaderBreak = brk
                try? insertSite(brk, isInternal: true)
            }
        }
        _ = syncModuleList()
        if !process.isLive { addMappedModules() }
        resolveDeferredBreakpoints()
    }

    /// A dump whose module list is not in its memory (a small one, or a loader caught mid-way):
    /// the ELF files mapped from their start (NT_FILE) are its modules.
    private func addMappedModules() {
        guard let process else { return }
        for region in process.target.memoryMap() where region.offset == 0 && region.path.hasPrefix("/") {
            guard !process.modules.modules.contains(where: { $0.path == region.path || $0.contains(region.range.lowerBound) }),
                  let image = try? ElfImage(path: region.path) else { continue }
            let firstSegment = image.segments.first { $0.fileOffset == 0 }?.address ?? 0
            addModule(path: region.path, bias: region.range.lowerBound &- (firstSegment & ~0xfff), image: image, isMain: region.path == process.target.executablePath)
        }
    }

    /// The GNU build id of the ELF image mapped at `start`, read from the target's memory (a
    /// core holds each file's first page), and the load bias its headers give: what the file
    /// on disk must match, and where it goes.
    func imageInMemory(at start: UInt64) -> (buildID: [UInt8], bias: UInt64)? {
        guard let process else { return nil }
        let header = process.target.readMemory(start, count: 64)
        guard header.count == 64, header.starts(with: [0x7f, 0x45, 0x4c, 0x46]) else { return nil }
        let tableOffset = header.littleEndian(at: 32), entrySize = Int(header.littleEndian(at: 54, size: 2)), count = Int(header.littleEndian(at: 56, size: 2))
        guard entrySize >= 56, count < 256 else { return nil }
        let table = process.target.readMemory(start &+ tableOffset, count: entrySize * count)
        guard table.count == entrySize * count else { return nil }
        // The first PT_LOAD (file offset 0) is what is mapped at `start`.
        guard let first = (0..<count).first(where: { table.littleEndian(at: $0 * entrySize, size: 4) == 1 }) else { return nil }
        let bias = start &- (table.littleEndian(at: first * entrySize + 16) & ~0xfff)
        for index in 0..<count where table.littleEndian(at: index * entrySize, size: 4) == 4 {  // PT_NOTE
            let address = table.littleEndian(at: index * entrySize + 16), size = Int(min(table.littleEndian(at: index * entrySize + 40), 4096))
            let notes = process.target.readMemory(bias &+ address, count: size)
            var cursor = 0
            while cursor + 12 <= notes.count {
                let nameSize = Int(notes.littleEndian(at: cursor, size: 4)), descriptorSize = Int(notes.littleEndian(at: cursor + 4, size: 4))
                let type = notes.littleEndian(at: cursor + 8, size: 4)
                let descriptor = cursor + 12 + (nameSize + 3) & ~3
                guard descriptor + descriptorSize <= notes.count else { break }
                if type == 3, nameSize == 4, notes[(cursor + 12)..<(cursor + 15)].elementsEqual("GNU".utf8) {
                    return (Array(notes[descriptor..<descriptor + descriptorSize]), bias)
                }
                cursor = descriptor + (descriptorSize + 3) & ~3
            }
        }
        return nil
    }

    /// A dump names its files; the ones here may be missing or other builds. The build id in
    /// the dump's memory says which file it ran, and the symbol path may have it: then that
    /// file is the module's (its code read from it too). Otherwise the file here, and why it
    /// does not match.
    private func dumpImage(_ path: String, _ image: ElfImage?, at start: UInt64, bias: inout UInt64) -> (ElfImage?, mismatch: String?) {
        guard let process, let (expected, memoryBias) = imageInMemory(at: start), image?.buildID != expected else { return (image, nil) }
        if let found = symbolSearch.locateImage(buildID: expected, module: moduleName(forPath: path)) {
            onEvent(.notice(.dumpModuleFound(path: path, using: found.path)))
            process.target.useFile(found.path, for: path)
            bias = memoryBias
            return (found, nil)
        }
        guard let found = image?.buildID else { return (image, nil) }
        let mismatch = "build id \(hexDigits(found)), the dump's is \(hexDigits(expected))"
        onEvent(.notice(.dumpModuleMismatch(path: path, reason: mismatch)))
        return (image, mismatch)
    }

    /// `.reload`: forgets every module and reads the list again (symbols reload lazily).
    public func reloadModules() {
        guard let process else { return }
        process.modules.removeAll()
        let quiet = filters.filter("ld")!.action
        _ = filters.set("ld", action: .ignore, commands: nil, argument: filters.filter("ld")!.argument)
        scanModules()
        _ = filters.set("ld", action: quiet, commands: nil, argument: filters.filter("ld")!.argument)
    }

    /// r_brk was hit: when the list is consistent again, report what was added or removed.
    func moduleListChanged(_ thread: ThreadInfo) -> StopEvent? {
        guard let process, let rDebug = process.debugStateAddress else { return nil }
        let state = process.target.readMemory(rDebug &+ 24, count: 4)
        guard state.count == 4, state.allSatisfy({ $0 == 0 }) else { return nil }  // RT_CONSISTENT
        let (added, removed) = syncModuleList()
        if !added.isEmpty { resolveDeferredBreakpoints() }
        for path in removed {
            let filter = filters.filter("ud")!
            if filter.action == .breakFirst && matches(filter, path) {
                process.current = thread
                return StopEvent(kind: .moduleUnload(path: path), thread: thread.tid)
            }
        }
        for module in added {
            let filter = filters.filter("ld")!
            if filter.action == .breakFirst && matches(filter, module.path) {
                process.current = thread
                return StopEvent(kind: .moduleLoad(module), thread: thread.tid)
            }
        }
        return nil
    }

    func matches(_ filter: EventFilter, _ path: String) -> Bool {
        guard let pattern = filter.argument, !pattern.isEmpty else { return true }
        let file = String(path.split(separator: "/").last ?? "")
        return wildcardMatch(pattern, file) || wildcardMatch(pattern, moduleName(forPath: path))
            || wildcardMatch(pattern + "*", file)
    }

    /// Walks the link_map chain and updates the module list; prints ModLoad/Unload lines.
    private func syncModuleList() -> (added: [Module], removed: [String]) {
        guard let process else { return ([], []) }
        var seen: [(path: String, bias: UInt64)] = []
        var map: [MemoryRegion]?
        let listed = process.target.libraryList() ?? linkMap().map { (name: readString($0.name), bias: $0.bias) }
        for (name, bias) in listed {
            if name.hasPrefix("/") {
                seen.append((name, bias))
            } else if !name.isEmpty {
                // `dlopen("./lib.so")`, `LD_PRELOAD=x.so`: the loader keeps the name as given,
                // relative to a working directory that may have changed since; the mapping
                // of the file at the module's base has its real path. The vDSO has no file.
                if map == nil { map = process.target.memoryMap() }
                if let path = mappedPath(of: name, bias: bias, in: map ?? []) {
                    seen.append((path, bias))
                } else if map?.contains(where: { $0.path == "[vdso]" && $0.range.lowerBound == bias }) == true {
                    seen.append((name, bias))
                }
            }
        }
        var removed: [String] = []
        for module in process.modules.modules where !module.isMainProgram {
            if !seen.contains(where: { $0.path == module.path && $0.bias == module.bias }) {
                process.modules.remove(module)
                removed.append(module.path)
                // Its code is unmapped: its int3s are gone with it, and its breakpoints wait
                // for it to be loaded again.
                for address in process.sites.keys where module.contains(address) {
                    process.sites[address] = nil
                    process.scratch.forget(site: address)
                }
                process.blocks.removeAll()
                forgetLocations(in: module)
                onEvent(.moduleUnloaded(module, shown: filters.filter("ud")!.action != .ignore))
            }
        }
        var added: [Module] = []
        for entry in seen where !process.modules.modules.contains(where: { $0.path == entry.path && $0.bias == entry.bias }) {
            let image = entry.path.hasPrefix("/") ? try? ElfImage(path: entry.path) : vdsoImage(at: entry.bias)
            if let module = addModule(path: entry.path, bias: entry.bias, image: image, isMain: false) {
                added.append(module)
            }
        }
        return (added, removed)
    }

    /// The vDSO's image, read from the target's memory (a core holds it too): its symbols and
    /// CFI unwind through it.
    private func vdsoImage(at base: UInt64) -> ElfImage? {
        guard let process, let region = process.target.memoryMap().first(where: { $0.path == "[vdso]" && $0.range.lowerBound == base }),
              region.range.upperBound - region.range.lowerBound <= 1 << 20 else { return nil }
        let size = Int(region.range.upperBound - region.range.lowerBound)
        let bytes = process.target.readMemory(base, count: size)
        guard bytes.count == size else { return nil }
        return try? ElfImage(memory: bytes, name: "vdso")
    }

    /// One `struct link_map` of the dynamic linker's list: where it is, the module's load bias
    /// and where its name is.
    struct LinkMapEntry {
        let node: UInt64
        let bias: UInt64
        let name: UInt64
    }

    /// The dynamic linker's module list (`_r_debug.r_map` on), up to the first node that
    /// cannot be read; 4,096 at most, so a corrupt list ends.
    func linkMap() -> [LinkMapEntry] {
        guard let rDebug = process?.debugStateAddress, var node = readWord(rDebug &+ 8) else { return [] }
        var entries: [LinkMapEntry] = []
        while node != 0, entries.count < 4096 {
            guard let bias = readWord(node), let name = readWord(node &+ 8), let next = readWord(node &+ 24) else { break }
            entries.append(LinkMapEntry(node: node, bias: bias, name: name))
            node = next
        }
        return entries
    }

    /// A shared object of the dynamic linker's list, as a gdb-remote server reports it
    /// (`qXfer:libraries-svr4`): its `struct link_map`, load bias, dynamic section and name.
    public struct LoadedLibrary: Sendable {
        public let linkMap: UInt64
        public let bias: UInt64
        public let dynamic: UInt64
        public let path: String
    }

    /// The dynamic linker's list as it is in memory now (empty before the loader set it up).
    public func loadedLibraries() -> [LoadedLibrary] {
        linkMap().map { entry in
            LoadedLibrary(linkMap: entry.node, bias: entry.bias, dynamic: readWord(entry.node &+ 16) ?? 0, path: readString(entry.name))
        }
    }

    /// The path of the file mapped from offset 0 at (or first above) `bias` whose name ends
    /// like `name`; nil for names no file mapping has (the vDSO).
    private func mappedPath(of name: String, bias: UInt64, in map: [MemoryRegion]) -> String? {
        let file = name.split(separator: "/").last.map(String.init) ?? name
        return map.filter { $0.offset == 0 && $0.path.hasPrefix("/") && $0.path.hasSuffix("/" + file) && $0.range.lowerBound >= bias }
            .min { $0.range.lowerBound < $1.range.lowerBound }?.path
    }

    /// Adds a module; one whose file cannot be read (deleted, replaced, corrupt) is still listed,
    /// at the range the target has it mapped, without symbols.
    @discardableResult
    func addModule(path: String, bias: UInt64, image: ElfImage?, isMain: Bool) -> Module? {
        guard let process else { return nil }
        var image = image, bias = bias, mismatch: String?
        if !process.isLive, let start = image.map({ bias &+ $0.linkRange.lowerBound }) ?? process.target.mappedRange(of: path)?.lowerBound {
            (image, mismatch) = dumpImage(path, image, at: start, bias: &bias)
        }
        var fallback = bias..<bias
        if image == nil {
            guard let mapped = process.target.mappedRange(of: path) else { return nil }
            fallback = mapped
            onEvent(.notice(.unreadableImage(path: path)))
        }
        let module = Module(path: path, name: uniqueName(moduleName(forPath: path)), bias: bias, image: image, symbolSearch: symbolSearch, isMainProgram: isMain, fallbackRange: fallback)
        module.mismatch = mismatch
        process.modules.add(module)
        module.symbolFiles?.prefetchDebugDwarf()
        onEvent(.moduleLoaded(module, shown: filters.filter("ld")!.action != .ignore))
        return module
    }

    /// WinDbg appends the base address when two modules would share a name.
    private func uniqueName(_ name: String) -> String {
        guard let process, process.modules.module(named: name) != nil else { return name }
        var suffix = 2
        while process.modules.module(named: "\(name)_\(suffix)") != nil { suffix += 1 }
        return "\(name)_\(suffix)"
    }

    /// Finds `&_r_debug` in the DT_DEBUG entry of the executable's dynamic section in memory,
    /// and where that entry's value is.
    private func findDebugState(dynamicAddress: UInt64) -> (slot: UInt64?, value: UInt64?) {
        guard let process else { return (nil, nil) }
        let bytes = process.target.readMemory(dynamicAddress, count: 16 * 512)
        var offset = 0
        while offset + 16 <= bytes.count {
            let tag = bytes.littleEndian(at: offset), value = bytes.littleEndian(at: offset + 8)
            if tag == 0 { break }
            if tag == 21 { return (dynamicAddress &+ UInt64(offset + 8), value == 0 ? nil : value) }  // DT_DEBUG
            offset += 16
        }
        return (nil, nil)
    }

    func readWord(_ address: UInt64) -> UInt64? {
        guard let process else { return nil }
        let bytes = process.target.readMemory(address, count: 8)
        return bytes.count == 8 ? bytes.littleEndian(at: 0) : nil
    }

    /// A NUL-terminated string from target memory (at most 4 KiB).
    public func readString(_ address: UInt64, limit: Int = 4096) -> String {
        guard address != 0 else { return "" }
        var result: [UInt8] = []
        var cursor = address
        while result.count < limit {
            let chunk = readMemory(cursor, count: 256)
            if chunk.isEmpty { break }
            if let end = chunk.firstIndex(of: 0) { result += chunk[..<end]; break }
            result += chunk
            cursor += UInt64(chunk.count)
        }
        return String(decoding: result, as: UTF8.self)
    }
}
