import Arch
import Engine
import Glibc
import Targets

/// The `q`/`Q` queries and `v` packets: features, threads, the objects `qXfer` reads
/// (target description, auxv, the loader's library list, threads, the executable's path),
/// lldb's host and process information, and `vFile` for reading the target's files.
extension GdbServer {
    func query(_ text: String) -> [UInt8] {
        let reply: String
        switch text {
        case _ where text.hasPrefix("qSupported"):
            reply = "PacketSize=20000;QStartNoAckMode+;qXfer:features:read+;qXfer:auxv:read+;qXfer:libraries-svr4:read+;"
                + "qXfer:threads:read+;qXfer:exec-file:read+;multiprocess+;swbreak+;hwbreak+;vContSupported+;QPassSignals+;ConditionalBreakpoints+"
        case "QStartNoAckMode": reply = "OK"
        case _ where text.hasPrefix("QPassSignals:"):
            let numbers = text.dropFirst("QPassSignals:".count).split(separator: ";").compactMap { Int32($0, radix: 16) }
            passSignals(Set(numbers.map { RemoteTarget.linuxSignal(gdb: $0) }.filter { $0 != 0 }))
            reply = "OK"
        case _ where text.hasPrefix("qAttached"): reply = process?.launched == true ? "0" : "1"
        case "qC": reply = "QC" + threadID(selected)
        case "qfThreadInfo": reply = "m" + (process?.threads.map { threadID($0.tid) } ?? []).joined(separator: ",")
        case "qsThreadInfo": reply = "l"
        case "qSymbol::": reply = "OK"
        // lldb's way to the loader's list: where the pointer to `r_debug` is (DT_DEBUG's value).
        case "qShlibInfoAddr": reply = process?.debugStateSlot.map { String($0, radix: 16) } ?? "E01"
        case "qHostInfo": reply = "triple:\(hexDigits(Array(GdbServer.triple.utf8)));ptrsize:8;endian:little;ostype:linux;vendor:unknown;"
        case "qProcessInfo":
            guard let process else { return Array("E01".utf8) }
            reply = "pid:\(String(process.pid, radix: 16));triple:\(hexDigits(Array(GdbServer.triple.utf8)));ostype:linux;endian:little;ptrsize:8;"
        case _ where text.hasPrefix("qMemoryRegionInfo:"):
            reply = memoryRegion(String(text.dropFirst("qMemoryRegionInfo:".count)))
        case _ where text.hasPrefix("qXfer:"):
            return transfer(String(text.dropFirst("qXfer:".count)))
        default: reply = ""
        }
        return Array(reply.utf8)
    }

    static let triple = "x86_64-unknown-linux-gnu"

    /// `qXfer:object:read:annex:offset,length`: a piece of the object, `m` when more follows.
    private func transfer(_ text: String) -> [UInt8] {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[1] == "read", let (start, length) = range(parts[3]) else { return Array("E00".utf8) }
        let offset = Int(clamping: start)
        let document: [UInt8]
        switch parts[0] {
        case "features":
            guard parts[2] == "target.xml" else { return Array("E00".utf8) }
            document = Array(layout.targetDescription.utf8)
        case "auxv": document = auxiliaryVector()
        case "libraries-svr4": document = Array(libraryList().utf8)
        case "threads": document = Array(threadList().utf8)
        case "exec-file": document = Array((process?.target.executablePath ?? "").utf8)
        default: return []
        }
        guard offset < document.count else { return Array("l".utf8) }
        let end = offset + min(document.count - offset, length)
        return Array((end < document.count ? "m" : "l").utf8) + document[offset..<end]
    }

    /// The auxiliary vector as the kernel lays it out: key and value words, AT_NULL last.
    private func auxiliaryVector() -> [UInt8] {
        let vector = process?.target.auxiliaryVector() ?? [:]
        var bytes: [UInt8] = []
        for (key, value) in vector.sorted(by: { $0.key < $1.key }) where key != 0 {
            for word in [key, value] { bytes += (0..<8).map { UInt8(truncatingIfNeeded: word >> (8 * UInt64($0))) } }
        }
        return bytes + [UInt8](repeating: 0, count: 16)
    }

    /// The dynamic linker's list (`<library-list-svr4>`): each shared object's `link_map`,
    /// bias and dynamic section, the main program's `link_map` as `main-lm`.
    private func libraryList() -> String {
        let libraries = session.loadedLibraries()
        var xml = #"<library-list-svr4 version="1.0""#
        if let main = libraries.first(where: { $0.path.isEmpty }) { xml += #" main-lm="0x\#(String(main.linkMap, radix: 16))""# }
        xml += ">"
        for library in libraries where !library.path.isEmpty {
            xml += #"<library name="\#(escaped(library.path))" lmid="0x0" lm="0x\#(String(library.linkMap, radix: 16))" l_addr="0x\#(String(library.bias, radix: 16))" l_ld="0x\#(String(library.dynamic, radix: 16))"/>"#
        }
        return xml + "</library-list-svr4>"
    }

    private func threadList() -> String {
        var xml = "<threads>"
        for thread in process?.threads ?? [] {
            let name = process?.target.threadName(thread.tid) ?? ""
            xml += #"<thread id="\#(threadID(thread.tid))" core="0" name="\#(escaped(name))"/>"#
        }
        return xml + "</threads>"
    }

    private func escaped(_ text: String) -> String {
        text.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;").replacingAll("\"", "&quot;")
    }

