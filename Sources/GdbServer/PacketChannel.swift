import Glibc
import Targets

/// The server's side of a gdb-remote connection: a reader thread takes packets off the
/// socket (acknowledging each until no-ack mode) so that the interrupt byte (0x03) reaches a
/// running target as a break-in while the tracer thread waits in the engine.
final class PacketChannel: @unchecked Sendable {
    enum Incoming {
        case packet([UInt8])
        case interrupt
    }

    /// What the reader thread and the server share: the packets not yet served (nil once the
    /// client is gone and they are), whether the target runs (an interrupt byte breaks in
    /// then rather than waiting in the queue) and whether packets are still acknowledged.
    struct State {
        var queue: [Incoming] = []
        var closed = false
        var running = false
        var acknowledging = true
    }

    private let fd: Int32
    private let state = Shared(State())

    init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    func start() {
        let fd = fd, state = state
        startThread {
            var buffer: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return state.update { $0.closed = true } }
                buffer += chunk[0..<n]
                while let first = buffer.first {
                    if first == 0x03 {
                        buffer.removeFirst()
                        state.update { if $0.running { BreakIn.request() } else { $0.queue.append(.interrupt) } }
                        continue
                    }
                    guard first == UInt8(ascii: "$") else { buffer.removeFirst(); continue }
                    let framed: (payload: [UInt8], length: Int)?
                    do { framed = try RemotePackets.unframe(buffer[...]) } catch {
                        // A bad checksum: asked again where acknowledgements are on.
                        if state.update({ $0.acknowledging }) { _ = write(fd, "-", 1) }
                        if let end = buffer.firstIndex(of: UInt8(ascii: "#")) { buffer.removeFirst(min(buffer.count, end + 3)) } else { buffer.removeAll() }
                        continue
                    }
                    guard let (payload, length) = framed else { break }
                    buffer.removeFirst(length)
                    let noAck = payload == Array("QStartNoAckMode".utf8)
                    state.update { shared in
                        if shared.acknowledging { _ = write(fd, "+", 1) }
                        if noAck { shared.acknowledging = false }
                        shared.queue.append(.packet(payload))
                    }
                }
                // A client that sends megabytes without a packet end is no client.
                if buffer.count > 1 << 22 { return state.update { $0.closed = true } }
            }
        }
    }

    /// The next packet; nil once the client is gone.
    func next() -> Incoming? {
        state.wait { shared -> Incoming?? in
            if !shared.queue.isEmpty { return .some(shared.queue.removeFirst()) }
            return shared.closed ? .some(nil) : nil
        }
    }

    func send(_ payload: [UInt8]) {
        let frame = RemotePackets.frame(payload)
        var offset = 0
        while offset < frame.count {
            let n = frame.withUnsafeBytes { write(fd, $0.baseAddress! + offset, frame.count - offset) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }

    /// Runs the target (`body`) with interrupt bytes turned into break-ins; one that came
    /// just before is honoured at once.
    func whileRunning<T>(_ body: () -> T) -> T {
        state.update { shared in
            shared.running = true
            if let index = shared.queue.firstIndex(where: { if case .interrupt = $0 { true } else { false } }) {
                shared.queue.remove(at: index)
                BreakIn.request()
            }
        }
        defer { state.update { $0.running = false } }
        return body()
    }
}
