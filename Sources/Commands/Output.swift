import Glibc

/// Where everything the debugger says goes: standard output, and a log file while `.logopen`
/// is active. A "pending header" (such as `Breakpoint 0 hit`) is printed only if something
/// else is printed after it, so a breakpoint whose command quietly resumes stays silent.
public final class Output {
    private var buffer: [UInt8] = []
    private var logFile: Int32 = -1
    private var pendingHeader: String?
    private let fd: Int32

    /// On a terminal every line goes out at once (ModLoad lines while the target runs);
    /// into a pipe, output is batched and flushed at each prompt and before each resume.
    private let immediate: Bool

    /// Text may carry colour (ANSI SGR sequences): on a terminal unless `NO_COLOR` is set.
    /// The log file never gets them.
    public var colors = false

    public init(fd: Int32 = 1) {
        self.fd = fd
        immediate = isatty(fd) != 0
    }

    /// Text being captured instead of printed (`as /c`), innermost capture last.
    private var captures: [[UInt8]] = []

    /// Writes `text` followed by a newline.
    public func line(_ text: String = "") {
        write(text + "\n")
        if captures.isEmpty, immediate || buffer.count > 1 << 16 { flush() }
    }

    /// Writes `text` as it is.
    public func write(_ text: String) {
        if let header = pendingHeader {
            pendingHeader = nil
            line(header)
        }
        if captures.isEmpty { buffer.append(contentsOf: text.utf8) } else { captures[captures.count - 1].append(contentsOf: text.utf8) }
        // A finished line goes out at once on a terminal (`.printf "…\n"` in a long loop).
        if captures.isEmpty, immediate, text.contains("\n") { flush() }
    }

    /// Starts collecting what is printed, up to `endCapture`.
    public func beginCapture() { captures.append([]) }

    /// What was printed since the matching `beginCapture`.
    public func endCapture() -> String {
        String(decoding: captures.popLast() ?? [], as: UTF8.self)
    }

    public func setPendingHeader(_ header: String) {
        if let previous = pendingHeader { line(previous) }
        pendingHeader = header
    }

    public func discardPendingHeader() { pendingHeader = nil }

    public var hasPendingHeader: Bool { pendingHeader != nil }

    /// Echoes input to the log only (the terminal already shows what the user typed).
    public func logOnly(_ text: String) {
        guard logFile >= 0 else { return }
        let bytes = Array(text.utf8) + [10]
        _ = bytes.withUnsafeBytes { Glibc.write(logFile, $0.baseAddress, $0.count) }
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in writeAll(fd, raw) }
        if logFile >= 0 {
            let plain = colors ? withoutEscapes(buffer) : buffer
            plain.withUnsafeBytes { raw in writeAll(logFile, raw) }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// The bytes without `ESC [ … m` colour sequences.
    private func withoutEscapes(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x1b, index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "[") {
                var end = index + 2
                while end < bytes.count, bytes[end] != UInt8(ascii: "m") { end += 1 }
                index = end + 1
                continue
            }
            result.append(bytes[index])
            index += 1
        }
        return result
    }

    /// Opens a log file (`.logopen`); `append` keeps what it had (`.logappend`).
    public func openLog(_ path: String, append: Bool) -> Bool {
        closeLog()
        logFile = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0o644)
        return logFile >= 0
    }

    public func closeLog() {
        flush()
        if logFile >= 0 { close(logFile) }
        logFile = -1
    }

    public var isLogging: Bool { logFile >= 0 }
}

private func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer) {
    var offset = 0
    while offset < raw.count {
        let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 { if errno == EINTR { continue }; return }
        offset += n
    }
}
