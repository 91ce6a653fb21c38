import Arch
import Commands
import Engine
import Expressions
import Symbols
import Targets
import Values

/// A frame handed to the client: its thread and its place in the stack `k` shows (inline
/// frames numbered with the machine frames).
struct FrameHandle {
    let thread: ThreadInfo
    let index: Int
    let frame: StackFrame
}

/// What a `variablesReference` expands: a frame's locals or registers, or a value's children.
enum Reference {
    case locals(frame: Int)
    case registers(frame: Int)
    case value(ValueNode)
}

/// An evaluated value: its one-line summary, type, and a reference when it expands.
struct Evaluated {
    let summary: String
    let type: String
    let reference: Int
    let children: Int
}

/// `threads`, `stackTrace`, `scopes`, `variables`, `evaluate`, `setVariable`, `exceptionInfo`.
extension DebugAdapter {
    static let inspectionRequests: [String: RequestHandler] = [
        "threads": { a, _ throws(AdapterError) in
            guard let process = a.session.process, !process.gone else { return .object([("threads", .array([]))]) }
            let threads: [JSON] = process.threads.map { thread in
                let name = process.target.threadName(thread.tid) ?? ""
                return .object([("id", .integer(Int64(thread.tid))), ("name", .string("\(thread.index) \(name.isEmpty ? "thread" : name) (\(thread.tid))"))])
            }
            return .object([("threads", .array(threads))])
        },
        "stackTrace": { a, arguments throws(AdapterError) in try a.stackTrace(arguments) },
        "scopes": { a, arguments throws(AdapterError) in
            let id = try a.frameHandle(arguments["frameId"]?.int)
            let handle = a.frames[id]
            var scopes: [JSON] = []
            if let locals = try? a.session.frameVariables(of: handle.thread, frame: handle.index) {
                scopes.append(.object([("name", .string("Locals")), ("presentationHint", .string("locals")),
                                       ("variablesReference", .integer(Int64(a.reference(.locals(frame: id))))),
                                       ("namedVariables", .integer(Int64(locals.values.count))), ("expensive", .bool(false))]))
            }
            scopes.append(.object([("name", .string("Registers")), ("presentationHint", .string("registers")),
                                   ("variablesReference", .integer(Int64(a.reference(.registers(frame: id))))), ("expensive", .bool(false))]))
            return .object([("scopes", .array(scopes))])
        },
        "variables": { a, arguments throws(AdapterError) in
            guard let id = arguments["variablesReference"]?.int, id > 0, id <= a.references.count else {
                throw AdapterError("Unknown variablesReference (references last until the target runs)")
            }
            let start = max(0, arguments["start"]?.int ?? 0)
            let count = arguments["count"]?.int.flatMap { $0 > 0 ? $0 : nil } ?? .max
            return .object([("variables", .array(try a.variables(a.references[id - 1], start: start, count: count)))])
        },
        "evaluate": { a, arguments throws(AdapterError) in
            guard let expression = arguments["expression"]?.string else { throw AdapterError("'evaluate' needs 'expression'") }
            if arguments["context"]?.string == "repl" { return a.runCommand(expression) }
            let value = try a.evaluateValue(expression, frameId: arguments["frameId"]?.int)
            return .members([("result", .string(value.summary)), ("type", .string(value.type)),
                             ("variablesReference", .integer(Int64(value.reference))),
                             ("namedVariables", value.children > 0 ? .integer(Int64(value.children)) : nil)])
        },
        "setVariable": { a, arguments throws(AdapterError) in try a.setVariable(arguments) },
        "exceptionInfo": { a, _ throws(AdapterError) in
            _ = try a.requireProcess()
            guard let (_, info) = a.session.lastException else { throw AdapterError("The last stop was not an exception") }
            let code = DebugAdapter.exceptionFilters.first { $0.signals.contains(info.signal) }?.code ?? signalName(info.signal).lowercased()
            var firstChance = true
            if case .signal(_, let first, _, _)? = a.session.lastStop { firstChance = first }
            return .object([("exceptionId", .string(code)), ("description", .string(a.session.describe(a.session.lastStop ?? .crash(info)))),
                            ("breakMode", .string(firstChance ? "always" : "unhandled"))])
        },
    ]

