import Commands
import Engine
import Glibc
import Targets

/// A request failed: the client gets an error response with this message; the session goes on.
struct AdapterError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One request's handler: its arguments in, its response body out (nil: no body).
typealias RequestHandler = @Sendable (DebugAdapter, JSON) throws(AdapterError) -> JSON?

/// How the target came to the adapter, which decides how a `disconnect` without
/// `terminateDebuggee` (or a client that vanished) ends it: a launched program is killed,
/// an attached one detached, a dump closed.
enum TargetOrigin { case launched, attached, dump }

/// The Debug Adapter Protocol front end: editors (VS Code, nvim-dap, dap-mode) drive the
/// engine through it, as the command line does through the interpreter. The engine runs on
/// this thread (the tracer thread); a reader thread takes the client's messages so a `pause`
/// reaches a running target, and pumps carry the program's output to the client.
public final class DebugAdapter {
    let stream: DAPStream
    let session: Session
    /// The REPL: `evaluate` in the `repl` context runs WinDbg commands, their text captured.
    let interpreter: Interpreter
    let commandOutput: Output
    private let inbox = Shared<[Incoming]>([])
    /// Break-ins the client asks for (`pause`, `disconnect`, `terminate`, its end) while the
    /// target runs, or just before it does.
    let gate = BreakInGate()
    private let sequence = Shared(0)
    var initialized = false
    var origin: TargetOrigin?
    var configured = false
    var stopOnEntry = false
    /// The first stop, kept for `configurationDone` (reported or run past then).
    var initialStop: StopEvent?
    var ended = false
    /// `exited` was sent (a REPL command after the end must not send it again).
    var exitReported = false
    var terminatedSent = false
    /// Work a request leaves for after its response (running the target, the `initialized`
    /// event), so the response comes first as clients expect.
    var afterResponse: [() -> Void] = []
    /// Breakpoints the client set, by where they came from: each `setBreakpoints` replaces
    /// one source file's, each `setFunctionBreakpoints` all function ones.
    var sourceBreakpoints: [String: [Breakpoint]] = [:]
    var functionBreakpoints: [Breakpoint] = []
    var instructionBreakpoints: [Breakpoint] = []
    /// Log points: the message a hit prints (with `{expression}`s) instead of stopping.
    var logMessages: [Int: String] = [:]
    /// Breakpoints the client was told were not verified yet (sent `breakpoint` events when
    /// they resolve).
    var unverified: Set<Int> = []
    /// Frames and expandable values handed out since the last stop (ids are indexes + 1).
    var frames: [FrameHandle] = []
    var references: [Reference] = []
    /// What the exception filters selected: first-chance breaks by filter code (the engine's
    /// defaults, WinDbg's, until the client chooses), and whether an unhandled signal stops
    /// before it kills.
    var firstChanceFilters: Set<String> = ["av", "ii", "dz"]
    var secondChance = true
    /// The program's standard output and error, pumped to the client as `output` events.
    var programPipes: [Int32] = []

    public init(input: Int32, output: Int32) {
        stream = DAPStream(input: input, output: output)
        session = Session(backend: PtraceBackend())
        commandOutput = Output(fd: open("/dev/null", O_WRONLY | O_CLOEXEC))
        interpreter = Interpreter(session: session, output: commandOutput)
        // The engine's events become protocol events (instead of the interpreter's lines).
        session.onEvent = { [unowned self] in event($0) }
        // The process ends without a final stop of its own: `exited` says how.
        _ = session.filters.set("epr", action: .ignore, commands: nil, argument: nil)
    }

    /// Serves the client until it disconnects or its stream ends; the target is never left
    /// stopped behind (killed or detached as the launch or attach asked; killed when a detach
    /// fails).
    public func run() -> Int32 {
        let stream = stream, inbox = inbox, gate = gate
        startThread {
            while true {
                let message = stream.receive()
                let stops: Bool
                switch message {
                case .request(let request): stops = ["pause", "disconnect", "terminate"].contains(request.command)
                case .closed: stops = true
                case .malformed: stops = false
                }
                if stops { gate.request() }
                inbox.update { $0.append(message) }
                if case .closed = message { return }
            }
        }
        while !ended {
            let message = inbox.wait { $0.isEmpty ? nil : $0.removeFirst() }
            switch message {
            case .request(let request):
                handle(request)
            case .malformed(let seq, let command, let reason):
                respond(to: seq ?? 0, command: command ?? "", error: reason)
            case .closed:
                endTarget(terminate: nil)
                ended = true
            }
        }
        for fd in programPipes { close(fd) }
        return 0
    }

    private func handle(_ request: IncomingMessage) {
        guard let handler = DebugAdapter.handlers[request.command] else {
            return respond(to: request.seq, command: request.command, error: "Unknown request '\(request.command)'")
        }
        guard initialized || request.command == "initialize" || request.command == "disconnect" else {
            return respond(to: request.seq, command: request.command, error: "The first request must be 'initialize'")
        }
        do {
            let body = try handler(self, request.arguments)
            send(.members([("type", .string("response")), ("request_seq", .integer(Int64(request.seq))), ("success", .bool(true)),
                           ("command", .string(request.command)), ("body", body)]))
        } catch {
            afterResponse.removeAll()
            respond(to: request.seq, command: request.command, error: error.description)
        }
        let work = afterResponse
        afterResponse.removeAll()
        for item in work { item() }
    }

    private func respond(to seq: Int, command: String, error message: String) {
        send(.members([("type", .string("response")), ("request_seq", .integer(Int64(seq))), ("success", .bool(false)),
                       ("command", .string(command)), ("message", .string(message)),
                       ("body", .object([("error", .object([("id", .integer(1)), ("format", .string(message)), ("showUser", .bool(true))]))]))]))
    }

    /// Sends a message with the next sequence number (any thread).
    func send(_ message: JSON) {
        guard case .object(let members) = message else { return }
        let seq = sequence.update { value -> Int in value += 1; return value }
        stream.send(.object([("seq", .integer(Int64(seq)))] + members))
    }

    func sendEvent(_ name: String, _ body: JSON? = nil) {
        if name == "terminated" {
            guard !terminatedSent else { return }
            terminatedSent = true
        }
        send(.members([("type", .string("event")), ("event", .string(name)), ("body", body)]))
    }

    /// Text for the client's debug console.
    func console(_ text: String, category: String = "console") {
        sendEvent("output", .object([("category", .string(category)), ("output", .string(text.hasSuffix("\n") ? text : text + "\n"))]))
    }

    static let handlers: [String: RequestHandler] = {
        var table: [String: RequestHandler] = [:]
        for family in [lifecycleRequests, breakpointRequests, executionRequests, inspectionRequests, memoryRequests] {
            table.merge(family) { first, _ in first }
        }
        return table
    }()

    /// The session's process, or the error for a request that needs one.
    func requireProcess() throws(AdapterError) -> DebuggedProcess {
        guard let process = session.process, !process.gone else { throw AdapterError("No process: launch or attach first") }
        return process
    }

    /// Runs an engine call, its error as the response's message.
    func engine<T>(_ body: () throws(EngineError) -> T) throws(AdapterError) -> T {
        do { return try body() } catch { throw AdapterError(error.description) }
    }
}
