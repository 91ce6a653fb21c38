import Arch
import Engine
import Expressions
import Symbols
import Targets

/// `!address`: the process's memory map in WinDbg's layout — each region's base, end, size,
/// type (MEM_IMAGE, MEM_MAPPED, MEM_PRIVATE), state, protection and usage (Image with its
/// module, Stack with its thread, Heap for the brk heap and malloc's mmap'd arenas,
/// MappedFile, Anonymous, Other, and the Free gaps); `!address addr` for one address,
/// `!address -summary` with the usage, type, state and protection tables. Live or dump.
extension Interpreter {
    static let addressCommands: [CommandSpec] = [
        CommandSpec(names: ["!address"], summary: "the memory map by usage: !address [-summary | address]") { i, inv throws(CommandError) in
            try i.showAddresses(inv.arguments.trimmed())
        },
    ]

    /// One region as `!address` classifies it.
    struct AddressRegion {
        let range: Range<UInt64>
        let type: String
        let state: String
        let protect: String
        let usage: String
        /// What the usage is of: `[loop; "/tmp/loop"]`, `[~0; 4d2.4d2]`, a file's path.
        let detail: String
        let image: Module?
    }

    private func showAddresses(_ arguments: Substring) throws(CommandError) {
        let process = try requireProcess()
        let regions = classifiedRegions(process)
        if arguments == "-summary" { return showAddressSummary(regions) }
        if !arguments.isEmpty {
            guard !arguments.hasPrefix("-") else { throw CommandError("Usage: !address [-summary | address]") }
            return showAddress(try evaluate(arguments), in: regions)
        }
        output.line("")
        output.line("        BaseAddress      EndAddress+1        RegionSize     Type       State                 Protect             Usage")
        output.line(String(repeating: "-", count: 122))
        for region in regions {
            let columns = "+ \(formatAddress(region.range.lowerBound)) \(formatAddress(region.range.upperBound)) \(formatAddress(UInt64(region.range.count))) "
                + region.type.padding(to: 12) + region.state.padding(to: 12) + region.protect.padding(to: 35) + region.usage.padding(to: 11)
            output.line(columns + region.detail)
        }
    }

    /// The map with the gaps between regions as Free, up to the top of user space.
    func classifiedRegions(_ process: DebuggedProcess) -> [AddressRegion] {
        let map = process.target.memoryMap().sorted { $0.range.lowerBound < $1.range.lowerBound }
        let stacks = threadStacks(process)
        let heaps = arenaHeaps(process)
        var result: [AddressRegion] = []
        var cursor: UInt64 = 0
        let userTop: UInt64 = 0x7fff_ffff_f000
        for region in map {
            if region.range.lowerBound > cursor, cursor < userTop {
                result.append(free(cursor..<min(region.range.lowerBound, userTop)))
            }
            result.append(classify(region, process, stacks: stacks, heaps: heaps))
            cursor = max(cursor, region.range.upperBound)
        }
        if cursor < userTop { result.append(free(cursor..<userTop)) }
        return result
    }

    private func free(_ range: Range<UInt64>) -> AddressRegion {
        AddressRegion(range: range, type: "", state: "MEM_FREE", protect: "PAGE_NOACCESS", usage: "Free", detail: "", image: nil)
    }

