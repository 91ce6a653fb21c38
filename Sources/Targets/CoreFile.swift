import Arch
import CCompress
import Glibc

/// The bytes of a file, mapped read-only (a decompressed core is a memfd, mapped the same
/// way), or held (a core given as bytes: the fuzzer's). Every read is bounds-checked: a core
/// file is untrusted input and may be cut short or garbage.
final class FileBytes {
    private let base: UnsafeRawPointer?
    private let mappedLength: Int
    private let owned: [UInt8]?
    let count: Int
    /// Why a compressed file's bytes end early (the rest could not be decompressed).
    private(set) var decompressionProblem: String?

    /// The file at `path`, decompressed first (into memory) when it is a zstd, xz or gzip file.
    convenience init(path: String) throws(TargetError) {
        guard cc_compression_of(path) != 0 else {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw TargetError("\(path): \(errnoText(errno))") }
            defer { close(fd) }
            try self.init(fd: fd, path: path)
            return
        }
        var error = [CChar](repeating: 0, count: 256)
        var incomplete: Int32 = 0
        let fd = cc_decompressed(path, &error, error.count, &incomplete)
        let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard fd >= 0 else { throw TargetError("\(path): cannot decompress it: \(reason)") }
        defer { close(fd) }
        try self.init(fd: fd, path: path)
        decompressionProblem = incomplete != 0 ? reason : nil
    }

    private init(fd: Int32, path: String) throws(TargetError) {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw TargetError("\(path): \(errnoText(errno))") }
        guard status.st_mode & S_IFMT == S_IFREG else { throw TargetError("\(path): not a regular file") }
        count = Int(status.st_size)
        owned = nil
        mappedLength = count
        guard count > 0 else { base = nil; return }
        guard let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw TargetError("\(path): \(errnoText(errno))")
        }
        base = UnsafeRawPointer(mapped)
    }

    init(bytes: [UInt8]) {
        owned = bytes
        count = bytes.count
        base = nil
        mappedLength = 0
    }

    deinit {
        if let base, mappedLength > 0 { munmap(UnsafeMutableRawPointer(mutating: base), mappedLength) }
    }

    /// Up to `length` bytes at `offset`, fewer where the file ends.
    subscript(offset: Int, length: Int) -> [UInt8] {
        guard offset >= 0, length > 0, offset < count else { return [] }
        let end = offset + min(length, count - offset)
        if let owned { return Array(owned[offset..<end]) }
        guard let base else { return [] }
        return Array(UnsafeRawBufferPointer(start: base + offset, count: end - offset))
    }

    /// Copies up to `length` bytes at `offset` into `destination`; returns how many.
    func copy(offset: Int, length: Int, into destination: UnsafeMutableRawPointer) -> Int {
        guard offset >= 0, length > 0, offset < count else { return 0 }
        let n = min(length, count - offset)
        if let owned {
            owned.withUnsafeBytes { destination.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        } else if let base {
            destination.copyMemory(from: base + offset, byteCount: n)
        } else { return 0 }
        return n
    }

    func word(_ offset: Int) -> UInt64? {
        let bytes = self[offset, 8]
        return bytes.count == 8 ? bytes.littleEndian(at: 0) : nil
    }

    func half(_ offset: Int) -> UInt16? {
        let bytes = self[offset, 2]
        return bytes.count == 2 ? UInt16(bytes[0]) | UInt16(bytes[1]) << 8 : nil
    }

    func int(_ offset: Int) -> UInt32? {
        let bytes = self[offset, 4]
        return bytes.count == 4 ? UInt32(truncatingIfNeeded: bytes.littleEndian(at: 0, size: 4)) : nil
    }
}

/// An ELF core file (`ET_CORE`) as the kernel, gdb's `gcore` or swdbg's `.dump` write it:
/// the threads' registers and signals from the notes, the memory in its `PT_LOAD` segments,
/// and the files that were mapped (NT_FILE). Parsed once, defensively: what a cut-short core
/// does not hold becomes a warning, what is not a core at all an error.
public final class CoreFile {
    /// One thread's state at the time of the dump (NT_PRSTATUS and the notes after it).
    public struct ThreadState: Sendable {
        public let tid: ThreadID
        public let registers: X86Registers
        /// The signal the thread was handling (pr_cursig), 0 for none.
        public let signal: Int32
        /// The XSAVE area (NT_X86_XSTATE) or, without one, the FXSAVE area (NT_FPREGSET).
        public var vectorState: [UInt8]?
    }

    /// A `PT_LOAD` segment: `fileSize` bytes of its memory are in the core at `fileOffset`
    /// (possibly fewer: `presentSize`, where the core was cut short); the rest, for a mapping of
    /// a file, is in the file (the kernel leaves out text it can read back).
    public struct Segment: Sendable {
        public let range: Range<UInt64>
        public let fileOffset: UInt64
        public let fileSize: UInt64
        public let presentSize: UInt64
        public let readable, writable, executable: Bool
    }

