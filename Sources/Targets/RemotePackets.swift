import Arch
import Glibc

/// The gdb remote serial protocol's framing: `$payload#checksum`, `}` escapes (the byte
/// xor 0x20), `*` run-length encoding in replies, `+`/`-` acknowledgements until no-ack mode.
/// Pure functions over bytes, so the framing is tested apart from any socket.
public enum RemotePackets {
    /// `$payload#cs` with `$`, `#`, `}` and `*` escaped.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(payload.count + 4)
        for byte in payload {
            if byte == 0x24 || byte == 0x23 || byte == 0x7d || byte == 0x2a {
                body += [0x7d, byte ^ 0x20]
            } else {
                body.append(byte)
            }
        }
        let sum = body.reduce(UInt8(0)) { $0 &+ $1 }
        return [0x24] + body + [0x23] + Array(hexDigits([sum]).utf8)
    }

    /// One packet's payload from a buffer starting at its `$`: the payload (escapes and
    /// run lengths undone) and how many bytes the packet took; nil while it is incomplete.
    /// A bad checksum is an error (`-` asks for it again where acks are on).
    public static func unframe(_ bytes: ArraySlice<UInt8>) throws(TargetError) -> (payload: [UInt8], length: Int)? {
        guard let start = bytes.first, start == 0x24 else { throw TargetError("remote: a packet must start with '$'") }
        guard let hash = bytes.firstIndex(of: 0x23), hash + 2 < bytes.endIndex else { return nil }
        let body = bytes[(bytes.startIndex + 1)..<hash]
        let checksum = bytes[(hash + 1)...(hash + 2)]
        let expected = body.reduce(UInt8(0)) { $0 &+ $1 }
        guard let given = UInt8(String(decoding: checksum, as: UTF8.self), radix: 16), given == expected else {
            throw TargetError("remote: bad checksum in a packet (\(String(decoding: checksum, as: UTF8.self)), expected \(hexDigits([expected])))")
        }
        // Run lengths first, on the bytes as sent (`X*n`: the byte before repeated n - 29 more
        // times, an escape's second byte included, as gdb reads them), then the escapes.
        var wire: [UInt8] = []
        wire.reserveCapacity(body.count)
        var index = body.startIndex
        while index < body.endIndex {
            let byte = body[index]
            if byte == 0x7d, index + 1 < body.endIndex {
                wire += [byte, body[index + 1]]
                index += 2
            } else if byte == 0x2a, let last = wire.last, index + 1 < body.endIndex {
                let repeats = Int(body[index + 1]) - 29
                guard repeats > 0 else { throw TargetError("remote: a bad run length in a packet") }
                wire += [UInt8](repeating: last, count: repeats)
                index += 2
            } else {
                wire.append(byte)
                index += 1
            }
        }
        var payload: [UInt8] = []
        payload.reserveCapacity(wire.count)
        var cursor = 0
        while cursor < wire.count {
            if wire[cursor] == 0x7d, cursor + 1 < wire.count {
                payload.append(wire[cursor + 1] ^ 0x20)
                cursor += 2
            } else {
                payload.append(wire[cursor])
                cursor += 1
            }
        }
        return (payload, hash + 3 - bytes.startIndex)
    }

    /// Hex text to bytes; `xx` (a value the stub does not have) reads as 0 and says so.
    public static func bytes(fromHex text: some Collection<UInt8>) -> (bytes: [UInt8], unknown: Bool)? {
        guard text.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(text.count / 2)
        var unknown = false
        var iterator = text.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            if high == UInt8(ascii: "x"), low == UInt8(ascii: "x") {
                unknown = true
                result.append(0)
                continue
            }
            guard let h = digit(high), let l = digit(low) else { return nil }
            result.append(h << 4 | l)
        }
        return (result, unknown)
    }

    private static func digit(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A connection to a gdb-remote stub (gdbserver, lldb-server, QEMU's gdbstub) over TCP:
/// requests and replies, acknowledged until the stub agrees to no-ack mode, each reply
/// waited for with a deadline so a stub that stops answering is an error, not a hang.
public final class RemoteConnection {
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// `+`/`-` acknowledgements are exchanged (until `QStartNoAckMode`).
    public private(set) var acknowledging = true
    /// How long a reply may take before the stub counts as gone.
    public var timeoutMilliseconds: Int32 = 10_000
    /// Round trips made (each ~1 ms under QEMU's TCG: worth counting).
    public private(set) var roundTrips = 0
    /// Why the connection is no longer usable (the stub closed it, stopped answering, sent
    /// garbage): every later request fails at once with it, instead of waiting out a deadline.
    public private(set) var failure: TargetError?

    /// A stub swdbg started (`gdb:pipe=…`), ended with the connection.
    private var child: pid_t = 0

    private init(fd: Int32) { self.fd = fd }

    /// The socket, for Ctrl-C's handler to write the interrupt byte to.
    public var fileDescriptor: Int32 { fd }

    /// Closes the connection; a stub swdbg started gets a second to leave (it sees the end of
    /// its input), then is killed, and is reaped either way.
    deinit {
        close(fd)
        guard child > 0 else { return }
        var status: Int32 = 0
        for _ in 0..<100 {
            if waitpid(child, &status, WNOHANG) == child { return }
            usleep(10_000)
        }
        // The whole group: a shell that did not exec leaves the stub as its child.
        kill(-child, SIGKILL)
        waitpid(child, &status, 0)
    }

    /// Where a stub is: a TCP address, or a command swdbg runs that speaks the protocol on
    /// its standard input and output (`gdbserver - prog`, as gdb's `target remote | cmd`).
    public enum Address: Sendable, CustomStringConvertible {
        case tcp(host: String, port: UInt16)
        case command(String)

        public var description: String {
            switch self {
            case .tcp(let host, let port): "\(host):\(port)"
            case .command(let command): "| \(command)"
            }
        }
    }

    public static func connect(_ address: Address) throws(TargetError) -> RemoteConnection {
        switch address {
        case .tcp(let host, let port): try connect(host: host, port: port)
        case .command(let command): try start(command)
        }
    }

    /// Runs `command` with `/bin/sh -c`, its standard input and output one end of a socket
    /// pair, in a process group of its own (the terminal's Ctrl-C is swdbg's to send).
    private static func start(_ command: String) throws(TargetError) -> RemoteConnection {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw TargetError("Cannot make a socket pair: \(errnoText(errno))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[1], 0)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // swdbg ignores SIGPIPE and may block signals: the stub (and the program it starts,
        // which inherits them) gets the defaults.
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var pid: pid_t = 0
        let arguments = ["/bin/sh", "-c", command]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &argv, environ)
        close(ends[1])
        guard status == 0 else {
            close(ends[0])
            throw TargetError("Cannot start the stub (\(command)): \(errnoText(status))")
        }
        let connection = RemoteConnection(fd: ends[0])
        connection.child = pid
        return connection
    }

    /// Connects to `host:port` (an IPv4 address or a name).
    static func connect(host: String, port: UInt16) throws(TargetError) -> RemoteConnection {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else { throw TargetError("Cannot resolve \(host): \(String(cString: gai_strerror(status)))") }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), first.pointee.ai_protocol)
        guard fd >= 0 else { throw TargetError("Cannot open a socket: \(errnoText(errno))") }
        // Non-blocking, so an address that never answers is an error after the timeout.
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var failure: Int32 = 0
        if Glibc.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            failure = errno
            if failure == EINPROGRESS {
                var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                var length = socklen_t(MemoryLayout<Int32>.size)
                failure = poll(&poller, 1, 10_000) == 1 ? (getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length) == 0 ? failure : errno) : ETIMEDOUT
            }
        }
        guard failure == 0 else {
            close(fd)
            throw TargetError("Cannot connect to \(host):\(port): \(errnoText(failure))")
        }
        _ = fcntl(fd, F_SETFL, flags)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return RemoteConnection(fd: fd)
    }

    /// Sends a request and returns its reply's payload.
    public func request(_ payload: String) throws(TargetError) -> [UInt8] {
        try request(Array(payload.utf8))
    }

    /// A request with binary data in it (`X`), escaped by the framing.
    public func request(_ payload: [UInt8]) throws(TargetError) -> [UInt8] {
        try send(payload)
        roundTrips += 1
        return try receive()
    }

    /// Runs a step of the exchange; a failure ends the connection for good.
    private func latching<T>(_ body: () throws(TargetError) -> T) throws(TargetError) -> T {
        if let failure { throw failure }
        do { return try body() } catch {
            failure = error
            throw error
        }
    }

    /// Sends a request whose reply comes later (a resume: the stop reply).
    public func send(_ payload: [UInt8]) throws(TargetError) {
        try latching { () throws(TargetError) in try sendPacket(payload) }
    }

    private func sendPacket(_ payload: [UInt8]) throws(TargetError) {
        let packet = RemotePackets.frame(payload)
        for _ in 0..<3 {
            try write(packet)
            guard acknowledging else { return }
            var byte = try readByte()
            // A packet the stub sent on its own first (QEMU's stop reply when a debugger
            // connects to a running machine): taken, and the `?` asked later answers it.
            while byte == UInt8(ascii: "$") {
                buffer.insert(byte, at: 0)
                _ = try receivePacket(waitingForever: false)
                byte = try readByte()
            }
            switch byte {
            case UInt8(ascii: "+"): return
            case UInt8(ascii: "-"): continue
            default: throw TargetError("remote: the stub answered a packet with neither '+' nor '-'")
            }
        }
        throw TargetError("remote: the stub refused a packet three times")
    }

    /// The next packet from the stub (acknowledged where acks are on), waiting at most the
    /// timeout, or forever with `waitingForever` (a resumed target stops when it stops).
    public func receive(waitingForever: Bool = false) throws(TargetError) -> [UInt8] {
        try latching { () throws(TargetError) in try receivePacket(waitingForever: waitingForever) }
    }

    /// Larger than any reply a stub sends for what is asked (16 MiB).
    private static let largestPacket = 16 << 20

    private func receivePacket(waitingForever: Bool) throws(TargetError) -> [UInt8] {
        var rejected = 0
        while true {
            // Acks and notifications before a packet are skipped; a packet starts at '$'.
            if let start = buffer.firstIndex(of: 0x24) {
                if start > 0 { buffer.removeFirst(start) }
                do {
                    if let (payload, length) = try RemotePackets.unframe(buffer[...]) {
                        buffer.removeFirst(length)
                        if acknowledging { try write([UInt8(ascii: "+")]) }
                        return payload
                    }
                } catch {
                    rejected += 1
                    guard acknowledging, rejected < 3, let end = buffer.firstIndex(of: 0x23), end + 2 < buffer.count else { throw error }
                    buffer.removeFirst(end + 3)
                    try write([UInt8(ascii: "-")])
                    continue
                }
            } else {
                buffer.removeAll()
            }
            guard buffer.count < Self.largestPacket else { throw TargetError("remote: the stub sent a packet of more than \(Self.largestPacket >> 20) MiB") }
            try fill(waitingForever: waitingForever)
        }
    }

    /// After the stub said `OK` to `QStartNoAckMode`.
    public func stopAcknowledging() { acknowledging = false }

    private func readByte() throws(TargetError) -> UInt8 {
        // A signal (Ctrl-C) can end a wait with nothing read: wait again.
        while buffer.isEmpty { try fill(waitingForever: false) }
        return buffer.removeFirst()
    }

    private func fill(waitingForever: Bool) throws(TargetError) {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, waitingForever ? -1 : timeoutMilliseconds)
        if ready < 0 && errno == EINTR { return }
        guard ready == 1 else { throw TargetError("remote: the stub did not answer within \(timeoutMilliseconds / 1000) s") }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 && errno == EINTR { return }
        guard n > 0 else { throw TargetError("remote: the stub closed the connection") }
        buffer += chunk.prefix(n)
    }

    private func write(_ bytes: [UInt8]) throws(TargetError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw TargetError("remote: cannot send to the stub: \(errnoText(errno))") }
            sent += n
        }
    }
}
