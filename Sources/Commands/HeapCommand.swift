import Arch
import Engine
import Expressions
import Symbols

/// `!heap` for glibc's malloc, laid out from libc's own DWARF (libc6-dbg): `malloc_state`,
/// `malloc_par`, `tcache_perthread_struct`, so it follows the glibc it runs on
/// rather than offsets written down here. `-s` the arenas and their totals, `-a` an arena's
/// chunks, `-p -a addr` the chunk holding an address, `-v` a consistency check.
extension Interpreter {
    static let heapCommands: [CommandSpec] = [
        CommandSpec(names: ["!heap"], summary: "glibc malloc's heap: !heap -s | -a [arena] | -p -a address | -v") { i, inv throws(CommandError) in
            try i.heap(inv.arguments.trimmed())
        },
    ]

    private func heap(_ arguments: Substring) throws(CommandError) {
        let process = try requireProcess()
        let malloc = try MallocHeap(self, process)
        let words = arguments.split(separator: " ").map(String.init)
        switch words.first {
        case "-s"?, nil: malloc.summary()
        case "-a"?:
            let only = try words.count > 1 ? evaluate(Substring(words[1])) : nil
            for arena in malloc.arenas where only == nil || arena.address == only { malloc.listChunks(arena) }
        case "-p"? where words.count == 3 && words[1] == "-a":
            malloc.describe(try evaluate(Substring(words[2])))
        case "-v"?: malloc.verify()
        default: throw CommandError("Usage: !heap -s | -a [arena] | -p -a address | -v")
        }
    }
}

/// One look at malloc's state: the arenas with their chunks and free lists, read once.
struct MallocHeap {
    /// One arena: where its `malloc_state` is, the heap its chunks are in, and what its free
    /// lists hold (chunk addresses).
    struct Arena {
        let address: UInt64
        let isMain: Bool
        let heap: Range<UInt64>
        let top: UInt64
        let systemMemory: UInt64
        /// The heap's first chunk is the tcache of the thread that made the arena.
        var hasTcache = false
        var tcache: [Int: [UInt64]] = [:]
        var fastbins: [Int: [UInt64]] = [:]
        var bins: [Int: [UInt64]] = [:]
        /// What went wrong reading the lists (`-v` reports it).
        var problems: [String] = []
    }

    /// A chunk of the walk: where it is, its size and flags, and what holds it.
    struct Chunk {
        let address: UInt64
        let size: UInt64
        let state: String
    }

    let interpreter: Interpreter
    private(set) var arenas: [Arena] = []
    /// `malloc_state`'s offsets from DWARF, and its size (a non-main arena's chunks follow it).
    private let fastbinsOffset, topOffset, binsOffset, nextOffset, systemMemOffset: Int
    private let stateSize: Int

    init(_ interpreter: Interpreter, _ process: DebuggedProcess) throws(CommandError) {
        self.interpreter = interpreter
        guard let libc = process.modules.modules.first(where: { $0.name == "libc" }) else { throw CommandError("!heap: no libc in this process (glibc's malloc only)") }
        let scope = FrameScope(session: interpreter.session, thread: process.current)
        guard let main = scope.global(named: "main_arena", in: [libc]), let mainAddress = main.address, let files = main.files,
              let parameters = scope.global(named: "mp_", in: [libc]), let parametersAddress = parameters.address else {
            throw CommandError("!heap needs libc's debug information (main_arena, mp_): install libc6-dbg")
        }
        let state = files.expanded(main.type)
        func offset(_ type: TypeLayout, _ name: String) throws(CommandError) -> Int {
            guard let member = type.members.first(where: { $0.name == name }) else { throw CommandError("!heap: this glibc's \(type.name) has no \(name)") }
            return member.offset
        }
        fastbinsOffset = try offset(state, "fastbinsY")
        topOffset = try offset(state, "top")
        binsOffset = try offset(state, "bins")
        nextOffset = try offset(state, "next")
        systemMemOffset = try offset(state, "system_mem")
        stateSize = state.size
        let sbrkBase = read(parametersAddress &+ UInt64(try offset(files.expanded(parameters.type), "sbrk_base")))
        let tcacheType = files.typeLayout(named: "tcache_perthread_struct").map(files.expanded)
        var address = mainAddress
        for _ in 0..<256 {
            let isMain = address == mainAddress
            let top = read(address &+ UInt64(topOffset))
            let topSize = read(top &+ 8) & ~UInt64(7)
            let start = isMain ? sbrkBase : align16(address &+ UInt64(stateSize))
            let end = top &+ topSize
            guard start <= end, end &- start < 1 << 40 else { break }
            var arena = Arena(address: address, isMain: isMain, heap: start..<end, top: top, systemMemory: read(address &+ UInt64(systemMemOffset)))
            readFreeLists(&arena, tcache: tcacheType)
            arenas.append(arena)
            address = read(address &+ UInt64(nextOffset))
            if address == mainAddress || address == 0 { break }
        }
    }