    /// One file mapping from NT_FILE.
    public struct FileMapping: Sendable, Equatable {
        public let range: Range<UInt64>
        /// Offset in the file, in bytes.
        public let offset: UInt64
        public let path: String
    }

    public let path: String
    /// The threads in the core's order: the one that took the fatal signal first.
    public private(set) var threads: [ThreadState] = []
    /// The PT_LOAD segments, sorted by address.
    public private(set) var segments: [Segment] = []
    /// The mapped files NT_FILE lists.
    public private(set) var files: [FileMapping] = []
    public private(set) var auxiliaryVector: [UInt64: UInt64] = [:]
    /// The signal that ended the process (NT_SIGINFO), for the first thread (the one that took it).
    public private(set) var signalInfo: SignalInfo?
    /// From NT_PRPSINFO: the process id, the program's name (16 characters at most) and its
    /// command line (80 at most).
    public private(set) var processID: Int32 = 0
    public private(set) var programName = ""
    public private(set) var commandLine = ""
    /// What the core lacks or could not be read: shown once when it is opened.
    public private(set) var warnings: [String] = []
    let bytes: FileBytes

    /// Reads the core at `path` (a zstd, xz or gzip file decompressed first).
    public convenience init(path: String) throws(TargetError) {
        try self.init(path: path, bytes: FileBytes(path: path))
    }

    /// A core already in memory (decompressed).
    public convenience init(path: String, contents: [UInt8]) throws(TargetError) {
        try self.init(path: path, bytes: FileBytes(bytes: contents))
    }

    private init(path: String, bytes: FileBytes) throws(TargetError) {
        self.path = path
        self.bytes = bytes
        let magic = bytes[0, 4]
        guard magic == [0x7f, 0x45, 0x4c, 0x46] else { throw TargetError("\(path): not an ELF core file") }
        guard bytes[4, 1] == [2], bytes[5, 1] == [1] else { throw TargetError("\(path): not a 64-bit little-endian ELF file") }
        guard let type = bytes.half(16), let machine = bytes.half(18) else { throw TargetError("\(path): the ELF header is cut short") }
        guard type == 4 else { throw TargetError("\(path): not a core file (ELF type \(type), not ET_CORE)") }
        guard machine == 62 else { throw TargetError("\(path): a core of another architecture (ELF machine \(machine), not x86-64)") }
        guard let headerOffset = bytes.word(32), let entrySize = bytes.half(54), var count = bytes.half(56).map(Int.init) else {
            throw TargetError("\(path): the ELF header is cut short")
        }
        guard entrySize >= 56 else { throw TargetError("\(path): bad program header size \(entrySize)") }
        if count == 0xffff, let sectionOffset = bytes.word(40), let extended = bytes.int(Int(clamping: sectionOffset) &+ 44) {
            count = Int(extended)  // PN_XNUM: the real count is in section header 0's sh_info
        }
        var notes: [(offset: Int, size: Int)] = []
        for index in 0..<count {
            let offset = Int(clamping: headerOffset) &+ index &* Int(entrySize)
            guard let kind = bytes.int(offset), let flags = bytes.int(offset + 4), let fileOffset = bytes.word(offset + 8),
                  let address = bytes.word(offset + 16), let fileSize = bytes.word(offset + 32), let memorySize = bytes.word(offset + 40) else {
                warnings.append("The program headers are cut short after \(index) of \(count)")
                break
            }
            switch kind {
            case 1:  // PT_LOAD
                guard memorySize > 0, address <= UInt64.max - memorySize else { continue }
                let available = fileOffset < UInt64(bytes.count) ? UInt64(bytes.count) - fileOffset : 0
                segments.append(Segment(range: address..<address + memorySize, fileOffset: fileOffset, fileSize: min(fileSize, memorySize),
                                        presentSize: min(fileSize, memorySize, available),
                                        readable: flags & 4 != 0, writable: flags & 2 != 0, executable: flags & 1 != 0))
            case 4:  // PT_NOTE
                notes.append((Int(clamping: fileOffset), Int(clamping: fileSize)))
            default: break
            }
        }
        segments.sort { $0.range.lowerBound < $1.range.lowerBound }
        for note in notes { readNotes(offset: note.offset, size: note.size) }
        guard !threads.isEmpty else {
            throw TargetError("\(path): the core has no thread (no readable NT_PRSTATUS note)" + (warnings.first.map { "; \($0)" } ?? ""))
        }
        if let problem = bytes.decompressionProblem { warnings.append("The compressed core breaks off: \(problem); what came before it is shown") }
        let missing = segments.filter { $0.presentSize < $0.fileSize }
        if !missing.isEmpty {
            // Sizes come from the file: summed without overflowing on garbage.
            let lost = missing.reduce(UInt64(0)) { total, segment in
                let (sum, overflow) = total.addingReportingOverflow(segment.fileSize - segment.presentSize)
                return overflow ? UInt64.max : sum
            }
            warnings.append("The core file is truncated: \(lost) bytes of memory in \(missing.count) segments are missing (the dump was cut short, by a size limit?)")
        }
    }

