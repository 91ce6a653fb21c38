import Arch
import Glibc

/// Writes an ELF core file in the kernel's layout, which gdb, eu-stack and swdbg read: the
/// notes (NT_PRPSINFO; per thread NT_PRSTATUS, NT_FPREGSET and NT_X86_XSTATE; NT_SIGINFO,
/// NT_AUXV, NT_FILE), then one PT_LOAD per region, page-aligned. A region's bytes that cannot
/// be read are left out (its p_filesz ends there), as the kernel does.
public struct CoreWriter {
    /// One thread as it goes into the core.
    public struct Thread {
        public let tid: ThreadID
        public let registers: X86Registers
        public let vectorState: [UInt8]?
        public let signal: SignalInfo?

        public init(tid: ThreadID, registers: X86Registers, vectorState: [UInt8]?, signal: SignalInfo?) {
            self.tid = tid
            self.registers = registers
            self.vectorState = vectorState
            self.signal = signal
        }
    }

    /// Memory to write: `dumped` are the parts of `region` whose bytes go into the core, in
    /// address order (the rest of the region is described, and for a mapped file read back
    /// from the file).
    public struct Dumped {
        public let region: MemoryRegion
        public let dumped: [Range<UInt64>]

        public init(region: MemoryRegion, dumped: [Range<UInt64>]) {
            self.region = region
            var merged: [Range<UInt64>] = []
            for part in dumped.map({ $0.clamped(to: region.range) }).filter({ !$0.isEmpty }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
                if let last = merged.last, part.lowerBound <= last.upperBound {
                    merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, part.upperBound)
                } else {
                    merged.append(part)
                }
            }
            self.dumped = merged
        }