    /// Frames of a thread, each with its function (an inlined call's own name), source line,
    /// module and instruction address.
    private func stackTrace(_ arguments: JSON) throws(AdapterError) -> JSON {
        let process = try requireProcess()
        guard let tid = arguments["threadId"]?.int, let thread = process.thread(Int32(truncatingIfNeeded: tid)) else { throw AdapterError("Unknown threadId") }
        let stack = session.stack(thread)
        let start = max(0, arguments["startFrame"]?.int ?? 0)
        let levels = arguments["levels"]?.int.flatMap { $0 > 0 ? $0 : nil } ?? stack.count
        var result: [JSON] = []
        for (index, frame) in stack.enumerated().dropFirst(start).prefix(levels) {
            frames.append(FrameHandle(thread: thread, index: index, frame: frame))
            let module = process.modules.module(containing: frame.lookupAddress)
            let function = frame.inlined ?? module?.symbol(at: frame.lookupAddress)?.symbol.name
            let source = frame.callSite ?? session.sourceLine(at: frame.lookupAddress)
            result.append(.members([
                ("id", .integer(Int64(frames.count))), ("name", .string(function ?? formatAddress(frame.pc))),
                ("source", source.map { .object([("name", .string(String($0.file.split(separator: "/").last ?? ""))), ("path", .string($0.file))]) }),
                ("line", .integer(Int64(source?.line ?? 0))), ("column", .integer(source == nil ? 0 : 1)),
                ("instructionPointerReference", .string("0x" + String(frame.pc, radix: 16))),
                ("moduleId", module.map { .string($0.name) }),
                ("presentationHint", source == nil ? .string("subtle") : nil),
            ]))
        }
        return .object([("stackFrames", .array(result)), ("totalFrames", .integer(Int64(stack.count)))])
    }

    func frameHandle(_ id: Int?) throws(AdapterError) -> Int {
        guard let id, id > 0, id <= frames.count else { throw AdapterError("Unknown frameId (frames last until the target runs)") }
        return id - 1
    }

    func reference(_ reference: Reference) -> Int {
        references.append(reference)
        return references.count
    }

    /// Handles end with the stop they were made at.
    func clearHandles() {
        frames.removeAll()
        references.removeAll()
    }

    private var tree: ValueTree { ValueTree(read: { [session] in session.readMemory($0, count: $1) }, style: .source) }

    private func variables(_ reference: Reference, start: Int, count: Int) throws(AdapterError) -> [JSON] {
        switch reference {
        case .locals(let id):
            let handle = frames[id]
            let (values, files) = try engine { () throws(EngineError) in try session.frameVariables(of: handle.thread, frame: handle.index) }
            return values.dropFirst(start).prefix(count).map { value in
                // In memory: its members are read (and set) there; otherwise the bytes assembled.
                let place: ValuePlace? = if case .memory(let address)? = value.location { .memory(address) } else { value.bytes.map(ValuePlace.held) }
                return variableJSON(ValueNode(name: value.name, type: value.type, place: place, files: files))
            }
        case .registers(let id):
            return registerVariables(frames[id]).dropFirst(start).prefix(count).map { name, value in
                .object([("name", .string(name)), ("value", .string("0x" + zeroPaddedHex(value, digits: 16))), ("variablesReference", .integer(0))])
            }
        case .value(let node):
            return tree.children(node, start: start, count: count).map(variableJSON)
        }
    }

    /// Frame 0's registers are the thread's; an outer frame has those the unwind recovered.
    private func registerVariables(_ handle: FrameHandle) -> [(String, UInt64)] {
        if handle.frame.physicalIndex == 0, let registers = try? session.registers(handle.thread) {
            return X86Registers.slotNames.enumerated().map { ($1, registers.slots[$0]) }
        }
        let names = ["rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip"]
        return handle.frame.registers.sorted { $0.key < $1.key }.compactMap { number, value in names.indices.contains(number) ? (names[number], value) : nil }
    }

    private func variableJSON(_ node: ValueNode) -> JSON {
        let children = tree.childCount(node)
        let type = node.expandedType
        return .members([
            ("name", .string(node.name)), ("value", .string(tree.summary(node))), ("type", .string(node.type.cName)),
            ("variablesReference", .integer(children > 0 ? Int64(reference(.value(node))) : 0)),
            ("indexedVariables", type.kind == .array && children > 0 ? .integer(Int64(children)) : nil),
            ("memoryReference", node.place?.address.map { .string("0x" + String($0, radix: 16)) }),
        ])
    }

