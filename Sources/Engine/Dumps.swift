import Arch
import Glibc
import Targets

/// What `.dump` writes: everything (`/ma`), or what a stack trace needs (`/m`).
public enum DumpKind: Sendable {
    /// Every readable mapping's bytes.
    case full
    /// The threads' stacks, the vDSO, the first page of each mapped file (its ELF headers
    /// and build id) and the modules' writable data; mapped files' text is read back from
    /// the files.
    case minimal
}

extension Session {
    /// `.dump`: writes the target as it stands into an ELF core (the program's view of its
    /// memory: the debugger's int3s are not in it). Returns the bytes of memory written.
    @discardableResult
    public func writeDump(to path: String, kind: DumpKind, overwrite: Bool) throws(EngineError) -> UInt64 {
        guard let process, !process.gone else { throw EngineError.noRunnableDebuggees }
        // The last event's thread goes first, with that event's signal (a breakpoint, step or
        // break-in as a breakpoint trap): opening the dump shows the stop it was written at.
        guard let eventThread = lastEventThread.flatMap(process.thread) ?? process.current else { throw EngineError.noRunnableDebuggees }
        let ordered = [eventThread] + process.threads.filter { $0 !== eventThread }
        let threads = ordered.compactMap { thread -> CoreWriter.Thread? in
            guard let registers = try? registers(thread) else { return nil }
            var signal: SignalInfo?
            if thread === eventThread {
                switch lastStop {
                case .signal(let number, _, let code, let fault)?: signal = SignalInfo(signal: number, code: code, address: fault)
                case .crash(let info)?: signal = info
                default: signal = SignalInfo(signal: SIGTRAP, code: 0x80, address: registers.rip)
                }
            }
            return CoreWriter.Thread(tid: thread.tid, registers: registers, vectorState: (try? vectorState(thread))?.bytes, signal: signal)
        }
        let stackPointers = threads.map(\.registers.rsp)
        let loaderData = kind == .minimal ? moduleListMemory() : []
        // The debugger's own scratch pages (out-of-line copies) are not the program's.
        let scratch = Set(process.scratch.pages.map(\.base))
        let regions = process.target.memoryMap().filter { region in
            !["[vvar]", "[vvar_vclock]", "[vsyscall]"].contains(region.path) && !scratch.contains(region.range.lowerBound)
        }.map { region in
            CoreWriter.Dumped(region: region, dumped: region.readable ? dumpedParts(of: region, kind, stackPointers: stackPointers, loaderData: loaderData) : [])
        }
        let executable = process.target.executablePath
        let writer = CoreWriter(processID: process.pid, programName: String(executable.split(separator: "/").last ?? ""),
                                commandLine: executable, threads: threads, auxiliaryVector: process.target.auxiliaryVector(), regions: regions)
        do {
            return try writer.write(to: path, overwrite: overwrite) { [unowned self] address, count in readMemory(address, count: count) }
        } catch { throw EngineError.target(error.description) }
    }

    private func dumpedParts(of region: MemoryRegion, _ kind: DumpKind, stackPointers: [UInt64], loaderData: [Range<UInt64>]) -> [Range<UInt64>] {
        let range = region.range
        guard kind == .minimal else { return [range] }
        // A stack from just below its lowest stack pointer (the red zone) to its top.
        if let lowest = stackPointers.filter(range.contains).min() {
            return [max(range.lowerBound, lowest >= 128 ? (lowest - 128) & ~0xfff : 0)..<range.upperBound]
        }
        if region.path == "[vdso]" { return [range] }
        var parts = loaderData.filter { $0.overlaps(range) }
        if region.path.hasPrefix("/") {
            if region.writable { return [range] }
            if region.offset == 0 { parts.append(range.lowerBound..<min(range.upperBound, range.lowerBound &+ 4096)) }
        }
        return parts
    }

    /// The pages a reader needs to walk the dynamic linker's module list: the executable's
    /// dynamic section (DT_DEBUG), `r_debug`, each `link_map` and its name.
    private func moduleListMemory() -> [Range<UInt64>] {
        guard let process, let rDebug = process.debugStateAddress else { return [] }
        var addresses: [UInt64] = [rDebug]
        if let main = process.modules.modules.first(where: \.isMainProgram), let dynamic = main.symbolFiles?.image.dynamicAddress {
            addresses.append(dynamic &+ main.bias)
        }
        for entry in linkMap() { addresses += [entry.node, entry.name] }
        // A page each, and the next where a structure may cross into it.
        return addresses.flatMap { address -> [Range<UInt64>] in
            let page = address & ~0xfff
            let first = page..<page &+ 4096
            return address &- page > 4096 - 256 ? [first, first.upperBound..<first.upperBound &+ 4096] : [first]
        }
    }
}
