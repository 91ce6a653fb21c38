import Commands
import Engine
import Expressions
import Glibc
import Symbols

/// A WinDbg event filter the client can choose to break on at the first chance.
struct ExceptionFilter {
    let code: String
    let label: String
    let signals: [Int32]
}

/// `setBreakpoints`, `setFunctionBreakpoints`, `setInstructionBreakpoints`,
/// `setExceptionBreakpoints`. Each request replaces the set it names; a breakpoint's DAP id is
/// its engine number (as `bl` in the REPL shows it).
extension DebugAdapter {
    static let exceptionFilters = [
        ExceptionFilter(code: "av", label: "Access violation (SIGSEGV, SIGBUS)", signals: [SIGSEGV, SIGBUS]),
        ExceptionFilter(code: "ii", label: "Illegal instruction (SIGILL)", signals: [SIGILL]),
        ExceptionFilter(code: "dz", label: "Integer divide-by-zero (SIGFPE)", signals: [SIGFPE]),
        ExceptionFilter(code: "sigabrt", label: "Abort (SIGABRT)", signals: [SIGABRT]),
    ]
    static let secondChanceFilter = "second-chance"

    static let breakpointRequests: [String: RequestHandler] = [
        "setBreakpoints": { a, arguments throws(AdapterError) in
            guard let path = arguments["source"]?["path"]?.string else { throw AdapterError("'setBreakpoints' needs source.path") }
            for old in a.sourceBreakpoints[path] ?? [] { a.remove(old) }
            var made: [Breakpoint] = []
            var results: [JSON] = []
            for item in arguments["breakpoints"]?.array ?? [] {
                guard let line = item["line"]?.int, line > 0 else { results.append(DebugAdapter.unverified("A breakpoint needs a line")); continue }
                do {
                    let breakpoint = try a.add(BreakpointRequest(kind: .bu, expression: "`\(path):\(line)`", locations: []), item)
                    made.append(breakpoint)
                    results.append(a.breakpointJSON(breakpoint))
                } catch { results.append(DebugAdapter.unverified("\(error)")) }
            }
            a.sourceBreakpoints[path] = made
            return .object([("breakpoints", .array(results))])
        },
        "setFunctionBreakpoints": { a, arguments throws(AdapterError) in
            for old in a.functionBreakpoints { a.remove(old) }
            a.functionBreakpoints = []
            var results: [JSON] = []
            for item in arguments["breakpoints"]?.array ?? [] {
                guard let name = item["name"]?.string, !name.isEmpty else { results.append(DebugAdapter.unverified("A function breakpoint needs a name")); continue }
                do {
                    let breakpoint = try a.add(BreakpointRequest(kind: .bu, expression: name, locations: []), item)
                    a.functionBreakpoints.append(breakpoint)
                    results.append(a.breakpointJSON(breakpoint))
                } catch { results.append(DebugAdapter.unverified("\(error)")) }
            }
            return .object([("breakpoints", .array(results))])
        },
        "setInstructionBreakpoints": { a, arguments throws(AdapterError) in
            for old in a.instructionBreakpoints { a.remove(old) }
            a.instructionBreakpoints = []
            var results: [JSON] = []
            for item in arguments["breakpoints"]?.array ?? [] {
                guard let reference = item["instructionReference"]?.string, let base = parseAddress(reference) else {
                    results.append(DebugAdapter.unverified("An instruction breakpoint needs an instructionReference address"))
                    continue
                }
                let address = base &+ UInt64(bitPattern: Int64(item["offset"]?.int ?? 0))
                do {
                    let breakpoint = try a.add(BreakpointRequest(kind: .bp, expression: "0x" + String(address, radix: 16), locations: [address]), item)
                    a.instructionBreakpoints.append(breakpoint)
                    results.append(a.breakpointJSON(breakpoint))
                } catch { results.append(DebugAdapter.unverified("\(error)")) }
            }
            return .object([("breakpoints", .array(results))])
        },
        "setExceptionBreakpoints": { a, arguments throws(AdapterError) in
            var chosen: Set<String> = []
            for item in arguments["filters"]?.array ?? [] {
                guard let code = item.string else { throw AdapterError("'filters' must be an array of filter ids") }
                guard code == secondChanceFilter || exceptionFilters.contains(where: { $0.code == code }) else { throw AdapterError("Unknown exception filter '\(code)'") }
                chosen.insert(code)
            }
            a.secondChance = chosen.remove(secondChanceFilter) != nil
            a.firstChanceFilters = chosen
            for filter in exceptionFilters {
                let action: FilterAction = chosen.contains(filter.code) ? .breakFirst : a.secondChance ? .breakSecond : .ignore
                _ = a.session.filters.set(filter.code, action: action, commands: nil, argument: nil)
            }
            return nil
        },
    ]

