import Arch
import Engine
import Expressions
import Glibc
import Symbols
import Targets

/// A gdb-remote server: gdb (`target extended-remote`), lldb (`gdb-remote`) and IDEs built on
/// them debug the session's target through swdbg's engine. Breakpoints and watchpoints they
/// ask for (`Z0`–`Z4`) are engine breakpoints, so the engine's stepping over its int3s,
/// debug registers and restoring on detach apply; a core file is served read-only. The
/// framing is the client's (`RemotePackets`). All-stop: every stop stops every thread.
public final class GdbServer {
    let session: Session
    let channel: PacketChannel
    let layout: RegisterLayout
    /// The thread `g`, `m`, `Z` and the like act on (`Hg`).
    var selected: ThreadID
    /// The thread `c`, `s` and a `vCont` action without a thread resume (`Hc`).
    var continued: ThreadID?
    /// The client's breakpoints and watchpoints by kind and address, and the engine's for each.
    var points: [PointKey: Breakpoint] = [:]
    /// Points the client removed (`z`) that are still planted: gdb takes every breakpoint out
    /// at a stop and puts it back before it resumes (around a step over one, on every hit),
    /// so a removal waits for a resume that is not a step; a `Z` in between costs nothing.
    var removedPoints: Set<PointKey> = []
    /// Files opened with `vFile:open`.
    var files: [Int32: Int32] = [:]
    var nextFile: Int32 = 1
    /// The stop last reported, for `?`.
    var lastStop: String
    var done = false
    /// The signals `QPassSignals` last named (nil before the first).
    var passedSignals: Set<Int32>?

    /// What a `Z`/`z` packet names: its type (0 software, 1 hardware, 2 write, 3 read,
    /// 4 access), address and length.
    struct PointKey: Hashable {
        let type: Int
        let address: UInt64
        let length: Int
    }

    /// A server on `connection` (a connected socket) for the session's open target.
    public init(session: Session, connection: Int32) throws(EngineError) {
        guard let process = session.process, !process.gone else { throw EngineError.noTarget }
        self.session = session
        channel = PacketChannel(fd: connection)
        let avx = (try? session.vectorState())?.hasAVXArea ?? false
        layout = RegisterLayout(avx: avx)
        selected = process.current.tid
        lastStop = ""
        // The client decides what stops: thread, module and exit events are not stops here;
        // every signal is, until `QPassSignals` names those to pass on unseen (gdb's model).
        for code in ["ct", "et", "ld", "ud", "epr", "cpr"] { _ = session.filters.set(code, action: .ignore, commands: nil, argument: nil) }
        passSignals([])
        lastStop = stopReply(kind: session.lastStop ?? .breakIn, thread: selected)
    }

    /// Serves one client until it detaches, kills or goes away; the target is then let go
    /// (detach restores every byte and debug register) or, after `k`, killed.
    public func serve() {
        while !done, let payload = channel.next() { reply(to: payload) }
        if !done, session.process != nil { try? session.detach() }
        for fd in files.values { close(fd) }
    }

    private func reply(to payload: [UInt8]) {
        let text = String(decoding: payload, as: UTF8.self)
        let answer: [UInt8]
        if text.hasPrefix("X") {
            answer = Array(writeBinary(payload).utf8)
        } else if text.hasPrefix("vCont;") || text == "c" || text == "s" || text.hasPrefix("C") || text.hasPrefix("S") {
            answer = Array(run(text).utf8)
        } else {
            answer = respond(text)
        }
        channel.send(answer)
    }

    /// The packets that neither run the target nor carry binary data.
    private func respond(_ text: String) -> [UInt8] {
        switch text.first {
        case "?": return Array(lastStop.utf8)
        case "!": return Array("OK".utf8)
        case "g": return readRegisters()
        case "G": return Array(writeRegisters(String(text.dropFirst())).utf8)
        case "p": return Array(readRegister(String(text.dropFirst())).utf8)
        case "P": return Array(writeRegister(String(text.dropFirst())).utf8)
        case "m": return readMemory(String(text.dropFirst()))
        case "M": return Array(writeMemory(String(text.dropFirst())).utf8)
        case "x": return readBinary(String(text.dropFirst()))
        case "Z", "z": return Array(point(text).utf8)
        case "H": return Array(selectThread(String(text.dropFirst())).utf8)
        case "T": return Array((thread(named: String(text.dropFirst())) != nil ? "OK" : "E01").utf8)
        case "D": return Array(detach().utf8)
        case "k":
            session.kill()
            done = true
            return Array("OK".utf8)
        case "q", "Q": return query(text)
        case "v": return verbose(text)
        default: return []
        }
    }

    // MARK: threads

    var process: DebuggedProcess? { session.process }

