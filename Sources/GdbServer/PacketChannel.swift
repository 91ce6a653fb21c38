import Glibc
import Targets

/// The server's side of a gdb-remote connection. The tracer thread reads and answers packets
/// itself (a hand-off to another thread per packet cost more than the packets); while the
/// target runs, a watcher thread polls the socket so that the interrupt byte (0x03), or the
/// client going away, reaches the target as a break-in.
final class PacketChannel: @unchecked Sendable {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var acknowledging = true
    let gate = BreakInGate()
    /// A pipe whose byte wakes the watcher's poll at the end of a run (read end, write end).
    private let runEnded: Int32
    private let endRun: Int32
    /// Whether the watcher is to watch (a run is under way) and whether it is watching.
    private struct Watch {
        var wanted = false
        var active = false
        var stopping = false
    }
    private let watch = Shared(Watch())

    init(fd: Int32) {
        self.fd = fd
        var ends: [Int32] = [-1, -1]
        _ = pipe(&ends)
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        runEnded = ends[0]
        endRun = ends[1]
        let fd = fd, watch = watch, gate = gate, runEnded = runEnded
        startThread { PacketChannel.watcher(fd: fd, runEnded: runEnded, watch: watch, gate: gate) }
    }

    deinit {
        watch.update { $0.stopping = true }
        var one: UInt8 = 1
        _ = write(endRun, &one, 1)
        close(fd)
        close(endRun)
    }

    /// The watcher: idle between runs; during one, polls the socket and the end-of-run
    /// event. An interrupt byte is taken and turned into a break-in; the end of the stream
    /// breaks in too (the server then finds it closed and lets the target go). A packet during
    /// a run is left for the server.
    private static func watcher(fd: Int32, runEnded: Int32, watch: Shared<Watch>, gate: BreakInGate) {
        while true {
            let go = watch.wait { state -> Bool? in state.stopping ? false : state.wanted ? true : nil }
            guard go else {
                close(runEnded)
                return
            }
            watch.update { $0.active = true }
            var socketOpen = true
            while true {
                var fds = [pollfd(fd: runEnded, events: Int16(POLLIN), revents: 0), pollfd(fd: fd, events: socketOpen ? Int16(POLLIN) : 0, revents: 0)]
                guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { break }
                if fds[0].revents != 0 {
                    var byte: UInt8 = 0
                    _ = read(runEnded, &byte, 1)
                    break
                }
                guard socketOpen, fds[1].revents != 0 else { continue }
                var byte: UInt8 = 0
                let peeked = recv(fd, &byte, 1, Int32(MSG_PEEK))
                if peeked <= 0 {
                    if peeked < 0, errno == EINTR { continue }
                    gate.request()
                    socketOpen = false
                } else if byte == 0x03 {
                    _ = recv(fd, &byte, 1, 0)
                    gate.request()
                } else {
                    socketOpen = false
                }
            }
            watch.update { state in
                state.active = false
                state.wanted = false
            }
            if watch.update({ $0.stopping }) {
                close(runEnded)
                return
            }
        }
    }

    /// Runs the target (`body`) with the watcher on; it is off again when this returns, so
    /// every byte after the run is the server's.
    func whileRunning<T>(_ body: () -> T) -> T {
        watch.update { $0.wanted = true }
        defer {
            var one: UInt8 = 1
            _ = write(endRun, &one, 1)
            _ = watch.wait { state -> Bool? in state.active || state.wanted ? nil : true }
        }
        return gate.whileRunning(body)
    }

    /// The next packet, acknowledged until no-ack mode; nil once the client is gone. Bytes
    /// that start no packet (acknowledgements, a stale interrupt) are passed over; a packet
    /// with a bad checksum is asked for again.
    func next() -> [UInt8]? {
        while true {
            while let first = buffer.first, first != UInt8(ascii: "$") { buffer.removeFirst() }
            if !buffer.isEmpty {
                let framed: (payload: [UInt8], length: Int)?
                do { framed = try RemotePackets.unframe(buffer[...]) } catch {
                    if acknowledging { writeAll([UInt8(ascii: "-")]) }
                    if let end = buffer.firstIndex(of: UInt8(ascii: "#")) { buffer.removeFirst(min(buffer.count, end + 3)) } else { buffer.removeAll() }
                    continue
                }
                if let (payload, length) = framed {
                    buffer.removeFirst(length)
                    if acknowledging { writeAll([UInt8(ascii: "+")]) }
                    if payload == Array("QStartNoAckMode".utf8) { acknowledging = false }
                    return payload
                }
            }
            // A client that sends megabytes without a packet end is no client.
            guard buffer.count < 1 << 22 else { return nil }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            buffer += chunk[0..<n]
        }
    }

    func send(_ payload: [UInt8]) { writeAll(RemotePackets.frame(payload)) }

    private func writeAll(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}