    /// A C++ expression in a frame (the selected one by default: the client's `frameId`).
    func evaluateValue(_ expression: String, frameId: Int?) throws(AdapterError) -> Evaluated {
        let value = try cppValue(expression, frameId: frameId)
        let node = ValueNode(name: expression, type: value.type, place: value.place, files: value.files)
        let children = tree.childCount(node)
        return Evaluated(summary: tree.summary(node), type: value.type.cName, reference: children > 0 ? reference(.value(node)) : 0, children: children)
    }

    private func cppValue(_ expression: String, frameId: Int?) throws(AdapterError) -> TypedValue {
        let process = try requireProcess()
        var thread = process.current, index = 0
        if let frameId {
            let handle = frames[try frameHandle(frameId)]
            thread = handle.thread
            index = handle.index
        }
        let scope = FrameScope(session: session, thread: thread, frameIndex: index)
        do { return try CppExpression.parse(Substring(expression), context: scope).evaluate(scope) } catch { throw AdapterError(error.description) }
    }

    /// `setVariable`: an assignment through the C++ evaluator, in the scope the variable was
    /// listed in; a register of the registers scope is set directly.
    private func setVariable(_ arguments: JSON) throws(AdapterError) -> JSON {
        guard let id = arguments["variablesReference"]?.int, id > 0, id <= references.count,
              let name = arguments["name"]?.string, let text = arguments["value"]?.string else {
            throw AdapterError("'setVariable' needs variablesReference, name and value")
        }
        switch references[id - 1] {
        case .registers(let frame):
            guard frames[frame].frame.physicalIndex == 0 else { throw AdapterError("Only the innermost frame's registers can be set") }
            let scope = FrameScope(session: session, thread: frames[frame].thread)
            let value: UInt64
            do { value = try MasmExpression.parse(Substring(text), radix: 16, context: scope).evaluate(scope) } catch { throw AdapterError(error.description) }
            guard scope.setRegister(name, value) else { throw AdapterError("Cannot set \(name)") }
            return .object([("value", .string("0x" + zeroPaddedHex(value, digits: 16)))])
        case .locals(let frame):
            let assigned = try assign("\(name) = \(text)", frameId: frame + 1)
            return .object([("value", .string(assigned.summary)), ("type", .string(assigned.type)), ("variablesReference", .integer(Int64(assigned.reference)))])
        case .value(let parent):
            guard let child = tree.children(parent).first(where: { $0.name == name }), let place = child.place?.address, child.bits == nil else {
                throw AdapterError("\(name) cannot be set: not a value in memory")
            }
            // The member's own type and address: an assignment through a typed pointer.
            let assigned = try assign("*(\(child.type.cName) *)0x\(String(place, radix: 16)) = \(text)", frameId: nil)
            return .object([("value", .string(assigned.summary)), ("type", .string(child.type.cName))])
        }
    }

    private func assign(_ expression: String, frameId: Int?) throws(AdapterError) -> Evaluated {
        guard session.process?.isLive == true else { throw AdapterError("A dump cannot be changed") }
        return try evaluateValue(expression, frameId: frameId)
    }

    /// `evaluate` in the REPL: a WinDbg command line, its output as the result.
    private func runCommand(_ line: String) -> JSON {
        let stopsBefore = session.threadStops
        commandOutput.beginCapture()
        gate.whileRunning { interpreter.execute(line) }
        let text = commandOutput.endCapture()
        // A command that ran the target (`g`, `p`) reported its stop in WinDbg's words; the
        // client hears of it too, after this response.
        if session.threadStops != stopsBefore || session.process?.gone == true {
            afterResponse.append { [unowned self] in
                clearHandles()
                guard let process = session.process, !process.gone else { return report(StopEvent(kind: .processGone(status: session.lastExitStatus), thread: 0)) }
                report(StopEvent(kind: session.lastStop ?? .step, thread: session.lastEventThread ?? process.current.tid))
            }
        }
        return .object([("result", .string(text.hasSuffix("\n") ? String(text.dropLast()) : text)), ("variablesReference", .integer(0))])
    }
}