    func threadID(_ tid: ThreadID) -> String {
        "p\(String(process?.pid ?? 0, radix: 16)).\(String(tid, radix: 16))"
    }

    /// `p<pid>.<tid>`, `<tid>`, `-1` (all) or `0` (any) in a thread field.
    func thread(named text: String) -> ThreadInfo? {
        guard let process else { return nil }
        var field = Substring(text)
        if field.hasPrefix("p"), let dot = field.firstIndex(of: ".") { field = field[field.index(after: dot)...] }
        if field == "-1" || field == "0" { return process.thread(selected) ?? process.current }
        guard let tid = Int32(field, radix: 16) else { return nil }
        return process.thread(tid)
    }

    private func selectThread(_ text: String) -> String {
        guard text.count > 1, let thread = thread(named: String(text.dropFirst())) else { return "E01" }
        switch text.first {
        case "g":
            selected = thread.tid
            session.setCurrentThread(thread)
        case "c":
            continued = thread.tid
        default:
            return "E01"
        }
        return "OK"
    }

    var selectedThread: ThreadInfo? { process?.thread(selected) ?? process?.current }
    var continueThread: ThreadInfo? { continued.flatMap { process?.thread($0) } ?? selectedThread }

    // MARK: registers

    private func readRegisters() -> [UInt8] {
        guard let thread = selectedThread, let general = try? session.registers(thread) else { return Array("E01".utf8) }
        let vector = try? session.vectorState(thread)
        return hexBytes(layout.entries.indices.flatMap { layout.value($0, general: general, vector: vector) })
    }

    private func readRegister(_ text: String) -> String {
        guard let index = Int(text, radix: 16), layout.entries.indices.contains(index), let thread = selectedThread,
              let general = try? session.registers(thread) else { return "E01" }
        return hexDigits(layout.value(index, general: general, vector: try? session.vectorState(thread)))
    }

    private func writeRegisters(_ text: String) -> String {
        guard let thread = selectedThread, var general = try? session.registers(thread),
              let bytes = RemotePackets.bytes(fromHex: Array(text.utf8))?.bytes else { return "E01" }
        var vector = try? session.vectorState(thread)
        var offset = 0
        for index in layout.entries.indices {
            let count = layout.entries[index].bits / 8
            guard offset + count <= bytes.count else { break }
            _ = layout.set(index, Array(bytes[offset..<offset + count]), general: &general, vector: &vector)
            offset += count
        }
        return store(general, vector, thread)
    }

    private func writeRegister(_ text: String) -> String {
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let index = Int(parts[0], radix: 16), layout.entries.indices.contains(index), let thread = selectedThread,
              var general = try? session.registers(thread), let bytes = RemotePackets.bytes(fromHex: Array(parts[1].utf8))?.bytes else { return "E01" }
        var vector = try? session.vectorState(thread)
        guard layout.set(index, bytes, general: &general, vector: &vector) else { return "E01" }
        return store(general, vector, thread)
    }

    private func store(_ general: X86Registers, _ vector: VectorState?, _ thread: ThreadInfo) -> String {
        do {
            try session.setRegisters(general, thread)
            if let vector, vector != (try? session.vectorState(thread)) { try session.setVectorState(vector, thread) }
            return "OK"
        } catch {
            return "E01"
        }
    }

    // MARK: memory

    /// `addr,length` in hex.
    func range(_ text: Substring) -> (address: UInt64, count: Int)? {
        let parts = text.split(separator: ",")
        guard parts.count == 2, let address = UInt64(parts[0], radix: 16), let count = Int(parts[1], radix: 16), count >= 0, count <= 1 << 20 else { return nil }
        return (address, count)
    }

    private func readMemory(_ text: String) -> [UInt8] {
        guard let (address, count) = range(Substring(text)) else { return Array("E01".utf8) }
        let bytes = session.readMemory(address, count: count)
        return bytes.isEmpty && count > 0 ? Array("E14".utf8) : hexBytes(bytes)
    }

    /// `x addr,length`: the bytes as they are (lldb's binary read; `x0,0` is its probe).
    private func readBinary(_ text: String) -> [UInt8] {
        guard let (address, count) = range(Substring(text)) else { return Array("E01".utf8) }
        if count == 0 { return Array("OK".utf8) }
        let bytes = session.readMemory(address, count: count)
        return bytes.isEmpty && count > 0 ? Array("E14".utf8) : bytes
    }

    private func writeMemory(_ text: String) -> String {
        guard let colon = text.firstIndex(of: ":"), let (address, count) = range(text[..<colon]),
              let bytes = RemotePackets.bytes(fromHex: Array(text[text.index(after: colon)...].utf8))?.bytes, bytes.count == count else { return "E01" }
        return (try? session.writeMemory(address, bytes)) != nil ? "OK" : "E14"
    }