    private static func unverified(_ message: String) -> JSON {
        .object([("verified", .bool(false)), ("message", .string(message))])
    }

    /// Adds a breakpoint with the DAP options: `condition` (C++, evaluated by the engine at
    /// each hit), `hitCondition` (break at the Nth hit and after, WinDbg's pass count),
    /// `logMessage` (print and go on).
    private func add(_ request: BreakpointRequest, _ item: JSON) throws(AdapterError) -> Breakpoint {
        var request = request
        if let condition = item["condition"]?.string, !condition.trimmingBlanks.isEmpty {
            let scope = FrameScope(session: session, thread: session.process?.current)
            do {
                request.condition = BreakpointCondition(.cpp(try CppExpression.parse(Substring(condition), context: scope)), text: condition)
            } catch { throw AdapterError("Bad condition '\(condition)': \(error.description)") }
        }
        if let hits = item["hitCondition"]?.string, !hits.trimmingBlanks.isEmpty {
            let digits = hits.trimmingBlanks.drop { $0 == ">" || $0 == "=" || $0 == " " }
            guard let count = Int(digits), count > 0, count <= 0xffff else { throw AdapterError("A hit condition is a count: '5' or '>= 5', not '\(hits)'") }
            request.passCount = count
        }
        // Numbered from 1: clients take an id of 0 for none.
        request.id = (1...).first { id in !session.breakpoints.contains { $0.id == id } }
        let breakpoint = try engine { () throws(EngineError) in try session.addBreakpoint(request) }
        if let message = item["logMessage"]?.string { logMessages[breakpoint.id] = message } else { logMessages[breakpoint.id] = nil }
        if breakpoint.locations.isEmpty { unverified.insert(breakpoint.id) }
        return breakpoint
    }

    func remove(_ breakpoint: Breakpoint) {
        try? session.removeBreakpoint(breakpoint)
        logMessages[breakpoint.id] = nil
        unverified.remove(breakpoint.id)
    }

    /// A breakpoint as the client shows it: verified once it has a location, with the line
    /// its first location is on.
    func breakpointJSON(_ breakpoint: Breakpoint) -> JSON {
        let line = breakpoint.address.flatMap { session.sourceLine(at: $0) }
        return .members([
            ("id", .integer(Int64(breakpoint.id))), ("verified", .bool(!breakpoint.locations.isEmpty)),
            ("message", breakpoint.locations.isEmpty ? .string("Not resolved yet: waits for its module") : nil),
            ("line", line.map { .integer(Int64($0.line)) }),
            ("source", line.map { .object([("path", .string($0.file))]) }),
            ("instructionReference", breakpoint.address.map { .string("0x" + String($0, radix: 16)) }),
        ])
    }

    /// `breakpoint` events for breakpoints that resolved since the client was told.
    func announceResolvedBreakpoints() {
        for breakpoint in session.breakpoints where unverified.contains(breakpoint.id) && !breakpoint.locations.isEmpty {
            unverified.remove(breakpoint.id)
            sendEvent("breakpoint", .object([("reason", .string("changed")), ("breakpoint", breakpointJSON(breakpoint))]))
        }
    }
}

/// `0x…` (or decimal) as DAP's memory and instruction references are written.
func parseAddress(_ text: String) -> UInt64? {
    let trimmed = text.trimmingBlanks
    if trimmed.lowercased().hasPrefix("0x") { return UInt64(trimmed.dropFirst(2), radix: 16) }
    return UInt64(trimmed)
}