    private func classify(_ region: MemoryRegion, _ process: DebuggedProcess, stacks: [(sp: UInt64, thread: ThreadInfo)], heaps: [Range<UInt64>]) -> AddressRegion {
        let reserved = !region.readable && !region.writable && !region.executable
        let protect = reserved ? "PAGE_NOACCESS"
            : region.executable ? (region.writable ? "PAGE_EXECUTE_READWRITE" : region.readable ? "PAGE_EXECUTE_READ" : "PAGE_EXECUTE")
            : region.writable ? "PAGE_READWRITE" : "PAGE_READONLY"
        let state = reserved ? "MEM_RESERVE" : "MEM_COMMIT"
        // A module's own mappings (its file by whatever path the kernel names it, its .bss)
        // lie in its range.
        let module = process.modules.modules.first { $0.contains(region.range.lowerBound) && !region.path.hasPrefix("[") || $0.contains(region.range.lowerBound) && region.path == "[vdso]" }
        func made(_ type: String, _ usage: String, _ detail: String, image: Module? = nil) -> AddressRegion {
            AddressRegion(range: region.range, type: type, state: state, protect: protect, usage: usage, detail: detail, image: image)
        }
        if let module { return made("MEM_IMAGE", "Image", "[\(module.name); \"\(module.path)\"]", image: module) }
        if let stack = stacks.first(where: { region.range.contains($0.sp) }) ?? (region.path == "[stack]" ? stacks.first { $0.thread.tid == process.pid } : nil) {
            return made("MEM_PRIVATE", "Stack", "[~\(stack.thread.index); \(session.eventPrefix(stack.thread.tid))]")
        }
        if region.path == "[stack]" { return made("MEM_PRIVATE", "Stack", "") }
        if region.path == "[heap]" { return made("MEM_PRIVATE", "Heap", "[brk heap]") }
        if heaps.contains(where: { $0.overlaps(region.range) }) { return made("MEM_PRIVATE", "Heap", "[malloc arena]") }
        if region.path.hasPrefix("/") { return made("MEM_MAPPED", "MappedFile", "\"\(region.path)\"") }
        if region.path.isEmpty { return made("MEM_PRIVATE", "Anonymous", "") }
        return made("MEM_PRIVATE", "Other", region.path)
    }

    /// Each thread's stack pointer: the region holding it is that thread's stack.
    private func threadStacks(_ process: DebuggedProcess) -> [(sp: UInt64, thread: ThreadInfo)] {
        process.threads.compactMap { thread in
            guard let registers = try? session.registers(thread) else { return nil }
            return (registers.rsp, thread)
        }
    }

    /// The heaps of malloc's arenas other than the main one (which is the brk heap): each
    /// arena of `main_arena.next`'s ring lives in a `heap_info` at its address rounded down
    /// to HEAP_MAX_SIZE (64 MiB), whose mapping is the heap. Laid out from libc's DWARF
    /// (libc6-dbg); none without it.
    private func arenaHeaps(_ process: DebuggedProcess) -> [Range<UInt64>] {
        guard let libc = process.modules.modules.first(where: { $0.name == "libc" }) else { return [] }
        let scope = FrameScope(session: session, thread: process.current)
        guard let arena = scope.global(named: "main_arena", in: [libc]), let base = arena.address, let files = arena.files,
              let next = files.expanded(arena.type).members.first(where: { $0.name == "next" }) else { return [] }
        var heaps: [Range<UInt64>] = []
        var current = base
        for _ in 0..<256 {
            let bytes = session.readMemory(current &+ UInt64(next.offset), count: 8)
            guard bytes.count == 8 else { break }
            current = bytes.littleEndian(at: 0)
            guard current != base, current != 0 else { break }
            let heapInfo = current & ~UInt64((64 << 20) - 1)
            guard heapInfo <= UInt64.max - (64 << 20) else { break }
            // The heap reserves HEAP_MAX_SIZE: what it committed and what it keeps back.
            heaps.append(heapInfo..<heapInfo &+ (64 << 20))
        }
        return heaps
    }