    /// `X addr,length:binary`.
    private func writeBinary(_ payload: [UInt8]) -> String {
        guard let colon = payload.firstIndex(of: UInt8(ascii: ":")),
              let (address, count) = range(Substring(String(decoding: payload[1..<colon], as: UTF8.self))) else { return "E01" }
        let bytes = Array(payload[(colon + 1)...])
        guard bytes.count == count else { return "E01" }
        if count == 0 { return "OK" }
        return (try? session.writeMemory(address, bytes)) != nil ? "OK" : "E14"
    }

    // MARK: breakpoints

    /// `Z type,addr,kind` / `z type,addr,kind`: an engine breakpoint (int3, or a debug
    /// register for hardware ones and watchpoints) per point the client sets.
    private func point(_ text: String) -> String {
        let sections = text.dropFirst().split(separator: ";")
        let parts = sections.first?.split(separator: ",") ?? []
        guard parts.count >= 3, let type = Int(parts[0]), (0...4).contains(type), let address = UInt64(parts[1], radix: 16),
              let length = Int(parts[2], radix: 16) else { return "E01" }
        guard session.process?.isLive == true else { return "E01" }
        let key = PointKey(type: type, address: address, length: type < 2 ? 1 : length)
        if text.hasPrefix("z") {
            if points[key] != nil { removedPoints.insert(key) }
            return "OK"
        }
        if points[key] != nil, !sections.dropFirst().contains(where: { $0.hasPrefix("X") }) {
            removedPoints.remove(key)
            return "OK"
        }
        var request = BreakpointRequest(kind: type == 0 ? .bp : .ba, expression: "0x" + String(address, radix: 16), locations: [address])
        switch type {
        case 1: request.hardware = HardwareWatch(access: .execute, size: 1)
        case 2: request.hardware = HardwareWatch(access: .write, size: length)
        case 3, 4: request.hardware = HardwareWatch(access: .readWrite, size: length)
        default: break
        }
        // gdb's conditions (`;Xlen,bytecode`, any of them true stops), for the engine to test.
        let conditions = sections.dropFirst().filter { $0.hasPrefix("X") }
        if !conditions.isEmpty {
            var texts: [String] = []
            for condition in conditions {
                guard let comma = condition.firstIndex(of: ","), let bytes = RemotePackets.bytes(fromHex: Array(condition[condition.index(after: comma)...].utf8))?.bytes,
                      let masm = AgentExpression.masm(bytes, register: masmRegister) else { return "E01" }
                texts.append(masm)
            }
            let text = texts.count == 1 ? texts[0] : "(" + texts.joined(separator: ") | (") + ")"
            guard let parsed = try? MasmExpression.parse(Substring(text), radix: 16) else { return "E01" }
            request.condition = BreakpointCondition(.masm(parsed), text: text)
            if let existing = points[key] {
                // A new condition for a point gdb still has: planted again with it.
                try? session.removeBreakpoint(existing)
                points[key] = nil
                removedPoints.remove(key)
            }
        }
        request.id = (10_000...).first { id in !session.breakpoints.contains { $0.id == id } }
        guard [1, 2, 4, 8].contains(request.hardware?.size ?? 1), let breakpoint = try? session.addBreakpoint(request) else { return "E01" }
        points[key] = breakpoint
        return "OK"
    }

    /// `QPassSignals:`: these signals (Linux's numbers) go to the program without a stop; every
    /// other one stops at its first chance. gdb sends the list before every resume: the
    /// filters change only when it does.
    func passSignals(_ passed: Set<Int32>) {
        guard passed != passedSignals else { return }
        passedSignals = passed
        for filter in session.filters.filters {
            guard let signal = filter.signal else { continue }
            _ = session.filters.set(filter.code, action: passed.contains(signal) ? .ignore : .breakFirst, commands: nil, argument: nil)
        }
    }

    /// A register of gdb's numbering by its MASM name (nil for the x87 and vector ones).
    func masmRegister(_ number: Int) -> String? {
        guard layout.entries.indices.contains(number), case .general = layout.entries[number].source else { return nil }
        let name = layout.entries[number].name
        return name == "eflags" ? "efl" : name
    }

    /// Takes out the points the client removed, before a run that could hit them.
    func applyRemovals() {
        for key in removedPoints {
            if let breakpoint = points.removeValue(forKey: key) { try? session.removeBreakpoint(breakpoint) }
        }
        removedPoints.removeAll()
    }

    // MARK: ending

    private func detach() -> String {
        points.removeAll()
        removedPoints.removeAll()
        do {
            try session.detach()
            done = true
            return "OK"
        } catch {
            return "E01"
        }
    }
}