    /// lldb's `qMemoryRegionInfo`: the mapping holding the address, or the gap up to the next.
    private func memoryRegion(_ text: String) -> String {
        guard let address = UInt64(text, radix: 16), let map = process?.target.memoryMap() else { return "E01" }
        if let region = map.first(where: { $0.range.contains(address) }) {
            let permissions = (region.readable ? "r" : "") + (region.writable ? "w" : "") + (region.executable ? "x" : "")
            let name = region.path.isEmpty ? "" : "name:\(hexDigits(Array(region.path.utf8)));"
            return "start:\(String(region.range.lowerBound, radix: 16));size:\(String(region.range.count, radix: 16));permissions:\(permissions);\(name)"
        }
        let next = map.map(\.range.lowerBound).filter { $0 > address }.min() ?? UInt64.max
        return "start:\(String(address, radix: 16));size:\(String(next - address, radix: 16));"
    }

    /// `v` packets: resume actions offered, `vKill`, and `vFile` (open, pread, close) for the
    /// target's files; one target per server, so no `vRun` or `vAttach`.
    func verbose(_ text: String) -> [UInt8] {
        switch text {
        case "vCont?": return Array("vCont;c;C;s;S".utf8)
        case "vMustReplyEmpty": return []
        case _ where text.hasPrefix("vKill"):
            session.kill()
            done = true
            return Array("OK".utf8)
        case _ where text.hasPrefix("vFile:"):
            return file(String(text.dropFirst("vFile:".count)))
        case _ where text.hasPrefix("vRun"), _ where text.hasPrefix("vAttach"):
            return Array("E01".utf8)
        default:
            return []
        }
    }

    /// gdb's File-I/O errno numbers: Linux's for most, its own for ENAMETOOLONG, 9999 for
    /// the ones it has none for.
    private func fileError(_ number: Int32) -> [UInt8] {
        let known: Set<Int32> = [EPERM, ENOENT, EINTR, EBADF, EACCES, EFAULT, EBUSY, EEXIST, ENODEV, ENOTDIR, EISDIR, EINVAL, ENFILE, EMFILE, EFBIG, ENOSPC, ESPIPE, EROFS]
        let gdb: Int32 = number == ENAMETOOLONG ? 91 : known.contains(number) ? number : 9999
        return Array("F-1,\(String(gdb, radix: 16))".utf8)
    }

    /// Host I/O on the debugger's files (the client reads the target's executable and
    /// libraries through it): `F result`, or `F-1,errno` in gdb's numbers. Regular files only:
    /// a FIFO would block the server.
    private func file(_ text: String) -> [UInt8] {
        let colon = text.firstIndex(of: ":") ?? text.endIndex
        let operation = text[..<colon]
        let arguments = colon < text.endIndex ? text[text.index(after: colon)...].split(separator: ",") : []
        switch operation {
        case "setfs":
            return Array("F0".utf8)
        case "open":
            guard arguments.count >= 2, let name = RemotePackets.bytes(fromHex: Array(arguments[0].utf8))?.bytes,
                  let flags = Int32(arguments[1], radix: 16), flags & 3 == 0 else { return Array("F-1,d".utf8) }
            let fd = open(String(decoding: name, as: UTF8.self), O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { return fileError(errno) }
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                close(fd)
                return fileError(EACCES)
            }
            let handle = nextFile
            nextFile += 1
            files[handle] = fd
            return Array("F\(String(handle, radix: 16))".utf8)
        case "pread":
            guard arguments.count == 3, let handle = Int32(arguments[0], radix: 16), let fd = files[handle],
                  let count = Int(arguments[1], radix: 16), let offset = Int(arguments[2], radix: 16), count >= 0, offset >= 0 else { return Array("F-1,9".utf8) }
            var buffer = [UInt8](repeating: 0, count: min(count, 16384))
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard n >= 0 else { return fileError(errno) }
            return Array("F\(String(n, radix: 16));".utf8) + buffer[0..<n]
        case "close":
            guard let handle = arguments.first.flatMap({ Int32($0, radix: 16) }), let fd = files.removeValue(forKey: handle) else { return Array("F-1,9".utf8) }
            close(fd)
            return Array("F0".utf8)
        default:
            return []
        }
    }
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
