import Arch
import Glibc

/// One register of a stub's target description (`qXfer:features:read:target.xml`): its
/// name, size and where it lies in the `g` packet.
public struct RemoteRegister: Sendable, Equatable {
    /// gdb's name (`rax`, `eflags`, `xmm0`, `ymm0h`) or lldb's (`rflags`).
    public let name: String
    /// The number `p` and `P` take.
    public let number: Int
    public let bitSize: Int
    /// Byte offset in the `g` reply.
    public let offset: Int
}

/// The registers a stub describes, in the order of its `g` packet. gdbserver lists them in
/// one document without offsets (each follows the one before); lldb-server gives offsets and
/// adds sub-registers (eax inside rax), which take no room of their own.
public enum TargetDescription {
    /// Every `<reg .../>` of the documents, `include` fetched through `fetch`.
    public static func registers(_ document: String, fetch: (String) -> String?) -> [RemoteRegister] {
        var result: [RemoteRegister] = []
        var nextNumber = 0, nextOffset = 0
        var seen = Set<String>()
        func walk(_ text: String, depth: Int) {
            var rest = Substring(text)
            while let open = rest.firstIndex(of: "<") {
                guard let close = rest[open...].firstIndex(of: ">") else { return }
                let tag = rest[rest.index(after: open)..<close]
                rest = rest[rest.index(after: close)...]
                if tag.hasPrefix("xi:include"), depth < 8, let href = xmlAttribute("href", in: tag), seen.insert(href).inserted, let included = fetch(href) {
                    walk(included, depth: depth + 1)
                } else if tag.hasPrefix("reg "), let name = xmlAttribute("name", in: tag), let bits = xmlAttribute("bitsize", in: tag).flatMap({ Int($0) }),
                          bits > 0, bits <= 8192, bits % 8 == 0 {
                    // Numbers from the stub: a register outside sane bounds is left out.
                    let number = xmlAttribute("regnum", in: tag).flatMap { Int($0) } ?? nextNumber
                    let explicit = xmlAttribute("offset", in: tag).flatMap { Int($0) }
                    guard (0..<100_000).contains(number), (0...(1 << 20) - bits / 8).contains(explicit ?? nextOffset) else { continue }
                    // A sub-register (lldb: `value_regnums`) lives inside another: no room of its own.
                    let isPart = xmlAttribute("value_regnums", in: tag) != nil
                    let offset = explicit ?? nextOffset
                    result.append(RemoteRegister(name: name, number: number, bitSize: bits, offset: offset))
                    nextNumber = number + 1
                    if !isPart { nextOffset = max(nextOffset, offset + bits / 8) }
                }
            }
        }
        walk(document, depth: 0)
        return result
    }

    /// The registers laid out as a `g` reply of `length` bytes has them. QEMU 7.2 describes
    /// ss_base, ds_base and es_base, which its `g` leaves out (its fs_base follows gs): where
    /// the reply is short by exactly those, they go and the registers after them move up.
    public static func fitted(_ registers: [RemoteRegister], generalLength length: Int) -> [RemoteRegister] {
        let end = registers.map { $0.offset + $0.bitSize / 8 }.max() ?? 0
        let phantom = registers.filter { ["ss_base", "ds_base", "es_base"].contains($0.name) }.sorted { $0.offset < $1.offset }
        let size = phantom.reduce(0) { $0 + $1.bitSize / 8 }
        // Three in a row, nothing else inside them; those after them move up by their size.
        guard phantom.count == 3, length < end, end - length == size, let first = phantom.first?.offset,
              zip(phantom, phantom.dropFirst()).allSatisfy({ $0.offset + $0.bitSize / 8 == $1.offset }),
              !registers.contains(where: { !phantom.contains($0) && $0.offset >= first && $0.offset < first + size }) else { return registers }
        return registers.filter { !phantom.contains($0) }.map { register in
            register.offset >= first + size ? RemoteRegister(name: register.name, number: register.number, bitSize: register.bitSize, offset: register.offset - size) : register
        }
    }

}