    private func showAddress(_ address: UInt64, in regions: [AddressRegion]) {
        guard let region = regions.first(where: { $0.range.contains(address) }) else {
            output.line("Address \(formatAddress(address)) is outside the user address space")
            return
        }
        let codes: [String: UInt64] = ["MEM_COMMIT": 0x1000, "MEM_RESERVE": 0x2000, "MEM_FREE": 0x10000, "MEM_PRIVATE": 0x20000, "MEM_MAPPED": 0x40000,
                                       "MEM_IMAGE": 0x100_0000, "PAGE_NOACCESS": 0x01, "PAGE_READONLY": 0x02, "PAGE_READWRITE": 0x04, "PAGE_EXECUTE": 0x10,
                                       "PAGE_EXECUTE_READ": 0x20, "PAGE_EXECUTE_READWRITE": 0x40]
        func coded(_ name: String) -> String { zeroPaddedHex(codes[name] ?? 0, digits: 8) + "          " + name }
        output.line("Usage:                  \(region.usage)")
        output.line("Base Address:           \(formatAddress(region.range.lowerBound))")
        output.line("End Address:            \(formatAddress(region.range.upperBound))")
        output.line("Region Size:            \(formatAddress(UInt64(region.range.count))) (\(sizeText(UInt64(region.range.count))))")
        output.line("State:                  \(coded(region.state))")
        output.line("Protect:                \(coded(region.protect))")
        if !region.type.isEmpty { output.line("Type:                   \(coded(region.type))") }
        if let module = region.image {
            output.line("Allocation Base:        \(formatAddress(module.start))")
            output.line("Image Path:             \(module.path)")
            output.line("Module Name:            \(module.name)")
        } else if !region.detail.isEmpty {
            output.line("More info:              \(region.detail)")
        }
    }

    private func showAddressSummary(_ regions: [AddressRegion]) {
        let busy = regions.filter { $0.usage != "Free" }.reduce(UInt64(0)) { $0 + UInt64($1.range.count) }
        let total = regions.reduce(UInt64(0)) { $0 + UInt64($1.range.count) }
        func table(_ title: String, _ key: (AddressRegion) -> String?, busyShare: Bool = true) {
            output.line("")
            let head = "--- \(title) "
            output.line(head + String(repeating: "-", count: max(0, 34 - head.count)) + " RgnCount ----------- Total Size -------- %ofBusy %ofTotal")
            var groups: [(name: String, count: Int, size: UInt64)] = []
            for region in regions {
                guard let name = key(region) else { continue }
                if let index = groups.firstIndex(where: { $0.name == name }) {
                    groups[index].count += 1
                    groups[index].size += UInt64(region.range.count)
                } else {
                    groups.append((name, 1, UInt64(region.range.count)))
                }
            }
            for group in groups.sorted(by: { $0.size > $1.size }) {
                let ofBusy = group.name == "Free" || group.name == "MEM_FREE" || !busyShare || busy == 0 ? "       " : percent(group.size, busy)
                output.line(group.name.padding(to: 34) + String(group.count).leftPadded(to: 9) + "  " + formatAddress(group.size).leftPadded(to: 17)
                    + " (" + sizeText(group.size) + ") " + ofBusy + " " + percent(group.size, total))
            }
        }
        table("Usage Summary") { $0.usage }
        table("Type Summary (for busy)") { $0.type.isEmpty ? nil : $0.type }
        table("State Summary") { $0.state }
        table("Protect Summary (for commit)") { $0.state == "MEM_COMMIT" ? $0.protect : nil }
        output.line("")
        output.line("--- Largest Region by Usage ----------- Base Address -------- Region Size ----------")
        var seen: [String] = []
        for region in regions.sorted(by: { $0.range.count > $1.range.count }) where !seen.contains(region.usage) {
            seen.append(region.usage)
            output.line(region.usage.padding(to: 34) + formatAddress(region.range.lowerBound).leftPadded(to: 21) + formatAddress(UInt64(region.range.count)).leftPadded(to: 21)
                + " (" + sizeText(UInt64(region.range.count)) + ") " + region.detail)
        }
    }

    private func percent(_ part: UInt64, _ whole: UInt64) -> String {
        guard whole > 0 else { return "  0.00%" }
        let hundredths = (Double(part) / Double(whole) * 10_000).rounded()
        return (String(Int(hundredths) / 100) + "." + String(Int(hundredths) % 100).leftPadded(to: 2, with: "0") + "%").leftPadded(to: 7)
    }

    /// `4.000 kB`, `127.992 TB`: three decimals, as WinDbg writes sizes.
    func sizeText(_ size: UInt64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(size)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let thousandths = Int((value * 1000).rounded())
        return (String(thousandths / 1000) + "." + String(thousandths % 1000).leftPadded(to: 3, with: "0")).leftPadded(to: 8) + " " + units[unit]
    }
}
