import Glibc
import Targets

/// One DAP message as it arrived: its kind, sequence number, command and arguments.
struct IncomingMessage {
    let seq: Int
    let command: String
    let arguments: JSON
}

/// What the reader thread hands the adapter: a request, a message it could not understand
/// (answered with an error), or the end of the client's stream.
enum Incoming {
    case request(IncomingMessage)
    case malformed(seq: Int?, command: String?, reason: String)
    case closed
}

/// DAP's framing over a pair of file descriptors: `Content-Length: N\r\n\r\n` and N bytes of
/// JSON each way. Writes are serialised (the output pump and the tracer thread both send).
final class DAPStream: @unchecked Sendable {
    let input: Int32
    let output: Int32
    private let writeLock = Shared(0)
    private var buffered: [UInt8] = []
    /// The longest body accepted (a hostile length is refused, not allocated).
    static let largestMessage = 64 << 20

    init(input: Int32, output: Int32) {
        self.input = input
        self.output = output
    }

    /// Sends one message (nothing once the client is gone).
    func send(_ message: JSON) {
        let body = Array(message.text.utf8)
        let frame = Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
        writeLock.update { _ in
            var offset = 0
            while offset < frame.count {
                let n = frame.withUnsafeBytes { Glibc.write(output, $0.baseAddress! + offset, frame.count - offset) }
                if n < 0 { if errno == EINTR { continue }; return }
                offset += n
            }
        }
    }

    /// Reads the next message (reader thread only).
    func receive() -> Incoming {
        var length: Int?
        // Header lines up to the empty one; only Content-Length matters.
        while true {
            guard let line = readLine() else { return .closed }
            if line.isEmpty {
                guard let length else { return .malformed(seq: nil, command: nil, reason: "a message without a Content-Length header") }
                guard length <= DAPStream.largestMessage else { return .closed }
                guard let body = readBytes(length) else { return .closed }
                return decode(body)
            }
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                let text = String(parts[1]).trimmingBlanks
                guard let value = Int(text), value >= 0 else {
                    return .malformed(seq: nil, command: nil, reason: "a bad Content-Length: \(text)")
                }
                length = value
            }
        }
    }

    private func decode(_ body: [UInt8]) -> Incoming {
        let json: JSON
        do { json = try JSON.parse(body) } catch { return .malformed(seq: nil, command: nil, reason: error.description) }
        let seq = json["seq"]?.int
        guard let type = json["type"]?.string else { return .malformed(seq: seq, command: nil, reason: "a message without a type") }
        guard type == "request" else { return .malformed(seq: seq, command: nil, reason: "the adapter takes requests, not a \(type)") }
        guard let seq, let command = json["command"]?.string else { return .malformed(seq: seq, command: json["command"]?.string, reason: "a request without seq or command") }
        return .request(IncomingMessage(seq: seq, command: command, arguments: json["arguments"] ?? .object([])))
    }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            buffered += chunk[0..<n]
            return true
        }
    }

    /// A header line without its CR LF; nil at the end of the stream. A header line longer
    /// than 8 KiB ends the stream: that is no DAP client.
    private func readLine() -> String? {
        while true {
            if let newline = buffered.firstIndex(of: 0x0a) {
                var line = Array(buffered[..<newline])
                buffered.removeFirst(newline + 1)
                if line.last == 0x0d { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard buffered.count < 8192, fill() else { return nil }
        }
    }

    private func readBytes(_ count: Int) -> [UInt8]? {
        while buffered.count < count { guard fill() else { return nil } }
        let body = Array(buffered[..<count])
        buffered.removeFirst(count)
        return body
    }
}

extension String {
    /// Without the spaces and tabs at either end.
    var trimmingBlanks: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