    private func read(_ address: UInt64) -> UInt64 {
        let bytes = interpreter.session.readMemory(address, count: 8)
        return bytes.count == 8 ? bytes.littleEndian(at: 0) : 0
    }

    private func align16(_ value: UInt64) -> UInt64 { (value &+ 15) & ~UInt64(15) }

    /// Safe-linking (glibc 2.32 on): a single list's next pointer is stored xor-ed with its
    /// own address shifted right by 12.
    private func revealed(_ stored: UInt64, at field: UInt64) -> UInt64 { stored ^ (field >> 12) }

    /// tcache (the first chunk of the arena's heap: the tcache of the thread that made the
    /// arena), fastbins, and the doubly linked bins (unsorted, small, large), each list at most
    /// 10,000 long and stopped at a loop.
    private func readFreeLists(_ arena: inout Arena, tcache: TypeLayout?) {
        let first = arena.heap.lowerBound
        if let tcache, let counts = tcache.members.first(where: { $0.name == "counts" }), let entries = tcache.members.first(where: { $0.name == "entries" }),
           case let size = align16(UInt64(tcache.size) + 8), read(first &+ 8) & ~UInt64(7) == size,
           // In use: a thread that ended freed its tcache (it is then in a free list).
           read(first &+ size &+ 8) & 1 != 0 {
            arena.hasTcache = true
            let base = arena.heap.lowerBound &+ 16
            let bins = entries.type.count
            let countBytes = interpreter.session.readMemory(base &+ UInt64(counts.offset), count: 2 * bins)
            for index in 0..<bins {
                var chunks: [UInt64] = []
                var entry = read(base &+ UInt64(entries.offset + 8 * index))
                var seen: Set<UInt64> = []
                while entry != 0, chunks.count < 10_000 {
                    let chunk = entry &- 16
                    if !seen.insert(chunk).inserted {
                        arena.problems.append("tcache[\(index)] (size \(hex(UInt64(32 + 16 * index)))): chunk \(formatAddress(chunk)) is in it twice: a double free")
                        break
                    }
                    chunks.append(chunk)
                    guard arena.heap.contains(chunk) else {
                        arena.problems.append("tcache[\(index)]: entry \(formatAddress(entry)) is outside the arena's heap: a corrupt next pointer")
                        break
                    }
                    entry = revealed(read(entry), at: entry)
                }
                let count = countBytes.count == 2 * bins ? Int(countBytes.littleEndian(at: 2 * index, size: 2)) : chunks.count
                if count != chunks.count, arena.problems.isEmpty || !arena.problems.last!.hasPrefix("tcache[\(index)]") {
                    arena.problems.append("tcache[\(index)]: counts says \(count), the list has \(chunks.count)")
                }
                if !chunks.isEmpty { arena.tcache[index] = chunks }
            }
        }
        for index in 0..<10 {
            var chunks: [UInt64] = []
            var chunk = read(arena.address &+ UInt64(fastbinsOffset + 8 * index))
            var seen: Set<UInt64> = []
            while chunk != 0, chunks.count < 10_000 {
                guard seen.insert(chunk).inserted else {
                    arena.problems.append("fastbin[\(index)]: chunk \(formatAddress(chunk)) is in it twice: a double free")
                    break
                }
                guard arena.heap.contains(chunk) else {
                    arena.problems.append("fastbin[\(index)]: chunk \(formatAddress(chunk)) is outside the arena's heap: a corrupt fd pointer")
                    break
                }
                chunks.append(chunk)
                chunk = revealed(read(chunk &+ 16), at: chunk &+ 16)
            }
            if !chunks.isEmpty { arena.fastbins[index] = chunks }
        }
        for bin in 1..<127 {
            // Bin i's head is a fake chunk whose fd and bk are bins[2i-2] and bins[2i-1].
            let head = arena.address &+ UInt64(binsOffset + 16 * (bin - 1)) &- 16
            var chunks: [UInt64] = []
            var previous = head
            var chunk = read(head &+ 16)
            while chunk != head, chunk != 0, chunks.count < 10_000 {
                guard arena.heap.contains(chunk) else {
                    arena.problems.append("\(binName(bin)): chunk \(formatAddress(previous))'s fd \(formatAddress(chunk)) is outside the heap: a broken link")
                    break
                }
                let back = read(chunk &+ 24)
                if back != previous {
                    arena.problems.append("\(binName(bin)): chunk \(formatAddress(chunk))'s bk is \(formatAddress(back)), not \(formatAddress(previous)) before it: a broken link")
                }
                chunks.append(chunk)
                previous = chunk
                chunk = read(chunk &+ 16)
            }
            if !chunks.isEmpty { arena.bins[bin] = chunks }
        }
    }