        /// The region as PT_LOAD segments: each dumped part starts one, the memory before it
        /// (not dumped) another; the last runs to the region's end.
        var segments: [(start: UInt64, dumped: Range<UInt64>, end: UInt64)] {
            var result: [(start: UInt64, dumped: Range<UInt64>, end: UInt64)] = []
            var cursor = region.range.lowerBound
            for part in dumped {
                if part.lowerBound > cursor { result.append((cursor, cursor..<cursor, part.lowerBound)) }
                result.append((part.lowerBound, part, part.upperBound))
                cursor = part.upperBound
            }
            if let last = result.last, last.end < region.range.upperBound {
                result[result.count - 1].end = region.range.upperBound
            } else if result.isEmpty {
                result.append((cursor, cursor..<cursor, region.range.upperBound))
            }
            return result
        }
    }

    /// NT_PRPSINFO's process id, name (15 characters kept) and command line (79).
    public var processID: Int32
    public var programName: String
    public var commandLine: String
    /// In the order they go into the core: the one with the signal first.
    public var threads: [Thread]
    public var auxiliaryVector: [UInt64: UInt64]
    /// Every mapping, in address order (NT_FILE names the files among them).
    public var regions: [Dumped]

    public init(processID: Int32, programName: String, commandLine: String, threads: [Thread], auxiliaryVector: [UInt64: UInt64], regions: [Dumped]) {
        self.processID = processID
        self.programName = programName
        self.commandLine = commandLine
        self.threads = threads
        self.auxiliaryVector = auxiliaryVector
        self.regions = regions
    }

    private static let pageSize: UInt64 = 4096

    /// Writes the core to `path` (replacing it only when `overwrite`); `readMemory` gives the
    /// program's view of its memory. Returns the bytes of memory written.
    @discardableResult
    public func write(to path: String, overwrite: Bool, readMemory: (UInt64, Int) -> [UInt8]) throws(TargetError) -> UInt64 {
        if !overwrite, access(path, F_OK) == 0 { throw TargetError("\(path) exists; /o overwrites it") }
        // Written beside it and renamed over it when whole: the file replaced may be the core
        // being read (mapped), which must keep its bytes.
        let partial = path + ".partial"
        let fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TargetError("\(partial): \(errnoText(errno))") }
        var succeeded = false
        defer {
            close(fd)
            if !succeeded { unlink(partial) }
        }
        let notes = noteSegment()
        let segments = regions.flatMap { entry in entry.segments.map { (entry.region, $0) } }
        let count = segments.count + 1
        guard count < 0xffff else { throw TargetError("Cannot write the dump: \(count) segments are more than an ELF core's program header table holds") }
        let notesOffset = 64 + 56 * UInt64(count)
        var cursor = Self.alignUp(notesOffset + UInt64(notes.count))
        var headers = programHeader(type: 4, flags: 4, offset: notesOffset, address: 0, fileSize: UInt64(notes.count), memorySize: 0, align: 1)
        var total: UInt64 = 0
        for (region, segment) in segments {
            var written: UInt64 = 0
            var address = segment.dumped.lowerBound
            // In pieces, so a large mapping is not held whole; a short read ends the segment.
            while address < segment.dumped.upperBound {
                let length = Int(min(segment.dumped.upperBound - address, 1 << 20))
                let bytes = readMemory(address, length)
                try Self.writeSparse(fd, bytes, at: cursor + written)
                written += UInt64(bytes.count)
                address += UInt64(bytes.count)
                if bytes.count < length { break }
            }
            let flags = UInt32((region.readable ? 4 : 0) | (region.writable ? 2 : 0) | (region.executable ? 1 : 0))
            headers += programHeader(type: 1, flags: flags, offset: cursor, address: segment.start, fileSize: written,
                                     memorySize: segment.end - segment.start, align: Self.pageSize)
            cursor = Self.alignUp(cursor + written)
            total += written
        }
        try Self.write(fd, elfHeader(programHeaders: count), at: 0)
        try Self.write(fd, headers, at: 64)
        try Self.write(fd, notes, at: notesOffset)
        // The file ends after the last segment's bytes, also where they were a hole.
        guard ftruncate(fd, off_t(cursor)) == 0 else { throw TargetError("Cannot write the dump: \(errnoText(errno))") }
        guard rename(partial, path) == 0 else { throw TargetError("\(path): \(errnoText(errno))") }
        succeeded = true
        return total
    }

    /// Writes memory leaving pages of zeros as holes (an untouched thread stack is megabytes
    /// of them); they read back as zeros.
    private static func writeSparse(_ fd: Int32, _ bytes: [UInt8], at offset: UInt64) throws(TargetError) {
        var page = 0
        while page < bytes.count {
            let end = min(page + Int(pageSize), bytes.count)
            let zero = bytes[page..<end].allSatisfy { $0 == 0 }
            if !zero { try write(fd, Array(bytes[page..<end]), at: offset + UInt64(page)) }
            page = end
        }
    }

    private static func alignUp(_ value: UInt64) -> UInt64 { (value + pageSize - 1) & ~(pageSize - 1) }

    private static func write(_ fd: Int32, _ bytes: [UInt8], at offset: UInt64) throws(TargetError) {
        guard !bytes.isEmpty else { return }
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        if written != bytes.count { throw TargetError("Cannot write the dump: \(errnoText(errno))") }
    }

    private func elfHeader(programHeaders: Int) -> [UInt8] {
        var header: [UInt8] = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
        header += [UInt8](littleEndian: 4, size: 2)       // ET_CORE
        header += [UInt8](littleEndian: 62, size: 2)      // EM_X86_64
        header += [UInt8](littleEndian: 1, size: 4)       // EV_CURRENT
        header += [UInt8](littleEndian: 0, size: 8)       // e_entry
        header += [UInt8](littleEndian: 64, size: 8)      // e_phoff
        header += [UInt8](littleEndian: 0, size: 8)       // e_shoff
        header += [UInt8](littleEndian: 0, size: 4)       // e_flags
        header += [UInt8](littleEndian: 64, size: 2)      // e_ehsize
        header += [UInt8](littleEndian: 56, size: 2)      // e_phentsize
        header += [UInt8](littleEndian: UInt64(programHeaders), size: 2)
        header += [UInt8](littleEndian: 64, size: 2)      // e_shentsize
        header += [UInt8](littleEndian: 0, size: 2)       // e_shnum
        header += [UInt8](littleEndian: 0, size: 2)       // e_shstrndx
        return header
    }

    private func programHeader(type: UInt32, flags: UInt32, offset: UInt64, address: UInt64, fileSize: UInt64, memorySize: UInt64, align: UInt64) -> [UInt8] {
        [UInt8](littleEndian: UInt64(type), size: 4) + [UInt8](littleEndian: UInt64(flags), size: 4)
            + [UInt8](littleEndian: offset, size: 8) + [UInt8](littleEndian: address, size: 8) + [UInt8](littleEndian: 0, size: 8)
            + [UInt8](littleEndian: fileSize, size: 8) + [UInt8](littleEndian: memorySize, size: 8) + [UInt8](littleEndian: align, size: 8)
    }

    private func noteSegment() -> [UInt8] {
        var notes = Self.note("CORE", type: 3, processInfo())
        // The thread with the signal goes first: readers take the first NT_PRSTATUS as the one that faulted.
        let ordered = threads.filter { $0.signal != nil } + threads.filter { $0.signal == nil }
        for thread in ordered {
            notes += Self.note("CORE", type: 1, status(thread))
            if let area = thread.vectorState, area.count >= 512 {
                notes += Self.note("CORE", type: 2, Array(area.prefix(512)))
                if area.count > 512 { notes += Self.note("LINUX", type: 0x202, area) }
            }
            if thread.tid == ordered.first?.tid, let signal = thread.signal { notes += Self.note("CORE", type: 0x5349_4749, signalInfo(signal)) }
        }
        var auxv: [UInt8] = []
        for (key, value) in auxiliaryVector.sorted(by: { $0.key < $1.key }) { auxv += [UInt8](littleEndian: key, size: 8) + [UInt8](littleEndian: value, size: 8) }
        notes += Self.note("CORE", type: 6, auxv + [UInt8](repeating: 0, count: 16))
        notes += Self.note("CORE", type: 0x4649_4c45, fileNote())
        return notes
    }

    private static func note(_ name: String, type: UInt32, _ descriptor: [UInt8]) -> [UInt8] {
        let nameBytes = Array(name.utf8) + [0]
        var note = [UInt8](littleEndian: UInt64(nameBytes.count), size: 4) + [UInt8](littleEndian: UInt64(descriptor.count), size: 4)
            + [UInt8](littleEndian: UInt64(type), size: 4)
        note += nameBytes + [UInt8](repeating: 0, count: (4 - nameBytes.count % 4) % 4)
        note += descriptor + [UInt8](repeating: 0, count: (4 - descriptor.count % 4) % 4)
        return note
    }

    /// `struct elf_prpsinfo`: state, flags, ids, the name (16) and the command line (80).
    private func processInfo() -> [UInt8] {
        var info = [UInt8](repeating: 0, count: 136)
        info.replaceSubrange(24..<28, with: [UInt8](littleEndian: UInt64(UInt32(bitPattern: processID)), size: 4))
        let name = Array(programName.utf8.prefix(15)), line = Array(commandLine.utf8.prefix(79))
        info.replaceSubrange(40..<40 + name.count, with: name)
        info.replaceSubrange(56..<56 + line.count, with: line)
        return info
    }

    /// `struct elf_prstatus`: the signal at 0 and 12, the tid at 32 (the parent's pid at 36 is
    /// not known: 0), the registers at 112.
    private func status(_ thread: Thread) -> [UInt8] {
        var status = [UInt8](repeating: 0, count: 336)
        if let signal = thread.signal {
            status.replaceSubrange(0..<4, with: [UInt8](littleEndian: UInt64(UInt32(bitPattern: signal.signal)), size: 4))
            status.replaceSubrange(4..<8, with: [UInt8](littleEndian: UInt64(UInt32(bitPattern: signal.code)), size: 4))
            status.replaceSubrange(12..<14, with: [UInt8](littleEndian: UInt64(UInt16(truncatingIfNeeded: signal.signal)), size: 2))
        }
        status.replaceSubrange(32..<36, with: [UInt8](littleEndian: UInt64(UInt32(bitPattern: thread.tid)), size: 4))  // pr_pid: the thread's
        for (index, value) in thread.registers.slots.enumerated() {
            status.replaceSubrange(112 + 8 * index..<120 + 8 * index, with: [UInt8](littleEndian: value, size: 8))
        }
        status.replaceSubrange(328..<332, with: [UInt8](littleEndian: thread.vectorState == nil ? 0 : 1, size: 4))
        return status
    }

    /// siginfo_t: signo, errno, code, then si_addr at 16.
    private func signalInfo(_ signal: SignalInfo) -> [UInt8] {
        var info = [UInt8](repeating: 0, count: 128)
        info.replaceSubrange(0..<4, with: [UInt8](littleEndian: UInt64(UInt32(bitPattern: signal.signal)), size: 4))
        info.replaceSubrange(8..<12, with: [UInt8](littleEndian: UInt64(UInt32(bitPattern: signal.code)), size: 4))
        info.replaceSubrange(16..<24, with: [UInt8](littleEndian: signal.address ?? 0, size: 8))
        return info
    }

    /// NT_FILE: the mappings of files, each with its offset in pages, then their names.
    private func fileNote() -> [UInt8] {
        let files = regions.map(\.region).filter { $0.path.hasPrefix("/") }
        var note = [UInt8](littleEndian: UInt64(files.count), size: 8) + [UInt8](littleEndian: Self.pageSize, size: 8)
        for file in files {
            note += [UInt8](littleEndian: file.range.lowerBound, size: 8) + [UInt8](littleEndian: file.range.upperBound, size: 8)
                + [UInt8](littleEndian: file.offset / Self.pageSize, size: 8)
        }
        for file in files { note += Array(file.path.utf8) + [0] }
        return note
    }
}