/// XML's five entities decoded (a path with `&` in it).
func xmlText(_ text: String) -> String {
    guard text.contains("&") else { return text }
    return text.replacing("&lt;", with: "<").replacing("&gt;", with: ">").replacing("&quot;", with: "\"")
        .replacing("&apos;", with: "'").replacing("&amp;", with: "&")
}

/// The value of `name="…"` in an XML element's text (the stubs' documents need no more).
func xmlAttribute(_ name: String, in element: Substring) -> String? {
    guard let range = element.firstRange(of: " \(name)=\"") else { return nil }
    let value = element[range.upperBound...]
    guard let end = value.firstIndex(of: "\"") else { return nil }
    return String(value[..<end])
}

/// A process under a gdb-remote stub (gdbserver, lldb-server): threads, registers (general
/// and vector), memory, the memory map and the auxiliary vector through the protocol, and
/// run control (`RemoteControl.swift`) on the stub's all-stop model.
public final class RemoteTarget: LiveTarget {
    let connection: RemoteConnection
    let registers: [RemoteRegister]
    /// The process the stub has (from its thread ids, `p<pid>.<tid>`).
    public let processID: Int32
    /// The program's path on the stub's machine.
    public internal(set) var executablePath = ""
    public var executableImagePath: String { executablePath }
    /// The stub's thread ids (`p<pid>.<tid>` where it speaks multiprocess) by tid.
    var threadIDs: [ThreadID: String] = [:]
    var threadOrder: [ThreadID] = []
    /// Each thread's last stop reply (its signal and why: `swbreak`, `watch:addr`, ...).
    var lastStops: [ThreadID: RemoteStopReply] = [:]
    var cachedRegisters: [ThreadID: [UInt8]] = [:]
    /// The length of the `g` reply (what `G` must send back).
    var generalLength: [ThreadID: Int] = [:]
    var cachedMap: [MemoryRegion]?
    /// Pieces of memory read since the target last ran (`readMemory`).
    var memoryPieces: [UInt64: [UInt8]] = [:]
    /// The thread `Hg` chose since the target last ran.
    var selectedThread: ThreadID?
    /// The stub has no file access (`vFile`, QEMU): not asked again.
    var hasNoFiles = false
    private let maximumPacket: Int
    private let description: String
    /// `qXfer:siginfo:read` (the stopped thread's real siginfo) is offered.
    private let hasSignalInfo: Bool
    /// Signals are the host's numbers (lldb-server's `native-signals`), not gdb's.
    let nativeSignals: Bool
    /// Process ids go with thread ids, and with a detach (`D;pid`).
    let multiprocess: Bool
    /// gdb's binary memory read (`x`, `binary-upload+`); lldb-server's `x` replies differ.
    private let binaryReads: Bool
    /// `qXfer:libraries-svr4:read`: the loader's list in one request.
    private let hasLibraryList: Bool
    /// The stub started the program (`vRun`): it ends with the session unless detached.
    public let launched: Bool
    /// Thread names from `qXfer:threads:read` (gdbserver has it), by tid.
    private var names: [ThreadID: String] = [:]
    /// Run control's state (`RemoteControl.swift`).
    var control = RemoteRunState()
    public let capabilities: TargetCapabilities

    /// A process the stub still has when the session lets it go: detached, or killed when the
    /// stub started it.
    deinit { releaseProcess() }

    /// Connects to a stub that has a process (`gdbserver --attach`, or started with a program),
    /// or starts `program` under one that can (`gdbserver --multi`, `vRun`), and reads what the
    /// session needs first.
    public static func connect(_ address: RemoteConnection.Address, launching program: [String]? = nil) throws(TargetError) -> RemoteTarget {
        try RemoteTarget(connection: RemoteConnection.connect(address), address: address.description, launching: program)
    }

    /// Connects to a machine's stub (QEMU's gdbstub): its threads are its CPUs.
    public static func connectMachine(_ address: RemoteConnection.Address) throws(TargetError) -> RemoteTarget {
        let target = try RemoteTarget(connection: RemoteConnection.connect(address), address: address.description, launching: nil)
        target.control.fixedThreads = true
        return target
    }