    func binName(_ bin: Int) -> String { bin == 1 ? "unsorted bin" : bin < 64 ? "smallbin[\(bin)]" : "largebin[\(bin)]" }

    /// What holds a free chunk, if a list does.
    private func list(of chunk: UInt64, in arena: Arena) -> String? {
        if let (index, _) = arena.tcache.first(where: { $0.value.contains(chunk) }) { return "tcache[\(index)]" }
        if let (index, _) = arena.fastbins.first(where: { $0.value.contains(chunk) }) { return "fastbin[\(index)]" }
        if let (bin, _) = arena.bins.first(where: { $0.value.contains(chunk) }) { return binName(bin) }
        return nil
    }

    /// The chunks from the heap's start to the top chunk, each with its state; the walk
    /// stops at a size that cannot be (and says where).
    func walk(_ arena: Arena) -> (chunks: [Chunk], problem: String?) {
        var chunks: [Chunk] = []
        var address = arena.heap.lowerBound
        while address < arena.top, chunks.count < 1_000_000 {
            let size = read(address &+ 8) & ~UInt64(7)
            guard size >= 32, size % 16 == 0, address &+ size <= arena.top, address &+ size > address else {
                return (chunks, "chunk at \(formatAddress(address)): size \(hex(read(address &+ 8))) is not a chunk size (16-byte multiple, at least 0x20, inside the heap): a bad size, corruption")
            }
            let nextInUse = read(address &+ size &+ 8) & 1 != 0
            let holder = list(of: address, in: arena)
            let state = holder.map { "free (\($0))" } ?? (nextInUse ? "busy" : "free")
            chunks.append(Chunk(address: address, size: size, state: address == arena.heap.lowerBound && arena.hasTcache ? "busy (tcache_perthread_struct)" : state))
            address &+= size
        }
        if address != arena.top { return (chunks, "the walk ended at \(formatAddress(address)), not at the top chunk \(formatAddress(arena.top))") }
        chunks.append(Chunk(address: arena.top, size: read(arena.top &+ 8) & ~UInt64(7), state: "top"))
        return (chunks, nil)
    }

    private var output: Output { interpreter.output }