    /// Walks one PT_NOTE segment: `namesz descsz type name desc`, each padded to 4 bytes.
    private func readNotes(offset: Int, size: Int) {
        guard offset >= 0, offset < bytes.count, size >= 0 else { return warnings.append("A note segment lies outside the file") }
        var cursor = offset
        let end = offset &+ min(size, max(0, bytes.count - offset))
        while cursor + 12 <= end {
            guard let nameSize = bytes.int(cursor).map(Int.init), let descriptorSize = bytes.int(cursor + 4).map(Int.init),
                  let type = bytes.int(cursor + 8) else { return }
            let nameStart = cursor + 12
            let descriptorStart = nameStart + (nameSize + 3) & ~3
            let next = descriptorStart + (descriptorSize + 3) & ~3
            guard nameSize <= 4096, descriptorSize <= end - descriptorStart, next <= end || descriptorStart + descriptorSize == end else {
                warnings.append("A malformed note at offset 0x\(String(cursor, radix: 16)) ends the notes")
                return
            }
            let name = String(decoding: bytes[nameStart, nameSize].prefix { $0 != 0 }, as: UTF8.self)
            let descriptor = bytes[descriptorStart, descriptorSize]
            if name == "CORE" || name == "LINUX" { readNote(type: type, descriptor) }
            cursor = next
        }
    }

    private func readNote(type: UInt32, _ data: [UInt8]) {
        switch type {
        case 1:  // NT_PRSTATUS: siginfo (12), cursig at 12, ... pid at 32, pr_reg at 112
            guard data.count >= 112 + 27 * 8 else { return warnings.append("An NT_PRSTATUS note is too short (\(data.count) bytes)") }
            let slots = (0..<27).map { data.littleEndian(at: 112 + 8 * $0) }
            let signal = Int32(truncatingIfNeeded: data.littleEndian(at: 12, size: 2))
            let tid = Int32(truncatingIfNeeded: data.littleEndian(at: 32, size: 4))
            threads.append(ThreadState(tid: tid, registers: X86Registers(slots: slots), signal: signal))
        case 2:  // NT_FPREGSET: the FXSAVE area of the thread before it
            guard data.count >= 512, !threads.isEmpty, threads[threads.count - 1].vectorState == nil else { return }
            threads[threads.count - 1].vectorState = Array(data.prefix(512))
        case 0x202:  // NT_X86_XSTATE
            guard data.count >= 512, !threads.isEmpty else { return }
            threads[threads.count - 1].vectorState = data
        case 3:  // NT_PRPSINFO
            guard data.count >= 136 else { return }
            processID = Int32(truncatingIfNeeded: data.littleEndian(at: 24, size: 4))
            programName = Self.string(data[40..<56])
            commandLine = String(Self.string(data[56..<136]).trimmed())
        case 6:  // NT_AUXV
            auxiliaryVector = parseAuxiliaryVector(data)
        case 0x5349_4749:  // NT_SIGINFO
            guard data.count >= 24 else { return }
            let signal = Int32(truncatingIfNeeded: data.littleEndian(at: 0, size: 4))
            signalInfo = SignalInfo(signal: signal, code: Int32(truncatingIfNeeded: data.littleEndian(at: 8, size: 4)),
                                    address: SignalInfo.hasFaultAddress(signal) ? data.littleEndian(at: 16) : nil)
        case 0x4649_4c45:  // NT_FILE: count, page size, count × (start, end, page offset), names
            guard data.count >= 16 else { return }
            let count = Int(clamping: data.littleEndian(at: 0)), pageSize = data.littleEndian(at: 8)
            guard count <= (data.count - 16) / 24 else { return warnings.append("The NT_FILE note is malformed (\(count) files)") }
            var names = data[(16 + 24 * count)...].split(separator: 0, omittingEmptySubsequences: false).makeIterator()
            for index in 0..<count {
                let entry = 16 + 24 * index
                let start = data.littleEndian(at: entry), end = data.littleEndian(at: entry + 8)
                guard let name = names.next(), start < end else { continue }
                files.append(FileMapping(range: start..<end, offset: data.littleEndian(at: entry + 16) &* pageSize,
                                         path: String(decoding: name, as: UTF8.self)))
            }
        default: break
        }
    }

    private static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The segment holding an address (segments are sorted and do not overlap).
    func segment(containing address: UInt64) -> Segment? {
        var low = 0, high = segments.count
        while low < high {
            let middle = (low + high) / 2
            if segments[middle].range.upperBound <= address { low = middle + 1 } else { high = middle }
        }
        return low < segments.count && segments[low].range.contains(address) ? segments[low] : nil
    }

    /// The file mapped at an address, if any.
    public func file(containing address: UInt64) -> FileMapping? {
        files.first { $0.range.contains(address) }
    }
}