    private init(connection: RemoteConnection, address: String, launching program: [String]?) throws(TargetError) {
        self.connection = connection
        description = address
        let features = String(decoding: try connection.request("qSupported:multiprocess+;swbreak+;hwbreak+;fork-events+;vfork-events+;exec-events+;xmlRegisters=i386"), as: UTF8.self)
        let supported = Set(features.split(separator: ";").map(String.init))
        maximumPacket = min(1 << 20, max(256, features.split(separator: ";").first { $0.hasPrefix("PacketSize=") }
            .flatMap { Int($0.dropFirst("PacketSize=".count), radix: 16) } ?? 4096))
        multiprocess = supported.contains("multiprocess+")
        hasSignalInfo = supported.contains("qXfer:siginfo:read+")
        nativeSignals = supported.contains("native-signals+")
        binaryReads = supported.contains("binary-upload+")
        hasLibraryList = supported.contains("qXfer:libraries-svr4:read+")
        if supported.contains("QStartNoAckMode+"), try connection.request("QStartNoAckMode") == Array("OK".utf8) {
            connection.stopAcknowledging()
        }
        let reply: String
        if let program {
            // Extended mode (gdbserver --multi); lldb-server has `vRun` without `!`.
            _ = try connection.request("!")
            reply = String(decoding: try connection.request("vRun;" + program.map { hexDigits($0.utf8) }.joined(separator: ";")), as: UTF8.self)
            guard reply.first == "T" || reply.first == "S" else {
                throw TargetError(reply.isEmpty ? "remote \(address): the stub does not start programs (run it as `gdbserver --multi`)"
                                                : "remote \(address): the stub could not start \(program.first ?? ""): \(reply)")
            }
        } else {
            reply = String(decoding: try connection.request("?"), as: UTF8.self)
        }
        launched = program != nil
        guard supported.contains("qXfer:features:read+"), let document = try Self.transfer(connection, object: "features", annex: "target.xml", limit: 0x3fff) else {
            throw TargetError("remote \(address): the stub does not describe its registers (qXfer:features:read)")
        }
        let described = TargetDescription.registers(String(decoding: document, as: UTF8.self)) { name in
            (try? Self.transfer(connection, object: "features", annex: name, limit: 0x3fff)).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) }
        }
        let general = try connection.request("g")
        registers = TargetDescription.fitted(described, generalLength: general.first == UInt8(ascii: "E") ? Int.max : general.count / 2)
        guard registers.contains(where: { $0.name == "rip" }) else { throw TargetError("remote \(address): not an x86-64 target (no rip in its registers)") }
        let ids = try Self.threadList(connection)
        guard !ids.isEmpty else { throw TargetError("remote \(address): the stub has no process (start it with a program or --attach PID)") }
        var pid: Int32 = 0
        for id in ids {
            let (process, thread) = Self.parseThread(id)
            if pid == 0 { pid = process ?? thread }
            threadIDs[thread] = id
            threadOrder.append(thread)
        }
        processID = pid
        let vCont = String(decoding: try connection.request("vCont?"), as: UTF8.self)
        let actions = Set(vCont.split(separator: ";").dropFirst().map(String.init))
        control.canRun = ["c", "s", "C", "S"].allSatisfy(actions.contains)
        // New and finished threads: listed in every stop reply (lldb-server), else asked for
        // at each stop. (gdbserver 13's QThreadEvents crashes it when a thread exits in
        // all-stop mode: not used.)
        control.threadsInStopReplies = try connection.request("QListThreadsInStopReply") == Array("OK".utf8)
        capabilities = TargetCapabilities(hardwareBreakpoints: 4, breakpointsShowInMemory: false, stopsAtBreakpointAddress: true)
        if let stop = RemoteStopReply(reply) {
            lastStops[stop.thread.map { Self.parseThread($0).thread } ?? threadOrder[0]] = stop
        }
        if supported.contains("qXfer:threads:read+"), let list = (try? Self.transfer(connection, object: "threads", annex: "", limit: 0xfff)).flatMap({ $0 }) {
            names = Self.threadNames(String(decoding: list, as: UTF8.self))
        }
        // The stub's machine names the file: gdbserver's exec-file, else the mapping that holds
        // the entry point (lldb-server has no exec-file).
        if let exec = (try? Self.transfer(connection, object: "exec-file", annex: "", limit: 0xfff)).flatMap({ $0 }), !exec.isEmpty {
            executablePath = String(decoding: exec, as: UTF8.self)
        } else if let entry = auxiliaryVector()[AuxiliaryVectorKey.entry] {
            executablePath = memoryMap().first { $0.range.contains(entry) && $0.path.hasPrefix("/") }?.path ?? ""
        }
    }

    /// The stub's thread ids: `m<id>,<id>` pages until `l`.
    static func threadList(_ connection: RemoteConnection) throws(TargetError) -> [String] {
        var ids: [String] = []
        var page = String(decoding: try connection.request("qfThreadInfo"), as: UTF8.self)
        // A page that names no thread would be asked for again forever.
        for _ in 0..<4096 where page.hasPrefix("m") {
            let named = page.dropFirst().split(separator: ",").map(String.init)
            guard !named.isEmpty else { break }
            ids += named
            page = String(decoding: try connection.request("qsThreadInfo"), as: UTF8.self)
        }
        return ids
    }

    /// The stub's connection, where Ctrl-C writes the interrupt byte.
    public var breakInRoute: BreakInRoute { .interruptByte(fileDescriptor: connection.fileDescriptor) }

    /// Round trips to the stub so far (the cost that matters under QEMU).
    public var roundTrips: Int? { connection.roundTrips }

    /// `p1a2b.1a2c` (multiprocess) or `1a2c`: the process and the thread, in hex.
    static func parseThread(_ text: String) -> (process: Int32?, thread: Int32) {
        if text.hasPrefix("p"), let dot = text.firstIndex(of: ".") {
            let process = Int32(text[text.index(after: text.startIndex)..<dot], radix: 16)
            return (process, Int32(text[text.index(after: dot)...], radix: 16) ?? 0)
        }
        return (nil, Int32(text, radix: 16) ?? 0)
    }

    /// A `qXfer` object read whole, in pieces (`m` more, `l` last).
    static func transfer(_ connection: RemoteConnection, object: String, annex: String, limit: Int) throws(TargetError) -> [UInt8]? {
        var data: [UInt8] = []
        while data.count < 16 << 20 {
            let reply = try connection.request("qXfer:\(object):read:\(annex):\(String(data.count, radix: 16)),\(String(limit, radix: 16))")
            guard let kind = reply.first, kind == UInt8(ascii: "m") || kind == UInt8(ascii: "l") else { return nil }
            data += reply.dropFirst()
            // `m` with nothing in it would ask for the same piece forever.
            if kind == UInt8(ascii: "l") || reply.count == 1 { return data }
        }
        return data
    }

    /// `Hg`: the thread register and siginfo requests are about; asked once per stop (a stop
    /// may change the stub's choice).
    func selectThread(_ thread: ThreadID) throws(TargetError) {
        guard selectedThread != thread else { return }
        guard let id = threadIDs[thread] else { throw TargetError("No thread \(thread) under the stub") }
        let reply = try connection.request("Hg\(id)")
        guard reply == Array("OK".utf8) else { throw TargetError("remote: the stub refused to select thread \(thread)") }
        // A machine's CPUs each see memory through their own page tables.
        if control.fixedThreads, selectedThread != nil { memoryPieces.removeAll() }
        selectedThread = thread
    }

    /// The thread's registers as the `g` packet lays them out, read once per stop; where the
    /// stub's `g` leaves registers out, they are asked one by one (`p`).
    func registerBytes(_ thread: ThreadID) throws(TargetError) -> [UInt8] {
        if let cached = cachedRegisters[thread] { return cached }
        try selectThread(thread)
        let reply = try connection.request("g")
        guard var (bytes, _) = RemotePackets.bytes(fromHex: reply), !bytes.isEmpty else {
            throw TargetError("remote: cannot read the registers of thread \(thread): \(String(decoding: reply, as: UTF8.self))")
        }
        let needed = registers.map { $0.offset + $0.bitSize / 8 }.max() ?? 0
        if bytes.count < needed {
            bytes += [UInt8](repeating: 0, count: needed - bytes.count)
            for register in registers where register.offset + register.bitSize / 8 > reply.count / 2 {
                let value = try connection.request("p\(String(register.number, radix: 16))")
                if let (part, _) = RemotePackets.bytes(fromHex: value), part.count == register.bitSize / 8 {
                    bytes.replaceSubrange(register.offset..<register.offset + part.count, with: part)
                }
            }
        }
        cachedRegisters[thread] = bytes
        generalLength[thread] = reply.count / 2
        return bytes
    }

    private func value(_ name: String, in bytes: [UInt8]) -> [UInt8]? {
        guard let register = registers.first(where: { $0.name == name }), register.offset >= 0, register.offset + register.bitSize / 8 <= bytes.count else { return nil }
        return Array(bytes[register.offset..<register.offset + register.bitSize / 8])
    }

    public func registers(_ thread: ThreadID) throws(TargetError) -> X86Registers {
        let bytes = try registerBytes(thread)
        var registers = X86Registers()
        // gdb's names, and lldb's where they differ.
        let aliases = ["efl": ["eflags", "rflags"]]
        for name in X86Registers.slotNames {
            for candidate in aliases[name] ?? [name] {
                guard let raw = value(candidate, in: bytes) else { continue }
                _ = registers.setValue(raw.littleEndian(at: 0, size: min(8, raw.count)), named: name)
                break
            }
        }
        return registers
    }

    /// Any register the stub describes, by its name there (QEMU's k_gs_base, cr3).
    public func machineRegister(_ name: String, _ thread: ThreadID) -> UInt64? {
        guard let bytes = try? registerBytes(thread), let raw = value(name, in: bytes) else { return nil }
        return raw.littleEndian(at: 0, size: min(8, raw.count))
    }

    /// xmm0–15, MXCSR and the ymm upper halves, laid out as the XSAVE area `VectorState` reads.
    public func vectorState(_ thread: ThreadID) throws(TargetError) -> VectorState {
        let bytes = try registerBytes(thread)
        var state = VectorState(bytes: [UInt8](repeating: 0, count: 576 + 256))
        if let mxcsr = value("mxcsr", in: bytes), mxcsr.count >= 4 { state.mxcsr = UInt32(truncatingIfNeeded: mxcsr.littleEndian(at: 0, size: 4)) }
        for index in 0..<16 {
            guard let xmm = value("xmm\(index)", in: bytes), xmm.count == 16 else { continue }
            let lanes = (0..<4).map { UInt32(truncatingIfNeeded: xmm.littleEndian(at: 4 * $0, size: 4)) }
            if let high = value("ymm\(index)h", in: bytes), high.count == 16 {
                state.setLanes(index, lanes + (0..<4).map { UInt32(truncatingIfNeeded: high.littleEndian(at: 4 * $0, size: 4)) })
            } else {
                state.setLanes(index, lanes)
            }
        }
        return state
    }

    /// Memory as the program sees it. Small reads go through pieces kept until the
    /// target runs or is written (the engine reads the same code and stack words many times
    /// per stop: each piece is one round trip, ~0.5 ms under QEMU); large ones go straight.
    public func readMemory(_ address: UInt64, count: Int) -> [UInt8] {
        let piece = pieceSize
        guard count <= 2 * piece else { return fetch(address, count: count) }
        var result: [UInt8] = []
        result.reserveCapacity(count)
        var at = address
        while result.count < count {
            let base = at & ~UInt64(piece - 1)
            let bytes: [UInt8]
            if let cached = memoryPieces[base] {
                bytes = cached
            } else {
                bytes = fetch(base, count: piece)
                memoryPieces[base] = bytes
            }
            let offset = Int(at - base)
            guard offset < bytes.count else { break }
            let taken = bytes[offset..<min(bytes.count, offset + count - result.count)]
            result += taken
            // A piece cut short: the memory after it cannot be read.
            if bytes.count < piece, offset + taken.count >= bytes.count { break }
            at &+= UInt64(taken.count)
        }
        return result
    }

    /// The most memory one reply holds (hex: two characters a byte), at most 4 KiB.
    private var chunkSize: Int { max(64, min(4096, (maximumPacket - 32) / 2)) }

    /// The cached piece: a power of two one reply holds, at most 2 KiB (QEMU's: 1 KiB).
    private var pieceSize: Int {
        var size = 2048
        while size > chunkSize { size /= 2 }
        return size
    }

    /// Memory in pieces the stub's packet holds: gdb's binary `x` where it has it, else `m`.
    /// On a machine, through the CPU selected last (the one that stopped, to begin with).
    private func fetch(_ address: UInt64, count: Int) -> [UInt8] {
        if control.fixedThreads, selectedThread == nil, let cpu = lastStops.keys.sorted().first ?? threadOrder.first { try? selectThread(cpu) }
        var result: [UInt8] = []
        let chunk = chunkSize
        while result.count < count {
            let length = min(chunk, count - result.count)
            let at = address &+ UInt64(result.count)
            let range = "\(String(at, radix: 16)),\(String(length, radix: 16))"
            let bytes: [UInt8]
            if binaryReads {
                // `b` and the bytes; an error is `E nn`.
                guard let reply = try? connection.request("x" + range), reply.first == UInt8(ascii: "b"), reply.count > 1 else { break }
                bytes = Array(reply.dropFirst())
            } else {
                guard let reply = try? connection.request("m" + range), reply.first != UInt8(ascii: "E"),
                      let (decoded, _) = RemotePackets.bytes(fromHex: reply), !decoded.isEmpty else { break }
                bytes = decoded
            }
            result += bytes.prefix(length)
            if bytes.count < length { break }
        }
        return result
    }

    public func threadName(_ thread: ThreadID) -> String? { names[thread] }

    /// `<library name="/lib/…/libc.so.6" lm="0x…" l_addr="0x7f…" l_ld="0x…"/>` elements.
    public func libraryList() -> [(name: String, bias: UInt64)]? {
        guard hasLibraryList, let data = (try? Self.transfer(connection, object: "libraries-svr4", annex: "", limit: 0xfff)).flatMap({ $0 }) else { return nil }
        let document = String(decoding: data, as: UTF8.self)
        guard document.contains("<library-list-svr4") else { return nil }
        return document.split(separator: "<").filter { $0.hasPrefix("library ") }.compactMap { element in
            guard let name = xmlAttribute("name", in: element), let address = xmlAttribute("l_addr", in: element),
                  address.hasPrefix("0x"), let bias = UInt64(address.dropFirst(2), radix: 16) else { return nil }
            return (xmlText(name), bias)
        }
    }

    /// `<thread id="p1a2b.1a2c" core="0" name="worker"/>` elements by tid.
    private static func threadNames(_ document: String) -> [ThreadID: String] {
        var result: [ThreadID: String] = [:]
        for element in document.split(separator: "<").filter({ $0.hasPrefix("thread ") }) {
            guard let id = xmlAttribute("id", in: element), let name = xmlAttribute("name", in: element) else { continue }
            result[parseThread(id).thread] = name
        }
        return result
    }


    public func auxiliaryVector() -> [UInt64: UInt64] {
        guard let data = (try? Self.transfer(connection, object: "auxv", annex: "", limit: 0xfff)).flatMap({ $0 }) else { return [:] }
        return parseAuxiliaryVector(data)
    }

    /// `/proc/pid/maps` read through the stub's file access (`vFile`), as gdb's `info proc
    /// mappings` does; empty where the stub has none.
    public func memoryMap() -> [MemoryRegion] {
        if let cachedMap { return cachedMap }
        guard let text = remoteFile("/proc/\(processID)/maps") else { return [] }
        let map = parseMaps(String(decoding: text, as: UTF8.self))
        cachedMap = map  // until the target runs again
        return map
    }

    func remoteFile(_ path: String) -> [UInt8]? {
        guard !hasNoFiles, let opened = try? connection.request("vFile:open:\(hexDigits(path.utf8)),0,0") else { return nil }
        if opened.isEmpty { hasNoFiles = true }
        guard opened.first == UInt8(ascii: "F"), let fd = Int(String(decoding: opened.dropFirst().prefix { $0 != UInt8(ascii: ";") }, as: UTF8.self), radix: 16), fd >= 0 else { return nil }
        defer { _ = try? connection.request("vFile:close:\(String(fd, radix: 16))") }
        var data: [UInt8] = []
        while data.count < 16 << 20 {
            guard let reply = try? connection.request("vFile:pread:\(String(fd, radix: 16)),\(String(4000, radix: 16)),\(String(data.count, radix: 16))"),
                  reply.first == UInt8(ascii: "F"), let semicolon = reply.firstIndex(of: UInt8(ascii: ";")),
                  let length = Int(String(decoding: reply[1..<semicolon], as: UTF8.self), radix: 16), length > 0,
                  semicolon + 1 < reply.count else { break }
            data += reply[(semicolon + 1)...].prefix(length)
        }
        return data
    }

    /// The protocol has no packet for the debug registers.
    public func debugRegisters(_ thread: ThreadID) throws(TargetError) -> DebugRegisters { DebugRegisters() }

    public func listThreads() -> [ThreadID] { threadOrder }

    /// The stop's signal, with si_code and the fault address where the stub offers the
    /// thread's siginfo.
    public func signalInfo(_ thread: ThreadID) -> SignalInfo? {
        guard case .signal(let number) = lastStops[thread]?.kind, number != 0 else { return nil }
        let signal = linuxSignal(number)
        guard signal != 0 else { return nil }
        if hasSignalInfo, (try? selectThread(thread)) != nil,
           let data = (try? Self.transfer(connection, object: "siginfo", annex: "", limit: 0x80)).flatMap({ $0 }), data.count >= 24 {
            let code = Int32(truncatingIfNeeded: data.littleEndian(at: 8, size: 4))
            return SignalInfo(signal: signal, code: code, address: SignalInfo.hasFaultAddress(signal) ? data.littleEndian(at: 16) : nil)
        }
        return SignalInfo(signal: signal, code: 0, address: nil)
    }

    /// gdb's signal numbers (the protocol's) as Linux's: 1–6, 8, 9, 11, 13–15 are the same;
    /// the others are numbered as in BSD, real-time ones from 45 (SIGRTMIN+1... as 33...) and
    /// 77 (32); what Linux has no number for is 0.
    public static func linuxSignal(gdb: Int32) -> Int32 {
        let table: [Int32: Int32] = [10: SIGBUS, 12: SIGSYS, 16: SIGURG, 17: SIGSTOP, 18: SIGTSTP, 19: SIGCONT, 20: SIGCHLD,
                                     21: SIGTTIN, 22: SIGTTOU, 23: SIGIO, 24: SIGXCPU, 25: SIGXFSZ, 26: SIGVTALRM, 27: SIGPROF,
                                     28: SIGWINCH, 30: SIGUSR1, 31: SIGUSR2, 32: SIGPWR, 33: SIGIO, 77: 32]
        if let linux = table[gdb] { return linux }
        if (45...75).contains(gdb) { return gdb - 12 }
        return [1, 2, 3, 4, 5, 6, 8, 9, 11, 13, 14, 15].contains(gdb) ? gdb : 0
    }

    /// A stop reply's signal number as Linux's.
    func linuxSignal(_ number: Int32) -> Int32 { nativeSignals ? number : Self.linuxSignal(gdb: number) }

    /// A Linux signal as the stub numbers it (for `C`/`S` resumes); the first gdb number
    /// that means it (SIGIO is gdb's 23, not its 33).
    func stubSignal(_ linux: Int32) -> Int32 {
        nativeSignals ? linux : Self.gdbSignal(linux: linux)
    }

    /// A Linux signal as gdb numbers it (what a gdb-remote server reports).
    public static func gdbSignal(linux: Int32) -> Int32 { linux == 0 ? 0 : gdbSignals[linux] ?? linux }

    private static let gdbSignals: [Int32: Int32] = {
        var table: [Int32: Int32] = [:]
        for gdb in Int32(1)...150 where linuxSignal(gdb: gdb) != 0 && table[linuxSignal(gdb: gdb)] == nil { table[linuxSignal(gdb: gdb)] = gdb }
        return table
    }()
}
