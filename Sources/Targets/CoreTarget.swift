import Arch
import Glibc

/// A core file as a target: read-only, every thread standing where the process died. Memory
/// the core leaves out (the text of mapped files, which the kernel does not dump) is read from
/// the files themselves, as gdb does; a file given on the command line replaces the
/// executable the core names (moved, or copied from the machine it crashed on).
public final class CoreTarget: Target {
    public let core: CoreFile
    public let processID: Int32
    public let executablePath: String
    public var executableImagePath: String { executablePath }
    /// The core's path for each mapped file that is read from somewhere else.
    private var substitutes: [String: String]
    /// Open descriptors of mapped files (-1: could not be opened), closed with the target.
    private var descriptors: [String: Int32] = [:]

    public init(core: CoreFile, program: String? = nil) {
        self.core = core
        processID = core.processID != 0 ? core.processID : core.threads[0].tid
        let entry = core.auxiliaryVector[AuxiliaryVectorKey.entry]
        let named = entry.flatMap { core.file(containing: $0)?.path } ?? core.files.first?.path
        if let program {
            executablePath = program
            substitutes = named.map { [$0: program] } ?? [:]
        } else {
            executablePath = named ?? core.programName
            substitutes = [:]
        }
    }

    /// Reads what the core has of `mappedPath` from `replacement`.
    public func useFile(_ replacement: String, for mappedPath: String) {
        substitutes[mappedPath] = replacement
    }

    deinit {
        for fd in descriptors.values where fd >= 0 { close(fd) }
    }

    public func readMemory(_ address: UInt64, count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        buffer.withUnsafeMutableBytes { raw in
            while done < count {
                let cursor = address &+ UInt64(done)
                guard cursor >= address else { break }  // wrapped past the top
                let n = read(cursor, into: raw.baseAddress! + done, count: count - done)
                if n <= 0 { break }
                done += n
            }
        }
        return done == count ? buffer : Array(buffer.prefix(done))
    }

    /// Reads from the one place that holds `address`: the core's bytes, else the mapped file.
    private func read(_ address: UInt64, into destination: UnsafeMutableRawPointer, count: Int) -> Int {
        guard let segment = core.segment(containing: address) else { return 0 }
        let inSegment = address - segment.range.lowerBound
        let available = Int(clamping: segment.range.upperBound - address)
        if inSegment < segment.presentSize {
            let n = min(count, Int(clamping: segment.presentSize - inSegment))
            return core.bytes.copy(offset: Int(clamping: segment.fileOffset + inSegment), length: n, into: destination)
        }
        // Dumped but cut off (a truncated core): what was there is lost.
        guard inSegment >= segment.fileSize, let mapping = core.file(containing: address) else { return 0 }
        let fd = descriptor(substitutes[mapping.path] ?? mapping.path)
        guard fd >= 0 else { return 0 }
        let n = min(count, available, Int(clamping: mapping.range.upperBound - address))
        let result = pread(fd, destination, n, off_t(Int64(bitPattern: mapping.offset &+ (address - mapping.range.lowerBound))))
        return max(0, result)
    }

    private func descriptor(_ path: String) -> Int32 {
        if let known = descriptors[path] { return known }
        // The paths come from the core: only a regular file is read (not a FIFO or a device
        // put there by whoever wrote the core), and opening never blocks.
        var fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        var status = stat()
        if fd >= 0, fstat(fd, &status) != 0 || status.st_mode & S_IFMT != S_IFREG {
            close(fd)
            fd = -1
        }
        descriptors[path] = fd
        return fd
    }

    private func state(_ thread: ThreadID) throws(TargetError) -> CoreFile.ThreadState {
        guard let state = core.threads.first(where: { $0.tid == thread }) else { throw TargetError("No thread \(thread) in the dump") }
        return state
    }

    public func registers(_ thread: ThreadID) throws(TargetError) -> X86Registers { try state(thread).registers }

    public func vectorState(_ thread: ThreadID) throws(TargetError) -> VectorState {
        guard let area = try state(thread).vectorState else { throw TargetError("The dump has no vector registers of thread \(thread)") }
        return VectorState(bytes: area)
    }

    /// The kernel records only the process's name (the main thread's).
    public func threadName(_ thread: ThreadID) -> String? {
        thread == processID && !core.programName.isEmpty ? core.programName : nil
    }

    public func auxiliaryVector() -> [UInt64: UInt64] { core.auxiliaryVector }

    /// The core's segments, named by the files NT_FILE lists; the vDSO and the main thread's
    /// stack by what they hold (a core does not name them).
    public func memoryMap() -> [MemoryRegion] {
        let vdso = core.auxiliaryVector[33]  // AT_SYSINFO_EHDR
        let stack = core.threads.first { $0.tid == processID }?.registers.rsp
        return core.segments.map { segment in
            let mapping = core.file(containing: segment.range.lowerBound)
            var path = mapping.map { substitutes[$0.path] ?? $0.path } ?? ""
            if mapping == nil, let vdso, segment.range.contains(vdso) { path = "[vdso]" }
            if mapping == nil, let stack, segment.range.contains(stack) { path = "[stack]" }
            let offset = mapping.map { $0.offset &+ (segment.range.lowerBound - $0.range.lowerBound) } ?? 0
            return MemoryRegion(range: segment.range, readable: segment.readable, writable: segment.writable,
                                executable: segment.executable, offset: offset, path: path)
        }
    }

    /// A core holds no debug registers (the kernel does not write them).
    public func debugRegisters(_ thread: ThreadID) throws(TargetError) -> DebugRegisters {
        _ = try state(thread)
        return DebugRegisters()
    }

    public func listThreads() -> [ThreadID] { core.threads.map(\.tid) }

    /// The signal that ended the process, for the thread that took it (the first: the kernel
    /// writes every thread's pr_cursig with it): NT_SIGINFO, else pr_cursig alone.
    public func signalInfo(_ thread: ThreadID) -> SignalInfo? {
        guard let first = core.threads.first, first.tid == thread else { return nil }
        if let info = core.signalInfo { return info }
        return first.signal != 0 ? SignalInfo(signal: first.signal, code: 0, address: nil) : nil
    }
}
