import Commands
import Engine
import Glibc
import Targets

/// `continue`, `next`, `stepIn`, `stepOut`, `pause`, and how a stop is reported.
extension DebugAdapter {
    static let executionRequests: [String: RequestHandler] = [
        "continue": { a, arguments throws(AdapterError) in
            try a.resume(arguments, .go(handled: nil, until: []))
            return .object([("allThreadsContinued", .bool(true))])
        },
        "next": { a, arguments throws(AdapterError) in
            try a.resume(arguments, .step(StepRequest(over: true, byLine: !a.byInstruction(arguments))))
            return nil
        },
        "stepIn": { a, arguments throws(AdapterError) in
            try a.resume(arguments, .step(StepRequest(over: false, byLine: !a.byInstruction(arguments))))
            return nil
        },
        "stepOut": { a, arguments throws(AdapterError) in
            try a.resume(arguments, .stepOut)
            return nil
        },
        // The reader thread already broke in if the target ran; a stopped one stays as it is
        // (and the next run is not to be interrupted for it).
        "pause": { a, _ throws(AdapterError) in
            a.gate.cancel()
            _ = try a.requireProcess()
            return nil
        },
    ]

    private func byInstruction(_ arguments: JSON) -> Bool { arguments["granularity"]?.string == "instruction" }

    /// Selects the request's thread and leaves the run for after the response.
    private func resume(_ arguments: JSON, _ request: ResumeRequest) throws(AdapterError) {
        let process = try requireProcess()
        guard process.isLive else { throw AdapterError("A dump cannot run") }
        guard configured else { throw AdapterError("The target runs after 'configurationDone'") }
        if let tid = arguments["threadId"]?.int, let thread = process.thread(Int32(truncatingIfNeeded: tid)) {
            session.setCurrentThread(thread)
        }
        afterResponse.append { [unowned self] in run(request) }
    }

    /// Runs the target until a stop worth the client's attention: log points print and go on.
    func run(_ request: ResumeRequest) {
        var request = request
        while true {
            clearHandles()
            let resumed = gate.whileRunning { () -> Result<StopEvent, EngineError> in
                do throws(EngineError) { return .success(try session.resume(request)) } catch { return .failure(error) }
            }
            let stop: StopEvent
            switch resumed {
            case .success(let reached): stop = reached
            case .failure(let error):
                console("Cannot resume: \(error.description)", category: "stderr")
                if session.process?.gone ?? true { report(StopEvent(kind: .processGone(status: session.lastExitStatus), thread: 0)) }
                return
            }
            if case .breakpoint(let breakpoint) = stop.kind, let message = logMessages[breakpoint.id] {
                console(interpolate(message))
                // On as it was going: a step a log point interrupted goes on to its end.
                request = .resumeInterrupted
                continue
            }
            report(stop)
            return
        }
    }

    /// Tells the client about a stop: `stopped` with the reason, or `exited` and `terminated`
    /// when the process is gone.
    func report(_ stop: StopEvent) {
        announceResolvedBreakpoints()
        let reason: String
        var description: String?
        var hits: [Int] = []
        switch stop.kind {
        case .processGone(let status):
            guard !exitReported else { return }
            exitReported = true
            let code: Int64 = switch status {
            case .exited(let code)?: Int64(code)
            case .killed(let signal)?: 128 + Int64(signal)
            case nil: 0
            }
            sendEvent("exited", .object([("exitCode", .integer(code))]))
            sendEvent("terminated")
            return
        case .initialBreakpoint, .processCreated: reason = "entry"
        case .breakpoint(let breakpoint):
            hits = [breakpoint.id]
            reason = functionBreakpoints.contains { $0 === breakpoint } ? "function breakpoint"
                : instructionBreakpoints.contains { $0 === breakpoint } ? "instruction breakpoint" : "breakpoint"
            if let error = breakpoint.conditionError { description = "The condition could not be evaluated: \(error)" }
        case .step, .callReturned: reason = "step"
        case .breakIn: reason = "pause"
        case .signal, .crash, .programBreakpoint:
            reason = "exception"
            description = session.describe(stop.kind)
        case .moduleLoad, .moduleUnload, .threadCreated, .threadExited, .processExit:
            reason = "event"
            description = session.describe(stop.kind)
        }
        sendEvent("stopped", .members([
            ("reason", .string(reason)), ("description", description.map(JSON.string)), ("text", description.map(JSON.string)),
            ("threadId", .integer(Int64(stop.thread))), ("allThreadsStopped", .bool(true)),
            ("hitBreakpointIds", hits.isEmpty ? nil : .array(hits.map { .integer(Int64($0)) })),
        ]))
    }

    /// A log point's message with each `{expression}` replaced by its value (C++ expressions,
    /// as the editor's watch takes them); an expression that fails shows its error.
    func interpolate(_ message: String) -> String {
        var result = ""
        var rest = Substring(message)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let expression = rest[rest.index(after: open)..<close]
            result += (try? evaluateValue(String(expression), frameId: nil).summary) ?? "<error: \(expression)>"
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}