    private func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    /// `-s`: one line per arena.
    func summary() {
        output.line("  Arena             Kind   Heap start        System(k)  Busy(k)  Free(k)  Chunks  Free  Tcache  Fastbin  Binned")
        output.line("  " + String(repeating: "-", count: 112))
        for arena in arenas {
            let (chunks, problem) = walk(arena)
            let busy = chunks.filter { $0.state.hasPrefix("busy") }.reduce(UInt64(0)) { $0 + $1.size }
            let free = chunks.filter { $0.state.hasPrefix("free") || $0.state == "top" }.reduce(UInt64(0)) { $0 + $1.size }
            let tcache = arena.tcache.values.reduce(0) { $0 + $1.count }
            let fast = arena.fastbins.values.reduce(0) { $0 + $1.count }
            let binned = arena.bins.values.reduce(0) { $0 + $1.count }
            let freeChunks = chunks.filter { $0.state.hasPrefix("free") }.count
            output.line("  \(formatAddress(arena.address))  \((arena.isMain ? "main" : "mmap").padding(to: 5))  \(formatAddress(arena.heap.lowerBound))"
                + String(arena.systemMemory / 1024).leftPadded(to: 11) + String(busy / 1024).leftPadded(to: 9) + String(free / 1024).leftPadded(to: 9)
                + String(chunks.count).leftPadded(to: 8) + String(freeChunks).leftPadded(to: 6) + String(tcache).leftPadded(to: 8)
                + String(fast).leftPadded(to: 9) + String(binned).leftPadded(to: 8))
            for (index, chunks) in arena.tcache.sorted(by: { $0.key < $1.key }) { output.line("      tcache[\(index)] (size \(hex(UInt64(32 + 16 * index)))): \(chunks.count)") }
            for (index, chunks) in arena.fastbins.sorted(by: { $0.key < $1.key }) { output.line("      fastbin[\(index)] (size \(hex(UInt64(32 + 16 * index)))): \(chunks.count)") }
            for (bin, chunks) in arena.bins.sorted(by: { $0.key < $1.key }) { output.line("      \(binName(bin)): \(chunks.count)") }
            if let problem { output.line("      ! \(problem)") }
        }
    }

    /// `-a`: an arena's chunks, in address order.
    func listChunks(_ arena: Arena) {
        output.line("Arena \(formatAddress(arena.address)) (\(arena.isMain ? "main" : "mmap")), heap \(formatAddress(arena.heap.lowerBound))-\(formatAddress(arena.heap.upperBound))")
        output.line("    Chunk                 Size  State")
        let (chunks, problem) = walk(arena)
        for chunk in chunks { output.line("    \(formatAddress(chunk.address))  \(hex(chunk.size).leftPadded(to: 8))  \(chunk.state)") }
        if let problem { output.line("    ! \(problem)") }
    }

    /// `-p -a addr`: the chunk holding an address, as WinDbg's page-heap query shows a block.
    func describe(_ address: UInt64) {
        for arena in arenas where arena.heap.contains(address) || address == arena.top {
            guard let chunk = walk(arena).chunks.last(where: { $0.address <= address && address < $0.address &+ $0.size }) else { continue }
            output.line("    address \(formatAddress(address)) found in")
            output.line("    glibc malloc arena \(formatAddress(arena.address)) (\(arena.isMain ? "main" : "mmap"))")
            output.line("              HEAP_ENTRY     Size          UserPtr  UsableSize - state")
            let usable = chunk.state.hasPrefix("busy") ? chunk.size - 8 : chunk.size - 16
            output.line("        \(formatAddress(chunk.address)) \(hex(chunk.size).leftPadded(to: 8)) \(formatAddress(chunk.address &+ 16)) \(hex(usable).leftPadded(to: 11)) - \(chunk.state)")
            return
        }
        output.line("    address \(formatAddress(address)) is in no malloc arena's heap")
    }

    /// `-v`: every arena's walk and free lists checked; each problem explained.
    func verify() {
        var problems = 0
        var chunks = 0
        for arena in arenas {
            let (walked, problem) = walk(arena)
            chunks += walked.count
            for text in arena.problems + (problem.map { [$0] } ?? []) {
                output.line("arena \(formatAddress(arena.address)): \(text)")
                problems += 1
            }
        }
        output.line(problems == 0 ? "The heap is consistent: \(arenas.count) arena\(arenas.count == 1 ? "" : "s"), \(chunks) chunks walked"
                                  : "\(problems) problem\(problems == 1 ? "" : "s") found in \(arenas.count) arena\(arenas.count == 1 ? "" : "s")")
    }
}
