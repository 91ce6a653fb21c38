import Glibc
import Targets

/// The server's side of a gdb-remote connection: a reader thread takes packets off the
/// socket (acknowledging each until no-ack mode) so that the interrupt byte (0x03), or the
/// client going away, reaches a running target as a break-in while the tracer thread waits
/// in the engine.
final class PacketChannel: @unchecked Sendable {
    /// What the reader thread and the server share: the packets not yet served, whether the
    /// client is gone, and whether packets are still acknowledged. Its lock also keeps the
    /// reader's acknowledgements out of the middle of a reply.
    struct State {
        var queue: [[UInt8]] = []
        var closed = false
        var acknowledging = true
    }

    private let fd: Int32
    private let state = Shared(State())
    let gate = BreakInGate()

    init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    func start() {
        let fd = fd, state = state, gate = gate
        startThread {
            var buffer: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else {
                    gate.request()
                    return state.update { $0.closed = true }
                }
                buffer += chunk[0..<n]
                while let first = buffer.first {
                    if first == 0x03 {
                        buffer.removeFirst()
                        gate.request()
                        continue
                    }
                    guard first == UInt8(ascii: "$") else { buffer.removeFirst(); continue }
                    let framed: (payload: [UInt8], length: Int)?
                    do { framed = try RemotePackets.unframe(buffer[...]) } catch {
                        // A bad checksum: asked again where acknowledgements are on.
                        state.update { if $0.acknowledging { _ = write(fd, "-", 1) } }
                        if let end = buffer.firstIndex(of: UInt8(ascii: "#")) { buffer.removeFirst(min(buffer.count, end + 3)) } else { buffer.removeAll() }
                        continue
                    }
                    guard let (payload, length) = framed else { break }
                    buffer.removeFirst(length)
                    let noAck = payload == Array("QStartNoAckMode".utf8)
                    state.update { shared in
                        if shared.acknowledging { _ = write(fd, "+", 1) }
                        if noAck { shared.acknowledging = false }
                        shared.queue.append(payload)
                    }
                }
                // A client that sends megabytes without a packet end is no client.
                if buffer.count > 1 << 22 {
                    gate.request()
                    return state.update { $0.closed = true }
                }
            }
        }
    }

    /// The next packet; nil once the client is gone.
    func next() -> [UInt8]? {
        state.wait { shared -> [UInt8]?? in
            if !shared.queue.isEmpty { return .some(shared.queue.removeFirst()) }
            return shared.closed ? .some(nil) : nil
        }
    }

    func send(_ payload: [UInt8]) {
        let frame = RemotePackets.frame(payload)
        state.update { _ in
            var offset = 0
            while offset < frame.count {
                let n = frame.withUnsafeBytes { write(fd, $0.baseAddress! + offset, frame.count - offset) }
                if n < 0 { if errno == EINTR { continue }; return }
                offset += n
            }
        }
    }
}
